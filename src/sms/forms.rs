//! The reply forms the carriers' service numbers really send, one per
//! public sample (2014–2025), each rendered from a card's live figures.
//! Wording differs by carrier, query word, year and province, so every form
//! is a selectable variant with its id, year, province and source; the
//! default for each query word is the most recent real form (see
//! `docs/sms.md` for the list and how to select one in the fixture).
//!
//! A form is a function of [`Figures`] (amounts in bytes, minutes and fen,
//! the simulated now), so a test can feed a sample's own numbers and get
//! the sample's text back, adverts, menus and links included.

use jiff::civil::DateTime;
use jiff::{SignedDuration, Timestamp};

use super::format::{self, at, compound, mb, mb_int, trim_zeros, yuan1, yuan2, DataStyle};
use crate::clock::{cycle_start, local};
use crate::domain::billing::LedgerKind;
use crate::domain::{Card, Carrier, Plan};

/// An allowance and what was used of it (bytes, or minutes for voice).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bucket {
    pub total: u64,
    pub used: u64,
}

impl Bucket {
    pub fn new(total: u64, used: u64) -> Bucket {
        Bucket { total, used }
    }
    /// What is left (never negative).
    pub fn remain(&self) -> u64 {
        self.total.saturating_sub(self.used)
    }
    /// Use counted inside the allowance.
    pub fn used_within(&self) -> u64 {
        self.used.min(self.total)
    }
    /// Use beyond the allowance.
    pub fn over(&self) -> u64 {
        self.used.saturating_sub(self.total)
    }
    fn plus(self, o: Bucket) -> Bucket {
        Bucket::new(self.total + o.total, self.used + o.used)
    }
}

/// The unit of one line of an itemised (package-by-package) reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ItemUnit {
    /// Amounts in bytes, printed in whole KB (Unicom 3G era).
    Kb,
    /// Minutes (`分钟`).
    Minutes,
    /// A plain count with the given unit (`M` for M值, `T` for T值).
    Count(String),
}

/// One line of an itemised reply: `<package>的<label><total>,已使用…,剩余…;`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// Printed as `<package>的` before the label; empty = continues the
    /// previous package.
    pub package: String,
    pub label: String,
    pub unit: ItemUnit,
    pub total: u64,
    pub used: u64,
}

/// Everything a reply form may print, at the simulated now.
#[derive(Clone, Debug, Default)]
pub struct Figures {
    pub now: Timestamp,
    pub msisdn: String,
    /// National general data (国内通用), not counting the carried-over part.
    pub general: Bucket,
    /// Data carried over from last month (结转).
    pub carried: Bucket,
    /// Dedicated data (专属 / 定向: named apps or places).
    pub dedicated: Bucket,
    /// Local (本地) and local 4G data (Mobile 2015 Beijing).
    pub local: Bucket,
    pub local_4g: Bucket,
    /// Of all data used, what went over 3G (Mobile 2017 Zhejiang).
    pub used_3g: u64,
    /// Free data used (免费流量, not counted against any allowance).
    pub free_used: u64,
    /// Packages outside the plan and what they used (套餐外).
    pub outside: Vec<(String, u64)>,
    /// Voice minutes.
    pub voice: Bucket,
    pub balance_fen: i64,
    /// Spent this month (本月消费 / 当月话费).
    pub spent_fen: i64,
    pub plan_name: String,
    pub plan_code: String,
    /// The enterprise customer's name (Telecom masks it in the greeting).
    pub customer: String,
    /// Mobile's customer grade (`三星级`), empty when not known.
    pub star: String,
    /// Explicit package lines; empty = derived from the buckets.
    pub items: Vec<Item>,
}

impl Figures {
    /// The figures of a live card: the data quota (its own or its pool's,
    /// as `engine::quota_of` gives), voice, balance, this cycle's charges.
    pub fn of_card(
        card: &Card,
        plan: &Plan,
        quota: &crate::domain::usage::Quota,
        customer: &str,
        now: Timestamp,
    ) -> Figures {
        let start = cycle_start(card.cycle);
        let spent: i64 = card
            .ledger
            .iter()
            .filter(|e| e.time >= start && e.amount_fen < 0 && e.kind != LedgerKind::Opening)
            .map(|e| -e.amount_fen)
            .sum();
        Figures {
            now,
            msisdn: card.msisdn.to_string(),
            general: Bucket::new(quota.allowance, quota.used),
            voice: Bucket::new(
                plan.voice_seconds as u64 / 60,
                (card.usage.voice_seconds as u64).div_ceil(60),
            ),
            balance_fen: card.balance_fen,
            spent_fen: spent,
            plan_name: plan.name.clone(),
            plan_code: if plan.offer_id.is_empty() {
                plan.id.to_string()
            } else {
                plan.offer_id.to_string()
            },
            customer: customer.to_string(),
            star: card.attrs.get("sms.star").cloned().unwrap_or_default(),
            ..Figures::default()
        }
    }

    /// General data including the carried-over part (国内通用 as Mobile
    /// prints it: "剩余X（含上月结转Y）").
    fn national(&self) -> Bucket {
        self.general.plus(self.carried)
    }
    /// Every bucket counted in "套餐内".
    fn all(&self) -> Bucket {
        self.national()
            .plus(self.dedicated)
            .plus(self.local)
            .plus(self.local_4g)
    }
    /// In-plan buckets without the carried-over part (Unicom lists).
    fn plan_buckets(&self) -> [Bucket; 4] {
        [self.general, self.dedicated, self.local, self.local_4g]
    }
    fn remain_all(&self) -> u64 {
        [self.national(), self.dedicated, self.local, self.local_4g]
            .iter()
            .map(Bucket::remain)
            .sum()
    }
    fn used_all(&self) -> u64 {
        self.all().used
    }
}

