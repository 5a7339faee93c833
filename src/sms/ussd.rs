//! USSD sessions: a code such as `*100#` opens a menu, each answer picks an
//! option, a leaf ends the session. One session per card; a session left
//! idle longer than the timeout (simulated clock, default 120 s,
//! `[dialects.sms] ussd_timeout_seconds`) is gone. Menus per carrier come
//! from the fixture (`[dialects.sms.<carrier>.ussd."*100#"]`, a node being
//! `{text = "...", options = {"1" = {text = "..."}}}`); China Mobile and China
//! Unicom get a default balance menu on `*100#`. China Telecom has no USSD
//! by default (its CDMA heritage had none), unless the fixture gives one.
//! These menus are the simulator's own: no Chinese carrier is known to
//! answer balance USSD; `ussd_mode = "error"` makes every code fail as the
//! real networks seem to.

use std::collections::BTreeMap;
use std::sync::Arc;

use compact_str::CompactString;
use jiff::Timestamp;
use serde::Deserialize;

use super::replies::{figures, render};
use super::{access, state, Access};
use crate::domain::Carrier;
use crate::world::World;

/// One menu node: what is shown, and where each answer leads.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Node {
    pub text: String,
    #[serde(default)]
    pub options: BTreeMap<String, Node>,
}

impl Node {
    fn leaf(text: &str) -> Node {
        Node {
            text: text.into(),
            options: BTreeMap::new(),
        }
    }
}

/// An open session.
#[derive(Clone, Debug)]
pub struct Session {
    pub code: String,
    /// Answers taken so far (the path from the root).
    pub path: Vec<String>,
    pub last: Timestamp,
}

/// A USSD answer: the text and whether the network waits for more.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    /// `true` = further user action required (`+CUSD: 1`), `false` = ended.
    pub more: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum UssdError {
    #[error("card not found")]
    NotFound,
    #[error("the card is not on the network")]
    OffNetwork,
    #[error("no USSD service at {0}")]
    UnknownCode(String),
    #[error("no USSD session is open (or it timed out)")]
    NoSession,
}

/// The default menu of a carrier.
fn default_menu(carrier: Carrier) -> Option<Node> {
    if carrier == Carrier::Ctcc {
        return None;
    }
    let mut options = BTreeMap::new();
    options.insert(
        "1".into(),
        Node::leaf("截至{date}，您的账户余额为{balance}元。"),
    );
    options.insert(
        "2".into(),
        Node::leaf("截至{date}，您本月通用流量共{total}，已用{used}，剩余{remain}。"),
    );
    options.insert(
        "3".into(),
        Node::leaf("您当前的套餐为{plan}，月功能费{fee}元，有效期至{expires}。"),
    );
    options.insert("0".into(), Node::leaf("感谢使用，再见。"));
    Some(Node {
        text: "{carrier}自助服务\n1.账户余额\n2.本月流量\n3.套餐信息\n0.退出".into(),
        options,
    })
}

/// The menu served on `code` for a carrier.
pub fn menu(world: &World, carrier: Carrier, code: &str) -> Option<Node> {
    let code = code.trim();
    let fixture = super::replies::carrier_settings(world, carrier)
        .and_then(|v| v.get("ussd").cloned())
        .and_then(|m| m.get(code).cloned());
    match fixture {
        Some(v) => serde_json::from_value(v).ok(),
        None if code == "*100#" => default_menu(carrier),
        None => None,
    }
}

fn timeout_secs(world: &World) -> i64 {
    world
        .fixture()
        .dialects
        .sms
        .as_ref()
        .and_then(|v| v.get("ussd_timeout_seconds"))
        .and_then(|v| v.as_i64())
        .unwrap_or(120)
}

fn render_node(world: &World, iccid: &str, text: &str) -> String {
    match figures(world, iccid) {
        Some((_, vars)) => render(text, &vars),
        None => text.to_string(),
    }
}

/// Whether the fixture asks USSD to behave as the real Chinese networks
/// seem to (`ussd_mode = "error"`, per card, account, carrier or
/// everybody): no public source shows a Chinese carrier answering a balance
/// USSD (they answer such queries by SMS), so every code fails as an
/// unknown one (`+CUSD: 4` on the modem, 404 on the handset).
fn real_networks(world: &World, card: &crate::domain::Card) -> bool {
    super::profile::setting(world, card, "ussd_mode")
        .and_then(|v| v.as_str().map(|s| s.eq_ignore_ascii_case("error")))
        .unwrap_or(false)
}

/// Opens a session with a code (replacing any open one).
pub fn begin(world: &Arc<World>, iccid: &str, code: &str) -> Result<Reply, UssdError> {
    let card = world.card(iccid).ok_or(UssdError::NotFound)?;
    if access(&card) == Access::None {
        return Err(UssdError::OffNetwork);
    }
    let code = super::numbers::to_half_width(code).trim().to_string();
    if real_networks(world, &card) {
        return Err(UssdError::UnknownCode(code));
    }
    let root = menu(world, card.carrier, &code).ok_or(UssdError::UnknownCode(code.clone()))?;
    let st = state(world);
    let mut sessions = st.ussd.lock();
    sessions.remove(iccid);
    let more = !root.options.is_empty();
    if more {
        sessions.insert(
            CompactString::from(iccid),
            Session {
                code,
                path: Vec::new(),
                last: world.now(),
            },
        );
    }
    Ok(Reply {
        text: render_node(world, iccid, &root.text),
        more,
    })
}

/// Answers the open session's menu.
pub fn answer(world: &Arc<World>, iccid: &str, input: &str) -> Result<Reply, UssdError> {
    let card = world.card(iccid).ok_or(UssdError::NotFound)?;
    let st = state(world);
    let mut sessions = st.ussd.lock();
    let now = world.now();
    let Some(mut s) = sessions.remove(iccid) else {
        return Err(UssdError::NoSession);
    };
    let age = now.as_second() - s.last.as_second();
    if !(0..=timeout_secs(world)).contains(&age) {
        return Err(UssdError::NoSession);
    }
    let root = menu(world, card.carrier, &s.code).ok_or(UssdError::NoSession)?;
    let mut node = &root;
    for step in &s.path {
        match node.options.get(step) {
            Some(n) => node = n,
            None => return Err(UssdError::NoSession),
        }
    }
    let choice = super::numbers::normalise_command(input);
    let Some(next) = node.options.get(&choice) else {
        let text = format!(
            "输入有误，请重新输入。\n{}",
            render_node(world, iccid, &node.text)
        );
        s.last = now;
        sessions.insert(CompactString::from(iccid), s);
        return Ok(Reply { text, more: true });
    };
    let more = !next.options.is_empty();
    let text = render_node(world, iccid, &next.text);
    if more {
        s.path.push(choice);
        s.last = now;
        sessions.insert(CompactString::from(iccid), s);
    }
    Ok(Reply { text, more })
}

/// Ends the open session, if any; returns whether one was open.
pub fn end(world: &Arc<World>, iccid: &str) -> bool {
    state(world).ussd.lock().remove(iccid).is_some()
}
