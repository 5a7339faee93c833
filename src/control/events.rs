//! `/_sim/events`: query the event journal by card, account, type, time
//! range and cursor; `/_sim/events/stream` follows it live (Server-Sent
//! Events).

use std::collections::HashMap;
use std::convert::Infallible;

use axum::extract::{Query, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::Json;
use futures::Stream;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::{bad, cards::find, views, ApiError, ApiResult, ControlState};
use crate::clock::parse_time;
use crate::domain::Event;
use crate::journal::EventFilter;

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
    let items: Vec<Value> = s.world.journal.query(&f).iter().map(views::event).collect();
    let next = items.last().and_then(|e| e.get("seq")).cloned();
    Ok(Json(json!({"items": items, "next_after": next})))
}

/// `GET /_sim/events/stream`: live events as Server-Sent Events, filtered
/// like the query (`card`, `account`, `type`), starting with the journal's
/// events after `after` when given.
pub async fn stream(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let filter = EventFilter {
        iccid: q.get("card").cloned(),
        account: q.get("account").cloned(),
        types: q
            .get("type")
            .map(|t| t.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        ..Default::default()
    };
    let backlog: Vec<Event> = match q.get("after").and_then(|a| a.parse::<u64>().ok()) {
        Some(after) => s.world.journal.query(&EventFilter {
            after: Some(after),
            limit: 10_000,
            ..filter.clone()
        }),
        None => Vec::new(),
    };
    let feed = s.world.journal.subscribe();
    let last = backlog.last().map(|e| e.seq).unwrap_or(0);
    let stream = futures::stream::unfold(
        (backlog.into_iter(), feed, filter, last),
        |(mut backlog, mut feed, filter, last)| async move {
            if let Some(e) = backlog.next() {
                return Some((Ok(sse_event(&e)), (backlog, feed, filter, last)));
            }
            loop {
                match feed.recv().await {
                    Ok(e) if e.seq > last && filter.matches(&e) => {
                        return Some((Ok(sse_event(&e)), (backlog, feed, filter, last)));
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                }
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// One journal event as an SSE message: id = seq, event = type, data = the
/// event's JSON view.
fn sse_event(e: &Event) -> SseEvent {
    SseEvent::default()
        .id(e.seq.to_string())
        .event(e.kind.type_name())
        .data(views::event(e).to_string())
}
