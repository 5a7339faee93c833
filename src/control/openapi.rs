//! The admin plane's route table. One table drives both the axum router and
//! the OpenAPI 3 document (built with utoipa's builders) served at
//! `/_sim/openapi.json`, so the document cannot drift from what is served.
//! Each entry carries its summary, query parameters, an example body and
//! the statuses it answers with; path parameters carry an example value
//! from the default fixture (the OpenAPI walk test uses them).

use axum::routing::{delete, get, patch, post, put, MethodRouter};
use axum::Router;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn,
};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{
    ContentBuilder, InfoBuilder, OpenApi, OpenApiBuilder, Paths, Required, Response,
    ResponseBuilder,
};

use super::{
    accounts, card_patch, cards, cards_bulk, clock, cucc_push, docs, events, faults, handsets,
    modems, plans, pools, ratelimits, requests, snapshots, status, traces, webhooks, worlds,
    ControlState,
};

/// One admin operation.
pub struct Op {
    pub method: &'static str,
    /// axum and OpenAPI share the `{param}` syntax.
    pub path: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    /// Path parameters with an example value.
    pub params: &'static [(&'static str, &'static str)],
    /// Query parameters with a description.
    pub query: &'static [(&'static str, &'static str)],
    /// Example request body (JSON).
    pub body: Option<&'static str>,
    /// Success status.
    pub ok: u16,
    /// Error statuses it may answer with (`{"error": "..."}`).
    pub errors: &'static [u16],
    /// Content type of the success answer.
    pub produces: &'static str,
    pub handler: fn() -> MethodRouter<ControlState>,
}

const JSON: &str = "application/json";
const CARD_FILTERS: &[(&str, &str)] = &[
    ("carrier", "cmcc, cucc or ctcc"),
    ("account", "account id"),
    (
        "state",
        "inventory, test_ready, activation_ready, active, suspended, pre_cancel, cancelled",
    ),
    ("reason", "over_quota, manual, arrears, expired, data_cut"),
    ("tag", "a fixture tag, e.g. normal"),
    ("plan", "plan id"),
    ("pool", "pool id"),
    (
        "q",
        "substring of ICCID, MSISDN or IMSI (spaces, dashes and a +86 prefix ignored)",
    ),
    ("risk", "near_quota, low_balance, expiring or any"),
    ("sort", "iccid (default), usage, balance or expires"),
    ("order", "asc (default) or desc"),
    ("page", "page number from 1"),
    ("page_size", "1 to 1000 (default 50)"),
];
const FLEET_FILTERS: &[(&str, &str)] = &[
    ("carrier", "cmcc, cucc or ctcc"),
    ("account", "account id"),
    ("state", "a card state"),
    ("reason", "over_quota, manual, arrears, expired, data_cut"),
    ("tag", "a fixture tag"),
    ("plan", "plan id"),
    ("pool", "pool id"),
    ("q", "substring of ICCID, MSISDN or IMSI"),
    ("risk", "near_quota, low_balance, expiring or any"),
    ("sort", "iccid, usage, balance or expires"),
    ("order", "asc or desc"),
];
const LIST_FILTERS: &[(&str, &str)] = &[
    ("carrier", "cmcc, cucc or ctcc"),
    ("page", "page number from 1 (all in one page when absent)"),
    ("page_size", "1 to 1000"),
];
const POOL_FILTERS: &[(&str, &str)] = &[
    ("carrier", "cmcc, cucc or ctcc"),
    ("account", "account id"),
    ("page", "page number from 1 (all in one page when absent)"),
    ("page_size", "1 to 1000"),
];
const CARD: &[(&str, &str)] = &[("id", "89860000000000000019")];
/// A handset is named like a card; the default fleet's CUCC `normal` card
/// answers the Unicom service number 10010.
const HANDSET: &[(&str, &str)] = &[("id", "1460000000001")];

macro_rules! op {
    ($m:literal, $path:literal, $tag:literal, $summary:literal, $ok:literal, [$($e:literal),*], $h:expr) => {
        Op { method: $m, path: $path, tag: $tag, summary: $summary, params: &[], query: &[], body: None,
             ok: $ok, errors: &[$($e),*], produces: JSON, handler: $h }
    };
}

