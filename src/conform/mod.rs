//! Conformance against the real platforms: record a session with a real
//! carrier account through a masking proxy ([`record`]), and keep it as a
//! JSON Lines file ([`session`]) with its secrets masked ([`mask`]) and,
//! when asked, its card identifiers pseudonymised ([`pseudo`]).
//! See `docs/conformance.md`.

pub mod mask;
pub mod pseudo;
pub mod record;
pub mod session;
