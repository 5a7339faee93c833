//! Command-line admin client: `carrier-sim clock advance 31d`,
//! `carrier-sim card show ICCID`, ... against a running instance over the
//! `/_sim` admin API, so QA can script it from a shell. Answers are printed
//! as pretty JSON on stdout; an error answer prints `{"error": ...}` on
//! stderr and exits with status 1 (2 when the server cannot be reached).
//! `carrier-sim world create|list|show|delete` manages the worlds on demand
//! of the server at `--url`; any admin command acts on one world when
//! `--url` is that world's base URL (`http://HOST:PORT/w/{id}`).

use std::process::ExitCode;

use clap::{Args, Subcommand};
use serde_json::{json, Value};

/// Where the instance is.
#[derive(Args, Clone, Debug)]
pub struct Target {
    /// Base URL of the running simulator.
    #[arg(
        long,
        env = "CARRIER_SIM_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub url: String,
    /// Bearer token of the admin plane (when the instance requires one).
    #[arg(
        long = "admin-token",
        alias = "token",
        env = "CARRIER_SIM_ADMIN_TOKEN",
        hide_env_values = true,
        global = true
    )]
    pub token: Option<String>,
}

#[derive(Subcommand, Clone, Debug)]
pub enum ClockCmd {
    /// Print the simulated clock.
    Show,
    /// Move forward by a duration (`31d`, `1h30m`).
    Advance {
        /// How far: `31d`, `1h30m`, `2 days 3 hours` (jiff's friendly format).
        #[arg(allow_hyphen_values = true)]
        duration: String,
    },
    /// Move forward to an RFC 3339 time.
    Set {
        /// RFC 3339 time, e.g. `2026-12-01T00:00:00+08:00`.
        time: String,
    },
    /// Stop the clock.
    Freeze,
    /// Run at N simulated seconds per real second.
    Speed {
        /// Simulated seconds per real second (e.g. 3600 = an hour a second).
        speed: f64,
    },
}

#[derive(Subcommand, Clone, Debug)]
pub enum CardCmd {
    /// Show one card (ICCID, MSISDN or IMSI).
    Show {
        /// ICCID, MSISDN or IMSI.
        id: String,
    },
    /// List cards (`--carrier ctcc --tag normal`).
    List {
        /// Only this carrier's cards: `cmcc`, `cucc` or `ctcc`.
        #[arg(long)]
        carrier: Option<String>,
        /// Only cards with this fixture tag (e.g. `near-quota`).
        #[arg(long)]
        tag: Option<String>,
        /// Only cards in this lifecycle state (e.g. `suspended`).
        #[arg(long)]
        state: Option<String>,
        /// Only cards of this account id.
        #[arg(long)]
        account: Option<String>,
        /// Cards per page.
        #[arg(long, default_value_t = 50)]
        page_size: usize,
    },
    /// Patch a card with a JSON object (`'{"state":"suspended"}'`).
    Patch {
        /// ICCID, MSISDN or IMSI.
        id: String,
        /// JSON object of the fields to change.
        json: String,
    },
    /// Run an action: `stop`, `resume`, `top_up amount_fen=1000`, `use_data bytes=500MB`.
    Action {
        /// ICCID, MSISDN or IMSI.
        id: String,
        /// `stop`, `resume`, `top_up`, `use_data`, ... (see docs/admin-api.md).
        action: String,
        /// `key=value` parameters (numbers are sent as numbers).
        params: Vec<String>,
    },
}

#[derive(Subcommand, Clone, Debug)]
pub enum SnapshotCmd {
    /// Keep a named snapshot in memory.
    Take {
        /// Snapshot name.
        name: String,
    },
    /// Restore a named snapshot.
    Restore {
        /// Snapshot name.
        name: String,
    },
    /// List named snapshots.
    List,
    /// Save the world to a file in the server's snapshot directory, atomically.
    Save {
        /// File name inside the server's --snapshot-dir.
        path: String,
    },
    /// Load the world from a file in the server's snapshot directory.
    Load {
        /// File name inside the server's --snapshot-dir.
        path: String,
    },
}

