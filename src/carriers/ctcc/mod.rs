//! China Telecom dialect: the legacy self-management API under
//! `/m2m_ec/*.do` (three-key DES password, DES `sign`, `method=` selects the
//! interface, XML/JSON/plain-text replies, HTTP 200 for business errors) and
//! the 5G CMP gateway (`AppKey`/`Timestamp`/`Sign` headers, MD5 sign). This
//! file holds the dialect's state, the method table, the parameter merging,
//! authentication, card lookup and the reply rendering shared by the
//! handlers; the handlers live one file per family.

pub mod changes;
pub mod codes;
pub mod des;
pub mod dialect;
pub mod g5;
pub mod list;
pub mod location;
pub mod package;
pub mod pools;
pub mod realname;
pub mod records;
pub mod sign;
pub mod status;
pub mod traffic;
pub mod xml;

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use compact_str::CompactString;
use dashmap::DashMap;
use serde_json::Value;

use crate::context::Context;
use crate::domain::{Card, Carrier};
use crate::store::CardRef;
use crate::world::World;

use codes::Code;
use des::TripleKey;
use sign::SignMode;

/// Largest request body read (1 MiB).
const BODY_LIMIT: usize = 1 << 20;
/// Longest parameter value accepted (longer → `-2`).
const MAX_VALUE: usize = 16 * 1024;
/// Node prefix of `GROUP_TRANSACTIONID`.
const NODE_PREFIX: &str = "1000000190";

/// The dialect's settings from the fixture's `[dialects.ctcc]` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Settings {
    pub sign_mode: SignMode,
    /// Calls per minute per account on query methods (0 = unlimited).
    pub rate_limit: u32,
    /// Largest accepted 5G timestamp skew in seconds (`None` = unchecked).
    pub g5_max_skew: Option<i64>,
}

impl Settings {
    /// Reads `sign`, `rate_limit_per_minute` and `g5_max_skew_seconds`.
    pub fn from_fixture(fx: &crate::fixture::Fixture) -> Settings {
        let cfg = &fx.dialects.ctcc;
        Settings {
            sign_mode: cfg.sign.unwrap_or(SignMode::Strict),
            rate_limit: cfg.rate_limit_per_minute.unwrap_or(500),
            g5_max_skew: cfg.g5_max_skew_seconds.map(i64::from),
        }
    }
}

/// The dialect's state: the world, settings, key cache, rate counters.
pub struct Ctcc {
    pub world: Arc<World>,
    /// Settings and the fixture they were read from (re-read when the
    /// world's fixture is replaced).
    settings: parking_lot::RwLock<(Arc<crate::fixture::Fixture>, Settings)>,
    keys: DashMap<String, Arc<TripleKey>>,
    seq: AtomicU64,
}

pub type Shared = Arc<Ctcc>;

/// Merged request parameters, in the order received (query first).
#[derive(Debug, Default)]
pub struct Params {
    pub pairs: Vec<(String, String)>,
    /// The JSON body of a 5G call, if any.
    pub json: Option<Value>,
}

impl Params {
    /// The first value of the first present name.
    pub fn get_any(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| self.get(n))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A value, or `""` when absent.
    pub fn or_empty(&self, name: &str) -> &str {
        self.get(name).unwrap_or("")
    }

    fn push_form(&mut self, bytes: &[u8]) {
        for (k, v) in form_urlencoded::parse(bytes) {
            self.pairs.push((k.into_owned(), v.into_owned()));
        }
    }
}

/// A failure rendered as the carrier's plain text (legacy) or JSON (5G).
#[derive(Debug)]
pub struct Fail {
    pub code: Code,
    pub text: Option<String>,
}

impl Fail {
    pub fn new(code: Code) -> Fail {
        Fail { code, text: None }
    }

    /// `-2` with a specific text.
    pub fn bad(text: impl Into<String>) -> Fail {
        Fail {
            code: Code::BadParam,
            text: Some(text.into()),
        }
    }

    fn text(&self) -> &str {
        self.text.as_deref().unwrap_or(self.code.text())
    }

