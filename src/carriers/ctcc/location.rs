//! Coarse location (spec §4.18 getLocationByPhone, on `app/location.do`):
//! the reply body is the account key's `strEnc` of a JSON object with the
//! serving cell's position; `MSID_TYPE` 0 = located, 130 = powered off.

use serde_json::json;

use super::{fmt_compact, Call, Fail, Out};

/// getLocationByPhone: encrypted JSON with the card's simulated position.
pub fn by_phone(call: &Call) -> Result<Out, Fail> {
    let card = call.card()?;
    let s = &card.session;
    let located = s.online && card.is_live();
    let body = json!({
        "resultCode": "0",
        "resultMsg": "处理成功！",
        "MSID_TYPE": if located { "0" } else { "130" },
        "MSID": card.msisdn,
        "ROAMCITY": if s.city.is_empty() { "南京" } else { &s.city },
        "LONGITUDE": if located { format!("{:.6}", s.lon) } else { String::new() },
        "LATITUDE": if located { format!("{:.6}", s.lat) } else { String::new() },
        "LONGITUDETYPE": "E",
        "LATITUDETYPE": "N",
        "LOCALTIME": fmt_compact(call.world().now()),
        "POSITIONRESULT": if located { "0" } else { "1" },
        "RADIUS": if located { "500" } else { "" },
        "POSOUR": "1",
        "AREACODE": "025",
    });
    Ok(Out::Text(call.key.enc(&body.to_string())))
}
