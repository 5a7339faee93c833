//! Fleet-wide views of the cards, for the dashboard and for scripts (the
//! handlers are in [`super::cards`]): the card list with sorting
//! (`sort=usage|balance|expires|iccid`, `order`) and an "at risk" filter
//! (`risk=near_quota|low_balance|expiring|any`), the same selection as CSV
//! (`GET /_sim/cards/export.csv`), the fleet's tags with their counts
//! (`GET /_sim/tags`) and per-carrier totals (`GET /_sim/cards/totals`).
//! Every view is one pass over the fleet that reads the cards in place (no
//! copy of the fleet), so they answer at any fleet size. Documented in
//! `docs/admin-api.md` and `docs/dashboard.md`.

use std::collections::{BTreeMap, HashMap};

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use compact_str::CompactString;
use jiff::{SignedDuration, Timestamp};
use serde_json::{json, Value};

use super::cards::card_filter;
use super::{bad, paging, views, ApiError, ApiResult};
use crate::domain::billing::LOW_BALANCE_FEN;
use crate::domain::{Card, CardState, Carrier};
use crate::world::{CardFilter, World};

/// Share of the allowance from which a card counts as near its quota
/// (the dashboard's meters turn amber at the same point).
pub const NEAR_QUOTA_PERCENT: u64 = 90;
/// A card whose expiry falls within this many days counts as expiring.
pub const EXPIRING_DAYS: i64 = 30;

/// Why a card is at risk. The table is the one the dashboard shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Risk {
    /// Data used this cycle is at least 90 % of the plan plus add-ons.
    NearQuota,
    /// Balance at or below the low-balance mark (¥10.00).
    LowBalance,
    /// Expires within the next 30 days (simulated time).
    Expiring,
}

const RISKS: [(Risk, &str); 3] = [
    (Risk::NearQuota, "near_quota"),
    (Risk::LowBalance, "low_balance"),
    (Risk::Expiring, "expiring"),
];

impl Risk {
    pub fn as_str(self) -> &'static str {
        RISKS
            .iter()
            .find(|(r, _)| *r == self)
            .map(|(_, n)| *n)
            .unwrap_or("")
    }
}

/// The facts a risk check needs, read once per request.
pub struct RiskContext {
    /// Plan id → data allowance in bytes.
    plan_bytes: HashMap<CompactString, u64>,
    cycle: i32,
    now: Timestamp,
    horizon: Timestamp,
}

impl RiskContext {
    pub fn new(world: &World) -> Self {
        let now = world.now();
        let plan_bytes = world
            .store
            .plans
            .iter()
            .map(|p| (p.id.clone(), p.data_bytes))
            .collect();
        RiskContext {
            plan_bytes,
            cycle: crate::clock::cycle_of(now),
            now,
            horizon: now
                .checked_add(SignedDuration::from_hours(24 * EXPIRING_DAYS))
                .unwrap_or(now),
        }
    }

    /// The card's data allowance this cycle: plan plus add-ons.
    pub fn allowance(&self, c: &Card) -> u64 {
        self.plan_bytes.get(&c.plan).copied().unwrap_or(0) + c.addon_bytes(self.cycle)
    }

    /// The risks of one card. Cancelled cards carry none.
    pub fn risks(&self, c: &Card) -> Vec<Risk> {
        let mut out = Vec::new();
        if c.state == CardState::Cancelled {
            return out;
        }
        let allowance = self.allowance(c);
        if allowance > 0
            && u128::from(c.usage.data_bytes) * 100
                >= u128::from(allowance) * u128::from(NEAR_QUOTA_PERCENT)
        {
            out.push(Risk::NearQuota);
        }
        if c.balance_fen <= LOW_BALANCE_FEN {
            out.push(Risk::LowBalance);
        }
        if c.expires.is_some_and(|e| e > self.now && e <= self.horizon) {
            out.push(Risk::Expiring);
        }
        out
    }
}

/// The `risk` query parameter: one risk, or `any`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RiskFilter {
    One(Risk),
    Any,
}