/// How trustworthy a form's text is (the spec's tags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Evidence {
    /// A reply someone received, shown in full.
    Real,
    /// Real, but the source blanked a part (a link, a sign-off).
    Masked,
    /// Wording worked out from a parser or a carrier template; the parts the
    /// source leaves open stay as the source writes them.
    Shape,
    /// Made up for the simulator (no public sample).
    Synthetic,
}

impl Evidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Evidence::Real => "real",
            Evidence::Masked => "real, masked",
            Evidence::Shape => "shape",
            Evidence::Synthetic => "synthetic",
        }
    }
}

/// How a form is rendered.
#[derive(Clone, Copy)]
pub enum Render {
    /// A real form.
    Text(fn(&Figures) -> String),
    /// One of the simulator's own templates (`replies.rs`), by name.
    Template(&'static str),
}

/// One reply form.
#[derive(Clone, Copy)]
pub struct Form {
    pub id: &'static str,
    pub carrier: Carrier,
    /// What it answers: `data`, `usage_list`, `package_balance`, `balance`,
    /// `package`, `help`, `app_link`.
    pub family: &'static str,
    pub year: u16,
    /// Province in lower-case pinyin; empty = not tied to one.
    pub province: &'static str,
    pub evidence: Evidence,
    /// Where the text comes from (public repository / file).
    pub source: &'static str,
    pub render: Render,
}

// ------------------------------------------------------------ date patterns

const YMD_HM: &str = "%Y年%m月%d日%H时%M分";
const MD_HM: &str = "%m月%d日%H时%M分";
const MD_HM_UNPADDED: &str = "%-m月%-d日%-H时%-M分";
const D_HM: &str = "%d日%H时%M分";

// ------------------------------------------------------------ data styles

/// Mobile 2021: 2 decimals, GB from 1024 MB, zero as `0MB`.
const CMCC_2021: DataStyle = DataStyle {
    zero: Some("0MB"),
    ..DataStyle::MB_GB_2
};
/// Java `#.##` with bare units, MB only (`871.4M`).
const TRIM_M: DataStyle = DataStyle {
    decimals: 2,
    trim: true,
    mb: "M",
    gb: "G",
    switch: false,
    zero: None,
};
/// Java `#.##`, MB only with `MB` (Unicom 2017 paragraph: `100MB`, `0MB`).
const TRIM_MB: DataStyle = DataStyle {
    mb: "MB",
    gb: "GB",
    ..TRIM_M
};
/// Java `#.##`, GB above 1024 MB (Shandong template).
const TRIM_MB_GB: DataStyle = DataStyle {
    switch: true,
    ..TRIM_MB
};
/// `#.##` with bare units, G from 1024 M (Telecom itemised: `10G`, `46G`).
const TRIM_M_G: DataStyle = DataStyle {
    switch: true,
    ..TRIM_M
};

/// Mobile 2014–15: MB with one or two decimals (Java `0.0#`: `0.0`, `804.85`).
fn mb_0_0h(bytes: u64) -> String {
    let s = mb(bytes, 2);
    let s = s.strip_suffix('0').map(str::to_string).unwrap_or(s);
    format!("{s}MB")
}

/// Always in GB, 2 decimals at most, zeros dropped (`20G`, `5.77G`).
fn g_trim(bytes: u64) -> String {
    format!("{}G", trim_zeros(&format::gb(bytes, 2)))
}

/// A company name masked every other character, as Telecom prints an
/// enterprise customer (`深*市*泽*…`).
pub fn mask_name(name: &str) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| if i % 2 == 1 { '*' } else { c })
        .collect()
}

/// The last day of the month before `now` (Telecom 2021 enterprise balance:
/// a reply on 25 March reads "截止至2月28日").
fn end_of_last_month(now: Timestamp) -> String {
    let t = local(now);
    let first = DateTime::new(t.year(), t.month(), 1, 0, 0, 0, 0).unwrap_or(t);
    let prev = crate::clock::from_local(first)
        .checked_sub(SignedDuration::from_secs(1))
        .unwrap_or(now);
    at(prev, "%-m月%-d日")
}

// ------------------------------------------------------------ China Mobile

fn cmcc_data_2014(f: &Figures) -> String {
    format!(
        "您好！截至到{}，您已使用数据流量{}，套餐内剩余流量{}，感谢您使用流量查询服务。中国移动",
        at(f.now, YMD_HM),
        mb_0_0h(f.used_all()),
        mb_0_0h(f.remain_all())
    )
}

fn cmcc_data_2015_beijing(f: &Figures) -> String {
    format!(
        "您好！截至到{}，您已使用数据流量{}，套餐内剩余流量{}，其中：国内通用流量剩余{}，本地流量剩余{}，本地4G流量剩余{}，感谢您使用流量查询服务。查流量，就用“北京移动”手机客户端。点击下载： http://mobilebj.cn/?c=120/ 中国移动",
        at(f.now, YMD_HM),
        mb_0_0h(f.used_all()),
        mb_0_0h(f.remain_all()),
        mb_0_0h(f.national().remain()),
        mb_0_0h(f.local.remain()),
        mb_0_0h(f.local_4g.remain()),
    )
}

