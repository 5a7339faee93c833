//! carrier-sim: an offline simulator of the Chinese carriers' IoT
//! connectivity-management platforms — China Mobile OneLink, China Unicom's
//! Jasper-style REST API and CMP gateway, China Telecom's `m2m_ec` API and 5G
//! CMP — with their SMS/USSD service numbers, backed by in-memory card fleets,
//! usage traces and a simulated clock.
//!
//! # Layers and folders
//!
//! Imports point one way, from the top of this list to the bottom; a lower
//! layer never names a higher one (checked by `cargo test --lib layer_rules`,
//! drawn in `docs/architecture.md`):
//!
//! | Layer | Modules | Holds |
//! |---|---|---|
//! | server | `server` | composes the surfaces' routers, owns the listeners and the clock ticker |
//! | surfaces | `carriers/{cmcc,cucc,ctcc}`, `sms`, `devices/{modem,smpp}`, `control`, `web`, `conform` | wire protocols: parse, call world operations, render |
//! | context | `context` | what the surfaces are given: the world and the run-time settings |
//! | world | `world` (`ops.rs`: the named card operations) | the one place card state changes; the gate for clock moves |
//! | engine | `engine`, `journal`, `outbound` | usage traces over time, rollover and expiry; the event journal; the one outbound delivery worker (webhooks, CUCC push) |
//! | store | `store`, `fixture` | the fleet store and its indexes; the fixture that describes a fleet |
//! | domain | `domain`, `clock` | carrier-neutral types and rules, the simulated calendar; no I/O |
//!
//! Embedding in a Rust test (like wiremock's `MockServer::start()`):
//!
//! ```no_run
//! # async fn demo() {
//! let sim = carrier_sim::Simulator::start().await;
//! let url = format!("{}/_sim/health", sim.uri());
//! // ... point the client under test at sim.uri() ...
//! sim.advance("31d").unwrap();
//! # }
//! ```
//!
//! The handles reach the control plane without HTTP: the clock, cards,
//! faults, the request journal and snapshots.
//!
//! ```
//! # #[tokio::main(flavor = "multi_thread")]
//! # async fn main() {
//! use carrier_sim::Simulator;
//! let sim = Simulator::start().await;
//! // A card by its fixture tag, edited through the card rules.
//! let card = sim.cards().by_tag("cmcc", "normal").expect("fixture card");
//! let card = sim
//!     .cards()
//!     .patch(&card.iccid, serde_json::json!({"state": "suspended"}))
//!     .unwrap();
//! assert_eq!(card.state, carrier_sim::domain::CardState::Suspended);
//! // The next CTCC request answers "too frequent" (101004).
//! let id = sim
//!     .faults()
//!     .add(serde_json::json!({"carrier": "ctcc", "kind": "carrier_error",
//!                              "error": "too_frequent", "count": 1}))
//!     .unwrap();
//! assert_eq!(sim.faults().list()[0].spec.id, id);
//! // Snapshot, move the clock, restore.
//! sim.snapshots().take("before").unwrap();
//! let t0 = sim.clock().now();
//! sim.clock().advance("31d").unwrap();
//! assert!(sim.clock().now() > t0);
//! sim.snapshots().restore("before").unwrap();
//! assert_eq!(sim.clock().now(), t0);
//! # }
//! ```

pub mod carriers;
pub mod clock;
pub mod conform;
pub mod context;
pub mod control;
pub mod devices;
pub mod domain;
pub mod engine;
pub mod fixture;
pub mod journal;
pub mod outbound;
pub mod server;
pub mod sms;
pub mod store;
pub mod web;
pub mod world;

#[cfg(test)]
mod layer_rules;

pub use control::handles;

use std::net::SocketAddr;
use std::sync::Arc;

pub use fixture::Fixture;
pub use server::Settings;
pub use world::World;

/// A running simulator on a free port; stops when dropped.
pub struct Simulator {
    running: server::Running,
}

/// Configures a [`Simulator`] before starting it.
#[derive(Default)]
pub struct SimulatorBuilder {
    fixture: Option<Result<Fixture, String>>,
    seed: Option<u64>,
    start: Option<jiff::Timestamp>,
    settings: Settings,
}

impl SimulatorBuilder {
    /// Uses a fixture (TOML or JSON text).
    pub fn fixture_str(mut self, text: &str) -> Self {
        self.fixture = Some(fixture::load(text).map_err(join_problems));
        self
    }

