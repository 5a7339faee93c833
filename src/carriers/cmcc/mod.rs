//! China Mobile OneLink (CMIoT) dialect: API v5 under `/v5/ec/...` (token
//! auth, card queries, usage, status changes, pools, offerings, location)
//! and the legacy v2 EBID API under `/v2/<apiName>`. Every business outcome
//! is HTTP 200 with `{"status","message","result":[...]}`. This file holds
//! the dialect's state, the router (one table row per endpoint), the
//! envelope and the card lookup shared by every handler.

pub mod auth;
pub mod card;
pub mod change;
pub mod codes;
pub mod dialect;
pub mod location;
pub mod offerings;
pub mod params;
pub mod pool;
pub mod usage;
pub mod v2;

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use compact_str::CompactString;
use serde::Serialize;
use serde_json::Value;

use crate::context::Context;
use crate::domain::{Card, Carrier};
use crate::store::CardRef;
use crate::world::World;

use codes::Code;
use params::{IdKind, Params};

/// Largest request body read (1 MiB).
const BODY_LIMIT: usize = 1 << 20;

/// The dialect's state: the world, tokens, batch jobs and the repeat rule.
pub struct Cmcc {
    pub world: Arc<World>,
    pub strict_transid: bool,
    pub tokens: auth::Tokens,
    pub jobs: change::Jobs,
    pub repeat: change::RepeatRule,
}

/// Shared handle used as the router state.
pub type Shared = Arc<Cmcc>;

/// A business failure: a code from the table and an optional detail.
#[derive(Debug)]
pub struct Fail {
    pub code: Code,
    pub message: Option<String>,
}

impl Fail {
    pub fn new(code: Code) -> Fail {
        Fail {
            code,
            message: None,
        }
    }

    /// `11000` with a detail appended to the standard message.
    pub fn bad(detail: impl Into<String>) -> Fail {
        Fail::with(Code::BadParam, detail)
    }

    /// A code with a detail appended to its standard message.
    pub fn with(code: Code, detail: impl Into<String>) -> Fail {
        Fail {
            code,
            message: Some(format!("{}：{}", code.message(), detail.into())),
        }
    }
}

impl From<crate::world::OpError> for Fail {
    fn from(e: crate::world::OpError) -> Fail {
        Fail::new(codes::op_code(&e))
    }
}

/// The outcome of a handler: the `result` array or a failure.
pub type Reply = Result<Vec<Value>, Fail>;

/// One authenticated v5 call: parameters and the caller's account.
pub struct Call<'a> {
    pub cm: &'a Cmcc,
    pub p: &'a Params,
    pub account: &'a str,
}

/// A v5 business handler.
pub type V5 = fn(&Call) -> Reply;

impl Call<'_> {
    pub fn world(&self) -> &World {
        &self.cm.world
    }

    /// The single identified card (exactly one of msisdn/iccid/imsi),
    /// owned by the caller: `(kind, value as sent, iccid)`.
    pub fn card(&self) -> Result<(IdKind, &str, CompactString), Fail> {
        let (kind, value) = self.p.single_id()?;
        let iccid = self.cm.owned_card(self.account, kind, value)?;
        Ok((kind, value, iccid))
    }

    /// Reads the single identified card in one lookup, with the same
    /// ownership rules as `card`.
    pub fn read<R>(&self, f: impl FnOnce(&Card) -> R) -> Result<R, Fail> {
        let (kind, value) = self.p.single_id()?;
        self.cm.read_owned(self.account, kind, value, f)
    }

    /// Like `card`, returning `{"<kind>": value}` for the echo replies.
    pub fn echo(kind: IdKind, value: &str) -> Value {
        let mut m = serde_json::Map::new();
        m.insert(kind.name().into(), Value::String(value.into()));
        Value::Object(m)
    }
}

impl Cmcc {
    /// The ICCID an identifier names, if any card has it.
    pub fn resolve(&self, kind: IdKind, value: &str) -> Option<CompactString> {
        self.world.resolve(match kind {
            IdKind::Msisdn => CardRef::Msisdn(value),
            IdKind::Iccid => CardRef::Iccid(value),
            IdKind::Imsi => CardRef::Imsi(value),
        })
    }

