//! OneLink v5 authentication: `/get/token` (appid + password → token),
//! tokens that expire on the simulated clock, one live token per appid
//! (configurable), `12021` for a missing/unknown/expired token, `12022` for
//! bad credentials, and the transid check (lenient: starts with the appid;
//! strict: appid + valid `yyyyMMddHHmmss` + 8 digits). Dialect settings come
//! from the fixture's `[dialects.cmcc]` table.

use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{Request, State};
use axum::response::Response;
use compact_str::CompactString;
use dashmap::DashMap;
use jiff::{SignedDuration, Timestamp};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::codes::Code;
use super::params::Params;
use super::{failure, read_params, respond, Cmcc, Fail, Shared};
use crate::domain::{Account, Carrier};
use crate::fixture::dialects::CmccSettings;

/// `[dialects.cmcc]` settings.
#[derive(Clone, Debug, PartialEq)]
pub struct Conf {
    /// Token lifetime (`token_ttl`, default 1 h; "2h" or seconds).
    pub token_ttl: SignedDuration,
    /// A new token invalidates the appid's previous one (`single_token`).
    pub single_token: bool,
    /// Same-card repeat window for change calls in minutes (0 = off).
    pub repeat_rule_minutes: i64,
}

impl Default for Conf {
    fn default() -> Self {
        Conf {
            token_ttl: SignedDuration::from_hours(1),
            single_token: true,
            repeat_rule_minutes: 0,
        }
    }
}

impl Conf {
    /// The fixture's `[dialects.cmcc]` over the defaults.
    pub fn from_settings(s: &CmccSettings) -> Conf {
        let d = Conf::default();
        Conf {
            token_ttl: s.token_ttl.map_or(d.token_ttl, |t| t.0),
            single_token: s.single_token.unwrap_or(d.single_token),
            repeat_rule_minutes: s
                .repeat_rule_minutes
                .map_or(d.repeat_rule_minutes, i64::from),
        }
    }

    /// The settings of the world's current fixture.
    pub fn of(cm: &Cmcc) -> Conf {
        Conf::from_settings(&cm.world.fixture().dialects.cmcc)
    }
}

/// Live tokens kept before expired ones are dropped on the next issue.
const PRUNE_AT: usize = 10_000;

/// An issued token.
#[derive(Debug)]
struct Issued {
    appid: String,
    account: CompactString,
    issued: Timestamp,
    expires: Timestamp,
}

/// The token store (token → holder, appid → latest token).
#[derive(Default)]
pub struct Tokens {
    by_token: DashMap<String, Issued>,
    latest: DashMap<String, String>,
    seq: AtomicU64,
}

impl Tokens {
    /// Issues a token for an account.
    fn issue(&self, cm: &Cmcc, appid: &str, account: &Account, conf: &Conf) -> String {
        let now = cm.world.now();
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let mut h = Sha256::new();
        h.update(cm.world.fixture().seed.to_le_bytes());
        h.update(appid.as_bytes());
        h.update(n.to_le_bytes());
        h.update(now.as_nanosecond().to_le_bytes());
        let token = hex::encode(&h.finalize()[..16]);
        let expires = now.checked_add(conf.token_ttl).unwrap_or(now);
        if self.by_token.len() >= PRUNE_AT {
            self.by_token.retain(|_, i| i.expires > now);
        }
        if conf.single_token {
            if let Some(old) = self.latest.insert(appid.to_string(), token.clone()) {
                self.by_token.remove(&old);
            }
        } else {
            self.latest.insert(appid.to_string(), token.clone());
        }
        self.by_token.insert(
            token.clone(),
            Issued {
                appid: appid.to_string(),
                account: account.id.clone(),
                issued: now,
                expires,
            },
        );
        token
    }

    /// Checks `token` and `transid` of a business call; the caller's account.
    pub fn check(&self, cm: &Cmcc, p: &Params) -> Result<CompactString, Fail> {
        let token = p.get("token").ok_or(Fail::new(Code::TokenInvalid))?;
        let now = cm.world.now();
        let checked = match self.by_token.get(token) {
            None => return Err(Fail::new(Code::TokenInvalid)),
            // Expired, or issued "in the future" of a world reset since.
            Some(i) if now >= i.expires || now < i.issued => None,
            Some(i) => Some(p.need("transid").and_then(|t| {
                match transid_ok(&i.appid, t, cm.strict_transid) {
                    true => Ok(i.account.clone()),
                    false => Err(Fail::new(Code::AuthFailed)),
                }
            })),
        };
        match checked {
            Some(r) => r,
            None => {
                self.by_token.remove(token);
                Err(Fail::new(Code::TokenInvalid))
            }
        }
    }
}

/// The transid rule: lenient = starts with the appid; strict = appid +
/// a valid `yyyyMMddHHmmss` + an 8-digit sequence.
pub fn transid_ok(appid: &str, transid: &str, strict: bool) -> bool {
    let Some(rest) = transid.strip_prefix(appid) else {
        return false;
    };
    if !strict {
        return true;
    }
    if rest.len() != 22 || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    jiff::civil::DateTime::strptime("%Y%m%d%H%M%S", &rest[..14]).is_ok()
}

/// The CMCC account with this appid.
pub fn account_by_appid(cm: &Cmcc, appid: &str) -> Option<Account> {
    cm.world.find_account(|a| {
        a.carrier == Carrier::Cmcc && a.credentials.appid.as_deref() == Some(appid)
    })
}

/// `GET|POST /v5/ec/get/token` (CMIOT_API25000).
pub async fn get_token(State(cm): State<Shared>, req: Request) -> Response {
    let p = match read_params(req).await {
        Ok(p) => p,
        Err(f) => return failure(f),
    };
    respond(token_reply(&cm, &p))
}

fn token_reply(cm: &Cmcc, p: &Params) -> super::Reply {
    let appid = p.need("appid")?;
    let password = p.need("password")?;
    let transid = p.need("transid")?;
    let account = account_by_appid(cm, appid)
        .filter(|a| a.credentials.password.as_deref() == Some(password))
        .ok_or(Fail::new(Code::BadPassword))?;
    if !transid_ok(appid, transid, cm.strict_transid) {
        return Err(Fail::new(Code::AuthFailed));
    }
    let conf = Conf::of(cm);
    let token = cm.tokens.issue(cm, appid, &account, &conf);
    Ok(vec![
        json!({"token": token, "ttl": conf.token_ttl.as_secs().to_string()}),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transid_modes() {
        assert!(transid_ok("100001", "1000012014101615303080000001", true));
        assert!(transid_ok("100001", "100001abc", false));
        assert!(!transid_ok("100001", "100001abc", true));
        assert!(!transid_ok("100001", "1000012014131615303080000001", true));
        assert!(!transid_ok("100001", "1000022014101615303080000001", false));
        assert!(!transid_ok("100001", "10000120141016153030", true));
    }

    #[test]
    fn conf_from_fixture_values() {
        let v = serde_json::json!({"token_ttl": "2h", "single_token": false, "repeat_rule_minutes": 30});
        let c = Conf::from_settings(&serde_json::from_value(v).unwrap());
        assert_eq!(c.token_ttl, SignedDuration::from_hours(2));
        assert!(!c.single_token);
        assert_eq!(c.repeat_rule_minutes, 30);
        assert_eq!(
            Conf::from_settings(&CmccSettings::default()),
            Conf::default()
        );
    }
}
