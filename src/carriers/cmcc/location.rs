//! Location calls, answered from the card's simulated position (WGS-84
//! latitude/longitude and the serving city of its session).

use serde_json::json;

use super::codes;
use super::{card::per_number, fmt_time, Call, Reply};
use crate::domain::card::Card;

/// At most this many numbers in `/query/last-position-location`.
const LAST_POSITION_MAX: usize = 20;

fn coord(v: f64) -> String {
    format!("{v:.6}")
}

/// When the card was last seen by the network.
fn last_seen(card: &Card) -> String {
    let s = &card.session;
    fmt_time(s.started.or(s.ended).unwrap_or(card.updated))
}

fn read(c: &Call, f: impl FnOnce(&Card) -> serde_json::Value) -> Reply {
    let v = c.read(f);
    Ok(vec![v?])
}

/// `/query/position-location-message` (25L00): lat, lon.
pub fn position(c: &Call) -> Reply {
    read(
        c,
        |card| json!({"lat": coord(card.session.lat), "lon": coord(card.session.lon)}),
    )
}

/// `/query/district-position-location-message` (25L01): cityCode.
pub fn district(c: &Call) -> Reply {
    read(
        c,
        |card| json!({"cityCode": codes::city_code(&card.session.city)}),
    )
}

/// `/query/last-position-location` (25L03): up to 20 numbers.
pub fn last_position(c: &Call) -> Reply {
    per_number(c, LAST_POSITION_MAX, |card| {
        json!({
            "lastTime": last_seen(card),
            "lastLat": coord(card.session.lat),
            "lastLon": coord(card.session.lon),
        })
    })
}

/// `/query/last-district-position` (25L04): onLineTime, MCC, cityCode.
pub fn last_district(c: &Call) -> Reply {
    read(c, |card| {
        json!({
            "onLineTime": last_seen(card),
            "mobileCountryCode": "460",
            "cityCode": codes::city_code(&card.session.city),
        })
    })
}
