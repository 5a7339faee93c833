//! What every surface is given: the world and the run-time settings (the
//! parts of the configuration that do not belong to the fixture). It sits
//! below the surfaces (carriers, sms, devices, control, web) so they need
//! not import the server that mounts them.

use std::net::SocketAddr;
use std::sync::Arc;

use crate::world::World;

/// Run-time settings that do not belong to the fixture.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Address of the HTTP listener (port 0 = any free port).
    pub bind: SocketAddr,
    /// CMCC: check the whole transid layout, not only the appid prefix.
    pub cmcc_strict_transid: bool,
    /// TCP address of the virtual AT modem.
    pub modem_bind: Option<SocketAddr>,
    /// Cards offered on a pseudo-terminal each.
    pub modem_pty: Vec<String>,
    /// TCP address of the SMPP SMSC.
    pub smpp_bind: Option<SocketAddr>,
    /// Bearer token required by the admin plane when not on loopback.
    pub admin_token: Option<String>,
    /// Serve `/_sim/metrics` without the admin token (for scrapers).
    pub open_metrics: bool,
    /// A recorded session whose answers are given back before the
    /// simulator is asked (`serve --replay`); loaded when the server starts.
    pub replay: Option<std::path::PathBuf>,
    /// Cap on the worlds on demand (`POST /_sim/worlds` answers 429 past it).
    pub max_worlds: usize,
    /// Idle time after which a world on demand is deleted (`None`: never),
    /// unless its creation names its own.
    pub world_ttl: Option<std::time::Duration>,
    /// The only directory `/_sim/snapshot/save` and `load` use (relative
    /// paths are taken inside it); none = `<temp dir>/carrier-sim-snapshots`.
    pub snapshot_dir: Option<std::path::PathBuf>,
    /// HTTP connections served at once (none = 1024); more get health
    /// answers only, then are closed.
    pub max_connections: Option<usize>,
    /// Time to send a request's headers, and the longest idle keep-alive
    /// (none = 10 s).
    pub header_read_timeout: Option<std::time::Duration>,
}

/// Default of [`Settings::max_worlds`].
pub const DEFAULT_MAX_WORLDS: usize = 1000;
/// Default of [`Settings::world_ttl`]: an hour without a request.
pub const DEFAULT_WORLD_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: "127.0.0.1:0".parse().expect("valid"),
            cmcc_strict_transid: false,
            modem_bind: None,
            modem_pty: Vec::new(),
            smpp_bind: None,
            admin_token: None,
            open_metrics: false,
            replay: None,
            max_worlds: DEFAULT_MAX_WORLDS,
            world_ttl: Some(DEFAULT_WORLD_TTL),
            snapshot_dir: None,
            max_connections: None,
            header_read_timeout: None,
        }
    }
}

/// The world and settings, shared by the surfaces.
#[derive(Clone)]
pub struct Context {
    pub world: Arc<World>,
    pub settings: Arc<Settings>,
}

/// A bind failure that names the listener and its address, e.g.
/// `SMPP listener on 0.0.0.0:2775: Address already in use`.
pub fn bind_error(listener: &str, addr: SocketAddr, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{listener} listener on {addr}: {e}"))
}
