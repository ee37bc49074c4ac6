//! Signing and opening notes in the C2SP signed-note format (section "Format").
//!
//! ```text
//! <text, one or more lines, each ending in 0x0A>
//! <blank line: 0x0A only>
//! — <key name> <base64(4-byte big-endian key hash || 64-byte Ed25519 signature)>
//! ...one signature line per key...
//! ```
//!
//! The dash is the em dash U+2014 followed by one space U+0020. The whole note must be valid
//! UTF-8 without ASCII control characters other than newline. The text may contain blank
//! lines itself, because the last blank line of the note separates text and signatures. The
//! Ed25519 signature covers the text bytes, final newline included, and nothing else
//! (section "Ed25519 signatures").

use std::collections::HashSet;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::error::CheckpointError;
use super::keys::{check_key_name, SignerKey, VerifierKey};

/// Maximum number of signature lines [`Note::open`] accepts, and [`Note::sign`] writes.
///
/// The C2SP signed-note specification (section "Format") recommends a limit and requires
/// accepting at least 16 signatures. 100 is the limit that `Open` in
/// `golang.org/x/mod/sumdb/note` applies.
pub const MAX_SIGNATURES: usize = 100;

/// Start of every signature line: em dash U+2014 and a space.
const SIGNATURE_PREFIX: &str = "\u{2014} ";

/// Length of the key hash that starts each decoded signature.
const KEY_HASH_LEN: usize = 4;

/// Signing and opening of C2SP signed notes.
///
/// The type has no data; it groups [`Note::sign`] and [`Note::open`].
#[derive(Debug, Clone, Copy)]
pub struct Note;

/// The text of a note whose signatures were checked by [`Note::open`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedNote {
    /// The note text, final newline included, without the blank line and signatures.
    pub text: String,
    /// Names of the verifier keys whose signature verified, in the order their first
    /// signature line appears, one entry per key. Two keys with the same name but different
    /// key hashes (such as an old and a new key during rotation) appear as two entries.
    pub verified_by: Vec<String>,
    /// Number of signature lines from keys not among the verifier keys; those were ignored.
    pub unknown_signatures: usize,
}

impl Note {
    /// Signs `text` with each signer key, in order, and returns the signed note.
    ///
    /// The text must end with a newline and contain no ASCII control characters other than
    /// newline. Ed25519 is deterministic, so the same text and keys always give the same note.
    pub fn sign(text: &str, signers: &[&SignerKey]) -> Result<String, CheckpointError> {
        if signers.is_empty() {
            return Err(CheckpointError::NoSigners);
        }
        if signers.len() > MAX_SIGNATURES {
            return Err(CheckpointError::TooManySignatures { count: signers.len(), max: MAX_SIGNATURES });
        }
        let mut seen = HashSet::new();
        for signer in signers {
            if !seen.insert((signer.name(), signer.key_hash())) {
                return Err(CheckpointError::DuplicateSigner {
                    name: signer.name().to_owned(),
                    key_hash: signer.key_hash(),
                });
            }
        }
        if !text.ends_with('\n') {
            return Err(CheckpointError::MissingFinalNewline { document: "note text" });
        }
        check_control_characters(text)?;

        let mut note = String::with_capacity(text.len() + 1 + signers.len() * 128);
        note.push_str(text);
        note.push('\n');
        for signer in signers {
            let signature = signer.sign(text.as_bytes());
            let mut payload = Vec::with_capacity(KEY_HASH_LEN + signature.len());
            payload.extend_from_slice(&signer.key_hash().to_be_bytes());
            payload.extend_from_slice(&signature);

            note.push_str(SIGNATURE_PREFIX);
            note.push_str(signer.name());
            note.push(' ');
            note.push_str(&BASE64.encode(&payload));
            note.push('\n');
        }
        Ok(note)
    }

