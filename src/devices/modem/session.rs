//! One virtual modem: the AT command interpreter (V.25ter basics, 27.007
//! identification/network commands, 27.005 SMS in text and PDU mode, USSD,
//! voice calls to the hotlines with DTMF). It is a plain state machine —
//! bytes in, bytes out — driven by `serve`, which also turns the card's
//! incoming messages (the world's message feed) into `+CMTI`/`+CMT`.
//!
//! Choices (see `docs/sms.md`): `AT+CMEE=1` (numeric errors) and
//! `AT+CNMI=2,1` (store and indicate) by default, one message store `"ME"`
//! holding 100 parts, a long incoming text stored as one entry per part.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use super::codes::{self, Cme, Cms};
use super::pdu::{self, Scts, Segment};
use crate::clock::local;
use crate::devices::WorldDirectory;
use crate::domain::card::Message;
use crate::domain::Card;
use crate::sms::ivr::{self, CallError};
use crate::sms::ussd::{self, UssdError};
use crate::sms::{self, access, Access, SendError};
use crate::store::CardRef;
use crate::world::{MessageNotice, World};

/// Longest command line accepted (longer → `ERROR`).
pub const MAX_LINE: usize = 560;
/// Longest SMS body accepted after `AT+CMGS` (text or PDU hex).
pub const MAX_BODY: usize = 4096;
/// Parts the message store holds.
pub const STORE_SIZE: usize = 100;

const CTRL_Z: u8 = 0x1A;
const ESC: u8 = 0x1B;

/// Why a command failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fail {
    Error,
    Cme(Cme),
    Cms(Cms),
    /// A V.25ter result such as `NO CARRIER`.
    Result(&'static str),
}

type Done = Result<(), Fail>;

/// A stored incoming part.
#[derive(Clone, Debug)]
struct Stored {
    msg_id: u64,
    from: String,
    time: Timestamp,
    seg: Segment,
    read: bool,
}

enum Body {
    Text { to: String },
    Pdu { len: usize },
}

/// The modem's state.
pub struct Modem {
    world: Arc<World>,
    /// The world the modem started in (`AT+SIMSEL` without a prefix).
    home: Arc<World>,
    /// The worlds on demand `AT+SIMSEL="w3:<card>"` may select.
    worlds: Option<Arc<dyn WorldDirectory>>,
    /// The selected world on demand (`None`: the world the modem started in).
    world_id: Option<String>,
    iccid: Option<String>,
    echo: bool,
    cmee: u8,
    text_mode: bool,
    ucs2: bool,
    cnmi_mt: u8,
    creg_n: u8,
    cereg_n: u8,
    cops_format: usize,
    store: Vec<Option<Stored>>,
    line: Vec<u8>,
    overlong: bool,
    body: Option<(Body, Vec<u8>, bool)>,
    deferred: Vec<u8>,
    mr: u8,
    concat_ref: u8,
    partial: HashMap<(String, u16), Vec<Option<String>>>,
}

impl Modem {
    /// A modem, optionally with its card already inserted.
    pub fn new(world: Arc<World>, iccid: Option<String>) -> Modem {
        let mut m = Modem {
            home: world.clone(),
            world,
            worlds: None,
            world_id: None,
            iccid: None,
            echo: true,
            cmee: 1,
            text_mode: false,
            ucs2: false,
            cnmi_mt: 1,
            creg_n: 0,
            cereg_n: 0,
            cops_format: 0,
            store: vec![None; STORE_SIZE],
            line: Vec::new(),
            overlong: false,
            body: None,
            deferred: Vec::new(),
            mr: 0,
            concat_ref: 0,
            partial: HashMap::new(),
        };
        if let Some(i) = iccid {
            m.insert_card(i);
        }
        m
    }

    /// Lets `AT+SIMSEL` select cards of the worlds on demand.
    pub fn with_worlds(mut self, worlds: Option<Arc<dyn WorldDirectory>>) -> Modem {
        self.worlds = worlds;
        self
    }

    /// The world of the selected card.
    pub fn world(&self) -> &Arc<World> {
        &self.world
    }

    fn home_world(&self) -> Arc<World> {
        self.home.clone()
    }

    /// The selected card's ICCID.
    pub fn iccid(&self) -> Option<&str> {
        self.iccid.as_deref()
    }

    fn reset(&mut self) {
        self.echo = true;
        self.cmee = 1;
        self.text_mode = false;
        self.ucs2 = false;
        self.cnmi_mt = 1;
        self.creg_n = 0;
        self.cereg_n = 0;
        self.cops_format = 0;
    }

    /// Inserts a card: its inbox fills the message store.
    fn insert_card(&mut self, iccid: String) {
        self.store = vec![None; STORE_SIZE];
        self.partial.clear();
        let card = self.world.card(&iccid);
        self.iccid = Some(iccid);
        let Some(card) = card else { return };
        for m in &card.inbox {
            for (seg, time, _) in self.parts_of(&card, m) {
                let _ = self.put(Stored {
                    msg_id: m.id,
                    from: m.peer.to_string(),
                    time,
                    seg,
                    read: m.read,
                });
            }
        }
    }

    /// The parts of an incoming message with their time stamps and delays:
    /// a service number's reply in the carrier's real shape (`sms::parts`:
    /// 65 UCS-2 characters per part, its reference size and pacing), any
    /// other message cut by `pdu::segments`.
    fn parts_of(&mut self, card: &Card, m: &Message) -> Vec<(Segment, Timestamp, Duration)> {
        let Some(parts) = sms::parts::of_message(&self.world, card, m) else {
            let r = self.next_ref();
            return pdu::segments(&m.text, r)
                .into_iter()
                .map(|s| (s, m.time, Duration::ZERO))
                .collect();
        };
        let real = sms::parts::shape(&self.world, card).real_delays;
        parts
            .into_iter()
            .map(|p| {
                let seg = Segment {
                    text: p.text,
                    alphabet: pdu::Alphabet::Ucs2,
                    concat: p.concat,
                    wide_reference: p.wide_reference,
                    sender_toa: Some(sms::parts::sender_toa(&m.peer)),
                    report_indication: true,
                };
                let wait = if real {
                    Duration::try_from(p.after).unwrap_or_default()
                } else {
                    Duration::ZERO
                };
                (seg, p.time, wait)
            })
            .collect()
    }

