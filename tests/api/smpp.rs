//! Black-box tests of the SMPP 3.4 SMSC over real TCP: binds and their
//! errors, every PDU's success and error paths, data codings and the three
//! kinds of long message, delivery receipts (including the suspended-card
//! path on the simulated clock), the MO path to short codes, window and
//! throughput limits, faults, the journal, and malformed input.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use carrier_sim::devices::smpp::pdu::{
    self, Address, CancelSm, DataSm, Dest, Pdu, QuerySm, ReplaceSm, Sm, SubmitMulti, Tlv,
};
use carrier_sim::Simulator;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::admin::Admin;
use crate::common::devices::device_ports;

// Command ids and statuses as SMPP 3.4 numbers them (written out here, not
// taken from the crate, so the test checks the wire values).
const GENERIC_NACK: u32 = 0x8000_0000;
const BIND_RECEIVER: u32 = 0x01;
const BIND_TRANSMITTER: u32 = 0x02;
const QUERY_SM: u32 = 0x03;
const SUBMIT_SM: u32 = 0x04;
const DELIVER_SM: u32 = 0x05;
const UNBIND: u32 = 0x06;
const REPLACE_SM: u32 = 0x07;
const CANCEL_SM: u32 = 0x08;
const BIND_TRANSCEIVER: u32 = 0x09;
const ENQUIRE_LINK: u32 = 0x15;
const SUBMIT_MULTI: u32 = 0x21;
const DATA_SM: u32 = 0x103;
const RESP: u32 = 0x8000_0000;

const ROK: u32 = 0x00;
const RINVCMDLEN: u32 = 0x02;
const RINVCMDID: u32 = 0x03;
const RINVBNDSTS: u32 = 0x04;
const RALYBND: u32 = 0x05;
const RINVSRCADR: u32 = 0x0A;
const RINVDSTADR: u32 = 0x0B;
const RINVMSGID: u32 = 0x0C;
const RBINDFAIL: u32 = 0x0D;
const RINVPASWD: u32 = 0x0E;
const RINVSYSID: u32 = 0x0F;
const RCANCELFAIL: u32 = 0x11;
const RMSGQFUL: u32 = 0x14;
const RINVDLNAME: u32 = 0x34;
const RTHROTTLED: u32 = 0x58;
const RINVEXPIRY: u32 = 0x62;
const RINVOPTPARSTREAM: u32 = 0xC0;

const WAIT: Duration = Duration::from_secs(10);

async fn sim_with(extra: &str) -> Simulator {
    let fx = format!(
        "{}\n{}\n",
        include_str!("../../fixtures/default.toml"),
        extra
    );
    Simulator::builder()
        .fixture_str(&fx)
        .settings(device_ports(false, true))
        .start()
        .await
}

async fn sim() -> Simulator {
    sim_with("").await
}

fn smpp_addr(sim: &Simulator) -> SocketAddr {
    carrier_sim::devices::smpp::bound_addr(sim.world()).expect("SMSC bound")
}

/// A minimal ESME.
struct Esme {
    sock: TcpStream,
    buf: BytesMut,
    seq: u32,
    /// deliver_sm that arrived while waiting for something else.
    delivered: Vec<Sm>,
}

impl Esme {
    async fn connect(sim: &Simulator) -> Esme {
        let sock = TcpStream::connect(smpp_addr(sim)).await.unwrap();
        sock.set_nodelay(true).unwrap();
        Esme {
            sock,
            buf: BytesMut::new(),
            seq: 0,
            delivered: Vec::new(),
        }
    }

    async fn bound(sim: &Simulator, cmd: u32, system_id: &str) -> Esme {
        let mut e = Esme::connect(sim).await;
        assert_eq!(e.bind(cmd, system_id, "smpp1234").await, ROK);
        e
    }

    async fn send(&mut self, command_id: u32, body: Vec<u8>) -> u32 {
        self.seq += 1;
        let p = Pdu::new(command_id, 0, self.seq, body);
        self.sock.write_all(&p.encode()).await.unwrap();
        self.seq
    }

    /// The next PDU, or None at EOF.
    async fn recv(&mut self) -> Option<Pdu> {
        loop {
            if let Some(p) = pdu::frame(&mut self.buf).expect("the SMSC frames correctly") {
                return Some(p);
            }
            let n = tokio::time::timeout(WAIT, self.sock.read_buf(&mut self.buf))
                .await
                .expect("timed out waiting for the SMSC")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
        }
    }

    /// The response to `seq` (deliver_sm on the way are acknowledged and kept).
    async fn response(&mut self, seq: u32) -> Pdu {
        loop {
            let p = self.recv().await.expect("connection closed");
            if p.command_id == DELIVER_SM {
                self.ack(&p).await;
                continue;
            }
            if p.sequence == seq {
                return p;
            }
        }
    }

    async fn ack(&mut self, p: &Pdu) {
        self.delivered
            .push(Sm::parse(&p.body).expect("deliver_sm parses"));
        let r = Pdu::new(DELIVER_SM | RESP, 0, p.sequence, vec![0]);
        self.sock.write_all(&r.encode()).await.unwrap();
    }

    async fn call(&mut self, command_id: u32, body: Vec<u8>) -> Pdu {
        let seq = self.send(command_id, body).await;
        let r = self.response(seq).await;
        assert!(
            r.command_id == command_id | RESP || r.command_id == GENERIC_NACK,
            "unexpected response {:#x}",
            r.command_id
        );
        r
    }

    async fn bind(&mut self, command_id: u32, system_id: &str, password: &str) -> u32 {
        let mut body = Vec::new();
        for s in [system_id, password, "test"] {
            body.extend_from_slice(s.as_bytes());
            body.push(0);
        }
        body.extend_from_slice(&[0x34, 0, 0, 0]);
        self.call(command_id, body).await.status
    }

