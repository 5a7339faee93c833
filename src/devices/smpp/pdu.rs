//! The SMPP 3.4 PDU codec: framing by `command_length`, the 16-octet header
//! (length, id, status, sequence), C-octet strings, TLVs, and the bodies of
//! every operation this SMSC serves. Decoding never panics: a short or
//! inconsistent body is a [`BodyError`], a bad length a [`FrameError`].

use bytes::{Buf, BytesMut};

use super::codes::{cmd, tlv};

/// Octets in the PDU header.
pub const HEADER_LEN: usize = 16;
/// The longest PDU accepted (a full `message_payload` plus the header).
pub const MAX_PDU_LEN: usize = 64 * 1024 + 1024;

/// One PDU: header fields and the raw body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pdu {
    pub command_id: u32,
    pub status: u32,
    pub sequence: u32,
    pub body: Vec<u8>,
}

impl Pdu {
    pub fn new(command_id: u32, status: u32, sequence: u32, body: Vec<u8>) -> Pdu {
        Pdu {
            command_id,
            status,
            sequence,
            body,
        }
    }

    /// Appends the wire form to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let len = (HEADER_LEN + self.body.len()) as u32;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.command_id.to_be_bytes());
        out.extend_from_slice(&self.status.to_be_bytes());
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.body);
    }

    /// The wire form.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(HEADER_LEN + self.body.len());
        self.encode_into(&mut v);
        v
    }

    /// Whether this is a response (high bit of the id).
    pub fn is_response(&self) -> bool {
        self.command_id & cmd::RESP != 0
    }
}

/// A `command_length` that cannot be right: the stream cannot be resynced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameError {
    pub length: u32,
    /// The sequence number, when the header arrived whole.
    pub sequence: Option<u32>,
}

/// Takes one whole PDU off the front of `buf`, if there is one.
pub fn frame(buf: &mut BytesMut) -> Result<Option<Pdu>, FrameError> {
    if buf.len() < 4 {
        return Ok(None);
    }
    let length = u32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
    let seq = || {
        (buf.len() >= HEADER_LEN).then(|| u32::from_be_bytes([buf[12], buf[13], buf[14], buf[15]]))
    };
    if (length as usize) < HEADER_LEN || length as usize > MAX_PDU_LEN {
        return Err(FrameError {
            length,
            sequence: seq(),
        });
    }
    if buf.len() < length as usize {
        return Ok(None);
    }
    let mut whole = buf.split_to(length as usize);
    whole.advance(4);
    let command_id = whole.get_u32();
    let status = whole.get_u32();
    let sequence = whole.get_u32();
    Ok(Some(Pdu {
        command_id,
        status,
        sequence,
        body: whole.to_vec(),
    }))
}

/// Why a body could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Mandatory fields run past the end, or a C-string is too long.
    #[error("malformed body")]
    Malformed,
    /// The TLV stream is broken (a length runs past the end).
    #[error("bad optional parameters")]
    BadTlv,
}

/// A tag-length-value optional parameter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tlv {
    pub tag: u16,
    pub value: Vec<u8>,
}

/// Looks a TLV up by tag.
pub fn find_tlv(tlvs: &[Tlv], tag: u16) -> Option<&[u8]> {
    tlvs.iter()
        .find(|t| t.tag == tag)
        .map(|t| t.value.as_slice())
}

/// A cursor over a body.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn u8(&mut self) -> Result<u8, BodyError> {
        let b = *self.buf.get(self.pos).ok_or(BodyError::Malformed)?;
        self.pos += 1;
        Ok(b)
    }

    pub fn bytes(&mut self, n: usize) -> Result<&'a [u8], BodyError> {
        let end = self.pos.checked_add(n).ok_or(BodyError::Malformed)?;
        let s = self.buf.get(self.pos..end).ok_or(BodyError::Malformed)?;
        self.pos = end;
        Ok(s)
    }

    /// A C-octet string of at most `max` octets including its NUL.
    pub fn cstr(&mut self, max: usize) -> Result<String, BodyError> {
        let rest = &self.buf[self.pos.min(self.buf.len())..];
        let nul = rest
            .iter()
            .take(max)
            .position(|&b| b == 0)
            .ok_or(BodyError::Malformed)?;
        let s = String::from_utf8_lossy(&rest[..nul]).into_owned();
        self.pos += nul + 1;
        Ok(s)
    }

    pub fn address(&mut self, max: usize) -> Result<Address, BodyError> {
        Ok(Address {
            ton: self.u8()?,
            npi: self.u8()?,
            addr: self.cstr(max)?,
        })
    }

    /// The remaining octets as TLVs.
    pub fn tlvs(&mut self) -> Result<Vec<Tlv>, BodyError> {
        let mut out = Vec::new();
        while self.pos < self.buf.len() {
            let head = self.bytes(4).map_err(|_| BodyError::BadTlv)?;
            let tag = u16::from_be_bytes([head[0], head[1]]);
            let len = u16::from_be_bytes([head[2], head[3]]) as usize;
            let value = self.bytes(len).map_err(|_| BodyError::BadTlv)?;
            out.push(Tlv {
                tag,
                value: value.to_vec(),
            });
        }
        Ok(out)
    }

    /// Whether every octet was read.
    pub fn done(&self) -> bool {
        self.pos >= self.buf.len()
    }
}

