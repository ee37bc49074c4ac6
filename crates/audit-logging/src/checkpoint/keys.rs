//! Ed25519 signer and verifier keys in the string formats of Go's `golang.org/x/mod/sumdb/note`.
//!
//! ```text
//! verifier key:  <name>+<key hash>+<base64(0x01 || 32-byte Ed25519 public key)>
//! signer key:    PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || 32-byte Ed25519 seed)>
//! ```
//!
//! `<key hash>` is the key ID of the C2SP signed-note specification (section "Signatures",
//! subsection "Ed25519 signatures"), written as 8 lowercase hex digits:
//!
//! ```text
//! key ID = first 4 bytes, big-endian, of SHA-256(name || 0x0A || 0x01 || 32-byte public key)
//! ```
//!
//! Key names follow the signed-note rule (section "Format"): non-empty, no Unicode space
//! (the Unicode `White_Space` property, which is what Go's `unicode.IsSpace` tests) and no
//! plus sign. This module also rejects ASCII control characters in names, because a name
//! containing one could never appear in a valid note.

use std::fmt;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signature, Signer as _, SigningKey, VerifyingKey};
use rand_core::{OsRng, RngCore as _};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::error::{CheckpointError, KeyKind};

/// Signature type byte of Ed25519 in the C2SP signed-note specification.
pub(crate) const ED25519_TYPE: u8 = 0x01;

/// Length of an encoded Ed25519 key field: the type byte and 32 key bytes.
const KEY_DATA_LEN: usize = 33;

/// Prefix of a signer key string.
const SIGNER_PREFIX: &str = "PRIVATE+KEY+";

/// Checks a key name against the signed-note rules: non-empty, no Unicode space, no `+`,
/// and (stricter than the specification) no ASCII control character.
pub fn check_key_name(name: &str) -> Result<(), CheckpointError> {
    let reason = if name.is_empty() {
        Some("is empty")
    } else if name.contains('+') {
        Some("contains '+'")
    } else if name.chars().any(char::is_whitespace) {
        Some("contains a Unicode space character")
    } else if name.chars().any(|c| c.is_ascii_control()) {
        Some("contains an ASCII control character")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(CheckpointError::InvalidKeyName { name: name.to_owned(), reason }),
        None => Ok(()),
    }
}

/// Computes the signed-note key ID of an Ed25519 public key under `name`.
pub fn key_hash(name: &str, public_key: &[u8; 32]) -> u32 {
    let mut hasher = Sha256::new();
    hasher.update(name.as_bytes());
    hasher.update([b'\n', ED25519_TYPE]);
    hasher.update(public_key);
    let digest: [u8; 32] = hasher.finalize().into();
    // Cannot panic: constant indices into a 32-byte array.
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

/// Generates a new Ed25519 key pair named `name` from the operating system's random source.
pub fn generate(name: &str) -> Result<(SignerKey, VerifierKey), CheckpointError> {
    check_key_name(name)?;
    // try_fill_bytes instead of SigningKey::generate, which panics if the random source fails.
    let mut seed = Zeroizing::new([0u8; 32]);
    OsRng
        .try_fill_bytes(seed.as_mut_slice())
        .map_err(|err| CheckpointError::RandomSource { reason: err.to_string() })?;
    let signer = SignerKey::from_signing_key(name, SigningKey::from_bytes(&seed));
    let verifier = signer.verifier_key();
    Ok((signer, verifier))
}

/// Splits `<name>+<key hash>+<key data>` and checks the name and key hash syntax.
fn split_key_fields(kind: KeyKind, text: &str) -> Result<(&str, u32, &str), CheckpointError> {
    let malformed =
        |field: &'static str, reason: &str| CheckpointError::MalformedKey { kind, field, reason: reason.to_owned() };

    // The name cannot contain '+', but base64 key data can, so split at the first two only.
    let mut fields = text.splitn(3, '+');
    let name = fields.next().unwrap_or_default();
    let hash_hex =
        fields.next().ok_or_else(|| malformed("key hash", "is missing; expected <name>+<key hash>+<key data>"))?;
    let key_data =
        fields.next().ok_or_else(|| malformed("key data", "is missing; expected <name>+<key hash>+<key data>"))?;

    check_key_name(name)?;
    if hash_hex.len() != 8 || !hash_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed("key hash", "must be exactly 8 hex digits"));
    }
    let hash = u32::from_str_radix(hash_hex, 16).map_err(|err| malformed("key hash", &err.to_string()))?;
    Ok((name, hash, key_data))
}

