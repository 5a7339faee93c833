//! Worlds on demand: the registry behind `/_sim/worlds` and the dispatch
//! of `/w/{id}/...` to a world's own application. Each world is a whole
//! [`AppContext`] (world, clock, journal, control plane with faults, rate
//! limits and request log, webhooks) with its own router, so nothing of a
//! world is shared with another or with the root world at `/`; a request of
//! one world takes no lock of another. A world unused for its idle TTL is
//! deleted by the ticker; deleting drops the last reference to its state,
//! which stops its delivery tasks (they end when the journal closes), and
//! the ticker then hands the freed pages back to the system
//! ([`Worlds::release_freed_memory`]).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use dashmap::DashMap;
use serde_json::{json, Value};
use tower::ServiceExt;

use super::{app, AppContext, Settings};
use crate::control::worlds::{NewWorld, WorldHost};
use crate::control::{self, ApiError};
use crate::world::World;

/// One world on demand.
struct Entry {
    ctx: AppContext,
    router: Router,
    created: jiff::Timestamp,
    /// Milliseconds since the registry started, at the last request.
    last_used: AtomicU64,
    ttl: Option<Duration>,
}

/// The registry of worlds.
pub struct Worlds {
    entries: DashMap<String, Arc<Entry>>,
    next: AtomicU64,
    settings: Arc<Settings>,
    epoch: Instant,
    /// A world was deleted since the freed memory was last released.
    freed: AtomicBool,
}

impl Worlds {
    pub fn new(settings: Arc<Settings>) -> Arc<Worlds> {
        Arc::new(Worlds {
            entries: DashMap::new(),
            next: AtomicU64::new(1),
            settings,
            epoch: Instant::now(),
            freed: AtomicBool::new(false),
        })
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// The application context of world `id` (its world, clock and control
    /// plane), for an in-process handle such as `Simulator::shared()`.
    pub fn context_of(&self, id: &str) -> Option<AppContext> {
        self.entries.get(id).map(|e| e.ctx.clone())
    }

    fn get(&self, id: &str) -> Option<Arc<Entry>> {
        let e = self.entries.get(id)?.clone();
        e.last_used.store(self.now_ms(), Ordering::Relaxed);
        Some(e)
    }

    /// The worlds whose clock runs at a speed (the ticker's, every 200 ms):
    /// filtered while iterating, so frozen worlds cost no clone.
    pub fn running(&self) -> Vec<Arc<World>> {
        self.entries
            .iter()
            .filter(|e| e.ctx.world.clock.speed().is_some())
            .map(|e| e.ctx.world.clone())
            .collect()
    }

    /// Deletes the worlds idle longer than their TTL; how many.
    pub fn reap(&self) -> usize {
        let now = self.now_ms();
        let before = self.entries.len();
        self.entries.retain(|_, e| match e.ttl {
            Some(ttl) => {
                now.saturating_sub(e.last_used.load(Ordering::Relaxed)) < ttl.as_millis() as u64
            }
            None => true,
        });
        let gone = before.saturating_sub(self.entries.len());
        if gone > 0 {
            self.freed.store(true, Ordering::Release);
            tracing::info!("worlds: {gone} idle world(s) deleted");
        }
        gone
    }

    /// Whether a world was deleted since the last call (the ticker then
    /// calls [`release_freed_memory`] off the async threads).
    pub fn take_freed(&self) -> bool {
        self.freed.swap(false, Ordering::AcqRel)
    }

    fn view(&self, id: &str, e: &Entry) -> Value {
        let w = &e.ctx.world;
        let idle = self
            .now_ms()
            .saturating_sub(e.last_used.load(Ordering::Relaxed));
        json!({
            "id": id,
            "created": crate::clock::rfc3339(e.created),
            "idle_seconds": idle / 1000,
            "ttl_seconds": e.ttl.map(|t| t.as_secs()),
            "now": crate::clock::rfc3339(w.now()),
            "cards": w.store.cards.len(),
            "accounts": w.store.accounts.len(),
        })
    }
}

impl WorldHost for Worlds {
    fn create(&self, new: NewWorld) -> Result<String, ApiError> {
        let cap = self.settings.max_worlds;
        if self.entries.len() >= cap {
            return Err(ApiError(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "the server holds its cap of {cap} worlds: delete some (DELETE /_sim/worlds/{{id}}) or start it with a higher --max-worlds"
                ),
            ));
        }
        let id = format!("w{}", self.next.fetch_add(1, Ordering::Relaxed));
        let world = World::new(new.fixture);
        let outbound = crate::outbound::Outbound::start(&world.journal);
        crate::sms::notices::start(&world);
        let ctx = AppContext {
            plane: control::Plane::new(world.clone(), outbound),
            world,
            settings: self.settings.clone(),
            ready: Arc::new(AtomicBool::new(true)),
            replay: None,
            worlds: None,
        };
        // A world's snapshot files live where the server's do.
        let _ = ctx.plane.snapshot_dir.set(
            self.settings
                .snapshot_dir
                .clone()
                .unwrap_or_else(control::snapshot::default_dir),
        );
        let router = app(&ctx);
        let entry = Entry {
            ctx,
            router,
            created: jiff::Timestamp::now(),
            last_used: AtomicU64::new(self.now_ms()),
            ttl: new.ttl.or(self.settings.world_ttl),
        };
        self.entries.insert(id.clone(), Arc::new(entry));
        Ok(id)
    }

