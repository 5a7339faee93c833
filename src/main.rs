//! The `carrier-sim` command line: `serve`, `validate`, `generate`, and
//! `record` / `import` / `conform` / `serve --replay` (a session with the real
//! platform; see `carrier_sim::conform`), and admin commands against a running instance (`clock`, `card`, `reset`,
//! `snapshot`, `fault`, `requests`, `credentials`; see `control::cli`).
//!
//! Every `serve` option can also come from a `CARRIER_SIM_*` environment
//! variable (the table is in README.md), so a container or a CI job can
//! configure the simulator without a command line.

use std::io::IsTerminal;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::builder::BoolishValueParser;
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};

use carrier_sim::control::cli::{AdminCmd, Target};
use carrier_sim::{fixture, server, Settings, World};

#[derive(Parser)]
#[command(
    name = "carrier-sim",
    version,
    about = "Offline simulator of the Chinese carriers' IoT connectivity-management platforms",
    after_help = "Admin subcommands (clock, card, reset, snapshot, fault, requests, credentials) \
                  talk to a running instance: --url / CARRIER_SIM_URL, --admin-token / \
                  CARRIER_SIM_ADMIN_TOKEN."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once at start: the size of the `serve` variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// Serve the carrier APIs and the /_sim admin plane.
    Serve(ServeArgs),
    /// Check a fixture file and report every problem with its location.
    Validate {
        /// Fixture file to check (TOML, or JSON when it starts with `{`).
        file: PathBuf,
    },
    /// Write a realistic large fleet as a JSON fixture.
    Generate {
        /// Number of cards (spread over the three carriers).
        #[arg(long)]
        cards: usize,
        /// Seed of the generated identifiers, states and usage.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file (stdout when absent); written atomically.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Record a session against the real platform through a masking proxy.
    Record {
        /// The dialect the client speaks.
        #[arg(long, value_parser = parse_carrier)]
        carrier: carrier_sim::domain::Carrier,
        /// The real platform's base URL (e.g. https://api.iot.10086.cn).
        #[arg(long)]
        upstream: String,
        /// Where the client connects.
        #[arg(long, default_value = "127.0.0.1:8081")]
        bind: SocketAddr,
        /// The session file (JSON Lines, one exchange per line).
        #[arg(long, short)]
        out: PathBuf,
        /// Replace ICCIDs, MSISDNs, IMSIs and IMEIs by consistent pseudonyms.
        #[arg(long)]
        pseudonymise: bool,
        /// A further value to mask wherever it appears (repeatable), e.g. the
        /// CTCC plaintext password and key.
        #[arg(long = "secret")]
        secrets: Vec<String>,
    },
    #[command(flatten)]
    Admin(AdminCmd),
    /// Build a fixture with the cards a recorded session reveals.
    Import {
        /// The recorded session (JSON Lines, written by `record`).
        session: PathBuf,
        /// The fixture to write (TOML).
        #[arg(long, short)]
        out: PathBuf,
    },
    /// Replay a recorded session against the simulator and report every
    /// difference; exit 1 when one is found.
    Conform {
        /// The recorded session (JSON Lines, written by `record`).
        session: PathBuf,
        /// Start the simulator on this fixture (default: imported from the session).
        #[arg(long)]
        fixture: Option<PathBuf>,
        /// Compare with a simulator already running here instead (its
        /// credentials are read from --fixture, or the default fixture).
        #[arg(long)]
        against: Option<String>,
        /// Print the report as JSON (for CI).
        #[arg(long)]
        json: bool,
    },
}

