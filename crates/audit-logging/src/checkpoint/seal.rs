//! Forward-secure seals over checkpoint texts, this crate's own format (version 1).
//!
//! A seal lets an operator who keeps the first sealing key off the host check that a
//! checkpoint was sealed by the host at a given epoch, even after an attacker has taken the
//! host over later. The sealing key evolves one way, so the key on the host cannot produce
//! seals for epochs before its own.
//!
//! # Key evolution
//!
//! A sealing key is 32 bytes. The key of epoch 0 comes from the operating system's random
//! source. Each later key is derived from the previous one:
//!
//! ```text
//! key[e + 1] = SHA-256("audit-logging seal key evolve v1" || 0x00 || key[e])
//! ```
//!
//! # Seal
//!
//! A seal over a checkpoint text at epoch `e` is
//!
//! ```text
//! MAC = HMAC-SHA256(key[e], "audit-logging seal v1" || 0x00 || e as 8 bytes big-endian || text)
//! ```
//!
//! where `text` is the exact checkpoint text (the signed note's text, final newline included,
//! without the blank line and signature lines). The MAC covers the epoch, so a MAC computed
//! under one epoch's key does not verify under another epoch number. The two labels, each
//! ending in a zero byte, keep the key-evolution hash and the MAC inputs from ever being
//! equal to each other or to another use of the same key.
//!
//! # Text forms
//!
//! A seal is one line, without a newline, stored separately from the checkpoint it seals (a
//! seal cannot be an extension line of its own checkpoint, because it covers that text):
//!
//! ```text
//! seal <epoch> <MAC>
//! ```
//!
//! A sealing key file contains one line, optionally ending in a single newline:
//!
//! ```text
//! AUDIT-SEAL-KEY+<epoch>+<key>
//! ```
//!
//! In both, `<epoch>` is ASCII decimal with no sign and no leading zero unless it is `0`,
//! and `<MAC>` and `<key>` are 32 bytes in standard padded base64 (RFC 4648 section 4),
//! 44 characters, with zero trailing bits.
//!
//! # Intended use
//!
//! The writer seals a checkpoint with the current key, then evolves the key and replaces the
//! key file, so each epoch seals one checkpoint and the key left on the host has never sealed
//! anything. The operator keeps the epoch 0 key file off the host and verifies with
//! [`SealVerifier`], then runs [`find_epoch_gaps`] over the verified seals: a deleted seal
//! shows up as a missing epoch.
//!
//! An attacker who reads the key of epoch `e` can seal any text at epoch `e` and later.
//! Forward security protects only the seals made before the compromise.

use std::fmt;
use std::ops::RangeInclusive;
use std::str::FromStr;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use rand_core::{OsRng, RngCore as _};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::body::parse_canonical_decimal;
use super::error::CheckpointError;

/// Domain-separation label of the key-evolution hash, zero byte included.
pub const KEY_EVOLVE_LABEL: &[u8] = b"audit-logging seal key evolve v1\0";

/// Domain-separation label of the seal MAC input, zero byte included.
pub const SEAL_LABEL: &[u8] = b"audit-logging seal v1\0";

/// First word of a seal line.
pub const SEAL_KEYWORD: &str = "seal";

/// Prefix of a sealing key file.
pub const KEY_FILE_PREFIX: &str = "AUDIT-SEAL-KEY+";

/// Default maximum number of evolution steps a [`SealVerifier`] derives past its first key.
///
/// 2^24 steps are one epoch per minute for about 31 years. Deriving all of them took 1.6 s in
/// a release build on one AMD EPYC core (measured once with `SealVerifier::key_for`), and
/// about 70 times as long in a debug build. The limit stops a forged seal line with a huge
/// epoch from making verification run for years.
pub const DEFAULT_EPOCH_LIMIT: u64 = 1 << 24;

type HmacSha256 = Hmac<Sha256>;

