//! What the device tests (AT modem, SMSC, their real clients) share:
//! settings that open the device ports on free loopback ports, a
//! default-fleet card found before any simulator starts, and the replies
//! the default CUCC `normal` card gets from 10010 (the texts of
//! docs/sms.md, with the fleet's figures: 1 GB plan, 356.20 MB used
//! on 24 November).

use carrier_sim::Settings;

/// 10010's answer to `CXLL` for the default CUCC `normal` card, in the
/// simulator's own words (`forms = "simulated"`).
pub const CUCC_NORMAL_DATA_REPLY: &str =
    "截至11月24日10时，您本月套餐内通用流量共1.00GB，已用356.20MB，剩余667.80MB。【中国联通】";
/// 10010's answer to a command it does not know.
pub const CUCC_HELP_REPLY: &str = "您发送的指令无法识别。查询流量请发送CXLL、1071、2082或CXTCYL，查询话费余额请发送CXHF、101或CXYE至10010。【中国联通】";

/// The default fleet answering with the simulator's own texts (the
/// `simulated` forms of docs/sms.md, which the two replies above are):
/// tests of the devices' mechanics are written around their lengths.
pub fn fleet_with_simulated_texts() -> String {
    format!(
        "{}\n[dialects.sms]\nforms = \"simulated\"\n",
        carrier_sim::fixture::DEFAULT_FIXTURE
    )
}

/// Default settings plus the AT modem's TCP port and/or the SMSC, each on
/// a free loopback port.
pub fn device_ports(modem: bool, smpp: bool) -> Settings {
    let free = || Some("127.0.0.1:0".parse().expect("loopback address"));
    Settings {
        modem_bind: if modem { free() } else { None },
        smpp_bind: if smpp { free() } else { None },
        ..Settings::default()
    }
}

/// The ICCID of the default fleet's card of `account` with a role tag,
/// read from the embedded fixture (for settings made before the start).
pub fn default_fleet_iccid(account: &str, tag: &str) -> String {
    let fx = carrier_sim::fixture::default_fixture();
    fx.cards
        .iter()
        .find(|c| c.account == account && c.tags.iter().any(|t| t == tag))
        .unwrap_or_else(|| panic!("the default fleet has no {account} card tagged {tag}"))
        .iccid
        .clone()
}
