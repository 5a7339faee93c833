//! China Telecom's "three-key DES" (`strEnc` / `strDec` of the vendor's
//! `des.js`), exactly as in `docs/protocol-ctcc.md` §2: text is taken as
//! UTF-16 code units, 4 units per 64-bit block (zero-padded), every block is
//! encrypted in ECB with every chunk-key of key1, then key2, then key3 (all
//! encryptions), and written as 16 uppercase hex characters.
//!
//! des.js uses a non-standard D half of PC-1. Instead of hand-rolling DES we
//! permute each key once (§2.3) and use the standard `des` crate.

use des::cipher::generic_array::GenericArray;
use des::cipher::{BlockDecrypt, BlockEncrypt, KeyInit};
use des::Des;

/// Standard PC-1 D-half bit positions (MSB-first numbering of the key).
const STD_D: [usize; 28] = [
    62, 54, 46, 38, 30, 22, 14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 60, 52, 44, 36, 28, 20, 12, 4,
    27, 19, 11, 3,
];

/// The D-half bit positions des.js uses.
const CT_D: [usize; 28] = [
    27, 19, 11, 3, 60, 52, 44, 36, 28, 20, 12, 4, 61, 53, 45, 37, 29, 21, 13, 5, 62, 54, 46, 38,
    30, 22, 14, 6,
];

/// The key K' under which standard DES behaves like des.js under `key`.
pub fn permute_key(key: [u8; 8]) -> [u8; 8] {
    let k = u64::from_be_bytes(key);
    let bit = |v: u64, i: usize| (v >> (63 - i)) & 1;
    let mut out = k;
    for i in 0..28 {
        let pos = 63 - STD_D[i];
        out = (out & !(1 << pos)) | (bit(k, CT_D[i]) << pos);
    }
    out.to_be_bytes()
}

/// 4-unit chunks of a string as 64-bit blocks (UTF-16BE, zero-padded).
fn blocks(text: &str) -> Vec<[u8; 8]> {
    let units: Vec<u16> = text.encode_utf16().collect();
    units
        .chunks(4)
        .map(|c| {
            let mut b = [0u8; 8];
            for (i, u) in c.iter().enumerate() {
                b[i * 2..i * 2 + 2].copy_from_slice(&u.to_be_bytes());
            }
            b
        })
        .collect()
}

/// The three keys as prepared DES ciphers, in encryption order.
#[derive(Clone)]
pub struct TripleKey {
    ciphers: Vec<Des>,
}

impl TripleKey {
    /// Keys per §2.2: all three non-empty → k1,k2,k3; else k1,k2; else k1.
    pub fn new(k1: &str, k2: &str, k3: &str) -> TripleKey {
        let used: &[&str] = if !k1.is_empty() && !k2.is_empty() && !k3.is_empty() {
            &[k1, k2, k3]
        } else if !k1.is_empty() && !k2.is_empty() {
            &[k1, k2]
        } else if !k1.is_empty() {
            &[k1]
        } else {
            &[]
        };
        let ciphers = used
            .iter()
            .flat_map(|k| blocks(k))
            .map(|b| Des::new(GenericArray::from_slice(&permute_key(b))))
            .collect();
        TripleKey { ciphers }
    }

    /// A 9-character CTCC interface key split 3/3/3 (shorter keys split as far as they go).
    pub fn from_key(key: &str) -> TripleKey {
        let chars: Vec<char> = key.chars().collect();
        let part = |a: usize, b: usize| -> String {
            chars[a.min(chars.len())..b.min(chars.len())]
                .iter()
                .collect()
        };
        TripleKey::new(&part(0, 3), &part(3, 6), &part(6, 9))
    }

    /// `strEnc`: uppercase hex, 16 characters per 4 code units.
    pub fn enc(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() * 4 + 16);
        for b in blocks(text) {
            let mut block = GenericArray::from(b);
            for c in &self.ciphers {
                c.encrypt_block(&mut block);
            }
            for byte in block {
                out.push(HEX[(byte >> 4) as usize] as char);
                out.push(HEX[(byte & 15) as usize] as char);
            }
        }
        out
    }

    /// `strDec`: hex (any case) in 16-character groups, a trailing partial
    /// group ignored; zero code units dropped. `None` if a group is not hex.
    pub fn dec(&self, hex_text: &str) -> Option<String> {
        let bytes = hex_text.as_bytes();
        let mut units = Vec::with_capacity(bytes.len() / 4);
        for group in bytes.chunks_exact(16) {
            let mut b = [0u8; 8];
            hex::decode_to_slice(group, &mut b).ok()?;
            let mut block = GenericArray::from(b);
            for c in self.ciphers.iter().rev() {
                c.decrypt_block(&mut block);
            }
            for pair in block.chunks(2) {
                let u = u16::from_be_bytes([pair[0], pair[1]]);
                if u != 0 {
                    units.push(u);
                }
            }
        }
        Some(String::from_utf16_lossy(&units))
    }
}

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// `strEnc(data, k1, k2, k3)`.
pub fn str_enc(data: &str, k1: &str, k2: &str, k3: &str) -> String {
    TripleKey::new(k1, k2, k3).enc(data)
}