/// A 32-byte sealing key at an epoch. The key bytes are zeroized when the value is dropped.
///
/// `Debug` prints the epoch only. The key leaves the value only through
/// [`SealingKey::to_key_file`], which returns a zeroizing string.
// NOTE: sha2 0.10 and hmac 0.12 do not zeroize their internal state, so `evolve` and `seal`
// can leave bytes of, or derived from, the key in stack memory that is reused but not cleared.
pub struct SealingKey {
    epoch: u64,
    key: [u8; 32],
}

impl SealingKey {
    /// Generates a key for epoch 0 from the operating system's random source.
    pub fn generate() -> Result<SealingKey, CheckpointError> {
        let mut key = SealingKey { epoch: 0, key: [0; 32] };
        OsRng.try_fill_bytes(&mut key.key).map_err(|err| CheckpointError::RandomSource { reason: err.to_string() })?;
        Ok(key)
    }

    /// Builds a key from its epoch and bytes. The caller should zeroize its own copy of `key`.
    pub fn new(epoch: u64, key: [u8; 32]) -> SealingKey {
        SealingKey { epoch, key }
    }

    /// Returns the epoch of the key.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Replaces the key with the key of the next epoch, overwriting the old bytes in place.
    ///
    /// Fails only at epoch `u64::MAX`.
    pub fn evolve(&mut self) -> Result<(), CheckpointError> {
        let next_epoch = self.epoch.checked_add(1).ok_or(CheckpointError::EpochExhausted { epoch: self.epoch })?;
        let mut hasher = Sha256::new();
        hasher.update(KEY_EVOLVE_LABEL);
        hasher.update(self.key.as_slice());
        // The digest is written straight over the old key rather than into a temporary array.
        hasher.finalize_into((&mut self.key).into());
        self.epoch = next_epoch;
        Ok(())
    }

    /// Seals `text`, the exact checkpoint text, at this key's epoch.
    pub fn seal(&self, text: &[u8]) -> Seal {
        Seal { epoch: self.epoch, mac: self.compute_mac(text) }
    }

    fn compute_mac(&self, text: &[u8]) -> [u8; 32] {
        // Cannot panic: HMAC accepts keys of any length (RFC 2104 section 2).
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC accepts keys of any length");
        mac.update(SEAL_LABEL);
        mac.update(&self.epoch.to_be_bytes());
        mac.update(text);
        mac.finalize().into_bytes().into()
    }

    /// Returns the key file text `AUDIT-SEAL-KEY+<epoch>+<base64 key>` and a newline.
    ///
    /// The string is zeroized when dropped.
    pub fn to_key_file(&self) -> Zeroizing<String> {
        let encoded = Zeroizing::new(BASE64.encode(self.key.as_slice()));
        let epoch = self.epoch.to_string();
        // Sized up front so that no reallocation leaves an unzeroized copy of the key behind.
        let mut file = Zeroizing::new(String::with_capacity(KEY_FILE_PREFIX.len() + epoch.len() + encoded.len() + 2));
        file.push_str(KEY_FILE_PREFIX);
        file.push_str(&epoch);
        file.push('+');
        file.push_str(&encoded);
        file.push('\n');
        file
    }

    /// Parses a key file: `AUDIT-SEAL-KEY+<epoch>+<base64 key>`, optionally followed by one
    /// newline. Error messages name the field and never contain key material.
    pub fn from_key_file(text: &str) -> Result<SealingKey, CheckpointError> {
        let malformed = |field: &'static str, reason: String| CheckpointError::MalformedSealKeyFile { field, reason };

        let line = text.strip_suffix('\n').unwrap_or(text);
        let rest = line.strip_prefix(KEY_FILE_PREFIX).ok_or_else(|| {
            malformed("prefix", format!("is missing; a sealing key file starts with {KEY_FILE_PREFIX:?}"))
        })?;
        // The epoch has no '+', but base64 can, so split at the first one.
        let (epoch, encoded) = rest
            .split_once('+')
            .ok_or_else(|| malformed("key", "is missing; expected AUDIT-SEAL-KEY+<epoch>+<base64 key>".to_owned()))?;
        let epoch = parse_canonical_decimal(epoch).map_err(|reason| malformed("epoch", reason))?;

        let decoded =
            Zeroizing::new(BASE64.decode(encoded).map_err(|_| {
                malformed("key", "is not valid standard base64 (RFC 4648 section 4, padded)".to_owned())
            })?);
        if decoded.len() != 32 {
            return Err(malformed("key", format!("decodes to {} bytes; expected 32", decoded.len())));
        }
        let mut key = SealingKey { epoch, key: [0; 32] };
        // Cannot panic: the length was checked to be 32 just above.
        key.key.copy_from_slice(&decoded);
        Ok(key)
    }

