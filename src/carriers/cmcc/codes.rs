//! China Mobile's code tables: the `status`/`message` pairs of the envelope,
//! the cardStatus (OneLink-CT) and PB status renderings of the neutral
//! lifecycle, the stop-reason codes, the RAT codes, and the mapping of
//! domain refusals to OneLink error codes (see `docs/cmcc.md`).

use crate::domain::card::{Card, CardState, Reason};
use crate::domain::DomainError;
use crate::world::OpError;

/// Every status this dialect answers with, and its message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Ok,
    BadParam,
    AllInvalid,
    AuthFailed,
    NotOwned,
    NotFound,
    TokenInvalid,
    BadPassword,
    GroupNotOwned,
    IllegalState,
    StopReasonNotSelf,
    PlanExpired,
    QuotaReached,
    TooFrequent,
    Busy,
    Other,
}

/// `(code, status, message)`: the single table of OneLink codes.
const TABLE: [(Code, &str, &str); 16] = [
    (Code::Ok, "0", "正确"),
    (Code::BadParam, "11000", "请求参数错误"),
    (
        Code::AllInvalid,
        "11007",
        "查询号码全部非法，请确认号码正确性",
    ),
    (
        Code::AuthFailed,
        "12004",
        "transId 或 appid 或 token 鉴权失败",
    ),
    (Code::NotOwned, "12009", "卡号鉴权失败，不属于此用户"),
    (Code::NotFound, "12010", "卡号鉴权失败，不存在本系统"),
    (
        Code::TokenInvalid,
        "12021",
        "TOKEN不存在或已过期，请重新获取",
    ),
    (Code::BadPassword, "12022", "PASSWORD 鉴权不通过"),
    (Code::GroupNotOwned, "12034", "群组 ID 不属于本企业"),
    (
        Code::IllegalState,
        "12089",
        "该卡片不是待激活、已激活、已停机，无法进行操作",
    ),
    (
        Code::StopReasonNotSelf,
        "12098",
        "当前停机原因不符合自主发起复机操作要求",
    ),
    (Code::PlanExpired, "12099", "卡片主套餐超出有效期，无法复机"),
    (Code::QuotaReached, "12100", "卡片所属套餐的用量已达量"),
    // The spec names no throttling or overload code; these two are the
    // simulator's choice inside OneLink's catch-all 19010 (docs/cmcc.md).
    (Code::TooFrequent, "19010", "请求过于频繁，请稍后再试"),
    (Code::Busy, "19010", "系统繁忙，请稍后再试"),
    (Code::Other, "19010", "其他错误"),
];

impl Code {
    fn row(self) -> &'static (Code, &'static str, &'static str) {
        TABLE
            .iter()
            .find(|r| r.0 == self)
            .expect("every code is in the table")
    }

    /// The `status` string.
    pub fn status(self) -> &'static str {
        self.row().1
    }

    /// The default `message` text.
    pub fn message(self) -> &'static str {
        self.row().2
    }
}

/// Message used with `Code::Other` when the same card is changed again
/// inside the repeat-rule window.
pub const REPEAT_MESSAGE: &str = "同一号码在规定时间内不能重复办理此类业务";

/// A domain refusal in OneLink's words. Manual stop/resume refusals follow
/// card-rules.md: expired → 12099, over quota → 12100, arrears or a stop
/// that was not self-requested → 12098, any other illegal state → 12089.
pub fn domain_code(e: &DomainError) -> Code {
    match e {
        DomainError::Expired => Code::PlanExpired,
        DomainError::OverQuota => Code::QuotaReached,
        DomainError::Arrears | DomainError::NotSelfStopped => Code::StopReasonNotSelf,
        DomainError::Cancelled
        | DomainError::AlreadyStopped
        | DomainError::NotSuspended
        | DomainError::NotActive
        | DomainError::AlreadyCut
        | DomainError::NotCut
        | DomainError::InvalidTransition { .. } => Code::IllegalState,
        DomainError::InvalidAmount | DomainError::Invalid(_) => Code::BadParam,
    }
}

/// A world operation's failure in OneLink's words.
pub fn op_code(e: &OpError) -> Code {
    match e {
        OpError::NotFound => Code::NotFound,
        OpError::NoPlan(_) => Code::Other,
        OpError::Rule(d) => domain_code(d),
    }
}

/// OneLink-CT cardStatus (1/2/4/6/7/8/9). A card whose only stop reason is
/// a data cut (APN function switched off) is still 已激活 on OneLink.
pub fn card_status(card: &Card) -> &'static str {
    match card.state {
        CardState::ActivationReady => "1",
        CardState::Active => "2",
        CardState::Suspended if only_data_cut(card) => "2",
        CardState::Suspended => "4",
        CardState::TestReady => "6",
        CardState::Inventory => "7",
        CardState::PreCancel => "8",
        CardState::Cancelled => "9",
    }
}

