//! `/_sim/pools`: flow pools (shared data) with this cycle's use.

use std::collections::HashMap;

use axum::extract::{Query, State};

use super::{carrier_param, page_of, views, ApiResult, ControlState};

pub async fn pools(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let carrier = carrier_param(&q)?;
    let account = q.get("account");
    let cycle = crate::clock::cycle_of(s.world.now());
    let mut v: Vec<_> = s
        .world
        .store
        .pools
        .iter()
        .filter(|p| carrier.is_none_or(|c| p.carrier == c))
        .filter(|p| account.is_none_or(|a| p.account == a.as_str()))
        .map(|p| p.clone())
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    page_of(v.iter().map(|p| views::pool(p, cycle)).collect(), &q)
}
