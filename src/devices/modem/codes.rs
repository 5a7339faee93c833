//! Result codes of the modem: the `+CME ERROR` (3GPP TS 27.007 §9.2) and
//! `+CMS ERROR` (TS 27.005 §3.2.5) values it uses, with their verbose texts
//! for `AT+CMEE=2`, and the operator names per carrier.

use crate::domain::Carrier;

/// `+CME ERROR` values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cme {
    OperationNotAllowed = 3,
    OperationNotSupported = 4,
    SimNotInserted = 10,
    NoNetworkService = 30,
    IncorrectParameters = 50,
    Unknown = 100,
}

impl Cme {
    pub fn text(self) -> &'static str {
        match self {
            Cme::OperationNotAllowed => "operation not allowed",
            Cme::OperationNotSupported => "operation not supported",
            Cme::SimNotInserted => "SIM not inserted",
            Cme::NoNetworkService => "no network service",
            Cme::IncorrectParameters => "incorrect parameters",
            Cme::Unknown => "unknown",
        }
    }
}

/// `+CMS ERROR` values (0..127 are 24.011 RP causes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cms {
    /// RP cause 10: call barred (the card is barred for that destination).
    CallBarred = 10,
    OperationNotAllowed = 302,
    OperationNotSupported = 303,
    InvalidPduParameter = 304,
    InvalidTextParameter = 305,
    SimNotInserted = 310,
    InvalidMemoryIndex = 321,
    NoNetworkService = 331,
    Unknown = 500,
}

impl Cms {
    pub fn text(self) -> &'static str {
        match self {
            Cms::CallBarred => "call barred",
            Cms::OperationNotAllowed => "operation not allowed",
            Cms::OperationNotSupported => "operation not supported",
            Cms::InvalidPduParameter => "invalid PDU mode parameter",
            Cms::InvalidTextParameter => "invalid text mode parameter",
            Cms::SimNotInserted => "SIM not inserted",
            Cms::InvalidMemoryIndex => "invalid memory index",
            Cms::NoNetworkService => "no network service",
            Cms::Unknown => "unknown error",
        }
    }
}

/// Operator names for `+COPS`: long alphanumeric, short, numeric (MCC+MNC).
pub fn operator(carrier: Carrier) -> [&'static str; 3] {
    match carrier {
        Carrier::Cmcc => ["CHINA MOBILE", "CMCC", "46000"],
        Carrier::Cucc => ["CHN-UNICOM", "UNICOM", "46001"],
        Carrier::Ctcc => ["CHN-CT", "CT", "46011"],
    }
}

/// The service centre a card's SIM is provisioned with (`+CSCA`); fictitious
/// but well-formed numbers.
pub fn smsc(carrier: Carrier) -> &'static str {
    match carrier {
        Carrier::Cmcc => "+8613800100500",
        Carrier::Cucc => "+8613010112500",
        Carrier::Ctcc => "+8613800100569",
    }
}