/// `serve` options; each one also reads a `CARRIER_SIM_*` variable.
#[derive(Args)]
struct ServeArgs {
    /// Fixture file (TOML or JSON); the embedded default fleet when absent.
    #[arg(long, env = "CARRIER_SIM_FIXTURE")]
    fixture: Option<PathBuf>,
    /// HTTP listen address, `HOST:PORT` (`localhost:8080`, `0.0.0.0:8080`, `[::1]:8080`).
    #[arg(long, env = "CARRIER_SIM_BIND", default_value = "127.0.0.1:8080", value_parser = parse_bind)]
    bind: SocketAddr,
    /// HTTP port; replaces the port of --bind (0 = any free port).
    #[arg(long, env = "CARRIER_SIM_PORT")]
    port: Option<u16>,
    /// Seed of the world's random choices; overrides the fixture's seed.
    #[arg(long, env = "CARRIER_SIM_SEED")]
    seed: Option<u64>,
    /// CMCC: check the transid layout strictly (appid + 14-digit time + 8-digit sequence).
    #[arg(long, env = "CARRIER_SIM_CMCC_STRICT_TRANSID", value_parser = BoolishValueParser::new())]
    cmcc_strict_transid: bool,
    /// Virtual AT modem TCP address, `HOST:PORT` (off when absent).
    #[arg(long, env = "CARRIER_SIM_MODEM_BIND", value_parser = parse_bind)]
    modem_bind: Option<SocketAddr>,
    /// Offer the modem of this card (ICCID or MSISDN) on a pseudo-terminal
    /// (repeatable; comma-separated in the variable).
    #[arg(long, env = "CARRIER_SIM_MODEM_PTY", value_delimiter = ',')]
    modem_pty: Vec<String>,
    /// SMPP SMSC TCP address, `HOST:PORT` (off when absent).
    #[arg(long, env = "CARRIER_SIM_SMPP_BIND", value_parser = parse_bind)]
    smpp_bind: Option<SocketAddr>,
    /// Bearer token of the /_sim admin plane (required when bound beyond loopback).
    #[arg(long, env = "CARRIER_SIM_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Serve /_sim/metrics without the admin token (for Prometheus scrapers).
    /// The variables of both switches take true/false, 1/0, yes/no, on/off.
    #[arg(long, env = "CARRIER_SIM_OPEN_METRICS", value_parser = BoolishValueParser::new())]
    open_metrics: bool,
    /// Answer the requests of this recorded session as recorded; the
    /// simulator answers the rest (docs/conformance.md).
    #[arg(long)]
    replay: Option<PathBuf>,
    /// Cap on the worlds on demand created with POST /_sim/worlds.
    #[arg(long, env = "CARRIER_SIM_MAX_WORLDS", default_value_t = carrier_sim::context::DEFAULT_MAX_WORLDS)]
    max_worlds: usize,
    /// Idle time after which a world on demand is deleted ("1h", "30m"; "0" never).
    #[arg(long, env = "CARRIER_SIM_WORLD_TTL", default_value = "1h", value_parser = parse_ttl)]
    world_ttl: TtlArg,
    /// The only directory /_sim/snapshot/save and load may use (relative
    /// paths are taken inside it; default: <temp dir>/carrier-sim-snapshots).
    #[arg(long, env = "CARRIER_SIM_SNAPSHOT_DIR")]
    snapshot_dir: Option<PathBuf>,
    /// HTTP connections served at once (default 1024); beyond it only
    /// /_sim/health and /_sim/ready are answered.
    #[arg(long, env = "CARRIER_SIM_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// History limits over the fixture's [retention] table, e.g.
    /// `journal_events=500000,card_events=50,hour_history_days=2`
    /// (keys in docs/retention.md).
    #[arg(
        long,
        env = "CARRIER_SIM_RETENTION",
        value_delimiter = ',',
        value_name = "KEY=VALUE"
    )]
    retention: Vec<String>,
    /// Start from this snapshot file (binary `.bin` or JSON, as written by
    /// `snapshot save`) instead of the fixture's first instant; the fixture
    /// stays what `reset` goes back to.
    #[arg(long, env = "CARRIER_SIM_SNAPSHOT")]
    snapshot: Option<PathBuf>,
}

/// `HOST:PORT` to a socket address; a name (`localhost`) is resolved, and
/// its IPv4 address preferred so `localhost:8080` means what curl expects.
/// A world TTL: a duration, or `0` for none.
#[derive(Clone, Copy, Debug)]
struct TtlArg(Option<std::time::Duration>);

fn parse_ttl(text: &str) -> Result<TtlArg, String> {
    if text.trim() == "0" {
        return Ok(TtlArg(None));
    }
    let d = carrier_sim::clock::parse_wall_duration(text)?;
    Ok(TtlArg((!d.is_zero()).then_some(d)))
}

fn parse_bind(text: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if !text.contains(':') {
        return Err(format!("'{text}' is not HOST:PORT (e.g. 127.0.0.1:8080)"));
    }
    let addrs: Vec<SocketAddr> = text
        .to_socket_addrs()
        .map_err(|e| format!("'{text}' is not HOST:PORT: {e}"))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or(addrs.first())
        .copied()
        .ok_or_else(|| format!("'{text}' resolves to no address"))
}

