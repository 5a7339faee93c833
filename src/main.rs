//! The `carrier-sim` command line: `serve`, `validate`, `generate`, and
//! `record` (a masking proxy in front of the real platform; see
//! `conform`), and admin commands against a running instance (`clock`, `card`, `reset`,
//! `snapshot`, `fault`, `requests`, `credentials`; see `control::cli`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use carrier_sim::{fixture, server, Settings, World};

#[derive(Parser)]
#[command(
    name = "carrier-sim",
    version,
    about = "Offline simulator of the Chinese carriers' IoT connectivity-management platforms"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    target: carrier_sim::control::cli::Target,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the carrier APIs and the /_sim admin plane.
    Serve {
        /// Fixture file (TOML or JSON); the embedded default fleet when absent.
        #[arg(long)]
        fixture: Option<PathBuf>,
        /// HTTP listen address.
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: SocketAddr,
        /// Overrides the fixture's seed.
        #[arg(long)]
        seed: Option<u64>,
        /// CMCC: check the transid layout strictly (appid + 14-digit time + 8-digit sequence).
        #[arg(long)]
        cmcc_strict_transid: bool,
        /// Virtual AT modem TCP address.
        #[arg(long)]
        modem_bind: Option<SocketAddr>,
        /// Offer the modem of this card (ICCID or MSISDN) on a pseudo-terminal (repeatable).
        #[arg(long)]
        modem_pty: Vec<String>,
        /// SMPP SMSC TCP address.
        #[arg(long)]
        smpp_bind: Option<SocketAddr>,
        /// Bearer token for the admin plane (required when bound beyond loopback).
        #[arg(long, env = "CARRIER_SIM_ADMIN_TOKEN")]
        admin_token: Option<String>,
    },
    /// Check a fixture file and report every problem with its location.
    Validate { file: PathBuf },
    /// Admin commands against a running instance (`--url`, `--token`).
    #[command(flatten)]
    Admin(carrier_sim::control::cli::AdminCmd),
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
    /// Write a realistic large fleet as a JSON fixture.
    Generate {
        #[arg(long)]
        cards: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output file (stdout when absent).
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "carrier_sim=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Validate { file } => validate(&file),
        Command::Admin(cmd) => carrier_sim::control::cli::run(&cli.target, &cmd),
        Command::Generate { cards, seed, out } => generate(cards, seed, out),
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
        Command::Serve {
            fixture,
            bind,
            seed,
            cmcc_strict_transid,
            modem_bind,
            modem_pty,
            smpp_bind,
            admin_token,
        } => {
            let settings = Settings {
                bind,
                cmcc_strict_transid,
                modem_bind,
                modem_pty,
                smpp_bind,
                admin_token,
            };
            serve(fixture, seed, settings)
        }
    }
}

fn read_fixture(path: &PathBuf) -> Result<fixture::Fixture, ExitCode> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("{}: {e}", path.display());
        ExitCode::from(2)
    })?;
    fixture::load(&text).map_err(|problems| {
        for p in &problems {
            eprintln!("{}: {p}", path.display());
        }
        eprintln!("{} problem(s) in {}", problems.len(), path.display());
        ExitCode::from(1)
    })
}

fn validate(path: &PathBuf) -> ExitCode {
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
    let fx = fixture::generate::large_fleet(cards, seed, true);
    let result = match out {
        Some(path) => fixture::generate::write_json(&fx, &path),
        None => fixture::generate::write_json_to(&fx, std::io::stdout().lock()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::from(2)
        }
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

fn serve(fixture_path: Option<PathBuf>, seed: Option<u64>, settings: Settings) -> ExitCode {
    let mut fx = match &fixture_path {
        Some(p) => match read_fixture(p) {
            Ok(f) => f,
            Err(code) => return code,
        },
        None => fixture::default_fixture(),
    };
    if let Some(s) = seed {
        fx.seed = s;
    }
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    runtime.block_on(async move {
        let world = World::new(fx);
        let running = match server::start(world.clone(), settings.clone()).await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("cannot start: {e}");
                return ExitCode::from(2);
            }
        };
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
    println!("  CTCC m2m_ec:     {base}/m2m_ec        5G CMP: {base}");
    println!("  admin:           {base}/_sim/health    docs: {base}/_sim/docs");
    for a in world.accounts() {
        let creds = serde_json::to_string(&a.credentials).unwrap_or_default();
        println!("  account {} ({}): {}", a.id, a.carrier, creds);
    }
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