    /// An unknown card named by the identifier parameter `kind`
    /// (`access_number`, `iccid`, `imsi`, ...).
    pub fn not_found(kind: &str) -> Fail {
        if kind == "iccid" {
            Fail::new(Code::NotFound)
        } else {
            Fail {
                code: Code::NotFound,
                text: Some(format!("{kind}号码错误或不存在。")),
            }
        }
    }

    /// The legacy plain-text body.
    pub fn plain(&self) -> String {
        format!("{}：{}", self.code.code(), self.text())
    }
}

/// A reply body in the method's own format.
pub enum Out {
    Xml(String),
    Json(Value),
    Text(String),
}

/// Which API a call came through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    Legacy,
    G5,
}

/// One authenticated call: parameters, the caller and the card if any.
pub struct Call<'a> {
    pub ct: &'a Ctcc,
    pub p: &'a Params,
    pub account: CompactString,
    /// The card identified by the call (methods that take one).
    pub iccid: CompactString,
    /// The identifier value as sent.
    pub number: String,
    pub flavor: Flavor,
    /// The account's 9-character key (legacy) or secret (5G).
    pub key: Arc<TripleKey>,
}

impl Call<'_> {
    pub fn world(&self) -> &World {
        &self.ct.world
    }

    /// A copy of the call's card.
    pub fn card(&self) -> Result<Card, Fail> {
        self.world()
            .card(&self.iccid)
            .ok_or(Fail::new(Code::NotFound))
    }

    /// A fresh 28-digit `GROUP_TRANSACTIONID`.
    pub fn txid(&self) -> String {
        self.ct.txid()
    }

    /// Resolves another identifier to a card of the caller.
    pub fn owned(&self, kind: &str, value: &str) -> Result<CompactString, Fail> {
        self.ct.owned_card(&self.account, kind, value)
    }
}

/// What a method identifies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ident {
    /// One card by access_number / iccid / imsi (the value goes into the sign).
    Card,
    /// No single card (lists, batches, pools).
    None,
}

/// A legacy business handler.
pub type Handler = fn(&Call) -> Result<Out, Fail>;

/// One row of the method table.
pub struct Method {
    pub name: &'static str,
    pub ident: Ident,
    /// Extra parameter values that go into the sign (§3.1), in any order.
    pub sign_extras: &'static [&'static str],
    /// Rate-limited query method.
    pub query: bool,
    pub run: Handler,
}

const fn m(
    name: &'static str,
    ident: Ident,
    sign_extras: &'static [&'static str],
    query: bool,
    run: Handler,
) -> Method {
    Method {
        name,
        ident,
        sign_extras,
        query,
        run,
    }
}

use Ident::{Card as C, None as N};

