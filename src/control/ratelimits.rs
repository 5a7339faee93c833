//! The one rate limiter: a table of rules, each a token bucket (GCRA, the
//! `governor` crate) per account — and per API method when the rule says
//! so. The dialects register their carriers' default rules (see
//! [`crate::carriers::dialect::Dialect::rate_limits`]); `PUT
//! /_sim/ratelimits` replaces the table at run time and `{"items": []}`
//! turns every limit off. A request over a limit gets its dialect's own
//! "too frequent" answer, the same bytes as an injected fault.
//!
//! Buckets refill on real time, so a frozen simulated clock (the default)
//! never locks an account out; a jump of the simulated clock refills them
//! too, as a window on the carrier's side would have passed (see
//! [`HybridClock`]).
//!
//! The `/_sim/ratelimits` handlers (read and replace the table) are at the
//! end.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::Json;
use compact_str::CompactString;
use dashmap::DashMap;
use governor::clock::Clock;
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::{InMemoryState, NotKeyed};
use governor::Quota;
use parking_lot::Mutex;
use serde_json::{json, Value};

use super::{bad, json_body, ApiResult, ControlState};
pub use crate::carriers::dialect::RateLimit;
use crate::carriers::dialect::{Dialect, DIALECTS};
use crate::fixture::Fixture;
use crate::world::World;

/// Buckets kept at most; beyond, all are dropped (they refill from full).
const MAX_BUCKETS: usize = 100_000;

/// Time for the buckets: whichever of real time and simulated time has
/// moved further since the limiter started, never going back.
#[derive(Clone)]
pub struct HybridClock {
    world: Arc<World>,
    real_start: Instant,
    sim_start: jiff::Timestamp,
    last: Arc<AtomicU64>,
}

impl HybridClock {
    fn new(world: Arc<World>) -> HybridClock {
        HybridClock {
            sim_start: world.now(),
            world,
            real_start: Instant::now(),
            last: Arc::new(AtomicU64::new(0)),
        }
    }
}

impl Clock for HybridClock {
    type Instant = Nanos;

    fn now(&self) -> Nanos {
        let real = self.real_start.elapsed().as_nanos() as u64;
        let sim = self
            .world
            .now()
            .duration_since(self.sim_start)
            .as_nanos()
            .clamp(0, u64::MAX as i128) as u64;
        let now = real.max(sim);
        Nanos::from(self.last.fetch_max(now, Ordering::Relaxed).max(now))
    }
}

type Bucket = governor::RateLimiter<NotKeyed, InMemoryState, HybridClock, NoOpMiddleware<Nanos>>;

/// The quota of a rule: `burst` (default `limit`) at once, refilled at
/// `limit` per window.
fn quota(limit: u32, per: Duration, burst: Option<u32>) -> Option<Quota> {
    let limit = NonZeroU32::new(limit)?;
    let burst = NonZeroU32::new(burst.unwrap_or(limit.get())).unwrap_or(limit);
    Quota::with_period(per / limit.get()).map(|q| q.allow_burst(burst))
}

/// A rule with its window read.
struct Rule {
    spec: RateLimit,
    quota: Quota,
}

impl Rule {
    fn checked(spec: RateLimit) -> Result<Rule, String> {
        if spec.id.is_empty() {
            return Err("every limit needs an 'id'".into());
        }
        if spec.limit == 0 {
            return Err(format!("{}: limit must be at least 1", spec.id));
        }
        if spec.burst == Some(0) {
            return Err(format!("{}: burst must be at least 1", spec.id));
        }
        let d = crate::clock::parse_duration(&spec.per)
            .map_err(|e| format!("{}: per: {e}", spec.id))?;
        if d.is_zero() || d.is_negative() {
            return Err(format!("{}: per must be positive", spec.id));
        }
        let per = Duration::from_secs(d.as_secs() as u64)
            + Duration::from_nanos(d.subsec_nanos().max(0) as u64);
        let quota = quota(spec.limit, per, spec.burst)
            .ok_or_else(|| format!("{}: per is too short for the limit", spec.id))?;
        Ok(Rule { spec, quota })
    }
}

/// Where the table in force came from.
enum Table {
    /// The dialects' defaults for this fixture (rebuilt when it changes).
    Defaults(Arc<Fixture>),
    /// Set with `PUT /_sim/ratelimits`.
    Replaced,
}

/// The rules in force and every bucket.
pub struct RateLimits {
    world: Arc<World>,
    clock: HybridClock,
    rules: Mutex<(Table, Arc<Vec<Rule>>)>,
    buckets: DashMap<(CompactString, CompactString, CompactString), (Quota, Arc<Bucket>)>,
}

/// Every dialect's default rules for a fixture.
pub fn defaults(fx: &Fixture) -> Vec<RateLimit> {
    DIALECTS.iter().flat_map(|d| d.rate_limits(fx)).collect()
}

impl RateLimits {
    /// The dialects' defaults for the world's fixture.
    pub fn new(world: Arc<World>) -> RateLimits {
        let fx = world.fixture();
        let rules = checked_defaults(&fx);
        RateLimits {
            clock: HybridClock::new(world.clone()),
            world,
            rules: Mutex::new((Table::Defaults(fx), Arc::new(rules))),
            buckets: DashMap::new(),
        }
    }

