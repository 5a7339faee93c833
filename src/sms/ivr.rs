//! Voice menus (IVR) of the carriers' hotlines — 10086, 10010, 10000. A
//! call is a session of spoken prompts (given as text) driven by DTMF
//! digits: a digit picks an option, `*` goes back to the main menu and
//! repeats it. The default tree reaches balance, data usage and the
//! package; a fixture can replace it with
//! `[dialects.sms.<carrier>.ivr."10086"]` (nodes `{text, options}` as USSD).
//! Calls to a hotline are free: they do not count as voice usage.

use std::collections::BTreeMap;
use std::sync::Arc;

use compact_str::CompactString;
use jiff::Timestamp;

use super::numbers::{normalise_number, voice_number};
use super::replies::{figures, render};
use super::ussd::Node;
use super::{access, state, Access};
use crate::domain::Carrier;
use crate::world::World;

/// A call in progress.
#[derive(Clone, Debug)]
pub struct Call {
    pub number: String,
    pub path: Vec<String>,
    pub started: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("card not found")]
    NotFound,
    #[error("the card is not on the network")]
    OffNetwork,
    #[error("the card is barred: only its carrier's hotline can be called")]
    Barred,
    #[error("nobody answers at {0} (only the carrier's hotline has a voice menu)")]
    NoAnswer(String),
    #[error("no call in progress")]
    NoCall,
    #[error("not a DTMF digit: {0:?}")]
    BadDigit(char),
}

fn leaf(text: &str) -> Node {
    Node {
        text: text.into(),
        options: BTreeMap::new(),
    }
}

/// The built-in hotline menu.
fn default_tree() -> Node {
    let mut options = BTreeMap::new();
    options.insert(
        "1".into(),
        leaf("截至{date}，您的账户余额为{balance}元。返回主菜单请按星号键。"),
    );
    options.insert(
        "2".into(),
        leaf("截至{date}，您本月套餐内通用流量共{total}，已用{used}，剩余{remain}。返回主菜单请按星号键。"),
    );
    options.insert(
        "3".into(),
        leaf("您当前的套餐为{plan}，月功能费{fee}元，有效期至{expires}。返回主菜单请按星号键。"),
    );
    Node {
        text: "您好，欢迎致电{carrier}客服热线。查询话费余额请按1，查询本月流量请按2，查询套餐信息请按3，重听请按星号键。".into(),
        options,
    }
}

/// The menu of a hotline for a carrier's cards.
pub fn tree(world: &World, carrier: Carrier, number: &str) -> Option<Node> {
    let fixture = super::replies::carrier_settings(world, carrier)
        .and_then(|v| v.get("ivr").cloned())
        .and_then(|m| m.get(number).cloned());
    match fixture {
        Some(v) => serde_json::from_value(v).ok(),
        None if number == voice_number(carrier) => Some(default_tree()),
        None => None,
    }
}

fn say(world: &World, iccid: &str, text: &str) -> String {
    match figures(world, iccid) {
        Some((_, vars)) => render(text, &vars),
        None => text.to_string(),
    }
}

/// Dials a number: the hotline answers with its main menu.
pub fn dial(world: &Arc<World>, iccid: &str, number: &str) -> Result<Vec<String>, CallError> {
    let card = world.card(iccid).ok_or(CallError::NotFound)?;
    let number = normalise_number(number);
    let acc = access(&card);
    if acc == Access::None {
        return Err(CallError::OffNetwork);
    }
    if acc == Access::ServiceOnly && !super::numbers::is_service_number(card.carrier, &number) {
        return Err(CallError::Barred);
    }
    let root = tree(world, card.carrier, &number).ok_or(CallError::NoAnswer(number.clone()))?;
    state(world).calls.lock().insert(
        CompactString::from(iccid),
        Call {
            number,
            path: Vec::new(),
            started: world.now(),
        },
    );
    Ok(vec![say(world, iccid, &root.text)])
}

/// Sends DTMF digits; returns the prompts they produce, in order.
pub fn dtmf(world: &Arc<World>, iccid: &str, digits: &str) -> Result<Vec<String>, CallError> {
    let card = world.card(iccid).ok_or(CallError::NotFound)?;
    if let Some(bad) = digits
        .chars()
        .find(|c| !(c.is_ascii_digit() || matches!(c, '*' | '#' | 'A'..='D')))
    {
        return Err(CallError::BadDigit(bad));
    }
    let st = state(world);
    let mut calls = st.calls.lock();
    let call = calls.get_mut(iccid).ok_or(CallError::NoCall)?;
    let root = tree(world, card.carrier, &call.number).ok_or(CallError::NoCall)?;
    let mut prompts = Vec::new();
    for d in digits.chars() {
        if d == '*' {
            call.path.clear();
            prompts.push(say(world, iccid, &root.text));
            continue;
        }
        let mut node = &root;
        for step in &call.path {
            node = node.options.get(step).unwrap_or(&root);
        }
        match node.options.get(&d.to_string()) {
            Some(next) => {
                call.path.push(d.to_string());
                prompts.push(say(world, iccid, &next.text));
            }
            None => prompts.push(format!(
                "您的输入有误，请重新输入。{}",
                say(world, iccid, &node.text)
            )),
        }
    }
    Ok(prompts)
}

/// Hangs up; returns whether a call was in progress.
pub fn hang_up(world: &Arc<World>, iccid: &str) -> bool {
    state(world).calls.lock().remove(iccid).is_some()
}

/// The number of the call in progress, if any.
pub fn current(world: &Arc<World>, iccid: &str) -> Option<Call> {
    state(world).calls.lock().get(iccid).cloned()
}