    /// Uses a fixture file.
    pub fn fixture_file(mut self, path: impl AsRef<std::path::Path>) -> Self {
        self.fixture = Some(
            std::fs::read_to_string(path.as_ref())
                .map_err(|e| format!("{}: {e}", path.as_ref().display()))
                .and_then(|t| fixture::load(&t).map_err(join_problems)),
        );
        self
    }

    /// Uses a fixture value.
    pub fn fixture(mut self, fx: Fixture) -> Self {
        self.fixture = Some(Ok(fx));
        self
    }

    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Sets the simulated start time.
    pub fn start_time(mut self, ts: jiff::Timestamp) -> Self {
        self.start = Some(ts);
        self
    }

    /// Requires `Authorization: Bearer <token>` on the admin plane
    /// (mandatory when binding beyond loopback).
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.settings.admin_token = Some(token.into());
        self
    }

    /// Sets the HTTP listen address (default `127.0.0.1:0`).
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.settings.bind = addr;
        self
    }

    /// Replaces all run-time settings.
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// Builds the world and starts the listeners.
    pub async fn try_start(self) -> Result<Simulator, String> {
        let mut fx = match self.fixture {
            Some(f) => f?,
            None => fixture::default_fixture(),
        };
        if let Some(s) = self.seed {
            fx.seed = s;
        }
        if let Some(t) = self.start {
            fx.start = t;
        }
        let world = World::new(fx);
        let running = server::start(world, self.settings)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Simulator { running })
    }

    /// Like `try_start`, panicking on error (for tests).
    pub async fn start(self) -> Simulator {
        self.try_start().await.expect("carrier-sim failed to start")
    }
}

fn join_problems(p: Vec<fixture::Problem>) -> String {
    p.iter()
        .map(|p| p.to_string())
        .collect::<Vec<_>>()
        .join("\n")
}

impl Simulator {
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }

    /// Starts on the embedded default fixture.
    pub async fn start() -> Simulator {
        Self::builder().start().await
    }

    /// `http://127.0.0.1:PORT`.
    pub fn uri(&self) -> String {
        format!("http://{}", self.running.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    /// Base URL of China Mobile OneLink v5 (`…/v5/ec`).
    pub fn cmcc_url(&self) -> String {
        format!("{}/v5/ec", self.uri())
    }

    /// Base URL of China Unicom's REST API (`…/rws/api/v1`).
    pub fn cucc_url(&self) -> String {
        format!("{}/rws/api/v1", self.uri())
    }

    /// Base URL of China Telecom's m2m_ec API (`…/m2m_ec`).
    pub fn ctcc_url(&self) -> String {
        format!("{}/m2m_ec", self.uri())
    }

    pub fn world(&self) -> &Arc<World> {
        &self.running.ctx.world
    }

    pub fn context(&self) -> &server::AppContext {
        &self.running.ctx
    }

    /// Advances the simulated clock (`"40d"`, `"1h"`).
    pub fn advance(&self, d: &str) -> Result<(), String> {
        let d = clock::parse_duration(d)?;
        self.world().advance(d).map(|_| ())
    }

    /// Base URL of China Unicom's CMP gateway (`…/api`).
    pub fn cucc_cmp_url(&self) -> String {
        format!("{}/api", self.uri())
    }

    /// Base URL of China Telecom's 5G CMP (the server root; paths start
    /// with `/api/v1`).
    pub fn ctcc_5g_url(&self) -> String {
        self.uri()
    }

    /// The control plane (faults, request journal, metrics, snapshots).
    pub fn plane(&self) -> &Arc<control::Plane> {
        &self.running.ctx.plane
    }

    /// The simulated clock.
    pub fn clock(&self) -> handles::ClockHandle<'_> {
        handles::ClockHandle {
            world: self.world(),
        }
    }

    /// Card lookup and edits.
    pub fn cards(&self) -> handles::CardsHandle<'_> {
        handles::CardsHandle {
            world: self.world(),
        }
    }

    /// Fault injection.
    pub fn faults(&self) -> handles::FaultsHandle<'_> {
        handles::FaultsHandle {
            plane: self.plane(),
        }
    }

    /// The carrier-API request journal.
    pub fn requests(&self) -> handles::RequestsHandle<'_> {
        handles::RequestsHandle {
            plane: self.plane(),
        }
    }

    /// Named snapshots, files and reset.
    pub fn snapshots(&self) -> handles::SnapshotsHandle<'_> {
        handles::SnapshotsHandle {
            plane: self.plane(),
        }
    }

    /// Stops the listeners and waits for them.
    pub async fn stop(self) {
        self.running.stop().await
    }
}