    fn list(&self) -> Vec<Value> {
        let mut v: Vec<(u64, Value)> = self
            .entries
            .iter()
            .map(|e| {
                let n = e.key()[1..].parse().unwrap_or(u64::MAX);
                (n, self.view(e.key(), e.value()))
            })
            .collect();
        v.sort_by_key(|(n, _)| *n);
        v.into_iter().map(|(_, v)| v).collect()
    }

    fn describe(&self, id: &str) -> Option<Value> {
        let e = self.entries.get(id)?;
        Some(self.view(id, e.value()))
    }

    fn delete(&self, id: &str) -> bool {
        let gone = self.entries.remove(id).is_some();
        if gone {
            self.freed.store(true, Ordering::Release);
        }
        gone
    }
}

impl crate::devices::WorldDirectory for Worlds {
    fn world(&self, id: &str) -> Option<(Arc<World>, Arc<control::Plane>)> {
        self.get(id)
            .map(|e| (e.ctx.world.clone(), e.ctx.plane.clone()))
    }

    fn holds(&self, id: &str, world: &Arc<World>) -> bool {
        self.entries
            .get(id)
            .is_some_and(|e| Arc::ptr_eq(&e.ctx.world, world))
    }
}

/// Hands the memory of deleted worlds back to the system. glibc's malloc
/// keeps freed chunks in its arenas for reuse and gives back only the top
/// of a heap by itself, so after a world (its cards, journal and channels:
/// megabytes) is dropped the process's RSS would stay at its peak;
/// `malloc_trim` returns every wholly free page. The ticker calls this at
/// most five times a second and only after deletions, because a trim walks
/// every arena.
pub fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of the allocator's own
    // arenas; no live allocation is touched.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The outermost layer of the root application: `/w/{id}/rest` goes to
/// world `id`'s own application as `/rest`; anything else to the root.
pub async fn dispatch(State(worlds): State<Arc<Worlds>>, req: Request, next: Next) -> Response {
    let Some(rest) = req.uri().path().strip_prefix("/w/") else {
        return next.run(req).await;
    };
    let (id, tail) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let Some(entry) = worlds.get(id) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"error": format!("no world '{id}' (POST /_sim/worlds creates one)")})),
        )
            .into_response();
    };
    let target = match req.uri().query() {
        Some(q) => format!("{tail}?{q}"),
        None => tail.to_string(),
    };
    let Ok(uri) = target.parse::<Uri>() else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "malformed path"})),
        )
            .into_response();
    };
    let (mut parts, body) = req.into_parts();
    parts.uri = uri;
    let req = Request::from_parts(parts, Body::new(body));
    match entry.router.clone().oneshot(req).await {
        Ok(resp) => resp,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::default_fixture;

    fn registry(cap: usize) -> Arc<Worlds> {
        Worlds::new(Arc::new(Settings {
            max_worlds: cap,
            ..Default::default()
        }))
    }

    #[tokio::test]
    async fn the_cap_refuses_with_429_and_deleting_makes_room() {
        let w = registry(2);
        let new = || NewWorld {
            fixture: default_fixture(),
            ttl: None,
        };
        let a = w.create(new()).ok().unwrap();
        let _b = w.create(new()).ok().unwrap();
        let refused = w.create(new()).err().unwrap();
        assert_eq!(refused.0, StatusCode::TOO_MANY_REQUESTS);
        assert!(w.delete(&a));
        assert!(!w.delete(&a));
        assert!(w.create(new()).is_ok());
        assert_eq!(w.list().len(), 2);
    }

    #[tokio::test]
    async fn an_idle_world_is_reaped_after_its_ttl() {
        let w = registry(10);
        let id = w
            .create(NewWorld {
                fixture: default_fixture(),
                ttl: Some(Duration::from_millis(1)),
            })
            .ok()
            .unwrap();
        let kept = w
            .create(NewWorld {
                fixture: default_fixture(),
                ttl: None,
            })
            .ok()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(w.reap(), 1);
        assert!(w.describe(&id).is_none());
        assert!(w.describe(&kept).is_some());
    }
}