    fn next_ref(&mut self) -> u8 {
        self.concat_ref = self.concat_ref.wrapping_add(1);
        self.concat_ref
    }

    fn put(&mut self, s: Stored) -> Option<usize> {
        let slot = self.store.iter().position(Option::is_none)?;
        self.store[slot] = Some(s);
        Some(slot + 1)
    }

    fn card(&self) -> Result<Card, Fail> {
        self.iccid
            .as_deref()
            .and_then(|i| self.world.card(i))
            .ok_or(Fail::Cme(Cme::SimNotInserted))
    }

    fn sms_card(&self) -> Result<Card, Fail> {
        self.card().map_err(|_| Fail::Cms(Cms::SimNotInserted))
    }

    // ---------------------------------------------------------------- input

    /// Feeds bytes from the terminal; returns what the modem answers.
    pub fn feed(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for &b in data {
            if self.body.is_some() {
                self.body_byte(b, &mut out);
                continue;
            }
            if self.echo && b != b'\n' {
                out.push(b);
            }
            match b {
                b'\r' | b'\n' => {
                    if !self.line.is_empty() || self.overlong {
                        let line = std::mem::take(&mut self.line);
                        let overlong = std::mem::replace(&mut self.overlong, false);
                        self.command_line(&line, overlong, &mut out);
                    }
                }
                0x08 | 0x7F => {
                    self.line.pop();
                }
                _ if self.line.len() >= MAX_LINE => self.overlong = true,
                _ => self.line.push(b),
            }
        }
        if self.body.is_none() && !self.deferred.is_empty() {
            out.append(&mut self.deferred);
        }
        out
    }

    fn body_byte(&mut self, b: u8, out: &mut Vec<u8>) {
        let Some((kind, buf, overflow)) = self.body.as_mut() else {
            return;
        };
        match b {
            CTRL_Z => {
                let (kind, buf, overflow) = self.body.take().expect("in body");
                let r = if overflow {
                    Err(Fail::Cms(match kind {
                        Body::Text { .. } => Cms::InvalidTextParameter,
                        Body::Pdu { .. } => Cms::InvalidPduParameter,
                    }))
                } else {
                    self.send_body(kind, &buf)
                };
                let mut info = Vec::new();
                if r.is_ok() {
                    info.push(format!("+CMGS: {}", self.mr));
                    self.mr = self.mr.wrapping_add(1);
                }
                self.finish(info, r, out);
            }
            ESC => {
                self.body = None;
                out.extend_from_slice(b"\r\nOK\r\n");
            }
            b'\r' => {
                if let Body::Text { .. } = kind {
                    buf.push(b'\n');
                    out.extend_from_slice(b"\r\n> ");
                }
            }
            b'\n' => {}
            _ if buf.len() >= MAX_BODY => *overflow = true,
            _ => {
                if self.echo {
                    out.push(b);
                }
                buf.push(b);
            }
        }
    }