/// Names of the subcommands that talk to a running instance.
fn admin_subcommands() -> Vec<String> {
    let mut probe = clap::Command::new("probe");
    probe = <AdminCmd as Subcommand>::augment_subcommands(probe);
    probe
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .collect()
}

/// The command line with `--url` and `--admin-token` on the admin
/// subcommands only (so `serve --help` does not offer them).
fn command() -> clap::Command {
    let mut cmd = Cli::command();
    for name in admin_subcommands() {
        cmd = cmd.mut_subcommand(name, |sub| {
            // `augment_args` would also put Target's own doc in place of
            // the subcommand's description.
            let about = sub.get_about().cloned();
            let long_about = sub.get_long_about().cloned();
            let mut sub = Target::augment_args(sub);
            if let Some(about) = about {
                sub = sub.about(about);
            }
            if let Some(long_about) = long_about {
                sub = sub.long_about(long_about);
            }
            sub
        });
    }
    cmd
}

fn init_logging() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "carrier_sim=info".into()),
        )
        // Colour codes only for a person at a terminal, not in log files.
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    init_logging();
    let matches = command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    match cli.command {
        Command::Validate { file } => validate(&file),
        Command::Admin(cmd) => {
            let sub = matches.subcommand().map(|(_, m)| m).expect("a subcommand");
            let target = match Target::from_arg_matches(sub) {
                Ok(t) => t,
                Err(e) => e.exit(),
            };
            carrier_sim::control::cli::run(&target, &cmd)
        }
        Command::Generate { cards, seed, out } => generate(cards, seed, out),
        Command::Import { session, out } => import(&session, &out),
        Command::Conform {
            session,
            fixture,
            against,
            json,
        } => conform(&session, fixture.as_ref(), against.as_deref(), json),
        Command::Record {
            carrier,
            upstream,
            bind,
            out,
            pseudonymise,
            secrets,
        } => record(carrier_sim::conform::record::RecordConfig {
            carrier,
            upstream,
            bind,
            out,
            pseudonymise,
            secrets,
        }),
        Command::Serve(args) => {
            let mut bind = args.bind;
            if let Some(port) = args.port {
                bind.set_port(port);
            }
            let settings = Settings {
                bind,
                cmcc_strict_transid: args.cmcc_strict_transid,
                modem_bind: args.modem_bind,
                modem_pty: args.modem_pty,
                smpp_bind: args.smpp_bind,
                admin_token: args.admin_token,
                open_metrics: args.open_metrics,
                replay: args.replay,
                max_worlds: args.max_worlds,
                world_ttl: args.world_ttl.0,
                snapshot_dir: args.snapshot_dir,
                max_connections: args.max_connections,
                header_read_timeout: None,
            };
            serve(
                args.fixture,
                args.snapshot,
                args.seed,
                &args.retention,
                settings,
            )
        }
    }
}

fn read_fixture(path: &Path) -> Result<fixture::Fixture, ExitCode> {
    read_fixture_with(path, &server::starting::LoadProgress::new())
}

/// Reads a fixture file in chunks (progress in bytes), then parses it
/// (progress in cards) and checks it; problems are printed, exit 1.
fn read_fixture_with(
    path: &Path,
    progress: &Arc<server::starting::LoadProgress>,
) -> Result<fixture::Fixture, ExitCode> {
    use std::io::Read;
    let started = Instant::now();
    let fail = |e: std::io::Error| {
        eprintln!("{}: {e}", path.display());
        ExitCode::from(2)
    };
    let mut file = std::fs::File::open(path).map_err(fail)?;
    let size = file.metadata().map_err(fail)?.len();
    let large = size > 1 << 20;
    if large {
        tracing::info!("loading {} ({} MiB)", path.display(), size >> 20);
    }
    progress.phase("reading fixture", "bytes", size);
    let mut bytes = Vec::with_capacity(size as usize);
    let mut chunk = vec![0u8; 8 << 20];
    loop {
        let n = file.read(&mut chunk).map_err(fail)?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
        progress.set_loaded(bytes.len() as u64);
    }
    drop(chunk);
    progress.phase("parsing fixture", "cards", 0);
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    fixture::count_parsed_cards(Some(counter.clone()));
    let logger = large.then(|| log_progress(progress.clone(), counter.clone()));
    let loaded = fixture::load_bytes(&bytes);
    fixture::count_parsed_cards(None);
    drop(logger);
    let loaded = loaded.map_err(|problems| {
        for p in &problems {
            eprintln!("{}: {p}", path.display());
        }
        eprintln!("{} problem(s) in {}", problems.len(), path.display());
        ExitCode::from(1)
    })?;
    if large {
        tracing::info!(
            "parsed and checked {} ({} cards) in {:.1}s",
            path.display(),
            loaded.cards.len(),
            started.elapsed().as_secs_f64()
        );
    }
    Ok(loaded)
}