fn cmcc_data_2017_zhejiang(f: &Figures) -> String {
    let s = DataStyle::MB_2;
    let n = f.national();
    format!(
        "截至{}，您本月您实际使用总流量{}，其中3G(TD)流量{}，其中4G(TD_LTE)流量{}，各流量套餐具体使用情况如下：{}，共包含本地通用流量{}，已使用{}，剩余{}；如需变更为其他移动数据流量套餐请在3分钟内直接回复Y。【中国移动】",
        at(f.now, D_HM),
        s.show(f.used_all()),
        s.show(f.used_3g),
        s.show(f.used_all().saturating_sub(f.used_3g)),
        f.plan_name,
        s.show(n.total),
        s.show(n.used),
        s.show(n.remain()),
    )
}

fn cmcc_data_2017_anhui(f: &Figures) -> String {
    let c = |b| compound(b, "G", "M");
    format!(
        "【免费送1G】安徽移动手厅新用户见面送壕礼，点击 ah.10086.cn/dt/khd 。\n您好！截至{}，您本月已使用移动数据流量{}，套餐内流量剩余{}，其中国内流量剩余{}(含国内\n结转流量{})。\n回复序号办理:\n661.流量包\n662.流量加油包\n663.夜间流量包\n664.季包/半年包\n665.假日流量包\n667.国内流量小时包\n668.查询共享明细\n669.查询上月结转流量\n660.查询特殊流量\n【中国移动】",
        at(f.now, MD_HM),
        c(f.used_all()),
        c(f.remain_all()),
        c(f.national().remain()),
        c(f.carried.remain()),
    )
}

fn cmcc_data_2017_shanghai(f: &Figures) -> String {
    let n = f.national();
    format!(
        "【流量提醒】截止{}，本月您已使用的国内流量情况如下：国内通用流量共{}，已使用{}，还剩余{}。回复6606给流量加油，资费更优惠！具体流量资源有效期详见掌厅【中国移动】",
        at(f.now, MD_HM_UNPADDED),
        TRIM_M.show(n.total),
        TRIM_M.show(n.used),
        TRIM_M.show(n.remain()),
    )
}

fn cmcc_balance_2018(f: &Figures) -> String {
    let c = |b| compound(b, "GB", "MB");
    let all = f.all();
    format!(
        "尊敬的{}客户，您好！截止{}，您的话费余额为{}元，当月话费{}元。本月共有数据流量{}，已使用{}，剩余{};以上消费信息仅供参考，详情以月结账单为准。更多流量优惠套餐戳我http://dx.10086.cn/IVR8611办理。更多信息回复对应序号查询（回复免费）：1.话费账单及积分查询；2.流量套餐使用情况查询；…6.主资费信息查询。（…）【中国移动】",
        f.star,
        at(f.now, YMD_HM),
        yuan2(f.balance_fen),
        yuan2(f.spent_fen),
        c(all.total),
        c(all.used),
        c(f.remain_all()),
    )
}

fn cmcc_data_2019(f: &Figures) -> String {
    let n = f.national();
    format!(
        "您好！您本月国内通用流量共{},截至{}，剩余{}。【中国移动】",
        DataStyle::MB_GB_2.show(n.total),
        at(f.now, "%y年%-m月%-d日%-H时%-M分"),
        DataStyle::MB_GB_2.show(n.remain()),
    )
}

fn cmcc_data_2021_beijing(f: &Figures) -> String {
    let z = |b| CMCC_2021.show(b);
    format!(
        "【流量查询】尊敬的客户您好，截至到{}，您本月各类型流量剩余情况：\n1.国内通用流量剩余{}（含上月结转国内通用流量{}），专属流量（限指定APP或地点使用）剩余{}；\n2.流量总量情况：已使用移动数据流量{}，流量剩余{}，感谢您使用流量查询服务。查询结果仅供参考，实际收费请以账单为准。使用“北京移动”客户端，随时查账单、查话费。下载地址：http://hfx.net/i/W63Wz 。【中国移动】",
        at(f.now, YMD_HM),
        z(f.national().remain()),
        z(f.carried.remain()),
        z(f.dedicated.remain()),
        z(f.used_all()),
        z(f.remain_all()),
    )
}

fn cmcc_data_2021_common(f: &Figures) -> String {
    let n = f.national();
    let left = if n.remain() == 0 {
        "0".to_string()
    } else {
        format!("{}M", mb(n.remain(), 2))
    };
    format!(
        "尊敬的{}客户，截至{}，您当月常用流量已用{}M，可用{}，以上信息可能存在延时，具体以详单为准。如需查看更多详情您可登录 http://dx.10086.cn/qEeHBA ，方便更快捷。【中国移动】",
        f.msisdn,
        at(f.now, D_HM),
        mb(n.used, 2),
        left,
    )
}

fn cmcc_data_2025_reminder(f: &Figures) -> String {
    let n = f.national();
    format!(
        "【温馨提醒】尊敬的客户,您好!【流量查询】您好!截至{},您本月国内通用流量共{}GB,剩余{}GB。所有流量资源使用详情,点击 http://dx.10086.cn/… 查询。 点击 https://dx.10086.cn/… 签到享好礼!流量话费等你来领,签满N次还可抽N元话费!【中国移动】",
        at(f.now, MD_HM_UNPADDED),
        trim_zeros(&format::gb(n.total, 2)),
        format::gb(n.remain(), 2),
    )
}

