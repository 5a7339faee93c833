//! Handles of the embedding API ([`crate::Simulator`]): the clock, cards,
//! faults, the request journal and snapshots, without going through HTTP.
//! They use the same code paths as the `/_sim` admin plane, so an edit made
//! here follows the same rules and records the same events.
//!
//! ```
//! # #[tokio::main(flavor = "multi_thread")]
//! # async fn main() {
//! use carrier_sim::Simulator;
//! let sim = Simulator::start().await;
//! // Every CUCC request answers HTTP 503 twice.
//! sim.faults()
//!     .add(serde_json::json!({"carrier": "cucc", "kind": "http", "status": 503, "count": 2}))
//!     .unwrap();
//! let url = format!("{}/echo/hi", sim.cucc_url());
//! let r = reqwest::get(&url).await.unwrap();
//! assert_eq!(r.status().as_u16(), 503);
//! // The request journal saw it, with the fault that fired.
//! let log = sim.requests().all();
//! assert_eq!(log[0].path, "/rws/api/v1/echo/hi");
//! assert_eq!(log[0].status, 503);
//! assert_eq!(log[0].faults.len(), 1);
//! # }
//! ```

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::Value;

use super::faults::{ActiveFault, FaultSpec};
use super::requests::{RequestFilter, RequestRecord};
use super::{snapshot, Plane};
use crate::domain::{Card, Carrier};
use crate::store::CardRef;
use crate::world::{CardFilter, World};

/// The simulated clock.
pub struct ClockHandle<'a> {
    pub(crate) world: &'a Arc<World>,
}

impl ClockHandle<'_> {
    /// The simulated now.
    pub fn now(&self) -> Timestamp {
        self.world.catch_up();
        self.world.now()
    }

    /// Moves forward by a duration (`"31d"`, `"1h30m"`).
    pub fn advance(&self, d: &str) -> Result<Timestamp, String> {
        let d = crate::clock::parse_duration(d)?;
        self.world.advance(d)
    }

    /// Moves forward to a time (never backwards).
    pub fn set(&self, t: Timestamp) -> Result<Timestamp, String> {
        self.world.advance_to(t)
    }

    /// Stops the clock (the default).
    pub fn freeze(&self) {
        self.world.catch_up();
        self.world.clock.freeze();
    }

    /// Runs the clock at `speed` simulated seconds per real second.
    pub fn run(&self, speed: f64) {
        self.world.catch_up();
        self.world.clock.run(speed);
    }
}

/// Card lookup and edits.
pub struct CardsHandle<'a> {
    pub(crate) world: &'a Arc<World>,
}

impl CardsHandle<'_> {
    /// A card by ICCID, MSISDN or IMSI.
    pub fn get(&self, id: &str) -> Option<Card> {
        let iccid = self.world.resolve(CardRef::Any(id))?;
        self.world.card(&iccid)
    }

    /// The first card of a carrier with a fixture tag (`"normal"`, ...).
    pub fn by_tag(&self, carrier: &str, tag: &str) -> Option<Card> {
        let filter = CardFilter {
            carrier: Some(Carrier::parse(carrier)?),
            tag: Some(tag.to_string()),
            ..Default::default()
        };
        self.world.list_cards(&filter, 1, 1).0.into_iter().next()
    }

    /// Cards matching a filter (all pages).
    pub fn list(&self, filter: &CardFilter) -> Vec<Card> {
        self.world.list_cards(filter, 1, usize::MAX).0
    }

    /// Patches a card exactly like `PATCH /_sim/cards/{id}`.
    pub fn patch(&self, id: &str, patch: Value) -> Result<Card, String> {
        let iccid = super::find(self.world, id).map_err(|e| e.1)?;
        let m = patch
            .as_object()
            .ok_or_else(|| "the patch must be a JSON object".to_string())?;
        let p = super::card_patch::parse_patch(self.world, m).map_err(|e| e.1)?;
        super::card_patch::apply_patch(self.world, &iccid, &p).map_err(|e| e.1)?;
        self.world
            .card(&iccid)
            .ok_or_else(|| "card vanished".into())
    }

    /// Runs an action exactly like `POST /_sim/cards/{id}/actions`
    /// (`{"action": "top_up", "amount_fen": 1000}`).
    pub fn action(&self, id: &str, action: Value) -> Result<Card, String> {
        let iccid = super::find(self.world, id).map_err(|e| e.1)?;
        let m = action
            .as_object()
            .ok_or_else(|| "the action must be a JSON object".to_string())?;
        super::run_action(self.world, &iccid, m).map_err(|e| e.1)?;
        self.world
            .card(&iccid)
            .ok_or_else(|| "card vanished".into())
    }
}

