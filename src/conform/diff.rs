//! The structural comparison of a real answer with the simulator's answer
//! to the same request. Bodies are read into one tree ([`super::tree`]) and
//! walked side by side; each difference gets a [`Kind`]:
//!
//! | kind | found when |
//! |---|---|
//! | `envelope` | the syntax (JSON / XML / text), the content type, the XML root or every top-level key differs |
//! | `status` | the HTTP status differs |
//! | `missing` | a field of the real answer is not in the simulator's |
//! | `extra` | the simulator sends a field the real answer has not |
//! | `renamed` | a missing and an extra field carry the same value, or differ only in letter case |
//! | `type` | string vs number vs boolean vs object for the same field |
//! | `format` | same value written differently: date layout, decimal places |
//! | `unit` | numbers off by ×1024, ×1000 (or their squares), or another unit suffix (`MB` vs `KB`) |
//! | `code` | a status / result / error code field differs |
//! | `text` | a message field differs |
//! | `value` | any other field has another value |
//! | `live` | a value that is expected to change: masked secrets, tokens, transaction and trace ids, timestamps, usage counters (listed apart, not a failure) |

use serde::Serialize;
use serde_json::Value;

use super::mask::MASK;
use super::tree::{self, Syntax};

/// The kind of a difference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Envelope,
    Status,
    Missing,
    Extra,
    Renamed,
    Type,
    Format,
    Unit,
    Code,
    Text,
    Value,
    Live,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Envelope => "envelope",
            Kind::Status => "status",
            Kind::Missing => "missing",
            Kind::Extra => "extra",
            Kind::Renamed => "renamed",
            Kind::Type => "type",
            Kind::Format => "format",
            Kind::Unit => "unit",
            Kind::Code => "code",
            Kind::Text => "text",
            Kind::Value => "value",
            Kind::Live => "live",
        }
    }
}

/// One difference between the real answer and the simulator's.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Difference {
    pub kind: Kind,
    /// Where, e.g. `result[0].dataAmount` (empty: the whole answer).
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub real: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sim: Option<String>,
    pub detail: String,
}

/// Field names whose values are expected to differ between two runs
/// (lowercase, compared without namespace prefix).
const LIVE_FIELDS: &[&str] = &[
    // credentials and request ids
    "token",
    "transid",
    "trans_id",
    "messageid",
    "correlationid",
    "requestid",
    "group_transactionid",
    "traceid",
    "trace_id",
    "smsmsgid",
    "jobid",
    "ordernum",
    // times of the answer itself
    "timestamp",
    "build",
    "dateupdated",
    "datemodified",
    "lastchangedate",
    "datesessionstarted",
    "datesessionended",
    "createdate",
    // usage counters, which move while a card is in use
    "dataamount",
    "apnuseamount",
    "apndataamount",
    "useamount",
    "remainamount",
    "ctddatausage",
    "ctdsmsusage",
    "ctdvoiceusage",
    "ctdsessioncount",
    "monthtodateusage",
    "monthtodatedatausage",
    "monthtodatesmsusage",
    "total_bytes_cnt",
    "bytes_cnt",
    "cumulation_already",
    "cumulation_left",
    "flowamount",
    "smsamount",
    "voiceamount",
    "ip",
    "ipaddress",
];

/// Fields holding a status, result or error code.
const CODE_FIELDS: &[&str] = &[
    "status",
    "code",
    "result",
    "resultcode",
    "errorcode",
    "iresult",
    "rspcode",
    "rspcode_",
    "error_code",
];

/// Fields holding a message text.
const TEXT_FIELDS: &[&str] = &[
    "message",
    "msg",
    "resultmsg",
    "resultdesc",
    "errormessage",
    "smsg",
    "rspdesc",
    "statusdesc",
    "errordes",
];

fn local(name: &str) -> String {
    name.rsplit(':').next().unwrap_or(name).to_ascii_lowercase()
}