fn cmcc_data_2025_remaining(f: &Figures) -> String {
    let all = f.all();
    format!(
        "【剩余流量查询】尊敬的客户，您好！您本月套餐内流量共{}，已使用{}。目前国内通用流量剩余{}。\n1、如需了解本机套餐余量、账单及已开通业务等详情，请点击 https://dx.10086.cn/A/Example?sid=DESENSITIZED 。【中国移动】",
        g_trim(all.total),
        g_trim(all.used),
        g_trim(f.national().remain()),
    )
}

fn cmcc_package_shandong(f: &Figures) -> String {
    let s = TRIM_MB_GB;
    format!(
        "【套餐余量信息】尊敬的客户，您好！以下是截至{}套餐具体使用情况：\r\n【上网套餐】：\r\n（1）国内通用流量共{}，已用{}，剩余{}，上月结转流量{}，剩余{}；\r\n【中国移动】",
        at(f.now, "%m月%d日%H时"),
        s.show(f.general.total),
        s.show(f.general.used),
        s.show(f.general.remain()),
        s.show(f.carried.total),
        s.show(f.carried.remain()),
    )
}

fn cmcc_balance_shandong(f: &Figures) -> String {
    let y = |fen: i64| trim_zeros(&yuan2(fen));
    format!(
        "【话费余额信息】尊敬的客户，您好！截至{}，您的话费余额{}元，本月累计消费{}元。【中国移动】",
        at(f.now, "%m月%d日%H时"),
        y(f.balance_fen),
        y(f.spent_fen),
    )
}

fn cmcc_app_link(_: &Figures) -> String {
    "尊敬的客户，您好！所有流量资源使用详情，请登录中国移动APP https://dx.10086.cn/A/RhasHA 查询。【中国移动】"
        .to_string()
}

// ------------------------------------------------------------ China Unicom

const CUCC_CLOSE_2017: &str = " 本数据仅供参考，详情以当地营业厅查询为准。\n 回复“5083”，查看流量半年包余量。\n 回复“2082”，查看套餐余量。\n 【发短信太麻烦？使用手机营业厅，查询、交费、办理更简单！下载点击：http://u.10010.cn/khddx 】";
const CUCC_CLOSE_2020: &str = " 本数据仅供参考，详情以当地营业厅查询为准。\n 回复“5083”，查看流量半年包余量。\n 回复“2082”，查看套餐余量。\n 【抗击疫情，服务不停！使用手机营业厅，足不出户交话费、查余额、办业务，免流量看电影、玩游戏，点击 http://u.10010.cn/khddx ，马上拥有】";

fn plan_used(f: &Figures) -> u64 {
    f.plan_buckets().iter().map(Bucket::used_within).sum()
}
fn plan_remain(f: &Figures) -> u64 {
    f.plan_buckets().iter().map(Bucket::remain).sum()
}

fn cucc_data_2017(f: &Figures) -> String {
    let t = |b| TRIM_MB.show(b);
    let last4: String = {
        let d: Vec<char> = f.msisdn.chars().collect();
        d[d.len().saturating_sub(4)..].iter().collect()
    };
    format!(
        "尊敬的用户：截止{}，您手机尾数{}的号码本月产生的总流量（不含国际及港澳台){}。主要流量包使用情况如下：“【主套餐国内流量】”{}，已用{}，剩余{}；“上月主套餐结转流量”,已用{}，剩余{}；套餐外收费流量（不含国际及港澳台）{}。实际以出帐为准。安装【手机营业厅】客户端，流量包详情随时查，使用便捷、展示清晰，点击下载 http://u.10010.cn/dxyyt 。【玩4G就上 m.10010.com】",
        at(f.now, "%Y年%m月%d日%H时"),
        last4,
        t(f.used_all()),
        t(f.general.total),
        t(f.general.used_within()),
        t(f.general.remain()),
        t(f.carried.used_within()),
        t(f.carried.remain()),
        t(f.general.over()),
    )
}

fn cucc_list_2017(f: &Figures) -> String {
    let m = |b| DataStyle::MB_2.show(b);
    format!(
        "尊敬的用户，截止到{}\n 本月已使用流量（不含免费流量） {}\n 本月产生的总流量（含免费流量） {}\n 套餐内流量 {}\n 套餐内剩余流量 {}\n{CUCC_CLOSE_2017}",
        at(f.now, "%Y年%m月%d日"),
        m(f.used_all()),
        m(f.used_all() + f.free_used),
        m(plan_used(f)),
        m(plan_remain(f)),
    )
}

fn cucc_list_2020(f: &Figures) -> String {
    let m = |b| DataStyle::MB_2.show(b);
    let carried = if f.carried.total > 0 {
        format!(
            " 结转流量使用 {}\n 结转剩余流量 {}\n",
            m(f.carried.used_within()),
            m(f.carried.remain())
        )
    } else {
        String::new()
    };
    format!(
        "尊敬的用户，截止到{}\n 本月已使用流量（不含免费流量） {}\n 本月产生的总流量（含免费流量） {}\n 套餐内已使用流量 {}\n 套餐内剩余流量 {}\n{carried}{CUCC_CLOSE_2020}",
        at(f.now, "%Y年%m月%d日"),
        m(f.used_all()),
        m(f.used_all() + f.free_used),
        m(plan_used(f)),
        m(plan_remain(f)),
    )
}