/// Fault injection.
pub struct FaultsHandle<'a> {
    pub(crate) plane: &'a Arc<Plane>,
}

impl FaultsHandle<'_> {
    /// Adds a rule given as JSON (the `/_sim/faults` body); returns its id.
    pub fn add(&self, spec: Value) -> Result<String, String> {
        let spec: FaultSpec =
            serde_json::from_value(spec).map_err(|e| format!("bad fault: {e}"))?;
        self.add_spec(spec)
    }

    /// Adds a typed rule; returns its id.
    pub fn add_spec(&self, spec: FaultSpec) -> Result<String, String> {
        let card = match &spec.card {
            Some(c) => Some(
                self.plane
                    .world
                    .resolve(CardRef::Any(c))
                    .ok_or_else(|| format!("card {c} not found"))?
                    .to_string(),
            ),
            None => None,
        };
        self.plane.faults.add(spec, card)
    }

    pub fn list(&self) -> Vec<ActiveFault> {
        self.plane.faults.list()
    }

    pub fn remove(&self, id: &str) -> bool {
        self.plane.faults.remove(id)
    }

    pub fn clear(&self) {
        self.plane.faults.clear()
    }
}

/// The carrier-API request journal.
pub struct RequestsHandle<'a> {
    pub(crate) plane: &'a Arc<Plane>,
}

impl RequestsHandle<'_> {
    /// Every recorded exchange, oldest first.
    pub fn all(&self) -> Vec<RequestRecord> {
        self.plane.requests.all()
    }

    pub fn query(&self, filter: &RequestFilter) -> Vec<RequestRecord> {
        self.plane.requests.query(filter)
    }

    pub fn clear(&self) {
        self.plane.requests.clear()
    }
}

/// Named snapshots, snapshot files and reset.
pub struct SnapshotsHandle<'a> {
    pub(crate) plane: &'a Arc<Plane>,
}

impl SnapshotsHandle<'_> {
    /// Keeps the current world under a name.
    pub fn take(&self, name: &str) -> Result<(), String> {
        let s = snapshot::take(&self.plane.world, &self.plane.requests);
        self.plane
            .snapshots
            .lock()
            .insert(name.to_string(), Arc::new(s));
        Ok(())
    }

    /// Brings back a named snapshot.
    pub fn restore(&self, name: &str) -> Result<(), String> {
        let s = self
            .plane
            .snapshots
            .lock()
            .get(name)
            .cloned()
            .ok_or_else(|| format!("snapshot {name} not found"))?;
        snapshot::restore(&self.plane.world, &self.plane.requests, &s)
    }

    /// Saves the world to a file atomically.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<u64, String> {
        let s = snapshot::take(&self.plane.world, &self.plane.requests);
        snapshot::save_file(&s, path.as_ref()).map_err(|e| e.to_string())
    }

    /// Loads a saved world.
    pub fn load(&self, path: impl AsRef<std::path::Path>) -> Result<(), String> {
        let s = snapshot::load_file(path.as_ref())?;
        snapshot::restore(&self.plane.world, &self.plane.requests, &s)
    }

    /// Back to the fixture; clears faults and the request journal.
    pub fn reset(&self) {
        self.plane.world.reset();
        self.plane.faults.clear();
        self.plane.fired.clear();
        self.plane.ratelimits.reset();
        self.plane.requests.clear();
    }
}
