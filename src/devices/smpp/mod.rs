//! The SMPP 3.4 SMSC (`serve --smpp-bind ADDR`): ESMEs of the fixture's
//! accounts (`credentials.smpp`: system_id, password, short codes) bind as
//! transmitter, receiver or transceiver; submit_sm / submit_multi / data_sm
//! land in the cards' inboxes through `World::deliver_to_card` (so handsets
//! and AT modems see them), with delivery receipts computed from the card
//! on the simulated clock; what cards send to an account's short code
//! comes back as deliver_sm. Codec in `pdu.rs`, code tables in `codes.rs`,
//! content and reassembly in `messages.rs`, receipts in `receipts.rs`, the
//! shared SMSC state in `smsc.rs`, one connection in `session.rs`.

pub mod codes;
pub mod messages;
pub mod pdu;
pub mod receipts;
pub mod session;
pub mod smsc;

use std::net::SocketAddr;
use std::sync::{Arc, Weak};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};

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

/// Starts the SMSC when `smpp_bind` is set; stops with `shutdown`.
pub async fn start(
    ctx: &Context,
    plane: Arc<Plane>,
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
    {
        let mut reg = REGISTRY.lock();
        reg.retain(|(w, s, _)| w.strong_count() > 0 && s.strong_count() > 0);
        reg.push((Arc::downgrade(&ctx.world), Arc::downgrade(&smsc), bound));
    }
    tokio::spawn(background(smsc.clone(), shutdown.clone()));
    let mut stop = shutdown.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                r = listener.accept() => {
                    let Ok((sock, _)) = r else { continue };
                    let _ = sock.set_nodelay(true);
                    tokio::spawn(session::serve(plane.clone(), smsc.clone(), sock, shutdown.clone()));
                }
                _ = async { let _ = stop.wait_for(|v| *v).await; } => break,
            }
        }
    });
    Ok(())
}

/// Forwards mobile-originated messages to the ESMEs and re-checks held
/// messages on the simulated clock.
async fn background(smsc: Arc<Smsc>, mut shutdown: watch::Receiver<bool>) {
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
                let s = smsc.clone();
                let _ = tokio::task::spawn_blocking(move || s.recheck()).await;
            }
            _ = async { let _ = shutdown.wait_for(|v| *v).await; } => break,
        }
    }
}
