//! Signed notes, checkpoints and seals against the Go vectors and against tampering.
//!
//! The vector in `vectors/rfc6962-tlog.json` (field `signed_note`) was produced with Go's
//! `golang.org/x/mod/sumdb/note`, signing a C2SP tlog-checkpoint for the 70-leaf tree with an
//! Ed25519 key whose seed is 32 bytes of 0x42.

use audit_logging::checkpoint::{
    find_epoch_gaps, generate, Checkpoint, CheckpointError, Note, Seal, SealVerifier, SealingKey, SignerKey,
    VerifierKey,
};
use audit_logging::format::Hash;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

const ORIGIN: &str = "audit.example/log";

struct GoVector {
    note: String,
    text: String,
    signer_key: String,
    verifier_key: String,
    root_70: Hash,
}

fn go_vector() -> GoVector {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/rfc6962-tlog.json");
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let field = |name: &str| json["signed_note"][name].as_str().unwrap().to_owned();
    let root_hex = json["roots"].as_array().unwrap().iter().find(|entry| entry["tree_size"] == 70).unwrap()["root"]
        .as_str()
        .unwrap()
        .to_owned();
    GoVector {
        note: field("note"),
        text: field("text"),
        signer_key: field("signer_key"),
        verifier_key: field("verifier_key"),
        root_70: Hash::from_hex(&root_hex).unwrap(),
    }
}

fn go_signer() -> SignerKey {
    SignerKey::parse(&go_vector().signer_key).unwrap()
}

fn go_verifier() -> VerifierKey {
    VerifierKey::parse(&go_vector().verifier_key).unwrap()
}

/// Line 5 of the vector note: three text lines, the blank line, then the signature line.
const SIGNATURE_LINE: usize = 5;

// Go interoperability.

#[test]
fn go_keys_parse_and_match() {
    let vector = go_vector();
    let signer = SignerKey::parse(&vector.signer_key).unwrap();
    let verifier = VerifierKey::parse(&vector.verifier_key).unwrap();

    assert_eq!(signer.name(), ORIGIN);
    assert_eq!(signer.key_hash(), 0x2672_4403);
    assert_eq!(verifier.key_hash(), 0x2672_4403);
    assert_eq!(signer.verifier_key(), verifier);
    assert_eq!(signer.verifier_key().to_string(), vector.verifier_key);
    assert_eq!(verifier.to_string(), vector.verifier_key);
    assert_eq!(signer.to_key_string().as_str(), vector.signer_key);
}

#[test]
fn go_key_from_seed_matches() {
    let vector = go_vector();
    let signer = SignerKey::from_seed(ORIGIN, &[0x42; 32]).unwrap();
    assert_eq!(signer.to_key_string().as_str(), vector.signer_key);
    assert_eq!(signer.verifier_key().to_string(), vector.verifier_key);

    let verifier = go_verifier();
    let rebuilt = VerifierKey::from_public_key(ORIGIN, &verifier.public_key()).unwrap();
    assert_eq!(rebuilt.to_string(), vector.verifier_key);
}

#[test]
fn sign_matches_go_byte_for_byte() {
    let vector = go_vector();
    let note = Note::sign(&vector.text, &[&go_signer()]).unwrap();
    assert_eq!(note, vector.note);
}

#[test]
fn open_go_note_and_parse_checkpoint() {
    let vector = go_vector();
    let opened = Note::open(vector.note.as_bytes(), &[go_verifier()]).unwrap();
    assert_eq!(opened.text, vector.text);
    assert_eq!(opened.verified_by, [ORIGIN]);
    assert_eq!(opened.unknown_signatures, 0);

    let checkpoint = Checkpoint::parse(&opened.text).unwrap();
    assert_eq!(checkpoint.origin, ORIGIN);
    assert_eq!(checkpoint.size, 70);
    assert_eq!(checkpoint.root, vector.root_70);
    assert!(checkpoint.extensions.is_empty());
    assert_eq!(checkpoint.to_text().unwrap(), vector.text);
}

#[test]
fn checkpoint_sign_open_round_trip() {
    let checkpoint = Checkpoint { origin: ORIGIN.into(), size: 70, root: go_vector().root_70, extensions: vec![] };
    let note = Note::sign(&checkpoint.to_text().unwrap(), &[&go_signer()]).unwrap();
    assert_eq!(note, go_vector().note);
}

// Tampering and malformed notes.

