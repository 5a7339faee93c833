//! Device-side interfaces over the same world: the virtual AT-command modem
//! (TCP and pseudo-terminals) and the SMPP SMSC.

pub mod modem;
pub mod smpp;

use tokio::sync::watch;

use crate::server::AppContext;

/// Starts the device listeners the settings ask for.
pub async fn start(ctx: &AppContext, shutdown: watch::Receiver<bool>) -> std::io::Result<()> {
    modem::start(ctx, shutdown.clone()).await?;
    smpp::start(ctx, shutdown.clone()).await?;
    Ok(())
}