    /// Reads a card of `account` named by an identifier, in one lookup
    /// (unknown → 12010, another enterprise's → 12009).
    pub fn read_owned<R>(
        &self,
        account: &str,
        kind: IdKind,
        value: &str,
        f: impl FnOnce(&Card) -> R,
    ) -> Result<R, Fail> {
        let iccid = self.resolve(kind, value).ok_or(Fail::new(Code::NotFound))?;
        self.world
            .read_card(&iccid, |card| {
                if card.carrier != Carrier::Cmcc {
                    Err(Fail::new(Code::NotFound))
                } else if card.account != account {
                    Err(Fail::new(Code::NotOwned))
                } else {
                    Ok(f(card))
                }
            })
            .ok_or(Fail::new(Code::NotFound))?
    }

    /// Resolves an identifier to a CMCC card of `account`: unknown (or
    /// another carrier's) → 12010, another enterprise's → 12009.
    pub fn owned_card(
        &self,
        account: &str,
        kind: IdKind,
        value: &str,
    ) -> Result<CompactString, Fail> {
        self.read_owned(account, kind, value, |c| c.iccid.clone())
    }
}

/// Every v5 business endpoint (paths relative to `/v5/ec`).
const V5_ROUTES: &[(&str, V5)] = &[
    ("/query/sim-basic-info", card::basic_info),
    ("/query/sim-status", card::status),
    ("/query/sim-change-history", card::change_history),
    ("/query/sim-imei", card::imei),
    ("/query/sim-stop-reason", card::stop_reason),
    ("/query/sim-card-info/batch", card::card_info_batch),
    ("/query/sim-platform/batch", card::platform_batch),
    ("/query/sim-real-name-status", card::real_name_status),
    ("/query/on-off-status", card::on_off_status),
    ("/query/sim-session", card::session),
    ("/query/apn-info", card::apn_info),
    ("/query/card-bind-status", card::card_bind_status),
    (
        "/query/sim-manage-stop-restart-status",
        card::manage_stop_restart_status,
    ),
    ("/query/sim-data-diagnosis", card::data_diagnosis),
    ("/reset/sim-sms-status", card::reset_sms_status),
    ("/operate/sim-gprs-status-reset", card::reset_gprs_status),
    ("/query/sim-data-usage", usage::data_usage),
    ("/query/sim-data-margin", usage::data_margin),
    ("/query/sim-data-usage-inpool", usage::data_usage_inpool),
    ("/query/sim-sms-usage", usage::sms_usage),
    ("/query/sim-sms-margin", usage::sms_margin),
    ("/query/sim-voice-usage", usage::voice_usage),
    ("/query/sim-voice-margin", usage::voice_margin),
    ("/query/sim-data-usage-daily/batch", usage::data_daily),
    ("/query/sim-data-usage-monthly/batch", usage::data_monthly),
    ("/query/sim-sms-usage-daily/batch", usage::sms_daily),
    ("/query/sim-sms-usage-monthly/batch", usage::sms_monthly),
    ("/query/sim-voice-usage-daily/batch", usage::voice_daily),
    ("/query/sim-voice-usage-monthly/batch", usage::voice_monthly),
    ("/change/sim-status", change::sim_status),
    ("/change/sim-status/batch", change::sim_status_batch),
    ("/query/sim-batch-result", change::batch_result),
    ("/query/order-info", change::order_info),
    (
        "/operate/sim-communication-function/batch",
        change::communication_batch,
    ),
    (
        "/query/sim-communication-function-status",
        change::communication_status,
    ),
    ("/operate/sim-call-function", change::call_function),
    ("/operate/sim-sms-function", change::sms_function),
    ("/operate/sim-apn-function", change::apn_function),
    ("/operate/network-speed", change::network_speed),
    ("/query/group-by-member", pool::group_by_member),
    ("/query/group-member", pool::group_member),
    ("/query/group-info", pool::group_info),
    ("/query/group-data-usage", pool::group_data_usage),
    ("/query/group_data_usage", pool::group_data_usage),
    ("/query/group-data-margin", pool::group_data_margin),
    ("/manage/group-managment", pool::group_management),
    ("/query/ordered-offerings", offerings::ordered_offerings),
    ("/query/offerings-detail", offerings::offerings_detail),
    ("/order/gprspackage-order", offerings::package_order),
    (
        "/order/gprspackage-order/batch",
        offerings::package_order_batch,
    ),
    ("/query/balance-info", offerings::balance_info),
    ("/query/ec-bill", offerings::ec_bill),
    ("/query/position-location-message", location::position),
    (
        "/query/district-position-location-message",
        location::district,
    ),
    ("/query/last-position-location", location::last_position),
    ("/query/last-district-position", location::last_district),
];