    /// Copies the key into a new value that zeroizes itself too.
    fn duplicate(&self) -> SealingKey {
        SealingKey { epoch: self.epoch, key: self.key }
    }
}

impl Drop for SealingKey {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl ZeroizeOnDrop for SealingKey {}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey").field("epoch", &self.epoch).finish_non_exhaustive()
    }
}

/// A seal: the epoch of the key that made it and the HMAC-SHA256 over the checkpoint text.
///
/// Equality compares the MAC in constant time.
#[derive(Clone, Copy, Eq)]
pub struct Seal {
    /// The epoch of the sealing key.
    pub epoch: u64,
    /// HMAC-SHA256 as described in the module documentation.
    pub mac: [u8; 32],
}

impl Seal {
    /// Parses a seal line `seal <epoch> <base64 MAC>` without a newline.
    pub fn parse(line: &str) -> Result<Seal, CheckpointError> {
        let malformed = |field: &'static str, reason: String| CheckpointError::MalformedSeal { field, reason };

        let mut fields = line.split(' ');
        // split always yields at least one item.
        let keyword = fields.next().unwrap_or_default();
        if keyword != SEAL_KEYWORD {
            return Err(malformed("keyword", format!("is {keyword:?}; a seal line starts with {SEAL_KEYWORD:?}")));
        }
        let expected_form = "seal <epoch> <base64 MAC>, separated by single spaces";
        let epoch = fields.next().ok_or_else(|| malformed("epoch", format!("is missing; expected {expected_form}")))?;
        let encoded = fields.next().ok_or_else(|| malformed("MAC", format!("is missing; expected {expected_form}")))?;
        if fields.next().is_some() {
            return Err(malformed("MAC", format!("is followed by more text; expected {expected_form}")));
        }

        let epoch = parse_canonical_decimal(epoch).map_err(|reason| malformed("epoch", reason))?;
        let decoded =
            BASE64.decode(encoded).map_err(|err| malformed("MAC", format!("is not valid standard base64: {err}")))?;
        let mac: [u8; 32] = decoded
            .as_slice()
            .try_into()
            .map_err(|_| malformed("MAC", format!("decodes to {} bytes; expected 32", decoded.len())))?;
        Ok(Seal { epoch, mac })
    }
}

impl PartialEq for Seal {
    fn eq(&self, other: &Seal) -> bool {
        self.epoch == other.epoch && bool::from(self.mac.ct_eq(&other.mac))
    }
}

/// Formats the seal line `seal <epoch> <base64 MAC>`, without a newline.
impl fmt::Display for Seal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{SEAL_KEYWORD} {} {}", self.epoch, BASE64.encode(self.mac))
    }
}

impl fmt::Debug for Seal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Seal({self})")
    }
}

impl FromStr for Seal {
    type Err = CheckpointError;

    fn from_str(line: &str) -> Result<Self, Self::Err> {
        Seal::parse(line)
    }
}

/// Checks seals with keys derived forward from a starting key, normally the epoch 0 key.
///
/// The verifier keeps the last derived key, so verifying seals in increasing epoch order
/// costs one evolution step per epoch in total. A seal for an earlier epoch than the cached
/// one restarts the derivation from the starting key. Both keys are zeroized on drop.
pub struct SealVerifier {
    start: SealingKey,
    cached: SealingKey,
    epoch_limit: u64,
}

