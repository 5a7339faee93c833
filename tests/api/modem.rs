//! The virtual AT modem over real TCP: card selection, identification and
//! registration, SMS in text mode (GSM and UCS2 character sets) and PDU
//! mode (a two-part concatenated reply decoded back here, with a decoder
//! written for the test), storage commands, USSD, a call with DTMF, barred
//! and cancelled cards, and malformed input that must leave the modem (and
//! everything else) usable. Card figures come from the default fleet: the
//! CUCC `normal` card has a 1 GB plan, 373502771 bytes used, 50.00 yuan.

use std::time::Duration;

use carrier_sim::Simulator;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::admin::Admin;
use crate::common::devices::{
    device_ports, fleet_with_simulated_texts, CUCC_HELP_REPLY as HELP_TEXT,
    CUCC_NORMAL_DATA_REPLY as DATA_TEXT,
};

async fn sim() -> Simulator {
    Simulator::builder()
        .fixture_str(&fleet_with_simulated_texts())
        .settings(device_ports(true, false))
        .start()
        .await
}

/// A terminal on the modem's TCP port.
struct Term {
    sock: TcpStream,
    buf: Vec<u8>,
}

const FINALS: [&str; 5] = ["OK", "ERROR", "NO CARRIER", "NO ANSWER", "BUSY"];

impl Term {
    async fn open(sim: &Simulator) -> Term {
        let addr = Admin::new(sim).get("/_sim/modems").await["tcp"]
            .as_str()
            .unwrap()
            .to_string();
        let sock = TcpStream::connect(addr).await.unwrap();
        let mut t = Term {
            sock,
            buf: Vec::new(),
        };
        // Echo is on until ATE0 (V.25ter default): the command comes back.
        assert_eq!(t.cmd("ATE0").await, ["ATE0\r", "OK"]);
        t
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.sock.write_all(bytes).await.unwrap();
    }

    async fn fill(&mut self) {
        let mut b = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), self.sock.read(&mut b))
            .await
            .expect("modem answered within 5 s")
            .unwrap();
        assert!(n > 0, "modem closed the connection");
        self.buf.extend_from_slice(&b[..n]);
    }

    /// Lines up to and including a final result code.
    async fn response(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            while let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..pos + 2).collect();
                let line = String::from_utf8_lossy(&line[..pos]).to_string();
                if line.is_empty() {
                    continue;
                }
                let fin = FINALS.contains(&line.as_str())
                    || line.starts_with("+CME ERROR")
                    || line.starts_with("+CMS ERROR");
                lines.push(line);
                if fin {
                    return lines;
                }
            }
            self.fill().await;
        }
    }

    /// The next unsolicited line.
    async fn urc(&mut self) -> String {
        loop {
            while let Some(pos) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line: Vec<u8> = self.buf.drain(..pos + 2).collect();
                if pos > 0 {
                    return String::from_utf8_lossy(&line[..pos]).to_string();
                }
            }
            self.fill().await;
        }
    }

    async fn prompt(&mut self) {
        loop {
            if let Some(pos) = self.buf.windows(2).position(|w| w == b"> ") {
                self.buf.drain(..pos + 2);
                return;
            }
            self.fill().await;
        }
    }

    async fn cmd(&mut self, line: &str) -> Vec<String> {
        self.send(format!("{line}\r").as_bytes()).await;
        self.response().await
    }

    /// `AT+CMGS=...`, the prompt, the body, Ctrl-Z; the response.
    async fn cmgs(&mut self, arg: &str, body: &str) -> Vec<String> {
        self.send(format!("AT+CMGS={arg}\r").as_bytes()).await;
        self.prompt().await;
        self.send(format!("{body}\x1a").as_bytes()).await;
        self.response().await
    }
}

fn ucs2_hex(s: &str) -> String {
    s.encode_utf16().map(|u| format!("{u:04X}")).collect()
}

fn from_ucs2_hex(h: &str) -> String {
    let units: Vec<u16> = (0..h.len())
        .step_by(4)
        .map(|i| u16::from_str_radix(&h[i..i + 4], 16).unwrap())
        .collect();
    String::from_utf16(&units).unwrap()
}

