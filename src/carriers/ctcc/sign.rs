//! Signatures. Legacy m2m_ec (spec §3): `sign = strEnc(sorted values joined
//! by ",")`, the values per method (§3.1); checked strictly by default, or
//! leniently (the decrypted multiset must hold the required values and
//! nothing but request values). 5G CMP (§7): `Sign` = uppercase hex of the
//! ASCII of the lowercase MD5 hex of `sortedQuery + body + secret + timestamp`.

use md5::{Digest, Md5};

use super::des::TripleKey;

/// How strictly the legacy `sign` is checked (`[dialects.ctcc] sign`).
pub use crate::fixture::dialects::SignCheck as SignMode;

/// The plaintext a client signs: values sorted by UTF-16 code unit, joined by ",".
pub fn joined(values: &[&str]) -> String {
    let mut v: Vec<&str> = values.to_vec();
    v.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
    v.join(",")
}

/// Checks a legacy sign. `expected` = the method's sign values (user_id,
/// plaintext password, method, identifier, extras); `request_values` = every
/// parameter value sent (for the lenient superset rule); `required` = the
/// values a lenient sign must contain.
pub fn verify_legacy(
    key: &TripleKey,
    sign: &str,
    expected: &[&str],
    required: &[&str],
    request_values: &[&str],
    mode: SignMode,
) -> bool {
    if mode == SignMode::Off {
        return true;
    }
    let Some(plain) = key.dec(sign) else {
        return false;
    };
    if plain == joined(expected) {
        return true;
    }
    if mode == SignMode::Strict {
        return false;
    }
    let mut got: Vec<&str> = plain.split(',').collect();
    for r in required {
        match got.iter().position(|g| g == r) {
            Some(i) => {
                got.swap_remove(i);
            }
            None => return false,
        }
    }
    got.iter()
        .all(|g| expected.contains(g) || request_values.contains(g))
}

/// The 5G `Sign` of a plaintext (`params + body + secret + timestamp`).
pub fn g5_sign(plain: &str) -> String {
    let digest = Md5::digest(plain.as_bytes());
    let lower = hex::encode(digest);
    hex::encode_upper(lower.as_bytes())
}

/// `k1=v1&k2=v2` of pairs sorted by key (stable for equal keys).
pub fn sorted_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut v: Vec<(&str, &str)> = pairs.into_iter().collect();
    v.sort_by(|a, b| a.0.cmp(b.0));
    v.iter()
        .map(|(k, val)| format!("{k}={val}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Checks a 5G `Sign` header against the accepted variants: (a) sorted
/// query + raw body, (b) the same without empty-valued query parameters,
/// (c) sorted `k=v` of query and top-level JSON fields with no body.
pub fn verify_g5(
    sign: &str,
    query: &[(String, String)],
    body: &str,
    json_fields: &[(String, String)],
    secret: &str,
    timestamp: &str,
) -> bool {
    let q = |skip_empty: bool| {
        sorted_pairs(
            query
                .iter()
                .filter(|(_, v)| !skip_empty || !v.is_empty())
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
    };
    let both = sorted_pairs(
        query
            .iter()
            .chain(json_fields.iter())
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let fields = sorted_pairs(json_fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let candidates = [
        format!("{}{body}{secret}{timestamp}", q(false)),
        format!("{}{body}{secret}{timestamp}", q(true)),
        format!("{both}{secret}{timestamp}"),
        format!("{}{fields}{secret}{timestamp}", q(false)),
    ];
    candidates
        .iter()
        .any(|p| g5_sign(p).eq_ignore_ascii_case(sign))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g5_vectors() {
        let q = sorted_pairs([("c", "3"), ("a", "1"), ("b", "2")]);
        assert_eq!(q, "a=1&b=2&c=3");
        let plain = format!(
            "{q}{}{}{}",
            r#"{"name":"xf","age":"dd"}"#, "d1209cfefe895364e03", "20201101021435"
        );
        assert_eq!(
            g5_sign(&plain),
            "3863613035653132306631333231313733383637376333326536316631643934"
        );
        assert_eq!(
            g5_sign("access_number=1064900000001testsecret20240101120000"),
            "3236653332306237636263343039356566666435306163643165623362343166"
        );
    }

    #[test]
    fn g5_variants() {
        let query = vec![
            ("access_number".to_string(), "1064900000001".to_string()),
            ("acctCd".to_string(), String::new()),
        ];
        let good = g5_sign("access_number=1064900000001testsecret20240101120000");
        assert!(verify_g5(
            &good,
            &query,
            "",
            &[],
            "testsecret",
            "20240101120000"
        ));
        assert!(!verify_g5(
            &good,
            &query,
            "",
            &[],
            "other",
            "20240101120000"
        ));
    }

    #[test]
    fn legacy_sorting_and_modes() {
        assert_eq!(
            joined(&[
                "testuser",
                "test1234",
                "disabledNumber",
                "14910000000",
                "19",
                ""
            ]),
            ",14910000000,19,disabledNumber,test1234,testuser"
        );
        let key = TripleKey::from_key("abcdefghi");
        let exp = ["testuser", "test1234", "queryTraffic", "14910000000"];
        let sign = key.enc("14910000000,queryTraffic,test1234,testuser");
        assert!(verify_legacy(
            &key,
            &sign,
            &exp,
            &exp,
            &[],
            SignMode::Strict
        ));
        let extra = key.enc("0,14910000000,queryTraffic,test1234,testuser");
        assert!(!verify_legacy(
            &key,
            &extra,
            &exp,
            &exp,
            &["0"],
            SignMode::Strict
        ));
        assert!(verify_legacy(
            &key,
            &extra,
            &exp,
            &exp,
            &["0"],
            SignMode::Lenient
        ));
        assert!(!verify_legacy(
            &key,
            &extra,
            &exp,
            &exp,
            &[],
            SignMode::Lenient
        ));
        assert!(!verify_legacy(
            &key,
            "nothex!!",
            &exp,
            &exp,
            &[],
            SignMode::Lenient
        ));
    }
}
