//! China Telecom's code tables: the plain-text error codes of the legacy
//! API, the main lifecycle status (1–7) and product status renderings of the
//! neutral state, disabledNumber's orderTypeId, the speed-limit codes, and
//! the carrier's words for the domain's refusals (see `docs/ctcc.md`).

use crate::domain::card::{Card, CardState, Reason, ReasonSet};
use crate::domain::DomainError;

/// Plain-text error codes of the legacy API (spec §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    BadPassword,
    BadParam,
    BadSign,
    NotFound,
    NotBound,
    Duplicate,
    Busy,
    RateLimited,
    UnknownMethod,
    SystemBusy,
    Internal,
}

/// `(code, wire code, text)`: the one table of legacy error texts. `9000`
/// is the platform-error code the spec saw in `RspCode`; its two texts are
/// the simulator's choice.
const TABLE: [(Code, &str, &str); 11] = [
    (Code::BadPassword, "-1", "用户名或者密码错误，无权限。"),
    (Code::BadParam, "-2", "必传参数缺失或参数错误。"),
    (Code::BadSign, "-3", "sign参数值错误。"),
    (Code::NotFound, "-4", "iccid号码错误或不存在。"),
    (Code::NotBound, "-1", "该号码和用户没有绑定"),
    (Code::Duplicate, "-5", "已经订购该产品，请不要重复订购"),
    (Code::Busy, "-7", "该号码已有业务正在处理，请稍后下发"),
    (Code::RateLimited, "101004", "请求过于频繁，请稍后再试"),
    (Code::UnknownMethod, "-2", "method参数错误，不存在该接口。"),
    (Code::SystemBusy, "9000", "系统繁忙，请稍后再试"),
    (Code::Internal, "9000", "系统内部错误，请稍后再试"),
];

impl Code {
    fn row(self) -> &'static (Code, &'static str, &'static str) {
        TABLE
            .iter()
            .find(|r| r.0 == self)
            .expect("every code is in the table")
    }

    /// The wire code (`-1`, `-3`, `101004`, ...).
    pub fn code(self) -> &'static str {
        self.row().1
    }

    /// The standard text.
    pub fn text(self) -> &'static str {
        self.row().2
    }

    /// The plain-text body: `code：text` with a full-width colon.
    pub fn body(self) -> String {
        format!("{}：{}", self.code(), self.text())
    }
}

/// Main lifecycle status (`productMainStatusCd`, getSIMList `simStatus`).
/// A hand cut of data (singleCutNet) does not change the main status.
pub fn main_status(card: &Card) -> u8 {
    main_status_of(card.state, card.reasons)
}

/// Main status of a neutral state with its stop reasons.
pub fn main_status_of(state: CardState, reasons: ReasonSet) -> u8 {
    match state {
        CardState::ActivationReady => 1,
        CardState::TestReady => 2,
        CardState::Inventory => 3,
        CardState::Active => 4,
        CardState::Suspended if reasons.iter().all(|r| r == Reason::DataCut) => 4,
        CardState::Suspended | CardState::PreCancel => 5,
        CardState::Cancelled => 7,
    }
}

/// The name of a main status code.
pub fn main_status_name(code: u8) -> &'static str {
    match code {
        1 => "可激活",
        2 => "测试激活",
        3 => "测试去激活",
        4 => "在用",
        5 => "停机",
        6 => "运营商管理状态",
        7 => "拆机",
        _ => "未知",
    }
}

/// `(prodStatusCd, prodStatusName)` of prodInstQuery (spec §5.2).
pub fn prod_status(card: &Card) -> (&'static str, &'static str) {
    match main_status(card) {
        1 => ("19", "活卡待激活"),
        2 => ("100001", "已激活"),
        3 => ("140003", "未激活"),
        4 => ("1", "在用"),
        7 => ("99999", "销户"),
        _ if card.reasons.contains(Reason::Arrears) => ("5", "欠停(双向)"),
        _ if card.reasons == std::iter::once(Reason::Manual).collect() => ("2", "用户报停"),
        _ => ("120000", "停机"),
    }
}

/// `(stopType, stopTypeName)` of one stop reason (prodInstStates).
pub fn stop_type(reason: Reason) -> (&'static str, &'static str) {
    match reason {
        Reason::Manual => ("120000", "停机保号"),
        Reason::Arrears => ("5", "欠停(双向)"),
        Reason::Expired => ("120001", "到期停机"),
        Reason::OverQuota => ("150002", "达量停机"),
        Reason::DataCut => ("150003", "断网"),
    }
}

