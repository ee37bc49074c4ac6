//! The error type of the checkpoint module.

use std::fmt;

/// Key string format that a key error concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyKind {
    /// A verifier key, `<name>+<key hash>+<key data>`.
    Verifier,
    /// A signer key, `PRIVATE+KEY+<name>+<key hash>+<key data>`.
    Signer,
}

impl fmt::Display for KeyKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyKind::Verifier => f.write_str("verifier key"),
            KeyKind::Signer => f.write_str("signer key"),
        }
    }
}

/// Everything that can go wrong when parsing or using keys, signed notes, checkpoints and seals.
///
/// Line numbers are 1-based and count lines of the whole note or checkpoint text. No variant
/// carries secret key material: errors about signer keys and sealing key files name the field
/// but never echo its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// A key name is empty or contains a character that the signed-note format forbids.
    #[error("invalid key name {name:?}: {reason}")]
    InvalidKeyName {
        /// The rejected name.
        name: String,
        /// The rule the name breaks.
        reason: &'static str,
    },

    /// A key string does not have the expected fields, or a field cannot be decoded.
    #[error("malformed {kind}: {field} {reason}")]
    MalformedKey {
        /// Verifier or signer key.
        kind: KeyKind,
        /// The field concerned, such as `key hash` or `key data`.
        field: &'static str,
        /// Description of the problem.
        reason: String,
    },

    /// A key uses a signature algorithm other than Ed25519 (type byte 0x01).
    #[error("{kind} {name:?} uses signature type 0x{algorithm:02x}; only Ed25519 (0x01) is supported")]
    UnsupportedAlgorithm {
        /// Verifier or signer key.
        kind: KeyKind,
        /// The key name.
        name: String,
        /// The signature type byte found.
        algorithm: u8,
    },

    /// The key hash written in a key string differs from the hash of its name and public key.
    #[error("{kind} {name:?} states key hash {stated:08x}, but its name and public key hash to {computed:08x}")]
    KeyHashMismatch {
        /// Verifier or signer key.
        kind: KeyKind,
        /// The key name.
        name: String,
        /// The key hash written in the string.
        stated: u32,
        /// The key hash computed from the name and public key.
        computed: u32,
    },

    /// The operating system's random source failed while generating a key.
    #[error("generating a key failed: the operating system's random source returned an error: {reason}")]
    RandomSource {
        /// The error reported by the random source.
        reason: String,
    },

    /// A note is not valid UTF-8.
    #[error("line {line}: invalid UTF-8; a signed note must be valid UTF-8")]
    InvalidUtf8 {
        /// The line containing the first invalid byte.
        line: usize,
    },

    /// A note or note text contains an ASCII control character other than newline.
    #[error("line {line}: ASCII control character 0x{byte:02x} is not allowed; newline is the only control character a signed note may contain")]
    ControlCharacter {
        /// The line containing the character.
        line: usize,
        /// The character.
        byte: u8,
    },

    /// A note, or a text to be signed, does not end with a newline.
    #[error("{document} does not end with a newline")]
    MissingFinalNewline {
        /// `note` or `note text`.
        document: &'static str,
    },

    /// A note has no blank line, so the text cannot be separated from the signature lines.
    #[error("note has no blank line separating the text from the signature lines")]
    MissingBlankLine,

    /// A note has a blank line but no signature lines after it.
    #[error("note has no signature lines after its last blank line")]
    NoSignatureLines,

    /// A line in a note's signature block is not `— <key name> <base64 signature>`.
    #[error("line {line}: malformed signature line: {reason}")]
    MalformedSignatureLine {
        /// The line.
        line: usize,
        /// Description of the problem.
        reason: String,
    },

    /// A note has more signature lines than this module accepts.
    #[error("note has {count} signature lines; at most {max} are accepted")]
    TooManySignatures {
        /// Number of signature lines found.
        count: usize,
        /// The limit.
        max: usize,
    },

    /// A signature line names a known key (name and key hash both match) but does not verify.
    #[error("line {line}: signature by known key {name}+{key_hash:08x} is invalid")]
    InvalidSignature {
        /// The signature line.
        line: usize,
        /// The key name.
        name: String,
        /// The key hash.
        key_hash: u32,
    },

    /// No signature in a note is from a known key.
    #[error("note has no signature from a known key ({unknown} signature lines are from unknown keys); check that the verifier keys match the keys that signed")]
    NoVerifiedSignature {
        /// Number of signature lines whose key was not among the verifier keys.
        unknown: usize,
    },

    /// The same verifier key (name and key hash) is passed twice to [`crate::checkpoint::Note::open`].
    #[error("verifier key {name}+{key_hash:08x} is listed more than once")]
    DuplicateVerifier {
        /// The key name.
        name: String,
        /// The key hash.
        key_hash: u32,
    },

    /// The same signer key (name and key hash) is passed twice to [`crate::checkpoint::Note::sign`].
    #[error("signer key {name}+{key_hash:08x} is listed more than once")]
    DuplicateSigner {
        /// The key name.
        name: String,
        /// The key hash.
        key_hash: u32,
    },

    /// [`crate::checkpoint::Note::sign`] was called without any signer key.
    #[error("no signer keys given; a signed note needs at least one signature")]
    NoSigners,

    /// A checkpoint text breaks the C2SP tlog-checkpoint format, or a [`crate::checkpoint::Checkpoint`]
    /// has a field that cannot be written in it.
    #[error("checkpoint line {line}: invalid {field}: {reason}")]
    InvalidCheckpoint {
        /// The line of the checkpoint text: 1 is the origin, 2 the tree size, 3 the root hash.
        line: usize,
        /// `origin`, `tree size`, `root hash`, `extension line` or `text`.
        field: &'static str,
        /// Description of the problem.
        reason: String,
    },

    /// A seal line is not `seal <epoch> <base64 MAC>`.
    #[error("malformed seal line: {field} {reason}")]
    MalformedSeal {
        /// The field concerned: `keyword`, `epoch` or `MAC`.
        field: &'static str,
        /// Description of the problem.
        reason: String,
    },

    /// A sealing key file is not `AUDIT-SEAL-KEY+<epoch>+<base64 key>`.
    #[error("malformed sealing key file: {field} {reason}")]
    MalformedSealKeyFile {
        /// The field concerned: `prefix`, `epoch` or `key`.
        field: &'static str,
        /// Description of the problem.
        reason: String,
    },

    /// A seal's MAC does not match the text under the key of the epoch the seal states.
    #[error("seal for epoch {epoch} does not match the checkpoint text under that epoch's key")]
    SealMismatch {
        /// The epoch the seal states.
        epoch: u64,
    },

    /// A seal states an epoch earlier than the key the verifier was built from.
    #[error("seal epoch {epoch} is before epoch {first}, the epoch of the verifier's key; a sealing key cannot be evolved backwards")]
    EpochBeforeStart {
        /// The epoch requested.
        epoch: u64,
        /// The epoch of the verifier's key.
        first: u64,
    },

    /// A seal states an epoch too far past the verifier's key to derive its key in bounded time.
    #[error("seal epoch {epoch} is more than {limit} epochs after epoch {first}, the epoch of the verifier's key; raise the limit with SealVerifier::with_epoch_limit if this is expected")]
    EpochTooFar {
        /// The epoch requested.
        epoch: u64,
        /// The epoch of the verifier's key.
        first: u64,
        /// The maximum number of evolution steps the verifier performs.
        limit: u64,
    },

    /// A sealing key is at epoch `u64::MAX` and cannot evolve further.
    #[error("sealing key is at epoch {epoch}, the last one; it cannot evolve further")]
    EpochExhausted {
        /// The epoch of the key.
        epoch: u64,
    },
}
