//! `/_sim/events`: query the event journal by card, account, type, time
//! range and cursor; `/_sim/events/stream` follows it live (Server-Sent
//! Events). Both read the journal by cursor: a cursor (`?after=`, or the
//! stream's `Last-Event-ID`) that points before what the journal still
//! keeps gets an explicit gap, `{"type":"gap","from":..,"to":..,"dropped":n}`
//! (the `gap` field of the query's answer, an SSE event of type `gap`),
//! never a silent skip.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::convert::Infallible;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use futures::Stream;
use serde_json::{json, Value};

use super::{bad, cards::find, views, ApiError, ApiResult, ControlState};
use crate::clock::parse_time;
use crate::domain::Event;
use crate::journal::{EventFilter, Gap};

/// Events an SSE stream reads from the journal at once.
const STREAM_BATCH: usize = 256;

pub async fn events(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let parse_t = |k: &str| -> Result<Option<jiff::Timestamp>, ApiError> {
        q.get(k)
            .map(|v| {
                parse_time(v).ok_or_else(|| bad(format!("{k}: '{v}' is not an RFC 3339 time")))
            })
            .transpose()
    };
    let limit = match q.get("limit") {
        Some(v) => v
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0 && *n <= 10_000)
            .ok_or_else(|| bad("limit must be between 1 and 10000"))?,
        None => 100,
    };
    let after = q
        .get("after")
        .map(|v| {
            v.parse::<u64>()
                .map_err(|_| bad("after must be an event seq"))
        })
        .transpose()?;
    let iccid = match q.get("card").or(q.get("iccid")) {
        Some(id) => Some(find(&s.world, id)?.to_string()),
        None => None,
    };
    let f = EventFilter {
        iccid,
        account: q.get("account").cloned(),
        types: q
            .get("type")
            .map(|t| t.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        from: parse_t("from")?,
        to: parse_t("to")?,
        after,
        limit,
    };
    // A cursor is read as a cursor: what fell out of retention after it
    // is said (`gap`), not skipped.
    let (found, gap) = match after {
        Some(a) => {
            let read = s.world.journal.read(a, &f, limit);
            (read.events, read.gap)
        }
        None => (s.world.journal.query(&f), None),
    };
    let items: Vec<Value> = found.iter().map(views::event).collect();
    let next = items.last().and_then(|e| e.get("seq")).cloned();
    let mut answer = json!({"items": items, "next_after": next});
    if let Some(gap) = gap {
        answer["gap"] = gap.to_json();
    }
    Ok(Json(answer))
}

/// `GET /_sim/events/stream`: live events as Server-Sent Events, filtered
/// like the query (`card`, `account`, `type`), starting after `after` (or
/// the `Last-Event-ID` a reconnecting client sends) when given, else with
/// the next new event. A stream that falls behind the journal's retention
/// gets a `gap` event for what it missed, then continues.
pub async fn stream(
    State(s): State<ControlState>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let iccid = match q.get("card").or(q.get("iccid")) {
        Some(id) => Some(find(&s.world, id)?.to_string()),
        None => None,
    };
    let filter = EventFilter {
        iccid,
        account: q.get("account").cloned(),
        types: q
            .get("type")
            .map(|t| t.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        ..Default::default()
    };
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let after = match q.get("after").cloned().or(resume) {
        Some(v) => Some(
            v.trim()
                .parse::<u64>()
                .map_err(|_| bad("after must be an event seq"))?,
        ),
        None => None,
    };
    let follower = s.world.journal.follow(after);
    let stream = futures::stream::unfold(
        (follower, filter, VecDeque::<SseEvent>::new()),
        |(mut follower, filter, mut pending)| async move {
            loop {
                if let Some(e) = pending.pop_front() {
                    return Some((Ok(e), (follower, filter, pending)));
                }
                let read = follower.next(&filter, STREAM_BATCH).await?;
                pending.extend(read.gap.as_ref().map(sse_gap));
                pending.extend(read.events.iter().map(sse_event));
            }
        },
    );
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// A gap as an SSE message: event = `gap`, id = the last missed seq (a
/// client reconnecting with it continues after the gap), data = the gap.
fn sse_gap(g: &Gap) -> SseEvent {
    SseEvent::default()
        .id(g.to.to_string())
        .event("gap")
        .data(g.to_json().to_string())
}

/// One journal event as an SSE message: id = seq, event = type, data = the
/// event's JSON view.
fn sse_event(e: &Event) -> SseEvent {
    SseEvent::default()
        .id(e.seq.to_string())
        .event(e.kind.type_name())
        .data(views::event(e).to_string())
}
