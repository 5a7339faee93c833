//! The SMPP 3.4 SMSC (`serve --smpp-bind ADDR`): ESMEs of the fixture's
//! accounts (`credentials.smpp`: system_id, password, short codes) bind as
//! transmitter, receiver or transceiver; submit_sm / submit_multi / data_sm
//! land in the cards' inboxes through `World::deliver_to_card` (so handsets
//! and AT modems see them), with delivery receipts computed from the card
//! on the simulated clock; what cards send to an account's short code
//! comes back as deliver_sm. An ESME binds to a world on demand with the
//! world's id before its system_id (`w3:cmccesme`); that world gets an
//! SMSC of its own on the first such bind, dropped when the world is
//! deleted. Codec in `pdu.rs`, code tables in `codes.rs`,
//! content and reassembly in `messages.rs`, receipts in `receipts.rs`, the
//! shared SMSC state in `smsc.rs`, one connection in `session.rs`.

pub mod codes;
pub mod messages;
pub mod pdu;
pub mod receipts;
pub mod session;
pub mod smsc;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};

use super::WorldDirectory;
use crate::context::Context;
use crate::control::Plane;
use crate::world::World;

pub use smsc::Smsc;

/// How often held messages are re-checked against the simulated clock
/// and their cards (real time).
const RECHECK_EVERY: Duration = Duration::from_millis(100);

type Registry = Mutex<Vec<(Weak<World>, Weak<Smsc>, SocketAddr)>>;

static REGISTRY: std::sync::LazyLock<Registry> = std::sync::LazyLock::new(Default::default);

/// The address the SMSC of a world listens on, once started.
pub fn bound_addr(world: &Arc<World>) -> Option<SocketAddr> {
    let reg = REGISTRY.lock();
    let weak = Arc::downgrade(world);
    reg.iter()
        .find(|(w, s, _)| w.ptr_eq(&weak) && s.strong_count() > 0)
        .map(|(_, _, a)| *a)
}

/// The running SMSC of a world, if any (messages held, queued receipts).
pub fn smsc(world: &Arc<World>) -> Option<Arc<Smsc>> {
    let reg = REGISTRY.lock();
    let weak = Arc::downgrade(world);
    reg.iter()
        .find(|(w, _, _)| w.ptr_eq(&weak))
        .and_then(|(_, s, _)| s.upgrade())
}

fn register(world: &Arc<World>, smsc: &Arc<Smsc>, bound: SocketAddr) {
    let mut reg = REGISTRY.lock();
    reg.retain(|(w, s, _)| w.strong_count() > 0 && s.strong_count() > 0);
    reg.push((Arc::downgrade(world), Arc::downgrade(smsc), bound));
}

/// The SMSCs of the worlds on demand behind one listener: made when an
/// ESME first binds to a world (`w3:cmccesme`), dropped once the world is
/// deleted.
pub struct WorldSmscs {
    directory: Arc<dyn WorldDirectory>,
    smscs: Mutex<HashMap<String, Arc<Smsc>>>,
    bound: SocketAddr,
    shutdown: watch::Receiver<bool>,
}

impl WorldSmscs {
    /// World `id`'s SMSC and control plane; `None` when there is no such
    /// world.
    pub fn of(self: &Arc<Self>, id: &str) -> Option<(Arc<Smsc>, Arc<Plane>)> {
        let (world, plane) = self.directory.world(id)?;
        let mut smscs = self.smscs.lock();
        if let Some(s) = smscs.get(id).filter(|s| Arc::ptr_eq(&s.world, &world)) {
            return Some((s.clone(), plane));
        }
        let smsc = Smsc::new(world.clone());
        register(&world, &smsc, self.bound);
        smscs.insert(id.to_string(), smsc.clone());
        let this = self.clone();
        let id = id.to_string();
        let for_task = smsc.clone();
        tokio::spawn(async move {
            let alive = || this.directory.holds(&id, &for_task.world);
            background(for_task.clone(), this.shutdown.clone(), alive).await;
            // Deleted (or shut down): let the world go.
            let mut smscs = this.smscs.lock();
            if smscs.get(&id).is_some_and(|s| Arc::ptr_eq(s, &for_task)) {
                smscs.remove(&id);
            }
        });
        Some((smsc, plane))
    }
}

/// Starts the SMSC when `smpp_bind` is set; stops with `shutdown`.
/// `worlds` are the worlds on demand an ESME may bind to.
pub async fn start(
    ctx: &Context,
    plane: Arc<Plane>,
    worlds: Option<Arc<dyn WorldDirectory>>,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let Some(addr) = ctx.settings.smpp_bind else {
        return Ok(());
    };
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| crate::context::bind_error("SMPP", addr, e))?;
    let bound = listener.local_addr()?;
    tracing::info!("SMPP SMSC listening on {bound}");
    let smsc = Smsc::new(ctx.world.clone());
    register(&ctx.world, &smsc, bound);
    let world_smscs = worlds.map(|directory| {
        Arc::new(WorldSmscs {
            directory,
            smscs: Mutex::new(HashMap::new()),
            bound,
            shutdown: shutdown.clone(),
        })
    });
    tokio::spawn(background(smsc.clone(), shutdown.clone(), || true));
    let mut stop = shutdown.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                r = listener.accept() => {
                    let Ok((sock, _)) = r else { continue };
                    let _ = sock.set_nodelay(true);
                    tokio::spawn(session::serve(plane.clone(), smsc.clone(), world_smscs.clone(), sock, shutdown.clone()));
                }
                _ = async { let _ = stop.wait_for(|v| *v).await; } => break,
            }
        }
    });
    Ok(())
}

/// Forwards mobile-originated messages to the ESMEs and re-checks held
/// messages on the simulated clock, while `alive` (a world on demand ends
/// its SMSC's work when deleted).
async fn background(
    smsc: Arc<Smsc>,
    mut shutdown: watch::Receiver<bool>,
    alive: impl Fn() -> bool,
) {
    let mut feed = smsc.world.messages.subscribe();
    let mut tick = tokio::time::interval(RECHECK_EVERY);
    loop {
        tokio::select! {
            m = feed.recv() => match m {
                Ok(n) if n.message.direction == "mo" => {
                    smsc.mobile_originated(&n.iccid, &n.message.peer, &n.message.text);
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = tick.tick() => {
                if !alive() {
                    break;
                }
                let s = smsc.clone();
                let _ = tokio::task::spawn_blocking(move || s.recheck()).await;
            }
            _ = async { let _ = shutdown.wait_for(|v| *v).await; } => break,
        }
    }
}