/// cardStatus of a bare state (change history entries).
pub fn state_status(state: CardState) -> &'static str {
    match state {
        CardState::ActivationReady => "1",
        CardState::Active => "2",
        CardState::Suspended => "4",
        CardState::TestReady => "6",
        CardState::Inventory => "7",
        CardState::PreCancel => "8",
        CardState::Cancelled => "9",
    }
}

fn only_data_cut(card: &Card) -> bool {
    card.reasons.iter().all(|r| r == Reason::DataCut)
}

/// v2 `lifecycle` (querycardlifecycle / batchquerycardlifecycle) is the
/// card's *phase*, not its status: `00` 正式期 (in commercial use, stopped or
/// not), `01` 测试期, `02` 沉默期 (shipped, not yet in use), `03` 其他
/// (being or already cancelled). Public sources: zhangjie29net/amlink
/// `Esim7/IOT/IOTModel/ApiModels.cs` (CMIOT_API2105 model) and the PHP
/// `ChinaMobileAPI` comment of CMIOT_API2105/2112.
const LIFECYCLE_PHASES: &[(CardState, &str)] = &[
    (CardState::Active, "00"),
    (CardState::Suspended, "00"),
    (CardState::TestReady, "01"),
    (CardState::Inventory, "02"),
    (CardState::ActivationReady, "02"),
    (CardState::PreCancel, "03"),
    (CardState::Cancelled, "03"),
];

/// The v2 lifecycle phase of a card (see `LIFECYCLE_PHASES`).
pub fn lifecycle_phase(card: &Card) -> &'static str {
    LIFECYCLE_PHASES
        .iter()
        .find(|(s, _)| *s == card.state)
        .map_or("03", |(_, code)| code)
}

/// OneLink-PB status (v2 `STATUS`): 00 正常, 01 单向停机
/// (arrears only), 02 停机, 03 预销号, 04 销号, 07 待激活.
pub fn pb_status(card: &Card) -> &'static str {
    match card.state {
        CardState::Active => "00",
        CardState::Suspended if only_data_cut(card) => "00",
        CardState::Suspended if card.reasons.iter().all(|r| r == Reason::Arrears) => "01",
        CardState::Suspended => "02",
        CardState::PreCancel => "03",
        CardState::Cancelled => "04",
        CardState::Inventory | CardState::TestReady | CardState::ActivationReady => "07",
    }
}

/// Stop-reason codes of `/query/sim-stop-reason` (codes not published;
/// this table is the simulator's own, see docs/cmcc.md).
pub fn stop_reason(r: Reason) -> &'static str {
    match r {
        Reason::Manual => "01",
        Reason::Arrears => "02",
        Reason::OverQuota => "03",
        Reason::Expired => "04",
        Reason::DataCut => "05",
    }
}

/// sim-session `rat`: 1 3G, 2 2G, 6 4G, 8 NB-IoT (5G reported as 4G).
pub fn rat_code(rat: &str) -> &'static str {
    match rat {
        "3G" => "1",
        "2G" => "2",
        "NB-IoT" | "NB" => "8",
        _ => "6",
    }
}

/// Administrative division code of the simulated serving city.
pub fn city_code(city: &str) -> &'static str {
    const CITIES: [(&str, &str); 6] = [
        ("北京", "110100"),
        ("上海", "310100"),
        ("深圳", "440300"),
        ("南京", "320100"),
        ("成都", "510100"),
        ("珠海", "440400"),
    ];
    CITIES
        .iter()
        .find(|(name, _)| city.starts_with(name))
        .map(|(_, code)| *code)
        .unwrap_or("000000")
}

