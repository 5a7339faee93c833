//! The one test harness of the integration tests (`tests/api`):
//!
//! - [`admin`]: the `/_sim` admin plane of a started simulator (JSON calls,
//!   a card by ICCID or by role tag, card actions, the admin token);
//! - a signed client per dialect: [`cmcc`] (v5 token), [`cucc`] (Basic auth
//!   and the CMP gateway's SM3 envelope), [`ctcc`] (DES `passWord`/`sign`
//!   and the 5G `Sign` header);
//! - [`BaseUrl`]: what the clients are pointed at: a [`Simulator`] (its
//!   `uri()`, a shared world's included) or any base URL, such as a world's
//!   `urls.base` from `POST /_sim/worlds`;
//! - [`devices`]: settings that open the modem and SMPP ports, a default
//!   fleet card by tag before the start, the CUCC service-number replies;
//! - below: a small rule-test fixture and a [`World`] built from it, for the
//!   tests that drive the world without HTTP, and the Python venv the
//!   real-client tests share.
#![allow(dead_code)]

pub mod admin;
pub mod cmcc;
pub mod ctcc;
pub mod cucc;
pub mod devices;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use carrier_sim::{fixture, Simulator, World};

/// The base URL every carrier path and `/_sim` hang under.
pub trait BaseUrl {
    fn base_url(&self) -> String;
}

impl BaseUrl for Simulator {
    fn base_url(&self) -> String {
        self.uri()
    }
}

impl BaseUrl for str {
    fn base_url(&self) -> String {
        self.trim_end_matches('/').to_string()
    }
}

impl BaseUrl for String {
    fn base_url(&self) -> String {
        self.as_str().base_url()
    }
}

/// One CMCC account, a 1 GB plan (10 yuan/month, 12 months, 2 fen/MB
/// overage, 120 yuan renewal) in both renewal flavours, and no cards;
/// tests append `[[cards]]` tables.
pub const RULES_BASE: &str = r#"
seed = 1
start = "2026-11-24T10:00:00+08:00"

[[accounts]]
id = "ec"
name = "EC"
carrier = "cmcc"
[accounts.credentials]
appid = "100001"
password = "pw"

[[plans]]
id = "p1g"
name = "1GB"
carrier = "cmcc"
data = "1GB"
monthly_fee_fen = 1000
term_months = 12
overage_fen_per_mb = 2
renewal_fee_fen = 12000
renewal_effect = "this_month"

[[plans]]
id = "p1g-next"
name = "1GB next-month renewal"
carrier = "cmcc"
data = "1GB"
monthly_fee_fen = 1000
term_months = 12
overage_fen_per_mb = 2
renewal_fee_fen = 12000
renewal_effect = "next_month"
"#;

/// A card table with the given ICCID serial and extra TOML lines.
pub fn card(serial: u32, extra: &str) -> String {
    let body = format!("898600{serial:013}");
    let iccid = format!(
        "{body}{}",
        carrier_sim::domain::ids::luhn_digit(&body).unwrap()
    );
    format!(
        "\n[[cards]]\niccid = \"{iccid}\"\nimsi = \"46004{serial:010}\"\nmsisdn = \"1440{serial:09}\"\naccount = \"ec\"\n{extra}\n"
    )
}

/// The ICCID `card(serial, ..)` gets.
pub fn iccid(serial: u32) -> String {
    let body = format!("898600{serial:013}");
    format!(
        "{body}{}",
        carrier_sim::domain::ids::luhn_digit(&body).unwrap()
    )
}

pub fn world(cards: &str) -> Arc<World> {
    let text = format!("{RULES_BASE}{cards}");
    let fx = fixture::load(&text).unwrap_or_else(|p| panic!("fixture: {p:?}"));
    World::new(fx)
}

/// A Python virtual environment under `tmp/name` with `package` installed
/// (once per target dir, for the real-client tests); returns its python.
/// Panics (failing the test) when python3, venv or pip fail.
pub fn python_venv(tmp: &Path, name: &str, package: &str) -> PathBuf {
    let dir = tmp.join(name);
    let python = dir.join("bin/python");
    let ready = dir.join(".installed");
    if !ready.exists() {
        let st = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .expect("python3 is needed for the real-client test");
        assert!(st.success(), "python3 -m venv failed");
        let st = Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", package])
            .status()
            .expect("pip runs");
        assert!(st.success(), "pip install {package} failed");
        std::fs::write(&ready, "").unwrap();
    }
    python
}