/// Every admin operation.
pub static OPS: &[Op] = &[
    op!("get", "/_sim/health", "status", "Liveness", 200, [], || get(status::health)),
    op!("get", "/_sim/status", "status", "Retention: the limits in force, what the journal keeps (cap, retained, oldest and last seq) and what fell out (dropped journal events, entries trimmed from the cards' histories, gaps given to delivery subscribers); see docs/retention.md", 200, [], || get(status::status)),
    op!("get", "/_sim/ready", "status", "Readiness: fixture loaded and every listener bound (503 while starting)", 200, [503], || get(status::ready)),
    Op { body: Some(r#"{"snapshot": "before-test"}"#), ..op!("post", "/_sim/reset", "status", "Back to the fixture, or to a named snapshot (`{}` or `{\"snapshot\": name}`); clears faults and the request journal", 200, [400, 404], || post(status::reset)) },
    op!("get", "/_sim/clock", "clock", "Read the simulated clock", 200, [], || get(clock::clock_get)),
    Op { body: Some(r#"{"advance": "31d"}"#), ..op!("post", "/_sim/clock", "clock", "Advance (`{\"advance\":\"40d\"}`), set (`{\"set\": RFC3339}`, forward only), freeze (`{\"freeze\":true}`) or run at a speed (`{\"speed\":60}`)", 200, [400], || post(clock::clock_post)) },
    Op { query: LIST_FILTERS, ..op!("get", "/_sim/accounts", "accounts", "List accounts with their credentials", 200, [400], || get(accounts::accounts)) },
    Op { body: Some(r#"{"id": "cmcc-new", "name": "New EC", "carrier": "cmcc", "credentials": {"appid": "100009", "password": "pw"}}"#), ..op!("post", "/_sim/accounts", "accounts", "Create an account (fixture format)", 201, [400, 409], || post(accounts::account_create)) },
    Op { params: &[("id", "cmcc-demo")], ..op!("get", "/_sim/accounts/{id}", "accounts", "One account", 200, [404], || get(accounts::account_one)) },
    Op { params: &[("id", "cmcc-demo")], body: Some(r#"{"name": "Renamed"}"#), ..op!("patch", "/_sim/accounts/{id}", "accounts", "Patch an account (name, credentials, balance_fen, customer_no)", 200, [400, 404, 409], || patch(accounts::account_patch)) },
    Op { params: &[("id", "cmcc-demo")], ..op!("delete", "/_sim/accounts/{id}", "accounts", "Delete an account without cards or pools", 200, [404, 409], || delete(accounts::account_delete)) },
    op!("get", "/_sim/credentials", "accounts", "Credentials of every account of the loaded fixture", 200, [], || get(accounts::credentials)),
    Op { query: LIST_FILTERS, ..op!("get", "/_sim/plans", "plans", "List plans", 200, [400], || get(plans::plans)) },
    Op { body: Some(r#"{"id": "cmcc-2g", "name": "2GB", "carrier": "cmcc", "data": "2GB", "monthly_fee_fen": 2000}"#), ..op!("post", "/_sim/plans", "plans", "Create a plan (fixture format: data as \"1GB\" or bytes)", 201, [400, 409], || post(plans::plan_create)) },
    Op { params: &[("id", "cmcc-1g")], ..op!("get", "/_sim/plans/{id}", "plans", "One plan", 200, [404], || get(plans::plan_one)) },
    Op { params: &[("id", "cmcc-1g")], body: Some(r#"{"monthly_fee_fen": 1200}"#), ..op!("patch", "/_sim/plans/{id}", "plans", "Patch a plan (neutral fields as listed)", 200, [400, 404, 409], || patch(plans::plan_patch)) },
    Op { params: &[("id", "cmcc-1g")], ..op!("delete", "/_sim/plans/{id}", "plans", "Delete a plan no card uses", 200, [404, 409], || delete(plans::plan_delete)) },
    Op { query: POOL_FILTERS, ..op!("get", "/_sim/pools", "pools", "List flow pools with this cycle's use", 200, [400], || get(pools::pools)) },
    Op { body: Some(r#"{"id": "pool-new", "name": "Pool", "account": "cmcc-demo", "data": "10GB"}"#), ..op!("post", "/_sim/pools", "pools", "Create a flow pool", 201, [400, 409], || post(pools::pool_create)) },
    Op { params: &[("id", "200000000001")], ..op!("get", "/_sim/pools/{id}", "pools", "One pool", 200, [404], || get(pools::pool_one)) },
    Op { params: &[("id", "200000000001")], body: Some(r#"{"data_bytes": 21474836480}"#), ..op!("patch", "/_sim/pools/{id}", "pools", "Patch a pool (name, data_bytes, used_bytes, exhausted)", 200, [400, 404, 409], || patch(pools::pool_patch)) },
    Op { params: &[("id", "200000000001")], ..op!("delete", "/_sim/pools/{id}", "pools", "Delete a pool without members", 200, [404, 409], || delete(pools::pool_delete)) },
    Op { query: CARD_FILTERS, ..op!("get", "/_sim/cards", "cards", "List cards with filters, risk, sorting and paging (each with its allowance and risks)", 200, [400], || get(cards::cards)) },
    Op { query: FLEET_FILTERS, produces: "text/csv", ..op!("get", "/_sim/cards/export.csv", "cards", "Every card of a selection (list filters, risk, sort) as CSV", 200, [400], || get(cards::export_csv)) },
    Op { query: FLEET_FILTERS, ..op!("get", "/_sim/cards/totals", "cards", "Per-carrier totals: cards, data, SMS, voice, balance, cards at risk", 200, [400], || get(cards::totals)) },
    Op { query: &[("carrier", "cmcc, cucc or ctcc"), ("account", "account id")], ..op!("get", "/_sim/tags", "cards", "Tags on the cards with how many carry each", 200, [400], || get(cards::tags)) },
    Op { body: Some(r#"{"iccid": "89860400000000099996", "imsi": "460040000099996", "msisdn": "1440000099996", "account": "cmcc-demo", "plan": "cmcc-1g"}"#), ..op!("post", "/_sim/cards", "cards", "Create a card (fixture card format)", 201, [400, 409], || post(cards::card_create)) },
    Op { body: Some(r#"{"selector": {"carrier": "cmcc", "tag": "crowd"}, "patch": {"tags": ["crowd", "bulk"]}}"#), ..op!("post", "/_sim/cards/bulk", "cards", "Patch, act on or delete every card a selector matches", 200, [400, 404], || post(cards_bulk::cards_bulk)) },
    Op { params: CARD, ..op!("get", "/_sim/cards/{id}", "cards", "One card by ICCID, MSISDN or IMSI, with ledger and events", 200, [404], || get(cards::card_one)) },
    Op { params: CARD, query: &[("cycle", "month yyyyMM (default: the current one)")], ..op!("get", "/_sim/cards/{id}/usage", "cards", "A cycle's usage with its days and each day's hours (Shanghai time, opening usage spread in): hours add up to days, days to the cycle", 200, [400, 404], || get(cards::card_usage)) },
    Op { params: CARD, body: Some(r#"{"state": "suspended"}"#), ..op!("patch", "/_sim/cards/{id}", "cards", "Patch a card through the rules (state, usage, balance_fen, expires, flags, tags, imei, plan, attrs); `force` sets any state", 200, [400, 404, 409], || patch(card_patch::card_patch)) },
    Op { params: CARD, ..op!("delete", "/_sim/cards/{id}", "cards", "Delete a card", 200, [404], || delete(cards::card_delete)) },
    Op { params: CARD, body: Some(r#"{"action": "top_up", "amount_fen": 1000}"#), ..op!("post", "/_sim/cards/{id}/actions", "cards", "Run an action: stop, resume, activate, top_up, renew, cut_data, restore_data, use_data", 200, [400, 404, 409], || post(cards::card_action)) },
    Op { query: &[("card", "ICCID/MSISDN/IMSI"), ("account", "account id"), ("type", "comma-separated event types"), ("from", "RFC 3339"), ("to", "RFC 3339"), ("after", "event seq cursor"), ("limit", "1 to 10000")], ..op!("get", "/_sim/events", "events", "Query the event journal", 200, [400, 404], || get(events::events)) },
    Op { query: &[("card", "ICCID"), ("account", "account id"), ("type", "comma-separated event types"), ("after", "event seq: replay the journal after it first (or the Last-Event-ID header)")], produces: "text/event-stream", ..op!("get", "/_sim/events/stream", "events", "Live events as they are journaled (Server-Sent Events, `id` = seq, `event` = type, `data` = the event's JSON); what fell out of retention before it was read comes as one `gap` event `{\"type\":\"gap\",\"from\":..,\"to\":..,\"dropped\":n}`", 200, [400, 404], || get(events::stream)) },
    op!("get", "/_sim/webhooks", "webhooks", "List webhook subscriptions", 200, [], || get(webhooks::list)),
    Op { body: Some(r#"{"account": "cmcc-demo", "url": "http://127.0.0.1:9/hook", "types": ["state_changed"], "secret": "s3cret"}"#), ..op!("post", "/_sim/webhooks", "webhooks", "Subscribe a URL to an account's events (JSON of /_sim/events, signed `X-CarrierSim-Signature: sha256=<hex HMAC-SHA256>`, in order, retried with backoff)", 201, [400], || post(webhooks::add)) },
    Op { params: &[("id", "wh-1")], ..op!("delete", "/_sim/webhooks/{id}", "webhooks", "Remove a subscription (what it still had queued is not sent)", 200, [404], || delete(webhooks::remove)) },
    Op { query: &[("webhook", "subscription id")], ..op!("get", "/_sim/webhooks/deliveries", "webhooks", "Webhook delivery attempts, oldest first (the last 10000 of all outbound deliveries)", 200, [], || get(webhooks::deliveries)) },
    op!("get", "/_sim/cucc/push", "webhooks", "China Unicom push: the effective callback URL of every CUCC account (registered, else the fixture's; null = none)", 200, [], || get(cucc_push::list)),
    Op { body: Some(r#"{"account": "cucc-demo", "url": "http://127.0.0.1:9/cucc-push"}"#), ..op!("post", "/_sim/cucc/push", "webhooks", "Register a CUCC account's push callback URL (Control Center form posts: eventId, eventType, timestamp, signature, signature2, data XML)", 200, [400, 404], || post(cucc_push::register)) },
    Op { query: &[("account", "CUCC account id (required)")], ..op!("delete", "/_sim/cucc/push", "webhooks", "Forget a CUCC account's registered callback URL (the fixture's applies again)", 200, [400], || delete(cucc_push::unregister)) },
    Op { query: &[("account", "CUCC account id")], ..op!("get", "/_sim/cucc/push/deliveries", "webhooks", "China Unicom push attempts, oldest first", 200, [], || get(cucc_push::deliveries)) },
    op!("get", "/_sim/traces", "traces", "List usage traces", 200, [], || get(traces::traces_list)),
    Op { body: Some(r#"{"kind": "burn", "total": "500MB", "over": "1h", "applies_to": {"tag": "normal"}}"#), ..op!("post", "/_sim/traces", "traces", "Add or replace a usage trace", 200, [400], || post(traces::traces_add)) },
    Op { params: &[("id", "normal-steady")], ..op!("delete", "/_sim/traces/{id}", "traces", "Remove a trace", 200, [404], || delete(traces::traces_remove)) },
    op!("get", "/_sim/faults", "faults", "List fault rules with how often they fired", 200, [], || get(faults::faults_list)),
    Op { body: Some(r#"{"carrier": "ctcc", "kind": "carrier_error", "error": "too_frequent", "count": 1}"#), ..op!("post", "/_sim/faults", "faults", "Add a fault rule (latency, carrier_error, http, reset, truncate, timeout)", 201, [400, 404], || post(faults::faults_add)) },
    op!("delete", "/_sim/faults", "faults", "Remove every fault rule", 200, [], || delete(faults::faults_clear)),
    op!("get", "/_sim/faults/fired", "faults", "Fault rules that fired (newest first, the last 1000), kept after a rule retires", 200, [], || get(faults::fired_list)),
    op!("delete", "/_sim/faults/fired", "faults", "Forget the fired-fault history", 200, [], || delete(faults::fired_clear)),
    Op { params: &[("id", "fault-1")], ..op!("delete", "/_sim/faults/{id}", "faults", "Remove one fault rule", 200, [404], || delete(faults::fault_remove)) },
    op!("get", "/_sim/ratelimits", "faults", "Per-account rate limits in force (CTCC queries 500/minute by default)", 200, [], || get(ratelimits::ratelimits_list)),
    Op { body: Some(r#"{"items": [{"id": "ctcc-query-500-per-minute", "carrier": "ctcc", "endpoint": "/m2m_ec/", "methods": ["queryPakage", "queryTraffic", "queryTrafficByDate"], "limit": 500, "per": "1m"}]}"#), ..op!("put", "/_sim/ratelimits", "faults", "Replace the rate-limit table ({\"items\": []} turns limits off)", 200, [400], || put(ratelimits::ratelimits_put)) },
    Op { query: &[("carrier", "cmcc, cucc or ctcc"), ("method", "HTTP method"), ("path", "path substring"), ("status", "HTTP status (0 = reset)"), ("account", "account id"), ("card", "ICCID/MSISDN/IMSI"), ("after", "seq cursor"), ("limit", "1 to 10000")], ..op!("get", "/_sim/requests", "requests", "The carrier-API request journal (secrets masked)", 200, [400, 404], || get(requests::requests_list)) },
    op!("delete", "/_sim/requests", "requests", "Clear the request journal", 200, [], || delete(requests::requests_clear)),
    Op { query: &[("carrier", "cmcc, cucc or ctcc"), ("method", "HTTP method"), ("path", "path substring"), ("status", "HTTP status (0 = reset)"), ("account", "account id"), ("card", "ICCID/MSISDN/IMSI"), ("after", "seq cursor (default: the newest)")], produces: "text/event-stream", ..op!("get", "/_sim/requests/stream", "requests", "Journaled requests as they happen (Server-Sent Events `request`)", 200, [400, 404], || get(requests::requests_stream)) },
    Op { body: Some(r#"{"cap": 20000}"#), ..op!("post", "/_sim/requests/config", "requests", "Resize the request journal (`cap`) or turn recording on/off (`enabled`)", 200, [400], || post(requests::requests_config)) },
    op!("get", "/_sim/snapshots", "snapshots", "List named in-memory snapshots", 200, [], || get(snapshots::snapshots_list)),
    Op { body: Some(r#"{"name": "before-test"}"#), ..op!("post", "/_sim/snapshots", "snapshots", "Take a named in-memory snapshot (at most 64 kept)", 201, [400, 409], || post(snapshots::snapshot_create)) },
    Op { params: &[("name", "before-test")], ..op!("delete", "/_sim/snapshots/{name}", "snapshots", "Forget a named snapshot", 200, [404], || delete(snapshots::snapshot_delete)) },
    Op { params: &[("name", "before-test")], ..op!("post", "/_sim/snapshots/{name}/restore", "snapshots", "Restore a named snapshot", 200, [400, 404], || post(snapshots::snapshot_restore)) },
    Op { body: Some(r#"{"path": "world.json"}"#), ..op!("post", "/_sim/snapshot/save", "snapshots", "Save the world to a file in the snapshot directory atomically", 200, [400], || post(snapshots::snapshot_save)) },
    Op { body: Some(r#"{"path": "world.json"}"#), ..op!("post", "/_sim/snapshot/load", "snapshots", "Load the world from a file in the snapshot directory", 200, [400], || post(snapshots::snapshot_load)) },
    op!("get", "/_sim/export", "snapshots", "Export the world as JSON (cards, accounts, plans, pools, clock, journal, traces, requests)", 200, [], || get(snapshots::export)),
    Op { body: Some(r#"{"format": 1, "now": "2026-01-15T02:00:00Z", "accounts": [], "plans": [], "pools": [], "cards": [], "journal": [], "traces": []}"#), ..op!("post", "/_sim/import", "snapshots", "Replace the world with an exported JSON (at most 256 MiB)", 200, [400, 413], || post(snapshots::import).layer(axum::extract::DefaultBodyLimit::max(super::snapshot::IMPORT_BODY_LIMIT))) },
    op!("get", "/_sim/modems", "modems", "Where the virtual AT modems listen: the TCP port and the pseudo-terminals", 200, [], || get(modems::modems)),
    Op { params: HANDSET, ..op!("get", "/_sim/handsets/{id}", "handsets", "What a phone holding the card sees: state, network access, service numbers and their commands, unread count", 200, [404], || get(handsets::summary)) },
    Op { params: HANDSET, body: Some(r#"{"to": "10010", "text": "CXLL"}"#), ..op!("post", "/_sim/handsets/{id}/sms", "handsets", "Send an SMS from the card; the service number's replies come back", 200, [400, 404, 409], || post(handsets::send)) },
    Op { params: HANDSET, ..op!("get", "/_sim/handsets/{id}/inbox", "handsets", "Messages the card received, oldest first (marks them read)", 200, [404], || get(handsets::inbox)) },
    Op { params: HANDSET, ..op!("delete", "/_sim/handsets/{id}/inbox", "handsets", "Clear the card's inbox", 200, [404], || delete(handsets::clear_inbox)) },
    Op { params: HANDSET, ..op!("get", "/_sim/handsets/{id}/messages", "handsets", "Messages in both directions (mo and mt), oldest first", 200, [404], || get(handsets::messages)) },
    Op { params: HANDSET, body: Some(r#"{"code": "*100#"}"#), ..op!("post", "/_sim/handsets/{id}/ussd", "handsets", "Begin a USSD session (`{\"code\"}`) or answer its menu (`{\"input\"}`)", 200, [400, 404, 409], || post(handsets::ussd_post)) },
    Op { params: HANDSET, ..op!("delete", "/_sim/handsets/{id}/ussd", "handsets", "End the USSD session", 200, [404], || delete(handsets::ussd_end)) },
    Op { params: HANDSET, body: Some(r#"{"to": "10010", "dtmf": "1"}"#), ..op!("post", "/_sim/handsets/{id}/call", "handsets", "Call a hotline (IVR), optionally pressing keys at once", 200, [400, 404, 409], || post(handsets::call)) },
    Op { params: HANDSET, ..op!("delete", "/_sim/handsets/{id}/call", "handsets", "Hang up", 200, [404], || delete(handsets::hang_up)) },
    Op { params: HANDSET, body: Some(r#"{"digits": "1"}"#), ..op!("post", "/_sim/handsets/{id}/call/dtmf", "handsets", "Press keys during the call", 200, [400, 404, 409], || post(handsets::dtmf)) },
    Op { produces: "text/html", ..op!("get", "/_sim/ui", "dashboard", "The web dashboard (embedded single page; needs no admin token)", 200, [], || get(crate::web::index)) },
    Op { produces: "text/html", ..op!("get", "/_sim/ui/", "dashboard", "Permanent redirect to /_sim/ui", 308, [], || get(crate::web::to_index)) },
    Op { params: &[("file", "app.js")], produces: "text/javascript", ..op!("get", "/_sim/ui/{file}", "dashboard", "Dashboard files: index.html, zh-CN.js, app.js, app.css, favicon.svg", 200, [404], || get(crate::web::asset)) },
    Op { produces: "application/openmetrics-text", ..op!("get", "/_sim/metrics", "status", "OpenMetrics text (Prometheus)", 200, [], || get(status::metrics)) },
    Op { body: Some(r#"{"builtin": "default", "seed": 7, "ttl": "30m"}"#), ..op!("post", "/_sim/worlds", "worlds", "Create an isolated world (fixture text or object, or builtin \"default\"; seed, start, idle ttl); served under /w/{id}/ with its own /_sim", 201, [400, 404, 429], || post(worlds::create)) },
    op!("get", "/_sim/worlds", "worlds", "List the worlds on demand with their URLs", 200, [404], || get(worlds::list)),
    Op { params: &[("id", "w1")], ..op!("get", "/_sim/worlds/{id}", "worlds", "One world with its URLs", 200, [404], || get(worlds::one)) },
    Op { params: &[("id", "w1")], ..op!("delete", "/_sim/worlds/{id}", "worlds", "Delete a world and free its memory", 200, [404], || delete(worlds::delete)) },
    op!("get", "/_sim/openapi.json", "status", "This document", 200, [], || get(docs::openapi_json)),
    Op { produces: "text/html", ..op!("get", "/_sim/docs", "status", "Swagger UI (offline)", 200, [], || get(docs::docs_index)) },
    Op { params: &[("file", "swagger-ui.css")], produces: "text/css", ..op!("get", "/_sim/docs/{file}", "status", "Swagger UI assets", 200, [404], || get(docs::docs_asset)) },
];

/// The admin router, built from [`OPS`].
pub fn router(state: ControlState) -> Router {
    let mut r: Router<ControlState> = Router::new();
    for op in OPS {
        r = r.route(op.path, (op.handler)());
    }
    r.with_state(state)
}

fn method(m: &str) -> HttpMethod {
    match m {
        "get" => HttpMethod::Get,
        "post" => HttpMethod::Post,
        "patch" => HttpMethod::Patch,
        "put" => HttpMethod::Put,
        _ => HttpMethod::Delete,
    }
}

fn reason(code: u16) -> &'static str {
    axum::http::StatusCode::from_u16(code)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Error")
}

/// The OpenAPI 3 document of the admin plane.
pub fn document() -> OpenApi {
    let mut paths = Paths::new();
    for op in OPS {
        paths.add_path_operation(op.path, vec![method(op.method)], operation(op));
    }
    OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("carrier-sim admin API")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "The /_sim control plane of carrier-sim: status, clock, entities, events, webhooks and push callbacks, faults, request journal, snapshots, metrics. Errors are {\"error\": \"...\"}.",
                ))
                .build(),
        )
        .paths(paths)
        .build()
}

/// One operation: id, summary, tag, parameters, example body, responses.
fn operation(op: &Op) -> Operation {
    let mut b = OperationBuilder::new()
        .summary(Some(op.summary))
        .tag(op.tag)
        .operation_id(Some(format!(
            "{}_{}",
            op.method,
            op.path
                .trim_start_matches("/_sim/")
                .replace(['/', '{', '}', '.'], "_")
        )));
    for (name, example) in op.params {
        b = b.parameter(
            ParameterBuilder::new()
                .name(*name)
                .parameter_in(ParameterIn::Path)
                .required(Required::True)
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .example(Some(serde_json::Value::String(example.to_string()))),
        );
    }
    for (name, desc) in op.query {
        b = b.parameter(
            ParameterBuilder::new()
                .name(*name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(*desc))
                .schema(Some(ObjectBuilder::new().schema_type(Type::String))),
        );
    }
    if let Some(body) = op.body {
        let example = serde_json::from_str(body).expect("example bodies are JSON");
        b = b.request_body(Some(
            RequestBodyBuilder::new()
                .content(
                    JSON,
                    ContentBuilder::new()
                        .schema(Some(ObjectBuilder::new().schema_type(Type::Object)))
                        .example(Some(example))
                        .build(),
                )
                .build(),
        ));
    }
    b = b.response(op.ok.to_string(), success(op));
    for code in op.errors {
        b = b.response(code.to_string(), error(*code));
    }
    b.build()
}

/// The success answer, in the operation's content type.
fn success(op: &Op) -> Response {
    let schema = if op.produces == JSON {
        Type::Object
    } else {
        Type::String
    };
    ResponseBuilder::new()
        .description(reason(op.ok))
        .content(
            op.produces,
            ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(schema)))
                .build(),
        )
        .build()
}

/// An error answer: `{"error": "..."}`.
fn error(code: u16) -> Response {
    let schema = ObjectBuilder::new()
        .property("error", ObjectBuilder::new().schema_type(Type::String))
        .required("error");
    ResponseBuilder::new()
        .description(reason(code))
        .content(JSON, ContentBuilder::new().schema(Some(schema)).build())
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_op_is_documented_once() {
        let doc = serde_json::to_value(document()).unwrap();
        let mut n = 0;
        for (_, item) in doc["paths"].as_object().unwrap() {
            n += item.as_object().unwrap().len();
        }
        assert_eq!(n, OPS.len());
        assert_eq!(doc["openapi"].as_str().unwrap().chars().next(), Some('3'));
    }
}
