//! `carrier-sim record`: a recording reverse proxy. The user points their
//! client at it instead of the carrier; each request is forwarded unchanged
//! (same method, path, query, headers and body) to the real platform over
//! HTTPS (reqwest with rustls), the real answer goes back to the client
//! unchanged, and the exchange is written as one JSON line, with its secrets
//! masked (and, with `--pseudonymise`, its card identifiers replaced) before
//! it reaches the file. A line is written before the answer is returned, so
//! the file always holds every exchange the client has seen.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body as AxumBody;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::sync::watch;

use super::mask::Masker;
use super::pseudo::Pseudonymiser;
use super::session::{self, Body, Exchange};
use crate::domain::Carrier;

/// Largest request body forwarded (the carriers' batch calls are far smaller).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Hop-by-hop headers (RFC 9110 §7.6.1) and those the HTTP stack sets again;
/// `accept-encoding` is dropped so the upstream answers uncompressed and the
/// recorded body is readable.
const NOT_FORWARDED: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "accept-encoding",
];

/// What to record and where.
#[derive(Clone, Debug)]
pub struct RecordConfig {
    pub carrier: Carrier,
    /// The real platform, e.g. `https://api.iot.10086.cn`; a path in it is
    /// put in front of every request path.
    pub upstream: String,
    pub bind: SocketAddr,
    pub out: PathBuf,
    pub pseudonymise: bool,
    /// Further values to mask wherever they appear (secrets that never
    /// travel themselves, such as the CTCC plaintext password and key).
    pub secrets: Vec<String>,
}

/// Masks and pseudonymises exchanges; remembers what it learned.
pub struct Sanitizer {
    pub masker: Masker,
    pub pseudonyms: Option<Pseudonymiser>,
}

impl Sanitizer {
    pub fn new(secrets: Vec<String>, pseudonymise: bool) -> Sanitizer {
        Sanitizer {
            masker: Masker::with_secrets(secrets),
            pseudonyms: pseudonymise.then(Pseudonymiser::default),
        }
    }

    /// The exchange as it may be written to disk.
    pub fn clean(&mut self, mut ex: Exchange) -> Exchange {
        let m = &mut self.masker;
        // Learn everything first: a token handed out in this answer, or the
        // key in a header, must be masked in the request line as well.
        m.learn_pairs(&ex.request.query);
        for (k, v) in ex.request.headers.iter().chain(&ex.response.headers) {
            m.header(k, v);
        }
        if let Some(t) = ex.request.body.as_text() {
            m.learn_body(t);
        }
        if let Some(t) = ex.response.body.as_text() {
            m.learn_body(t);
        }
        ex.request.path = m.scrub(&ex.request.path);
        ex.request.query = m.pairs(&ex.request.query);
        for (k, v) in ex
            .request
            .headers
            .iter_mut()
            .chain(&mut ex.response.headers)
        {
            *v = m.header(k, v);
        }
        for body in [&mut ex.request.body, &mut ex.response.body] {
            if !body.base64 {
                body.text = m.body(&body.text);
            }
        }
        if let Some(p) = self.pseudonyms.as_mut() {
            p.learn_pairs(&ex.request.query);
            p.learn_shapes(&ex.request.path);
            for seg in ex.request.path.split('/') {
                p.learn_named("number", seg);
            }
            for body in [&ex.request.body, &ex.response.body] {
                if let Some(t) = body.as_text() {
                    p.learn_body(t);
                }
            }
            ex.request.path = p.apply(&ex.request.path);
            ex.request.query = p.apply(&ex.request.query);
            for (_, v) in ex
                .request
                .headers
                .iter_mut()
                .chain(&mut ex.response.headers)
            {
                *v = p.apply(v);
            }
            for body in [&mut ex.request.body, &mut ex.response.body] {
                if !body.base64 {
                    body.text = p.apply(&body.text);
                }
            }
        }
        ex
    }
}

struct Proxy {
    carrier: Carrier,
    client: reqwest::Client,
    upstream: reqwest::Url,
    seq: AtomicU64,
    sink: Mutex<(Sanitizer, std::io::BufWriter<std::fs::File>)>,
}

/// A running recorder.
pub struct Recorder {
    pub addr: SocketAddr,
    proxy: Arc<Proxy>,
    shutdown: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<()>,
}

impl Recorder {
    /// Exchanges written so far.
    pub fn recorded(&self) -> u64 {
        self.proxy.seq.load(Ordering::Acquire)
    }

    /// Stops listening and flushes the file; returns the exchanges written.
    pub async fn stop(self) -> u64 {
        let _ = self.shutdown.send(true);
        let _ = self.handle.await;
        self.proxy.seq.load(Ordering::Acquire)
    }
}