    /// Parses a signed note and checks its signatures against `verifiers`.
    ///
    /// Following the C2SP signed-note section "Signatures": a signature line whose key name
    /// and key hash both match a verifier key must verify, or the whole note is rejected. Lines
    /// from other keys are counted in [`VerifiedNote::unknown_signatures`] and otherwise
    /// ignored. At least one known key must have signed. Every line is checked, even when
    /// one key signed twice.
    pub fn open(note: &[u8], verifiers: &[VerifierKey]) -> Result<VerifiedNote, CheckpointError> {
        let mut known = HashSet::new();
        for verifier in verifiers {
            if !known.insert((verifier.name(), verifier.key_hash())) {
                return Err(CheckpointError::DuplicateVerifier {
                    name: verifier.name().to_owned(),
                    key_hash: verifier.key_hash(),
                });
            }
        }

        let note = check_utf8(note)?;
        check_control_characters(note)?;
        if !note.ends_with('\n') {
            return Err(CheckpointError::MissingFinalNewline { document: "note" });
        }

        let split = note.rfind("\n\n").ok_or(CheckpointError::MissingBlankLine)?;
        // Cannot panic: `split` is the byte index of an ASCII newline, so `split + 1` and
        // `split + 2` are character boundaries no larger than the length.
        let (text, signature_block) = (&note[..split + 1], &note[split + 2..]);
        let signature_lines: Vec<&str> = match signature_block.strip_suffix('\n') {
            Some(block) => block.split('\n').collect(),
            None => return Err(CheckpointError::NoSignatureLines),
        };
        if signature_lines.len() > MAX_SIGNATURES {
            return Err(CheckpointError::TooManySignatures { count: signature_lines.len(), max: MAX_SIGNATURES });
        }

        // Line numbers are 1-based: the text has one line per newline, then the blank line.
        let first_signature_line = text.matches('\n').count() + 2;
        let mut verified_by = Vec::new();
        let mut verified_keys = HashSet::new();
        let mut unknown_signatures = 0;
        for (index, line) in signature_lines.into_iter().enumerate() {
            let line_number = first_signature_line + index;
            let (name, key_hash, signature) = parse_signature_line(line_number, line)?;

            let Some(verifier) = verifiers.iter().find(|v| v.name() == name && v.key_hash() == key_hash) else {
                unknown_signatures += 1;
                continue;
            };
            if !verifier.verify(text.as_bytes(), &signature) {
                return Err(CheckpointError::InvalidSignature { line: line_number, name: name.to_owned(), key_hash });
            }
            if verified_keys.insert((name, key_hash)) {
                verified_by.push(name.to_owned());
            }
        }

        if verified_by.is_empty() {
            return Err(CheckpointError::NoVerifiedSignature { unknown: unknown_signatures });
        }
        Ok(VerifiedNote { text: text.to_owned(), verified_by, unknown_signatures })
    }
}

/// Splits one signature line into key name, key hash and signature bytes.
fn parse_signature_line(line_number: usize, line: &str) -> Result<(&str, u32, Vec<u8>), CheckpointError> {
    let malformed = |reason: String| CheckpointError::MalformedSignatureLine { line: line_number, reason };

    let rest = line
        .strip_prefix(SIGNATURE_PREFIX)
        .ok_or_else(|| malformed("does not start with an em dash (U+2014) and a space".to_owned()))?;
    let (name, encoded) = rest
        .split_once(' ')
        .ok_or_else(|| malformed("has no space between the key name and the signature".to_owned()))?;
    check_key_name(name).map_err(|err| malformed(err.to_string()))?;
    if encoded.is_empty() {
        return Err(malformed("signature is empty".to_owned()));
    }
    let decoded =
        BASE64.decode(encoded).map_err(|err| malformed(format!("signature is not valid standard base64: {err}")))?;
    if decoded.len() <= KEY_HASH_LEN {
        return Err(malformed(format!(
            "signature decodes to {} bytes; expected a {KEY_HASH_LEN}-byte key hash followed by the signature",
            decoded.len()
        )));
    }
    let (hash_bytes, signature) = decoded.split_at(KEY_HASH_LEN);
    let mut key_hash = [0u8; KEY_HASH_LEN];
    // Cannot panic: split_at returned exactly KEY_HASH_LEN bytes.
    key_hash.copy_from_slice(hash_bytes);
    Ok((name, u32::from_be_bytes(key_hash), signature.to_vec()))
}

/// Converts a note to `&str`, naming the line of the first invalid byte.
fn check_utf8(note: &[u8]) -> Result<&str, CheckpointError> {
    std::str::from_utf8(note).map_err(|err| {
        // Cannot panic: valid_up_to() is at most the length of the input.
        let line = note[..err.valid_up_to()].iter().filter(|&&b| b == b'\n').count() + 1;
        CheckpointError::InvalidUtf8 { line }
    })
}