/// Body builders.
pub trait Put {
    fn cstr(&mut self, s: &str);
    fn address(&mut self, a: &Address);
    fn tlv(&mut self, tag: u16, value: &[u8]);
}

impl Put for Vec<u8> {
    fn cstr(&mut self, s: &str) {
        self.extend_from_slice(s.as_bytes());
        self.push(0);
    }

    fn address(&mut self, a: &Address) {
        self.push(a.ton);
        self.push(a.npi);
        self.cstr(&a.addr);
    }

    fn tlv(&mut self, tag: u16, value: &[u8]) {
        self.extend_from_slice(&tag.to_be_bytes());
        self.extend_from_slice(&(value.len() as u16).to_be_bytes());
        self.extend_from_slice(value);
    }
}

/// A type-of-number, numbering-plan and address triple.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Address {
    pub ton: u8,
    pub npi: u8,
    pub addr: String,
}

impl Address {
    pub fn new(addr: &str) -> Address {
        Address {
            ton: 0,
            npi: 0,
            addr: addr.to_string(),
        }
    }
}

/// bind_transmitter / bind_receiver / bind_transceiver.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bind {
    pub system_id: String,
    pub password: String,
    pub system_type: String,
    pub interface_version: u8,
    pub address_range: Address,
}

impl Bind {
    pub fn parse(body: &[u8]) -> Result<Bind, BodyError> {
        let mut r = Reader::new(body);
        let b = Bind {
            system_id: r.cstr(16)?,
            password: r.cstr(9)?,
            system_type: r.cstr(13)?,
            interface_version: r.u8()?,
            address_range: r.address(41)?,
        };
        r.tlvs()?;
        Ok(b)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.cstr(&self.system_id);
        v.cstr(&self.password);
        v.cstr(&self.system_type);
        v.push(self.interface_version);
        v.address(&self.address_range);
        v
    }
}

/// A bind response body: the SMSC's system_id and its interface version.
pub fn bind_resp_body(system_id: &str) -> Vec<u8> {
    let mut v = Vec::new();
    v.cstr(system_id);
    v.tlv(tlv::SC_INTERFACE_VERSION, &[0x34]);
    v
}

/// submit_sm and deliver_sm (the same layout).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sm {
    pub service_type: String,
    pub source: Address,
    pub dest: Address,
    pub esm_class: u8,
    pub protocol_id: u8,
    pub priority_flag: u8,
    pub schedule_delivery_time: String,
    pub validity_period: String,
    pub registered_delivery: u8,
    pub replace_if_present_flag: u8,
    pub data_coding: u8,
    pub sm_default_msg_id: u8,
    pub short_message: Vec<u8>,
    pub tlvs: Vec<Tlv>,
}

impl Sm {
    pub fn parse(body: &[u8]) -> Result<Sm, BodyError> {
        let mut r = Reader::new(body);
        let service_type = r.cstr(6)?;
        let source = r.address(21)?;
        let dest = r.address(21)?;
        let esm_class = r.u8()?;
        let protocol_id = r.u8()?;
        let priority_flag = r.u8()?;
        let schedule_delivery_time = r.cstr(17)?;
        let validity_period = r.cstr(17)?;
        let registered_delivery = r.u8()?;
        let replace_if_present_flag = r.u8()?;
        let data_coding = r.u8()?;
        let sm_default_msg_id = r.u8()?;
        let len = r.u8()? as usize;
        let short_message = r.bytes(len)?.to_vec();
        let tlvs = r.tlvs()?;
        Ok(Sm {
            service_type,
            source,
            dest,
            esm_class,
            protocol_id,
            priority_flag,
            schedule_delivery_time,
            validity_period,
            registered_delivery,
            replace_if_present_flag,
            data_coding,
            sm_default_msg_id,
            short_message,
            tlvs,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(64 + self.short_message.len());
        v.cstr(&self.service_type);
        v.address(&self.source);
        v.address(&self.dest);
        v.push(self.esm_class);
        v.push(self.protocol_id);
        v.push(self.priority_flag);
        v.cstr(&self.schedule_delivery_time);
        v.cstr(&self.validity_period);
        v.push(self.registered_delivery);
        v.push(self.replace_if_present_flag);
        v.push(self.data_coding);
        v.push(self.sm_default_msg_id);
        v.push(self.short_message.len().min(255) as u8);
        v.extend_from_slice(&self.short_message[..self.short_message.len().min(255)]);
        for t in &self.tlvs {
            v.tlv(t.tag, &t.value);
        }
        v
    }
}

/// One destination of a submit_multi.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dest {
    Sme(Address),
    List(String),
}

/// submit_multi.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SubmitMulti {
    pub dests: Vec<Dest>,
    /// The rest of the message, as a submit_sm without a destination.
    pub sm: Sm,
}