    /// Replaces the table (checked first; nothing changes on error).
    pub fn replace(&self, rules: Vec<RateLimit>) -> Result<(), String> {
        let checked = rules
            .into_iter()
            .map(Rule::checked)
            .collect::<Result<Vec<_>, _>>()?;
        *self.rules.lock() = (Table::Replaced, Arc::new(checked));
        self.buckets.clear();
        Ok(())
    }

    /// The rules in force.
    pub fn list(&self) -> Vec<RateLimit> {
        self.current().iter().map(|r| r.spec.clone()).collect()
    }

    /// Back to the dialects' defaults with full buckets.
    pub fn reset(&self) {
        let fx = self.world.fixture();
        *self.rules.lock() = (Table::Defaults(fx.clone()), Arc::new(checked_defaults(&fx)));
        self.buckets.clear();
    }

    /// The table, with the defaults rebuilt when the fixture was replaced.
    fn current(&self) -> Arc<Vec<Rule>> {
        let mut g = self.rules.lock();
        if let Table::Defaults(fx) = &g.0 {
            let now = self.world.fixture();
            if !Arc::ptr_eq(fx, &now) {
                *g = (
                    Table::Defaults(now.clone()),
                    Arc::new(checked_defaults(&now)),
                );
                self.buckets.clear();
            }
        }
        g.1.clone()
    }

    /// Counts a request of `account` on a dialect's path; the id of the
    /// rule it exceeds, if any.
    pub fn check(
        &self,
        dialect: &dyn Dialect,
        path: &str,
        params: &[(String, String)],
        account: Option<&str>,
    ) -> Option<String> {
        let account = account?;
        let method = dialect.method(path, params);
        let rules = self.current();
        for r in rules.iter() {
            let s = &r.spec;
            let applies = s.carrier == dialect.carrier()
                && s.endpoint.as_deref().is_none_or(|e| path.contains(e))
                && (s.methods.is_empty() || s.methods.iter().any(|m| m == method));
            if !applies {
                continue;
            }
            let keyed_method = if s.per_method { method } else { "" };
            if !self.admit(&s.id, account, keyed_method, r.quota) {
                return Some(s.id.clone());
            }
        }
        None
    }

    /// Takes one token of the bucket `(rule, account, method)` with
    /// `quota` (a bucket whose quota changed starts full again).
    pub fn admit(&self, rule: &str, account: &str, method: &str, quota: Quota) -> bool {
        if self.buckets.len() > MAX_BUCKETS {
            self.buckets.clear();
        }
        let key = (rule.into(), account.into(), method.into());
        let bucket = {
            let mut e = self.buckets.entry(key).or_insert_with(|| {
                (
                    quota,
                    Arc::new(Bucket::direct_with_clock(quota, self.clock.clone())),
                )
            });
            if e.0 != quota {
                *e = (
                    quota,
                    Arc::new(Bucket::direct_with_clock(quota, self.clock.clone())),
                );
            }
            e.1.clone()
        };
        bucket.check().is_ok()
    }

    /// Takes one token at `per_second` (burst one second's worth) for a
    /// stream that is not an HTTP request, such as an ESME's submits.
    pub fn admit_rate(&self, rule: &str, account: &str, per_second: f64) -> bool {
        if per_second <= 0.0 {
            return true;
        }
        let burst = per_second.max(1.0).min(u32::MAX as f64) as u32;
        let period = Duration::from_secs_f64(1.0 / per_second);
        let Some(q) = Quota::with_period(period)
            .and_then(|q| NonZeroU32::new(burst).map(|b| q.allow_burst(b)))
        else {
            return true;
        };
        self.admit(rule, account, "", q)
    }
}

/// The defaults of a fixture, every one valid (a dialect's rule that does
/// not check is left out rather than stopping the server).
fn checked_defaults(fx: &Fixture) -> Vec<Rule> {
    defaults(fx)
        .into_iter()
        .filter_map(|r| Rule::checked(r).ok())
        .collect()
}

// ---- `/_sim/ratelimits` ----

/// `GET /_sim/ratelimits`: the rules in force.
pub async fn ratelimits_list(State(s): State<ControlState>) -> Json<Value> {
    Json(json!({"items": s.plane.ratelimits.list()}))
}

/// `{"items": [...]}` replaces the table; `{"items": []}` turns limits off.
pub async fn ratelimits_put(State(s): State<ControlState>, body: Bytes) -> ApiResult {
    let m = json_body(&body)?;
    let items = m
        .get("items")
        .cloned()
        .ok_or_else(|| bad("missing 'items' (a list of limits; [] turns limits off)"))?;
    let text = items.to_string();
    let de = &mut serde_json::Deserializer::from_str(&text);
    let rules: Vec<RateLimit> = serde_path_to_error::deserialize(de)
        .map_err(|e| bad(format!("items{}: {}", e.path(), e.inner())))?;
    s.plane.ratelimits.replace(rules).map_err(bad)?;
    Ok(Json(json!({"items": s.plane.ratelimits.list()})))
}