    /// The next deliver_sm (acknowledged).
    async fn deliver(&mut self) -> Sm {
        if !self.delivered.is_empty() {
            return self.delivered.remove(0);
        }
        loop {
            let p = self.recv().await.expect("connection closed");
            if p.command_id == DELIVER_SM {
                self.ack(&p).await;
                return self.delivered.remove(0);
            }
        }
    }

    async fn submit(&mut self, sm: &Sm) -> Pdu {
        self.call(SUBMIT_SM, sm.encode()).await
    }
}

fn message_id(p: &Pdu) -> String {
    let nul = p.body.iter().position(|&b| b == 0).unwrap();
    String::from_utf8(p.body[..nul].to_vec()).unwrap()
}

fn sm_to(dest: &str, text: &str) -> Sm {
    Sm {
        source: Address::new("1065000000"),
        dest: Address::new(dest),
        short_message: text.as_bytes().to_vec(),
        ..Default::default()
    }
}

fn tlv(sm: &Sm, tag: u16) -> Option<Vec<u8>> {
    sm.tlvs
        .iter()
        .find(|t| t.tag == tag)
        .map(|t| t.value.clone())
}

fn card(sim: &Simulator, carrier: &str, tag: &str) -> (String, String) {
    let c = sim.cards().by_tag(carrier, tag).expect("fixture card");
    (c.iccid.to_string(), c.msisdn.to_string())
}

fn inbox(sim: &Simulator, iccid: &str) -> Vec<(String, String)> {
    sim.world()
        .card(iccid)
        .unwrap()
        .inbox
        .iter()
        .map(|m| (m.peer.to_string(), m.text.clone()))
        .collect()
}

