//! Snapshots of the whole world — accounts, plans, pools, cards, the clock,
//! the event journal, the usage traces and the request journal — taken and
//! restored under the world's exclusive gate, kept in memory by name,
//! exported/imported as JSON, and saved to files atomically: the JSON goes
//! to a temporary file in the same directory, is fsynced, renamed over the
//! target and the directory fsynced, so a crash mid-save (even `kill -9`)
//! leaves the previous file intact. Files live in one directory
//! ([`confine`]); temporary files a killed save left there are removed when
//! the next server starts ([`remove_orphans`]).
//!
//! A file is JSON (readable, the format of `/_sim/export`) unless its name
//! ends in `.bin`, `.snap` or `.zst`: then it is the compact binary form,
//! [`BINARY_MAGIC`] followed by the same snapshot as MessagePack (fields by
//! name, so it reads back through the same serde types, checks included)
//! compressed with zstd. Loading tells the two apart by the magic.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::requests::{RequestLog, RequestRecord};
use crate::domain::{Account, Card, Event, Plan, Pool};
use crate::engine::Trace;
use crate::world::World;

/// Format version written in every snapshot.
pub const FORMAT: u32 = 1;

/// The first bytes of a binary snapshot file.
pub const BINARY_MAGIC: &[u8; 8] = b"CSIMSNP1";

/// zstd level of binary snapshots: fast, and still about ten times smaller
/// than the JSON.
const ZSTD_LEVEL: i32 = 3;

/// Whether a snapshot file name asks for the binary form.
pub fn binary_name(path: &Path) -> bool {
    matches!(
        path.extension().and_then(|e| e.to_str()),
        Some("bin" | "snap" | "zst")
    )
}

/// The binary form of a snapshot (see the module doc).
pub fn to_binary(s: &WorldSnapshot) -> std::io::Result<Vec<u8>> {
    let mut out = BINARY_MAGIC.to_vec();
    let mut enc = zstd::stream::Encoder::new(&mut out, ZSTD_LEVEL)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
    if threads > 1 {
        enc.multithread(threads)?;
    }
    {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, &mut enc);
        rmp_serde::encode::write_named(&mut w, s).map_err(std::io::Error::other)?;
        w.flush()?;
    }
    enc.finish()?;
    Ok(out)
}

/// Reads the binary form (after the magic).
fn from_binary(bytes: &[u8]) -> Result<WorldSnapshot, String> {
    let dec = zstd::stream::Decoder::new(bytes).map_err(|e| format!("bad snapshot: {e}"))?;
    let s: WorldSnapshot = rmp_serde::from_read(std::io::BufReader::with_capacity(1 << 20, dec))
        .map_err(|e| format!("bad snapshot: {e}"))?;
    check(&s)?;
    Ok(s)
}

/// Test hook: when set to a file path, a save writes half of the temporary
/// file, creates that file as a marker and stalls (for the kill -9 test).
pub const STALL_ENV: &str = "CARRIER_SIM_TEST_STALL_SAVE";

/// Named in-memory snapshots kept at most (each holds a whole world).
pub const MAX_NAMED: usize = 64;

/// The largest `/_sim/import` body: a 30-day world of the default fleet
/// exports a few MiB; a 100,000-card fleet tens of MiB.
pub const IMPORT_BODY_LIMIT: usize = 256 * 1024 * 1024;

/// `<temp dir>/carrier-sim-snapshots`: the snapshot directory when none is
/// configured.
pub fn default_dir() -> PathBuf {
    std::env::temp_dir().join("carrier-sim-snapshots")
}

/// The file a client-given snapshot path names inside `dir`: a relative
/// path of plain names is taken inside it; an absolute path must already
/// lie inside it. `..`, other roots and anything outside are refused.
pub fn confine(dir: &Path, given: &str) -> Result<PathBuf, String> {
    let p = Path::new(given);
    let inside = if p.is_absolute() {
        match p.strip_prefix(dir) {
            Ok(rest) => rest.to_path_buf(),
            Err(_) => {
                return Err(format!(
                    "{given}: snapshot files are kept in {} only (give a file name)",
                    dir.display()
                ))
            }
        }
    } else {
        p.to_path_buf()
    };
    let plain = !inside.as_os_str().is_empty()
        && inside
            .components()
            .all(|c| matches!(c, Component::Normal(_)));
    if !plain {
        return Err(format!(
            "{given}: a snapshot path is a file name inside {} (no '..', no other directory)",
            dir.display()
        ));
    }
    Ok(dir.join(inside))
}

/// The temporary-file name [`write_atomic`] uses: `.{name}.tmp-{pid}-{n}`.
fn temp_owner(file_name: &str) -> Option<u32> {
    let rest = file_name.strip_prefix('.')?;
    let (_, tail) = rest.rsplit_once(".tmp-")?;
    let (pid, n) = tail.split_once('-')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

/// Whether a process with this id still runs (where the OS tells us).
fn alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc = Path::new("/proc");
    proc.is_dir() && proc.join(pid.to_string()).exists()
}

