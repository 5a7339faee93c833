//! The one integration-test binary: a module per surface, all sharing the
//! harness in `tests/common`. One binary links the crate once instead of
//! once per file (the layout of LukeMathWalker/zero-to-production's
//! `tests/api/`); `docs/testing.md` says how the suite is organised.

#[path = "../common/mod.rs"]
mod common;

mod accounting;
mod admin_plane;
mod cli;
mod cmcc;
mod cmcc_clients;
mod cmcc_usage;
mod concurrency;
mod conform;
mod control;
mod ctcc;
mod ctcc_client;
mod cucc;
mod cucc_soap;
mod engine;
mod examples;
mod faults;
mod hostile;
mod modem;
mod modem_client;
mod newcomer;
mod packaging;
mod parsers;
mod properties;
mod resources;
mod retention;
mod rules;
mod smpp;
mod smpp_client;
mod sms;
mod sms_parsers;
mod soak;
mod web_ui;
mod wire_errors;
mod worlds;
