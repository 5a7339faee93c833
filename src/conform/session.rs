//! The session file written by `record` and read by `import`, `conform`
//! and `serve --replay`: JSON Lines, one [`Exchange`] per line, in the order
//! the answers came back. Bodies are stored as text when they are UTF-8
//! (every carrier dialect answers UTF-8 JSON, XML or plain text) and as
//! base64 otherwise, so a replay can give back the recorded bytes.

use std::io::{BufRead, Write};
use std::path::Path;

use base64::Engine;
use serde::{Deserialize, Serialize};

use crate::domain::Carrier;

/// One request and its answer.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Exchange {
    /// Position in the session, from 1.
    pub seq: u64,
    /// The dialect the client spoke (`record --carrier`).
    pub carrier: Carrier,
    /// Wall-clock time the request reached the recorder (RFC 3339, UTC).
    pub started: jiff::Timestamp,
    /// Time the upstream took to answer, in milliseconds.
    pub duration_ms: f64,
    pub request: Request,
    pub response: Response,
    /// Why no upstream answer came back (the client got a 502).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The request as the client sent it (secrets masked).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// The raw query string, without `?` (empty when none).
    #[serde(default)]
    pub query: String,
    /// Headers in the order received, names lowercase.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub body: Body,
}

/// The answer (secrets masked).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Response {
    pub status: u16,
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    #[serde(default)]
    pub body: Body,
}

/// A message body: text, or base64 of bytes that are not UTF-8.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Body {
    #[serde(default)]
    pub text: String,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub base64: bool,
}

impl Body {
    /// A body from the bytes on the wire.
    pub fn from_bytes(bytes: &[u8]) -> Body {
        match std::str::from_utf8(bytes) {
            Ok(text) => Body {
                text: text.to_string(),
                base64: false,
            },
            Err(_) => Body {
                text: base64::engine::general_purpose::STANDARD.encode(bytes),
                base64: true,
            },
        }
    }

    /// The bytes to send back.
    pub fn bytes(&self) -> Vec<u8> {
        if self.base64 {
            base64::engine::general_purpose::STANDARD
                .decode(&self.text)
                .unwrap_or_default()
        } else {
            self.text.as_bytes().to_vec()
        }
    }

    /// The text, when the body is text.
    pub fn as_text(&self) -> Option<&str> {
        (!self.base64).then_some(self.text.as_str())
    }
}

impl Request {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

impl Response {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        header(&self.headers, name)
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// A line that could not be read, with its line number.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct ReadError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

/// Reads a session file; every bad line is an error with its number.
pub fn read(path: &Path) -> Result<Vec<Exchange>, ReadError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| ReadError {
        path: shown.clone(),
        line: 0,
        message: e.to_string(),
    })?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| ReadError {
            path: shown.clone(),
            line: i + 1,
            message: e.to_string(),
        })?;
        if line.trim().is_empty() {
            continue;
        }
        let ex: Exchange = serde_json::from_str(&line).map_err(|e| ReadError {
            path: shown.clone(),
            line: i + 1,
            message: e.to_string(),
        })?;
        out.push(ex);
    }
    Ok(out)
}

/// Appends one exchange as a line and flushes it.
pub fn write_line(out: &mut impl Write, ex: &Exchange) -> std::io::Result<()> {
    let line = serde_json::to_string(ex).map_err(std::io::Error::other)?;
    out.write_all(line.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()
}