/// The dialect's routes: `/v5/ec/...` and `/v2/{apiName}`.
pub fn router(ctx: &Context) -> Router {
    let cm: Shared = Arc::new(Cmcc {
        world: ctx.world.clone(),
        strict_transid: ctx.settings.cmcc_strict_transid,
        tokens: auth::Tokens::default(),
        jobs: change::Jobs::default(),
        repeat: change::RepeatRule::default(),
    });
    let mut r = Router::new().route("/v5/ec/get/token", any(auth::get_token));
    for &(path, handler) in V5_ROUTES {
        r = r.route(
            &format!("/v5/ec{path}"),
            any(move |State(cm): State<Shared>, req: Request| v5(cm, req, handler)),
        );
    }
    r.route("/v5/ec/{*rest}", any(unknown_api))
        .route("/v2/{api}", any(v2::entry))
        .with_state(cm)
}

/// Any other path under `/v5/ec`: the error envelope, not a bare 404.
async fn unknown_api() -> Response {
    failure(Fail::bad("接口不存在"))
}

/// Reads and merges the parameters of a request.
pub async fn read_params(req: Request) -> Result<Params, Fail> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| Fail::bad("请求体过大或不可读"))?;
    Params::parse(parts.uri.query(), &parts.headers, &bytes)
}

/// Runs one authenticated v5 call.
async fn v5(cm: Shared, req: Request, handler: V5) -> Response {
    let p = match read_params(req).await {
        Ok(p) => p,
        Err(f) => return failure(f),
    };
    let account = match cm.tokens.check(&cm, &p) {
        Ok(a) => a,
        Err(f) => return failure(f),
    };
    let call = Call {
        cm: &cm,
        p: &p,
        account: &account,
    };
    respond(handler(&call))
}

#[derive(Serialize)]
struct Envelope<'a> {
    status: &'a str,
    message: &'a str,
    result: &'a [Value],
}

/// The envelope with a status, a message and a result list.
pub fn envelope(status: &str, message: &str, result: &[Value]) -> Response {
    let body = serde_json::to_vec(&Envelope {
        status,
        message,
        result,
    })
    .unwrap_or_default();
    let mut resp = Body::from(body).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json;charset=UTF-8"),
    );
    resp
}

/// The envelope of a handler's outcome.
pub fn respond(reply: Reply) -> Response {
    match reply {
        Ok(result) => envelope(Code::Ok.status(), Code::Ok.message(), &result),
        Err(f) => failure(f),
    }
}

/// The error envelope: `result` is `[]`.
pub fn failure(f: Fail) -> Response {
    let msg = f.message.as_deref().unwrap_or(f.code.message());
    envelope(f.code.status(), msg, &[])
}

/// `yyyy-MM-dd HH:mm:ss` in Shanghai time, the result date format.
pub fn fmt_time(ts: jiff::Timestamp) -> String {
    crate::clock::fmt_local(ts, "%Y-%m-%d %H:%M:%S")
}

/// An optional time as `yyyy-MM-dd HH:mm:ss`, or `""`.
pub fn fmt_opt(ts: Option<jiff::Timestamp>) -> String {
    ts.map(fmt_time).unwrap_or_default()
}
