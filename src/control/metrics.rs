//! Metrics at `/_sim/metrics` in the OpenMetrics text format (what the
//! `prometheus-client` crate writes, served as
//! `application/openmetrics-text`, which Prometheus scrapes natively):
//! carrier-API requests per carrier, endpoint and status; their latency
//! histogram; cards per carrier and state; events journaled; webhook
//! deliveries. Counters are named `*_total`, as OpenMetrics requires.

use std::time::Duration;

use parking_lot::Mutex;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

use crate::domain::Carrier;
use crate::world::World;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    carrier: String,
    endpoint: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CarrierLabels {
    carrier: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    carrier: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DeliveryLabels {
    ok: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HistoryLabels {
    history: String,
}

/// The media type of [`Metrics::render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Distinct endpoint labels counted; later ones are counted as
/// [`OTHER_ENDPOINT`], so no request can grow the series without bound.
pub const MAX_ENDPOINTS: usize = 500;
/// The endpoint label beyond [`MAX_ENDPOINTS`].
pub const OTHER_ENDPOINT: &str = "(other)";

/// The registry and its metric families.
pub struct Metrics {
    /// Endpoint labels in use (bounded by [`MAX_ENDPOINTS`]).
    endpoints: Mutex<std::collections::HashSet<String>>,
    registry: Mutex<Registry>,
    requests: Family<RequestLabels, Counter>,
    latency: Family<CarrierLabels, Histogram>,
    cards: Family<StateLabels, Gauge>,
    events: Counter,
    events_dropped: Counter,
    delivery_gaps: Counter,
    trimmed: Family<HistoryLabels, Counter>,
    deliveries: Family<DeliveryLabels, Gauge>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Endpoint label: the path with digit runs of 6+ replaced by `{n}`, so
/// card numbers in paths do not explode the label set.
pub fn endpoint_label(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut digits = String::new();
    let flush = |digits: &mut String, out: &mut String| {
        if digits.len() >= 6 {
            out.push_str("{n}");
        } else {
            out.push_str(digits);
        }
        digits.clear();
    };
    for ch in path.chars().take(200) {
        if ch.is_ascii_digit() {
            digits.push(ch);
        } else {
            flush(&mut digits, &mut out);
            out.push(ch);
        }
    }
    flush(&mut digits, &mut out);
    out
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("carrier_sim");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<CarrierLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        let cards = Family::<StateLabels, Gauge>::default();
        let events = Counter::default();
        let events_dropped = Counter::default();
        let delivery_gaps = Counter::default();
        let trimmed = Family::<HistoryLabels, Counter>::default();
        let deliveries = Family::<DeliveryLabels, Gauge>::default();
        registry.register(
            "requests",
            "Carrier-API requests by carrier, endpoint and HTTP status (0 = connection reset)",
            requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Carrier-API request latency",
            latency.clone(),
        );
        registry.register("cards", "Cards by carrier and state", cards.clone());
        registry.register(
            "events_journaled",
            "Domain events journaled since the last reset (a reset restarts the counter)",
            events.clone(),
        );
        registry.register(
            "events_dropped",
            "Journal events that fell out of its retention (the journal's cap) since the server started",
            events_dropped.clone(),
        );
        registry.register(
            "delivery_gaps",
            "Gap notices given to delivery subscribers (webhooks, CUCC push) whose events fell out of retention before delivery",
            delivery_gaps.clone(),
        );
        registry.register(
            "history_trimmed",
            "Entries that fell out of the cards' histories by the retention (card_events, days, months, hours; ledger_entries: folded into a carried-forward entry)",
            trimmed.clone(),
        );
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts in the delivery log (its last 10 000), by outcome",
            deliveries.clone(),
        );
        Metrics {
            endpoints: Mutex::new(Default::default()),
            registry: Mutex::new(registry),
            requests,
            latency,
            cards,
            events,
            events_dropped,
            delivery_gaps,
            trimmed,
            deliveries,
        }
    }

    /// Counts one carrier-API exchange.
    pub fn observe_request(
        &self,
        carrier: Option<Carrier>,
        path: &str,
        status: u16,
        took: Duration,
    ) {
        let carrier = carrier.map(|c| c.as_str()).unwrap_or("none").to_string();
        let mut endpoint = endpoint_label(path);
        {
            let mut known = self.endpoints.lock();
            if !known.contains(&endpoint) {
                if known.len() < MAX_ENDPOINTS {
                    known.insert(endpoint.clone());
                } else {
                    endpoint = OTHER_ENDPOINT.to_string();
                }
            }
        }
        self.requests
            .get_or_create(&RequestLabels {
                carrier: carrier.clone(),
                endpoint,
                status: status.to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&CarrierLabels { carrier })
            .observe(took.as_secs_f64());
    }

    /// Starts the request counters and latencies over (`/_sim/reset`).
    pub fn reset(&self) {
        self.requests.clear();
        self.latency.clear();
        self.endpoints.lock().clear();
    }

    /// The text exposition, with the world's gauges refreshed.
    pub fn render(
        &self,
        world: &World,
        webhooks: &super::webhooks::Webhooks,
        outbound: &crate::outbound::Outbound,
    ) -> String {
        self.cards.clear();
        for (carrier, state, n) in world.state_counts() {
            self.cards
                .get_or_create(&StateLabels {
                    carrier: carrier.as_str().into(),
                    state: state.as_str().into(),
                })
                .set(n as i64);
        }
        // The journal's sequence number is the count; a reset starts it
        // over, which scrapers read as a counter reset.
        self.events.inner().store(
            world.journal.last_seq(),
            std::sync::atomic::Ordering::Relaxed,
        );
        self.events_dropped.inner().store(
            world.journal.stats().dropped,
            std::sync::atomic::Ordering::Relaxed,
        );
        self.delivery_gaps.inner().store(
            outbound.gap_stats().gaps,
            std::sync::atomic::Ordering::Relaxed,
        );
        let t = world.engine.trimmed();
        for (history, n) in [
            ("card_events", t.card_events),
            ("ledger_entries", t.ledger_entries),
            ("days", t.days),
            ("months", t.months),
            ("hours", t.hours),
        ] {
            self.trimmed
                .get_or_create(&HistoryLabels {
                    history: history.into(),
                })
                .inner()
                .store(n, std::sync::atomic::Ordering::Relaxed);
        }
        let (ok, failed) = webhooks.delivery_counts();
        self.deliveries
            .get_or_create(&DeliveryLabels { ok: "true".into() })
            .set(ok as i64);
        self.deliveries
            .get_or_create(&DeliveryLabels { ok: "false".into() })
            .set(failed as i64);
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry.lock());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_labels_hide_numbers() {
        assert_eq!(
            endpoint_label("/rws/api/v1/devices/89860000000000000001"),
            "/rws/api/v1/devices/{n}"
        );
        assert_eq!(
            endpoint_label("/v5/ec/query/sim-status"),
            "/v5/ec/query/sim-status"
        );
    }
}
