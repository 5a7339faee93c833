//! One test per real sample of `sms-replies` (the project's reply
//! research): the sample's own numbers and time, rendered by the matching
//! form, give the sample's text back character for character. Samples are
//! quoted from the public sources named in each form's `source`.

use jiff::civil::date;

use super::*;
use crate::domain::money::{GB, MB};

/// Bytes of an amount printed in MB (nearest byte).
fn mbs(v: f64) -> u64 {
    (v * MB as f64).round() as u64
}
/// Bytes of an amount printed in GB (nearest byte).
fn gbs(v: f64) -> u64 {
    (v * GB as f64).round() as u64
}
/// A Shanghai wall-clock time.
fn at(y: i16, mo: i8, d: i8, h: i8, mi: i8) -> Timestamp {
    crate::clock::from_local(date(y, mo, d).at(h, mi, 0, 0))
}
fn render(id: &str, f: &Figures) -> String {
    match by_id(id).unwrap_or_else(|| panic!("no form {id}")).render {
        Render::Text(r) => r(f),
        Render::Template(_) => panic!("{id} is synthetic"),
    }
}
const ENTERPRISE: &str = "深圳市甲泽乙业管理有限公司";

#[test]
fn cmcc_2014() {
    let f = Figures {
        now: at(2014, 8, 18, 14, 6),
        ..Default::default()
    };
    assert_eq!(
        render("cmcc-data-2014", &f),
        "您好！截至到2014年08月18日14时06分，您已使用数据流量0.0MB，套餐内剩余流量0.0MB，感谢您使用流量查询服务。中国移动"
    );
}

#[test]
fn cmcc_2015_beijing() {
    let f = Figures {
        now: at(2015, 3, 10, 15, 28),
        general: Bucket::new(mbs(804.85) + mbs(1416.58), mbs(804.85)),
        local: Bucket::new(mbs(173.37), 0),
        local_4g: Bucket::new(mbs(677.08), 0),
        ..Default::default()
    };
    assert_eq!(
        render("cmcc-data-2015-beijing", &f),
        "您好！截至到2015年03月10日15时28分，您已使用数据流量804.85MB，套餐内剩余流量2267.03MB，其中：国内通用流量剩余1416.58MB，本地流量剩余173.37MB，本地4G流量剩余677.08MB，感谢您使用流量查询服务。查流量，就用“北京移动”手机客户端。点击下载： http://mobilebj.cn/?c=120/ 中国移动"
    );
}

#[test]
fn cmcc_2017_zhejiang() {
    let f = Figures {
        now: at(2017, 5, 19, 11, 57),
        general: Bucket::new(mbs(121.0), mbs(3.76)),
        plan_name: "综合VPMN套餐 石化专用、10M本地通用流量、本地流量优惠包10M（营销活动专用，需审批）、官微专用本地流量（1M1月）".into(),
        ..Default::default()
    };
    assert_eq!(
        render("cmcc-data-2017-zhejiang", &f),
        "截至19日11时57分，您本月您实际使用总流量3.76MB，其中3G(TD)流量0.00MB，其中4G(TD_LTE)流量3.76MB，各流量套餐具体使用情况如下：综合VPMN套餐 石化专用、10M本地通用流量、本地流量优惠包10M（营销活动专用，需审批）、官微专用本地流量（1M1月），共包含本地通用流量121.00MB，已使用3.76MB，剩余117.24MB；如需变更为其他移动数据流量套餐请在3分钟内直接回复Y。【中国移动】"
    );
}

#[test]
fn cmcc_2017_anhui_compound_units() {
    let f = Figures {
        now: at(2017, 4, 24, 17, 10),
        general: Bucket::new(mbs(1265.21) + mbs(2048.0), mbs(1265.21)),
        carried: Bucket::new(mbs(386.52), 0),
        ..Default::default()
    };
    assert_eq!(
        render("cmcc-data-2017-anhui", &f),
        "【免费送1G】安徽移动手厅新用户见面送壕礼，点击 ah.10086.cn/dt/khd 。\n您好！截至04月24日17时10分，您本月已使用移动数据流量1G241.21M，套餐内流量剩余2G386.52M，其中国内流量剩余2G386.52M(含国内\n结转流量386.52M)。\n回复序号办理:\n661.流量包\n662.流量加油包\n663.夜间流量包\n664.季包/半年包\n665.假日流量包\n667.国内流量小时包\n668.查询共享明细\n669.查询上月结转流量\n660.查询特殊流量\n【中国移动】"
    );
}

