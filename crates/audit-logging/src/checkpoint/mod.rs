//! Signed checkpoints of the Merkle tree, and forward-secure seals over them.
//!
//! - [`keys`]: Ed25519 signer and verifier keys in the string formats of Go's
//!   `golang.org/x/mod/sumdb/note` package, with C2SP signed-note key IDs.
//! - [`note`]: signing and opening notes in the C2SP signed-note format.
//! - [`body`]: the checkpoint text of the C2SP tlog-checkpoint format.
//! - [`seal`]: this crate's forward-secure HMAC seals over checkpoint texts, its key
//!   evolution and text forms.
//!
//! A checkpoint is published as a signed note whose text is [`Checkpoint::to_text`]:
//!
//! ```
//! use audit_logging::checkpoint::{generate, Checkpoint, Note};
//! use audit_logging::format::Hash;
//!
//! # fn main() -> Result<(), audit_logging::checkpoint::CheckpointError> {
//! let (signer, verifier) = generate("audit.example/log")?;
//! let checkpoint = Checkpoint { origin: "audit.example/log".into(), size: 3, root: Hash([7; 32]), extensions: vec![] };
//! let note = Note::sign(&checkpoint.to_text()?, &[&signer])?;
//!
//! let opened = Note::open(note.as_bytes(), &[verifier])?;
//! assert_eq!(Checkpoint::parse(&opened.text)?, checkpoint);
//! # Ok(())
//! # }
//! ```
//!
//! Specifications: C2SP signed-note, <https://c2sp.org/signed-note>, and C2SP
//! tlog-checkpoint, <https://c2sp.org/tlog-checkpoint>.

pub mod body;
mod error;
pub mod files;
pub mod keys;
pub mod note;
pub mod seal;

pub use body::Checkpoint;
pub use files::{read_checkpoint_files, CheckpointFile, CHECKPOINT_DIR};
pub use error::{CheckpointError, KeyKind};
pub use keys::{check_key_name, generate, key_hash, SignerKey, VerifierKey};
pub use note::{Note, VerifiedNote, MAX_SIGNATURES};
pub use seal::{find_epoch_gaps, EpochReport, Seal, SealVerifier, SealingKey, SEAL_KEYWORD};
