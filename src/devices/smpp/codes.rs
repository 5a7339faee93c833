//! SMPP 3.4 code tables: command ids, `command_status` values with their
//! names, optional-parameter (TLV) tags, message states and the error codes
//! carried in delivery receipts (`err:`).

/// Command ids (SMPP 3.4 §5.1.2.1). A response is the request's id with
/// the high bit set.
pub mod cmd {
    pub const GENERIC_NACK: u32 = 0x8000_0000;
    pub const BIND_RECEIVER: u32 = 0x0000_0001;
    pub const BIND_TRANSMITTER: u32 = 0x0000_0002;
    pub const QUERY_SM: u32 = 0x0000_0003;
    pub const SUBMIT_SM: u32 = 0x0000_0004;
    pub const DELIVER_SM: u32 = 0x0000_0005;
    pub const UNBIND: u32 = 0x0000_0006;
    pub const REPLACE_SM: u32 = 0x0000_0007;
    pub const CANCEL_SM: u32 = 0x0000_0008;
    pub const BIND_TRANSCEIVER: u32 = 0x0000_0009;
    pub const OUTBIND: u32 = 0x0000_000B;
    pub const ENQUIRE_LINK: u32 = 0x0000_0015;
    pub const SUBMIT_MULTI: u32 = 0x0000_0021;
    pub const ALERT_NOTIFICATION: u32 = 0x0000_0102;
    pub const DATA_SM: u32 = 0x0000_0103;
    /// The response bit.
    pub const RESP: u32 = 0x8000_0000;
}

/// The name of a command id (`submit_sm`, `deliver_sm_resp`, ...), for the
/// request journal and the metrics.
pub fn command_name(id: u32) -> &'static str {
    match id {
        cmd::GENERIC_NACK => "generic_nack",
        cmd::BIND_RECEIVER => "bind_receiver",
        0x8000_0001 => "bind_receiver_resp",
        cmd::BIND_TRANSMITTER => "bind_transmitter",
        0x8000_0002 => "bind_transmitter_resp",
        cmd::QUERY_SM => "query_sm",
        0x8000_0003 => "query_sm_resp",
        cmd::SUBMIT_SM => "submit_sm",
        0x8000_0004 => "submit_sm_resp",
        cmd::DELIVER_SM => "deliver_sm",
        0x8000_0005 => "deliver_sm_resp",
        cmd::UNBIND => "unbind",
        0x8000_0006 => "unbind_resp",
        cmd::REPLACE_SM => "replace_sm",
        0x8000_0007 => "replace_sm_resp",
        cmd::CANCEL_SM => "cancel_sm",
        0x8000_0008 => "cancel_sm_resp",
        cmd::BIND_TRANSCEIVER => "bind_transceiver",
        0x8000_0009 => "bind_transceiver_resp",
        cmd::OUTBIND => "outbind",
        cmd::ENQUIRE_LINK => "enquire_link",
        0x8000_0015 => "enquire_link_resp",
        cmd::SUBMIT_MULTI => "submit_multi",
        0x8000_0021 => "submit_multi_resp",
        cmd::ALERT_NOTIFICATION => "alert_notification",
        cmd::DATA_SM => "data_sm",
        0x8000_0103 => "data_sm_resp",
        _ => "unknown",
    }
}

/// `command_status` values (SMPP 3.4 §5.1.3).
pub mod status {
    pub const ESME_ROK: u32 = 0x00;
    pub const ESME_RINVMSGLEN: u32 = 0x01;
    pub const ESME_RINVCMDLEN: u32 = 0x02;
    pub const ESME_RINVCMDID: u32 = 0x03;
    pub const ESME_RINVBNDSTS: u32 = 0x04;
    pub const ESME_RALYBND: u32 = 0x05;
    pub const ESME_RINVPRTFLG: u32 = 0x06;
    pub const ESME_RINVREGDLVFLG: u32 = 0x07;
    pub const ESME_RSYSERR: u32 = 0x08;
    pub const ESME_RINVSRCADR: u32 = 0x0A;
    pub const ESME_RINVDSTADR: u32 = 0x0B;
    pub const ESME_RINVMSGID: u32 = 0x0C;
    pub const ESME_RBINDFAIL: u32 = 0x0D;
    pub const ESME_RINVPASWD: u32 = 0x0E;
    pub const ESME_RINVSYSID: u32 = 0x0F;
    pub const ESME_RCANCELFAIL: u32 = 0x11;
    pub const ESME_RREPLACEFAIL: u32 = 0x13;
    pub const ESME_RMSGQFUL: u32 = 0x14;
    pub const ESME_RINVSERTYP: u32 = 0x15;
    pub const ESME_RINVNUMDESTS: u32 = 0x33;
    pub const ESME_RINVDLNAME: u32 = 0x34;
    pub const ESME_RINVDESTFLAG: u32 = 0x40;
    pub const ESME_RINVSUBREP: u32 = 0x42;
    pub const ESME_RINVESMCLASS: u32 = 0x43;
    pub const ESME_RCNTSUBDL: u32 = 0x44;
    pub const ESME_RSUBMITFAIL: u32 = 0x45;
    pub const ESME_RINVSRCTON: u32 = 0x48;
    pub const ESME_RINVSRCNPI: u32 = 0x49;
    pub const ESME_RINVDSTTON: u32 = 0x50;
    pub const ESME_RINVDSTNPI: u32 = 0x51;
    pub const ESME_RINVSYSTYP: u32 = 0x53;
    pub const ESME_RINVREPFLAG: u32 = 0x54;
    pub const ESME_RINVNUMMSGS: u32 = 0x55;
    pub const ESME_RTHROTTLED: u32 = 0x58;
    pub const ESME_RINVSCHED: u32 = 0x61;
    pub const ESME_RINVEXPIRY: u32 = 0x62;
    pub const ESME_RINVDFTMSGID: u32 = 0x63;
    pub const ESME_RX_T_APPN: u32 = 0x64;
    pub const ESME_RX_P_APPN: u32 = 0x65;
    pub const ESME_RX_R_APPN: u32 = 0x66;
    pub const ESME_RQUERYFAIL: u32 = 0x67;
    pub const ESME_RINVOPTPARSTREAM: u32 = 0xC0;
    pub const ESME_ROPTPARNOTALLWD: u32 = 0xC1;
    pub const ESME_RINVPARLEN: u32 = 0xC2;
    pub const ESME_RMISSINGOPTPARAM: u32 = 0xC3;
    pub const ESME_RINVOPTPARAMVAL: u32 = 0xC4;
    pub const ESME_RDELIVERYFAILURE: u32 = 0xFE;
    pub const ESME_RUNKNOWNERR: u32 = 0xFF;
}