/// The tables of `docs/cmcc.md` (codes §3 of the OneLink spec, the status
/// renderings, stop reasons, RAT and city codes), written out by hand: a
/// row changed in the code and not in the documentation fails here.
#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::test_support::card;

    #[test]
    fn codes_and_messages_as_documented() {
        let rows = [
            (Code::Ok, "0", "正确"),
            (Code::BadParam, "11000", "请求参数错误"),
            (
                Code::AllInvalid,
                "11007",
                "查询号码全部非法，请确认号码正确性",
            ),
            (
                Code::AuthFailed,
                "12004",
                "transId 或 appid 或 token 鉴权失败",
            ),
            (Code::NotOwned, "12009", "卡号鉴权失败，不属于此用户"),
            (Code::NotFound, "12010", "卡号鉴权失败，不存在本系统"),
            (
                Code::TokenInvalid,
                "12021",
                "TOKEN不存在或已过期，请重新获取",
            ),
            (Code::BadPassword, "12022", "PASSWORD 鉴权不通过"),
            (Code::GroupNotOwned, "12034", "群组 ID 不属于本企业"),
            (
                Code::IllegalState,
                "12089",
                "该卡片不是待激活、已激活、已停机，无法进行操作",
            ),
            (
                Code::StopReasonNotSelf,
                "12098",
                "当前停机原因不符合自主发起复机操作要求",
            ),
            (Code::PlanExpired, "12099", "卡片主套餐超出有效期，无法复机"),
            (Code::QuotaReached, "12100", "卡片所属套餐的用量已达量"),
            (Code::TooFrequent, "19010", "请求过于频繁，请稍后再试"),
            (Code::Busy, "19010", "系统繁忙，请稍后再试"),
            (Code::Other, "19010", "其他错误"),
        ];
        for (code, status, message) in rows {
            assert_eq!(
                (code.status(), code.message()),
                (status, message),
                "{code:?}"
            );
        }
    }

    #[test]
    fn refusals_map_as_the_rules_say() {
        // docs/cmcc.md: expired 12099, over quota 12100, arrears and a stop
        // not requested by the owner 12098, other illegal states 12089,
        // bad parameters 11000; an unknown card 12010.
        let rows = [
            (DomainError::Expired, "12099"),
            (DomainError::OverQuota, "12100"),
            (DomainError::Arrears, "12098"),
            (DomainError::NotSelfStopped, "12098"),
            (DomainError::Cancelled, "12089"),
            (DomainError::AlreadyStopped, "12089"),
            (DomainError::NotSuspended, "12089"),
            (DomainError::NotActive, "12089"),
            (DomainError::AlreadyCut, "12089"),
            (DomainError::NotCut, "12089"),
            (
                DomainError::InvalidTransition {
                    from: "active",
                    to: "inventory",
                },
                "12089",
            ),
            (DomainError::InvalidAmount, "11000"),
            (DomainError::Invalid("x".into()), "11000"),
        ];
        for (e, status) in rows {
            assert_eq!(domain_code(&e).status(), status, "{e:?}");
            assert_eq!(op_code(&OpError::Rule(e.clone())).status(), status);
        }
        assert_eq!(op_code(&OpError::NotFound).status(), "12010");
        assert_eq!(op_code(&OpError::NoPlan("p".into())).status(), "19010");
    }

    #[test]
    fn status_renderings_as_documented() {
        // (state, reasons, cardStatus, v2 STATUS, v2 lifecycle phase)
        let rows = [
            ("activation_ready", json!([]), "1", "07", "02"),
            ("active", json!([]), "2", "00", "00"),
            ("suspended", json!(["data_cut"]), "2", "00", "00"),
            ("suspended", json!(["arrears"]), "4", "01", "00"),
            ("suspended", json!(["manual"]), "4", "02", "00"),
            ("suspended", json!(["arrears", "data_cut"]), "4", "02", "00"),
            ("suspended", json!(["over_quota"]), "4", "02", "00"),
            ("test_ready", json!([]), "6", "07", "01"),
            ("inventory", json!([]), "7", "07", "02"),
            ("pre_cancel", json!(["expired"]), "8", "03", "03"),
            ("cancelled", json!(["expired"]), "9", "04", "03"),
        ];
        for (state, reasons, card_code, pb, phase) in rows {
            let c = card(json!({"state": state, "reasons": reasons}));
            let what = format!("{state} {reasons}");
            assert_eq!(card_status(&c), card_code, "{what}: cardStatus");
            assert_eq!(pb_status(&c), pb, "{what}: STATUS");
            assert_eq!(lifecycle_phase(&c), phase, "{what}: lifecycle");
        }
        // A history entry has only the state: any suspension is 4.
        let states = [
            (CardState::ActivationReady, "1"),
            (CardState::Active, "2"),
            (CardState::Suspended, "4"),
            (CardState::TestReady, "6"),
            (CardState::Inventory, "7"),
            (CardState::PreCancel, "8"),
            (CardState::Cancelled, "9"),
        ];
        for (state, code) in states {
            assert_eq!(state_status(state), code, "{state:?}");
        }
    }

    #[test]
    fn stop_reason_rat_and_city_codes() {
        let reasons = [
            (Reason::Manual, "01"),
            (Reason::Arrears, "02"),
            (Reason::OverQuota, "03"),
            (Reason::Expired, "04"),
            (Reason::DataCut, "05"),
        ];
        for (r, code) in reasons {
            assert_eq!(stop_reason(r), code, "{r:?}");
        }
        // OneLink spec §4.4 (PHP client): 1 3G, 2 2G, 6 4G, 8 NB-IoT; 5G
        // is reported as 4G (docs/cmcc.md).
        for (rat, code) in [
            ("3G", "1"),
            ("2G", "2"),
            ("4G", "6"),
            ("5G", "6"),
            ("NB-IoT", "8"),
            ("NB", "8"),
        ] {
            assert_eq!(rat_code(rat), code, "{rat}");
        }
        // GB/T 2260 codes of the simulated cities.
        for (city, code) in [
            ("北京市", "110100"),
            ("上海市", "310100"),
            ("深圳市", "440300"),
            ("南京市", "320100"),
            ("成都市", "510100"),
            ("珠海市", "440400"),
        ] {
            assert_eq!(city_code(city), code, "{city}");
        }
    }
}