/// disabledNumber's orderTypeId values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderType {
    /// 19 停机保号.
    Stop,
    /// 20 停机保号后复机.
    Resume,
    /// 21 测试期去激活.
    TestDeactivate,
    /// 22 测试期去激活后回到测试激活.
    TestReactivate,
}

impl OrderType {
    pub fn parse(s: &str) -> Option<OrderType> {
        match s {
            "19" => Some(OrderType::Stop),
            "20" => Some(OrderType::Resume),
            "21" => Some(OrderType::TestDeactivate),
            "22" => Some(OrderType::TestReactivate),
            _ => None,
        }
    }
}

/// The carrier's words for a refused status change.
pub fn refusal_text(e: &DomainError) -> &'static str {
    match e {
        DomainError::AlreadyStopped => "已存在相关停机记录，无需再次办理停机",
        DomainError::Arrears => "已存在停机类型为5的停机记录，请缴清欠费后办理",
        DomainError::Expired => "套餐已失效，已存在停机类型为120001的停机记录",
        DomainError::OverQuota => "已存在停机类型为150002的停机记录，当月不能办理",
        DomainError::NotSuspended => "不存在相关停机记录，无需办理复机",
        DomainError::NotSelfStopped => "不存在停机类型为120000的停机记录，无法复机",
        DomainError::Cancelled => "该号码已拆机",
        DomainError::AlreadyCut => "已订购功能产品，不能重复订购",
        DomainError::NotCut => "未订购该功能产品，无需退订",
        _ => "当前号码状态不允许办理该业务",
    }
}

/// Speed-limit codes of speedLimitAction (spec §4.13) and their labels.
pub const SPEEDS: [(u16, &str); 24] = [
    (10, "1Kbps"),
    (11, "512Kbps"),
    (12, "1Mbps"),
    (13, "3Mbps"),
    (14, "5Mbps"),
    (15, "7Mbps"),
    (16, "10Mbps"),
    (17, "20Mbps"),
    (18, "30Mbps"),
    (19, "40Mbps"),
    (20, "50Mbps"),
    (21, "60Mbps"),
    (22, "70Mbps"),
    (23, "80Mbps"),
    (24, "90Mbps"),
    (25, "100Mbps"),
    (26, "110Mbps"),
    (27, "120Mbps"),
    (28, "130Mbps"),
    (29, "140Mbps"),
    (30, "150Mbps"),
    (31, "不限速"),
    (32, "64Kbps"),
    (33, "256Kbps"),
];

/// The label of a speed code, if it is one.
pub fn speed_label(code: u16) -> Option<&'static str> {
    SPEEDS.iter().find(|s| s.0 == code).map(|s| s.1)
}

/// `(city, province, division code)`: the province (short name, as
/// getOnlineStatus's `provname` `山东` in the reply captured by
/// youandmeyxx/vxDemo) and the GB/T 2260 code of every provincial capital
/// and the larger prefecture cities. Municipalities are their own
/// province. The pool member calls show `8` + the code as `org_id`
/// (`8320100` = 南京 in the vendor's sample).
const CITY_PROVINCE: [(&str, &str, &str); 48] = [
    ("北京", "北京", "110100"),
    ("上海", "上海", "310100"),
    ("天津", "天津", "120100"),
    ("重庆", "重庆", "500100"),
    ("南京", "江苏", "320100"),
    ("苏州", "江苏", "320500"),
    ("无锡", "江苏", "320200"),
    ("常州", "江苏", "320400"),
    ("杭州", "浙江", "330100"),
    ("宁波", "浙江", "330200"),
    ("温州", "浙江", "330300"),
    ("广州", "广东", "440100"),
    ("深圳", "广东", "440300"),
    ("珠海", "广东", "440400"),
    ("东莞", "广东", "441900"),
    ("佛山", "广东", "440600"),
    ("济南", "山东", "370100"),
    ("青岛", "山东", "370200"),
    ("烟台", "山东", "370600"),
    ("成都", "四川", "510100"),
    ("武汉", "湖北", "420100"),
    ("长沙", "湖南", "430100"),
    ("郑州", "河南", "410100"),
    ("石家庄", "河北", "130100"),
    ("太原", "山西", "140100"),
    ("呼和浩特", "内蒙古", "150100"),
    ("沈阳", "辽宁", "210100"),
    ("大连", "辽宁", "210200"),
    ("长春", "吉林", "220100"),
    ("哈尔滨", "黑龙江", "230100"),
    ("合肥", "安徽", "340100"),
    ("福州", "福建", "350100"),
    ("厦门", "福建", "350200"),
    ("南昌", "江西", "360100"),
    ("南宁", "广西", "450100"),
    ("海口", "海南", "460100"),
    ("三亚", "海南", "460200"),
    ("贵阳", "贵州", "520100"),
    ("昆明", "云南", "530100"),
    ("拉萨", "西藏", "540100"),
    ("西安", "陕西", "610100"),
    ("兰州", "甘肃", "620100"),
    ("西宁", "青海", "630100"),
    ("银川", "宁夏", "640100"),
    ("乌鲁木齐", "新疆", "650100"),
    ("香港", "香港", "810000"),
    ("澳门", "澳门", "820000"),
    ("台北", "台湾", "710000"),
];