/// Every legacy method served (on every `/m2m_ec/...do` path).
pub const METHODS: &[Method] = &[
    m("queryTraffic", C, &[], true, traffic::query_traffic),
    m(
        "queryTrafficOfToday",
        C,
        &[],
        true,
        traffic::traffic_of_today,
    ),
    m("queryTrafficByDate", C, &[], true, traffic::traffic_by_date),
    m("queryPakage", C, &[], true, package::query_pakage),
    m("queryPakagePlus", N, &[], true, package::query_pakage_plus),
    m("queryBalance", C, &[], true, package::query_balance),
    m("queryOwe", C, &[], true, package::query_owe),
    m("queryCardMainStatus", C, &[], true, status::main_status),
    m("prodInstQuery", C, &[], true, status::prod_inst_query),
    m("getTelephone", C, &[], true, status::get_telephone),
    m("getTelephonePlus", C, &[], true, status::get_telephone_plus),
    m("getOnlineStatus", C, &[], true, status::online_status),
    m("realNameQueryIot", C, &[], true, status::real_name),
    m("requestServActive", C, &[], false, changes::serv_active),
    m(
        "disabledNumber",
        C,
        &["acctCd", "orderTypeId"],
        false,
        changes::disabled_number,
    ),
    m(
        "singleCutNet",
        C,
        &["action"],
        false,
        changes::single_cut_net,
    ),
    m(
        "offNetAction",
        C,
        &["action", "quota", "type"],
        false,
        changes::off_net_action,
    ),
    m(
        "speedLimitAction",
        C,
        &["speedValue", "action"],
        false,
        changes::speed_limit,
    ),
    m(
        "IMEIReRecord",
        C,
        &["action"],
        false,
        changes::imei_rerecord,
    ),
    m("orderFlow", C, &["flowValue"], false, package::order_flow),
    m(
        "unsubScribe",
        C,
        &["flowValue"],
        false,
        package::unsubscribe,
    ),
    m("getSIMList", N, &[], true, list::sim_list),
    m("getPoolList", N, &[], true, list::pool_list),
    m("poolQry", N, &["poolNbr"], true, list::pool_qry),
    m(
        "poolMemQry",
        N,
        &["poolNbr", "member_accNbr", "monthSelect"],
        true,
        list::pool_mem_qry,
    ),
    m("getLocationByPhone", C, &[], true, location::by_phone),
    // Round 2: the calls public clients make (ctcc-more.md §1–10).
    m("queryIMSI", N, &["imei"], true, records::imsi_by_imei),
    m("queryBindDetection", C, &[], true, records::bind_detection),
    m(
        "querySmsDetail",
        C,
        &["start_time", "end_time"],
        true,
        records::sms_detail,
    ),
    m(
        "getOrdersByAccessNumber",
        C,
        &[],
        true,
        records::orders_by_number,
    ),
    m(
        "getOrdersByRequestId",
        N,
        &["requestId"],
        true,
        records::orders_by_request,
    ),
    m("queryRoutes", C, &[], true, records::routes),
    m("queryCardStatus", C, &[], true, records::card_status),
    m(
        "monthlyUsage",
        N,
        &["date", "type"],
        true,
        records::monthly_usage,
    ),
    m(
        "getPoolMemberList",
        N,
        &["poolNbr", "currentPage"],
        true,
        pools::member_list,
    ),
    m(
        "getPoolMember",
        N,
        &["poolNbr", "member_accNbr"],
        true,
        pools::member,
    ),
    m(
        "poolMemAdd",
        N,
        &["poolNbr", "member_accNbr", "flow_quota"],
        false,
        pools::member_add,
    ),
    m(
        "modifyPoolMember",
        N,
        &["poolNbr", "member_accNbr", "flow_quota"],
        false,
        pools::member_modify,
    ),
    m(
        "poolMemDelete",
        N,
        &["poolNbr", "member_accNbr"],
        false,
        pools::member_delete,
    ),
    m(
        "forwardFlowPoolMember",
        C,
        &["pageIndex"],
        true,
        pools::forward_members,
    ),
    m(
        "forwardPoolQueryIot",
        C,
        &["billingCycleID"],
        true,
        pools::forward_pool_usage,
    ),
    m(
        "getForwardGroupNumbers",
        N,
        &[],
        true,
        pools::forward_groups,
    ),
    m(
        "realNameRecIot",
        C,
        &["certNumber"],
        false,
        realname::record,
    ),
    m("ordinaryRealNameClear", C, &[], false, realname::clear),
];

/// The identifier parameters, in the order they are looked for.
pub const ID_PARAMS: [&str; 3] = ["access_number", "iccid", "imsi"];

impl Ctcc {
    /// The dialect state with settings from `[dialects.ctcc]`.
    pub fn new(world: Arc<World>) -> Ctcc {
        let fx = world.fixture();
        let settings = Settings::from_fixture(&fx);
        Ctcc {
            settings: parking_lot::RwLock::new((fx, settings)),
            keys: DashMap::new(),
            seq: AtomicU64::new(1),
            world,
        }
    }

    /// The current settings (re-read after the fixture was replaced).
    pub fn settings(&self) -> Settings {
        let fx = self.world.fixture();
        {
            let g = self.settings.read();
            if Arc::ptr_eq(&g.0, &fx) {
                return g.1;
            }
        }
        let s = Settings::from_fixture(&fx);
        *self.settings.write() = (fx, s);
        s
    }