/// Replaces the base64 signature of the vector note's only signature line.
fn with_signature_bytes(edit: impl Fn(&mut Vec<u8>)) -> String {
    let vector = go_vector();
    let (head, line) = vector.note.trim_end_matches('\n').rsplit_once('\n').unwrap();
    let (prefix, encoded) = line.rsplit_once(' ').unwrap();
    let mut bytes = BASE64.decode(encoded).unwrap();
    edit(&mut bytes);
    format!("{head}\n{prefix} {}\n", BASE64.encode(&bytes))
}

#[test]
fn flipped_text_byte_is_invalid_signature() {
    let note = go_vector().note.replacen("\n70\n", "\n71\n", 1);
    let error = Note::open(note.as_bytes(), &[go_verifier()]).unwrap_err();
    assert_eq!(
        error,
        CheckpointError::InvalidSignature { line: SIGNATURE_LINE, name: ORIGIN.into(), key_hash: 0x2672_4403 }
    );
}

#[test]
fn flipped_signature_byte_is_invalid_signature() {
    for position in [4, 20, 67] {
        let note = with_signature_bytes(|bytes| bytes[position] ^= 0x01);
        let error = Note::open(note.as_bytes(), &[go_verifier()]).unwrap_err();
        assert!(
            matches!(error, CheckpointError::InvalidSignature { line: SIGNATURE_LINE, .. }),
            "flip at byte {position}: {error:?}"
        );
    }
}

#[test]
fn truncated_signature_is_invalid_signature() {
    let note = with_signature_bytes(|bytes| bytes.truncate(40));
    let error = Note::open(note.as_bytes(), &[go_verifier()]).unwrap_err();
    assert!(matches!(error, CheckpointError::InvalidSignature { line: SIGNATURE_LINE, .. }), "{error:?}");
}

#[test]
fn flipped_key_hash_byte_makes_key_unknown() {
    let note = with_signature_bytes(|bytes| bytes[0] ^= 0x80);
    let error = Note::open(note.as_bytes(), &[go_verifier()]).unwrap_err();
    assert_eq!(error, CheckpointError::NoVerifiedSignature { unknown: 1 });
}

#[test]
fn wrong_key_with_same_name_rejected() {
    let (_, other) = generate(ORIGIN).unwrap();
    let error = Note::open(go_vector().note.as_bytes(), &[other]).unwrap_err();
    assert_eq!(error, CheckpointError::NoVerifiedSignature { unknown: 1 });
}

#[test]
fn unknown_key_only_rejected() {
    let (stranger, _) = generate("stranger.example/log").unwrap();
    let note = Note::sign(&go_vector().text, &[&stranger]).unwrap();
    let error = Note::open(note.as_bytes(), &[go_verifier()]).unwrap_err();
    assert_eq!(error, CheckpointError::NoVerifiedSignature { unknown: 1 });
}

#[test]
fn unknown_key_alongside_known_accepted() {
    let (witness, _) = generate("witness.example").unwrap();
    let note = Note::sign(&go_vector().text, &[&witness, &go_signer()]).unwrap();
    let opened = Note::open(note.as_bytes(), &[go_verifier()]).unwrap();
    assert_eq!(opened.verified_by, [ORIGIN]);
    assert_eq!(opened.unknown_signatures, 1);
}

#[test]
fn one_bad_known_signature_rejects_note() {
    let (witness, witness_verifier) = generate("witness.example").unwrap();
    let good = Note::sign(&go_vector().text, &[&go_signer()]).unwrap();
    let witness_note = Note::sign("some other text\n", &[&witness]).unwrap();
    let witness_line = witness_note.lines().last().unwrap();
    let note = format!("{good}{witness_line}\n");

    let error = Note::open(note.as_bytes(), &[go_verifier(), witness_verifier]).unwrap_err();
    assert!(
        matches!(&error, CheckpointError::InvalidSignature { line: 6, name, .. } if name == "witness.example"),
        "{error:?}"
    );
    // Without the witness key, the witness line is unknown and ignored.
    assert!(Note::open(note.as_bytes(), &[go_verifier()]).is_ok());
}

