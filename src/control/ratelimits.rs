//! Per-account rate limits as the carriers apply them, enforced by the
//! carrier middleware on wall-clock time (a transport concern, not the
//! simulated clock). A request over the limit gets the carrier's own
//! "too frequent" error (see [`crate::carriers::dialect`]).
//!
//! On by default where the specs state a limit: CTCC m2m_ec `queryPakage`,
//! `queryTraffic` and `queryTrafficByDate` at 500 per minute per account.
//! (CUCC's REST token bucket lives in its dialect, configured by the
//! fixture's `[dialects.cucc]`.) The table is replaced with
//! `PUT /_sim/ratelimits`; an empty list turns every limit off.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use crate::domain::Carrier;

/// One limit: at most `limit` matching requests per account per `per`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    pub id: String,
    pub carrier: Carrier,
    /// Substring of the path (all paths of the carrier when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// API methods (the CTCC `method` parameter, or the last path
    /// segment); every method when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<String>,
    pub limit: u32,
    /// Window: `"1m"`, `"1s"`, `"1h"`.
    pub per: String,
}

impl RateLimit {
    fn window(&self) -> Result<Duration, String> {
        let d = crate::clock::parse_duration(&self.per)
            .map_err(|e| format!("{}: per: {e}", self.id))?;
        if d.is_zero() {
            return Err(format!("{}: per must be positive", self.id));
        }
        Ok(Duration::from_secs(d.as_secs() as u64))
    }

    fn matches(&self, carrier: Carrier, path: &str, params: &[(String, String)]) -> bool {
        self.carrier == carrier
            && self.endpoint.as_deref().is_none_or(|e| path.contains(e))
            && (self.methods.is_empty()
                || self.methods.iter().any(|m| {
                    params.iter().any(|(k, v)| k == "method" && v == m)
                        || path.rsplit('/').next() == Some(m.as_str())
                }))
    }
}

/// The limits the specs state.
pub fn defaults() -> Vec<RateLimit> {
    vec![RateLimit {
        id: "ctcc-query-500-per-minute".into(),
        carrier: Carrier::Ctcc,
        endpoint: Some("/m2m_ec/".into()),
        methods: vec![
            "queryPakage".into(),
            "queryTraffic".into(),
            "queryTrafficByDate".into(),
        ],
        limit: 500,
        per: "1m".into(),
    }]
}

/// The limits in force and the recent requests per (limit, account).
pub struct RateLimits {
    inner: Mutex<Inner>,
}

struct Inner {
    rules: Vec<(RateLimit, Duration)>,
    seen: HashMap<(String, String), VecDeque<Instant>>,
}

impl Default for RateLimits {
    fn default() -> Self {
        let r = RateLimits {
            inner: Mutex::new(Inner {
                rules: Vec::new(),
                seen: HashMap::new(),
            }),
        };
        r.replace(defaults()).expect("defaults are valid");
        r
    }
}

impl RateLimits {
    /// Replaces the table (checked first; nothing changes on error).
    pub fn replace(&self, rules: Vec<RateLimit>) -> Result<(), String> {
        let mut checked = Vec::with_capacity(rules.len());
        for r in rules {
            if r.id.is_empty() {
                return Err("every limit needs an 'id'".into());
            }
            if r.limit == 0 {
                return Err(format!("{}: limit must be at least 1", r.id));
            }
            let w = r.window()?;
            checked.push((r, w));
        }
        let mut g = self.inner.lock();
        g.rules = checked;
        g.seen.clear();
        Ok(())
    }

    pub fn list(&self) -> Vec<RateLimit> {
        self.inner
            .lock()
            .rules
            .iter()
            .map(|(r, _)| r.clone())
            .collect()
    }

    /// Back to the defaults with empty counters.
    pub fn reset(&self) {
        let _ = self.replace(defaults());
    }

    /// Counts a request; returns the id of the limit it exceeds, if any.
    pub fn check(
        &self,
        carrier: Carrier,
        path: &str,
        params: &[(String, String)],
        account: Option<&str>,
    ) -> Option<String> {
        let account = account?;
        let now = Instant::now();
        let mut g = self.inner.lock();
        let Inner { rules, seen } = &mut *g;
        for (r, window) in rules.iter() {
            if !r.matches(carrier, path, params) {
                continue;
            }
            let q = seen.entry((r.id.clone(), account.to_string())).or_default();
            while q.front().is_some_and(|t| now.duration_since(*t) >= *window) {
                q.pop_front();
            }
            if q.len() >= r.limit as usize {
                return Some(r.id.clone());
            }
            q.push_back(now);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctcc_queries_are_limited_per_account() {
        let r = RateLimits::default();
        let params = vec![("method".to_string(), "queryTraffic".to_string())];
        for _ in 0..500 {
            assert!(r
                .check(Carrier::Ctcc, "/m2m_ec/query.do", &params, Some("a"))
                .is_none());
        }
        assert!(r
            .check(Carrier::Ctcc, "/m2m_ec/query.do", &params, Some("a"))
            .is_some());
        assert!(r
            .check(Carrier::Ctcc, "/m2m_ec/query.do", &params, Some("b"))
            .is_none());
        let other = vec![("method".to_string(), "getSIMList".to_string())];
        assert!(r
            .check(Carrier::Ctcc, "/m2m_ec/query.do", &other, Some("a"))
            .is_none());
        r.replace(vec![]).unwrap();
        assert!(r
            .check(Carrier::Ctcc, "/m2m_ec/query.do", &params, Some("a"))
            .is_none());
    }

    #[test]
    fn bad_tables_are_refused() {
        let r = RateLimits::default();
        let mut bad = defaults();
        bad[0].limit = 0;
        assert!(r.replace(bad).unwrap_err().contains("limit"));
        let mut bad = defaults();
        bad[0].per = "soon".into();
        assert!(r.replace(bad).unwrap_err().contains("per"));
        assert_eq!(r.list(), defaults());
    }
}
