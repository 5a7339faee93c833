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
//! A suite of many tests can share one server instead: [`Simulator::shared`]
//! gives each test a fresh world on demand in one process-wide server (its
//! URLs are the world's, `http://127.0.0.1:PORT/w/{id}/...`), and dropping
//! the handle deletes the world. 200 tests then pay for one server and 200
//! cheap worlds, each with its own cards, clock, faults and journal:
//!
//! ```
//! use carrier_sim::Simulator;
//! let a = Simulator::shared();
//! let b = Simulator::shared();
//! // One server, two worlds: the same address, different base URLs.
//! assert_eq!(a.addr(), b.addr());
//! assert_ne!(a.uri(), b.uri());
//! assert!(a.cmcc_url().ends_with("/v5/ec"));
//! a.clock().advance("31d").unwrap();
//! assert_ne!(a.clock().now(), b.clock().now());
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

use control::worlds::WorldHost as _;
pub use fixture::Fixture;
pub use server::Settings;
pub use world::World;

/// A running simulator on a free port, which stops when dropped; or, from
/// [`Simulator::shared`], a world on demand in the process-wide server,
/// deleted when dropped. Both answer the same calls: the URLs are the
/// world's (`/w/{id}/...` for a shared one), the handles act on its state.
pub struct Simulator {
    host: Host,
}

/// What a [`Simulator`] stands for.
enum Host {
    /// A server of its own, with its own listeners.
    Own(server::Running),
    /// A world in the process-wide server.
    Shared(SharedWorld),
}

/// A world on demand in the process-wide server; deleted when dropped.
struct SharedWorld {
    id: String,
    addr: SocketAddr,
    ctx: server::AppContext,
    worlds: Arc<server::worlds::Worlds>,
}

impl Drop for SharedWorld {
    fn drop(&mut self) {
        self.worlds.delete(&self.id);
    }
}

/// The process-wide server behind [`Simulator::shared`]: it runs on a
/// runtime of its own (on its own thread), because a `#[tokio::test]`
/// runtime ends with its test while the server must outlive every test.
struct SharedServer {
    addr: SocketAddr,
    runtime: tokio::runtime::Handle,
    worlds: Arc<server::worlds::Worlds>,
}

/// Worlds the process-wide server holds at once: far more than a test
/// suite keeps alive together, while still a bound on a runaway loop.
const SHARED_MAX_WORLDS: usize = 10_000;

static SHARED_SERVER: std::sync::OnceLock<Result<SharedServer, String>> =
    std::sync::OnceLock::new();

