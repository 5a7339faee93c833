//! Starting behind a bound listener: the port is bound before the fixture
//! (or a snapshot) is read, and until the world is ready every connection
//! gets one answer and is closed: `/_sim/health` 200, `/_sim/ready` 503 with
//! the load's progress (`{"status": "starting", "phase", "loaded", "total",
//! "unit", "elapsed_ms"}`), anything else 503 `starting`. Closing each
//! connection means no keep-alive connection outlives the start, so a
//! client polling readiness reaches the full server as soon as it takes
//! the listener over ([`EarlyListener::into_listener`]).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{header, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::context::bind_error;

/// How far a load has come: the phase, and how much of it is done in its
/// unit (`bytes` while reading, `cards` while parsing and building).
pub struct LoadProgress {
    phase: parking_lot::Mutex<(&'static str, &'static str)>,
    loaded: AtomicU64,
    /// 0 while the total is not known yet.
    total: AtomicU64,
    started: Instant,
}

impl LoadProgress {
    pub fn new() -> Arc<LoadProgress> {
        Arc::new(LoadProgress {
            phase: parking_lot::Mutex::new(("starting", "")),
            loaded: AtomicU64::new(0),
            total: AtomicU64::new(0),
            started: Instant::now(),
        })
    }

    /// Enters a phase: nothing of `total` (0 = not known) done yet.
    pub fn phase(&self, phase: &'static str, unit: &'static str, total: u64) {
        *self.phase.lock() = (phase, unit);
        self.loaded.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    pub fn set_loaded(&self, n: u64) {
        self.loaded.store(n, Ordering::Relaxed);
    }

    pub fn set_total(&self, n: u64) {
        self.total.store(n, Ordering::Relaxed);
    }

    /// The `/_sim/ready` body while starting.
    pub fn json(&self) -> serde_json::Value {
        let (phase, unit) = *self.phase.lock();
        let total = self.total.load(Ordering::Relaxed);
        json!({
            "status": "starting",
            "phase": phase,
            "loaded": self.loaded.load(Ordering::Relaxed),
            "total": (total > 0).then_some(total),
            "unit": unit,
            "elapsed_ms": self.started.elapsed().as_millis() as u64,
        })
    }
}

/// A listener bound early, answering as the module says until
/// [`EarlyListener::into_listener`].
pub struct EarlyListener {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    handle: tokio::task::JoinHandle<TcpListener>,
}

impl EarlyListener {
    /// Stops answering and hands the listener over (connections waiting in
    /// the backlog are served by whoever takes it).
    pub async fn into_listener(self) -> std::io::Result<TcpListener> {
        let _ = self.stop.send(true);
        self.handle.await.map_err(std::io::Error::other)
    }
}

/// Binds `bind` now and answers "starting" with `progress` until handed over.
pub async fn bind_early(
    bind: SocketAddr,
    progress: Arc<LoadProgress>,
) -> std::io::Result<EarlyListener> {
    let listener = TcpListener::bind(bind)
        .await
        .map_err(|e| bind_error("HTTP", bind, e))?;
    let addr = listener.local_addr()?;
    let (stop, mut stopped) = watch::channel(false);
    let handle = tokio::spawn(async move {
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let progress = progress.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                            let answer = answer(&progress, req.uri().path());
                            async move { Ok::<_, Infallible>(answer) }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .keep_alive(false)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                _ = stopped.changed() => break,
            }
        }
        listener
    });
    Ok(EarlyListener { addr, stop, handle })
}

/// The one answer of a connection while starting.
fn answer(progress: &LoadProgress, path: &str) -> Response<Body> {
    let (status, body) = match path {
        "/_sim/health" => (StatusCode::OK, json!({"status": "ok"})),
        "/_sim/ready" => (StatusCode::SERVICE_UNAVAILABLE, progress.json()),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"status": "starting", "error": "the simulator is still loading its world; GET /_sim/ready tells the progress"}),
        ),
    };
    let mut r = Response::new(Body::from(body.to_string()));
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    r.headers_mut().insert(
        header::CONNECTION,
        header::HeaderValue::from_static("close"),
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        r.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn answers_starting_with_progress_then_hands_the_listener_over() {
        let progress = LoadProgress::new();
        progress.phase("reading fixture", "bytes", 1000);
        progress.set_loaded(250);
        let early = bind_early("127.0.0.1:0".parse().unwrap(), progress.clone())
            .await
            .unwrap();
        let base = format!("http://{}", early.addr);
        let client = reqwest::Client::new();
        let r = client
            .get(format!("{base}/_sim/ready"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 503);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["status"], "starting");
        assert_eq!(body["phase"], "reading fixture");
        assert_eq!(
            (body["loaded"].as_u64(), body["total"].as_u64()),
            (Some(250), Some(1000))
        );
        let r = client
            .get(format!("{base}/_sim/health"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let r = client.get(format!("{base}/devices")).send().await.unwrap();
        assert_eq!(r.status(), 503);
        let listener = early.into_listener().await.unwrap();
        assert_eq!(listener.local_addr().unwrap().to_string(), base[7..]);
    }
}