fn in_table(table: &[&str], name: &str) -> bool {
    let l = local(name);
    table.contains(&l.as_str())
}

/// Compares two answers (status, content type, body).
pub fn compare(
    real_status: u16,
    real_type: Option<&str>,
    real_body: &str,
    sim_status: u16,
    sim_type: Option<&str>,
    sim_body: &str,
) -> Vec<Difference> {
    let mut out = Vec::new();
    if real_status != sim_status {
        out.push(Difference {
            kind: Kind::Status,
            path: String::new(),
            real: Some(real_status.to_string()),
            sim: Some(sim_status.to_string()),
            detail: format!("HTTP {real_status} vs {sim_status}"),
        });
    }
    let media = |t: Option<&str>| {
        t.map(|t| {
            t.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
    };
    let (rt, st) = (media(real_type), media(sim_type));
    if rt.is_some() && st.is_some() && rt != st {
        out.push(Difference {
            kind: Kind::Envelope,
            path: String::new(),
            real: rt.clone(),
            sim: st.clone(),
            detail: format!(
                "Content-Type {} vs {}",
                rt.unwrap_or_default(),
                st.unwrap_or_default()
            ),
        });
    }
    let r = tree::parse(real_body);
    let s = tree::parse(sim_body);
    if r.syntax != s.syntax {
        out.push(Difference {
            kind: Kind::Envelope,
            path: String::new(),
            real: Some(r.syntax.name().into()),
            sim: Some(s.syntax.name().into()),
            detail: format!("{} answer vs {}", r.syntax.name(), s.syntax.name()),
        });
        return out;
    }
    match (r.syntax, &r.value, &s.value) {
        (Syntax::Text, Value::String(a), Value::String(b)) => {
            if a != b {
                out.push(Difference {
                    kind: text_kind(a, b),
                    path: String::new(),
                    real: Some(a.clone()),
                    sim: Some(b.clone()),
                    detail: "plain-text answer differs".into(),
                });
            }
        }
        (_, Value::Object(a), Value::Object(b)) => {
            let shared = a.keys().any(|k| b.contains_key(k))
                || a.keys()
                    .any(|k| b.keys().any(|j| j.eq_ignore_ascii_case(k)));
            if !shared && !a.is_empty() && !b.is_empty() {
                let keys = |m: &serde_json::Map<String, Value>| {
                    m.keys().cloned().collect::<Vec<_>>().join(",")
                };
                out.push(Difference {
                    kind: Kind::Envelope,
                    path: String::new(),
                    real: Some(keys(a)),
                    sim: Some(keys(b)),
                    detail: if r.syntax == Syntax::Xml {
                        "another XML root element".into()
                    } else {
                        "no top-level field in common".into()
                    },
                });
                return out;
            }
            walk("", "", &r.value, &s.value, &mut out);
        }
        _ => walk("", "", &r.value, &s.value, &mut out),
    }
    out
}

/// A plain-text answer: CTCC errors are `<code><text>`; a differing
/// leading code is a code difference, otherwise a text difference.
fn text_kind(a: &str, b: &str) -> Kind {
    let code = |s: &str| {
        s.chars()
            .take_while(|c| c.is_ascii_digit() || *c == '-')
            .collect::<String>()
    };
    if code(a) != code(b) {
        Kind::Code
    } else {
        Kind::Text
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn shown(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The text of a scalar, for "same value under another key" checks.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() && s != MASK => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn walk(path: &str, key: &str, r: &Value, s: &Value, out: &mut Vec<Difference>) {
    match (r, s) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, rv) in a {
                if let Some(sv) = b.get(k) {
                    walk(&join(path, k), k, rv, sv, out);
                }
            }
            let mut only_real: Vec<&String> = a.keys().filter(|k| !b.contains_key(*k)).collect();
            let mut only_sim: Vec<&String> = b.keys().filter(|k| !a.contains_key(*k)).collect();
            // Renamed: the same name in another letter case ...
            only_real.retain(|rk| {
                match only_sim.iter().position(|sk| sk.eq_ignore_ascii_case(rk)) {
                    Some(i) => {
                        let sk = only_sim.remove(i);
                        renamed(path, rk, sk, out);
                        walk(&join(path, rk), rk, &a[*rk], &b[sk], out);
                        false
                    }
                    None => true,
                }
            });
            // ... or the same value under another key.
            only_real.retain(|rk| {
                let Some(text) = scalar_text(&a[*rk]) else {
                    return true;
                };
                match only_sim
                    .iter()
                    .position(|sk| scalar_text(&b[*sk]).as_deref() == Some(text.as_str()))
                {
                    Some(i) => {
                        let sk = only_sim.remove(i);
                        renamed(path, rk, sk, out);
                        false
                    }
                    None => true,
                }
            });
            for rk in only_real {
                out.push(Difference {
                    kind: Kind::Missing,
                    path: join(path, rk),
                    real: Some(shown(&a[rk])),
                    sim: None,
                    detail: format!("`{rk}` is not in the simulator's answer"),
                });
            }
            for sk in only_sim {
                out.push(Difference {
                    kind: Kind::Extra,
                    path: join(path, sk),
                    real: None,
                    sim: Some(shown(&b[sk])),
                    detail: format!("`{sk}` is not in the real answer"),
                });
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for (i, (rv, sv)) in a.iter().zip(b).enumerate() {
                walk(&format!("{path}[{i}]"), key, rv, sv, out);
            }
            if a.len() != b.len() {
                let kind = if a.len() > b.len() {
                    Kind::Missing
                } else {
                    Kind::Extra
                };
                out.push(Difference {
                    kind,
                    path: format!("{path}[{}]", a.len().min(b.len())),
                    real: Some(a.len().to_string()),
                    sim: Some(b.len().to_string()),
                    detail: format!("{} elements vs {}", a.len(), b.len()),
                });
            }
        }
        _ => leaf(path, key, r, s, out),
    }
}

fn renamed(path: &str, real_key: &str, sim_key: &str, out: &mut Vec<Difference>) {
    out.push(Difference {
        kind: Kind::Renamed,
        path: join(path, real_key),
        real: Some(real_key.to_string()),
        sim: Some(sim_key.to_string()),
        detail: format!("`{real_key}` is called `{sim_key}` by the simulator"),
    });
}

/// A number written in a string or as a JSON number, with its decimals and
/// a trailing unit (`356.20MB`, `0元`).
#[derive(Debug)]
struct Num {
    value: f64,
    decimals: usize,
    suffix: String,
}

fn number(v: &Value) -> Option<Num> {
    let text = match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    let split = text
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.' || *c == '-' || *c == '+'))
        .map(|(i, _)| i)
        .unwrap_or(text.len());
    let (digits, suffix) = text.split_at(split);
    if digits.is_empty() || !digits.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    if !suffix.is_empty() && suffix.chars().any(|c| c.is_ascii_digit()) {
        return None;
    }
    let value: f64 = digits.parse().ok()?;
    let decimals = digits.split_once('.').map(|(_, d)| d.len()).unwrap_or(0);
    Some(Num {
        value,
        decimals,
        suffix: suffix.trim().to_string(),
    })
}

/// The layout of a date or time, e.g. `yyyy-MM-dd HH:mm:ss`.
fn date_layout(s: &str, key: &str) -> Option<String> {
    let shape: String = s
        .chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect();
    const LAYOUTS: &[(&str, &str)] = &[
        ("dddd-dd-dd dd:dd:dd", "yyyy-MM-dd HH:mm:ss"),
        ("dddd-dd-dd dd:dd:dd.d", "yyyy-MM-dd HH:mm:ss.S"),
        ("dddd-dd-dd dd:dd:dd.ddd", "yyyy-MM-dd HH:mm:ss.SSS"),
        (
            "dddd-dd-dd dd:dd:dd.ddd+dddd",
            "yyyy-MM-dd HH:mm:ss.SSS+ZZZZ",
        ),
        ("dddd-dd-ddTdd:dd:dd", "yyyy-MM-ddTHH:mm:ss"),
        ("dddd-dd-ddTdd:dd:ddZ", "yyyy-MM-ddTHH:mm:ssZ"),
        ("dddd-dd-ddTdd:dd:dd.dddZ", "yyyy-MM-ddTHH:mm:ss.SSSZ"),
        ("dddd-dd-ddTdd:dd:dd+dd:dd", "yyyy-MM-ddTHH:mm:ss+hh:mm"),
        (
            "dddd-dd-ddTdd:dd:dd.ddd+dd:dd",
            "yyyy-MM-ddTHH:mm:ss.SSS+hh:mm",
        ),
        ("dddd-dd-dd dd:dd", "yyyy-MM-dd HH:mm"),
        ("dddd-dd-dd", "yyyy-MM-dd"),
        ("dddd-dd-ddZ", "yyyy-MM-ddZ"),
        ("dddd/dd/dd dd:dd:dd", "yyyy/MM/dd HH:mm:ss"),
        ("dddd/dd/dd", "yyyy/MM/dd"),
    ];
    if let Some((_, name)) = LAYOUTS.iter().find(|(shape_of, _)| *shape_of == shape) {
        return Some((*name).to_string());
    }
    // Compact layouts are numbers too: only where the field is a date.
    let k = local(key);
    let date_field = k.contains("date") || k.contains("time") || k.ends_with("day");
    let plausible = s.bytes().all(|b| b.is_ascii_digit())
        && (s.starts_with("19") || s.starts_with("20"))
        && s.get(4..6)
            .and_then(|m| m.parse::<u8>().ok())
            .is_some_and(|m| (1..=12).contains(&m));
    if !plausible || !date_field {
        return None;
    }
    match s.len() {
        17 => Some("yyyyMMddHHmmssSSS".into()),
        14 => Some("yyyyMMddHHmmss".into()),
        12 => Some("yyyyMMddHHmm".into()),
        8 => Some("yyyyMMdd".into()),
        6 => Some("yyyyMM".into()),
        _ => None,
    }
}

/// Ratios that mean another unit.
const UNIT_RATIOS: &[(f64, &str)] = &[
    (1024.0, "×1024"),
    (1000.0, "×1000"),
    (1_048_576.0, "×1024²"),
    (1_000_000.0, "×1000²"),
    (60.0, "×60"),
    (100.0, "×100"),
];

fn ratio_name(real: f64, sim: f64) -> Option<String> {
    // Identifiers (11 digits and more) are not quantities.
    if real == 0.0 || sim == 0.0 || real.abs() >= 1e10 || sim.abs() >= 1e10 {
        return None;
    }
    let close = |a: f64, b: f64| ((a - b) / b).abs() < 0.01;
    for (r, name) in UNIT_RATIOS {
        if close(sim / real, *r) {
            return Some(format!("simulator value is {name} the real one"));
        }
        if close(real / sim, *r) {
            return Some(format!("real value is {name} the simulator's"));
        }
    }
    None
}

fn leaf(path: &str, key: &str, r: &Value, s: &Value, out: &mut Vec<Difference>) {
    if r == s {
        return;
    }
    let mut push = |kind: Kind, detail: String| {
        out.push(Difference {
            kind,
            path: path.to_string(),
            real: Some(shown(r)),
            sim: Some(shown(s)),
            detail,
        })
    };
    if matches!(r, Value::String(x) if x == MASK) {
        return push(Kind::Live, "masked in the recording".into());
    }
    let live = in_table(LIVE_FIELDS, key);
    if let (Value::String(a), Value::String(b)) = (r, s) {
        if let (Some(la), Some(lb)) = (date_layout(a, key), date_layout(b, key)) {
            if la != lb {
                return push(Kind::Format, format!("date layout `{la}` vs `{lb}`"));
            }
            return push(
                if live { Kind::Live } else { Kind::Value },
                "another date".into(),
            );
        }
    }
    let (rn, sn) = (number(r), number(s));
    if type_name(r) != type_name(s) {
        let detail = format!("{} vs {}", type_name(r), type_name(s));
        push(Kind::Type, detail);
        if let (Some(a), Some(b)) = (&rn, &sn) {
            if let Some(ratio) = ratio_name(a.value, b.value) {
                push(Kind::Unit, ratio);
            }
        }
        return;
    }
    if let (Some(a), Some(b)) = (&rn, &sn) {
        if a.suffix != b.suffix {
            return push(Kind::Unit, format!("unit `{}` vs `{}`", a.suffix, b.suffix));
        }
        if let Some(ratio) = ratio_name(a.value, b.value) {
            return push(Kind::Unit, ratio);
        }
        if a.decimals != b.decimals && matches!(r, Value::String(_)) {
            push(
                Kind::Format,
                format!("{} decimal places vs {}", a.decimals, b.decimals),
            );
            if a.value == b.value {
                return;
            }
        }
    }
    let kind = if live {
        Kind::Live
    } else if in_table(CODE_FIELDS, key) {
        Kind::Code
    } else if in_table(TEXT_FIELDS, key) {
        Kind::Text
    } else {
        Kind::Value
    };
    push(kind, "another value".into());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(real: &str, sim: &str) -> Vec<(Kind, String)> {
        compare(200, None, real, 200, None, sim)
            .into_iter()
            .map(|d| (d.kind, d.path))
            .collect()
    }

    #[test]
    fn each_kind_is_named() {
        assert_eq!(
            kinds(
                r#"{"a":{"activeDate":"x1"}}"#,
                r#"{"a":{"activateDate":"x1"}}"#
            ),
            vec![(Kind::Renamed, "a.activeDate".into())]
        );
        assert_eq!(
            kinds(r#"{"a":{"n":"2048"}}"#, r#"{"a":{"n":"2"}}"#),
            vec![(Kind::Unit, "a.n".into())]
        );
        assert_eq!(
            kinds(
                r#"{"a":{"date":"2026-01-02 03:04:05"}}"#,
                r#"{"a":{"date":"20260102030405"}}"#
            ),
            vec![(Kind::Format, "a.date".into())]
        );
        assert_eq!(
            kinds(r#"{"a":{"x":"1","y":"2"}}"#, r#"{"a":{"x":"1"}}"#),
            vec![(Kind::Missing, "a.y".into())]
        );
        assert_eq!(
            kinds(r#"{"status":"0","m":1}"#, r#"{"status":"12021","m":1}"#),
            vec![(Kind::Code, "status".into())]
        );
        assert_eq!(
            kinds(r#"{"n":"1"}"#, r#"{"n":1}"#),
            vec![(Kind::Type, "n".into())]
        );
        assert_eq!(
            kinds(r#"{"n":"1.50"}"#, r#"{"n":"1.5"}"#),
            vec![(Kind::Format, "n".into())]
        );
        assert_eq!(
            kinds(r#"{"n":"356.20MB"}"#, r#"{"n":"364748.80KB"}"#),
            vec![(Kind::Unit, "n".into())]
        );
        assert_eq!(
            kinds(
                r#"{"token":"***","transid":"1"}"#,
                r#"{"token":"t","transid":"2"}"#
            ),
            vec![(Kind::Live, "token".into()), (Kind::Live, "transid".into())]
        );
        assert_eq!(
            kinds(r#"{"status":"0"}"#, r#"{"errorCode":"1"}"#),
            vec![(Kind::Envelope, "".into())]
        );
        assert_eq!(kinds("<a><b>1</b></a>", r#"{"a":1}"#)[0].0, Kind::Envelope);
        assert!(kinds(r#"{"a":[1,2]}"#, r#"{"a":[1,2]}"#).is_empty());
    }
}