#[test]
fn cmcc_2017_shanghai_drops_trailing_zeros() {
    // 908.976 MB total, 37.574 MB used: the remainder rounds to 871.40,
    // printed "871.4M" as in the sample.
    let f = Figures {
        now: at(2017, 7, 11, 16, 34),
        general: Bucket::new(mbs(908.976), mbs(37.574)),
        ..Default::default()
    };
    assert_eq!(
        render("cmcc-data-2017-shanghai", &f),
        "【流量提醒】截止7月11日16时34分，本月您已使用的国内流量情况如下：国内通用流量共908.98M，已使用37.57M，还剩余871.4M。回复6606给流量加油，资费更优惠！具体流量资源有效期详见掌厅【中国移动】"
    );
}

#[test]
fn cmcc_2018_balance_and_data() {
    let f = Figures {
        now: at(2018, 7, 5, 10, 22),
        star: "三星级".into(),
        balance_fen: 14936,
        spent_fen: 6000,
        general: Bucket::new(mbs(10239.98), mbs(0.01)),
        ..Default::default()
    };
    assert_eq!(
        render("cmcc-balance-2018", &f),
        "尊敬的三星级客户，您好！截止2018年07月05日10时22分，您的话费余额为149.36元，当月话费60.00元。本月共有数据流量9GB1023.98MB，已使用0.01MB，剩余9GB1023.97MB;以上消费信息仅供参考，详情以月结账单为准。更多流量优惠套餐戳我http://dx.10086.cn/IVR8611办理。更多信息回复对应序号查询（回复免费）：1.话费账单及积分查询；2.流量套餐使用情况查询；…6.主资费信息查询。（…）【中国移动】"
    );
}

#[test]
fn cmcc_2019_masked_sign_off() {
    let f = Figures {
        now: at(2019, 9, 27, 9, 38),
        general: Bucket::new(gbs(7.51), gbs(7.51) - gbs(1.50)),
        ..Default::default()
    };
    // The source blanked one character of the sign-off (【中国X动】).
    let sample = "您好！您本月国内通用流量共7.51GB,截至19年9月27日9时38分，剩余1.50GB。【中国X动】";
    assert_eq!(
        render("cmcc-data-2019", &f),
        sample.replace("中国X动", "中国移动")
    );
}

const CMCC_2021_TAIL: &str = "感谢您使用流量查询服务。查询结果仅供参考，实际收费请以账单为准。使用“北京移动”客户端，随时查账单、查话费。下载地址：http://hfx.net/i/W63Wz 。【中国移动】";

#[test]
fn cmcc_2021_beijing_both_samples() {
    let f = Figures {
        now: at(2021, 1, 4, 9, 47),
        general: Bucket::new(gbs(17.53) + gbs(2.66), gbs(2.66)),
        dedicated: Bucket::new(gbs(10.0), 0),
        ..Default::default()
    };
    assert_eq!(
        render("cmcc-data-2021-beijing", &f),
        format!("【流量查询】尊敬的客户您好，截至到2021年01月04日09时47分，您本月各类型流量剩余情况：\n1.国内通用流量剩余17.53GB（含上月结转国内通用流量0MB），专属流量（限指定APP或地点使用）剩余10.00GB；\n2.流量总量情况：已使用移动数据流量2.66GB，流量剩余27.53GB，{CMCC_2021_TAIL}")
    );
    let f = Figures {
        now: at(2021, 1, 27, 16, 42),
        general: Bucket::new(mbs(10.0), 0),
        carried: Bucket::new(mbs(10.0), 0),
        dedicated: Bucket::new(gbs(10.0), 0),
        ..Default::default()
    };
    assert_eq!(
        render("cmcc-data-2021-beijing", &f),
        format!("【流量查询】尊敬的客户您好，截至到2021年01月27日16时42分，您本月各类型流量剩余情况：\n1.国内通用流量剩余20.00MB（含上月结转国内通用流量10.00MB），专属流量（限指定APP或地点使用）剩余10.00GB；\n2.流量总量情况：已使用移动数据流量0MB，流量剩余10.02GB，{CMCC_2021_TAIL}")
    );
}

/// The 2021 Mobile PDU pair, joined.
pub const CMCC_2021_PDU: &str = "尊敬的13423853304客户，截至25日18时20分，您当月常用流量已用0.00M，可用0，以上信息可能存在延时，具体以详单为准。如需查看更多详情您可登录 http://dx.10086.cn/qEeHBA ，方便更快捷。【中国移动】";