#[derive(Subcommand, Clone, Debug)]
pub enum FaultCmd {
    /// Add a fault rule (`'{"carrier":"ctcc","kind":"carrier_error","error":"too_frequent"}'`).
    Add {
        /// The rule as a JSON object (see docs/admin-api.md, faults).
        json: String,
    },
    /// List fault rules.
    List,
    /// Remove one rule, or every rule when no id is given.
    Clear {
        /// Rule id (every rule when absent).
        id: Option<String>,
    },
}

#[derive(Subcommand, Clone, Debug)]
pub enum WorldCmd {
    /// Create a world (default fixture unless --fixture or --builtin); prints
    /// its id and base URLs.
    Create {
        /// A fixture file (TOML or JSON), sent as the world's fixture.
        #[arg(long, conflicts_with = "builtin")]
        fixture: Option<std::path::PathBuf>,
        /// A built-in fixture by name (`default`).
        #[arg(long)]
        builtin: Option<String>,
        /// Seed of the world's random draws.
        #[arg(long)]
        seed: Option<u64>,
        /// Simulated start time, RFC 3339 (e.g. `2026-03-01T00:00:00+08:00`).
        #[arg(long)]
        start: Option<String>,
        /// Idle time after which the server deletes the world (`30m`, `2h`).
        #[arg(long)]
        ttl: Option<String>,
    },
    /// List the worlds.
    List,
    /// Show one world.
    Show {
        /// World id (`w1`).
        id: String,
    },
    /// Delete a world.
    Delete {
        /// World id (`w1`).
        id: String,
    },
}

/// The admin subcommands.
#[derive(Subcommand, Clone, Debug)]
pub enum AdminCmd {
    /// Read or move the simulated clock.
    #[command(subcommand)]
    Clock(ClockCmd),
    /// Show, list, patch cards or run card actions.
    #[command(subcommand)]
    Card(CardCmd),
    /// Back to the fixture, or to a named snapshot.
    Reset {
        /// Restore this named snapshot instead of the fixture.
        #[arg(long)]
        snapshot: Option<String>,
    },
    /// Named snapshots and snapshot files.
    #[command(subcommand)]
    Snapshot(SnapshotCmd),
    /// Fault injection.
    #[command(subcommand)]
    Fault(FaultCmd),
    /// Worlds on demand: create, list, show, delete (`world create --seed 3`).
    #[command(subcommand)]
    World(WorldCmd),
    /// The carrier-API request journal (`--carrier cmcc --limit 20`).
    Requests {
        /// Only this carrier's requests: `cmcc`, `cucc` or `ctcc`.
        #[arg(long)]
        carrier: Option<String>,
        /// Only requests about this card (ICCID, MSISDN or IMSI).
        #[arg(long)]
        card: Option<String>,
        /// At most this many records (oldest first).
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
    /// Credentials of the loaded fixture.
    Credentials,
    /// Exit 0 when the instance is ready (`GET /_sim/ready`; needs no token):
    /// a container health check or a wait-for in a script.
    Ready,
}

fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))
}

fn query(pairs: &[(&str, Option<String>)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if let Some(v) = v {
            s.append_pair(k, v);
        }
    }
    let q = s.finish();
    if q.is_empty() {
        q
    } else {
        format!("?{q}")
    }
}

/// The request a command makes: method, path, body.
pub fn request_of(cmd: &AdminCmd) -> Result<AdminRequest, String> {
    use AdminCmd::*;
    Ok(match cmd {
        Clock(c) => clock_request(c),
        Card(c) => card_request(c)?,
        Reset { snapshot } => (
            "POST",
            "/_sim/reset".into(),
            Some(match snapshot {
                Some(s) => json!({"snapshot": s}),
                None => json!({}),
            }),
        ),
        Snapshot(c) => snapshot_request(c),
        Fault(c) => fault_request(c)?,
        World(c) => world_request(c)?,
        Requests {
            carrier,
            card,
            limit,
        } => (
            "GET",
            format!(
                "/_sim/requests{}",
                query(&[
                    ("carrier", carrier.clone()),
                    ("card", card.clone()),
                    ("limit", Some(limit.to_string()))
                ])
            ),
            None,
        ),
        Credentials => ("GET", "/_sim/credentials".into(), None),
        Ready => ("GET", "/_sim/ready".into(), None),
    })
}