impl SealVerifier {
    /// Builds a verifier from a starting key, deriving at most [`DEFAULT_EPOCH_LIMIT`] epochs.
    pub fn new(start: &SealingKey) -> SealVerifier {
        SealVerifier::with_epoch_limit(start, DEFAULT_EPOCH_LIMIT)
    }

    /// Builds a verifier that derives keys up to `epoch_limit` epochs after the starting key.
    pub fn with_epoch_limit(start: &SealingKey, epoch_limit: u64) -> SealVerifier {
        SealVerifier { start: start.duplicate(), cached: start.duplicate(), epoch_limit }
    }

    /// Returns the epoch of the starting key.
    pub fn first_epoch(&self) -> u64 {
        self.start.epoch
    }

    /// Derives the sealing key of `epoch` by evolving forward from the starting key.
    ///
    /// Fails for an epoch before the starting key or more than the epoch limit after it.
    pub fn key_for(&mut self, epoch: u64) -> Result<SealingKey, CheckpointError> {
        let first = self.start.epoch;
        if epoch < first {
            return Err(CheckpointError::EpochBeforeStart { epoch, first });
        }
        if epoch - first > self.epoch_limit {
            return Err(CheckpointError::EpochTooFar { epoch, first, limit: self.epoch_limit });
        }
        if epoch < self.cached.epoch {
            self.cached = self.start.duplicate();
        }
        while self.cached.epoch < epoch {
            self.cached.evolve()?;
        }
        Ok(self.cached.duplicate())
    }

    /// Checks that `seal` is the MAC of `text` under the key of the epoch the seal states.
    ///
    /// A MAC made with another epoch's key fails, whatever epoch the seal line states,
    /// because both the key and the MAC input depend on the epoch. MACs are compared in
    /// constant time.
    pub fn verify(&mut self, seal: &Seal, text: &[u8]) -> Result<(), CheckpointError> {
        let key = self.key_for(seal.epoch)?;
        let expected = key.compute_mac(text);
        if bool::from(expected.ct_eq(&seal.mac)) {
            Ok(())
        } else {
            Err(CheckpointError::SealMismatch { epoch: seal.epoch })
        }
    }
}

impl fmt::Debug for SealVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealVerifier")
            .field("first_epoch", &self.start.epoch)
            .field("cached_epoch", &self.cached.epoch)
            .field("epoch_limit", &self.epoch_limit)
            .finish_non_exhaustive()
    }
}

/// Result of [`find_epoch_gaps`]: missing epochs and misplaced seals.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct EpochReport {
    /// Epochs of the expected range that no seal has, as inclusive ranges in increasing order.
    pub missing: Vec<RangeInclusive<u64>>,
    /// 0-based positions of seals whose epoch is not greater than the previous seal's epoch:
    /// repeated or reordered seals.
    pub out_of_order: Vec<usize>,
    /// 0-based positions of seals whose epoch lies outside the expected range.
    pub outside_range: Vec<usize>,
}

impl EpochReport {
    /// Returns true when every expected epoch has a seal, in order, and no seal is outside
    /// the range.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && self.out_of_order.is_empty() && self.outside_range.is_empty()
    }
}