/// Removes the temporary files of saves whose process is gone (a `kill -9`
/// mid-save); returns how many. A missing directory is no error.
pub fn remove_orphans(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = temp_owner(&name) else {
            continue;
        };
        if !alive(pid) && std::fs::remove_file(e.path()).is_ok() {
            tracing::info!("removed {} left by an interrupted save", e.path().display());
            removed += 1;
        }
    }
    removed
}

/// Everything needed to bring a world back exactly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorldSnapshot {
    pub format: u32,
    /// Simulated now.
    pub now: Timestamp,
    pub accounts: Vec<Account>,
    pub plans: Vec<Plan>,
    pub pools: Vec<Pool>,
    /// Cards in ICCID order.
    pub cards: Vec<Card>,
    /// The event journal, oldest first.
    pub journal: Vec<Event>,
    pub traces: Vec<Trace>,
    /// The carrier-API request journal, oldest first.
    #[serde(default)]
    pub requests: Vec<RequestRecord>,
}

/// Takes a snapshot (the world is held still meanwhile).
pub fn take(world: &World, requests: &RequestLog) -> WorldSnapshot {
    world.catch_up();
    let _g = world.exclusive();
    let mut accounts: Vec<Account> = world.store.accounts.iter().map(|a| a.clone()).collect();
    accounts.sort_by(|a, b| a.id.cmp(&b.id));
    let mut plans: Vec<Plan> = world.store.plans.iter().map(|p| p.clone()).collect();
    plans.sort_by(|a, b| a.id.cmp(&b.id));
    let mut pools: Vec<Pool> = world.store.pools.iter().map(|p| p.clone()).collect();
    pools.sort_by(|a, b| a.id.cmp(&b.id));
    let mut cards = Vec::with_capacity(world.store.card_count());
    world.store.for_each_iccid(|iccid| {
        if let Some(c) = world.store.cards.get(iccid) {
            cards.push((**c).clone());
        }
        true
    });
    WorldSnapshot {
        format: FORMAT,
        now: world.now(),
        accounts,
        plans,
        pools,
        cards,
        journal: world.journal.all(),
        traces: world.engine.traces.list(),
        requests: requests.all(),
    }
}

/// Names the first inconsistency (unknown account, plan or pool, duplicate
/// ICCID or number) so a bad import changes nothing.
pub fn check(s: &WorldSnapshot) -> Result<(), String> {
    if s.format != FORMAT {
        return Err(format!(
            "format {} is not supported (expected {FORMAT})",
            s.format
        ));
    }
    let accounts: std::collections::HashSet<&str> =
        s.accounts.iter().map(|a| a.id.as_str()).collect();
    let plans: std::collections::HashSet<&str> = s.plans.iter().map(|p| p.id.as_str()).collect();
    let pools: std::collections::HashSet<&str> = s.pools.iter().map(|p| p.id.as_str()).collect();
    let mut seen = std::collections::HashSet::new();
    for (i, c) in s.cards.iter().enumerate() {
        if !accounts.contains(c.account.as_str()) {
            return Err(format!(
                "cards[{i}] ({}): unknown account '{}'",
                c.iccid, c.account
            ));
        }
        if !plans.contains(c.plan.as_str()) {
            return Err(format!(
                "cards[{i}] ({}): unknown plan '{}'",
                c.iccid, c.plan
            ));
        }
        if let Some(p) = &c.pool {
            if !pools.contains(p.as_str()) {
                return Err(format!("cards[{i}] ({}): unknown pool '{p}'", c.iccid));
            }
        }
        for n in [&c.iccid, &c.msisdn, &c.imsi] {
            if !seen.insert(n.as_str()) {
                return Err(format!("cards[{i}] ({}): duplicate number {n}", c.iccid));
            }
        }
    }
    Ok(())
}

/// Restores a checked snapshot (clock frozen at the snapshot's now).
pub fn restore(world: &World, requests: &RequestLog, s: &WorldSnapshot) -> Result<(), String> {
    restore_owned(world, requests, s.clone())
}

/// [`restore`] from a snapshot given away (a file's: no copy of its cards).
pub fn restore_owned(world: &World, requests: &RequestLog, s: WorldSnapshot) -> Result<(), String> {
    check(&s)?;
    let _g = world.exclusive();
    world.clock.freeze();
    world.store.clear();
    for a in &s.accounts {
        world.store.accounts.insert(a.id.clone(), a.clone());
    }
    for p in &s.plans {
        world.store.plans.insert(p.id.clone(), p.clone());
    }
    for p in &s.pools {
        world.store.pools.insert(p.id.clone(), p.clone());
    }
    world.store.insert_cards(s.cards);
    world.journal.restore(s.journal);
    for t in world.engine.traces.list() {
        world.engine.traces.remove(&t.id);
    }
    for t in &s.traces {
        world.engine.traces.upsert(t.clone());
    }
    world.set_now_unchecked(s.now);
    requests.restore(s.requests);
    Ok(())
}