/// Every `command_status` this SMSC knows, with its SMPP 3.4 name.
pub const STATUS_NAMES: &[(u32, &str)] = &[
    (status::ESME_ROK, "ESME_ROK"),
    (status::ESME_RINVMSGLEN, "ESME_RINVMSGLEN"),
    (status::ESME_RINVCMDLEN, "ESME_RINVCMDLEN"),
    (status::ESME_RINVCMDID, "ESME_RINVCMDID"),
    (status::ESME_RINVBNDSTS, "ESME_RINVBNDSTS"),
    (status::ESME_RALYBND, "ESME_RALYBND"),
    (status::ESME_RINVPRTFLG, "ESME_RINVPRTFLG"),
    (status::ESME_RINVREGDLVFLG, "ESME_RINVREGDLVFLG"),
    (status::ESME_RSYSERR, "ESME_RSYSERR"),
    (status::ESME_RINVSRCADR, "ESME_RINVSRCADR"),
    (status::ESME_RINVDSTADR, "ESME_RINVDSTADR"),
    (status::ESME_RINVMSGID, "ESME_RINVMSGID"),
    (status::ESME_RBINDFAIL, "ESME_RBINDFAIL"),
    (status::ESME_RINVPASWD, "ESME_RINVPASWD"),
    (status::ESME_RINVSYSID, "ESME_RINVSYSID"),
    (status::ESME_RCANCELFAIL, "ESME_RCANCELFAIL"),
    (status::ESME_RREPLACEFAIL, "ESME_RREPLACEFAIL"),
    (status::ESME_RMSGQFUL, "ESME_RMSGQFUL"),
    (status::ESME_RINVSERTYP, "ESME_RINVSERTYP"),
    (status::ESME_RINVNUMDESTS, "ESME_RINVNUMDESTS"),
    (status::ESME_RINVDLNAME, "ESME_RINVDLNAME"),
    (status::ESME_RINVDESTFLAG, "ESME_RINVDESTFLAG"),
    (status::ESME_RINVSUBREP, "ESME_RINVSUBREP"),
    (status::ESME_RINVESMCLASS, "ESME_RINVESMCLASS"),
    (status::ESME_RCNTSUBDL, "ESME_RCNTSUBDL"),
    (status::ESME_RSUBMITFAIL, "ESME_RSUBMITFAIL"),
    (status::ESME_RINVSRCTON, "ESME_RINVSRCTON"),
    (status::ESME_RINVSRCNPI, "ESME_RINVSRCNPI"),
    (status::ESME_RINVDSTTON, "ESME_RINVDSTTON"),
    (status::ESME_RINVDSTNPI, "ESME_RINVDSTNPI"),
    (status::ESME_RINVSYSTYP, "ESME_RINVSYSTYP"),
    (status::ESME_RINVREPFLAG, "ESME_RINVREPFLAG"),
    (status::ESME_RINVNUMMSGS, "ESME_RINVNUMMSGS"),
    (status::ESME_RTHROTTLED, "ESME_RTHROTTLED"),
    (status::ESME_RINVSCHED, "ESME_RINVSCHED"),
    (status::ESME_RINVEXPIRY, "ESME_RINVEXPIRY"),
    (status::ESME_RINVDFTMSGID, "ESME_RINVDFTMSGID"),
    (status::ESME_RX_T_APPN, "ESME_RX_T_APPN"),
    (status::ESME_RX_P_APPN, "ESME_RX_P_APPN"),
    (status::ESME_RX_R_APPN, "ESME_RX_R_APPN"),
    (status::ESME_RQUERYFAIL, "ESME_RQUERYFAIL"),
    (status::ESME_RINVOPTPARSTREAM, "ESME_RINVOPTPARSTREAM"),
    (status::ESME_ROPTPARNOTALLWD, "ESME_ROPTPARNOTALLWD"),
    (status::ESME_RINVPARLEN, "ESME_RINVPARLEN"),
    (status::ESME_RMISSINGOPTPARAM, "ESME_RMISSINGOPTPARAM"),
    (status::ESME_RINVOPTPARAMVAL, "ESME_RINVOPTPARAMVAL"),
    (status::ESME_RDELIVERYFAILURE, "ESME_RDELIVERYFAILURE"),
    (status::ESME_RUNKNOWNERR, "ESME_RUNKNOWNERR"),
];