/// What a live card used outside its plan: the named packages, or its
/// overage as one line.
fn outside(f: &Figures) -> Vec<(String, u64)> {
    if !f.outside.is_empty() || f.general.over() == 0 {
        return f.outside.clone();
    }
    vec![("套餐外流量".to_string(), f.general.over())]
}

fn cucc_usage_2021(f: &Figures) -> String {
    let m = |b| DataStyle::MB_2.show(b);
    let mut s = format!(
        "尊敬的用户，截至当前，您的流量使用情况如下：\r\n -当月免费流量{}\r\n -当月套餐外流量情况\r\n ",
        m(f.free_used)
    );
    for (name, used) in outside(f) {
        s.push_str(&format!("{name}\r\n 已使用{}\r\n ", m(used)));
    }
    s.push_str("\r\n 本数据仅供参考，可下载手机营业厅查询详细情况。\r\n 回复“5083”，查看流量半年包余量。\r\n 回复“2082”，查看当前套餐余量。\r\n 【抗击疫情，服务不停！使用手机营业厅，足不出户交话费、查余额、办业务，免流量看电影、玩游戏，点击 http://u.10010.cn/khddx ，马上拥有】");
    s
}

fn cucc_package_3g_2014(f: &Figures) -> String {
    let items = if f.items.is_empty() {
        let mut v = vec![Item {
            package: f.plan_name.clone(),
            label: "3G套餐内流量".into(),
            unit: ItemUnit::Kb,
            total: f.general.total,
            used: f.general.used,
        }];
        if f.voice.total > 0 {
            v.push(Item {
                package: String::new(),
                label: "3G语音".into(),
                unit: ItemUnit::Minutes,
                total: f.voice.total,
                used: f.voice.used,
            });
        }
        v
    } else {
        f.items.clone()
    };
    let mut s = "截止当前，您的".to_string();
    for it in &items {
        let (t, u, unit) = match &it.unit {
            ItemUnit::Kb => (
                format::kb_int(it.total),
                format::kb_int(it.used),
                "KB".to_string(),
            ),
            ItemUnit::Minutes => (it.total, it.used, "分钟".to_string()),
            ItemUnit::Count(u) => (it.total, it.used, u.clone()),
        };
        let owner = if it.package.is_empty() {
            String::new()
        } else {
            format!("{}的", it.package)
        };
        s.push_str(&format!(
            "{owner}{}{t}{unit},已使用{u}{unit},剩余{}{unit};",
            it.label,
            t.saturating_sub(u)
        ));
    }
    s.push_str("通信费用请以帐详单为准。 【买4G就上10010.com】");
    s
}

fn cucc_menu_2020(_: &Figures) -> String {
    "尊敬的用户，您可以直接回复指令进行业务查询或办理：\n 00：手机上网流量查询\n 01：账户余额\n 02：实时话费\n 03：常用办理业务\n 04：常用查询业务\n 05：充值卡充值\n 【抗击疫情，服务不停！使用中国联通APP，…点击 http://u.10010.cn/khddx ，马上拥有】".to_string()
}

fn cucc_app_link(_: &Figures) -> String {
    " 本数据仅供参考，可下载手机营业厅查询详细情况。\n 【使用中国联通APP，查询、交费、办理更简单！点击 http://u.10010.cn/khddx 】"
        .trim_start()
        .to_string()
}

// ------------------------------------------------------------ China Telecom

fn ctcc_data_2020(f: &Figures) -> String {
    let mut n = 0;
    let mut items = String::new();
    if f.voice.total > 0 {
        n += 1;
        items.push_str(&format!(
            "{n}.国内通话时长，总计：{}分钟，已使用：{}分钟，剩余：{}分钟；",
            f.voice.total,
            f.voice.used_within(),
            f.voice.remain()
        ));
    }
    let d = f.national();
    let (t, u) = (mb_int(d.total), mb_int(d.used_within()));
    n += 1;
    items.push_str(&format!(
        "{n}.国内流量，总计：{t}M，已使用：{u}M，剩余：{}M；",
        t.saturating_sub(u)
    ));
    format!(
        "尊敬的手机号码为{}的用户，您使用的套餐是[{}]{}，当月套餐内包含：{items}详情请咨询10000。",
        f.msisdn, f.plan_code, f.plan_name
    )
}

fn ctcc_greeting(f: &Figures) -> String {
    if f.customer.is_empty() {
        "尊敬的客户".to_string()
    } else {
        format!("尊敬的{}客户", mask_name(&f.customer))
    }
}

fn ctcc_data_2021_enterprise(f: &Figures) -> String {
    format!(
        "{}：您当前已使用流量总量{}；详细套餐流量使用情况可回复“702”查询。",
        ctcc_greeting(f),
        DataStyle::MB_GB_2.show(f.used_all())
    )
}

fn ctcc_data_2016(f: &Figures) -> String {
    let d = f.national();
    format!(
        "尊敬的用户：截至{}，您的具体上网流量使用情况如下：\n国内上网流量：总流量{}MB，其中上月结转流量{}MB，还剩余{}MB\n仅供参考…",
        at(f.now, MD_HM),
        mb(d.total, 2),
        mb(f.carried.total, 2),
        mb(d.remain(), 2),
    )
}