/// Binds, creates the output file and starts forwarding.
pub async fn start(cfg: RecordConfig) -> Result<Recorder, String> {
    let upstream = reqwest::Url::parse(&cfg.upstream)
        .map_err(|e| format!("--upstream {}: {e}", cfg.upstream))?;
    if !matches!(upstream.scheme(), "http" | "https") {
        return Err(format!("--upstream {}: not an http(s) URL", cfg.upstream));
    }
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| format!("TLS client: {e}"))?;
    let file =
        std::fs::File::create(&cfg.out).map_err(|e| format!("{}: {e}", cfg.out.display()))?;
    let listener = TcpListener::bind(cfg.bind)
        .await
        .map_err(|e| format!("{}: {e}", cfg.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let proxy = Arc::new(Proxy {
        carrier: cfg.carrier,
        client,
        upstream,
        seq: AtomicU64::new(0),
        sink: Mutex::new((
            Sanitizer::new(cfg.secrets, cfg.pseudonymise),
            std::io::BufWriter::new(file),
        )),
    });
    let app = Router::new().fallback(forward).with_state(proxy.clone());
    let (tx, mut rx) = watch::channel(false);
    let handle = tokio::spawn(async move {
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = rx.wait_for(|v| *v).await;
        });
        if let Err(e) = server.await {
            tracing::error!("recorder: {e}");
        }
    });
    Ok(Recorder {
        addr,
        proxy,
        shutdown: tx,
        handle,
    })
}

/// The upstream URL of a request path and query.
fn upstream_url(base: &reqwest::Url, path: &str, query: &str) -> reqwest::Url {
    let mut url = base.clone();
    let prefix = base.path().trim_end_matches('/');
    url.set_path(&format!("{prefix}{path}"));
    url.set_query((!query.is_empty()).then_some(query));
    url
}

async fn forward(State(proxy): State<Arc<Proxy>>, req: Request) -> Response {
    let started = jiff::Timestamp::now();
    let (parts, body) = req.into_parts();
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => {
            return (StatusCode::PAYLOAD_TOO_LARGE, format!("request body: {e}")).into_response()
        }
    };
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or("").to_string();
    let req_headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into(),
            )
        })
        .collect();
    let mut upstream_req = proxy.client.request(
        parts.method.clone(),
        upstream_url(&proxy.upstream, &path, &query),
    );
    for (k, v) in parts.headers.iter() {
        if !NOT_FORWARDED.contains(&k.as_str()) {
            upstream_req = upstream_req.header(k, v);
        }
    }
    let clock = Instant::now();
    let result = async {
        let resp = upstream_req.body(body.clone()).send().await?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await?;
        Ok::<_, reqwest::Error>((status, headers, bytes))
    }
    .await;
    let duration_ms = clock.elapsed().as_secs_f64() * 1000.0;
    let (status, headers, bytes, error) = match result {
        Ok((s, h, b)) => (s, h, b, None),
        Err(e) => (
            StatusCode::BAD_GATEWAY,
            axum::http::HeaderMap::new(),
            bytes::Bytes::from(format!("upstream: {e}")),
            Some(e.to_string()),
        ),
    };
    let resp_headers: Vec<(String, String)> = headers
        .iter()
        .filter(|(k, _)| !NOT_FORWARDED.contains(&k.as_str()))
        .map(|(k, v)| {
            (
                k.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into(),
            )
        })
        .collect();
    let exchange = Exchange {
        seq: 0,
        carrier: proxy.carrier,
        started,
        duration_ms: (duration_ms * 1000.0).round() / 1000.0,
        request: session::Request {
            method: parts.method.as_str().to_string(),
            path,
            query,
            headers: req_headers,
            body: Body::from_bytes(&body),
        },
        response: session::Response {
            status: status.as_u16(),
            headers: resp_headers,
            body: Body::from_bytes(&bytes),
        },
        error,
    };
    {
        let mut sink = proxy.sink.lock();
        let (sanitizer, file) = &mut *sink;
        let mut clean = sanitizer.clean(exchange);
        clean.seq = proxy.seq.load(Ordering::Acquire) + 1;
        match session::write_line(file, &clean) {
            Ok(()) => {
                proxy.seq.store(clean.seq, Ordering::Release);
            }
            Err(e) => tracing::error!("recorder: cannot write the session: {e}"),
        }
    }
    let mut out = Response::new(AxumBody::from(bytes));
    *out.status_mut() = status;
    for (k, v) in headers.iter() {
        if NOT_FORWARDED.contains(&k.as_str()) {
            continue;
        }
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_str().as_bytes()),
            HeaderValue::from_bytes(v.as_bytes()),
        ) {
            out.headers_mut().append(name, value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_paths_keep_the_base_prefix() {
        let base = reqwest::Url::parse("https://api.example.cn/gw/").unwrap();
        assert_eq!(
            upstream_url(&base, "/v5/ec/get/token", "a=1").as_str(),
            "https://api.example.cn/gw/v5/ec/get/token?a=1"
        );
        let root = reqwest::Url::parse("http://127.0.0.1:9/").unwrap();
        assert_eq!(
            upstream_url(&root, "/m2m_ec/query.do", "").as_str(),
            "http://127.0.0.1:9/m2m_ec/query.do"
        );
    }
}
