//! `/_sim/plans`: the tariff plans cards are on.

use std::collections::HashMap;

use axum::extract::{Query, State};

use super::{carrier_param, page_of, views, ApiResult, ControlState};

pub async fn plans(
    State(s): State<ControlState>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult {
    let carrier = carrier_param(&q)?;
    let mut v: Vec<_> = s
        .world
        .store
        .plans
        .iter()
        .filter(|p| carrier.is_none_or(|c| p.carrier == c))
        .map(|p| p.clone())
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    page_of(v.iter().map(views::plan).collect(), &q)
}