fn ctcc_data_itemised(f: &Figures) -> String {
    let g = |b| TRIM_M_G.show(b);
    let mut n = 0;
    let mut s = "[上网流量]\n-国内通用流量\n".to_string();
    if f.carried.total > 0 {
        n += 1;
        s.push_str(&format!(
            "{n}.上月结转/{}，业务类型：手机上网国内流量，总量：{}，剩余量：{}；\n",
            f.plan_name,
            g(f.carried.total),
            g(f.carried.remain())
        ));
    }
    n += 1;
    s.push_str(&format!(
        "{n}.{}，业务类型：手机上网国内流量，总量：{}，剩余量：{}；\n",
        f.plan_name,
        g(f.general.total),
        g(f.general.remain())
    ));
    if f.dedicated.total > 0 {
        n += 1;
        s.push_str(&format!(
            "-国内定向流量\n{n}.{}，业务类型：手机上网国内定向流量，总量：{}，剩余量：{}；\n",
            f.plan_name,
            g(f.dedicated.total),
            g(f.dedicated.remain())
        ));
    }
    if f.voice.total > 0 {
        n += 1;
        s.push_str(&format!(
            "{n}.通话，业务类型：天翼国内通话时长，包含量：{}分钟，剩余量：{}分钟。",
            f.voice.total,
            f.voice.remain()
        ));
    }
    s.push_str("回复指令订购…");
    s
}

fn ctcc_balance_2025_zhejiang(f: &Figures) -> String {
    format!(
        "尊敬的用户：截至{}，您的账户使用情况如下：\n本月消费：{}元\n可用余额：{}元\n仅供参考，实际费用以出账账单为准。更多详情点击：http://a.189.cn/IRAYnu 进入“中国电信”APP。也可关注“浙江电信”微信公众号进行快速查询：https://qy.k189.cn/hfcx?source=dt",
        at(f.now, MD_HM_UNPADDED),
        yuan2(f.spent_fen),
        yuan2(f.balance_fen),
    )
}

fn ctcc_balance_2025_henan(f: &Figures) -> String {
    format!(
        "截止到{}，本机可用余额:{}元，帐户余额:{},欠费:{}元 查询结果仅供参考，实际费用以出账单为准。更多服务请微信关注【河南电信】公众号，或下载欢go客户端( http://a.189.cn/JJTh4u )。",
        at(f.now, "%Y年%m月%d日%H时"),
        yuan1(f.balance_fen.max(0)),
        yuan1(f.balance_fen),
        yuan1((-f.balance_fen).max(0)),
    )
}

fn ctcc_balance_2021_enterprise(f: &Figures) -> String {
    let b = yuan2(f.balance_fen);
    format!(
        "{}：截止至{}，您的手机账户本月可用余额为{b}元，预存费用余额为{b}，赠送费用余额为0.00。感谢您的使用！",
        ctcc_greeting(f),
        end_of_last_month(f.now),
    )
}

fn ctcc_app_link(_: &Figures) -> String {
    "尊敬的用户：更多详情点击：http://a.189.cn/IRAYnu 进入“中国电信”APP。".to_string()
}

// ------------------------------------------------------------ the table

const MM: &str = "XXXXzzzz000/ModemManager src/tests/test-sms-part-3gpp.c (test_askey_pdu_china_*)";

macro_rules! form {
    ($id:literal, $c:ident, $fam:literal, $year:literal, $prov:literal, $ev:ident, $src:expr, $f:expr) => {
        Form {
            id: $id,
            carrier: Carrier::$c,
            family: $fam,
            year: $year,
            province: $prov,
            evidence: Evidence::$ev,
            source: $src,
            render: $f,
        }
    };
}