/// Checks the length and type byte of decoded key data.
fn check_key_data(kind: KeyKind, name: &str, data: &[u8]) -> Result<(), CheckpointError> {
    match data.first() {
        None => Err(CheckpointError::MalformedKey { kind, field: "key data", reason: "is empty".to_owned() }),
        Some(&algorithm) if algorithm != ED25519_TYPE => {
            Err(CheckpointError::UnsupportedAlgorithm { kind, name: name.to_owned(), algorithm })
        }
        Some(_) if data.len() != KEY_DATA_LEN => Err(CheckpointError::MalformedKey {
            kind,
            field: "key data",
            reason: format!(
                "decodes to {} bytes; expected {KEY_DATA_LEN} (0x01 and a 32-byte Ed25519 key)",
                data.len()
            ),
        }),
        Some(_) => Ok(()),
    }
}

/// An Ed25519 public key with its signed-note name and key hash.
///
/// Its text form, from [`fmt::Display`] and [`VerifierKey::parse`], is
/// `<name>+<key hash>+<base64(0x01 || public key)>`.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_hash: u32,
    public_key: VerifyingKey,
}

impl VerifierKey {
    /// Builds a verifier key from a name and a 32-byte Ed25519 public key.
    ///
    /// Rejects an invalid name, a byte string that is not a curve point and a small-order point.
    pub fn from_public_key(name: &str, public_key: &[u8; 32]) -> Result<VerifierKey, CheckpointError> {
        check_key_name(name)?;
        let invalid = |reason: &str| CheckpointError::MalformedKey {
            kind: KeyKind::Verifier,
            field: "public key",
            reason: reason.to_owned(),
        };
        let public_key = VerifyingKey::from_bytes(public_key).map_err(|_| invalid("is not a valid Ed25519 point"))?;
        if public_key.is_weak() {
            return Err(invalid("is a small-order point, which cannot be a real signing key"));
        }
        Ok(VerifierKey { name: name.to_owned(), key_hash: key_hash(name, public_key.as_bytes()), public_key })
    }

    /// Parses `<name>+<key hash>+<base64(0x01 || public key)>` and checks the key hash.
    pub fn parse(text: &str) -> Result<VerifierKey, CheckpointError> {
        let kind = KeyKind::Verifier;
        let (name, stated, key_data) = split_key_fields(kind, text)?;
        let data = BASE64.decode(key_data).map_err(|err| CheckpointError::MalformedKey {
            kind,
            field: "key data",
            reason: format!("is not valid standard base64: {err}"),
        })?;
        check_key_data(kind, name, &data)?;

        let mut public_key = [0u8; 32];
        // Cannot panic: check_key_data accepted exactly 33 bytes, so the slice is 32 bytes long.
        public_key.copy_from_slice(&data[1..]);
        let key = VerifierKey::from_public_key(name, &public_key)?;
        if key.key_hash != stated {
            return Err(CheckpointError::KeyHashMismatch {
                kind,
                name: name.to_owned(),
                stated,
                computed: key.key_hash,
            });
        }
        Ok(key)
    }

    /// Returns the key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the key hash, the signed-note key ID.
    pub fn key_hash(&self) -> u32 {
        self.key_hash
    }

    /// Returns the 32-byte Ed25519 public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.public_key.to_bytes()
    }

    /// Checks an Ed25519 signature over `message`.
    ///
    /// Uses `verify_strict`, which also rejects non-canonical signature encodings, so a
    /// signature has one accepted spelling.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        self.public_key.verify_strict(message, &signature).is_ok()
    }
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut data = [0u8; KEY_DATA_LEN];
        data[0] = ED25519_TYPE;
        // Cannot panic: both sides are 32 bytes long.
        data[1..].copy_from_slice(self.public_key.as_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.key_hash, BASE64.encode(data))
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