fn risk_param(q: &HashMap<String, String>) -> Result<Option<RiskFilter>, ApiError> {
    match q.get("risk").map(String::as_str) {
        None | Some("") => Ok(None),
        Some("any") => Ok(Some(RiskFilter::Any)),
        Some(v) => RISKS
            .iter()
            .find(|(_, n)| *n == v)
            .map(|(r, _)| Some(RiskFilter::One(*r)))
            .ok_or_else(|| {
                bad(format!(
                    "unknown risk '{v}' (near_quota, low_balance, expiring, any)"
                ))
            }),
    }
}

/// Sort keys of the card list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SortKey {
    Iccid,
    Usage,
    Balance,
    Expires,
}

const SORTS: [(SortKey, &str); 4] = [
    (SortKey::Iccid, "iccid"),
    (SortKey::Usage, "usage"),
    (SortKey::Balance, "balance"),
    (SortKey::Expires, "expires"),
];

/// `sort` (default `iccid`) and `order` (`asc`, or `desc`; default `asc`).
fn sort_param(q: &HashMap<String, String>) -> Result<(SortKey, bool), ApiError> {
    let key = match q.get("sort").map(String::as_str) {
        None | Some("") => SortKey::Iccid,
        Some(v) => SORTS
            .iter()
            .find(|(_, n)| *n == v)
            .map(|(k, _)| *k)
            .ok_or_else(|| {
                bad(format!(
                    "unknown sort '{v}' (iccid, usage, balance, expires)"
                ))
            })?,
    };
    let desc = match q.get("order").map(String::as_str) {
        None | Some("") | Some("asc") => false,
        Some("desc") => true,
        Some(v) => return Err(bad(format!("order must be asc or desc, got '{v}'"))),
    };
    Ok((key, desc))
}

/// One selected card: its sort key and ICCID (the card is read again for
/// the page only).
struct Hit {
    key: i128,
    iccid: CompactString,
}

/// Visits every card matching the filter and the risk filter, in ICCID
/// order, reading each in place. The selected ICCIDs are copied first so
/// no index lock is held while a card is read.
fn scan(
    world: &World,
    filter: &CardFilter,
    risk: Option<RiskFilter>,
    ctx: &RiskContext,
    mut f: impl FnMut(&Card, &[Risk]),
) {
    // The cards the filter's indexed fields select (not the fleet).
    let mut selected = Vec::new();
    world
        .store
        .for_each_matching(&filter.facet_keys(), |iccid| {
            selected.push(iccid.clone());
            true
        });
    for iccid in selected {
        world.read_card(&iccid, |c| {
            if !filter.matches(c) {
                return;
            }
            let risks = ctx.risks(c);
            let keep = match risk {
                None => true,
                Some(RiskFilter::Any) => !risks.is_empty(),
                Some(RiskFilter::One(r)) => risks.contains(&r),
            };
            if keep {
                f(c, &risks);
            }
        });
    }
}

fn sort_key(c: &Card, key: SortKey) -> i128 {
    match key {
        SortKey::Iccid => 0,
        SortKey::Usage => i128::from(c.usage.data_bytes),
        SortKey::Balance => i128::from(c.balance_fen),
        // Cards without an expiry sort after every dated one.
        SortKey::Expires => c
            .expires
            .map(|t| i128::from(t.as_second()))
            .unwrap_or(i128::MAX),
    }
}

/// The ICCIDs of the selection in the asked order (ties in ICCID order).
fn select(
    world: &World,
    q: &HashMap<String, String>,
    ctx: &RiskContext,
) -> Result<Vec<CompactString>, ApiError> {
    let filter = card_filter(q)?;
    let risk = risk_param(q)?;
    let (key, desc) = sort_param(q)?;
    let mut hits = Vec::new();
    scan(world, &filter, risk, ctx, |c, _| {
        hits.push(Hit {
            key: sort_key(c, key),
            iccid: c.iccid.clone(),
        })
    });
    // The scan runs in ICCID order and the sort is stable.
    if desc {
        hits.sort_by_key(|h| std::cmp::Reverse(h.key));
    } else {
        hits.sort_by_key(|h| h.key);
    }
    Ok(hits.into_iter().map(|h| h.iccid).collect())
}

/// A card summary with its allowance and risks (what the fleet table shows).
fn summary(c: &Card, ctx: &RiskContext) -> Value {
    let mut v = views::card_summary(c);
    if let Some(o) = v.as_object_mut() {
        o.insert("allowance_bytes".into(), json!(ctx.allowance(c)));
        o.insert(
            "risks".into(),
            json!(ctx.risks(c).iter().map(|r| r.as_str()).collect::<Vec<_>>()),
        );
    }
    v
}