/// Writes a snapshot to `path` atomically, binary or JSON by the name
/// ([`binary_name`]); returns the bytes written.
pub fn save_file(s: &WorldSnapshot, path: &Path) -> std::io::Result<u64> {
    let bytes = if binary_name(path) {
        to_binary(s)?
    } else {
        serde_json::to_vec(s).map_err(std::io::Error::other)?
    };
    write_atomic(path, &bytes)?;
    Ok(bytes.len() as u64)
}

/// temp file in the target's directory → fsync → rename → fsync directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let name = path
        .file_name()
        .ok_or_else(|| std::io::Error::other("the path names no file"))?
        .to_string_lossy()
        .into_owned();
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{name}.tmp-{}-{n}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        if let Ok(marker) = std::env::var(STALL_ENV) {
            f.write_all(&bytes[..bytes.len() / 2])?;
            f.sync_all()?;
            std::fs::write(&marker, tmp.to_string_lossy().as_bytes())?;
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, path)?;
        std::fs::File::open(&dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Reads and checks a snapshot file, binary or JSON (by its first bytes).
pub fn load_file(path: &Path) -> Result<WorldSnapshot, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let s = match bytes.strip_prefix(BINARY_MAGIC.as_slice()) {
        Some(rest) => from_binary(rest),
        None => parse(&bytes),
    };
    s.map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses snapshot JSON, naming the field at fault.
pub fn parse(bytes: &[u8]) -> Result<WorldSnapshot, String> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let s: WorldSnapshot = serde_path_to_error::deserialize(de).map_err(|e| {
        let p = e.path().to_string();
        if p == "." || p.is_empty() {
            format!("bad snapshot: {}", e.inner())
        } else {
            format!("bad snapshot at {p}: {}", e.inner())
        }
    })?;
    check(&s)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_and_json_files_read_back_the_same_world() {
        let world = World::new(crate::fixture::default_fixture());
        world
            .advance(jiff::SignedDuration::from_hours(24 * 40))
            .unwrap();
        let requests = RequestLog::default();
        let snap = take(&world, &requests);
        assert!(!snap.journal.is_empty() && !snap.cards.is_empty());
        let dir = tempfile::tempdir().unwrap();
        let (bin, json) = (dir.path().join("w.bin"), dir.path().join("w.json"));
        let bin_bytes = save_file(&snap, &bin).unwrap();
        let json_bytes = save_file(&snap, &json).unwrap();
        assert!(std::fs::read(&bin).unwrap().starts_with(BINARY_MAGIC));
        assert!(std::fs::read(&json).unwrap().starts_with(b"{"));
        assert!(bin_bytes * 4 < json_bytes, "{bin_bytes} vs {json_bytes}");
        assert_eq!(load_file(&bin).unwrap(), snap);
        assert_eq!(load_file(&json).unwrap(), snap);
        // Restored into another world, it is the same world again.
        let other = World::new(crate::fixture::default_fixture());
        restore_owned(&other, &requests, load_file(&bin).unwrap()).unwrap();
        assert_eq!(take(&other, &requests), snap);
        assert!(other.store.facet_mismatches().is_empty());
        // A damaged binary file is refused with a message, not a panic.
        let mut bytes = std::fs::read(&bin).unwrap();
        bytes.truncate(bytes.len() / 2);
        std::fs::write(&bin, &bytes).unwrap();
        assert!(load_file(&bin).unwrap_err().contains("bad snapshot"));
    }

    #[test]
    fn atomic_write_replaces_whole_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn paths_stay_in_the_snapshot_directory() {
        let dir = Path::new("/srv/snaps");
        assert_eq!(confine(dir, "w.json").unwrap(), dir.join("w.json"));
        assert_eq!(confine(dir, "a/w.json").unwrap(), dir.join("a/w.json"));
        assert_eq!(
            confine(dir, "/srv/snaps/w.json").unwrap(),
            dir.join("w.json")
        );
        for bad in [
            "/etc/passwd",
            "../w.json",
            "a/../../w.json",
            "/srv/snaps/../x",
            "",
            "/srv/snaps",
        ] {
            assert!(confine(dir, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn orphans_of_dead_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        // pid 0 is never a user process; our own temp file stays.
        let dead = dir.path().join(".w.json.tmp-0-3");
        let ours = dir
            .path()
            .join(format!(".w.json.tmp-{}-1", std::process::id()));
        let other = dir.path().join("w.json");
        for f in [&dead, &ours, &other] {
            std::fs::write(f, b"x").unwrap();
        }
        assert_eq!(remove_orphans(dir.path()), 1);
        assert!(!dead.exists() && ours.exists() && other.exists());
    }
}