impl SubmitMulti {
    /// Parses; `Ok(Err(flag))` for an unknown dest_flag.
    pub fn parse(body: &[u8]) -> Result<Result<SubmitMulti, u8>, BodyError> {
        let mut r = Reader::new(body);
        let service_type = r.cstr(6)?;
        let source = r.address(21)?;
        let n = r.u8()?;
        let mut dests = Vec::with_capacity(n as usize);
        for _ in 0..n {
            match r.u8()? {
                1 => dests.push(Dest::Sme(r.address(21)?)),
                2 => dests.push(Dest::List(r.cstr(21)?)),
                f => return Ok(Err(f)),
            }
        }
        let esm_class = r.u8()?;
        let protocol_id = r.u8()?;
        let priority_flag = r.u8()?;
        let schedule_delivery_time = r.cstr(17)?;
        let validity_period = r.cstr(17)?;
        let registered_delivery = r.u8()?;
        let replace_if_present_flag = r.u8()?;
        let data_coding = r.u8()?;
        let sm_default_msg_id = r.u8()?;
        let len = r.u8()? as usize;
        let short_message = r.bytes(len)?.to_vec();
        let tlvs = r.tlvs()?;
        Ok(Ok(SubmitMulti {
            dests,
            sm: Sm {
                service_type,
                source,
                dest: Address::default(),
                esm_class,
                protocol_id,
                priority_flag,
                schedule_delivery_time,
                validity_period,
                registered_delivery,
                replace_if_present_flag,
                data_coding,
                sm_default_msg_id,
                short_message,
                tlvs,
            },
        }))
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.cstr(&self.sm.service_type);
        v.address(&self.sm.source);
        v.push(self.dests.len() as u8);
        for d in &self.dests {
            match d {
                Dest::Sme(a) => {
                    v.push(1);
                    v.address(a);
                }
                Dest::List(n) => {
                    v.push(2);
                    v.cstr(n);
                }
            }
        }
        let full = self.sm.encode();
        // Skip service_type and the two addresses of the submit_sm layout.
        let skip = self.sm.service_type.len()
            + 1
            + 3
            + self.sm.source.addr.len()
            + 3
            + self.sm.dest.addr.len();
        v.extend_from_slice(&full[skip..]);
        v
    }
}

/// data_sm.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataSm {
    pub service_type: String,
    pub source: Address,
    pub dest: Address,
    pub esm_class: u8,
    pub registered_delivery: u8,
    pub data_coding: u8,
    pub tlvs: Vec<Tlv>,
}

impl DataSm {
    pub fn parse(body: &[u8]) -> Result<DataSm, BodyError> {
        let mut r = Reader::new(body);
        Ok(DataSm {
            service_type: r.cstr(6)?,
            source: r.address(65)?,
            dest: r.address(65)?,
            esm_class: r.u8()?,
            registered_delivery: r.u8()?,
            data_coding: r.u8()?,
            tlvs: r.tlvs()?,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.cstr(&self.service_type);
        v.address(&self.source);
        v.address(&self.dest);
        v.push(self.esm_class);
        v.push(self.registered_delivery);
        v.push(self.data_coding);
        for t in &self.tlvs {
            v.tlv(t.tag, &t.value);
        }
        v
    }
}

/// query_sm.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuerySm {
    pub message_id: String,
    pub source: Address,
}

impl QuerySm {
    pub fn parse(body: &[u8]) -> Result<QuerySm, BodyError> {
        let mut r = Reader::new(body);
        let q = QuerySm {
            message_id: r.cstr(65)?,
            source: r.address(21)?,
        };
        r.tlvs()?;
        Ok(q)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.cstr(&self.message_id);
        v.address(&self.source);
        v
    }
}

/// cancel_sm.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CancelSm {
    pub service_type: String,
    pub message_id: String,
    pub source: Address,
    pub dest: Address,
}

