//! Servers for `scripts/bench_cmcc.sh`, so the CMCC dialect can be compared
//! with what axum alone does on the same machine in the same run:
//!
//! * `cmcc_ceiling ceiling <bind> <body file>`: a bare axum server answering
//!   every request with a canned body (the ceiling);
//! * `cmcc_ceiling dialect <bind>`: the CMCC router alone
//!   (`carrier_sim::carriers::cmcc::router`) over the default fixture,
//!   without the control plane's request-journal middleware.

use axum::http::header;
use axum::routing::any;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "ceiling".into());
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:18081".into());
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    if mode == "dialect" {
        let sim = carrier_sim::Simulator::start().await;
        let app = carrier_sim::carriers::cmcc::router(&sim.context().shared());
        return axum::serve(listener, app).await;
    }
    let body: &'static [u8] = match args.next() {
        Some(path) => Vec::leak(std::fs::read(path)?),
        None => br#"{"status":"0","message":"\u6b63\u786e","result":[]}"#,
    };
    let app = Router::new().fallback(any(move || async move {
        (
            [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
            body,
        )
    }));
    axum::serve(listener, app).await
}