    /// `1000000190` + `yyyyMMdd` (simulated) + 10-digit serial.
    pub fn txid(&self) -> String {
        let n = self.seq.fetch_add(1, Ordering::Relaxed) % 10_000_000_000;
        let day = crate::clock::fmt_local(self.world.now(), "%Y%m%d");
        format!("{NODE_PREFIX}{day}{n:010}")
    }

    /// The prepared DES keys of a key string (cached).
    pub fn key(&self, key: &str) -> Arc<TripleKey> {
        if let Some(k) = self.keys.get(key) {
            return k.clone();
        }
        let k = Arc::new(TripleKey::from_key(key));
        self.keys.insert(key.to_string(), k.clone());
        k
    }

    /// Resolves an identifier to a CTCC card of `account`.
    pub fn owned_card(
        &self,
        account: &str,
        kind: &str,
        value: &str,
    ) -> Result<CompactString, Fail> {
        let r = match kind {
            "iccid" => CardRef::Iccid(value),
            "imsi" => CardRef::Imsi(value),
            _ => CardRef::Msisdn(value),
        };
        let not_found = || Fail::not_found(kind);
        let iccid = self.world.resolve(r).ok_or_else(not_found)?;
        let (carrier, mine) = self
            .world
            .read_card(&iccid, |c| (c.carrier, c.account == account))
            .ok_or_else(not_found)?;
        if carrier != Carrier::Ctcc {
            return Err(not_found());
        }
        if !mine {
            return Err(Fail::new(Code::NotBound));
        }
        Ok(iccid)
    }
}

/// The legacy account of a `user_id`: `(account id, password, key)`.
fn legacy_account(world: &World, user_id: &str) -> Option<(CompactString, String, String)> {
    world.store.accounts.iter().find_map(|a| {
        let c = &a.credentials;
        (a.carrier == Carrier::Ctcc && c.user_id.as_deref() == Some(user_id)).then(|| {
            (
                a.id.clone(),
                c.password.clone().unwrap_or_default(),
                c.key.clone().unwrap_or_default(),
            )
        })
    })
}

/// Reads query string and form body into one parameter list.
async fn read_params(req: Request) -> Result<Params, Fail> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| Fail::bad("请求参数过大。"))?;
    let mut p = Params::default();
    if let Some(q) = parts.uri.query() {
        p.push_form(q.as_bytes());
    }
    let ctype = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"{") || ctype.contains("json") {
        if !trimmed.is_empty() {
            let v: Value =
                serde_json::from_slice(&bytes).map_err(|_| Fail::bad("请求体不是合法的JSON。"))?;
            if let Value::Object(map) = &v {
                for (k, val) in map {
                    let s = match val {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => continue,
                    };
                    p.pairs.push((k.clone(), s));
                }
            }
            p.json = Some(v);
        }
    } else if !bytes.is_empty() {
        p.push_form(&bytes);
    }
    if p.pairs
        .iter()
        .any(|(k, v)| v.len() > MAX_VALUE || k.len() > 256)
    {
        return Err(Fail::bad("参数值过长。"));
    }
    Ok(p)
}

/// The dialect's routes: the legacy `.do` paths and the 5G CMP paths.
pub fn router(ctx: &Context) -> Router {
    let ct: Shared = Arc::new(Ctcc::new(ctx.world.clone()));
    let mut r = Router::new();
    for path in [
        "/m2m_ec/query.do",
        "/m2m_ec/app/serviceAccept.do",
        "/m2m_ec/app/location.do",
        "/m2m_ec/app/pay.do",
    ] {
        r = r.route(path, any(legacy));
    }
    for &(path, ident, handler) in g5::ROUTES {
        r = r.route(
            path,
            any(move |State(ct): State<Shared>, req: Request| g5::entry(ct, req, (ident, handler))),
        );
    }
    r.with_state(ct)
}

/// One legacy call: parameters, method, password, rate, sign, card, handler.
async fn legacy(State(ct): State<Shared>, req: Request) -> Response {
    let p = match read_params(req).await {
        Ok(p) => p,
        Err(f) => return text(f.plain()),
    };
    match run_legacy(&ct, &p) {
        Ok(out) => render(out),
        Err(f) => text(f.plain()),
    }
}