impl CancelSm {
    pub fn parse(body: &[u8]) -> Result<CancelSm, BodyError> {
        let mut r = Reader::new(body);
        let c = CancelSm {
            service_type: r.cstr(6)?,
            message_id: r.cstr(65)?,
            source: r.address(21)?,
            dest: r.address(21)?,
        };
        r.tlvs()?;
        Ok(c)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.cstr(&self.service_type);
        v.cstr(&self.message_id);
        v.address(&self.source);
        v.address(&self.dest);
        v
    }
}

/// replace_sm.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReplaceSm {
    pub message_id: String,
    pub source: Address,
    pub schedule_delivery_time: String,
    pub validity_period: String,
    pub registered_delivery: u8,
    pub sm_default_msg_id: u8,
    pub short_message: Vec<u8>,
}

impl ReplaceSm {
    pub fn parse(body: &[u8]) -> Result<ReplaceSm, BodyError> {
        let mut r = Reader::new(body);
        let message_id = r.cstr(65)?;
        let source = r.address(21)?;
        let schedule_delivery_time = r.cstr(17)?;
        let validity_period = r.cstr(17)?;
        let registered_delivery = r.u8()?;
        let sm_default_msg_id = r.u8()?;
        let len = r.u8()? as usize;
        let short_message = r.bytes(len)?.to_vec();
        r.tlvs()?;
        Ok(ReplaceSm {
            message_id,
            source,
            schedule_delivery_time,
            validity_period,
            registered_delivery,
            sm_default_msg_id,
            short_message,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.cstr(&self.message_id);
        v.address(&self.source);
        v.cstr(&self.schedule_delivery_time);
        v.cstr(&self.validity_period);
        v.push(self.registered_delivery);
        v.push(self.sm_default_msg_id);
        v.push(self.short_message.len() as u8);
        v.extend_from_slice(&self.short_message);
        v
    }
}

/// A response body holding only a message_id (submit_sm_resp, data_sm_resp).
pub fn message_id_body(id: &str) -> Vec<u8> {
    let mut v = Vec::new();
    v.cstr(id);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_and_join() {
        let p = Pdu::new(cmd::ENQUIRE_LINK, 0, 7, Vec::new());
        let mut wire = p.encode();
        wire.extend(Pdu::new(cmd::UNBIND, 0, 8, vec![]).encode());
        let mut buf = BytesMut::from(&wire[..20]);
        assert_eq!(frame(&mut buf).unwrap(), Some(p));
        assert_eq!(frame(&mut buf).unwrap(), None);
        buf.extend_from_slice(&wire[20..]);
        assert_eq!(frame(&mut buf).unwrap().unwrap().sequence, 8);
    }

    #[test]
    fn bad_lengths_are_frame_errors() {
        let mut buf = BytesMut::from(&[0u8, 0, 0, 8, 0, 0, 0, 0x15][..]);
        assert!(frame(&mut buf).is_err());
        let mut buf = BytesMut::from(&[0xFFu8, 0xFF, 0xFF, 0xFF][..]);
        assert!(frame(&mut buf).is_err());
    }

    #[test]
    fn submit_sm_round_trips() {
        let sm = Sm {
            source: Address::new("1065000000"),
            dest: Address::new("8614700000001"),
            registered_delivery: 1,
            data_coding: 8,
            short_message: vec![0x4f, 0x60],
            tlvs: vec![Tlv {
                tag: tlv::SAR_MSG_REF_NUM,
                value: vec![0, 1],
            }],
            ..Default::default()
        };
        assert_eq!(Sm::parse(&sm.encode()).unwrap(), sm);
        let mut cut = sm.encode();
        cut.truncate(10);
        assert_eq!(Sm::parse(&cut), Err(BodyError::Malformed));
        let mut bad = sm.encode();
        bad.extend_from_slice(&[0x04, 0x24, 0x00]);
        assert_eq!(Sm::parse(&bad), Err(BodyError::BadTlv));
    }

    #[test]
    fn submit_multi_round_trips() {
        let m = SubmitMulti {
            dests: vec![Dest::Sme(Address::new("1")), Dest::List("x".into())],
            sm: Sm {
                short_message: b"hi".to_vec(),
                ..Default::default()
            },
        };
        assert_eq!(SubmitMulti::parse(&m.encode()).unwrap().unwrap(), m);
    }

    #[test]
    fn c_strings_are_bounded() {
        let mut r = Reader::new(b"abcdef\0");
        assert_eq!(r.cstr(4), Err(BodyError::Malformed));
        let mut r = Reader::new(b"abc\0");
        assert_eq!(r.cstr(4).unwrap(), "abc");
        assert!(r.done());
    }
}
