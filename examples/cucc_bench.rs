//! Servers for `scripts/bench_cucc.sh`, so the CUCC dialect can be compared
//! with what axum alone does on the same machine in the same run:
//!
//! * `cucc_bench ceiling <bind> <body file>`: a bare axum server answering
//!   every request with a canned body (the ceiling);
//! * `cucc_bench dialect <bind>`: the CUCC router alone
//!   (`carrier_sim::carriers::cucc::router`) over the default fixture with
//!   the rate limit off, without the control plane's middleware.

use axum::http::header;
use axum::routing::any;
use axum::Router;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "ceiling".into());
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:18082".into());
    let listener = tokio::net::TcpListener::bind(&bind).await?;
    if mode == "dialect" {
        let fixture = format!(
            "{}\n[dialects.cucc]\nrate_per_sec = 0\n",
            carrier_sim::fixture::DEFAULT_FIXTURE
        );
        let sim = carrier_sim::Simulator::builder()
            .fixture_str(&fixture)
            .start()
            .await;
        let app = carrier_sim::carriers::cucc::router(&sim.context().shared());
        return axum::serve(listener, app).await;
    }
    let body: &'static [u8] = match args.next() {
        Some(path) => Vec::leak(std::fs::read(path)?),
        None => br#"{"iccid":"89860600000000000013"}"#,
    };
    let app = Router::new().fallback(any(move || async move {
        (
            [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
            body,
        )
    }));
    axum::serve(listener, app).await
}
