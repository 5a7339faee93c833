//! Conformance against the real platforms: record a session with a real
//! carrier account through a masking proxy ([`record`]), kept as a JSON
//! Lines file ([`session`]) with its secrets masked ([`mask`]) and, when
//! asked, its card identifiers pseudonymised ([`pseudo`]); turn it into a
//! fixture ([`import`]); replay it against the simulator and compare the
//! answers structurally ([`check`], [`diff`] over the body trees of
//! [`tree`]); and serve the recorded answers in front of the simulator
//! ([`replay`]). See `docs/conformance.md`.

pub mod check;
pub mod diff;
pub mod import;
pub mod mask;
pub mod pseudo;
pub mod record;
pub mod replay;
pub mod session;
pub mod tree;
