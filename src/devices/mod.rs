//! Device-side interfaces over the same world: the virtual AT-command modem
//! (TCP and pseudo-terminals) and the SMPP SMSC.

pub mod modem;
pub mod smpp;

use tokio::sync::watch;

use std::sync::Arc;

use crate::context::Context;
use crate::control::Plane;

/// Starts the device listeners the settings ask for. SMPP consults the
/// control plane's faults and request journal like the HTTP dialects do.
pub async fn start(
    ctx: &Context,
    plane: Arc<Plane>,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    modem::start(ctx, shutdown.clone()).await?;
    smpp::start(ctx, plane, shutdown.clone()).await?;
    Ok(())
}