fn validate(path: &Path) -> ExitCode {
    match read_fixture(path) {
        Ok(fx) => {
            let cards = fx.cards.len() + fx.groups.iter().map(|g| g.count).sum::<usize>();
            println!(
                "{}: ok ({} accounts, {} plans, {} pools, {} cards)",
                path.display(),
                fx.accounts.len(),
                fx.plans.len(),
                fx.pools.len(),
                cards
            );
            ExitCode::SUCCESS
        }
        Err(code) => code,
    }
}

fn generate(cards: usize, seed: u64, out: Option<PathBuf>) -> ExitCode {
    let started = Instant::now();
    let fx = fixture::generate::large_fleet(cards, seed, true);
    let result = match &out {
        Some(path) => fixture::generate::write_json(&fx, path),
        None => fixture::generate::write_json_to(&fx, std::io::stdout().lock()),
    };
    match result {
        Ok(()) => {
            // The progress bar only draws on a terminal; this line is what a
            // CI log or a redirected run keeps.
            eprintln!(
                "generate: {} cards (seed {seed}) written to {} in {:.1}s",
                fx.cards.len(),
                out.as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "stdout".into()),
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::from(2)
        }
    }
}

fn read_session(path: &Path) -> Result<Vec<carrier_sim::conform::session::Exchange>, ExitCode> {
    carrier_sim::conform::session::read(path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(2)
    })
}

fn import(session: &Path, out: &Path) -> ExitCode {
    let exchanges = match read_session(session) {
        Ok(e) => e,
        Err(code) => return code,
    };
    match carrier_sim::conform::import::build(&exchanges) {
        Ok((fx, text)) => {
            if let Err(e) = std::fs::write(out, text) {
                eprintln!("{}: {e}", out.display());
                return ExitCode::from(2);
            }
            println!(
                "{}: {} account(s), {} plan(s), {} card(s) from {} exchange(s)",
                out.display(),
                fx.accounts.len(),
                fx.plans.len(),
                fx.cards.len(),
                exchanges.len()
            );
            ExitCode::SUCCESS
        }
        Err(problems) => {
            for p in &problems {
                eprintln!("import: {p}");
            }
            ExitCode::from(1)
        }
    }
}

fn conform(
    session: &Path,
    fixture_path: Option<&PathBuf>,
    against: Option<&str>,
    json: bool,
) -> ExitCode {
    use carrier_sim::conform::{check, import};
    let exchanges = match read_session(session) {
        Ok(e) => e,
        Err(code) => return code,
    };
    let fx = match (fixture_path, against) {
        (Some(p), _) => match read_fixture(p) {
            Ok(f) => f,
            Err(code) => return code,
        },
        (None, Some(_)) => fixture::default_fixture(),
        (None, None) => match import::build(&exchanges) {
            Ok((f, _)) => f,
            Err(problems) => {
                for p in &problems {
                    eprintln!("import: {p}");
                }
                return ExitCode::from(2);
            }
        },
    };
    let creds = check::TargetCredentials::from_fixture(&fx);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async move {
        let (report, sim) = match against {
            Some(url) => (check::run(&exchanges, url, creds).await, None),
            None => {
                let sim = match carrier_sim::Simulator::builder()
                    .fixture(fx)
                    .try_start()
                    .await
                {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("cannot start the simulator: {e}");
                        return ExitCode::from(2);
                    }
                };
                (check::run(&exchanges, &sim.uri(), creds).await, Some(sim))
            }
        };
        if let Some(sim) = sim {
            sim.stop().await;
        }
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).unwrap_or_default()
            );
        } else {
            print!("{}", report.text());
        }
        if report.failed() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    })
}