/// `strDec(hex, k1, k2, k3)`; `None` for non-hex input.
pub fn str_dec(hex_text: &str, k1: &str, k2: &str, k3: &str) -> Option<String> {
    TripleKey::new(k1, k2, k3).dec(hex_text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn abc(data: &str) -> String {
        str_enc(data, "abc", "def", "ghi")
    }

    #[test]
    fn permuted_keys() {
        let k = |s: &str| hex::encode(permute_key(blocks(s)[0]));
        assert_eq!(k("abc"), "0069007000610000");
        assert_eq!(k("def"), "006c006100680008");
        assert_eq!(k("ghi"), "0073006000690004");
    }

    #[test]
    fn spec_vectors() {
        assert_eq!(abc("test"), "41894168BD86A2CC");
        assert_eq!(abc("14914000000,queryPakage,test,test"), "45E8B9924DE397A8F7E5764767810CF774CC7E1685BA702C9C4C367EFDAE5D932B37C0C8F0F8EB0CAD6372289F407CA941894168BD86A2CC32E5804EA05BAA5099649468B9418E52");
        assert_eq!(
            abc("password1"),
            "6214317BA7B9D57C2299411C4258C626FE04B76218FE1397"
        );
        assert_eq!(abc("abc"), "F2923F4C43EB4A79");
        assert_eq!(abc("中文测试"), "E4AF9E8994A23423");
        assert_eq!(str_enc("x", "abcdefgh", "ij", "k"), "52A7485D8400A837");
        assert_eq!(
            str_enc("secret01", "k1a", "k2b", "k3c"),
            "A84492666B7CE6E3B1C8825BB182B01F"
        );
        assert_eq!(abc("test1234"), "41894168BD86A2CC637DB4FA6CE97037");
        assert_eq!(abc("14910000000,queryTraffic,test1234,testuser"), "45E8B9924DE397A8DAEF2C60DB715B1B74CC7E1685BA702C9C4C367EFDAE5D938F7F19EA3F28117669379E20030180BA32E5804EA05BAA501F7A25C6B0F7A091AD4838ED34374D16B37F49C390E236D6C299054019958A8B");
        assert_eq!(abc(",14910000000,19,disabledNumber,test1234,testuser"), "ACBCD0DD393154D99DD864B31486311FDAEF2C60DB715B1B6ED7485E82548B8F4E5265B4F5546B0934FE79FEE1AFE58581E0B903268AFE6A810ABE87DB4390F1275E6AD21C787BB52B71622EE659C04041894168BD86A2CC16CC0DAF9B20CEF4");
        assert_eq!(abc("14910000000,ADD,singleCutNet,test1234,testuser"), "45E8B9924DE397A8DAEF2C60DB715B1B74CC7E1685BA702CF0F9475F707FF987C678BAB6F0248D5026B1D5F8DCF350B8915C3C92092F951C32E5804EA05BAA501F7A25C6B0F7A091AD4838ED34374D16B37F49C390E236D6C299054019958A8B");
        assert_eq!(abc("getSIMList,test1234,testuser"), "5692CA1A534B31B7320940A84FCA51B7348A0223F91323A3275E6AD21C787BB52B71622EE659C04041894168BD86A2CC16CC0DAF9B20CEF4");
        assert_eq!(abc(""), "");
    }

    #[test]
    fn decrypts_either_case() {
        let k = TripleKey::from_key("abcdefghi");
        assert_eq!(
            k.dec("41894168BD86A2CC637DB4FA6CE97037").as_deref(),
            Some("test1234")
        );
        assert_eq!(
            k.dec("41894168bd86a2cc637db4fa6ce97037").as_deref(),
            Some("test1234")
        );
        // A trailing partial group is ignored; non-hex is refused.
        assert_eq!(k.dec("41894168BD86A2CC637").as_deref(), Some("test"));
        assert_eq!(k.dec("ZZ894168BD86A2CC"), None);
        assert_eq!(k.enc("test"), "41894168BD86A2CC");
    }

    proptest! {
        #[test]
        fn round_trip(s in "\\PC*", k in "[a-z0-9A-Z]{9}") {
            let s: String = s.chars().filter(|c| *c != '\0').collect();
            let key = TripleKey::from_key(&k);
            let enc = key.enc(&s);
            prop_assert_eq!(enc.len(), 16 * s.encode_utf16().count().div_ceil(4));
            prop_assert_eq!(key.dec(&enc), Some(s));
        }

        #[test]
        fn round_trip_any_chars(s in any::<String>()) {
            let s: String = s.chars().filter(|c| *c != '\0').collect();
            let key = TripleKey::new("abc", "def", "ghi");
            prop_assert_eq!(key.dec(&key.enc(&s)), Some(s));
        }
    }
}