/// Provinces and regions by short name, to recognise a place that already
/// names one (`山东`, `山东省`, `广西壮族自治区`).
const PROVINCES: [&str; 34] = [
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
];

/// The province reported for a card's session place: the province of a
/// known city, the province a place already names, else `江苏` (the
/// simulator's home province, where its default place 南京 lies).
pub fn province_of(place: &str) -> &'static str {
    if let Some((_, p, _)) = CITY_PROVINCE.iter().find(|(c, _, _)| place.starts_with(c)) {
        return p;
    }
    PROVINCES
        .iter()
        .find(|p| place.starts_with(**p))
        .copied()
        .unwrap_or("江苏")
}

/// The member's `org_id` (归属地) of the flow-pool calls: `8` + the
/// division code of the place, 南京's `8320100` for a place not in the table.
pub fn org_id(place: &str) -> String {
    let code = CITY_PROVINCE
        .iter()
        .find(|(c, _, _)| place.starts_with(c))
        .map_or("320100", |(_, _, code)| *code);
    format!("8{code}")
}

/// Monthly IMEI re-binding calls allowed per card.
pub const IMEI_REBIND_PER_MONTH: u32 = 3;

/// The tables of `docs/ctcc.md` (legacy error codes and texts, the main
/// and product statuses, stop types, disabledNumber's orderTypeId, the
/// speed codes of spec §4.13, the refusal texts of disabledNumber),
/// written out by hand: a row changed in the code and not in the
/// documentation fails here.
#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::test_support::card;

    #[test]
    fn legacy_error_codes_and_texts() {
        let rows = [
            (Code::BadPassword, "-1：用户名或者密码错误，无权限。"),
            (Code::BadParam, "-2：必传参数缺失或参数错误。"),
            (Code::BadSign, "-3：sign参数值错误。"),
            (Code::NotFound, "-4：iccid号码错误或不存在。"),
            (Code::NotBound, "-1：该号码和用户没有绑定"),
            (Code::Duplicate, "-5：已经订购该产品，请不要重复订购"),
            (Code::Busy, "-7：该号码已有业务正在处理，请稍后下发"),
            (Code::RateLimited, "101004：请求过于频繁，请稍后再试"),
            (Code::UnknownMethod, "-2：method参数错误，不存在该接口。"),
            (Code::SystemBusy, "9000：系统繁忙，请稍后再试"),
            (Code::Internal, "9000：系统内部错误，请稍后再试"),
        ];
        for (code, body) in rows {
            assert_eq!(code.body(), body, "{code:?}");
            let (wire, text) = body.split_once('：').unwrap();
            assert_eq!((code.code(), code.text()), (wire, text), "{code:?}");
        }
    }

    #[test]
    fn main_and_product_status_of_each_state() {
        // (state, reasons, main status, its name, prodStatusCd, prodStatusName)
        let rows = [
            (
                "activation_ready",
                json!([]),
                1,
                "可激活",
                "19",
                "活卡待激活",
            ),
            ("test_ready", json!([]), 2, "测试激活", "100001", "已激活"),
            ("inventory", json!([]), 3, "测试去激活", "140003", "未激活"),
            ("active", json!([]), 4, "在用", "1", "在用"),
            ("suspended", json!(["data_cut"]), 4, "在用", "1", "在用"),
            ("suspended", json!(["manual"]), 5, "停机", "2", "用户报停"),
            (
                "suspended",
                json!(["arrears"]),
                5,
                "停机",
                "5",
                "欠停(双向)",
            ),
            (
                "suspended",
                json!(["manual", "arrears"]),
                5,
                "停机",
                "5",
                "欠停(双向)",
            ),
            (
                "suspended",
                json!(["manual", "data_cut"]),
                5,
                "停机",
                "120000",
                "停机",
            ),
            (
                "suspended",
                json!(["over_quota"]),
                5,
                "停机",
                "120000",
                "停机",
            ),
            (
                "pre_cancel",
                json!(["expired"]),
                5,
                "停机",
                "120000",
                "停机",
            ),
            ("cancelled", json!(["expired"]), 7, "拆机", "99999", "销户"),
        ];
        for (state, reasons, main, name, prod, prod_name) in rows {
            let c = card(json!({"state": state, "reasons": reasons}));
            let what = format!("{state} {reasons}");
            assert_eq!(main_status(&c), main, "{what}");
            assert_eq!(main_status_name(main), name, "{what}");
            assert_eq!(prod_status(&c), (prod, prod_name), "{what}");
        }
        assert_eq!(main_status_name(6), "运营商管理状态");
    }

    #[test]
    fn stop_types_order_types_and_speeds() {
        let stops = [
            (Reason::Manual, ("120000", "停机保号")),
            (Reason::Arrears, ("5", "欠停(双向)")),
            (Reason::Expired, ("120001", "到期停机")),
            (Reason::OverQuota, ("150002", "达量停机")),
            (Reason::DataCut, ("150003", "断网")),
        ];
        for (r, want) in stops {
            assert_eq!(stop_type(r), want, "{r:?}");
        }
        // Spec §4.10: 19 stop, 20 resume, 21 test deactivation, 22 back.
        let orders = [
            ("19", Some(OrderType::Stop)),
            ("20", Some(OrderType::Resume)),
            ("21", Some(OrderType::TestDeactivate)),
            ("22", Some(OrderType::TestReactivate)),
            ("18", None),
            ("", None),
        ];
        for (text, want) in orders {
            assert_eq!(OrderType::parse(text), want, "{text:?}");
        }
        // Spec §4.13: 10 1Kbps, 11 512Kbps, 12 1Mbps, 13 3Mbps, 14 5Mbps,
        // 15 7Mbps, 16 10Mbps, then 10 Mbps steps to 30 150Mbps, 31 no
        // limit, 32 64Kbps, 33 256Kbps.
        let mut want: Vec<(u16, String)> = vec![
            (10, "1Kbps".into()),
            (11, "512Kbps".into()),
            (12, "1Mbps".into()),
            (13, "3Mbps".into()),
            (14, "5Mbps".into()),
            (15, "7Mbps".into()),
        ];
        for code in 16..=30u16 {
            want.push((code, format!("{}Mbps", (code - 15) * 10)));
        }
        want.push((31, "不限速".into()));
        want.push((32, "64Kbps".into()));
        want.push((33, "256Kbps".into()));
        for (code, label) in &want {
            assert_eq!(speed_label(*code), Some(label.as_str()), "{code}");
        }
        assert_eq!(SPEEDS.len(), want.len());
        assert_eq!(speed_label(9), None);
        assert_eq!(speed_label(34), None);
    }

    #[test]
    fn refusal_texts_as_documented() {
        let rows = [
            (
                DomainError::AlreadyStopped,
                "已存在相关停机记录，无需再次办理停机",
            ),
            (
                DomainError::Arrears,
                "已存在停机类型为5的停机记录，请缴清欠费后办理",
            ),
            (
                DomainError::Expired,
                "套餐已失效，已存在停机类型为120001的停机记录",
            ),
            (
                DomainError::OverQuota,
                "已存在停机类型为150002的停机记录，当月不能办理",
            ),
            (
                DomainError::NotSuspended,
                "不存在相关停机记录，无需办理复机",
            ),
            (
                DomainError::NotSelfStopped,
                "不存在停机类型为120000的停机记录，无法复机",
            ),
            (DomainError::Cancelled, "该号码已拆机"),
            (DomainError::AlreadyCut, "已订购功能产品，不能重复订购"),
            (DomainError::NotCut, "未订购该功能产品，无需退订"),
        ];
        for (e, text) in rows {
            assert_eq!(refusal_text(&e), text, "{e:?}");
        }
    }

    #[test]
    fn province_and_org_id_of_a_place() {
        // GB/T 2260 division codes; getOnlineStatus provname is the short
        // province name (山东 in the captured reply); 南京 is the default.
        let rows = [
            ("南京市", "江苏", "8320100"),
            ("济南市", "山东", "8370100"),
            ("青岛市", "山东", "8370200"),
            ("珠海市", "广东", "8440400"),
            ("北京市", "北京", "8110100"),
            ("乌鲁木齐市", "新疆", "8650100"),
            ("哈尔滨市", "黑龙江", "8230100"),
            ("山东省", "山东", "8320100"),
            ("广西壮族自治区", "广西", "8320100"),
            ("", "江苏", "8320100"),
        ];
        for (place, province, org) in rows {
            assert_eq!(province_of(place), province, "{place}");
            assert_eq!(org_id(place), org, "{place}");
        }
    }
}