impl FromStr for VerifierKey {
    type Err = CheckpointError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        VerifierKey::parse(text)
    }
}

/// An Ed25519 private key with its signed-note name and key hash.
///
/// The seed is zeroized when the key is dropped, because the inner
/// `ed25519_dalek::SigningKey` zeroizes itself on drop. `Debug` prints the name and key hash
/// only. The text form, `PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || seed)>`, is
/// available only through [`SignerKey::to_key_string`], so it is never printed by accident.
pub struct SignerKey {
    name: String,
    key_hash: u32,
    signing_key: SigningKey,
}

impl SignerKey {
    fn from_signing_key(name: &str, signing_key: SigningKey) -> SignerKey {
        let key_hash = key_hash(name, signing_key.verifying_key().as_bytes());
        SignerKey { name: name.to_owned(), key_hash, signing_key }
    }

    /// Builds a signer key from a name and a 32-byte Ed25519 seed (the RFC 8032 private key).
    pub fn from_seed(name: &str, seed: &[u8; 32]) -> Result<SignerKey, CheckpointError> {
        check_key_name(name)?;
        Ok(SignerKey::from_signing_key(name, SigningKey::from_bytes(seed)))
    }

    /// Parses `PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || seed)>` and checks that the key
    /// hash matches the public key derived from the seed.
    ///
    /// Error messages never contain the seed or the key data field.
    pub fn parse(text: &str) -> Result<SignerKey, CheckpointError> {
        let kind = KeyKind::Signer;
        let rest = text.strip_prefix(SIGNER_PREFIX).ok_or_else(|| CheckpointError::MalformedKey {
            kind,
            field: "prefix",
            reason: format!("is missing; a signer key starts with {SIGNER_PREFIX:?}"),
        })?;
        let (name, stated, key_data) = split_key_fields(kind, rest)?;
        let data = Zeroizing::new(BASE64.decode(key_data).map_err(|_| CheckpointError::MalformedKey {
            kind,
            field: "key data",
            reason: "is not valid standard base64".to_owned(),
        })?);
        check_key_data(kind, name, &data)?;

        let mut seed = Zeroizing::new([0u8; 32]);
        // Cannot panic: check_key_data accepted exactly 33 bytes, so the slice is 32 bytes long.
        seed.copy_from_slice(&data[1..]);
        let key = SignerKey::from_seed(name, &seed)?;
        if key.key_hash != stated {
            return Err(CheckpointError::KeyHashMismatch {
                kind,
                name: name.to_owned(),
                stated,
                computed: key.key_hash,
            });
        }
        Ok(key)
    }

    /// Returns the key string `PRIVATE+KEY+<name>+<key hash>+<base64(0x01 || seed)>`.
    ///
    /// The string contains the private key, and is zeroized when dropped.
    pub fn to_key_string(&self) -> Zeroizing<String> {
        let mut data = Zeroizing::new([0u8; KEY_DATA_LEN]);
        data[0] = ED25519_TYPE;
        // Cannot panic: both sides are 32 bytes long.
        data[1..].copy_from_slice(self.signing_key.as_bytes());
        let encoded = Zeroizing::new(BASE64.encode(data.as_slice()));
        let hash_hex = format!("{:08x}", self.key_hash);
        // Sized up front so that no reallocation leaves an unzeroized copy of the seed behind.
        let capacity = SIGNER_PREFIX.len() + self.name.len() + hash_hex.len() + encoded.len() + 2;
        let mut key_string = Zeroizing::new(String::with_capacity(capacity));
        key_string.push_str(SIGNER_PREFIX);
        key_string.push_str(&self.name);
        key_string.push('+');
        key_string.push_str(&hash_hex);
        key_string.push('+');
        key_string.push_str(&encoded);
        key_string
    }

    /// Returns the matching verifier key.
    pub fn verifier_key(&self) -> VerifierKey {
        VerifierKey { name: self.name.clone(), key_hash: self.key_hash, public_key: self.signing_key.verifying_key() }
    }

    /// Returns the key name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Returns the key hash, the signed-note key ID.
    pub fn key_hash(&self) -> u32 {
        self.key_hash
    }