/// Copies the parse counter into the progress and logs it every 2 s,
/// until dropped.
fn log_progress(
    progress: Arc<server::starting::LoadProgress>,
    counter: Arc<std::sync::atomic::AtomicU64>,
) -> impl Drop {
    struct Stop(Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Stop {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let done = stop.clone();
    std::thread::spawn(move || {
        let mut ticks = 0u32;
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            std::thread::sleep(std::time::Duration::from_millis(100));
            let n = counter.load(std::sync::atomic::Ordering::Relaxed);
            progress.set_loaded(n);
            ticks += 1;
            if ticks.is_multiple_of(20) {
                tracing::info!("loading: {n} cards parsed");
            }
        }
    });
    Stop(stop)
}

/// The world to serve: the fixture's (progress as it is read, parsed and
/// built), then the snapshot's state when one is given; the snapshot's
/// request journal comes back for the plane.
fn load_world(
    fixture_path: Option<&Path>,
    snapshot: Option<&Path>,
    seed: Option<u64>,
    retention: &[String],
    progress: &Arc<server::starting::LoadProgress>,
) -> Result<
    (
        Arc<World>,
        Option<Vec<carrier_sim::control::requests::RequestRecord>>,
    ),
    ExitCode,
> {
    let mut fx = match fixture_path {
        Some(p) => read_fixture_with(p, progress)?,
        None => fixture::default_fixture(),
    };
    if let Some(s) = seed {
        fx.seed = s;
    }
    if !retention.is_empty() {
        let mut r = fx.effective_retention();
        for item in retention {
            let applied = item
                .split_once('=')
                .ok_or_else(|| format!("'{item}' is not KEY=VALUE"))
                .and_then(|(k, v)| r.set(k, v))
                .and_then(|()| r.check());
            if let Err(e) = applied {
                eprintln!("--retention: {e}");
                return Err(ExitCode::from(2));
            }
        }
        fx.retention = r;
        fx.journal_cap = None;
    }
    let started = Instant::now();
    let total: usize = fx.cards.len() + fx.groups.iter().map(|g| g.count).sum::<usize>();
    progress.phase("building world", "cards", total as u64);
    let world = World::new(fx);
    progress.set_loaded(world.store.card_count() as u64);
    if started.elapsed().as_secs() >= 1 {
        tracing::info!(
            "built {} cards in {:.1}s",
            world.store.card_count(),
            started.elapsed().as_secs_f64()
        );
    }
    let Some(path) = snapshot else {
        return Ok((world, None));
    };
    let started = Instant::now();
    progress.phase(
        "reading snapshot",
        "bytes",
        std::fs::metadata(path).map_or(0, |m| m.len()),
    );
    let snap = carrier_sim::control::snapshot::load_file(path).map_err(|e| {
        eprintln!("{e}");
        ExitCode::from(1)
    })?;
    progress.phase("restoring snapshot", "cards", snap.cards.len() as u64);
    let requests = carrier_sim::control::requests::RequestLog::default();
    let kept = snap.requests.clone();
    carrier_sim::control::snapshot::restore_owned(&world, &requests, snap).map_err(|e| {
        eprintln!("{}: {e}", path.display());
        ExitCode::from(1)
    })?;
    tracing::info!(
        "restored {} ({} cards) in {:.1}s",
        path.display(),
        world.store.card_count(),
        started.elapsed().as_secs_f64()
    );
    Ok((world, Some(kept)))
}

fn serve(
    fixture_path: Option<PathBuf>,
    snapshot: Option<PathBuf>,
    seed: Option<u64>,
    retention: &[String],
    settings: Settings,
) -> ExitCode {
    if let Err(e) = carrier_sim::control::auth::check_settings(&settings) {
        eprintln!("cannot start: {e}");
        return ExitCode::from(2);
    }
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async move {
        // Bound at once: until the world is loaded, /_sim/ready answers 503
        // with the progress (server::starting).
        let progress = server::starting::LoadProgress::new();
        let early = match server::starting::bind_early(settings.bind, progress.clone()).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot start: {e}");
                return ExitCode::from(2);
            }
        };
        tracing::info!("bound http://{}; loading the world", early.addr);
        let (fx_path, snap_path) = (fixture_path.clone(), snapshot.clone());
        let retention = retention.to_vec();
        let loaded = tokio::task::spawn_blocking(move || {
            load_world(
                fx_path.as_deref(),
                snap_path.as_deref(),
                seed,
                &retention,
                &progress,
            )
        })
        .await
        .expect("loading thread");
        let (world, requests) = match loaded {
            Ok(w) => w,
            Err(code) => return code,
        };
        let listener = match early.into_listener().await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("cannot start: {e}");
                return ExitCode::from(2);
            }
        };
        let running = match server::start_on(Some(listener), world.clone(), settings.clone()).await
        {
            Ok(r) => r,
            Err(e) => {
                eprintln!("cannot start: {e}");
                return ExitCode::from(2);
            }
        };
        if let Some(r) = requests {
            running.ctx.plane.requests.restore(r);
        }
        print_banner(&running, &world, fixture_path.as_ref());
        wait_for_signal().await;
        eprintln!("shutting down");
        running.stop().await;
        ExitCode::SUCCESS
    })
}