fn receipt_text(sm: &Sm) -> String {
    assert_eq!(sm.esm_class & 0x3C, 0x04, "a delivery receipt");
    String::from_utf8(sm.short_message.clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn bind_errors_and_states() {
    let sim = sim_with("[dialects.smpp.accounts.cucc-demo]\nmax_binds = 1").await;
    let mut e = Esme::connect(&sim).await;
    assert_eq!(e.call(ENQUIRE_LINK, vec![]).await.status, ROK);
    assert_eq!(
        e.call(SUBMIT_SM, sm_to("1", "x").encode()).await.status,
        RINVBNDSTS
    );
    assert_eq!(e.call(UNBIND, vec![]).await.status, RINVBNDSTS);
    assert_eq!(
        e.bind(BIND_TRANSMITTER, "cmccesme", "wrong").await,
        RINVPASWD
    );
    assert_eq!(
        e.bind(BIND_TRANSMITTER, "nobody", "smpp1234").await,
        RINVSYSID
    );
    assert_eq!(e.bind(BIND_TRANSMITTER, "cmccesme", "smpp1234").await, ROK);
    assert_eq!(
        e.bind(BIND_TRANSCEIVER, "cmccesme", "smpp1234").await,
        RALYBND
    );
    // The bind response names the SMSC.
    let r = e.call(UNBIND, vec![]).await;
    assert_eq!((r.command_id, r.status), (UNBIND | RESP, ROK));
    assert!(e.recv().await.is_none(), "closed after unbind_resp");

    // A receiver may not submit.
    let mut rx = Esme::bound(&sim, BIND_RECEIVER, "cmccesme").await;
    let (_, msisdn) = card(&sim, "cmcc", "normal");
    assert_eq!(rx.submit(&sm_to(&msisdn, "x")).await.status, RINVBNDSTS);

    // max_binds = 1 for cucc-demo: a second session is refused.
    let _first = Esme::bound(&sim, BIND_TRANSCEIVER, "cuccesme").await;
    let mut second = Esme::connect(&sim).await;
    assert_eq!(
        second.bind(BIND_TRANSMITTER, "cuccesme", "smpp1234").await,
        RBINDFAIL
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bind_resp_carries_system_id() {
    let sim = sim().await;
    let mut e = Esme::connect(&sim).await;
    let mut body = b"ctccesme\0smpp1234\0\0".to_vec();
    body.extend_from_slice(&[0x34, 0, 0, 0]);
    let r = e.call(BIND_TRANSCEIVER, body).await;
    assert_eq!((r.command_id, r.status), (BIND_TRANSCEIVER | RESP, ROK));
    assert!(r.body.starts_with(b"carrier-sim\0"));
    // sc_interface_version 0x34.
    assert!(r.body.ends_with(&[0x02, 0x10, 0x00, 0x01, 0x34]));
}

#[tokio::test(flavor = "multi_thread")]
async fn submit_sm_reaches_the_card_with_receipts_and_query() {
    let sim = sim().await;
    let (iccid, msisdn) = card(&sim, "cmcc", "normal");
    let mut e = Esme::bound(&sim, BIND_TRANSCEIVER, "cmccesme").await;
    let mut sm = sm_to(&format!("86{msisdn}"), "CFG:APN=cmiot");
    sm.registered_delivery = 1;
    let r = e.submit(&sm).await;
    assert_eq!(r.status, ROK);
    let id = message_id(&r);
    assert!(!id.is_empty());
    assert!(inbox(&sim, &iccid).contains(&("1065000000".into(), "CFG:APN=cmiot".into())));

    let receipt = e.deliver().await;
    let text = receipt_text(&receipt);
    assert!(text.starts_with(&format!("id:{id} sub:001 dlvrd:001 submit date:")));
    assert!(text.contains(" stat:DELIVRD err:000 text:CFG:APN=cmiot"));
    assert_eq!(receipt.source.addr, msisdn);
    assert_eq!(receipt.dest.addr, "1065000000");
    let mut want_id = id.as_bytes().to_vec();
    want_id.push(0);
    assert_eq!(tlv(&receipt, 0x001E), Some(want_id));
    assert_eq!(tlv(&receipt, 0x0427), Some(vec![2]));

    // query_sm: DELIVERED with a final date.
    let q = QuerySm {
        message_id: id.clone(),
        source: Address::new("1065000000"),
    };
    let r = e.call(QUERY_SM, q.encode()).await;
    assert_eq!(r.status, ROK);
    assert!(r.body.starts_with(format!("{id}\0").as_bytes()));
    assert_eq!(r.body[r.body.len() - 2], 2, "message_state DELIVERED");
    // cancel after delivery fails; an unknown id is RINVMSGID.
    let c = CancelSm {
        message_id: id.clone(),
        dest: Address::new(&msisdn),
        ..Default::default()
    };
    assert_eq!(e.call(CANCEL_SM, c.encode()).await.status, RCANCELFAIL);
    let q = QuerySm {
        message_id: "999999999".into(),
        ..Default::default()
    };
    assert_eq!(e.call(QUERY_SM, q.encode()).await.status, RINVMSGID);

    // Without 86, and with a short code extension.
    let mut sm = sm_to(&msisdn, "two");
    sm.source = Address::new("1065000000123");
    assert_eq!(e.submit(&sm).await.status, ROK);
    assert!(inbox(&sim, &iccid).contains(&("1065000000123".into(), "two".into())));

    // Unknown number, foreign source address, bad validity.
    assert_eq!(
        e.submit(&sm_to("13999999999", "x")).await.status,
        RINVDSTADR
    );
    assert_eq!(
        e.submit(&sm_to("not-a-number", "x")).await.status,
        RINVDSTADR
    );
    let mut sm = sm_to(&msisdn, "x");
    sm.source = Address::new("1065000004");
    assert_eq!(e.submit(&sm).await.status, RINVSRCADR);
    let mut sm = sm_to(&msisdn, "x");
    sm.validity_period = "tomorrow".into();
    assert_eq!(e.submit(&sm).await.status, RINVEXPIRY);

    // Every exchange is journaled and counted.
    let journal = sim.requests().all();
    assert!(journal
        .iter()
        .any(|r| r.path == "/smpp/submit_sm" && r.method == "SMPP" && r.status == 0));
    assert!(journal
        .iter()
        .any(|r| r.path == "/smpp/submit_sm" && r.status == RINVDSTADR as u16));
    assert!(journal.iter().any(|r| r.path == "/smpp/deliver_sm"));
    let (_, metrics) = Admin::new(&sim)
        .raw(reqwest::Method::GET, "/_sim/metrics", None)
        .await;
    assert!(metrics.contains("/smpp/submit_sm"));
}

#[tokio::test(flavor = "multi_thread")]
async fn data_codings_decode_for_the_card() {
    let sim = sim().await;
    let (iccid, msisdn) = card(&sim, "ctcc", "normal");
    let mut e = Esme::bound(&sim, BIND_TRANSMITTER, "ctccesme").await;
    // GSM 7-bit default alphabet, unpacked: '@' is 0x00, '€' is ESC 0x65.
    let mut sm = sm_to(&msisdn, "");
    sm.source = Address::new("1065000004");
    sm.short_message = vec![0x00, 0x41, 0x1B, 0x65, 0x11];
    assert_eq!(e.submit(&sm).await.status, ROK);
    sm.data_coding = 3;
    sm.short_message = vec![b'c', b'a', b'f', 0xE9];
    assert_eq!(e.submit(&sm).await.status, ROK);
    sm.data_coding = 8;
    sm.short_message = vec![0x8B, 0xBE, 0x59, 0x07, 0x91, 0xCD, 0x54, 0x2F];
    assert_eq!(e.submit(&sm).await.status, ROK);
    let texts: Vec<String> = inbox(&sim, &iccid).into_iter().map(|(_, t)| t).collect();
    for want in ["@A€_", "café", "设备重启"] {
        assert!(texts.iter().any(|t| t == want), "{want} in {texts:?}");
    }
}

fn ucs2(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn long_messages_are_reassembled() {
    let sim = sim().await;
    let (iccid, msisdn) = card(&sim, "cucc", "normal");
    let mut e = Esme::bound(&sim, BIND_TRANSCEIVER, "cuccesme").await;
    let base = || {
        let mut sm = sm_to(&msisdn, "");
        sm.source = Address::new("1065000002");
        sm
    };
    // UDH, 8-bit reference, UCS2, parts out of order.
    for (seq, text) in [(2u8, "第二部分"), (1, "第一部分，")] {
        let mut sm = base();
        sm.esm_class = 0x40;
        sm.data_coding = 8;
        sm.short_message = [vec![5, 0, 3, 0x17, 2, seq], ucs2(text)].concat();
        assert_eq!(e.submit(&sm).await.status, ROK);
    }
    // UDH, 16-bit reference, GSM 7-bit.
    for (seq, text) in [(1u8, "Hello "), (2, "world")] {
        let mut sm = base();
        sm.esm_class = 0x40;
        sm.short_message = [vec![6, 8, 4, 0x01, 0x02, 2, seq], text.as_bytes().to_vec()].concat();
        assert_eq!(e.submit(&sm).await.status, ROK);
    }
    // sar_* TLVs, three parts.
    for (seq, text) in [(1u8, "A-"), (3, "C"), (2, "B-")] {
        let mut sm = base();
        sm.short_message = text.as_bytes().to_vec();
        sm.tlvs = vec![
            Tlv {
                tag: 0x020C,
                value: vec![0, 9],
            },
            Tlv {
                tag: 0x020E,
                value: vec![3],
            },
            Tlv {
                tag: 0x020F,
                value: vec![seq],
            },
        ];
        assert_eq!(e.submit(&sm).await.status, ROK);
    }
    // message_payload, 300 UCS2 characters in one submit_sm.
    let long: String = "长".repeat(300);
    let mut sm = base();
    sm.data_coding = 8;
    sm.tlvs = vec![Tlv {
        tag: 0x0424,
        value: ucs2(&long),
    }];
    assert_eq!(e.submit(&sm).await.status, ROK);
    // data_sm carries its text in message_payload too.
    let d = DataSm {
        source: Address::new("1065000002"),
        dest: Address::new(&msisdn),
        tlvs: vec![Tlv {
            tag: 0x0424,
            value: b"via data-sm".to_vec(),
        }],
        ..Default::default()
    };
    let r = e.call(DATA_SM, d.encode()).await;
    assert_eq!(r.status, ROK);
    assert!(!message_id(&r).is_empty());

    let texts: Vec<String> = inbox(&sim, &iccid).into_iter().map(|(_, t)| t).collect();
    for want in [
        "第一部分，第二部分",
        "Hello world",
        "A-B-C",
        long.as_str(),
        "via data-sm",
    ] {
        assert_eq!(
            texts.iter().filter(|t| *t == want).count(),
            1,
            "{want} once in {texts:?}"
        );
    }
    assert!(!texts.iter().any(|t| t == "第二部分" || t == "Hello "));
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelled_card_is_undeliverable() {
    let sim = sim().await;
    let (_, msisdn) = card(&sim, "cmcc", "cancelled");
    let mut e = Esme::bound(&sim, BIND_TRANSCEIVER, "cmccesme").await;
    let mut sm = sm_to(&msisdn, "hello");
    sm.registered_delivery = 1;
    let r = e.submit(&sm).await;
    assert_eq!(r.status, ROK);
    let receipt = e.deliver().await;
    let text = receipt_text(&receipt);
    assert!(
        text.contains("dlvrd:000") && text.contains("stat:UNDELIV"),
        "{text}"
    );
    assert_eq!(tlv(&receipt, 0x0427), Some(vec![5]));
}

#[tokio::test(flavor = "multi_thread")]
async fn suspended_card_holds_until_validity_then_expires_on_the_simulated_clock() {
    let sim = sim().await;
    let (iccid, msisdn) = card(&sim, "cmcc", "normal");
    sim.world().manual_stop(&iccid).unwrap();
    let mut e = Esme::bound(&sim, BIND_TRANSCEIVER, "cmccesme").await;

    // Held: ENROUTE, nothing in the inbox, no receipt yet.
    let mut sm = sm_to(&msisdn, "wake up");
    sm.registered_delivery = 1;
    sm.validity_period = "000001000000000R".into();
    let r = e.submit(&sm).await;
    assert_eq!(r.status, ROK);
    let id = message_id(&r);
    let q = QuerySm {
        message_id: id.clone(),
        source: Address::new("1065000000"),
    };
    let r = e.call(QUERY_SM, q.encode()).await;
    assert_eq!(r.body[r.body.len() - 2], 1, "ENROUTE");
    assert!(!inbox(&sim, &iccid).iter().any(|(_, t)| t == "wake up"));

    // replace_sm and cancel_sm work on held messages.
    let mut other = sm_to(&msisdn, "to cancel");
    other.registered_delivery = 0;
    let cancel_id = message_id(&e.submit(&other).await);
    let c = CancelSm {
        message_id: cancel_id.clone(),
        source: Address::new("1065000000"),
        dest: Address::new(&msisdn),
        ..Default::default()
    };
    assert_eq!(e.call(CANCEL_SM, c.encode()).await.status, ROK);
    assert_eq!(e.call(CANCEL_SM, c.encode()).await.status, RCANCELFAIL);
    let rp = ReplaceSm {
        message_id: id.clone(),
        source: Address::new("1065000000"),
        short_message: b"wake up now".to_vec(),
        registered_delivery: 1,
        ..Default::default()
    };
    assert_eq!(e.call(REPLACE_SM, rp.encode()).await.status, ROK);

    // Two simulated days later the validity has run out: EXPIRED.
    sim.advance("2d").unwrap();
    let receipt = e.deliver().await;
    let text = receipt_text(&receipt);
    assert!(text.starts_with(&format!("id:{id} ")), "{text}");
    assert!(text.contains("stat:EXPIRED"), "{text}");
    assert_eq!(tlv(&receipt, 0x0427), Some(vec![3]));
    assert!(!inbox(&sim, &iccid)
        .iter()
        .any(|(_, t)| t.starts_with("wake up")));
}

#[tokio::test(flavor = "multi_thread")]
async fn suspended_card_resumed_in_time_gets_the_message() {
    let sim = sim().await;
    let (iccid, msisdn) = card(&sim, "cmcc", "normal");
    sim.world().manual_stop(&iccid).unwrap();
    let mut e = Esme::bound(&sim, BIND_TRANSCEIVER, "cmccesme").await;
    let mut sm = sm_to(&msisdn, "held then delivered");
    sm.registered_delivery = 1;
    let id = message_id(&e.submit(&sm).await);
    sim.advance("1h").unwrap();
    sim.world().manual_resume(&iccid).unwrap();
    let receipt = e.deliver().await;
    let text = receipt_text(&receipt);
    assert!(
        text.starts_with(&format!("id:{id} ")) && text.contains("stat:DELIVRD"),
        "{text}"
    );
    assert!(inbox(&sim, &iccid).contains(&("1065000000".into(), "held then delivered".into())));
}

#[tokio::test(flavor = "multi_thread")]
async fn submit_multi_reports_each_failed_destination() {
    let sim = sim().await;
    let (iccid, msisdn) = card(&sim, "cmcc", "normal");
    let mut e = Esme::bound(&sim, BIND_TRANSMITTER, "cmccesme").await;
    let m = SubmitMulti {
        dests: vec![
            Dest::Sme(Address::new(&msisdn)),
            Dest::Sme(Address::new("13000000000")),
            Dest::List("friends".into()),
        ],
        sm: sm_to("", "to many"),
    };
    let r = e.call(SUBMIT_MULTI, m.encode()).await;
    assert_eq!(r.status, ROK);
    let id = message_id(&r);
    assert!(!id.is_empty());
    let rest = &r.body[id.len() + 1..];
    assert_eq!(rest[0], 2, "no_unsuccess");
    let first = [&[0u8, 0][..], b"13000000000\0", &RINVDSTADR.to_be_bytes()].concat();
    assert!(rest[1..].starts_with(&first));
    assert!(rest.ends_with(&[&[0u8, 0][..], b"friends\0", &RINVDLNAME.to_be_bytes()].concat()));
    assert!(inbox(&sim, &iccid).contains(&("1065000000".into(), "to many".into())));
}

#[tokio::test(flavor = "multi_thread")]
async fn mo_messages_reach_the_account_queued_while_unbound() {
    let sim = sim().await;
    let (iccid, msisdn) = card(&sim, "cmcc", "normal");
    // Sent from the virtual handset before any receiver is bound.
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/_sim/handsets/{iccid}/sms", sim.uri()))
        .json(&json!({"to": "1065000000", "text": "STATUS OK 你好"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    // Another account's short code does not reach cmccesme.
    carrier_sim::sms::send_sms(sim.world(), &iccid, "1065000002", "to cucc").unwrap();
    let mut rx = Esme::bound(&sim, BIND_RECEIVER, "cmccesme").await;
    let mo = rx.deliver().await;
    assert_eq!(mo.esm_class & 0x3C, 0, "a plain message, not a receipt");
    assert_eq!(mo.source.addr, msisdn);
    assert_eq!(mo.dest.addr, "1065000000");
    assert_eq!(mo.data_coding, 8);
    assert_eq!(mo.short_message, ucs2("STATUS OK 你好"));
    // While bound, it arrives directly; an extended short code matches too.
    carrier_sim::sms::send_sms(sim.world(), &iccid, "106500000077", "ping").unwrap();
    let mo = rx.deliver().await;
    assert_eq!(
        (mo.data_coding, mo.short_message.as_slice()),
        (0, &b"ping"[..])
    );
    assert_eq!(mo.dest.addr, "106500000077");
    let mut cucc = Esme::bound(&sim, BIND_TRANSCEIVER, "cuccesme").await;
    assert_eq!(cucc.deliver().await.short_message, b"to cucc");
}

#[tokio::test(flavor = "multi_thread")]
async fn throughput_limit_throttles() {
    let sim = sim_with("[dialects.smpp]\nthroughput = 1").await;
    let (_, msisdn) = card(&sim, "cmcc", "normal");
    let mut e = Esme::bound(&sim, BIND_TRANSMITTER, "cmccesme").await;
    assert_eq!(e.submit(&sm_to(&msisdn, "1")).await.status, ROK);
    assert_eq!(e.submit(&sm_to(&msisdn, "2")).await.status, RTHROTTLED);
}

#[tokio::test(flavor = "multi_thread")]
async fn window_overflow_is_message_queue_full() {
    let sim = sim_with("[dialects.smpp]\nwindow = 1").await;
    let (_, msisdn) = card(&sim, "cmcc", "normal");
    let mut e = Esme::bound(&sim, BIND_TRANSMITTER, "cmccesme").await;
    sim.faults()
        .add(json!({"kind": "latency", "ms": 400, "endpoint": "/smpp/submit_sm", "count": 1}))
        .unwrap();
    // Two submits without waiting: the second exceeds the window of 1.
    let mut wire = Vec::new();
    for seq in [101u32, 102] {
        wire.extend(Pdu::new(SUBMIT_SM, 0, seq, sm_to(&msisdn, "w").encode()).encode());
    }
    e.sock.write_all(&wire).await.unwrap();
    let a = e.recv().await.unwrap();
    let b = e.recv().await.unwrap();
    let mut got = [(a.sequence, a.status), (b.sequence, b.status)];
    got.sort();
    assert_eq!(got, [(101, ROK), (102, RMSGQFUL)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn faults_apply_to_smpp() {
    let sim = sim().await;
    let mut e = Esme::bound(&sim, BIND_TRANSCEIVER, "cmccesme").await;
    sim.faults()
        .add(json!({"kind": "carrier_error", "error": "too_frequent",
                    "endpoint": "/smpp/enquire_link", "count": 1}))
        .unwrap();
    assert_eq!(e.call(ENQUIRE_LINK, vec![]).await.status, RTHROTTLED);
    assert_eq!(e.call(ENQUIRE_LINK, vec![]).await.status, ROK);
    sim.faults()
        .add(json!({"kind": "reset", "endpoint": "/smpp/enquire_link", "count": 1}))
        .unwrap();
    e.send(ENQUIRE_LINK, vec![]).await;
    assert!(e.recv().await.is_none(), "connection closed by the fault");
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_pdus_get_generic_nack_or_a_clean_close() {
    let sim = sim().await;
    let (iccid, msisdn) = card(&sim, "cmcc", "normal");
    let mut healthy = Esme::bound(&sim, BIND_TRANSCEIVER, "cmccesme").await;

    // Unknown command id: generic_nack, the session goes on.
    let mut e = Esme::bound(&sim, BIND_TRANSMITTER, "cmccesme").await;
    let r = e.call(0x0000_0099, vec![1, 2, 3]).await;
    assert_eq!((r.command_id, r.status), (GENERIC_NACK, RINVCMDID));
    assert_eq!(r.sequence, e.seq);
    // Truncated submit_sm body: generic_nack, the session goes on.
    let r = e.call(SUBMIT_SM, b"\0\0\0".to_vec()).await;
    assert_eq!((r.command_id, r.status), (GENERIC_NACK, RINVCMDLEN));
    // A TLV running past the end: submit_sm_resp ESME_RINVOPTPARSTREAM.
    let mut body = sm_to(&msisdn, "x").encode();
    body.extend_from_slice(&[0x04, 0x24, 0x00, 0x10, 1]);
    assert_eq!(e.call(SUBMIT_SM, body).await.status, RINVOPTPARSTREAM);
    assert_eq!(e.call(ENQUIRE_LINK, vec![]).await.status, ROK);
    // command_length below the header: generic_nack, then close.
    e.sock
        .write_all(&[0, 0, 0, 8, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 9])
        .await
        .unwrap();
    let r = e.recv().await.unwrap();
    assert_eq!(
        (r.command_id, r.status, r.sequence),
        (GENERIC_NACK, RINVCMDLEN, 9)
    );
    assert!(e.recv().await.is_none());

    // 64 KiB of garbage: a generic_nack or a clean close, never a hang.
    let mut g = Esme::connect(&sim).await;
    let mut x: u32 = 0x1234_5678;
    let garbage: Vec<u8> = (0..64 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    let _ = g.sock.write_all(&garbage).await;
    let _ = g.sock.shutdown().await;
    while let Some(p) = g.recv_lenient().await {
        assert_eq!(p.command_id, GENERIC_NACK);
    }

    // A huge command_length is refused without waiting for the body.
    let mut h = Esme::connect(&sim).await;
    h.sock
        .write_all(&[0x7F, 0, 0, 0, 0, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 1])
        .await
        .unwrap();
    let r = h.recv().await.unwrap();
    assert_eq!((r.command_id, r.status), (GENERIC_NACK, RINVCMDLEN));
    assert!(h.recv().await.is_none());

    // The other session is unaffected.
    assert_eq!(
        healthy.submit(&sm_to(&msisdn, "still fine")).await.status,
        ROK
    );
    assert!(inbox(&sim, &iccid).contains(&("1065000000".into(), "still fine".into())));
}

impl Esme {
    /// Like `recv`, but a read error counts as a close (garbage may make
    /// the SMSC reset the connection).
    async fn recv_lenient(&mut self) -> Option<Pdu> {
        loop {
            if let Ok(Some(p)) = pdu::frame(&mut self.buf) {
                return Some(p);
            }
            let n = tokio::time::timeout(WAIT, self.sock.read_buf(&mut self.buf))
                .await
                .expect("timed out waiting for the SMSC")
                .unwrap_or(0);
            if n == 0 {
                return None;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_unbinds_sessions() {
    let sim = sim().await;
    let mut e = Esme::bound(&sim, BIND_TRANSCEIVER, "cmccesme").await;
    sim.stop().await;
    let p = e.recv().await.expect("an unbind before the close");
    assert_eq!(p.command_id, UNBIND);
}

/// Load generator for `scripts/bench_smpp.sh` (ignored in normal runs):
/// against `SMPP_BENCH_ADDR` / `SMPP_BENCH_URI` (a running `carrier-sim
/// serve --smpp-bind`), or an in-process simulator when unset. Measures
/// enquire_link (the protocol ceiling) and submit_sm throughput with a
/// window of 100, then the submit_sm → receipt deliver_sm latency and the
/// handset MO → deliver_sm latency.
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn bench_smpp() {
    let n: u32 = std::env::var("SMPP_BENCH_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let window: u32 = 100;
    let local;
    let (addr, uri) = match (
        std::env::var("SMPP_BENCH_ADDR"),
        std::env::var("SMPP_BENCH_URI"),
    ) {
        (Ok(a), Ok(u)) => (a.parse::<SocketAddr>().unwrap(), u),
        _ => {
            local = sim().await;
            (smpp_addr(&local), local.uri())
        }
    };
    let http = reqwest::Client::new();
    let cards: serde_json::Value = http
        .get(format!(
            "{uri}/_sim/cards?carrier=cmcc&account=cmcc-demo&state=active&page_size=100"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let cards: Vec<(String, String)> = cards["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["iccid"].as_str().unwrap().to_string(),
                c["msisdn"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(!cards.is_empty());
    let connect = || async {
        let sock = TcpStream::connect(addr).await.unwrap();
        sock.set_nodelay(true).unwrap();
        let mut e = Esme {
            sock,
            buf: BytesMut::new(),
            seq: 0,
            delivered: Vec::new(),
        };
        assert_eq!(e.bind(BIND_TRANSCEIVER, "cmccesme", "smpp1234").await, ROK);
        e
    };
    // Pipelined with at most `window` requests outstanding.
    async fn pipelined(e: &mut Esme, n: u32, window: u32, make: &dyn Fn(u32) -> Pdu) -> f64 {
        let started = std::time::Instant::now();
        let (mut sent, mut done, mut failed) = (0u32, 0u32, 0u32);
        let mut wire = Vec::new();
        while done < n {
            wire.clear();
            while sent < n && sent - done < window {
                make(sent + 1_000_000).encode_into(&mut wire);
                sent += 1;
            }
            if !wire.is_empty() {
                e.sock.write_all(&wire).await.unwrap();
            }
            let p = e.recv().await.unwrap();
            if p.command_id & RESP != 0 && p.command_id != DELIVER_SM | RESP {
                done += 1;
                if p.status != ROK {
                    failed += 1;
                }
            } else if p.command_id == DELIVER_SM {
                let r = Pdu::new(DELIVER_SM | RESP, 0, p.sequence, vec![0]);
                e.sock.write_all(&r.encode()).await.unwrap();
            }
        }
        assert_eq!(failed, 0, "all answered ESME_ROK");
        n as f64 / started.elapsed().as_secs_f64()
    }
    let mut e = connect().await;
    let ceiling = pipelined(&mut e, n, window, &|seq| {
        Pdu::new(ENQUIRE_LINK, 0, seq, Vec::new())
    })
    .await;
    let bodies: Vec<Vec<u8>> = cards
        .iter()
        .map(|(_, m)| sm_to(m, "CFG:REPORT=300").encode())
        .collect();
    let submit = pipelined(&mut e, n, window, &|seq| {
        Pdu::new(
            SUBMIT_SM,
            0,
            seq,
            bodies[seq as usize % bodies.len()].clone(),
        )
    })
    .await;
    println!(
        "enquire_link ceiling: {ceiling:.0}/s; submit_sm: {submit:.0}/s ({:.0}% of the ceiling), window {window}, {n} each, {} cards",
        submit / ceiling * 100.0,
        cards.len()
    );

    // submit_sm → receipt deliver_sm, one at a time.
    let mut lat = Vec::new();
    for i in 0..2000 {
        let mut sm = sm_to(&cards[i % cards.len()].1, "receipt please");
        sm.registered_delivery = 1;
        let t = std::time::Instant::now();
        let seq = e.send(SUBMIT_SM, sm.encode()).await;
        assert_eq!(e.response(seq).await.status, ROK);
        e.deliver().await;
        lat.push(t.elapsed().as_secs_f64() * 1e6);
    }
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "submit_sm -> receipt deliver_sm latency (2000 sequential): p50 {:.0} us, p99 {:.0} us",
        lat[lat.len() / 2],
        lat[lat.len() * 99 / 100]
    );

    // MO: handset POST → deliver_sm at the bound transceiver.
    let mut lat = Vec::new();
    let iccid = &cards[0].0;
    for _ in 0..500 {
        let t = std::time::Instant::now();
        let r = http
            .post(format!("{uri}/_sim/handsets/{iccid}/sms"))
            .json(&json!({"to": "1065000000", "text": "MO ping"}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
        let sm = e.deliver().await;
        assert_eq!(sm.short_message, b"MO ping");
        lat.push(t.elapsed().as_secs_f64() * 1e6);
    }
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "handset MO -> deliver_sm latency (500 sequential, incl. the HTTP POST): p50 {:.0} us, p99 {:.0} us",
        lat[lat.len() / 2],
        lat[lat.len() * 99 / 100]
    );
}

/// Reads from the modem until `needle` shows up; returns what was read.
async fn modem_until(sock: &mut TcpStream, needle: &str) -> String {
    let mut seen = Vec::new();
    while !String::from_utf8_lossy(&seen).contains(needle) {
        let mut chunk = [0u8; 1024];
        let n = tokio::time::timeout(WAIT, sock.read(&mut chunk))
            .await
            .expect("modem answers")
            .unwrap();
        assert!(
            n > 0,
            "modem closed; read {:?}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn at_modem_sees_smpp_messages_and_its_sms_reach_the_esme() {
    let sim = Simulator::builder()
        .settings(device_ports(true, true))
        .start()
        .await;
    let modem_addr = carrier_sim::sms::state(sim.world())
        .modem_tcp
        .lock()
        .expect("modem bound");
    let (iccid, msisdn) = card(&sim, "ctcc", "normal");
    let mut m = TcpStream::connect(modem_addr).await.unwrap();
    m.write_all(format!("AT+SIMSEL=\"{iccid}\"\r").as_bytes())
        .await
        .unwrap();
    modem_until(&mut m, "OK").await;
    let mut e = Esme::bound(&sim, BIND_TRANSCEIVER, "ctccesme").await;
    let mut sm = sm_to(&msisdn, "REBOOT");
    sm.source = Address::new("1065000004");
    assert_eq!(e.submit(&sm).await.status, ROK);
    assert!(modem_until(&mut m, "+CMTI:")
        .await
        .contains("+CMTI: \"ME\","));

    m.write_all(b"AT+CMGF=1\r").await.unwrap();
    modem_until(&mut m, "OK").await;
    m.write_all(b"AT+CMGS=\"1065000004\"\r").await.unwrap();
    modem_until(&mut m, ">").await;
    m.write_all(b"REBOOT DONE\x1a").await.unwrap();
    modem_until(&mut m, "+CMGS:").await;
    let mo = e.deliver().await;
    assert_eq!(mo.source.addr, msisdn);
    assert_eq!(mo.short_message, b"REBOOT DONE");
}

#[tokio::test(flavor = "multi_thread")]
async fn smpp_credentials_are_listed_with_the_accounts() {
    let sim = sim().await;
    let accounts = Admin::new(&sim).get("/_sim/accounts").await;
    let text = accounts.to_string();
    for id in ["cmccesme", "cuccesme", "ctccesme"] {
        assert!(text.contains(id), "{id} listed");
    }
    assert!(text.contains("1065000000"));
}

#[tokio::test(flavor = "multi_thread")]
async fn held_messages_beyond_queue_cap_are_message_queue_full() {
    let sim = sim_with("[dialects.smpp.accounts.cmcc-demo]\nqueue_cap = 1").await;
    let (iccid, msisdn) = card(&sim, "cmcc", "normal");
    sim.world().manual_stop(&iccid).unwrap();
    let mut e = Esme::bound(&sim, BIND_TRANSMITTER, "cmccesme").await;
    assert_eq!(e.submit(&sm_to(&msisdn, "held")).await.status, ROK);
    assert_eq!(
        e.submit(&sm_to(&msisdn, "one too many")).await.status,
        RMSGQFUL
    );
    // Another account (submitting to its own card) is not affected.
    let (_, other_msisdn) = card(&sim, "cmcc", "other-account");
    let mut other = Esme::bound(&sim, BIND_TRANSMITTER, "cmccoth").await;
    let mut sm = sm_to(&other_msisdn, "other account");
    sm.source = Address::new("1065000001");
    assert_eq!(other.submit(&sm).await.status, ROK);
}

/// Issue 20: an ESME reaches only its own account's cards. Another
/// account's or carrier's card is answered exactly like a number that does
/// not exist (`ESME_RINVDSTADR`), as the HTTP dialects answer a foreign
/// card like an unknown one, so submits and their receipts reveal nothing.
#[tokio::test(flavor = "multi_thread")]
async fn an_esme_cannot_reach_or_probe_another_accounts_cards() {
    let sim = sim().await;
    let (other_iccid, other_msisdn) = card(&sim, "cmcc", "other-account");
    let (cucc_iccid, cucc_msisdn) = card(&sim, "cucc", "normal");
    let mut e = Esme::bound(&sim, BIND_TRANSCEIVER, "cmccesme").await;
    let unknown = e.submit(&sm_to("13000000000", "probe")).await.status;
    assert_eq!(unknown, RINVDSTADR);
    for dest in [&other_msisdn, &cucc_msisdn] {
        let mut sm = sm_to(dest, "not yours");
        sm.registered_delivery = 1;
        let r = e.submit(&sm).await;
        assert_eq!(
            r.status, unknown,
            "{dest}: same answer as an unknown number"
        );
    }
    assert!(inbox(&sim, &other_iccid).is_empty());
    assert!(!inbox(&sim, &cucc_iccid)
        .iter()
        .any(|(_, t)| t == "not yours"));
    // No receipt comes for a refused submit: the next deliver_sm is the one
    // for a message to the account's own card.
    let (_, own) = card(&sim, "cmcc", "normal");
    let mut sm = sm_to(&own, "mine");
    sm.registered_delivery = 1;
    assert_eq!(e.submit(&sm).await.status, ROK);
    let receipt = receipt_text(&e.deliver().await);
    assert!(receipt.contains("stat:DELIVRD"), "{receipt}");
    // The owner still reaches it.
    let mut o = Esme::bound(&sim, BIND_TRANSMITTER, "cmccoth").await;
    let mut sm = sm_to(&other_msisdn, "own card");
    sm.source = Address::new("1065000001");
    assert_eq!(o.submit(&sm).await.status, ROK);
    assert!(inbox(&sim, &other_iccid)
        .iter()
        .any(|(_, t)| t == "own card"));
}

/// Issue 20: a receiver that never acknowledges holds at most its window in
/// flight and `queue_cap` more waiting; older deliver_sm are dropped (as the
/// account's queue drops them), so its memory is bounded.
#[tokio::test(flavor = "multi_thread")]
async fn a_receiver_that_never_acknowledges_has_a_bounded_backlog() {
    let sim = sim_with("[dialects.smpp.accounts.cmcc-demo]\nqueue_cap = 5\nwindow = 2").await;
    let (iccid, _) = card(&sim, "cmcc", "normal");
    let mut rx = Esme::bound(&sim, BIND_RECEIVER, "cmccesme").await;
    for i in 0..40 {
        carrier_sim::sms::send_sms(sim.world(), &iccid, "1065000000", &format!("m{i}")).unwrap();
    }
    // Unacknowledged: only the window arrives.
    let mut first = Vec::new();
    while first.len() < 2 {
        let p = rx.recv().await.expect("open");
        if p.command_id == DELIVER_SM {
            first.push(p);
        }
    }
    let quiet = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
    assert!(
        quiet.is_err(),
        "nothing beyond the window while unacknowledged"
    );
    // Acknowledged at last: the window plus at most queue_cap more, the newest.
    let mut texts = Vec::new();
    for p in &first {
        rx.ack(p).await;
    }
    loop {
        match tokio::time::timeout(Duration::from_secs(1), rx.recv()).await {
            Ok(Some(p)) if p.command_id == DELIVER_SM => rx.ack(&p).await,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => break,
        }
    }
    for sm in &rx.delivered {
        texts.push(String::from_utf8(sm.short_message.clone()).unwrap());
    }
    assert!(texts.len() <= 2 + 5, "{texts:?}");
    assert_eq!(texts.last().map(String::as_str), Some("m39"), "{texts:?}");
}

/// Worlds on demand over the one SMSC (docs/smpp.md, "Worlds on demand"):
/// `w{id}:` before the system_id binds to that world's accounts; a submit
/// lands in that world's card only; MO messages of that world come back to
/// its ESME; an unknown or deleted world is an unknown system_id.
#[tokio::test(flavor = "multi_thread")]
async fn a_system_id_prefix_binds_to_a_world_on_demand() {
    let sim = sim().await;
    let admin = Admin::new(&sim);
    let (s, w) = admin
        .call(reqwest::Method::POST, "/_sim/worlds", Some(json!({})))
        .await;
    assert_eq!(s, 201, "{w}");
    let id = w["id"].as_str().unwrap().to_string();
    let world = Admin::at(w["urls"]["base"].as_str().unwrap());
    let (iccid, msisdn) = card(&sim, "cmcc", "normal");

    // The world's ESME: its submit reaches the world's card, not the root's.
    let mut e = Esme::bound(&sim, BIND_TRANSCEIVER, &format!("{id}:cmccesme")).await;
    let r = e.submit(&sm_to(&msisdn, "CFG:world")).await;
    assert_eq!(r.status, ROK);
    let inbox_of_world = world.get(&format!("/_sim/handsets/{iccid}/inbox")).await;
    assert!(
        inbox_of_world["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["text"] == "CFG:world"),
        "{inbox_of_world}"
    );
    assert!(!inbox(&sim, &iccid).iter().any(|(_, t)| t == "CFG:world"));

    // A card of the world sends to the account's short code: the world's
    // ESME gets it as deliver_sm.
    let (s, v) = world
        .call(
            reqwest::Method::POST,
            &format!("/_sim/handsets/{iccid}/sms"),
            Some(json!({"to": "1065000000", "text": "MO from the world"})),
        )
        .await;
    assert!(s.is_success(), "{v}");
    let mo = e.deliver().await;
    assert_eq!(mo.short_message, "MO from the world".as_bytes());

    // Unknown world, and the world after its deletion: ESME_RINVSYSID.
    let mut other = Esme::connect(&sim).await;
    assert_eq!(
        other
            .bind(BIND_TRANSMITTER, "w999:cmccesme", "smpp1234")
            .await,
        RINVSYSID
    );
    let (s, _) = admin
        .call(reqwest::Method::DELETE, &format!("/_sim/worlds/{id}"), None)
        .await;
    assert_eq!(s, 200);
    let mut late = Esme::connect(&sim).await;
    assert_eq!(
        late.bind(BIND_TRANSMITTER, &format!("{id}:cmccesme"), "smpp1234")
            .await,
        RINVSYSID
    );
    // The root world's ESME is unchanged.
    let mut root = Esme::connect(&sim).await;
    assert_eq!(
        root.bind(BIND_TRANSMITTER, "cmccesme", "smpp1234").await,
        ROK
    );
}