/// An admin call: method, path with query, JSON body.
pub type AdminRequest = (&'static str, String, Option<Value>);

/// A path segment, percent-encoded.
fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn clock_request(cmd: &ClockCmd) -> AdminRequest {
    let change = |body: Value| ("POST", "/_sim/clock".into(), Some(body));
    match cmd {
        ClockCmd::Show => ("GET", "/_sim/clock".into(), None),
        ClockCmd::Advance { duration } => change(json!({"advance": duration})),
        ClockCmd::Set { time } => change(json!({"set": time})),
        ClockCmd::Freeze => change(json!({"freeze": true})),
        ClockCmd::Speed { speed } => change(json!({"speed": speed})),
    }
}

fn card_request(cmd: &CardCmd) -> Result<AdminRequest, String> {
    Ok(match cmd {
        CardCmd::Show { id } => ("GET", format!("/_sim/cards/{}", enc(id)), None),
        CardCmd::List {
            carrier,
            tag,
            state,
            account,
            page_size,
        } => (
            "GET",
            format!(
                "/_sim/cards{}",
                query(&[
                    ("carrier", carrier.clone()),
                    ("tag", tag.clone()),
                    ("state", state.clone()),
                    ("account", account.clone()),
                    ("page_size", Some(page_size.to_string())),
                ])
            ),
            None,
        ),
        CardCmd::Patch { id, json } => (
            "PATCH",
            format!("/_sim/cards/{}", enc(id)),
            Some(parse_json(json)?),
        ),
        CardCmd::Action { id, action, params } => {
            let mut body = json!({"action": action});
            for p in params {
                let (k, v) = p
                    .split_once('=')
                    .ok_or_else(|| format!("parameter '{p}' is not key=value"))?;
                // Numbers go as numbers (amount_fen=1000), the rest as text.
                let v = v
                    .parse::<i64>()
                    .map(Value::from)
                    .unwrap_or_else(|_| Value::from(v));
                body[k] = v;
            }
            (
                "POST",
                format!("/_sim/cards/{}/actions", enc(id)),
                Some(body),
            )
        }
    })
}

fn snapshot_request(cmd: &SnapshotCmd) -> AdminRequest {
    match cmd {
        SnapshotCmd::Take { name } => (
            "POST",
            "/_sim/snapshots".into(),
            Some(json!({"name": name})),
        ),
        SnapshotCmd::Restore { name } => (
            "POST",
            format!("/_sim/snapshots/{}/restore", enc(name)),
            None,
        ),
        SnapshotCmd::List => ("GET", "/_sim/snapshots".into(), None),
        SnapshotCmd::Save { path } => (
            "POST",
            "/_sim/snapshot/save".into(),
            Some(json!({"path": path})),
        ),
        SnapshotCmd::Load { path } => (
            "POST",
            "/_sim/snapshot/load".into(),
            Some(json!({"path": path})),
        ),
    }
}

fn fault_request(cmd: &FaultCmd) -> Result<AdminRequest, String> {
    Ok(match cmd {
        FaultCmd::Add { json } => ("POST", "/_sim/faults".into(), Some(parse_json(json)?)),
        FaultCmd::List => ("GET", "/_sim/faults".into(), None),
        FaultCmd::Clear { id: None } => ("DELETE", "/_sim/faults".into(), None),
        FaultCmd::Clear { id: Some(id) } => ("DELETE", format!("/_sim/faults/{}", enc(id)), None),
    })
}

fn world_request(cmd: &WorldCmd) -> Result<AdminRequest, String> {
    Ok(match cmd {
        WorldCmd::Create {
            fixture,
            builtin,
            seed,
            start,
            ttl,
        } => {
            let mut body = serde_json::Map::new();
            if let Some(path) = fixture {
                // The server parses it and reports its problems by line.
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("--fixture {}: {e}", path.display()))?;
                body.insert("fixture".into(), Value::from(text));
            }
            let optional = [
                ("builtin", builtin.clone().map(Value::from)),
                ("seed", seed.map(Value::from)),
                ("start", start.clone().map(Value::from)),
                ("ttl", ttl.clone().map(Value::from)),
            ];
            for (key, value) in optional {
                if let Some(v) = value {
                    body.insert(key.into(), v);
                }
            }
            ("POST", "/_sim/worlds".into(), Some(Value::Object(body)))
        }
        WorldCmd::List => ("GET", "/_sim/worlds".into(), None),
        WorldCmd::Show { id } => ("GET", format!("/_sim/worlds/{}", enc(id)), None),
        WorldCmd::Delete { id } => ("DELETE", format!("/_sim/worlds/{}", enc(id)), None),
    })
}