/// A test-side SMS-DELIVER decoder (UCS2 only): originator, concatenation
/// `(ref, total, seq)` and text.
fn decode_deliver(hex: &str) -> (String, Option<(u16, u8, u8)>, String) {
    let b: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let mut i = 1 + b[0] as usize; // SMSC field
    let first = b[i];
    assert_eq!(first & 0x03, 0, "SMS-DELIVER");
    i += 1;
    let digits = b[i] as usize;
    i += 2;
    let mut oa = String::new();
    for k in 0..digits {
        let byte = b[i + k / 2];
        let nib = if k % 2 == 0 { byte & 0x0F } else { byte >> 4 };
        oa.push((b'0' + nib) as char);
    }
    i += digits.div_ceil(2);
    i += 1; // PID
    assert_eq!(b[i], 0x08, "UCS2");
    i += 1 + 7; // DCS, SCTS
    let udl = b[i] as usize;
    i += 1;
    let ud = &b[i..];
    assert_eq!(ud.len(), udl);
    let (concat, body) = if first & 0x40 != 0 {
        let hl = ud[0] as usize;
        // IEI 00 (8-bit reference) or 08 (16-bit), TS 23.040 §9.2.3.24.
        let concat = match (ud[1], ud[2]) {
            (0, 3) => (ud[3] as u16, ud[4], ud[5]),
            (8, 4) => (u16::from_be_bytes([ud[3], ud[4]]), ud[5], ud[6]),
            other => panic!("unexpected header {other:?}"),
        };
        (Some(concat), &ud[1 + hl..])
    } else {
        (None, ud)
    };
    let units: Vec<u16> = body
        .chunks(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    (oa, concat, String::from_utf16(&units).unwrap())
}

#[tokio::test]
async fn identification_and_registration() {
    let sim = sim().await;
    let c = Admin::new(&sim).card_by_tag("cucc", "normal").await;
    let mut t = Term::open(&sim).await;
    assert_eq!(t.cmd("AT").await, ["OK"]);
    assert_eq!(t.cmd("AT+CIMI").await, ["+CME ERROR: 10"]);
    assert_eq!(t.cmd("AT+SIMSEL=\"00000000\"").await, ["+CME ERROR: 10"]);
    assert_eq!(
        t.cmd(&format!("AT+SIMSEL=\"{}\"", c["msisdn"].as_str().unwrap()))
            .await,
        ["OK"]
    );
    assert_eq!(
        t.cmd("AT+CCID").await,
        [
            format!("+CCID: {}", c["iccid"].as_str().unwrap()),
            "OK".into()
        ]
    );
    assert_eq!(
        t.cmd("AT+QCCID").await[0],
        format!("+QCCID: {}", c["iccid"].as_str().unwrap())
    );
    assert_eq!(t.cmd("AT+CIMI").await, [c["imsi"].as_str().unwrap(), "OK"]);
    assert_eq!(
        t.cmd("AT+CNUM").await[0],
        format!("+CNUM: \"\",\"{}\",129", c["msisdn"].as_str().unwrap())
    );
    assert_eq!(t.cmd("AT+CPIN?").await, ["+CPIN: READY", "OK"]);
    assert_eq!(t.cmd("AT+CREG?").await, ["+CREG: 0,1", "OK"]);
    assert_eq!(t.cmd("AT+CEREG?").await, ["+CEREG: 0,1", "OK"]);
    assert_eq!(t.cmd("AT+CSQ").await, ["+CSQ: 24,99", "OK"]);
    assert_eq!(
        t.cmd("AT+COPS?").await,
        ["+COPS: 0,0,\"CHN-UNICOM\",7", "OK"]
    );
    assert_eq!(t.cmd("AT+CGMI").await, ["carrier-sim", "OK"]);
    assert_eq!(t.cmd("AT+CGMM").await.len(), 2);
    assert_eq!(t.cmd("ATI").await.last().unwrap(), "OK");
    // Several commands on one line.
    assert_eq!(t.cmd("AT+CMGF=1;+CSCS=\"GSM\"").await, ["OK"]);
    assert_eq!(t.cmd("AT+CMGF?").await, ["+CMGF: 1", "OK"]);
    // China Mobile's card shows its own operator.
    let cm = Admin::new(&sim).card_by_tag("cmcc", "normal").await;
    assert_eq!(
        t.cmd(&format!("AT+SIMSEL=\"{}\"", cm["iccid"].as_str().unwrap()))
            .await,
        ["OK"]
    );
    assert_eq!(
        t.cmd("AT+COPS?").await,
        ["+COPS: 0,0,\"CHINA MOBILE\",7", "OK"]
    );
}

#[tokio::test]
async fn text_mode_gsm_and_ucs2() {
    let sim = sim().await;
    let c = Admin::new(&sim).card_by_tag("cucc", "normal").await;
    let mut t = Term::open(&sim).await;
    t.cmd(&format!("AT+SIMSEL=\"{}\"", c["iccid"].as_str().unwrap()))
        .await;
    assert_eq!(t.cmd("AT+CMGF=1").await, ["OK"]);
    assert_eq!(t.cmgs("\"10010\"", "CXLL").await, ["+CMGS: 0", "OK"]);
    assert_eq!(t.urc().await, "+CMTI: \"ME\",1");
    assert_eq!(
        t.cmd("AT+CMGR=1").await,
        [
            "+CMGR: \"REC UNREAD\",\"10010\",,\"26/11/24,10:00:02+32\"",
            DATA_TEXT,
            "OK"
        ]
    );
    // Read now.
    assert_eq!(
        t.cmd("AT+CMGR=1").await[0],
        "+CMGR: \"REC READ\",\"10010\",,\"26/11/24,10:00:02+32\""
    );

    // UCS2: parameters and texts in hex.
    assert_eq!(t.cmd("AT+CSCS=\"UCS2\"").await, ["OK"]);
    let r = t
        .cmgs(&format!("\"{}\"", ucs2_hex("10010")), &ucs2_hex("CXHF"))
        .await;
    assert_eq!(r, ["+CMGS: 1", "OK"]);
    assert_eq!(t.urc().await, "+CMTI: \"ME\",2");
    let r = t.cmd("AT+CMGR=2").await;
    assert_eq!(
        r[0],
        format!(
            "+CMGR: \"REC UNREAD\",\"{}\",,\"26/11/24,10:00:02+32\"",
            ucs2_hex("10010")
        )
    );
    assert_eq!(
        from_ucs2_hex(&r[1]),
        "截至11月24日10时，您的账户余额为50.00元。【中国联通】"
    );
    // Listing and deleting.
    let all = t.cmd("AT+CSCS=\"GSM\";+CMGL=\"ALL\"").await;
    assert_eq!(all.len(), 5, "{all:?}");
    assert!(all[0].starts_with("+CMGL: 1,\"REC READ\",\"10010\""));
    assert_eq!(t.cmd("AT+CMGD=1").await, ["OK"]);
    assert_eq!(t.cmd("AT+CMGR=1").await, ["+CMS ERROR: 321"]);
    assert_eq!(
        t.cmd("AT+CPMS?").await[0],
        "+CPMS: \"ME\",1,100,\"ME\",1,100,\"ME\",1,100"
    );
    // The HTTP handset sees the same inbox.
    let inbox = Admin::new(&sim)
        .get(&format!(
            "/_sim/handsets/{}/inbox",
            c["iccid"].as_str().unwrap()
        ))
        .await;
    assert_eq!(inbox["messages"][0]["text"], DATA_TEXT);
    assert_eq!(inbox["messages"][0]["read"], true);
}

#[tokio::test]
async fn pdu_mode_with_a_concatenated_reply() {
    let sim = sim().await;
    let c = Admin::new(&sim).card_by_tag("cucc", "normal").await;
    let mut t = Term::open(&sim).await;
    t.cmd(&format!("AT+SIMSEL=\"{}\"", c["iccid"].as_str().unwrap()))
        .await;
    assert_eq!(t.cmd("AT+CMGF=0").await, ["OK"]);
    // SMS-SUBMIT "HELLO" to 10010 as python-gsmmodem encodes it.
    assert_eq!(
        t.cmgs("15", "00210105A10110F0000005C82293F904").await,
        ["+CMGS: 0", "OK"]
    );
    assert_eq!(t.urc().await, "+CMTI: \"ME\",1");
    assert_eq!(t.urc().await, "+CMTI: \"ME\",2");
    let mut parts = Vec::new();
    for i in 1..=2 {
        let r = t.cmd(&format!("AT+CMGR={i}")).await;
        assert_eq!(r.len(), 3, "{r:?}");
        let len: usize = r[0].rsplit(',').next().unwrap().parse().unwrap();
        assert_eq!(r[0], format!("+CMGR: 0,,{len}"));
        let smsc_octets = usize::from_str_radix(&r[1][..2], 16).unwrap();
        assert_eq!(r[1].len() / 2, 1 + smsc_octets + len);
        parts.push(decode_deliver(&r[1]));
    }
    assert_eq!(parts[0].0, "10010");
    let (r1, n1, s1) = parts[0].1.unwrap();
    let (r2, n2, s2) = parts[1].1.unwrap();
    assert_eq!((r1 == r2, n1, n2, s1, s2), (true, 2, 2, 1, 2));
    // The carriers' SMSC cuts at 65 characters (docs/sms.md, parts).
    assert_eq!(parts[0].2.chars().count(), 65);
    assert_eq!(format!("{}{}", parts[0].2, parts[1].2), HELP_TEXT);
    // A short reply is a single part without a header.
    assert_eq!(
        t.cmgs("14", "00210505A10110F0000004432C9309").await,
        ["+CMGS: 1", "OK"]
    );
    assert_eq!(t.urc().await, "+CMTI: \"ME\",3");
    let r = t.cmd("AT+CMGL=0").await;
    assert_eq!(r.len(), 3, "only the unread part: {r:?}");
    let (from, concat, text) = decode_deliver(&r[1]);
    assert_eq!(
        (from.as_str(), concat, text.as_str()),
        ("10010", None, DATA_TEXT)
    );
    assert_eq!(t.cmd("AT+CMGD=1,4").await, ["OK"]);
    assert_eq!(t.cmd("AT+CMGL=4").await, ["OK"]);
}

#[tokio::test]
async fn ussd_and_a_call_to_the_hotline() {
    let sim = sim().await;
    let c = Admin::new(&sim).card_by_tag("cucc", "normal").await;
    let mut t = Term::open(&sim).await;
    t.cmd(&format!("AT+SIMSEL=\"{}\"", c["iccid"].as_str().unwrap()))
        .await;
    assert_eq!(t.cmd("AT+CUSD=1,\"*100#\",15").await, ["OK"]);
    // The menu spans several lines; read them up to the closing quote.
    let mut menu = t.urc().await;
    while !menu.ends_with(",15") {
        menu = format!("{menu}\n{}", t.urc().await);
    }
    assert_eq!(
        menu,
        "+CUSD: 1,\"中国联通自助服务\n1.账户余额\n2.本月流量\n3.套餐信息\n0.退出\",15"
    );
    assert_eq!(t.cmd("AT+CSCS=\"UCS2\"").await, ["OK"]);
    assert_eq!(
        t.cmd(&format!("AT+CUSD=1,\"{}\",15", ucs2_hex("1"))).await,
        ["OK"]
    );
    let line = t.urc().await;
    let hex = line
        .strip_prefix("+CUSD: 0,\"")
        .unwrap()
        .strip_suffix("\",72")
        .unwrap();
    assert_eq!(
        from_ucs2_hex(hex),
        "截至11月24日10时，您的账户余额为50.00元。"
    );
    assert_eq!(t.cmd("AT+CSCS=\"GSM\"").await, ["OK"]);
    assert_eq!(t.cmd("AT+CUSD=1,\"*999#\",15").await, ["OK"]);
    assert_eq!(t.urc().await, "+CUSD: 4");

    assert_eq!(t.cmd("ATD10010;").await, ["OK"]);
    assert_eq!(
        t.urc().await,
        "+SIMIVR: \"您好，欢迎致电中国联通客服热线。查询话费余额请按1，查询本月流量请按2，查询套餐信息请按3，重听请按星号键。\""
    );
    assert_eq!(
        t.cmd("AT+CLCC").await,
        ["+CLCC: 1,0,0,0,0,\"10010\",129", "OK"]
    );
    assert_eq!(t.cmd("AT+VTS=2").await, ["OK"]);
    assert_eq!(
        t.urc().await,
        "+SIMIVR: \"截至11月24日10时，您本月套餐内通用流量共1.00GB，已用356.20MB，剩余667.80MB。返回主菜单请按星号键。\""
    );
    assert_eq!(t.cmd("ATH").await, ["OK"]);
    assert_eq!(t.cmd("AT+VTS=1").await, ["+CME ERROR: 3"]);
    assert_eq!(t.cmd("ATD13800138000;").await, ["NO ANSWER"]);
}

#[tokio::test]
async fn barred_and_cancelled_cards() {
    let sim = sim().await;
    let mut t = Term::open(&sim).await;
    let arrears = Admin::new(&sim).card_by_tag("cucc", "arrears").await;
    t.cmd(&format!(
        "AT+SIMSEL=\"{}\"",
        arrears["iccid"].as_str().unwrap()
    ))
    .await;
    assert_eq!(t.cmd("AT+CREG?").await, ["+CREG: 0,3", "OK"]);
    assert_eq!(t.cmd("AT+COPS?").await, ["+COPS: 0", "OK"]);
    assert_eq!(t.cmd("AT+CMGF=1").await, ["OK"]);
    assert_eq!(t.cmgs("\"13800138000\"", "hi").await, ["+CMS ERROR: 10"]);
    // The service number still answers (documented choice).
    assert_eq!(t.cmgs("\"10010\"", "CXYE").await, ["+CMGS: 0", "OK"]);
    assert_eq!(t.urc().await, "+CMTI: \"ME\",1");

    let cancelled = Admin::new(&sim).card_by_tag("cucc", "cancelled").await;
    t.cmd(&format!(
        "AT+SIMSEL=\"{}\"",
        cancelled["iccid"].as_str().unwrap()
    ))
    .await;
    assert_eq!(t.cmd("AT+CREG?").await, ["+CREG: 0,3", "OK"]);
    assert_eq!(t.cmd("AT+CSQ").await, ["+CSQ: 99,99", "OK"]);
    assert_eq!(t.cmgs("\"10010\"", "CXLL").await, ["+CMS ERROR: 331"]);
    assert_eq!(t.cmd("ATD10010;").await, ["NO CARRIER"]);
    assert_eq!(t.cmd("AT+CMEE=2").await, ["OK"]);
    assert_eq!(
        t.cmgs("\"10010\"", "CXLL").await,
        ["+CMS ERROR: no network service"]
    );
    assert_eq!(t.cmd("AT+CMEE=0").await, ["OK"]);
    assert_eq!(t.cmgs("\"10010\"", "CXLL").await, ["ERROR"]);
    let out = Admin::new(&sim)
        .get(&format!(
            "/_sim/handsets/{}/messages",
            cancelled["iccid"].as_str().unwrap()
        ))
        .await;
    assert_eq!(out["messages"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn malformed_input_leaves_the_modem_usable() {
    let sim = sim().await;
    let c = Admin::new(&sim).card_by_tag("cucc", "normal").await;
    let iccid = c["iccid"].as_str().unwrap().to_string();
    let mut t = Term::open(&sim).await;
    t.cmd(&format!("AT+SIMSEL=\"{iccid}\"")).await;
    assert_eq!(t.cmd("AT+FOO").await, ["ERROR"]);
    assert_eq!(t.cmd("HELLO").await, ["ERROR"]);
    assert_eq!(
        t.cmd(&format!("AT{}", "+CSQ;".repeat(400))).await,
        ["ERROR"]
    );
    assert_eq!(t.cmd("AT+CSQ").await, ["+CSQ: 24,99", "OK"]);
    t.send(&[0xFF, 0x00, 0x81, 0xC3, 0x28, 0x7E, b'\r']).await;
    assert_eq!(t.response().await, ["ERROR"]);
    assert_eq!(t.cmd("AT+CMGS=\"unterminated").await, ["ERROR"]);
    assert_eq!(t.cmd("AT+CMGF=7").await, ["+CME ERROR: 50"]);
    assert_eq!(t.cmd("AT+CMGR=0").await, ["+CMS ERROR: 321"]);
    // PDU mode: not hex, wrong length, not a SUBMIT, absurd length.
    assert_eq!(t.cmd("AT+CMGF=0").await, ["OK"]);
    assert_eq!(t.cmgs("14", "ZZZZ").await, ["+CMS ERROR: 304"]);
    assert_eq!(
        t.cmgs("13", "00210505A10110F0000004432C9309").await,
        ["+CMS ERROR: 304"]
    );
    assert_eq!(
        t.cmgs("14", "00200505A10110F0000004432C9309").await,
        ["+CMS ERROR: 304"]
    );
    assert_eq!(t.cmd("AT+CMGS=9999").await, ["+CMS ERROR: 304"]);
    // ESC cancels the message: nothing is sent.
    t.send(b"AT+CMGS=14\r").await;
    t.prompt().await;
    t.send(b"00210505A10110F0\x1b").await;
    assert_eq!(t.response().await, ["OK"]);
    let msgs = Admin::new(&sim)
        .get(&format!("/_sim/handsets/{iccid}/messages"))
        .await;
    assert_eq!(msgs["messages"].as_array().unwrap().len(), 0);

    // Another modem hangs up in the middle of AT+CMGS.
    let mut other = Term::open(&sim).await;
    other.cmd(&format!("AT+SIMSEL=\"{iccid}\"")).await;
    other.cmd("AT+CMGF=1").await;
    other.send(b"AT+CMGS=\"10010\"\r").await;
    other.prompt().await;
    other.send(b"CXL").await;
    drop(other);
    tokio::time::sleep(Duration::from_millis(50)).await;
    let msgs = Admin::new(&sim)
        .get(&format!("/_sim/handsets/{iccid}/messages"))
        .await;
    assert_eq!(msgs["messages"].as_array().unwrap().len(), 0);

    // This modem and the HTTP side still work.
    assert_eq!(
        t.cmgs("14", "00210505A10110F0000004432C9309").await,
        ["+CMGS: 0", "OK"]
    );
    assert_eq!(t.urc().await, "+CMTI: \"ME\",1");
    let h = Admin::new(&sim).get("/_sim/health").await;
    assert!(h.is_object());
}

/// A China Mobile reply in the real multi-part shape (decoded 10086 PDUs
/// of 2021, XXXXzzzz000/ModemManager `test-sms-part-3gpp.c`): first octet
/// 0x64 (UDHI, status-report indication, no more messages), sender 10086
/// with type of address 0xA1, UCS-2, a 16-bit reference (`06 08 04 rr rr
/// n i`), 65 characters per non-final part, all parts in the same second,
/// 2 s after the query.
#[tokio::test]
async fn pdu_mode_real_shape_of_a_mobile_reply() {
    let sim = Simulator::builder()
        .settings(device_ports(true, false))
        .start()
        .await;
    let c = Admin::new(&sim).card_by_tag("cmcc", "normal").await;
    let mut t = Term::open(&sim).await;
    t.cmd(&format!("AT+SIMSEL=\"{}\"", c["iccid"].as_str().unwrap()))
        .await;
    assert_eq!(t.cmd("AT+CMGF=1").await, ["OK"]);
    assert_eq!(t.cmgs("\"10086\"", "CXLL").await, ["+CMGS: 0", "OK"]);
    let mut n = 0;
    while tokio::time::timeout(Duration::from_millis(1500), t.urc())
        .await
        .is_ok()
    {
        n += 1;
    }
    assert!(n >= 3, "a long reply in several parts: {n}");
    assert_eq!(t.cmd("AT+CMGF=0").await, ["OK"]);
    let mut text = String::new();
    let mut reference = None;
    for i in 1..=n {
        let r = t.cmd(&format!("AT+CMGR={i}")).await;
        let hex = &r[1];
        let b: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|k| u8::from_str_radix(&hex[k..k + 2], 16).unwrap())
            .collect();
        let tp = 1 + b[0] as usize;
        assert_eq!(b[tp], 0x64, "first octet");
        assert_eq!(&b[tp + 1..tp + 3], &[5, 0xA1], "5 digits, type 0xA1");
        // SCTS 26-11-24 10:00:02 +8 h, the same for every part.
        assert_eq!(
            &b[tp + 8..tp + 15],
            &[0x62, 0x11, 0x42, 0x01, 0x00, 0x20, 0x23]
        );
        let (from, concat, part) = decode_deliver(hex);
        assert_eq!(from, "10086");
        let (r, total, seq) = concat.unwrap();
        assert_eq!((total as usize, seq as usize), (n, i));
        assert_eq!(b[tp + 16..tp + 19], [6, 8, 4], "16-bit reference header");
        assert!(reference.is_none_or(|x| x == r));
        reference = Some(r);
        if i < n {
            assert_eq!(part.encode_utf16().count(), 65);
        }
        text.push_str(&part);
    }
    assert!(
        text.starts_with("【流量查询】尊敬的客户您好，截至到2026年"),
        "{text}"
    );
    assert!(
        text.ends_with("下载地址：http://hfx.net/i/W63Wz 。【中国移动】"),
        "{text}"
    );
}

/// Worlds on demand over the one modem port (docs/sms.md, "Virtual AT
/// modem"): `AT+SIMSEL="w{id}:<iccid>"` selects a card of that world, whose
/// clock and inbox the modem then sees; an unknown world is no SIM; a
/// selection without a prefix goes back to the root world.
#[tokio::test]
async fn simsel_with_a_world_prefix_selects_a_card_of_that_world() {
    let sim = sim().await;
    let admin = Admin::new(&sim);
    let (s, w) = admin
        .call(
            reqwest::Method::POST,
            "/_sim/worlds",
            Some(serde_json::json!({"fixture": fleet_with_simulated_texts()})),
        )
        .await;
    assert_eq!(s, 201, "{w}");
    let id = w["id"].as_str().unwrap().to_string();
    let world = Admin::at(w["urls"]["base"].as_str().unwrap());
    // The world is a day ahead of the root.
    let (s, _) = world
        .call(
            reqwest::Method::POST,
            "/_sim/clock",
            Some(serde_json::json!({"advance": "1d"})),
        )
        .await;
    assert_eq!(s, 200);
    let iccid = admin.iccid_by_tag("cucc", "normal").await;

    let mut t = Term::open(&sim).await;
    assert_eq!(t.cmd(&format!("AT+SIMSEL=\"{id}:{iccid}\"")).await, ["OK"]);
    assert_eq!(
        t.cmd("AT+SIMSEL?").await,
        [format!("+SIMSEL: \"{id}:{iccid}\""), "OK".to_string()]
    );
    assert_eq!(t.cmd("AT+CMGF=1").await, ["OK"]);
    assert_eq!(t.cmgs("\"10010\"", "CXLL").await, ["+CMGS: 0", "OK"]);
    assert_eq!(t.urc().await, "+CMTI: \"ME\",1");
    // Stamped on the world's clock (25 November), in the world's inbox.
    let r = t.cmd("AT+CMGR=1").await;
    assert!(r[0].contains("\"26/11/25,"), "{r:?}");
    let inbox = world.get(&format!("/_sim/handsets/{iccid}/inbox")).await;
    assert_eq!(inbox["messages"].as_array().unwrap().len(), 1, "{inbox}");
    let root_inbox = admin.get(&format!("/_sim/handsets/{iccid}/inbox")).await;
    assert!(
        root_inbox["messages"].as_array().unwrap().is_empty(),
        "{root_inbox}"
    );

    // No such world: like no such card.
    assert_eq!(
        t.cmd(&format!("AT+SIMSEL=\"w999:{iccid}\"")).await,
        ["+CME ERROR: 10"]
    );
    // Back to the root world.
    assert_eq!(t.cmd(&format!("AT+SIMSEL=\"{iccid}\"")).await, ["OK"]);
    assert_eq!(
        t.cmd("AT+SIMSEL?").await,
        [format!("+SIMSEL: \"{iccid}\""), "OK".to_string()]
    );
    // The message reference counts on per modem (TS 27.005 `<mr>`).
    assert_eq!(t.cmgs("\"10010\"", "CXLL").await, ["+CMGS: 1", "OK"]);
    assert_eq!(t.urc().await, "+CMTI: \"ME\",1");
    let r = t.cmd("AT+CMGR=1").await;
    assert!(r[0].contains("\"26/11/24,"), "{r:?}");
}
