//! `audit-log keygen` and reading key files.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use audit_logging::checkpoint::{generate, SealingKey, SignerKey, VerifierKey};
use audit_logging::AuditError;

use super::{EXIT_ERROR, EXIT_OK};

/// File names `keygen` writes.
pub const SIGNER_FILE: &str = "signer.key";
/// Public verifier key.
pub const VERIFIER_FILE: &str = "verifier.key";
/// Initial sealing key, for verifiers; keep it off the logging host.
pub const SEAL_INITIAL_FILE: &str = "seal-initial.key";
/// Sealing key for the logging host, evolved after every checkpoint.
pub const SEAL_HOST_FILE: &str = "seal.key";

/// Runs `keygen` and returns the exit status.
pub fn run_keygen(name: &str, out: &Path) -> u8 {
    match keygen(name, out) {
        Ok(()) => {
            println!("wrote {}/{{{SIGNER_FILE},{VERIFIER_FILE},{SEAL_INITIAL_FILE},{SEAL_HOST_FILE}}}", out.display());
            println!("keep {SIGNER_FILE} and {SEAL_HOST_FILE} on the logging host (mode 0600);");
            println!("copy {VERIFIER_FILE} and {SEAL_INITIAL_FILE} to the verifiers, then delete {SEAL_INITIAL_FILE} from the host");
            EXIT_OK
        }
        Err(error) => {
            eprintln!("audit-log: {}: {error}", out.display());
            EXIT_ERROR
        }
    }
}

fn keygen(name: &str, out: &Path) -> Result<(), AuditError> {
    fs::create_dir_all(out).map_err(|e| AuditError::File { path: out.to_path_buf(), operation: "create directory", source: e })?;
    for file in [SIGNER_FILE, VERIFIER_FILE, SEAL_INITIAL_FILE, SEAL_HOST_FILE] {
        let path = out.join(file);
        if path.exists() {
            let error = std::io::Error::new(std::io::ErrorKind::AlreadyExists, "a key file is never overwritten; choose another folder");
            return Err(AuditError::File { path, operation: "create", source: error });
        }
    }
    let (signer, verifier) = generate(name)?;
    let seal = SealingKey::generate()?;
    write_new(&out.join(SIGNER_FILE), format!("{}\n", signer.to_key_string().as_str()).as_bytes(), 0o600)?;
    write_new(&out.join(VERIFIER_FILE), format!("{verifier}\n").as_bytes(), 0o644)?;
    // The key file text already ends with a newline.
    write_new(&out.join(SEAL_INITIAL_FILE), seal.to_key_file().as_bytes(), 0o600)?;
    write_new(&out.join(SEAL_HOST_FILE), seal.to_key_file().as_bytes(), 0o600)?;
    Ok(())
}

/// Creates `path` with `mode`, failing if it exists so that no key is ever overwritten.
fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), AuditError> {
    let file = fs::OpenOptions::new().write(true).create_new(true).mode(mode).open(path);
    let mut file = file.map_err(|e| AuditError::File { path: path.to_path_buf(), operation: "create", source: e })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| AuditError::File { path: path.to_path_buf(), operation: "write", source: e })
}

fn read_trimmed(path: &Path) -> Result<String, AuditError> {
    let text = fs::read_to_string(path).map_err(|e| AuditError::File { path: path.to_path_buf(), operation: "read", source: e })?;
    Ok(text.trim_end_matches('\n').to_owned())
}

/// Reads a verifier key file.
pub fn read_verifier(path: &Path) -> Result<VerifierKey, AuditError> {
    Ok(VerifierKey::parse(&read_trimmed(path)?)?)
}

/// Reads a signer key file.
pub fn read_signer(path: &Path) -> Result<SignerKey, AuditError> {
    Ok(SignerKey::parse(&read_trimmed(path)?)?)
}

/// Reads a sealing key file.
pub fn read_sealing_key(path: &Path) -> Result<SealingKey, AuditError> {
    Ok(SealingKey::from_key_file(&read_trimmed(path)?)?)
}