/// Runs one admin command against `target`.
pub fn run(target: &Target, cmd: &AdminCmd) -> ExitCode {
    let (method, path, body) = match request_of(cmd) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start: {e}");
            return ExitCode::from(2);
        }
    };
    runtime.block_on(async {
        let url = format!("{}{path}", target.url.trim_end_matches('/'));
        let client = reqwest::Client::new();
        let mut rb = client.request(method.parse().expect("valid method"), &url);
        if let Some(t) = &target.token {
            rb = rb.bearer_auth(t);
        }
        // Body-less POSTs pass the admin plane's cross-site guard with it.
        rb = rb.header(super::guard::CLIENT_HEADER, "carrier-sim-cli");
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = match rb.send().await {
            Ok(r) => r,
            Err(e) => {
                eprintln!("{url}: {e}");
                return ExitCode::from(2);
            }
        };
        let ok = resp.status().is_success();
        let text = resp.text().await.unwrap_or_default();
        let pretty = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or(text);
        if ok {
            println!("{pretty}");
            ExitCode::SUCCESS
        } else {
            eprintln!("{pretty}");
            ExitCode::from(1)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_map_to_admin_requests() {
        let (m, p, b) = request_of(&AdminCmd::Clock(ClockCmd::Advance {
            duration: "31d".into(),
        }))
        .unwrap();
        assert_eq!((m, p.as_str()), ("POST", "/_sim/clock"));
        assert_eq!(b.unwrap()["advance"], "31d");
        let (_, _, b) = request_of(&AdminCmd::Card(CardCmd::Action {
            id: "1".into(),
            action: "top_up".into(),
            params: vec!["amount_fen=1000".into()],
        }))
        .unwrap();
        assert_eq!(b.unwrap()["amount_fen"], 1000);
        let (_, p, _) = request_of(&AdminCmd::Card(CardCmd::List {
            carrier: Some("ctcc".into()),
            tag: None,
            state: None,
            account: None,
            page_size: 5,
        }))
        .unwrap();
        assert_eq!(p, "/_sim/cards?carrier=ctcc&page_size=5");
        assert!(request_of(&AdminCmd::Fault(FaultCmd::Add { json: "{".into() })).is_err());
        let (m, p, b) = request_of(&AdminCmd::World(WorldCmd::Create {
            fixture: None,
            builtin: None,
            seed: Some(3),
            start: None,
            ttl: Some("10m".into()),
        }))
        .unwrap();
        assert_eq!((m, p.as_str()), ("POST", "/_sim/worlds"));
        assert_eq!(b.unwrap(), json!({"seed": 3, "ttl": "10m"}));
        let (m, p, _) = request_of(&AdminCmd::World(WorldCmd::Delete { id: "w1".into() })).unwrap();
        assert_eq!((m, p.as_str()), ("DELETE", "/_sim/worlds/w1"));
    }
}