#[test]
fn cmcc_2021_pdu() {
    let f = Figures {
        now: at(2021, 3, 25, 18, 20),
        msisdn: "13423853304".into(),
        ..Default::default()
    };
    assert_eq!(render("cmcc-data-2021-common", &f), CMCC_2021_PDU);
}

#[test]
fn cmcc_2025_remaining() {
    let f = Figures {
        now: at(2025, 6, 1, 12, 0),
        general: Bucket::new(gbs(20.0), gbs(5.77)),
        ..Default::default()
    };
    assert_eq!(
        render("cmcc-data-2025-remaining", &f),
        "【剩余流量查询】尊敬的客户，您好！您本月套餐内流量共20G，已使用5.77G。目前国内通用流量剩余14.23G。\n1、如需了解本机套餐余量、账单及已开通业务等详情，请点击 https://dx.10086.cn/A/Example?sid=DESENSITIZED 。【中国移动】"
    );
}

#[test]
fn cucc_3g_era_in_kb() {
    let kb = |n: u64| n * 1024;
    let item = |p: &str, l: &str, unit: ItemUnit, total, used| Item {
        package: p.into(),
        label: l.into(),
        unit,
        total,
        used,
    };
    let f = Figures {
        items: vec![
            item(
                "3G赠送流量1G",
                "3G套餐内流量",
                ItemUnit::Kb,
                kb(1_048_576),
                kb(40079),
            ),
            item(
                "WCDMA(3G)-66元基本套餐B",
                "3G语音",
                ItemUnit::Minutes,
                200,
                126,
            ),
            item("", "可视电话", ItemUnit::Minutes, 10, 0),
            item("", "3G套餐内流量", ItemUnit::Kb, kb(61440), kb(61440)),
            item("", "M值", ItemUnit::Count("M".into()), 6, 0),
            item("", "T值", ItemUnit::Count("T".into()), 10, 0),
            item(
                "3G国内流量10元包100M",
                "3G国内流量",
                ItemUnit::Kb,
                kb(102_400),
                kb(102_400),
            ),
        ],
        ..Default::default()
    };
    assert_eq!(
        render("cucc-package-2014", &f),
        "截止当前，您的3G赠送流量1G的3G套餐内流量1048576KB,已使用40079KB,剩余1008497KB;WCDMA(3G)-66元基本套餐B的3G语音200分钟,已使用126分钟,剩余74分钟;可视电话10分钟,已使用0分钟,剩余10分钟;3G套餐内流量61440KB,已使用61440KB,剩余0KB;M值6M,已使用0M,剩余6M;T值10T,已使用0T,剩余10T;3G国内流量10元包100M的3G国内流量102400KB,已使用102400KB,剩余0KB;通信费用请以帐详单为准。 【买4G就上10010.com】"
    );
}

#[test]
fn cucc_2017_cxll_paragraph() {
    let f = Figures {
        now: at(2017, 3, 22, 16, 5),
        msisdn: "18600000029".into(),
        general: Bucket::new(mbs(100.0), 0),
        carried: Bucket::new(mbs(100.0), mbs(15.35)),
        ..Default::default()
    };
    assert_eq!(
        render("cucc-data-2017", &f),
        "尊敬的用户：截止2017年03月22日16时，您手机尾数0029的号码本月产生的总流量（不含国际及港澳台)15.35MB。主要流量包使用情况如下：“【主套餐国内流量】”100MB，已用0MB，剩余100MB；“上月主套餐结转流量”,已用15.35MB，剩余84.65MB；套餐外收费流量（不含国际及港澳台）0MB。实际以出帐为准。安装【手机营业厅】客户端，流量包详情随时查，使用便捷、展示清晰，点击下载 http://u.10010.cn/dxyyt 。【玩4G就上 m.10010.com】"
    );
}

#[test]
fn cucc_1071_2017() {
    let f = Figures {
        now: at(2017, 5, 10, 9, 0),
        general: Bucket::new(mbs(1224.83) + mbs(311.18), mbs(1224.83)),
        ..Default::default()
    };
    assert_eq!(
        render("cucc-list-2017", &f),
        "尊敬的用户，截止到2017年05月10日\n 本月已使用流量（不含免费流量） 1224.83MB\n 本月产生的总流量（含免费流量） 1224.83MB\n 套餐内流量 1224.83MB\n 套餐内剩余流量 311.18MB\n 本数据仅供参考，详情以当地营业厅查询为准。\n 回复“5083”，查看流量半年包余量。\n 回复“2082”，查看套餐余量。\n 【发短信太麻烦？使用手机营业厅，查询、交费、办理更简单！下载点击：http://u.10010.cn/khddx 】"
    );
}