#[test]
fn malformed_signature_lines_rejected() {
    let vector = go_vector();
    let (head, line) = vector.note.trim_end_matches('\n').rsplit_once('\n').unwrap();
    let encoded = line.rsplit_once(' ').unwrap().1;
    let cases = [
        format!("- {ORIGIN} {encoded}"),
        format!("\u{2014}{ORIGIN} {encoded}"),
        format!("\u{2014} {ORIGIN}"),
        format!("\u{2014} {ORIGIN} "),
        format!("\u{2014} {ORIGIN}  {encoded}"),
        format!("\u{2014} {ORIGIN} {}", &encoded[1..]),
        format!("\u{2014} {ORIGIN} {encoded} extra"),
        format!("\u{2014} bad+name {encoded}"),
        format!("\u{2014} {ORIGIN} {}", BASE64.encode([1, 2, 3, 4])),
    ];
    for bad in cases {
        let note = format!("{head}\n{bad}\n");
        match Note::open(note.as_bytes(), &[go_verifier()]) {
            Err(CheckpointError::MalformedSignatureLine { line, .. }) => assert_eq!(line, SIGNATURE_LINE, "{bad:?}"),
            other => panic!("{bad:?}: expected MalformedSignatureLine, got {other:?}"),
        }
    }
}

#[test]
fn missing_blank_line_rejected() {
    let note = go_vector().note.replacen("\n\n", "\n", 1);
    assert_eq!(Note::open(note.as_bytes(), &[go_verifier()]), Err(CheckpointError::MissingBlankLine));
}

#[test]
fn missing_final_newline_rejected() {
    let note = go_vector().note;
    let truncated = note.trim_end_matches('\n');
    assert_eq!(
        Note::open(truncated.as_bytes(), &[go_verifier()]),
        Err(CheckpointError::MissingFinalNewline { document: "note" })
    );
}

#[test]
fn control_character_rejected() {
    let note = go_vector().note.replacen("\n70\n", "\n70\r\n", 1);
    assert_eq!(
        Note::open(note.as_bytes(), &[go_verifier()]),
        Err(CheckpointError::ControlCharacter { line: 2, byte: b'\r' })
    );
}

/// Signs `text` with the Go key and returns the opened text, so that checkpoint parsing is
/// tested on texts that carry a valid signature.
fn signed_and_opened(text: &str) -> String {
    let note = Note::sign(text, &[&go_signer()]).unwrap();
    Note::open(note.as_bytes(), &[go_verifier()]).unwrap().text
}

fn checkpoint_error(text: &str) -> (usize, &'static str) {
    match Checkpoint::parse(&signed_and_opened(text)) {
        Err(CheckpointError::InvalidCheckpoint { line, field, .. }) => (line, field),
        other => panic!("{text:?}: expected InvalidCheckpoint, got {other:?}"),
    }
}

#[test]
fn non_canonical_size_rejected() {
    let text = go_vector().text.replacen("\n70\n", "\n070\n", 1);
    assert_eq!(checkpoint_error(&text), (2, "tree size"));
}

#[test]
fn short_root_rejected() {
    let root_31 = BASE64.encode([0xab; 31]);
    let text = format!("{ORIGIN}\n70\n{root_31}\n");
    assert_eq!(checkpoint_error(&text), (3, "root hash"));
}

#[test]
fn checkpoint_needs_three_lines() {
    assert_eq!(checkpoint_error(&format!("{ORIGIN}\n70\n")), (3, "root hash"));
}

// Seals.

fn checkpoint_text(size: u64) -> String {
    let root = Hash::of(&size.to_be_bytes());
    Checkpoint { origin: ORIGIN.into(), size, root, extensions: vec![] }.to_text().unwrap()
}

/// Seals one checkpoint per epoch 0..=5, evolving after each seal, and returns the epoch 0
/// key file with the seals and their texts.
fn sealed_run() -> (String, Vec<(Seal, String)>) {
    let mut key = SealingKey::generate().unwrap();
    let first_key_file = key.to_key_file().to_string();
    let mut sealed = Vec::new();
    for epoch in 0..=5 {
        assert_eq!(key.epoch(), epoch);
        let text = checkpoint_text(epoch * 10);
        sealed.push((key.seal(text.as_bytes()), text));
        key.evolve().unwrap();
    }
    (first_key_file, sealed)
}

#[test]
fn seals_verify_from_epoch_zero_key() {
    let (first_key_file, sealed) = sealed_run();
    let mut verifier = SealVerifier::new(&SealingKey::from_key_file(&first_key_file).unwrap());
    for (seal, text) in &sealed {
        verifier.verify(seal, text.as_bytes()).unwrap();
    }
    // Out of order too: the verifier derives again from epoch 0.
    for (seal, text) in sealed.iter().rev() {
        verifier.verify(seal, text.as_bytes()).unwrap();
    }
}

