//! The virtual AT-command modem: a TCP listener (`serve --modem-bind ADDR`)
//! where one connection is one modem whose card is chosen with
//! `AT+SIMSEL="<iccid|msisdn>"` (a card of world `w3` on demand:
//! `AT+SIMSEL="w3:<iccid|msisdn>"`), and one pseudo-terminal per card named by
//! `serve --modem-pty <iccid>` (its `/dev/pts/N` path printed at start and
//! listed by `GET /_sim/modems`). The command set is in `session.rs`, the
//! PDU codec in `pdu.rs`, result codes in `codes.rs`.

pub mod codes;
pub mod pdu;
pub mod pty;
pub mod session;

use std::io;

use tokio::net::TcpListener;
use tokio::sync::watch;

use std::sync::Arc;

use super::WorldDirectory;
use crate::context::Context;
use crate::store::CardRef;

/// Starts the TCP listener and the pseudo-terminals the settings ask for;
/// `worlds` are the worlds on demand a TCP modem may select.
pub async fn start(
    ctx: &Context,
    worlds: Option<Arc<dyn WorldDirectory>>,
    shutdown: watch::Receiver<bool>,
) -> io::Result<()> {
    let state = crate::sms::state(&ctx.world);
    if let Some(addr) = ctx.settings.modem_bind {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| crate::context::bind_error("modem", addr, e))?;
        let bound = listener.local_addr()?;
        *state.modem_tcp.lock() = Some(bound);
        tracing::info!("AT modem listening on {bound}");
        let world = ctx.world.clone();
        let mut stop = shutdown.clone();
        let for_sessions = shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    r = listener.accept() => {
                        let Ok((sock, _)) = r else { continue };
                        let _ = sock.set_nodelay(true);
                        let modem = session::Modem::new(world.clone(), None).with_worlds(worlds.clone());
                        tokio::spawn(session::serve_modem(modem, sock, for_sessions.clone()));
                    }
                    _ = stop.wait_for(|v| *v) => break,
                }
            }
        });
    }
    for id in &ctx.settings.modem_pty {
        let iccid = ctx.world.resolve(CardRef::Any(id)).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("--modem-pty: no card {id}"),
            )
        })?;
        let msisdn = ctx
            .world
            .read_card(&iccid, |c| c.msisdn.to_string())
            .unwrap_or_default();
        let pty = pty::Pty::open()?;
        println!("modem for card {iccid} on {}", pty.path);
        state.ptys.lock().push(crate::sms::PtyModem {
            iccid: iccid.to_string(),
            msisdn,
            path: pty.path.clone(),
        });
        tokio::spawn(session::serve(
            ctx.world.clone(),
            pty,
            Some(iccid.to_string()),
            shutdown.clone(),
        ));
    }
    Ok(())
}