/// The SMPP name of a `command_status`.
pub fn status_name(code: u32) -> &'static str {
    STATUS_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, n)| *n)
        .unwrap_or("ESME_RUNKNOWNERR")
}

/// Optional-parameter tags (SMPP 3.4 §5.3.2).
pub mod tlv {
    pub const RECEIPTED_MESSAGE_ID: u16 = 0x001E;
    pub const USER_MESSAGE_REFERENCE: u16 = 0x0204;
    pub const SAR_MSG_REF_NUM: u16 = 0x020C;
    pub const SAR_TOTAL_SEGMENTS: u16 = 0x020E;
    pub const SAR_SEGMENT_SEQNUM: u16 = 0x020F;
    pub const SC_INTERFACE_VERSION: u16 = 0x0210;
    pub const NETWORK_ERROR_CODE: u16 = 0x0423;
    pub const MESSAGE_PAYLOAD: u16 = 0x0424;
    pub const MESSAGE_STATE: u16 = 0x0427;
}

/// `message_state` values (SMPP 3.4 §5.2.28) and the receipt `stat:` word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageState {
    Enroute = 1,
    Delivered = 2,
    Expired = 3,
    Deleted = 4,
    Undeliverable = 5,
    Accepted = 6,
    Unknown = 7,
    Rejected = 8,
}

impl MessageState {
    /// The `stat:` word of a delivery receipt.
    pub fn stat(self) -> &'static str {
        match self {
            MessageState::Enroute => "ENROUTE",
            MessageState::Delivered => "DELIVRD",
            MessageState::Expired => "EXPIRED",
            MessageState::Deleted => "DELETED",
            MessageState::Undeliverable => "UNDELIV",
            MessageState::Accepted => "ACCEPTD",
            MessageState::Unknown => "UNKNOWN",
            MessageState::Rejected => "REJECTD",
        }
    }

    /// Whether the message has reached a final state.
    pub fn is_final(self) -> bool {
        !matches!(self, MessageState::Enroute | MessageState::Accepted)
    }
}

/// Receipt `err:` codes (three digits; SMSC-specific by the standard).
pub mod err {
    /// Delivered, or still under way.
    pub const NONE: u16 = 0;
    /// The card is cancelled: it will never be reachable.
    pub const CARD_CANCELLED: u16 = 1;
    /// The card stayed unreachable (suspended, barred, off the network)
    /// until the validity period ended.
    pub const VALIDITY_EXPIRED: u16 = 2;
    /// The ESME cancelled the message with cancel_sm.
    pub const CANCELLED_BY_ESME: u16 = 3;
}

/// Data codings this SMSC decodes (`data_coding`, SMPP 3.4 §5.2.19).
pub mod dcs {
    /// SMSC default alphabet: GSM 03.38 7-bit, one septet per octet.
    pub const GSM7: u8 = 0x00;
    /// IA5 (CCITT T.50) / ASCII.
    pub const IA5: u8 = 0x01;
    /// Octet unspecified (8-bit binary).
    pub const BINARY: u8 = 0x02;
    /// Latin 1 (ISO-8859-1).
    pub const LATIN1: u8 = 0x03;
    /// Octet unspecified (8-bit binary).
    pub const BINARY2: u8 = 0x04;
    /// UCS2 (ISO/IEC-10646), big-endian UTF-16 here.
    pub const UCS2: u8 = 0x08;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_names_are_unique_and_found() {
        for (i, (code, name)) in STATUS_NAMES.iter().enumerate() {
            assert_eq!(status_name(*code), *name);
            assert!(STATUS_NAMES[i + 1..]
                .iter()
                .all(|(c, n)| c != code && n != name));
        }
        assert_eq!(status_name(0x58), "ESME_RTHROTTLED");
        assert_eq!(status_name(0x1234), "ESME_RUNKNOWNERR");
    }

    #[test]
    fn responses_have_the_high_bit() {
        assert_eq!(command_name(cmd::SUBMIT_SM | cmd::RESP), "submit_sm_resp");
        assert_eq!(command_name(cmd::GENERIC_NACK), "generic_nack");
        assert_eq!(command_name(0x99), "unknown");
    }
}
