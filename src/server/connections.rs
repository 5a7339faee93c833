//! The HTTP accept loop with bounded connections. Each connection gets a
//! header-read timeout (hyper's, which also closes a keep-alive connection
//! idle between requests), so slowloris and idle sockets are dropped. At
//! most `max_connections` are served; beyond that a small spare pool with a
//! short timeout and no keep-alive answers only `/_sim/health` and
//! `/_sim/ready` (so probes still see the server) and a JSON 503 to
//! anything else; beyond the spare pool a connection is closed at once, so
//! a flood cannot exhaust the process's file handles.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Request, Response, StatusCode};
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tower::ServiceExt;

/// Connections served at once by default.
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Time a client has to send a request's headers (and the longest a
/// keep-alive connection may sit idle) by default.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections beyond the limit that may still ask for health.
pub const SPARE_CONNECTIONS: usize = 64;
/// Header-read timeout of a spare connection.
const SPARE_TIMEOUT: Duration = Duration::from_secs(2);

/// The bounds of the HTTP listener.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
}

/// Serves `app` on `listener` until `shutdown` turns true, then lets the
/// open connections finish (graceful shutdown) and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let normal = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let spare = Arc::new(Semaphore::new(SPARE_CONNECTIONS));
    // Every connection task holds a receiver; `closed()` resolves when all are gone.
    let (open_tx, open_rx) = watch::channel(());
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // EMFILE and friends: wait for handles to come back.
                    tracing::warn!("accept: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut shutdown) => break,
        };
        let (permit, is_spare) = match normal.clone().try_acquire_owned() {
            Ok(p) => (p, false),
            Err(_) => match spare.clone().try_acquire_owned() {
                Ok(p) => (p, true),
                // Closed at once: the handle is given back immediately.
                Err(_) => continue,
            },
        };
        let conn = Connection {
            stream,
            remote,
            app: app.clone(),
            timeout: if is_spare {
                SPARE_TIMEOUT
            } else {
                limits.header_read_timeout
            },
            spare: is_spare,
            _permit: permit,
        };
        let shutdown = shutdown.clone();
        let open = open_rx.clone();
        tokio::spawn(async move {
            conn.run(shutdown).await;
            drop(open);
        });
    }
    drop(open_rx);
    drop(listener);
    open_tx.closed().await;
}

/// One accepted connection and what it may use.
struct Connection {
    stream: TcpStream,
    remote: SocketAddr,
    app: Router,
    timeout: Duration,
    spare: bool,
    _permit: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let remote = self.remote;
        let app = self.app;
        let spare = self.spare;
        let service = tower::service_fn(move |req: Request<Incoming>| {
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo(remote));
            let app = app.clone();
            async move {
                if spare && !is_probe(req.uri().path()) {
                    return Ok::<_, Infallible>(at_capacity());
                }
                app.oneshot(req).await
            }
        });
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.timeout)
            .keep_alive(!spare);
        let conn = builder
            .serve_connection(TokioIo::new(self.stream), TowerToHyperService::new(service))
            .with_upgrades();
        tokio::pin!(conn);
        tokio::select! {
            _ = conn.as_mut() => return,
            _ = stopped(&mut shutdown) => {}
        }
        conn.as_mut().graceful_shutdown();
        let _ = conn.await;
    }
}

/// Resolves once shutdown is asked for (or its sender is gone). The
/// watch guard is dropped inside, so callers' futures stay `Send`.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|v| *v).await;
}

/// Health and readiness: what a probe asks.
fn is_probe(path: &str) -> bool {
    path == "/_sim/health" || path == "/_sim/ready"
}

/// The answer to anything but a probe on a spare connection.
fn at_capacity() -> Response<Body> {
    Response::builder()
        .status(StatusCode::SERVICE_UNAVAILABLE)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::RETRY_AFTER, "1")
        .header(header::CONNECTION, "close")
        .body(Body::from(
            r#"{"error": "the simulator is serving its maximum number of connections; retry"}"#,
        ))
        .expect("static response")
}