/// The card list: the filters of [`card_filter`], plus `risk`, `sort` and
/// `order`; paged.
pub fn list(world: &World, q: &HashMap<String, String>) -> ApiResult {
    let (page, size) = paging(q)?;
    let ctx = RiskContext::new(world);
    let (key, desc) = sort_param(q)?;
    if risk_param(q)?.is_none() && key == SortKey::Iccid && !desc {
        // The common case pages in place without collecting the selection.
        let filter = card_filter(q)?;
        let (items, total) = world.list_cards(&filter, page, size);
        let items: Vec<Value> = items.iter().map(|c| summary(c, &ctx)).collect();
        return Ok(Json(
            json!({"items": items, "total": total, "page": page, "page_size": size}),
        ));
    }
    let ids = select(world, q, &ctx)?;
    let total = ids.len();
    let items: Vec<Value> = ids
        .iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .filter_map(|i| world.read_card(i, |c| summary(c, &ctx)))
        .collect();
    Ok(Json(
        json!({"items": items, "total": total, "page": page, "page_size": size}),
    ))
}

/// The CSV columns, in order.
const CSV_COLUMNS: [&str; 16] = [
    "iccid",
    "msisdn",
    "imsi",
    "carrier",
    "account",
    "state",
    "reasons",
    "plan",
    "pool",
    "data_bytes",
    "allowance_bytes",
    "balance_fen",
    "expires",
    "tags",
    "risks",
    "online",
];

/// Every card of the selection (same filters, risk and sort as the list, no
/// paging) as CSV with a header row; lists (reasons, tags, risks) are
/// joined with `;`.
pub fn export_csv(world: &World, q: &HashMap<String, String>) -> Result<Response, ApiError> {
    let ctx = RiskContext::new(world);
    let ids = select(world, q, &ctx)?;
    let mut w = csv::Writer::from_writer(Vec::new());
    let internal = |e: csv::Error| {
        ApiError(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("csv: {e}"),
        )
    };
    w.write_record(CSV_COLUMNS).map_err(internal)?;
    for iccid in &ids {
        let row = world.read_card(iccid, |c| {
            vec![
                c.iccid.to_string(),
                c.msisdn.to_string(),
                c.imsi.to_string(),
                c.carrier.as_str().to_string(),
                c.account.to_string(),
                c.state.as_str().to_string(),
                c.reasons
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
                c.plan.to_string(),
                c.pool.as_deref().unwrap_or("").to_string(),
                c.usage.data_bytes.to_string(),
                ctx.allowance(c).to_string(),
                c.balance_fen.to_string(),
                c.expires.map(crate::clock::rfc3339).unwrap_or_default(),
                c.tags
                    .iter()
                    .map(|t| t.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
                ctx.risks(c)
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
                c.session.online.to_string(),
            ]
        });
        if let Some(row) = row {
            w.write_record(&row).map_err(internal)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| internal(e.into_error().into()))?;
    let mut r = bytes.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    r.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"cards.csv\""),
    );
    Ok(r)
}

/// Every tag on a card with how many cards carry it, by name; `carrier`
/// and `account` narrow it.
pub fn tags(world: &World, q: &HashMap<String, String>) -> ApiResult {
    let mut only = HashMap::new();
    for k in ["carrier", "account"] {
        if let Some(v) = q.get(k) {
            only.insert(k.to_string(), v.clone());
        }
    }
    let filter = card_filter(&only)?;
    let ctx = RiskContext::new(world);
    let mut counts: BTreeMap<CompactString, u64> = BTreeMap::new();
    scan(world, &filter, None, &ctx, |c, _| {
        for t in &c.tags {
            *counts.entry(t.clone()).or_default() += 1;
        }
    });
    let items: Vec<Value> = counts
        .into_iter()
        .map(|(tag, cards)| json!({"tag": tag, "cards": cards}))
        .collect();
    Ok(Json(json!({"items": items})))
}