/// Reports epochs of `expected` that have no seal, and seals that are repeated, out of order
/// or outside the range.
///
/// Pass the seals in the order they were found, and only seals that [`SealVerifier::verify`]
/// accepted, because an unverified seal proves nothing about its epoch. The expected range
/// is the caller's to choose: usually from the first epoch still retained to the epoch of
/// the current key file minus one, since the current key has not sealed yet. Runs in
/// O(n log n) for n seals, whatever the width of the range.
pub fn find_epoch_gaps(seals: &[Seal], expected: RangeInclusive<u64>) -> EpochReport {
    let mut report = EpochReport::default();
    let mut present = Vec::with_capacity(seals.len());
    let mut previous_epoch = None;
    for (position, seal) in seals.iter().enumerate() {
        if previous_epoch.is_some_and(|previous| previous >= seal.epoch) {
            report.out_of_order.push(position);
        }
        previous_epoch = Some(seal.epoch);
        if expected.contains(&seal.epoch) {
            present.push(seal.epoch);
        } else {
            report.outside_range.push(position);
        }
    }
    if expected.is_empty() {
        return report;
    }
    present.sort_unstable();
    present.dedup();

    // `next` is the first expected epoch not yet accounted for; None once past u64::MAX.
    let mut next = Some(*expected.start());
    for epoch in present {
        let Some(first_unseen) = next else { break };
        if epoch > first_unseen {
            report.missing.push(first_unseen..=epoch - 1);
        }
        next = epoch.checked_add(1);
    }
    if let Some(first_unseen) = next {
        if first_unseen <= *expected.end() {
            report.missing.push(first_unseen..=*expected.end());
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evolve_overwrites_key_with_hash_of_old() {
        let mut key = SealingKey::new(7, [0x11; 32]);
        let mut expected_input = KEY_EVOLVE_LABEL.to_vec();
        expected_input.extend_from_slice(&[0x11; 32]);
        let expected: [u8; 32] = Sha256::digest(&expected_input).into();

        key.evolve().unwrap();
        assert_eq!(key.epoch, 8);
        assert_eq!(key.key, expected);
        assert_ne!(key.key, [0x11; 32]);
    }

    #[test]
    fn evolve_stops_at_last_epoch() {
        let mut key = SealingKey::new(u64::MAX, [1; 32]);
        assert_eq!(key.evolve(), Err(CheckpointError::EpochExhausted { epoch: u64::MAX }));
        assert_eq!(key.key, [1; 32]);
    }

    #[test]
    fn labels_are_the_documented_bytes() {
        assert_eq!(KEY_EVOLVE_LABEL.len(), 33);
        assert_eq!(SEAL_LABEL.len(), 22);
        assert_eq!(KEY_EVOLVE_LABEL.last(), Some(&0));
        assert_eq!(SEAL_LABEL.last(), Some(&0));
    }

    #[test]
    fn verifier_rederives_for_earlier_epoch() {
        let start = SealingKey::new(0, [3; 32]);
        let mut verifier = SealVerifier::new(&start);
        let late = verifier.key_for(9).unwrap();
        assert_eq!(verifier.cached.epoch, 9);
        let early = verifier.key_for(2).unwrap();
        assert_eq!(early.epoch(), 2);
        assert_ne!(early.key, late.key);

        let mut stepped = SealingKey::new(0, [3; 32]);
        stepped.evolve().unwrap();
        stepped.evolve().unwrap();
        assert_eq!(early.key, stepped.key);
    }

    #[test]
    fn verifier_epoch_bounds() {
        let start = SealingKey::new(5, [3; 32]);
        let mut verifier = SealVerifier::with_epoch_limit(&start, 10);
        assert_eq!(verifier.key_for(4).unwrap_err(), CheckpointError::EpochBeforeStart { epoch: 4, first: 5 });
        assert!(verifier.key_for(15).is_ok());
        assert_eq!(verifier.key_for(16).unwrap_err(), CheckpointError::EpochTooFar { epoch: 16, first: 5, limit: 10 });
        assert!(matches!(verifier.key_for(u64::MAX), Err(CheckpointError::EpochTooFar { .. })));
    }

    #[test]
    fn gaps_at_range_ends() {
        let seal = |epoch| Seal { epoch, mac: [0; 32] };
        let report = find_epoch_gaps(&[seal(u64::MAX - 1), seal(u64::MAX)], u64::MAX - 3..=u64::MAX);
        assert_eq!(report.missing, vec![u64::MAX - 3..=u64::MAX - 2]);
        assert!(report.out_of_order.is_empty());

        let report = find_epoch_gaps(&[], 0..=4);
        assert_eq!(report.missing, vec![0..=4]);

        #[allow(clippy::reversed_empty_ranges)]
        let empty = 3..=2;
        let report = find_epoch_gaps(&[seal(3)], empty);
        assert!(report.missing.is_empty());
        assert_eq!(report.outside_range, vec![0]);
    }
}
