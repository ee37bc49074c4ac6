//! SHA-256 digests as stored in records and headers.

use std::fmt;

use sha2::{Digest, Sha256};

/// Value of each byte as a lowercase hex digit, or 0xff.
const HEX_VALUES: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut digit = 0;
    while digit < 10 {
        table[b'0' as usize + digit] = digit as u8;
        digit += 1;
    }
    let mut letter = 0;
    while letter < 6 {
        table[b'a' as usize + letter] = 10 + letter as u8;
        letter += 1;
    }
    table
};

/// A SHA-256 digest, stored as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Hash(pub [u8; 32]);

impl Hash {
    /// The `prev_hash` of the first record of a log: 32 zero bytes.
    pub const GENESIS: Hash = Hash([0; 32]);

    /// Returns SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Hash {
        Hash(Sha256::digest(bytes).into())
    }

    /// Parses 64 lowercase hex digits. Uppercase is rejected so that each hash has one spelling.
    pub fn from_hex(text: &str) -> Option<Hash> {
        Hash::from_hex_bytes(text.as_bytes())
    }

    /// Parses 64 lowercase hex digits given as bytes.
    pub fn from_hex_bytes(text: &[u8]) -> Option<Hash> {
        if text.len() != 64 {
            return None;
        }
        let mut out = [0u8; 32];
        // Invalid digits map to 0xff; OR-ing every value keeps a high bit set if any was.
        let mut invalid = 0u8;
        for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
            let (high, low) = (HEX_VALUES[usize::from(pair[0])], HEX_VALUES[usize::from(pair[1])]);
            invalid |= high | low;
            *byte = (high << 4) | (low & 0x0f);
        }
        (invalid & 0xf0 == 0).then_some(Hash(out))
    }

    /// Returns the 64-digit lowercase hex form.
    pub fn to_hex(&self) -> String {
        let mut buf = [0u8; 64];
        self.hex_into(&mut buf).to_owned()
    }

    /// Writes the 64-digit lowercase hex form into `buf` and returns it as text, without
    /// allocating.
    pub fn hex_into<'a>(&self, buf: &'a mut [u8; 64]) -> &'a str {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        for (pair, byte) in buf.chunks_exact_mut(2).zip(self.0) {
            pair[0] = DIGITS[usize::from(byte >> 4)];
            pair[1] = DIGITS[usize::from(byte & 0x0f)];
        }
        // Every byte written above is an ASCII hex digit.
        std::str::from_utf8(buf).unwrap_or_default()
    }

    /// Compares in constant time, so a verifier's timing reveals nothing about a stored hash:
    /// every byte is compared, with no early exit.
    pub fn ct_eq(&self, other: &Hash) -> bool {
        let difference = self.0.iter().zip(other.0).fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(difference) == 0
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash({})", self.to_hex())
    }
}

impl serde::Serialize for Hash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut buf = [0u8; 64];
        serializer.serialize_str(self.hex_into(&mut buf))
    }
}

impl<'de> serde::Deserialize<'de> for Hash {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Hash::from_hex(&text).ok_or_else(|| serde::de::Error::custom("expected 64 lowercase hex digits"))
    }
}
