//! Request parameters as OneLink clients send them: a GET query string, a
//! POST form or a POST JSON object, merged (query first, body fills the
//! rest). Also the identifier rules: exactly one of msisdn/iccid/imsi on
//! single-card calls, `_`-separated lists of at most 100 on batch calls.

use axum::http::HeaderMap;

use super::codes::Code;
use super::Fail;

/// Largest batch list most calls accept.
pub const BATCH_MAX: usize = 100;

/// Merged request parameters (name → value, first occurrence wins).
#[derive(Debug, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
}

/// Which identifier a call was given.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    Msisdn,
    Iccid,
    Imsi,
}

impl IdKind {
    /// The single-card parameter name.
    pub fn name(self) -> &'static str {
        match self {
            IdKind::Msisdn => "msisdn",
            IdKind::Iccid => "iccid",
            IdKind::Imsi => "imsi",
        }
    }
}

impl Params {
    /// Merges the query string and the body (form or JSON).
    pub fn parse(query: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Result<Params, Fail> {
        let mut p = Params::default();
        if let Some(q) = query {
            p.add_form(q.as_bytes());
        }
        let trimmed = body.trim_ascii();
        if trimmed.is_empty() {
            return Ok(p);
        }
        let json_type = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
        if json_type || trimmed.starts_with(b"{") {
            let value: serde_json::Value =
                serde_json::from_slice(trimmed).map_err(|_| Fail::new(Code::BadParam))?;
            let serde_json::Value::Object(map) = value else {
                return Err(Fail::new(Code::BadParam));
            };
            for (k, v) in map {
                if let Some(s) = scalar(&v) {
                    p.push(k, s);
                }
            }
        } else {
            p.add_form(trimmed);
        }
        Ok(p)
    }

    fn add_form(&mut self, bytes: &[u8]) {
        for (k, v) in form_urlencoded::parse(bytes) {
            self.push(k.into_owned(), v.into_owned());
        }
    }

    fn push(&mut self, k: String, v: String) {
        if !self.pairs.iter().any(|(name, _)| *name == k) {
            self.pairs.push((k, v));
        }
    }

    /// A parameter's trimmed value; empty counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    }

    /// A required parameter (`11000` when missing).
    pub fn need(&self, name: &str) -> Result<&str, Fail> {
        self.get(name)
            .ok_or_else(|| Fail::bad(format!("{name} 不能为空")))
    }

    /// A required parameter that must be one of `allowed`.
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> Result<&str, Fail> {
        let v = self.need(name)?;
        if allowed.contains(&v) {
            Ok(v)
        } else {
            Err(Fail::bad(format!("{name} 取值错误")))
        }
    }

    /// Exactly one of msisdn / iccid / imsi ("必须有且只有一项").
    pub fn single_id(&self) -> Result<(IdKind, &str), Fail> {
        let mut found = None;
        for kind in [IdKind::Msisdn, IdKind::Iccid, IdKind::Imsi] {
            if let Some(v) = self.get(kind.name()) {
                if found.is_some() {
                    return Err(Fail::bad("msisdn、iccid、imsi 必须有且只有一项"));
                }
                found = Some((kind, v));
            }
        }
        found.ok_or_else(|| Fail::bad("msisdn、iccid、imsi 必须有且只有一项"))
    }

    /// Exactly one of msisdns / iccids / imsis (or, when none is given, a
    /// singular msisdn / iccid / imsi), split on `_`, 1..=max items.
    pub fn batch_ids(&self, max: usize) -> Result<(IdKind, Vec<&str>), Fail> {
        let mut found = None;
        for (kind, name) in [
            (IdKind::Msisdn, "msisdns"),
            (IdKind::Iccid, "iccids"),
            (IdKind::Imsi, "imsis"),
        ] {
            if let Some(v) = self.get(name) {
                if found.is_some() {
                    return Err(Fail::bad("msisdns、iccids、imsis 必须有且只有一项"));
                }
                found = Some((kind, v));
            }
        }
        // The PHP ChinaMobileAPI client sends the `_`-joined list under the
        // singular name (`msisdn=a_b`) for the v2 batch calls: accept it.
        let found = found.or_else(|| {
            [IdKind::Msisdn, IdKind::Iccid, IdKind::Imsi]
                .into_iter()
                .find_map(|kind| self.get(kind.name()).map(|v| (kind, v)))
        });
        let (kind, list) =
            found.ok_or_else(|| Fail::bad("msisdns、iccids、imsis 必须有且只有一项"))?;
        let items: Vec<&str> = list.split('_').map(str::trim).collect();
        if items.iter().any(|s| s.is_empty()) {
            return Err(Fail::bad("号码列表格式错误"));
        }
        if items.len() > max {
            return Err(Fail::bad(format!("号码个数不能超过{max}个")));
        }
        Ok((kind, items))
    }
}

/// A JSON value as a parameter string (arrays are joined with `_`).
fn scalar(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        serde_json::Value::Array(items) => {
            let parts: Vec<String> = items.iter().filter_map(scalar).collect();
            Some(parts.join("_"))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::CONTENT_TYPE,
            "application/json".parse().unwrap(),
        );
        h
    }

    #[test]
    fn merges_query_and_bodies() {
        let p = Params::parse(Some("a=1&b=2"), &HeaderMap::new(), b"b=3&c=4").unwrap();
        assert_eq!(p.get("a"), Some("1"));
        assert_eq!(p.get("b"), Some("2"));
        assert_eq!(p.get("c"), Some("4"));
        let p = Params::parse(None, &json_headers(), br#"{"operType":0,"msisdn":"1"}"#).unwrap();
        assert_eq!(p.get("operType"), Some("0"));
        assert!(Params::parse(None, &json_headers(), b"[1]").is_err());
        assert!(Params::parse(None, &json_headers(), b"{bad").is_err());
    }

    #[test]
    fn identifier_rules() {
        let p = Params::parse(Some("msisdn=1&iccid=2"), &HeaderMap::new(), b"").unwrap();
        assert!(p.single_id().is_err());
        let p = Params::parse(Some("iccid=2"), &HeaderMap::new(), b"").unwrap();
        assert_eq!(p.single_id().unwrap(), (IdKind::Iccid, "2"));
        let p = Params::parse(Some("msisdns=1_2_3"), &HeaderMap::new(), b"").unwrap();
        assert_eq!(p.batch_ids(2).map(|_| ()).unwrap_err().code, Code::BadParam);
        assert_eq!(p.batch_ids(3).unwrap().1, vec!["1", "2", "3"]);
    }
}