#[test]
fn cucc_1071_2020() {
    let f = Figures {
        now: at(2020, 7, 16, 9, 0),
        ..Default::default()
    };
    assert_eq!(
        render("cucc-list-2020", &f),
        "尊敬的用户，截止到2020年07月16日\n 本月已使用流量（不含免费流量） 0.00MB\n 本月产生的总流量（含免费流量） 0.00MB\n 套餐内已使用流量 0.00MB\n 套餐内剩余流量 0.00MB\n 本数据仅供参考，详情以当地营业厅查询为准。\n 回复“5083”，查看流量半年包余量。\n 回复“2082”，查看套餐余量。\n 【抗击疫情，服务不停！使用手机营业厅，足不出户交话费、查余额、办业务，免流量看电影、玩游戏，点击 http://u.10010.cn/khddx ，马上拥有】"
    );
    // The partly quoted 2020 reply (dwsoft Analysis_LT): its four lines.
    let f = Figures {
        now: at(2020, 7, 16, 9, 0),
        general: Bucket::new(mbs(2635.85) + mbs(2584.16), mbs(2635.85)),
        carried: Bucket::new(mbs(15.80), 0),
        ..Default::default()
    };
    let text = render("cucc-list-2020", &f);
    for line in [
        " 套餐内已使用流量 2635.85MB\n",
        " 套餐内剩余流量 2584.16MB\n",
        " 结转流量使用 0.00MB\n",
        " 结转剩余流量 15.80MB\n",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
}

/// The 2021 Unicom PDU quartet, joined.
pub const CUCC_2021_PDU: &str = "尊敬的用户，截至当前，您的流量使用情况如下：\r\n -当月免费流量51.55MB\r\n -当月套餐外流量情况\r\n 国内日租宝\r\n 已使用70.00MB\r\n \r\n 本数据仅供参考，可下载手机营业厅查询详细情况。\r\n 回复“5083”，查看流量半年包余量。\r\n 回复“2082”，查看当前套餐余量。\r\n 【抗击疫情，服务不停！使用手机营业厅，足不出户交话费、查余额、办业务，免流量看电影、玩游戏，点击 http://u.10010.cn/khddx ，马上拥有】";

#[test]
fn cucc_2021_pdu() {
    let f = Figures {
        now: at(2021, 3, 25, 15, 36),
        free_used: mbs(51.55),
        outside: vec![("国内日租宝".into(), mbs(70.0))],
        ..Default::default()
    };
    assert_eq!(render("cucc-list-2021", &f), CUCC_2021_PDU);
}

#[test]
fn cucc_2020_menu() {
    assert_eq!(
        render("cucc-help-2020", &Figures::default()),
        "尊敬的用户，您可以直接回复指令进行业务查询或办理：\n 00：手机上网流量查询\n 01：账户余额\n 02：实时话费\n 03：常用办理业务\n 04：常用查询业务\n 05：充值卡充值\n 【抗击疫情，服务不停！使用中国联通APP，…点击 http://u.10010.cn/khddx ，马上拥有】"
    );
}

#[test]
fn ctcc_2020_itemised_integer_m() {
    let f = Figures {
        msisdn: "18943921627".into(),
        plan_code: "92001006".into(),
        plan_name: "电信畅享99元20G套餐(升级版)".into(),
        voice: Bucket::new(300, 0),
        general: Bucket::new(gbs(20.0), mbs(10604.0)),
        ..Default::default()
    };
    assert_eq!(
        render("ctcc-data-2020", &f),
        "尊敬的手机号码为18943921627的用户，您使用的套餐是[92001006]电信畅享99元20G套餐(升级版)，当月套餐内包含：1.国内通话时长，总计：300分钟，已使用：0分钟，剩余：300分钟；2.国内流量，总计：20480M，已使用：10604M，剩余：9876M；详情请咨询10000。"
    );
}

/// The 2021 Telecom enterprise PDUs.
pub const CTCC_2021_DATA: &str =
    "尊敬的深*市*泽*业*理*限*司客户：您当前已使用流量总量36.28GB；详细套餐流量使用情况可回复“702”查询。";
pub const CTCC_2021_BALANCE: &str = "尊敬的深*市*泽*业*理*限*司客户：截止至2月28日，您的手机账户本月可用余额为0.00元，预存费用余额为0.00，赠送费用余额为0.00。感谢您的使用！";

#[test]
fn ctcc_2021_enterprise_masked_greeting() {
    let f = Figures {
        now: at(2021, 3, 25, 18, 0),
        customer: ENTERPRISE.into(),
        general: Bucket::new(gbs(40.0), gbs(36.28)),
        ..Default::default()
    };
    assert_eq!(render("ctcc-data-2021-enterprise", &f), CTCC_2021_DATA);
    assert_eq!(
        render("ctcc-balance-2021-enterprise", &f),
        CTCC_2021_BALANCE
    );
}

#[test]
fn ctcc_2025_henan_balance() {
    let tail = " 查询结果仅供参考，实际费用以出账单为准。更多服务请微信关注【河南电信】公众号，或下载欢go客户端( http://a.189.cn/JJTh4u )。";
    for (now, fen, head) in [
        (
            at(2025, 9, 22, 10, 12),
            6440,
            "截止到2025年09月22日10时，本机可用余额:64.4元，帐户余额:64.4,欠费:0.0元",
        ),
        (
            at(2025, 11, 11, 11, 3),
            4540,
            "截止到2025年11月11日11时，本机可用余额:45.4元，帐户余额:45.4,欠费:0.0元",
        ),
    ] {
        let f = Figures {
            now,
            balance_fen: fen,
            ..Default::default()
        };
        assert_eq!(
            render("ctcc-balance-2025-henan", &f),
            format!("{head}{tail}")
        );
    }
}

#[test]
fn ctcc_2025_zhejiang_balance() {
    let text = |d: &str, spent: &str, left: &str| {
        format!("尊敬的用户：截至{d}，您的账户使用情况如下：\n本月消费：{spent}元\n可用余额：{left}元\n仅供参考，实际费用以出账账单为准。更多详情点击：http://a.189.cn/IRAYnu 进入“中国电信”APP。也可关注“浙江电信”微信公众号进行快速查询：https://qy.k189.cn/hfcx?source=dt")
    };
    for (now, spent, left, expect) in [
        (
            at(2025, 10, 15, 20, 14),
            1761,
            2883,
            text("10月15日20时14分", "17.61", "28.83"),
        ),
        (
            at(2025, 11, 13, 16, 42),
            1560,
            2184,
            text("11月13日16时42分", "15.60", "21.84"),
        ),
        // The later reply of the same day: minute not zero-padded.
        (
            at(2025, 11, 13, 17, 6),
            1560,
            2184,
            text("11月13日17时6分", "15.60", "21.84"),
        ),
    ] {
        let f = Figures {
            now,
            spent_fen: spent,
            balance_fen: left,
            ..Default::default()
        };
        assert_eq!(render("ctcc-balance-2025-zhejiang", &f), expect);
    }
}

#[test]
fn selection_by_year_and_province_and_defaults() {
    assert_eq!(
        find(Carrier::Cmcc, "data", Some(2017), Some("Anhui")).map(|f| f.id),
        Some("cmcc-data-2017-anhui")
    );
    assert_eq!(
        find(Carrier::Cmcc, "data", Some(2017), None).map(|f| f.id),
        Some("cmcc-data-2017-shanghai")
    );
    assert_eq!(
        find(Carrier::Ctcc, "balance", None, Some("henan")).map(|f| f.id),
        Some("ctcc-balance-2025-henan")
    );
    assert!(find(Carrier::Cucc, "data", Some(1999), None).is_none());
    assert_eq!(
        default_form(Carrier::Cucc, "1071", "data").id,
        "cucc-list-2020"
    );
    assert_eq!(
        default_form(Carrier::Cmcc, "CXLL", "data").id,
        "cmcc-data-2021-beijing"
    );
    assert_eq!(
        default_form(Carrier::Ctcc, "102", "balance").id,
        "ctcc-balance-2025-zhejiang"
    );
    // Every form has a unique id and a source.
    let mut ids: Vec<_> = FORMS.iter().map(|f| f.id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), FORMS.len());
    assert!(FORMS.iter().all(|f| !f.source.is_empty()));
}