fn run_legacy(ct: &Ctcc, p: &Params) -> Result<Out, Fail> {
    let name = p
        .get("method")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fail::bad("必传参数method缺失。"))?;
    let method = METHODS
        .iter()
        .find(|m| m.name == name)
        .ok_or(Fail::new(Code::UnknownMethod))?;
    let user_id = p
        .get_any(&["user_id", "userId"])
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fail::bad("必传参数user_id缺失。"))?;
    let enc_pw = p
        .get_any(&["passWord", "password"])
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fail::bad("必传参数passWord缺失。"))?;
    let (account, password, key_text) =
        legacy_account(&ct.world, user_id).ok_or(Fail::new(Code::BadPassword))?;
    let key = ct.key(&key_text);
    if enc_pw.len() % 16 != 0 || key.dec(enc_pw).as_deref() != Some(password.as_str()) {
        return Err(Fail::new(Code::BadPassword));
    }
    let settings = ct.settings();
    let ident = match method.ident {
        Ident::Card => ID_PARAMS
            .iter()
            .find_map(|k| p.get(k).filter(|v| !v.is_empty()).map(|v| (*k, v))),
        Ident::None => None,
    };
    if method.ident == Ident::Card && ident.is_none() {
        return Err(Fail::bad("必传参数access_number或iccid缺失。"));
    }
    let sign = p
        .get("sign")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| Fail::bad("必传参数sign缺失。"))?;
    // Parameters sent encrypted (realNameRecIot's certNumber) are signed
    // in plain text.
    let extras: Vec<Cow<str>> = method
        .sign_extras
        .iter()
        .map(|e| {
            let v = p.or_empty(e);
            if realname::ENCRYPTED_PARAMS.contains(e) {
                Cow::Owned(realname::plain_value(&key, v))
            } else {
                Cow::Borrowed(v)
            }
        })
        .collect();
    let mut expected: Vec<&str> = vec![user_id, password.as_str(), method.name];
    if let Some((_, v)) = ident {
        expected.push(v);
    }
    expected.extend(extras.iter().map(|e| e.as_ref()));
    let required = &expected[..expected.len() - method.sign_extras.len()];
    let values: Vec<&str> = p.pairs.iter().map(|(_, v)| v.as_str()).collect();
    if !sign::verify_legacy(&key, sign, &expected, required, &values, settings.sign_mode) {
        return Err(Fail::new(Code::BadSign));
    }
    let (iccid, number) = match ident {
        Some((kind, v)) => (ct.owned_card(&account, kind, v)?, v.to_string()),
        None => (CompactString::default(), String::new()),
    };
    let call = Call {
        ct,
        p,
        account,
        iccid,
        number,
        flavor: Flavor::Legacy,
        key,
    };
    (method.run)(&call)
}

/// A response with a content type.
fn with_type(body: String, ctype: &'static str) -> Response {
    let mut resp = Body::from(body).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));
    resp
}

/// A plain-text body (errors, getLocationByPhone's ciphertext).
pub fn text(body: String) -> Response {
    with_type(body, "text/plain;charset=UTF-8")
}

/// Renders a handler's reply.
pub fn render(out: Out) -> Response {
    match out {
        Out::Xml(s) => with_type(s, "text/xml;charset=UTF-8"),
        Out::Json(v) => with_type(v.to_string(), "application/json;charset=UTF-8"),
        Out::Text(s) => text(s),
    }
}

/// `yyyy-MM-dd HH:mm:ss` in Shanghai time.
pub fn fmt_time(ts: jiff::Timestamp) -> String {
    crate::clock::fmt_local(ts, "%Y-%m-%d %H:%M:%S")
}

/// `yyyyMMddHHmmss` in Shanghai time.
pub fn fmt_compact(ts: jiff::Timestamp) -> String {
    crate::clock::fmt_local(ts, "%Y%m%d%H%M%S")
}

/// `yyyyMMdd` in Shanghai time, or `""`.
pub fn fmt_day(ts: Option<jiff::Timestamp>) -> String {
    ts.map(|t| crate::clock::fmt_local(t, "%Y%m%d"))
        .unwrap_or_default()
}