/// Running totals of one carrier.
#[derive(Default)]
struct Totals {
    cards: u64,
    live: u64,
    data_bytes: u64,
    sms: u64,
    voice_seconds: u64,
    balance_fen: i64,
    risks: [u64; 3],
    at_risk: u64,
}

impl Totals {
    fn add(&mut self, c: &Card, risks: &[Risk]) {
        self.cards += 1;
        if c.state != CardState::Cancelled {
            self.live += 1;
        }
        self.data_bytes += c.usage.data_bytes;
        self.sms += u64::from(c.usage.sms);
        self.voice_seconds += u64::from(c.usage.voice_seconds);
        self.balance_fen += c.balance_fen;
        for r in risks {
            if let Some(i) = RISKS.iter().position(|(x, _)| x == r) {
                self.risks[i] += 1;
            }
        }
        if !risks.is_empty() {
            self.at_risk += 1;
        }
    }

    fn view(&self) -> Value {
        let mut risks = serde_json::Map::new();
        for (i, (_, name)) in RISKS.iter().enumerate() {
            risks.insert((*name).into(), json!(self.risks[i]));
        }
        json!({
            "cards": self.cards,
            "live": self.live,
            "data_bytes": self.data_bytes,
            "sms": self.sms,
            "voice_seconds": self.voice_seconds,
            "balance_fen": self.balance_fen,
            "at_risk": self.at_risk,
            "risks": risks,
        })
    }
}

/// Per carrier and for the whole fleet: the card count, this cycle's data,
/// SMS and voice, the balance sum and the cards at risk (by risk). Filters
/// as for the list narrow it.
pub fn totals(world: &World, q: &HashMap<String, String>) -> ApiResult {
    let filter = card_filter(q)?;
    let ctx = RiskContext::new(world);
    let mut per: BTreeMap<&'static str, Totals> = BTreeMap::new();
    for c in [Carrier::Cmcc, Carrier::Cucc, Carrier::Ctcc] {
        per.insert(c.as_str(), Totals::default());
    }
    let mut all = Totals::default();
    scan(world, &filter, None, &ctx, |c, risks| {
        per.entry(c.carrier.as_str()).or_default().add(c, risks);
        all.add(c, risks);
    });
    let carriers: serde_json::Map<String, Value> = per
        .iter()
        .map(|(k, t)| ((*k).to_string(), t.view()))
        .collect();
    Ok(Json(json!({
        "carriers": carriers,
        "all": all.view(),
        "near_quota_percent": NEAR_QUOTA_PERCENT,
        "low_balance_fen": LOW_BALANCE_FEN,
        "expiring_days": EXPIRING_DAYS,
        "now": crate::clock::rfc3339(ctx.now),
    })))
}

/// The search box's text as the card index holds numbers: spaces and
/// dashes dropped, a `+86` or `0086` country prefix removed (MSISDNs are
/// stored without it).
pub fn normalize_search(q: &str) -> String {
    let compact: String = q
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    compact
        .strip_prefix("+86")
        .or_else(|| compact.strip_prefix("0086"))
        .unwrap_or(&compact)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_ignores_spaces_dashes_and_the_country_prefix() {
        assert_eq!(normalize_search("+86 138 0013 8000"), "13800138000");
        assert_eq!(normalize_search("0086-144-0000-0000-01"), "1440000000001");
        assert_eq!(normalize_search(" 8986 0600 "), "89860600");
        // An ICCID starts with 86 too: only the marked prefixes go.
        assert_eq!(
            normalize_search("89860600000000000013"),
            "89860600000000000013"
        );
    }

    #[test]
    fn risk_and_sort_parameters_are_checked() {
        let q = |k: &str, v: &str| HashMap::from([(k.to_string(), v.to_string())]);
        assert_eq!(
            risk_param(&q("risk", "any")).ok(),
            Some(Some(RiskFilter::Any))
        );
        assert_eq!(
            risk_param(&q("risk", "expiring")).ok(),
            Some(Some(RiskFilter::One(Risk::Expiring)))
        );
        assert!(risk_param(&q("risk", "soon")).is_err());
        assert!(sort_param(&q("sort", "size")).is_err());
        assert!(sort_param(&q("order", "down")).is_err());
        assert_eq!(
            sort_param(&q("order", "desc")).ok(),
            Some((SortKey::Iccid, true))
        );
    }
}