    /// Writes the information lines and the final result code.
    fn finish(&mut self, info: Vec<String>, r: Done, out: &mut Vec<u8>) {
        if !info.is_empty() {
            out.extend_from_slice(b"\r\n");
            out.extend_from_slice(info.join("\r\n").as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        let fin = match r {
            Ok(()) => "OK".to_string(),
            Err(Fail::Error) => "ERROR".to_string(),
            Err(Fail::Result(s)) => s.to_string(),
            Err(Fail::Cme(e)) => match self.cmee {
                0 => "ERROR".to_string(),
                1 => format!("+CME ERROR: {}", e as u16),
                _ => format!("+CME ERROR: {}", e.text()),
            },
            Err(Fail::Cms(e)) => match self.cmee {
                0 => "ERROR".to_string(),
                1 => format!("+CMS ERROR: {}", e as u16),
                _ => format!("+CMS ERROR: {}", e.text()),
            },
        };
        out.extend_from_slice(format!("\r\n{fin}\r\n").as_bytes());
    }

    fn urc(&mut self, line: &str) {
        self.deferred
            .extend_from_slice(format!("\r\n{line}\r\n").as_bytes());
    }

    fn command_line(&mut self, raw: &[u8], overlong: bool, out: &mut Vec<u8>) {
        let mut info = Vec::new();
        let r = if overlong || !raw.is_ascii() {
            Err(Fail::Error)
        } else {
            let line = String::from_utf8_lossy(raw).trim().to_string();
            if line.is_empty() {
                return;
            }
            if !line
                .get(..2)
                .is_some_and(|at| at.eq_ignore_ascii_case("AT"))
            {
                Err(Fail::Error)
            } else {
                self.run(&line[2..], &mut info)
            }
        };
        if self.body.is_some() {
            // AT+CMGS: the prompt instead of a result code.
            out.extend_from_slice(b"\r\n> ");
            return;
        }
        self.finish(info, r, out);
    }

    /// Runs the commands of one line (after `AT`).
    fn run(&mut self, mut rest: &str, info: &mut Vec<String>) -> Done {
        while let Some(c) = rest.chars().next() {
            match c.to_ascii_uppercase() {
                ' ' | ';' => rest = &rest[1..],
                '+' | '^' | '$' => {
                    let end = split_point(rest);
                    self.extended(&rest[..end], info)?;
                    rest = rest.get(end + 1..).unwrap_or("");
                    if self.body.is_some() {
                        return Ok(());
                    }
                }
                'D' => return self.dial(&rest[1..]),
                '&' => {
                    let n = 2 + digits_len(rest.get(2..).unwrap_or(""));
                    if rest.len() < 2 {
                        return Err(Fail::Error);
                    }
                    if rest.get(1..2).is_some_and(|f| f.eq_ignore_ascii_case("F")) {
                        self.reset();
                    }
                    rest = rest.get(n.min(rest.len())..).ok_or(Fail::Error)?;
                }
                'S' => {
                    // S-registers: accept and ignore (ATS0=0, ATS7?).
                    let end = rest.find(';').unwrap_or(rest.len());
                    if rest[..end].ends_with('?') {
                        info.push("000".into());
                    }
                    rest = &rest[end..];
                }
                letter @ ('E' | 'Z' | 'I' | 'H' | 'V' | 'Q' | 'X' | 'L' | 'M' | 'A' | 'O') => {
                    let n = digits_len(&rest[1..]);
                    let arg = rest[1..1 + n].parse::<u32>().unwrap_or(0);
                    rest = &rest[1 + n..];
                    self.basic(letter, arg, info)?;
                }
                _ => return Err(Fail::Error),
            }
        }
        Ok(())
    }

    fn basic(&mut self, letter: char, arg: u32, info: &mut Vec<String>) -> Done {
        match letter {
            'E' => self.echo = arg != 0,
            'Z' => self.reset(),
            'I' => {
                info.push("carrier-sim".into());
                info.push("VM-1 virtual modem".into());
                info.push(format!("Revision: {}", env!("CARGO_PKG_VERSION")));
            }
            'H' => {
                if let Some(i) = self.iccid.clone() {
                    ivr::hang_up(&self.world, &i);
                }
            }
            'A' | 'O' => return Err(Fail::Result("NO CARRIER")),
            _ => {}
        }
        Ok(())
    }

    // ------------------------------------------------------------ extended

    /// One extended command (`+NAME`, `+NAME?`, `+NAME=?`, `+NAME=args`),
    /// dispatched by family.
    fn extended(&mut self, cmd: &str, info: &mut Vec<String>) -> Done {
        let (name, op) = parse_extended(cmd)?;
        match name.as_str() {
            "+SIMSEL" => self.simsel(op, info),
            "+CGMI" | "+GMI" | "+CGMM" | "+GMM" | "+CGMR" | "+GMR" | "+CGSN" | "+GSN" | "+CIMI"
            | "+CCID" | "+QCCID" | "^ICCID" | "+CNUM" => self.identification(&name, op, info),
            "+CPIN" | "+CFUN" | "+CSQ" => self.radio(&name, op, info),
            "+CMEE" => self.set_num(op, info, "+CMEE", 2, |m| &mut m.cmee),
            "+CREG" | "+CGREG" | "+CEREG" => self.registration(&name, op, info),
            "+COPS" => self.cops(op, info),
            "+CMGF" | "+CSCA" | "+CSMP" | "+CSMS" => self.sms_settings(&name, op, info),
            "+CSCS" => self.cscs(op, info),
            "+CNMI" => self.cnmi(op, info),
            "+CPMS" => self.cpms(op, info),
            "+CMGS" => self.cmgs(op),
            "+CMGR" => self.cmgr(op, info),
            "+CMGL" => self.cmgl(op, info),
            "+CMGD" => self.cmgd(op, info),
            "+CUSD" => self.cusd(op, info),
            "+VTS" => self.vts(op),
            "+CHUP" | "+CLCC" => self.call_state(&name, info),
            "+CLAC" => {
                info.push(format!("+CLAC: {}", CLAC.join(",")));
                Ok(())
            }
            "+CLIP" | "+CRC" | "+CVHU" | "+CGDCONT" | "+CMMS" | "+CSDH" | "+CRSM" => Ok(()),
            _ => Err(Fail::Error),
        }
    }

    /// Manufacturer, model, revision, IMEI, IMSI, ICCID and own number.
    fn identification(&mut self, name: &str, op: Op, info: &mut Vec<String>) -> Done {
        match name {
            "+CGMI" | "+GMI" => simple(op, info, "carrier-sim"),
            "+CGMM" | "+GMM" => simple(op, info, "VM-1 virtual modem"),
            "+CGMR" | "+GMR" => simple(op, info, env!("CARGO_PKG_VERSION")),
            "+CGSN" | "+GSN" => {
                let card = self.card()?;
                let imei = if card.imei.is_empty() {
                    "860000000000000".into()
                } else {
                    card.imei.to_string()
                };
                simple(op, info, &imei)
            }
            "+CIMI" => {
                let card = self.card()?;
                simple(op, info, &card.imsi)
            }
            "+CNUM" => {
                let card = self.card()?;
                let num = self.enc(&card.msisdn);
                info.push(format!("+CNUM: \"\",\"{num}\",129"));
                Ok(())
            }
            // +CCID, +QCCID, ^ICCID answer under the name they were asked by.
            _ => {
                let card = self.card()?;
                match op {
                    Op::Exec | Op::Read => {
                        info.push(format!("{}: {}", name, card.iccid));
                        Ok(())
                    }
                    Op::Test => Ok(()),
                    Op::Set(_) => Err(Fail::Error),
                }
            }
        }
    }

    /// SIM PIN state, functionality level and signal quality.
    fn radio(&mut self, name: &str, op: Op, info: &mut Vec<String>) -> Done {
        match (name, op) {
            ("+CPIN", Op::Read) => {
                self.card()?;
                info.push("+CPIN: READY".into());
                Ok(())
            }
            ("+CPIN", Op::Test) => Ok(()),
            ("+CPIN", _) => {
                self.card()?;
                Err(Fail::Cme(Cme::OperationNotAllowed))
            }
            ("+CFUN", Op::Read) => {
                info.push("+CFUN: 1".into());
                Ok(())
            }
            ("+CFUN", Op::Test) => {
                info.push("+CFUN: (0,1,4),(0,1)".into());
                Ok(())
            }
            ("+CFUN", _) => Ok(()),
            // +CSQ: a fair signal while the card is on the network.
            _ => {
                let ok = self
                    .card()
                    .map(|c| access(&c) != Access::None)
                    .unwrap_or(false);
                info.push(if ok { "+CSQ: 24,99" } else { "+CSQ: 99,99" }.into());
                Ok(())
            }
        }
    }

    /// Message format, service centre, text-mode parameters, service.
    fn sms_settings(&mut self, name: &str, op: Op, info: &mut Vec<String>) -> Done {
        match name {
            "+CMGF" => {
                let mut v = self.text_mode as u8;
                let r = num_setting(op, info, "+CMGF", 1, &mut v);
                self.text_mode = v == 1;
                r
            }
            "+CSCA" => match op {
                Op::Read => {
                    let c = self.sms_card()?;
                    info.push(format!(
                        "+CSCA: \"{}\",145",
                        self.enc(codes::smsc(c.carrier))
                    ));
                    Ok(())
                }
                _ => Ok(()),
            },
            "+CSMP" => {
                if let Op::Read = op {
                    let dcs = if self.ucs2 { 8 } else { 0 };
                    info.push(format!("+CSMP: 17,167,0,{dcs}"));
                }
                Ok(())
            }
            // +CSMS
            _ => {
                if let Op::Read = op {
                    info.push("+CSMS: 0,1,1,1".into());
                }
                Ok(())
            }
        }
    }

    /// Hang up (+CHUP) or list the current call (+CLCC).
    fn call_state(&mut self, name: &str, info: &mut Vec<String>) -> Done {
        if name == "+CHUP" {
            if let Some(i) = self.iccid.clone() {
                ivr::hang_up(&self.world, &i);
            }
            return Ok(());
        }
        if let Some(call) = self
            .iccid
            .as_deref()
            .and_then(|i| ivr::current(&self.world, i))
        {
            info.push(format!(
                "+CLCC: 1,0,0,0,0,\"{}\",129",
                self.enc(&call.number)
            ));
        }
        Ok(())
    }

    fn simsel(&mut self, op: Op, info: &mut Vec<String>) -> Done {
        match op {
            Op::Read => {
                let prefix = self
                    .world_id
                    .as_ref()
                    .map(|w| format!("{w}:"))
                    .unwrap_or_default();
                info.push(format!(
                    "+SIMSEL: \"{prefix}{}\"",
                    self.iccid.clone().unwrap_or_default()
                ));
                Ok(())
            }
            Op::Test => Ok(()),
            Op::Set(a) => {
                let id = a.first().ok_or(Fail::Cme(Cme::IncorrectParameters))?;
                // `w3:<card>` is a card of world w3 (docs/modem.md); an
                // unknown world is like an unknown card: no SIM.
                let (world_id, card) = super::super::split_world(id);
                let world = match world_id {
                    None => self.home_world(),
                    Some(w) => self
                        .worlds
                        .as_ref()
                        .and_then(|d| d.world(w))
                        .map(|(world, _)| world)
                        .ok_or(Fail::Cme(Cme::SimNotInserted))?,
                };
                let iccid = world
                    .resolve(CardRef::Any(card))
                    .ok_or(Fail::Cme(Cme::SimNotInserted))?;
                if let Some(old) = self.iccid.take() {
                    ussd::end(&self.world, &old);
                    ivr::hang_up(&self.world, &old);
                }
                self.world = world;
                self.world_id = world_id.map(str::to_string);
                self.insert_card(iccid.to_string());
                Ok(())
            }
            Op::Exec => Err(Fail::Cme(Cme::IncorrectParameters)),
        }
    }

    fn set_num(
        &mut self,
        op: Op,
        info: &mut Vec<String>,
        name: &str,
        max: u8,
        field: impl Fn(&mut Modem) -> &mut u8,
    ) -> Done {
        num_setting(op, info, name, max, field(self))
    }

    fn registration(&mut self, name: &str, op: Op, info: &mut Vec<String>) -> Done {
        let eps = name == "+CEREG" || name == "+CGREG";
        match op {
            Op::Set(a) => {
                let n = a
                    .first()
                    .and_then(|s| s.parse::<u8>().ok())
                    .filter(|n| *n <= 2);
                let n = n.ok_or(Fail::Cme(Cme::IncorrectParameters))?;
                if eps {
                    self.cereg_n = n;
                } else {
                    self.creg_n = n;
                }
                Ok(())
            }
            Op::Read => {
                let card = self.card()?;
                let stat = if eps {
                    if card.data_flowing() {
                        1
                    } else {
                        3
                    }
                } else if access(&card) == Access::Full {
                    1
                } else {
                    3
                };
                let n = if eps { self.cereg_n } else { self.creg_n };
                info.push(format!("{name}: {n},{stat}"));
                Ok(())
            }
            Op::Test => {
                info.push(format!("{name}: (0-2)"));
                Ok(())
            }
            Op::Exec => Err(Fail::Error),
        }
    }

    fn cops(&mut self, op: Op, info: &mut Vec<String>) -> Done {
        match op {
            Op::Read => {
                let card = self.card()?;
                if access(&card) == Access::Full {
                    let name = codes::operator(card.carrier)[self.cops_format];
                    info.push(format!("+COPS: 0,{},\"{}\",7", self.cops_format, name));
                } else {
                    info.push("+COPS: 0".into());
                }
                Ok(())
            }
            Op::Set(a) => {
                if a.first().map(String::as_str) == Some("3") {
                    let f = a
                        .get(1)
                        .and_then(|s| s.parse::<usize>().ok())
                        .filter(|f| *f <= 2);
                    self.cops_format = f.ok_or(Fail::Cme(Cme::IncorrectParameters))?;
                }
                Ok(())
            }
            Op::Test => {
                let card = self.card()?;
                let [l, s, n] = codes::operator(card.carrier);
                info.push(format!("+COPS: (2,\"{l}\",\"{s}\",\"{n}\",7),,(0-4),(0-2)"));
                Ok(())
            }
            Op::Exec => Ok(()),
        }
    }

    fn cscs(&mut self, op: Op, info: &mut Vec<String>) -> Done {
        match op {
            Op::Read => {
                info.push(format!(
                    "+CSCS: \"{}\"",
                    if self.ucs2 { "UCS2" } else { "GSM" }
                ));
                Ok(())
            }
            Op::Test => {
                info.push("+CSCS: (\"GSM\",\"UCS2\",\"IRA\")".into());
                Ok(())
            }
            Op::Set(a) => match a.first().map(|s| s.to_ascii_uppercase()).as_deref() {
                Some("UCS2") => {
                    self.ucs2 = true;
                    Ok(())
                }
                Some("GSM") | Some("IRA") => {
                    self.ucs2 = false;
                    Ok(())
                }
                _ => Err(Fail::Cme(Cme::OperationNotSupported)),
            },
            Op::Exec => Err(Fail::Error),
        }
    }

    fn cnmi(&mut self, op: Op, info: &mut Vec<String>) -> Done {
        match op {
            Op::Read => {
                info.push(format!("+CNMI: 2,{},0,0,0", self.cnmi_mt));
                Ok(())
            }
            Op::Test => {
                info.push("+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)".into());
                Ok(())
            }
            Op::Set(a) => {
                if let Some(mt) = a.get(1) {
                    let mt = mt.parse::<u8>().ok().filter(|v| *v <= 3);
                    self.cnmi_mt = mt.ok_or(Fail::Cms(Cms::OperationNotSupported))?;
                }
                Ok(())
            }
            Op::Exec => Ok(()),
        }
    }

    fn cpms(&mut self, op: Op, info: &mut Vec<String>) -> Done {
        let used = self.store.iter().filter(|s| s.is_some()).count();
        let total = STORE_SIZE;
        match op {
            Op::Test => {
                info.push("+CPMS: (\"ME\",\"SM\"),(\"ME\",\"SM\"),(\"ME\",\"SM\")".into());
                Ok(())
            }
            Op::Read => {
                info.push(format!(
                    "+CPMS: \"ME\",{used},{total},\"ME\",{used},{total},\"ME\",{used},{total}"
                ));
                Ok(())
            }
            Op::Set(a) => {
                if a.is_empty()
                    || a.iter()
                        .any(|m| !matches!(m.to_ascii_uppercase().as_str(), "ME" | "SM" | "MT"))
                {
                    return Err(Fail::Cms(Cms::OperationNotAllowed));
                }
                info.push(format!(
                    "+CPMS: {used},{total},{used},{total},{used},{total}"
                ));
                Ok(())
            }
            Op::Exec => Err(Fail::Error),
        }
    }

    // ----------------------------------------------------------------- SMS

    fn cmgs(&mut self, op: Op) -> Done {
        let Op::Set(a) = op else {
            return if let Op::Test = op {
                Ok(())
            } else {
                Err(Fail::Error)
            };
        };
        self.sms_card()?;
        let first = a.first().cloned().unwrap_or_default();
        let body = if self.text_mode {
            let to = self
                .dec(&first)
                .ok_or(Fail::Cms(Cms::InvalidTextParameter))?;
            if to.is_empty() {
                return Err(Fail::Cms(Cms::InvalidTextParameter));
            }
            Body::Text { to }
        } else {
            let len = first
                .parse::<usize>()
                .ok()
                .filter(|l| (7..=176).contains(l))
                .ok_or(Fail::Cms(Cms::InvalidPduParameter))?;
            Body::Pdu { len }
        };
        self.body = Some((body, Vec::new(), false));
        Ok(())
    }

    fn send_body(&mut self, kind: Body, buf: &[u8]) -> Done {
        let iccid = self.sms_card()?.iccid.to_string();
        match kind {
            Body::Text { to } => {
                let raw = String::from_utf8_lossy(buf).into_owned();
                let text = self.dec(&raw).ok_or(Fail::Cms(Cms::InvalidTextParameter))?;
                self.submit(&iccid, &to, &text)
            }
            Body::Pdu { len } => {
                let hex_text = String::from_utf8_lossy(buf).replace([' ', '\n'], "");
                let s = pdu::parse_submit(&hex_text, len)
                    .map_err(|_| Fail::Cms(Cms::InvalidPduParameter))?;
                if s.destination.is_empty() {
                    return Err(Fail::Cms(Cms::InvalidPduParameter));
                }
                match s.concat {
                    None => self.submit(&iccid, &s.destination, &s.text),
                    Some((r, total, seq)) => {
                        if total == 0 || seq == 0 || seq > total {
                            return Err(Fail::Cms(Cms::InvalidPduParameter));
                        }
                        let key = (s.destination.clone(), r);
                        let parts = self
                            .partial
                            .entry(key.clone())
                            .or_insert_with(|| vec![None; total as usize]);
                        if parts.len() != total as usize {
                            *parts = vec![None; total as usize];
                        }
                        parts[seq as usize - 1] = Some(s.text);
                        if parts.iter().all(Option::is_some) {
                            let text: String = self
                                .partial
                                .remove(&key)
                                .unwrap_or_default()
                                .into_iter()
                                .flatten()
                                .collect();
                            self.submit(&iccid, &s.destination, &text)
                        } else {
                            Ok(())
                        }
                    }
                }
            }
        }
    }

    fn submit(&mut self, iccid: &str, to: &str, text: &str) -> Done {
        sms::send_sms(&self.world, iccid, to, text)
            .map(|_| ())
            .map_err(|e| {
                Fail::Cms(match e {
                    SendError::NotFound => Cms::SimNotInserted,
                    SendError::OffNetwork(_) => Cms::NoNetworkService,
                    SendError::Barred(_) | SendError::SmsDisabled => Cms::CallBarred,
                    SendError::NoDestination => Cms::InvalidTextParameter,
                })
            })
    }

    fn index_arg(&self, a: &[String]) -> Result<usize, Fail> {
        a.first()
            .and_then(|s| s.parse::<usize>().ok())
            .filter(|i| (1..=STORE_SIZE).contains(i))
            .ok_or(Fail::Cms(Cms::InvalidMemoryIndex))
    }

    fn cmgr(&mut self, op: Op, info: &mut Vec<String>) -> Done {
        let Op::Set(a) = op else {
            return if let Op::Test = op {
                Ok(())
            } else {
                Err(Fail::Error)
            };
        };
        let card = self.sms_card()?;
        let i = self.index_arg(&a)?;
        let Some(s) = self.store[i - 1].clone() else {
            return Err(Fail::Cms(Cms::InvalidMemoryIndex));
        };
        let lines = self.render(&card, &s, None);
        info.extend(lines);
        self.mark_read(i);
        Ok(())
    }

    fn cmgl(&mut self, op: Op, info: &mut Vec<String>) -> Done {
        let arg = match &op {
            Op::Set(a) => a.first().cloned(),
            Op::Exec => None,
            Op::Test => {
                info.push(if self.text_mode {
                    "+CMGL: (\"REC UNREAD\",\"REC READ\",\"STO UNSENT\",\"STO SENT\",\"ALL\")"
                        .into()
                } else {
                    "+CMGL: (0-4)".into()
                });
                return Ok(());
            }
            Op::Read => return Err(Fail::Error),
        };
        let card = self.sms_card()?;
        // Which read states to list: (unread, read).
        let want = if self.text_mode {
            match arg.map(|s| s.to_ascii_uppercase()).as_deref() {
                None | Some("REC UNREAD") => (true, false),
                Some("REC READ") => (false, true),
                Some("ALL") => (true, true),
                Some("STO UNSENT") | Some("STO SENT") => (false, false),
                _ => return Err(Fail::Cms(Cms::InvalidTextParameter)),
            }
        } else {
            match arg.as_deref() {
                None | Some("0") => (true, false),
                Some("1") => (false, true),
                Some("4") => (true, true),
                Some("2") | Some("3") => (false, false),
                _ => return Err(Fail::Cms(Cms::InvalidPduParameter)),
            }
        };
        for i in 1..=STORE_SIZE {
            let Some(s) = self.store[i - 1].clone() else {
                continue;
            };
            if (s.read && want.1) || (!s.read && want.0) {
                info.extend(self.render(&card, &s, Some(i)));
                self.mark_read(i);
            }
        }
        Ok(())
    }

    fn cmgd(&mut self, op: Op, _info: &mut Vec<String>) -> Done {
        let Op::Set(a) = op else {
            return if let Op::Test = op {
                Ok(())
            } else {
                Err(Fail::Error)
            };
        };
        self.sms_card()?;
        let flag = a.get(1).map(|s| s.parse::<u8>().ok().filter(|f| *f <= 4));
        let flag = match flag {
            None => 0,
            Some(Some(f)) => f,
            Some(None) => return Err(Fail::Cms(Cms::OperationNotAllowed)),
        };
        if flag == 0 {
            let i = self.index_arg(&a)?;
            self.store[i - 1] = None;
        } else {
            for slot in self.store.iter_mut() {
                if slot.as_ref().is_some_and(|s| s.read || flag == 4) {
                    *slot = None;
                }
            }
        }
        Ok(())
    }

    fn mark_read(&mut self, i: usize) {
        let Some(s) = self.store[i - 1].as_mut() else {
            return;
        };
        if s.read {
            return;
        }
        s.read = true;
        let id = s.msg_id;
        if let Some(iccid) = self.iccid.clone() {
            let _ = self.world.mark_read(&iccid, id);
        }
    }

    /// `+CMGR`/`+CMGL`/`+CMT` lines of a stored part.
    fn render(&self, card: &Card, s: &Stored, index: Option<usize>) -> Vec<String> {
        let prefix = match index {
            Some(i) => format!("+CMGL: {i},"),
            None => "+CMGR: ".into(),
        };
        if self.text_mode {
            let stat = if s.read { "REC READ" } else { "REC UNREAD" };
            vec![
                format!(
                    "{prefix}\"{stat}\",\"{}\",,\"{}\"",
                    self.enc(&s.from),
                    text_time(s.time)
                ),
                self.enc(&s.seg.text),
            ]
        } else {
            let (hex, len) =
                pdu::deliver(codes::smsc(card.carrier), &s.from, &scts(s.time), &s.seg);
            vec![
                format!("{prefix}{},,{len}", if s.read { 1 } else { 0 }),
                hex,
            ]
        }
    }

    /// A message reached the card (from the world's feed): the unsolicited
    /// results to show, one per stored part (`serve` paces them).
    pub fn notice(&mut self, n: &MessageNotice) -> Vec<(Duration, Vec<u8>)> {
        let mut urcs = Vec::new();
        if self.iccid.as_deref() != Some(n.iccid.as_str()) || n.message.direction != "mt" {
            return urcs;
        }
        let Ok(card) = self.card() else { return urcs };
        for (seg, time, wait) in self.parts_of(&card, &n.message) {
            let stored = Stored {
                msg_id: n.message.id,
                from: n.message.peer.to_string(),
                time,
                seg,
                read: false,
            };
            let line = if self.cnmi_mt == 2 {
                let lines = self.render(&card, &stored, None);
                let head = if self.text_mode {
                    format!(
                        "+CMT: \"{}\",,\"{}\"",
                        self.enc(&stored.from),
                        text_time(stored.time)
                    )
                } else {
                    lines[0].replace("+CMGR: 0,", "+CMT: ")
                };
                Some(format!("{head}\r\n{}", lines[1]))
            } else {
                match self.put(stored) {
                    Some(i) if self.cnmi_mt != 0 => Some(format!("+CMTI: \"ME\",{i}")),
                    _ => None,
                }
            };
            if let Some(l) = line {
                urcs.push((wait, format!("\r\n{l}\r\n").into_bytes()));
            }
        }
        urcs
    }

    /// Whether the terminal is in the middle of a command or an SMS body
    /// (unsolicited results wait).
    pub fn busy(&self) -> bool {
        self.body.is_some() || !self.line.is_empty()
    }

    // ---------------------------------------------------------- USSD, voice

    fn cusd(&mut self, op: Op, info: &mut Vec<String>) -> Done {
        let a = match op {
            Op::Read => {
                info.push("+CUSD: 1".into());
                return Ok(());
            }
            Op::Test => {
                info.push("+CUSD: (0-2)".into());
                return Ok(());
            }
            Op::Exec => return Ok(()),
            Op::Set(a) => a,
        };
        let card = self.card()?;
        let n = a.first().map(String::as_str).unwrap_or("0");
        if n == "2" {
            ussd::end(&self.world, &card.iccid);
            return Ok(());
        }
        if !matches!(n, "0" | "1") {
            return Err(Fail::Cme(Cme::IncorrectParameters));
        }
        let Some(raw) = a.get(1) else { return Ok(()) };
        let s = self.dec(raw).ok_or(Fail::Cme(Cme::IncorrectParameters))?;
        if access(&card) == Access::None {
            return Err(Fail::Cme(Cme::NoNetworkService));
        }
        let is_code = s.trim_start().starts_with(['*', '#']);
        let r = if is_code {
            ussd::begin(&self.world, &card.iccid, &s)
        } else {
            ussd::answer(&self.world, &card.iccid, &s)
        };
        let line = match r {
            Ok(rep) => {
                let m = if rep.more { 1 } else { 0 };
                if self.ucs2 {
                    format!(
                        "+CUSD: {m},\"{}\",72",
                        pdu::to_hex(&pdu::ucs2_encode(&rep.text))
                    )
                } else {
                    format!("+CUSD: {m},\"{}\",15", rep.text)
                }
            }
            Err(UssdError::UnknownCode(_)) => "+CUSD: 4".into(),
            Err(UssdError::NoSession) => "+CUSD: 2".into(),
            Err(UssdError::OffNetwork) => return Err(Fail::Cme(Cme::NoNetworkService)),
            Err(UssdError::NotFound) => return Err(Fail::Cme(Cme::SimNotInserted)),
        };
        self.urc(&line);
        Ok(())
    }

    fn dial(&mut self, s: &str) -> Done {
        let card = self.card()?;
        let s = s.trim();
        let Some(number) = s.strip_suffix(';') else {
            return Err(Fail::Result("NO CARRIER"));
        };
        let number: String = number.chars().filter(|c| !c.is_whitespace()).collect();
        match ivr::dial(&self.world, &card.iccid, &number) {
            Ok(prompts) => {
                for p in prompts {
                    self.prompt(&p);
                }
                Ok(())
            }
            Err(CallError::NoAnswer(_)) => Err(Fail::Result("NO ANSWER")),
            Err(CallError::NotFound) => Err(Fail::Cme(Cme::SimNotInserted)),
            Err(_) => Err(Fail::Result("NO CARRIER")),
        }
    }

    fn vts(&mut self, op: Op) -> Done {
        let Op::Set(a) = op else {
            return if let Op::Test = op {
                Ok(())
            } else {
                Err(Fail::Error)
            };
        };
        let card = self.card()?;
        let digits: String = a.concat();
        match ivr::dtmf(&self.world, &card.iccid, &digits) {
            Ok(prompts) => {
                for p in prompts {
                    self.prompt(&p);
                }
                Ok(())
            }
            Err(CallError::BadDigit(_)) => Err(Fail::Cme(Cme::IncorrectParameters)),
            Err(_) => Err(Fail::Cme(Cme::OperationNotAllowed)),
        }
    }

    fn prompt(&mut self, text: &str) {
        let t = self.enc(text);
        self.urc(&format!("+SIMIVR: \"{t}\""));
    }

    // ------------------------------------------------------------- charset

    /// A string parameter as the TE charset shows it.
    fn enc(&self, text: &str) -> String {
        if self.ucs2 {
            pdu::to_hex(&pdu::ucs2_encode(text))
        } else {
            text.to_string()
        }
    }

    /// A string parameter from the TE charset (`None` = bad UCS2 hex).
    fn dec(&self, text: &str) -> Option<String> {
        if !self.ucs2 {
            return Some(text.to_string());
        }
        let t = text.trim();
        let bytes = hex::decode(t).ok().filter(|b| b.len() % 2 == 0)?;
        Some(pdu::ucs2_decode(&bytes))
    }
}

/// Commands listed by `AT+CLAC`.
const CLAC: &[&str] = &[
    "+CGMI", "+CGMM", "+CGMR", "+CGSN", "+CIMI", "+CCID", "+QCCID", "+CNUM", "+CPIN", "+CFUN",
    "+CMEE", "+CREG", "+CGREG", "+CEREG", "+CSQ", "+COPS", "+CMGF", "+CSCS", "+CNMI", "+CSCA",
    "+CSMP", "+CSMS", "+CPMS", "+CMGS", "+CMGR", "+CMGL", "+CMGD", "+CUSD", "+VTS", "+CHUP",
    "+CLCC", "+CLIP", "+CRC", "+CVHU", "+SIMSEL",
];

enum Op {
    Exec,
    Read,
    Test,
    Set(Vec<String>),
}

/// Splits an extended command into its upper-cased name and operation.
fn parse_extended(cmd: &str) -> Result<(String, Op), Fail> {
    let name_end = cmd.find(['=', '?']).unwrap_or(cmd.len());
    let name = cmd[..name_end].to_ascii_uppercase();
    let tail = &cmd[name_end..];
    let op = if tail == "=?" {
        Op::Test
    } else if tail == "?" {
        Op::Read
    } else if let Some(a) = tail.strip_prefix('=') {
        Op::Set(parse_args(a).ok_or(Fail::Error)?)
    } else if tail.is_empty() {
        Op::Exec
    } else {
        return Err(Fail::Error);
    };
    Ok((name, op))
}

fn simple(op: Op, info: &mut Vec<String>, value: &str) -> Done {
    match op {
        Op::Exec => {
            info.push(value.to_string());
            Ok(())
        }
        Op::Test => Ok(()),
        _ => Err(Fail::Error),
    }
}

fn num_setting(op: Op, info: &mut Vec<String>, name: &str, max: u8, v: &mut u8) -> Done {
    match op {
        Op::Read => {
            info.push(format!("{name}: {v}"));
            Ok(())
        }
        Op::Test => {
            info.push(format!("{name}: (0-{max})"));
            Ok(())
        }
        Op::Set(a) => {
            let n = a
                .first()
                .and_then(|s| s.parse::<u8>().ok())
                .filter(|n| *n <= max);
            *v = n.ok_or(Fail::Cme(Cme::IncorrectParameters))?;
            Ok(())
        }
        Op::Exec => Err(Fail::Error),
    }
}

/// Where an extended command ends: the first `;` outside quotes.
fn split_point(s: &str) -> usize {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ';' if !quoted => return i,
            _ => {}
        }
    }
    s.len()
}