/// Starts the process-wide server once (root world on the default
/// fixture, no idle TTL: a world lives as long as its handle).
fn shared_server() -> Result<&'static SharedServer, String> {
    SHARED_SERVER
        .get_or_init(|| {
            let (tx, rx) = std::sync::mpsc::channel();
            let spawned = std::thread::Builder::new()
                .name("carrier-sim-shared".into())
                .spawn(move || {
                    let runtime = match tokio::runtime::Builder::new_multi_thread()
                        .worker_threads(2)
                        .thread_name("carrier-sim-shared")
                        .enable_all()
                        .build()
                    {
                        Ok(rt) => rt,
                        Err(e) => {
                            let _ = tx.send(Err(format!("shared server runtime: {e}")));
                            return;
                        }
                    };
                    let settings = Settings {
                        max_worlds: SHARED_MAX_WORLDS,
                        world_ttl: None,
                        ..Settings::default()
                    };
                    let world = World::new(fixture::default_fixture());
                    let running = match runtime.block_on(server::start(world, settings)) {
                        Ok(r) => r,
                        Err(e) => {
                            let _ = tx.send(Err(format!("shared server: {e}")));
                            return;
                        }
                    };
                    let worlds = running
                        .ctx
                        .worlds
                        .clone()
                        .expect("the root server has worlds");
                    let _ = tx.send(Ok(SharedServer {
                        addr: running.addr,
                        runtime: runtime.handle().clone(),
                        worlds,
                    }));
                    // Serves until the process exits; `running` stays alive.
                    runtime.block_on(std::future::pending::<()>());
                    drop(running);
                });
            if let Err(e) = spawned {
                return Err(format!("shared server thread: {e}"));
            }
            rx.recv()
                .unwrap_or_else(|_| Err("shared server thread ended".to_string()))
        })
        .as_ref()
        .map_err(|e| e.clone())
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
        Ok(Simulator {
            host: Host::Own(running),
        })
    }

    /// Like `try_start`, panicking on error (for tests).
    pub async fn start(self) -> Simulator {
        self.try_start().await.expect("carrier-sim failed to start")
    }

    /// A world of this fixture, seed and start time in the process-wide
    /// server (see [`Simulator::shared`]); the run-time settings belong to
    /// that server and cannot be chosen per world.
    pub fn try_shared(self) -> Result<Simulator, String> {
        if self.settings.admin_token.is_some() || self.settings.bind != Settings::default().bind {
            return Err(
                "a shared world runs in the process-wide server, whose settings are fixed: use try_start for a server of your own"
                    .to_string(),
            );
        }
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
        let server = shared_server()?;
        // A world starts its delivery tasks on the server's runtime, which
        // outlives the caller's.
        let _inside = server.runtime.enter();
        let id = server
            .worlds
            .create(control::worlds::NewWorld {
                fixture: fx,
                ttl: None,
            })
            .map_err(|e| e.1)?;
        let ctx = server
            .worlds
            .context_of(&id)
            .ok_or_else(|| format!("world {id} vanished"))?;
        Ok(Simulator {
            host: Host::Shared(SharedWorld {
                id,
                addr: server.addr,
                ctx,
                worlds: server.worlds.clone(),
            }),
        })
    }

    /// Like `try_shared`, panicking on error (for tests).
    pub fn shared(self) -> Simulator {
        self.try_shared()
            .expect("carrier-sim: no world in the shared server")
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

    /// A fresh world on the default fixture in one process-wide server,
    /// started by the first call (later calls only add a world, well under
    /// a millisecond's work): a test suite pays for one server. The URLs
    /// are the world's (`http://127.0.0.1:PORT/w/{id}`); the handles act on
    /// its cards, clock, faults and journal; dropping the handle deletes
    /// the world. No `.await` is needed, so a synchronous test can use it,
    /// and the server outlives each test's runtime. The world has no idle
    /// TTL. The server has no SMPP or modem listeners; for those, and for
    /// settings of your own, use [`Simulator::start`] or the builder.
    pub fn shared() -> Simulator {
        Self::builder().shared()
    }

    /// The base URL: `http://127.0.0.1:PORT`, or for a shared world
    /// `http://127.0.0.1:PORT/w/{id}`. Every carrier API and `/_sim` are
    /// under it.
    pub fn uri(&self) -> String {
        match &self.host {
            Host::Own(r) => format!("http://{}", r.addr),
            Host::Shared(w) => format!("http://{}/w/{}", w.addr, w.id),
        }
    }

    /// The server's socket address (for a shared world, the process-wide
    /// server's: paths must carry the world's prefix, see [`Self::uri`]).
    pub fn addr(&self) -> SocketAddr {
        match &self.host {
            Host::Own(r) => r.addr,
            Host::Shared(w) => w.addr,
        }
    }

    /// The id of a shared world (`None` for a server of its own).
    pub fn world_id(&self) -> Option<&str> {
        match &self.host {
            Host::Own(_) => None,
            Host::Shared(w) => Some(&w.id),
        }
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
        &self.context().world
    }

    pub fn context(&self) -> &server::AppContext {
        match &self.host {
            Host::Own(r) => &r.ctx,
            Host::Shared(w) => &w.ctx,
        }
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
        &self.context().plane
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

    /// Stops the listeners and waits for them; a shared world is deleted.
    pub async fn stop(self) {
        match self.host {
            Host::Own(r) => r.stop().await,
            Host::Shared(w) => drop(w),
        }
    }
}