/// Rejects ASCII control characters (below 0x20) other than newline, naming their line.
///
/// Bytes below 0x20 never occur inside a multi-byte UTF-8 sequence, so checking bytes is exact.
fn check_control_characters(text: &str) -> Result<(), CheckpointError> {
    let mut line = 1;
    for byte in text.bytes() {
        match byte {
            b'\n' => line += 1,
            0x00..=0x1f => return Err(CheckpointError::ControlCharacter { line, byte }),
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(name: &str, seed: u8) -> SignerKey {
        SignerKey::from_seed(name, &[seed; 32]).unwrap()
    }

    #[test]
    fn sign_then_open() {
        let first = signer("a.example/log", 1);
        let second = signer("b.example/witness", 2);
        let note = Note::sign("hello\n\nworld\n", &[&first, &second]).unwrap();

        let opened = Note::open(note.as_bytes(), &[first.verifier_key(), second.verifier_key()]).unwrap();
        assert_eq!(opened.text, "hello\n\nworld\n");
        assert_eq!(opened.verified_by, ["a.example/log", "b.example/witness"]);
        assert_eq!(opened.unknown_signatures, 0);

        let opened = Note::open(note.as_bytes(), &[second.verifier_key()]).unwrap();
        assert_eq!(opened.verified_by, ["b.example/witness"]);
        assert_eq!(opened.unknown_signatures, 1);
    }

    #[test]
    fn text_ending_in_blank_line_round_trips() {
        let key = signer("a", 1);
        let note = Note::sign("x\n\n", &[&key]).unwrap();
        assert_eq!(Note::open(note.as_bytes(), &[key.verifier_key()]).unwrap().text, "x\n\n");
    }

    #[test]
    fn sign_rejects_bad_input() {
        let key = signer("a", 1);
        assert_eq!(Note::sign("x", &[&key]), Err(CheckpointError::MissingFinalNewline { document: "note text" }));
        assert_eq!(Note::sign("x\n", &[]), Err(CheckpointError::NoSigners));
        assert_eq!(Note::sign("x\ny\tz\n", &[&key]), Err(CheckpointError::ControlCharacter { line: 2, byte: b'\t' }));
        assert!(matches!(Note::sign("x\n", &[&key, &key]), Err(CheckpointError::DuplicateSigner { .. })));
    }

    #[test]
    fn open_rejects_duplicate_verifiers() {
        let key = signer("a", 1);
        let note = Note::sign("x\n", &[&key]).unwrap();
        let result = Note::open(note.as_bytes(), &[key.verifier_key(), key.verifier_key()]);
        assert!(matches!(result, Err(CheckpointError::DuplicateVerifier { .. })));
    }

    #[test]
    fn open_names_invalid_utf8_and_control_lines() {
        let key = signer("a", 1);
        let verifiers = [key.verifier_key()];
        assert_eq!(Note::open(b"a\nb\xff\n\n", &verifiers), Err(CheckpointError::InvalidUtf8 { line: 2 }));
        assert_eq!(
            Note::open(b"a\nb\n\r\n\n", &verifiers),
            Err(CheckpointError::ControlCharacter { line: 3, byte: b'\r' })
        );
    }

    #[test]
    fn open_rejects_too_many_signatures() {
        let key = signer("a", 1);
        let note = Note::sign("x\n", &[&key]).unwrap();
        let line = note.lines().last().unwrap();
        let mut crowded = note.clone();
        for _ in 0..MAX_SIGNATURES {
            crowded.push_str(line);
            crowded.push('\n');
        }
        let result = Note::open(crowded.as_bytes(), &[key.verifier_key()]);
        assert_eq!(result, Err(CheckpointError::TooManySignatures { count: MAX_SIGNATURES + 1, max: MAX_SIGNATURES }));
    }

    #[test]
    fn repeated_signature_from_one_key_is_listed_once() {
        let key = signer("a", 1);
        let note = Note::sign("x\n", &[&key]).unwrap();
        let line = note.lines().last().unwrap();
        let doubled = format!("{note}{line}\n");
        let opened = Note::open(doubled.as_bytes(), &[key.verifier_key()]).unwrap();
        assert_eq!(opened.verified_by, ["a"]);
    }

    #[test]
    fn same_name_other_hash_is_ignored() {
        let real = signer("a", 1);
        let impostor = signer("a", 2);
        let note = Note::sign("x\n", &[&impostor, &real]).unwrap();
        let opened = Note::open(note.as_bytes(), &[real.verifier_key()]).unwrap();
        assert_eq!(opened.verified_by, ["a"]);
        assert_eq!(opened.unknown_signatures, 1);
    }

    #[test]
    fn empty_signature_block_is_rejected() {
        let key = signer("a", 1);
        assert_eq!(Note::open(b"x\n\n", &[key.verifier_key()]), Err(CheckpointError::NoSignatureLines));
        assert_eq!(Note::open(b"x\n", &[key.verifier_key()]), Err(CheckpointError::MissingBlankLine));
        assert_eq!(
            Note::open(b"x\n\ny", &[key.verifier_key()]),
            Err(CheckpointError::MissingFinalNewline { document: "note" })
        );
    }
}
