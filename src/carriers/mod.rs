//! The carrier dialects. Each one translates its carrier's wire protocol to
//! domain operations and back; none changes card state except through the
//! world's operations. This file mounts them all on one router.

pub mod cmcc;
pub mod ctcc;
pub mod cucc;
pub mod dialect;

use axum::Router;

use crate::context::Context;

/// Every dialect's routes.
pub fn router(ctx: &Context) -> Router {
    Router::new()
        .merge(cmcc::router(ctx))
        .merge(ctcc::router(ctx))
        .merge(cucc::router(ctx))
}