    /// Signs `message` with Ed25519 (RFC 8032, deterministic).
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing_key.sign(message).to_bytes()
    }
}

impl fmt::Debug for SignerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignerKey")
            .field("name", &self.name)
            .field("key_hash", &format_args!("{:08x}", self.key_hash))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_rules() {
        assert!(check_key_name("example.com/log").is_ok());
        for bad in ["", "a+b", "a b", "a\tb", "a\u{a0}b", "a\u{2003}b", "a\u{3000}b", "a\u{1}b", "a\u{7f}b"] {
            assert!(check_key_name(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn generated_keys_round_trip() {
        let (signer, verifier) = generate("example.com/log").unwrap();
        let reparsed_signer = SignerKey::parse(&signer.to_key_string()).unwrap();
        assert_eq!(reparsed_signer.verifier_key(), verifier);
        assert_eq!(VerifierKey::parse(&verifier.to_string()).unwrap(), verifier);
        assert_eq!(verifier.key_hash(), key_hash("example.com/log", &verifier.public_key()));
    }

    #[test]
    fn signer_debug_hides_seed() {
        let signer = SignerKey::from_seed("example.com/log", &[0x42; 32]).unwrap();
        let debug = format!("{signer:?}");
        let key_string = signer.to_key_string();
        let seed_base64 = key_string.splitn(5, '+').nth(4).unwrap();
        assert!(!debug.contains(seed_base64), "Debug output {debug:?} contains the seed");
        assert!(debug.contains("example.com/log"));
    }

    #[test]
    fn verifier_key_errors_name_the_field() {
        let good = SignerKey::from_seed("n", &[7; 32]).unwrap().verifier_key().to_string();
        let (name_and_hash, data) = good.rsplit_once('+').unwrap();
        let (name, _) = name_and_hash.split_once('+').unwrap();

        let cases = [
            ("n", "key hash"),
            (&format!("{name}+0000000g+{data}")[..], "key hash"),
            (&format!("{name}+1234567+{data}")[..], "key hash"),
            (&format!("{name_and_hash}+not*base64")[..], "key data"),
            (&format!("{name_and_hash}+")[..], "key data"),
        ];
        for (text, field) in cases {
            match VerifierKey::parse(text) {
                Err(CheckpointError::MalformedKey { field: got, .. }) => assert_eq!(got, field, "{text}"),
                other => panic!("{text}: expected MalformedKey on {field}, got {other:?}"),
            }
        }

        let wrong_hash = format!("{name}+00000000+{data}");
        assert!(matches!(VerifierKey::parse(&wrong_hash), Err(CheckpointError::KeyHashMismatch { stated: 0, .. })));

        let mut other_type = BASE64.decode(data).unwrap();
        other_type[0] = 0x02;
        let text = format!("{name_and_hash}+{}", BASE64.encode(&other_type));
        assert!(matches!(VerifierKey::parse(&text), Err(CheckpointError::UnsupportedAlgorithm { algorithm: 2, .. })));
    }

    #[test]
    fn signer_key_errors_do_not_echo_the_seed() {
        let signer = SignerKey::from_seed("n", &[9; 32]).unwrap();
        let key_string = signer.to_key_string();
        let seed_base64 = key_string.splitn(5, '+').nth(4).unwrap();

        let bad_base64 = key_string.replace(seed_base64, &format!("{seed_base64}*"));
        let error = SignerKey::parse(&bad_base64).unwrap_err();
        assert!(!error.to_string().contains(seed_base64), "{error}");

        let wrong_hash = key_string.replace(&format!("+{:08x}+", signer.key_hash()), "+00000000+");
        let error = SignerKey::parse(&wrong_hash).unwrap_err();
        assert!(matches!(error, CheckpointError::KeyHashMismatch { kind: KeyKind::Signer, .. }), "{error:?}");
        assert!(!error.to_string().contains(seed_base64));

        assert!(matches!(
            SignerKey::parse(key_string.trim_start_matches("PRIVATE+")),
            Err(CheckpointError::MalformedKey { field: "prefix", .. })
        ));
    }
}
