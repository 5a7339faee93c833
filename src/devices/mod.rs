//! Device-side interfaces over the same world: the virtual AT-command modem
//! (TCP and pseudo-terminals) and the SMPP SMSC. One listener of each
//! serves the root world and every world on demand: a client names its
//! world with a `{world id}:` prefix (`AT+SIMSEL="w3:<iccid>"`, SMPP
//! `system_id` `w3:cmccesme`), see [`split_world`].

pub mod modem;
pub mod smpp;

use tokio::sync::watch;

use std::sync::Arc;

use crate::context::Context;
use crate::control::Plane;
use crate::world::World;

/// The worlds on demand as the device listeners reach them: a world by
/// id, with its control plane (faults, request journal, rate limits).
pub trait WorldDirectory: Send + Sync {
    /// World `id` and its control plane (a use of the world: its idle
    /// time starts over).
    fn world(&self, id: &str) -> Option<(Arc<World>, Arc<Plane>)>;
    /// Whether `id` is still this world (not deleted); not a use.
    fn holds(&self, id: &str, world: &Arc<World>) -> bool;
}

/// Splits a device-side name into its world and the name inside it:
/// `w3:cmccesme` → (`Some("w3")`, `cmccesme`); a name without a world
/// prefix (no `:`, or not `w` + digits before it) is the root world's.
/// World ids are `w` + digits (`POST /_sim/worlds`), and neither ICCIDs,
/// MSISDNs nor the fixture's system_ids contain `:`.
pub fn split_world(name: &str) -> (Option<&str>, &str) {
    match name.split_once(':') {
        Some((world, rest))
            if world.len() > 1
                && world.starts_with('w')
                && world[1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            (Some(world), rest)
        }
        _ => (None, name),
    }
}

/// Starts the device listeners the settings ask for. SMPP consults the
/// control plane's faults and request journal like the HTTP dialects do;
/// `worlds` lets clients select a world on demand.
pub async fn start(
    ctx: &Context,
    plane: Arc<Plane>,
    worlds: Option<Arc<dyn WorldDirectory>>,
    shutdown: watch::Receiver<bool>,
) -> std::io::Result<()> {
    modem::start(ctx, worlds.clone(), shutdown.clone()).await?;
    smpp::start(ctx, plane, worlds, shutdown.clone()).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split_world;

    #[test]
    fn a_world_prefix_is_w_and_digits_before_a_colon() {
        assert_eq!(split_world("w3:cmccesme"), (Some("w3"), "cmccesme"));
        assert_eq!(
            split_world("w12:89860000000000000019"),
            (Some("w12"), "89860000000000000019")
        );
        assert_eq!(split_world("cmccesme"), (None, "cmccesme"));
        assert_eq!(split_world("w:x"), (None, "w:x"));
        assert_eq!(split_world("wx3:x"), (None, "wx3:x"));
        assert_eq!(split_world("w3:"), (Some("w3"), ""));
    }
}