#[test]
fn seal_text_form_round_trips() {
    let (_, sealed) = sealed_run();
    for (seal, _) in &sealed {
        let line = seal.to_string();
        assert!(line.starts_with(&format!("seal {} ", seal.epoch)), "{line}");
        assert_eq!(line.len(), "seal ".len() + seal.epoch.to_string().len() + 1 + 44);
        assert_eq!(Seal::parse(&line).unwrap(), *seal);
    }
}

#[test]
fn seal_from_other_epoch_key_rejected() {
    let mut key = SealingKey::generate().unwrap();
    let mut verifier = SealVerifier::new(&key);
    for _ in 0..3 {
        key.evolve().unwrap();
    }
    let text = checkpoint_text(30);
    let genuine = key.seal(text.as_bytes());
    assert_eq!(genuine.epoch, 3);
    verifier.verify(&genuine, text.as_bytes()).unwrap();

    // Epoch 3's MAC presented as epoch 2.
    let relabelled = Seal { epoch: 2, mac: genuine.mac };
    assert_eq!(verifier.verify(&relabelled, text.as_bytes()), Err(CheckpointError::SealMismatch { epoch: 2 }));

    // Epoch 3's MAC over another text.
    let other_text = checkpoint_text(31);
    assert_eq!(verifier.verify(&genuine, other_text.as_bytes()), Err(CheckpointError::SealMismatch { epoch: 3 }));

    // Epoch 3's MAC presented as epoch 4.
    let relabelled = Seal { epoch: 4, mac: genuine.mac };
    assert_eq!(verifier.verify(&relabelled, text.as_bytes()), Err(CheckpointError::SealMismatch { epoch: 4 }));
}

#[test]
fn seal_known_answer() {
    // Computed independently with Python's hashlib and hmac from the formulas in the
    // `checkpoint::seal` module documentation.
    let mut key = SealingKey::from_key_file("AUDIT-SEAL-KEY+0+ERERERERERERERERERERERERERERERERERERERERERE=\n").unwrap();
    key.evolve().unwrap();
    assert_eq!(key.to_key_file().as_str(), "AUDIT-SEAL-KEY+1+siRRgi7406f91gX5IsNOi4NE4JgT0TQwtQhzyv76kyU=\n");

    let seal = key.seal(go_vector().text.as_bytes());
    assert_eq!(seal.to_string(), "seal 1 fQfR6Y42Gf5jgPcLFK1f2sxexX+LJyRL45InLTJnEwM=");
}

#[test]
fn gaps_report_missing_epochs() {
    let (_, sealed) = sealed_run();
    let mut found: Vec<Seal> = sealed.iter().map(|(seal, _)| *seal).collect();
    found.remove(4);
    found.remove(1);
    let epochs: Vec<u64> = found.iter().map(|seal| seal.epoch).collect();
    assert_eq!(epochs, [0, 2, 3, 5]);

    let report = find_epoch_gaps(&found, 0..=7);
    assert_eq!(report.missing, vec![1..=1, 4..=4, 6..=7]);
    assert!(report.out_of_order.is_empty());
    assert!(report.outside_range.is_empty());
    assert!(!report.is_complete());

    let all: Vec<Seal> = sealed.iter().map(|(seal, _)| *seal).collect();
    assert!(find_epoch_gaps(&all, 0..=5).is_complete());
}

#[test]
fn gaps_report_reordered_and_stray_seals() {
    let (_, sealed) = sealed_run();
    let seal = |epoch: usize| sealed[epoch].0;
    let found = [seal(0), seal(2), seal(1), seal(1), seal(5)];

    let report = find_epoch_gaps(&found, 0..=3);
    assert_eq!(report.missing, vec![3..=3]);
    assert_eq!(report.out_of_order, [2, 3]);
    assert_eq!(report.outside_range, [4]);
}

#[test]
fn key_file_round_trip() {
    let mut key = SealingKey::generate().unwrap();
    key.evolve().unwrap();
    let file = key.to_key_file();
    assert!(file.starts_with("AUDIT-SEAL-KEY+1+"), "unexpected prefix");
    assert!(file.ends_with('\n'));

    let reparsed = SealingKey::from_key_file(&file).unwrap();
    assert_eq!(reparsed.epoch(), 1);
    assert_eq!(reparsed.to_key_file().as_str(), file.as_str());
    let without_newline = SealingKey::from_key_file(file.trim_end_matches('\n')).unwrap();
    assert_eq!(without_newline.seal(b"x\n"), key.seal(b"x\n"));
}