/// Every form, newest first within a carrier and family (so the first
/// match of a year/province selection is the most recent).
pub static FORMS: &[Form] = &[
    // China Mobile, data
    form!(
        "cmcc-data-2025-remaining",
        Cmcc,
        "data",
        2025,
        "",
        Masked,
        "pixel-text mock list (id 61224376308)",
        Render::Text(cmcc_data_2025_remaining)
    ),
    form!(
        "cmcc-data-2025-reminder",
        Cmcc,
        "data",
        2025,
        "",
        Shape,
        "ProphetMikuP/sms-feishu-forwarder quota.sh (MT5700M)",
        Render::Text(cmcc_data_2025_reminder)
    ),
    form!(
        "cmcc-data-2021-beijing",
        Cmcc,
        "data",
        2021,
        "beijing",
        Real,
        "dwsoft Analysis_YD.java (id 21125523104)",
        Render::Text(cmcc_data_2021_beijing)
    ),
    form!(
        "cmcc-data-2021-common",
        Cmcc,
        "data",
        2021,
        "",
        Real,
        MM,
        Render::Text(cmcc_data_2021_common)
    ),
    form!(
        "cmcc-data-2019",
        Cmcc,
        "data",
        2019,
        "",
        Masked,
        "Java demo (id 28183655577)",
        Render::Text(cmcc_data_2019)
    ),
    form!(
        "cmcc-data-2017-shanghai",
        Cmcc,
        "data",
        2017,
        "shanghai",
        Real,
        "id 35999766213",
        Render::Text(cmcc_data_2017_shanghai)
    ),
    form!(
        "cmcc-data-2017-anhui",
        Cmcc,
        "data",
        2017,
        "anhui",
        Real,
        "id 35999766213",
        Render::Text(cmcc_data_2017_anhui)
    ),
    form!(
        "cmcc-data-2017-zhejiang",
        Cmcc,
        "data",
        2017,
        "zhejiang",
        Real,
        "id 3755354233",
        Render::Text(cmcc_data_2017_zhejiang)
    ),
    form!(
        "cmcc-data-2015-beijing",
        Cmcc,
        "data",
        2015,
        "beijing",
        Real,
        "id 25265466039",
        Render::Text(cmcc_data_2015_beijing)
    ),
    form!(
        "cmcc-data-2014",
        Cmcc,
        "data",
        2014,
        "",
        Real,
        "spam-classifier test data (id 32558172292)",
        Render::Text(cmcc_data_2014)
    ),
    form!(
        "cmcc-data-sim",
        Cmcc,
        "data",
        0,
        "",
        Synthetic,
        "carrier-sim",
        Render::Template("data")
    ),
    // China Mobile, balance
    form!(
        "cmcc-balance-2018",
        Cmcc,
        "balance",
        2018,
        "",
        Real,
        "id 40332281110 (menu and advert shortened by the source)",
        Render::Text(cmcc_balance_2018)
    ),
    form!(
        "cmcc-balance-shandong",
        Cmcc,
        "balance",
        2017,
        "shandong",
        Shape,
        "Shandong Mobile 10086 templates (id 35963378267)",
        Render::Text(cmcc_balance_shandong)
    ),
    form!(
        "cmcc-balance-sim",
        Cmcc,
        "balance",
        0,
        "",
        Synthetic,
        "carrier-sim",
        Render::Template("balance")
    ),
    // China Mobile, package
    form!(
        "cmcc-package-shandong",
        Cmcc,
        "package",
        2017,
        "shandong",
        Shape,
        "Shandong Mobile 10086 templates (id 36410753156)",
        Render::Text(cmcc_package_shandong)
    ),
    form!(
        "cmcc-package-sim",
        Cmcc,
        "package",
        0,
        "",
        Synthetic,
        "carrier-sim",
        Render::Template("package")
    ),
    form!(
        "cmcc-help-sim",
        Cmcc,
        "help",
        0,
        "",
        Synthetic,
        "carrier-sim",
        Render::Template("help")
    ),
    form!(
        "cmcc-app-link",
        Cmcc,
        "app_link",
        2025,
        "",
        Shape,
        "link of id 69083413525; 4G-Bridge treats link-only replies as no data",
        Render::Text(cmcc_app_link)
    ),
    // China Unicom
    form!(
        "cucc-data-2017",
        Cucc,
        "data",
        2017,
        "",
        Real,
        "id 37486858678",
        Render::Text(cucc_data_2017)
    ),
    form!(
        "cucc-data-sim",
        Cucc,
        "data",
        0,
        "",
        Synthetic,
        "carrier-sim",
        Render::Template("data")
    ),
    form!(
        "cucc-list-2021",
        Cucc,
        "usage_list",
        2021,
        "",
        Real,
        MM,
        Render::Text(cucc_usage_2021)
    ),
    form!(
        "cucc-list-2020",
        Cucc,
        "usage_list",
        2020,
        "",
        Real,
        "id 24084909630; carry-over lines from dwsoft Analysis_LT.java",
        Render::Text(cucc_list_2020)
    ),
    form!(
        "cucc-list-2017",
        Cucc,
        "usage_list",
        2017,
        "",
        Real,
        "id 35999766213",
        Render::Text(cucc_list_2017)
    ),
    form!(
        "cucc-package-2014",
        Cucc,
        "package_balance",
        2014,
        "",
        Real,
        "id 25265466039 (3G era)",
        Render::Text(cucc_package_3g_2014)
    ),
    form!(
        "cucc-balance-sim",
        Cucc,
        "balance",
        0,
        "",
        Synthetic,
        "carrier-sim",
        Render::Template("balance")
    ),
    form!(
        "cucc-package-sim",
        Cucc,
        "package",
        0,
        "",
        Synthetic,
        "carrier-sim",
        Render::Template("package")
    ),
    form!(
        "cucc-help-2020",
        Cucc,
        "help",
        2020,
        "",
        Masked,
        "id 7815197116 (advert shortened by the source)",
        Render::Text(cucc_menu_2020)
    ),
    form!(
        "cucc-help-sim",
        Cucc,
        "help",
        0,
        "",
        Synthetic,
        "carrier-sim",
        Render::Template("help")
    ),
    form!(
        "cucc-app-link",
        Cucc,
        "app_link",
        2021,
        "",
        Shape,
        "closing lines of the 2021 reply (ModemManager fork)",
        Render::Text(cucc_app_link)
    ),
    // China Telecom
    form!(
        "ctcc-data-2021-enterprise",
        Ctcc,
        "data",
        2021,
        "",
        Real,
        MM,
        Render::Text(ctcc_data_2021_enterprise)
    ),
    form!(
        "ctcc-data-2020",
        Ctcc,
        "data",
        2020,
        "",
        Real,
        "dwsoft Analysis_DX.java (id 21369486855)",
        Render::Text(ctcc_data_2020)
    ),
    form!(
        "ctcc-data-itemised",
        Ctcc,
        "data",
        2020,
        "",
        Shape,
        "pameda/4G-Bridge carrier_query.py, tests/test_carrier_budget.py",
        Render::Text(ctcc_data_itemised)
    ),
    form!(
        "ctcc-data-2016",
        Ctcc,
        "data",
        2016,
        "",
        Shape,
        "HITGIF/CarbonylData strings.xml, WatchingService.java",
        Render::Text(ctcc_data_2016)
    ),
    form!(
        "ctcc-data-sim",
        Ctcc,
        "data",
        0,
        "",
        Synthetic,
        "carrier-sim",
        Render::Template("data")
    ),
    form!(
        "ctcc-balance-2025-zhejiang",
        Ctcc,
        "balance",
        2025,
        "zhejiang",
        Real,
        "openLuat/LuatOS demo readmes (ids 35525673601, 35525412774, 35638878043)",
        Render::Text(ctcc_balance_2025_zhejiang)
    ),
    form!(
        "ctcc-balance-2025-henan",
        Ctcc,
        "balance",
        2025,
        "henan",
        Real,
        "openLuat/LuatOS module/Air8000/demo/sms/readme.md (id 35234627585)",
        Render::Text(ctcc_balance_2025_henan)
    ),
    form!(
        "ctcc-balance-2021-enterprise",
        Ctcc,
        "balance",
        2021,
        "",
        Real,
        MM,
        Render::Text(ctcc_balance_2021_enterprise)
    ),
    form!(
        "ctcc-balance-sim",
        Ctcc,
        "balance",
        0,
        "",
        Synthetic,
        "carrier-sim",
        Render::Template("balance")
    ),
    form!(
        "ctcc-package-sim",
        Ctcc,
        "package",
        0,
        "",
        Synthetic,
        "carrier-sim",
        Render::Template("package")
    ),
    form!(
        "ctcc-help-sim",
        Ctcc,
        "help",
        0,
        "",
        Synthetic,
        "carrier-sim",
        Render::Template("help")
    ),
    form!(
        "ctcc-app-link",
        Ctcc,
        "app_link",
        2025,
        "",
        Shape,
        "link of the Zhejiang 2025 reply (LuatOS demo readme)",
        Render::Text(ctcc_app_link)
    ),
];