fn print_banner(running: &server::Running, world: &World, fixture: Option<&PathBuf>) {
    let base = format!("http://{}", running.addr);
    println!("carrier-sim listening on {base}");
    println!(
        "  fixture: {}",
        fixture
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "embedded default".into())
    );
    println!(
        "  cards: {}   clock: {} (frozen)",
        world.store.card_count(),
        carrier_sim::clock::rfc3339(world.now())
    );
    println!(
        "  CMCC OneLink v5: {base}/v5/ec   (transid check: {})",
        if running.ctx.settings.cmcc_strict_transid {
            "strict"
        } else {
            "lenient"
        }
    );
    println!("  CUCC REST:       {base}/rws/api/v1    CMP gateway: {base}/api");
    println!(
        "  CUCC SOAP:       {base}/ws/service/terminal    WSDL: {base}/ws/schema/Terminal.wsdl"
    );
    println!("  CTCC m2m_ec:     {base}/m2m_ec        5G CMP: {base}");
    println!("  admin:           {base}/_sim/health    docs: {base}/_sim/docs");
    if let Some(replay) = &running.ctx.replay {
        println!(
            "  replay:          {} recorded request(s) answered as recorded",
            replay.len()
        );
    }
    for a in world.accounts() {
        let creds = serde_json::to_string(&a.credentials).unwrap_or_default();
        println!("  account {} ({}): {}", a.id, a.carrier, creds);
    }
}

fn parse_carrier(s: &str) -> Result<carrier_sim::domain::Carrier, String> {
    carrier_sim::domain::Carrier::parse(s).ok_or_else(|| format!("{s}: one of cmcc, cucc, ctcc"))
}

fn record(cfg: carrier_sim::conform::record::RecordConfig) -> ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async move {
        let out = cfg.out.clone();
        let upstream = cfg.upstream.clone();
        let carrier = cfg.carrier;
        let recorder = match carrier_sim::conform::record::start(cfg).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("record: {e}");
                return ExitCode::from(2);
            }
        };
        println!(
            "recording {carrier} on http://{} -> {upstream}, writing {}",
            recorder.addr,
            out.display()
        );
        wait_for_signal().await;
        let n = recorder.stop().await;
        eprintln!("{n} exchange(s) recorded in {}", out.display());
        ExitCode::SUCCESS
    })
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_accept_names_and_prefer_ipv4() {
        assert_eq!(
            parse_bind("0.0.0.0:9000").unwrap(),
            "0.0.0.0:9000".parse().unwrap()
        );
        assert_eq!(
            parse_bind("localhost:8080").unwrap(),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert!(parse_bind("8080").unwrap_err().contains("HOST:PORT"));
    }

    #[test]
    fn url_and_token_are_only_on_admin_subcommands() {
        let cmd = command();
        let serve = cmd.find_subcommand("serve").unwrap();
        let serve_args: Vec<_> = serve.get_arguments().map(|a| a.get_id().as_str()).collect();
        assert!(!serve_args.contains(&"url"), "{serve_args:?}");
        assert_eq!(
            serve_args.iter().filter(|a| a.contains("token")).count(),
            1,
            "one admin-token flag: {serve_args:?}"
        );
        let clock = cmd.find_subcommand("clock").unwrap();
        assert!(clock.get_arguments().any(|a| a.get_id() == "url"));
        cmd.debug_assert();
    }

    #[test]
    fn every_argument_has_help() {
        fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
            for a in cmd.get_arguments() {
                let id = a.get_id().as_str();
                if id != "help" && id != "version" && a.get_help().is_none() {
                    missing.push(format!("{path} {id}"));
                }
            }
            for sub in cmd.get_subcommands() {
                walk(sub, &format!("{path} {}", sub.get_name()), missing);
            }
        }
        let mut missing = Vec::new();
        walk(&command(), "carrier-sim", &mut missing);
        assert!(missing.is_empty(), "arguments without help: {missing:?}");
    }
}