#[test]
fn key_file_errors_name_the_field() {
    let key_base64 = BASE64.encode([0x5a; 32]);
    let cases = [
        (format!("AUDIT-SEAL-KEY-0+{key_base64}"), "prefix"),
        (format!("AUDIT-SEAL-KEY+01+{key_base64}"), "epoch"),
        (format!("AUDIT-SEAL-KEY++{key_base64}"), "epoch"),
        (format!("AUDIT-SEAL-KEY+-1+{key_base64}"), "epoch"),
        ("AUDIT-SEAL-KEY+0".to_owned(), "key"),
        (format!("AUDIT-SEAL-KEY+0+{}", BASE64.encode([0x5a; 31])), "key"),
        (format!("AUDIT-SEAL-KEY+0+{}", key_base64.trim_end_matches('=')), "key"),
        (format!("AUDIT-SEAL-KEY+0+{key_base64}\n\n"), "key"),
        (format!("AUDIT-SEAL-KEY+0+{key_base64} "), "key"),
    ];
    for (text, field) in cases {
        match SealingKey::from_key_file(&text) {
            Err(error @ CheckpointError::MalformedSealKeyFile { field: got, .. }) => {
                assert_eq!(got, field, "{text:?}");
                assert!(!error.to_string().contains(&key_base64[..40]), "error message contains the key: {error}");
            }
            other => panic!("{text:?}: expected MalformedSealKeyFile on {field}, got {other:?}"),
        }
    }
}

#[test]
fn seal_line_errors_name_the_field() {
    let mac = BASE64.encode([7; 32]);
    let cases = [
        (format!("Seal 1 {mac}"), "keyword"),
        ("seal".to_owned(), "epoch"),
        (format!("seal 01 {mac}"), "epoch"),
        (format!("seal x {mac}"), "epoch"),
        ("seal 1".to_owned(), "MAC"),
        (format!("seal 1 {mac} extra"), "MAC"),
        (format!("seal 1 {}", BASE64.encode([7; 31])), "MAC"),
        (format!("seal 1 {mac}\n"), "MAC"),
    ];
    for (line, field) in cases {
        match Seal::parse(&line) {
            Err(CheckpointError::MalformedSeal { field: got, .. }) => assert_eq!(got, field, "{line:?}"),
            other => panic!("{line:?}: expected MalformedSeal on {field}, got {other:?}"),
        }
    }
}

#[test]
fn evolve_replaces_key() {
    let mut key = SealingKey::generate().unwrap();
    let old_file = key.to_key_file();
    let old_key_base64 = old_file.trim_end().strip_prefix("AUDIT-SEAL-KEY+0+").unwrap().to_owned();
    let text = checkpoint_text(1);
    let old_seal = key.seal(text.as_bytes());

    key.evolve().unwrap();
    assert_eq!(key.epoch(), 1);
    let new_file = key.to_key_file();
    assert!(!new_file.contains(&old_key_base64), "evolved key file still contains the old key");
    assert!(!format!("{key:?}").contains(&old_key_base64));

    // The evolved key cannot reproduce the epoch 0 seal, even relabelled as epoch 0.
    let new_seal = key.seal(text.as_bytes());
    assert_ne!(new_seal.mac, old_seal.mac);
    let mut verifier = SealVerifier::new(&SealingKey::from_key_file(&old_file).unwrap());
    verifier.verify(&old_seal, text.as_bytes()).unwrap();
    let forged = Seal { epoch: 0, mac: new_seal.mac };
    assert_eq!(verifier.verify(&forged, text.as_bytes()), Err(CheckpointError::SealMismatch { epoch: 0 }));

    // The evolved key equals what the verifier derives for epoch 1.
    assert_eq!(verifier.key_for(1).unwrap().to_key_file().as_str(), new_file.as_str());
}

#[test]
fn verifier_rejects_epoch_before_its_key() {
    let mut key = SealingKey::generate().unwrap();
    let early = key.seal(b"x\n");
    key.evolve().unwrap();
    let mut verifier = SealVerifier::new(&key);
    assert_eq!(verifier.verify(&early, b"x\n"), Err(CheckpointError::EpochBeforeStart { epoch: 0, first: 1 }));
}

#[test]
fn verifier_bounds_derivation_for_forged_epoch() {
    let key = SealingKey::generate().unwrap();
    let mut verifier = SealVerifier::with_epoch_limit(&key, 1000);
    let forged = Seal { epoch: u64::MAX, mac: [0; 32] };
    assert!(matches!(
        verifier.verify(&forged, b"x\n"),
        Err(CheckpointError::EpochTooFar { epoch: u64::MAX, first: 0, limit: 1000 })
    ));
}