fn digits_len(s: &str) -> usize {
    s.chars().take_while(char::is_ascii_digit).count()
}

/// Comma-separated parameters; quotes removed. `None` on an open quote.
fn parse_args(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in s.chars() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut cur).trim().to_string()),
            _ => cur.push(c),
        }
    }
    if quoted {
        return None;
    }
    out.push(cur.trim().to_string());
    Some(out)
}

fn scts(ts: Timestamp) -> Scts {
    let t = local(ts);
    Scts {
        year: (t.year() % 100) as u8,
        month: t.month() as u8,
        day: t.day() as u8,
        hour: t.hour() as u8,
        minute: t.minute() as u8,
        second: t.second() as u8,
        quarters: 32,
    }
}

/// Text-mode time: `yy/MM/dd,hh:mm:ss+32`.
fn text_time(ts: Timestamp) -> String {
    format!("{}+32", crate::clock::fmt_local(ts, "%y/%m/%d,%H:%M:%S"))
}

/// Pause after an unsolicited result before the next one, and after the
/// terminal's last input: clients handle one `+CMTI` at a time (reading the
/// part with `AT+CMGR`), as parts arrive apart on a real network.
const URC_GAP: Duration = Duration::from_millis(300);
const INPUT_QUIET: Duration = Duration::from_millis(100);