/// The default form of each query word (the most recent real form the
/// spec has for that word), then of each family.
static DEFAULTS: &[(Carrier, &str, &str)] = &[
    (Carrier::Cmcc, "CXLL", "cmcc-data-2021-beijing"),
    (Carrier::Cmcc, "CXGLL", "cmcc-data-2015-beijing"),
    (Carrier::Cmcc, "data", "cmcc-data-2021-beijing"),
    (Carrier::Cmcc, "balance", "cmcc-balance-2018"),
    (Carrier::Cmcc, "package", "cmcc-package-shandong"),
    (Carrier::Cmcc, "app_link", "cmcc-app-link"),
    (Carrier::Cmcc, "help", "cmcc-help-sim"),
    (Carrier::Cucc, "CXLL", "cucc-data-2017"),
    (Carrier::Cucc, "1071", "cucc-list-2020"),
    (Carrier::Cucc, "00", "cucc-list-2020"),
    (Carrier::Cucc, "2082", "cucc-list-2020"),
    (Carrier::Cucc, "LLCX", "cucc-package-2014"),
    (Carrier::Cucc, "data", "cucc-data-2017"),
    (Carrier::Cucc, "balance", "cucc-balance-sim"),
    (Carrier::Cucc, "package", "cucc-package-sim"),
    (Carrier::Cucc, "app_link", "cucc-app-link"),
    (Carrier::Cucc, "help", "cucc-help-2020"),
    (Carrier::Ctcc, "108", "ctcc-data-2020"),
    (Carrier::Ctcc, "data", "ctcc-data-2020"),
    (Carrier::Ctcc, "102", "ctcc-balance-2025-zhejiang"),
    (Carrier::Ctcc, "balance", "ctcc-balance-2025-zhejiang"),
    (Carrier::Ctcc, "package", "ctcc-package-sim"),
    (Carrier::Ctcc, "app_link", "ctcc-app-link"),
    (Carrier::Ctcc, "help", "ctcc-help-sim"),
];

/// A form by id.
pub fn by_id(id: &str) -> Option<&'static Form> {
    FORMS.iter().find(|f| f.id.eq_ignore_ascii_case(id.trim()))
}

/// The default form for a command word (normalised) or, failing that, for
/// the query family.
pub fn default_form(carrier: Carrier, command: &str, family: &str) -> &'static Form {
    DEFAULTS
        .iter()
        .find(|(c, k, _)| *c == carrier && *k == command)
        .or_else(|| {
            DEFAULTS
                .iter()
                .find(|(c, k, _)| *c == carrier && *k == family)
        })
        .and_then(|(_, _, id)| by_id(id))
        .unwrap_or_else(|| by_id("cmcc-help-sim").expect("in the table"))
}

/// The newest form of a carrier and family matching a year and/or a
/// province (a fixture selection such as `{ year = 2017, province = "anhui" }`).
pub fn find(
    carrier: Carrier,
    family: &str,
    year: Option<u16>,
    province: Option<&str>,
) -> Option<&'static Form> {
    FORMS.iter().find(|f| {
        f.carrier == carrier
            && f.family == family
            && year.is_none_or(|y| f.year == y)
            && province.is_none_or(|p| f.province.eq_ignore_ascii_case(p.trim()))
    })
}

#[cfg(test)]
pub(crate) mod tests;
