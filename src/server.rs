//! The HTTP server: one listener serving every carrier dialect under its own
//! paths plus the `/_sim` admin plane, the clock ticker for the speed mode,
//! and graceful shutdown. The top layer: it composes the surfaces' routers
//! and owns the listeners; nothing in the crate imports it.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;

mod connections;
mod panic_guard;
pub mod starting;
pub mod worlds;

pub use connections::{Limits, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS};

pub use crate::context::Settings;
use crate::context::{bind_error, Context};
use crate::control::{self, ControlState};
use crate::outbound::Outbound;
use crate::world::World;

/// Everything the listeners share.
#[derive(Clone)]
pub struct AppContext {
    pub world: Arc<World>,
    pub settings: Arc<Settings>,
    pub ready: Arc<AtomicBool>,
    /// Faults, request journal, metrics and snapshots of the control plane.
    pub plane: Arc<control::Plane>,
    /// The recorded answers of `Settings::replay`, once loaded.
    pub replay: Option<Arc<crate::conform::replay::Replay>>,
    /// The worlds on demand (the root application only).
    pub worlds: Option<Arc<worlds::Worlds>>,
}

impl AppContext {
    /// What the surfaces below the server are given: the world and the
    /// run-time settings.
    pub fn shared(&self) -> Context {
        Context {
            world: self.world.clone(),
            settings: self.settings.clone(),
        }
    }
}

/// The whole HTTP application.
pub fn app(ctx: &AppContext) -> Router {
    let control = control::router(ControlState {
        world: ctx.world.clone(),
        ready: ctx.ready.clone(),
        plane: ctx.plane.clone(),
        worlds: ctx
            .worlds
            .clone()
            .map(|w| w as Arc<dyn control::worlds::WorldHost>),
    });
    let mut app = Router::new()
        .merge(control)
        .merge(crate::carriers::router(&ctx.shared()));
    if let Some(replay) = &ctx.replay {
        // Innermost, so that replayed answers are journaled like the rest.
        app = app.layer(axum::middleware::from_fn_with_state(
            replay.clone(),
            crate::conform::replay::layer,
        ));
    }
    let app = app
        .layer(axum::middleware::from_fn_with_state(
            ctx.plane.clone(),
            control::requests::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(control::auth::AdminAuth::of(&ctx.settings)),
            control::auth::layer,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::new(control::guard::Guard::of(&ctx.settings)),
            control::guard::layer,
        ))
        .layer(axum::middleware::from_fn(panic_guard::layer));
    match &ctx.worlds {
        // Outermost: a world's requests go through its own layers only.
        Some(worlds) => app.layer(axum::middleware::from_fn_with_state(
            worlds.clone(),
            worlds::dispatch,
        )),
        None => app,
    }
}

/// A running server: its address and a way to stop it.
pub struct Running {
    pub addr: SocketAddr,
    pub ctx: AppContext,
    shutdown: watch::Sender<bool>,
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    /// Asks every listener to stop and waits for them.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(h) = self.handle.take() {
            let _ = h.await;
        }
    }

    /// Resolves when shutdown has been requested.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.shutdown.subscribe()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Binds and starts serving; returns once every listener is bound.
pub async fn start(world: Arc<World>, settings: Settings) -> std::io::Result<Running> {
    start_on(None, world, settings).await
}

/// [`start`] on a listener bound already (see [`starting`]: bound before
/// the world was loaded), or binding `settings.bind` when `None`.
pub async fn start_on(
    listener: Option<TcpListener>,
    world: Arc<World>,
    settings: Settings,
) -> std::io::Result<Running> {
    control::auth::check_settings(&settings).map_err(std::io::Error::other)?;
    let replay = match &settings.replay {
        None => None,
        Some(path) => Some(Arc::new(
            crate::conform::replay::Replay::load(path)
                .map_err(|e| std::io::Error::other(format!("--replay {}: {e}", path.display())))?,
        )),
    };
    let outbound = Outbound::start(&world.journal);
    let settings = Arc::new(settings);
    let ctx = AppContext {
        plane: control::Plane::new(world.clone(), outbound),
        world,
        worlds: Some(worlds::Worlds::new(settings.clone())),
        settings,
        ready: Arc::new(AtomicBool::new(false)),
        replay,
    };
    let snapshot_dir = ctx
        .settings
        .snapshot_dir
        .clone()
        .unwrap_or_else(control::snapshot::default_dir);
    control::snapshot::remove_orphans(&snapshot_dir);
    let _ = ctx.plane.snapshot_dir.set(snapshot_dir);
    let listener = match listener {
        Some(l) => l,
        None => TcpListener::bind(ctx.settings.bind)
            .await
            .map_err(|e| bind_error("HTTP", ctx.settings.bind, e))?,
    };
    let addr = listener.local_addr()?;
    let (tx, rx) = watch::channel(false);
    let directory = ctx
        .worlds
        .clone()
        .map(|w| w as Arc<dyn crate::devices::WorldDirectory>);
    crate::devices::start(&ctx.shared(), ctx.plane.clone(), directory, rx.clone()).await?;
    crate::sms::notices::start(&ctx.world);
    let app = app(&ctx);
    let limits = Limits {
        max_connections: ctx
            .settings
            .max_connections
            .unwrap_or(DEFAULT_MAX_CONNECTIONS),
        header_read_timeout: ctx
            .settings
            .header_read_timeout
            .unwrap_or(DEFAULT_HEADER_READ_TIMEOUT),
    };
    let server = connections::serve(listener, app, limits, rx.clone());
    let ticker_world = ctx.world.clone();
    let ticker_worlds = ctx.worlds.clone();
    let mut rx_tick = rx.clone();
    let handle = tokio::spawn(async move {
        let ticker = tokio::spawn(async move {
            let mut iv = tokio::time::interval(Duration::from_millis(200));
            let mut ticks: u64 = 0;
            loop {
                tokio::select! {
                    _ = iv.tick() => {
                        ticks += 1;
                        let mut running: Vec<Arc<World>> = Vec::new();
                        if ticker_world.clock.speed().is_some() {
                            running.push(ticker_world.clone());
                        }
                        if let Some(worlds) = &ticker_worlds {
                            // Idle worlds go about once a second.
                            if ticks.is_multiple_of(5) {
                                worlds.reap();
                            }
                            running.extend(worlds.running());
                            if worlds.take_freed() {
                                let _ = tokio::task::spawn_blocking(worlds::release_freed_memory).await;
                            }
                        }
                        if !running.is_empty() {
                            let _ = tokio::task::spawn_blocking(move || {
                                for w in running {
                                    w.catch_up();
                                }
                            })
                            .await;
                        }
                    }
                    _ = rx_tick.changed() => if *rx_tick.borrow() { break },
                }
            }
        });
        server.await;
        ticker.abort();
    });
    ctx.ready.store(true, Ordering::Release);
    Ok(Running {
        addr,
        ctx,
        shutdown: tx,
        handle: Some(handle),
    })
}