/// Runs a modem over a byte stream until it closes or shutdown is asked.
pub async fn serve<S>(
    world: Arc<World>,
    stream: S,
    iccid: Option<String>,
    shutdown: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    serve_modem(Modem::new(world, iccid), stream, shutdown).await
}

/// Runs a modem already made (e.g. one that may select worlds on demand)
/// over a byte stream until it closes or shutdown is asked.
pub async fn serve_modem<S>(mut modem: Modem, mut stream: S, mut shutdown: watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut feed_world = modem.world().clone();
    let mut feed = feed_world.messages.subscribe();
    let mut buf = [0u8; 1024];
    // Unsolicited results waiting, each with the instant it may go out
    // (parts paced in real time when the fixture asks for real delays).
    let mut pending: VecDeque<(Instant, Vec<u8>)> = VecDeque::new();
    let mut hold = Instant::now();
    loop {
        let out = tokio::select! {
            r = stream.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    hold = hold.max(Instant::now() + INPUT_QUIET);
                    modem.feed(&buf[..n])
                }
            },
            n = feed.recv() => match n {
                Ok(n) => {
                    let at = Instant::now();
                    pending.extend(modem.notice(&n).into_iter().map(|(wait, urc)| (at + wait, urc)));
                    continue;
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = tokio::time::sleep_until(pending.front().map_or(hold, |(due, _)| hold.max(*due))), if !pending.is_empty() => {
                if modem.busy() {
                    hold = Instant::now() + INPUT_QUIET;
                    continue;
                }
                hold = Instant::now() + URC_GAP;
                pending.pop_front().map(|(_, urc)| urc).unwrap_or_default()
            },
            _ = shutdown.wait_for(|v| *v) => break,
        };
        if !Arc::ptr_eq(&feed_world, modem.world()) {
            // AT+SIMSEL moved to another world: listen to its messages.
            feed_world = modem.world().clone();
            feed = feed_world.messages.subscribe();
            pending.clear();
        }
        if !out.is_empty() && stream.write_all(&out).await.is_err() {
            break;
        }
    }
}
