//! Decoding of the hex form auditd uses for values that contain spaces, quotes or control bytes.

use std::fmt::Write as _;

/// Fields that auditd writes either in double quotes or as hex.
///
/// The list follows the fields that auparse (audit-userspace, `auparse/typetab.h`) interprets
/// as escaped, plus `data` of `TTY` records and `proctitle`. `saddr` is hex as well but contains a
/// binary socket address, so it stays as hex.
const HEX_ENCODED_FIELDS: &[&str] = &[
    "acct",
    "apparmor",
    "cgroup",
    "cmd",
    "comm",
    "cwd",
    "data",
    "denied_mask",
    "device",
    "dir",
    "exe",
    "file",
    "info",
    "key",
    "name",
    "new-chardev",
    "new-disk",
    "new-fs",
    "new-net",
    "ocomm",
    "old-chardev",
    "old-disk",
    "old-fs",
    "old-net",
    "operation",
    "path",
    "proctitle",
    "profile",
    "requested_mask",
    "root_dir",
    "sw",
    "vm",
    "watch",
];

/// Returns true if auditd may write the field `name` of a `record_type` record as hex.
pub(super) fn is_hex_encoded_field(record_type: &str, name: &str) -> bool {
    HEX_ENCODED_FIELDS.contains(&name) || (record_type == "EXECVE" && is_execve_argument(name))
}

/// Returns true for `execve` argument fields: `a0`, `a12`, and the chunks `a3[0]`, `a3[1]`
/// of an argument too long for one field. `argc` and `a3_len` are not arguments.
pub(super) fn is_execve_argument(name: &str) -> bool {
    let Some(rest) = name.strip_prefix('a') else {
        return false;
    };
    let (index, chunk) = match rest.split_once('[') {
        Some((index, chunk)) => (index, Some(chunk)),
        None => (rest, None),
    };
    is_number(index) && chunk.is_none_or(|chunk| chunk.strip_suffix(']').is_some_and(is_number))
}

fn is_number(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

/// Decodes a non-empty, even-length string of hex digits (either case), or returns `None`.
pub(super) fn decode_hex(value: &str) -> Option<Vec<u8>> {
    if value.is_empty() || !value.len().is_multiple_of(2) {
        return None;
    }
    value.as_bytes().chunks_exact(2).map(|pair| Some((hex_digit(pair[0])? << 4) | hex_digit(pair[1])?)).collect()
}

fn hex_digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Converts decoded bytes to text, writing each byte that is not part of valid UTF-8 as
/// `\xNN`. Returns the text and the number of bytes written that way.
pub(super) fn bytes_to_text(bytes: &[u8]) -> (String, usize) {
    let mut text = String::with_capacity(bytes.len());
    let mut invalid_bytes = 0;
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            // Writing to a String cannot fail.
            let _ = write!(text, "\\x{byte:02x}");
            invalid_bytes += 1;
        }
    }
    (text, invalid_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_hex_accepts_both_cases() {
        assert_eq!(decode_hex("2F62696E"), Some(b"/bin".to_vec()));
        assert_eq!(decode_hex("2f62696e"), Some(b"/bin".to_vec()));
    }

    #[test]
    fn decode_hex_rejects_non_hex() {
        assert_eq!(decode_hex(""), None);
        assert_eq!(decode_hex("ABC"), None);
        assert_eq!(decode_hex("(null)"), None);
        assert_eq!(decode_hex("?"), None);
        assert_eq!(decode_hex("65786563013634626974\""), None);
        assert_eq!(decode_hex("zz"), None);
    }

    #[test]
    fn bytes_to_text_escapes_invalid_utf8() {
        let (text, invalid) = bytes_to_text(&[b'a', 0xff, b'b', 0xc3]);
        assert_eq!(text, "a\\xffb\\xc3");
        assert_eq!(invalid, 2);

        let (text, invalid) = bytes_to_text("é\u{1b}".as_bytes());
        assert_eq!(text, "é\u{1b}");
        assert_eq!(invalid, 0);
    }

    #[test]
    fn execve_argument_names() {
        for name in ["a0", "a12", "a3[0]", "a3[17]"] {
            assert!(is_execve_argument(name), "{name}");
        }
        for name in ["a", "argc", "a3_len", "a3[", "a3[]", "a3[x]", "b0", "a0]"] {
            assert!(!is_execve_argument(name), "{name}");
        }
    }

    #[test]
    fn hex_fields_depend_on_record_type() {
        assert!(is_hex_encoded_field("SYSCALL", "exe"));
        assert!(is_hex_encoded_field("PROCTITLE", "proctitle"));
        assert!(is_hex_encoded_field("EXECVE", "a2"));
        assert!(!is_hex_encoded_field("SYSCALL", "a2"));
        assert!(!is_hex_encoded_field("SOCKADDR", "saddr"));
    }
}
