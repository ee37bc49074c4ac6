//! Splitting of a record body into named fields.

use std::collections::{HashMap, HashSet};

use super::decode::{bytes_to_text, decode_hex, is_hex_encoded_field};
use super::sanitize::snippet;
use super::{Encoding, Field};

/// One whitespace-separated piece of a record body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    /// Text without `=`, such as `user` in `user pid=1`.
    Word(&'a str),
    /// `key=value`. `quote` is the quote character that enclosed the value, if any.
    Pair { key: &'a str, value: &'a str, quote: Option<char> },
}

/// A field before its name is made unique and its value decoded.
struct RawField {
    name: String,
    raw: String,
    quote: Option<char>,
    /// True for fields that came from inside `msg='...'`.
    nested: bool,
}

/// Whether hex values are decoded and `msg='...'` expanded.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Interpretation {
    /// The fields of a raw record: decode hex and expand `msg='...'`.
    Record,
    /// The resolved names after the GS separator: keep every value as written.
    Enriched,
}

fn is_space(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Splits `body` into fields of a `record_type` record.
///
/// Returns an error for a quoted value without its closing quote.
pub(super) fn parse_fields(record_type: &str, body: &str, mode: Interpretation) -> Result<Vec<Field>, String> {
    let tokens = tokenize(body)?;
    let mut raw_fields = Vec::new();
    collect(&tokens, false, mode, &mut raw_fields);

    let mut names = UniqueNames::default();
    let fields = raw_fields
        .into_iter()
        .map(|raw_field| {
            let name = names.claim(&raw_field.name, raw_field.nested);
            let (value, encoding) = match mode {
                Interpretation::Record => decode_value(record_type, &raw_field),
                Interpretation::Enriched => (raw_field.raw, plain_or_quoted(raw_field.quote)),
            };
            Field { name, value, encoding }
        })
        .collect();
    Ok(fields)
}

fn plain_or_quoted(quote: Option<char>) -> Encoding {
    match quote {
        Some(_) => Encoding::Quoted,
        None => Encoding::Plain,
    }
}

fn decode_value(record_type: &str, raw_field: &RawField) -> (String, Encoding) {
    if raw_field.quote.is_none() && is_hex_encoded_field(record_type, &raw_field.name) {
        if let Some(bytes) = decode_hex(&raw_field.raw) {
            let (text, invalid_utf8_bytes) = bytes_to_text(&bytes);
            return (text, Encoding::Hex { invalid_utf8_bytes });
        }
    }
    (raw_field.raw.clone(), plain_or_quoted(raw_field.quote))
}

fn tokenize(text: &str) -> Result<Vec<Token<'_>>, String> {
    let mut tokens = Vec::new();
    let mut rest = text.trim_start_matches(is_space);
    while !rest.is_empty() {
        let word_end = rest.find(is_space).unwrap_or(rest.len());
        match rest[..word_end].find('=') {
            Some(equals) if equals > 0 => {
                let key = &rest[..equals];
                let (value, quote, remaining) = read_value(key, &rest[equals + 1..])?;
                tokens.push(Token::Pair { key, value, quote });
                rest = remaining;
            }
            _ => {
                tokens.push(Token::Word(&rest[..word_end]));
                rest = &rest[word_end..];
            }
        }
        rest = rest.trim_start_matches(is_space);
    }
    Ok(tokens)
}

/// Reads the value that starts `text`. Returns the value, its quote character and the text
/// after it.
fn read_value<'a>(key: &str, text: &'a str) -> Result<(&'a str, Option<char>, &'a str), String> {
    let unterminated = |quote: char| format!("value of field {} has no closing {quote} quote", snippet(key));
    match text.chars().next() {
        Some('"') => {
            // auditd writes a value that contains a double quote as hex, so the next double
            // quote closes the value.
            let body = &text[1..];
            let end = body.find('"').ok_or_else(|| unterminated('"'))?;
            Ok((&body[..end], Some('"'), &body[end + 1..]))
        }
        Some('\'') => {
            // The closing quote of msg='...' is the first single quote followed by a space or
            // the end of the line, because the inner text may hold other single quotes.
            let body = &text[1..];
            let end = body
                .match_indices('\'')
                .map(|(index, _)| index)
                .find(|&index| body[index + 1..].chars().next().is_none_or(is_space))
                .ok_or_else(|| unterminated('\''))?;
            Ok((&body[..end], Some('\''), &body[end + 1..]))
        }
        _ => {
            let end = text.find(is_space).unwrap_or(text.len());
            Ok((&text[..end], None, &text[end..]))
        }
    }
}

/// Turns tokens into raw fields, applying the rules for words and `msg='...'` described in
/// the module documentation.
fn collect(tokens: &[Token<'_>], nested: bool, mode: Interpretation, out: &mut Vec<RawField>) {
    let text_position = out.len();
    let mut text_words: Vec<&str> = Vec::new();
    // Index in `out` of the previous unquoted field, which a following word extends.
    let mut extendable: Option<usize> = None;
    let mut prefix: Option<&str> = None;

    for (index, token) in tokens.iter().enumerate() {
        match *token {
            Token::Word(word) => {
                let next_is_pair = matches!(tokens.get(index + 1), Some(Token::Pair { .. }));
                if next_is_pair && (word == "old" || word == "new") {
                    prefix = Some(word);
                } else if let Some(field_index) = extendable {
                    let field = &mut out[field_index];
                    field.raw.push(' ');
                    field.raw.push_str(word);
                } else {
                    text_words.push(word);
                }
            }
            Token::Pair { key, value, quote } => {
                let name = match prefix.take() {
                    Some("old") => format!("old-{key}"),
                    _ => key.to_owned(),
                };
                if mode == Interpretation::Record && !nested && key == "msg" && quote == Some('\'') {
                    if let Ok(inner) = tokenize(value) {
                        collect(&inner, true, mode, out);
                        extendable = None;
                        continue;
                    }
                }
                out.push(RawField { name, raw: value.to_owned(), quote, nested });
                extendable = quote.is_none().then_some(out.len() - 1);
            }
        }
    }

    if !text_words.is_empty() {
        let text = RawField { name: "text".to_owned(), raw: text_words.join(" "), quote: Some('"'), nested };
        out.insert(text_position, text);
    }
}

/// Hands out field names that are unique within one record.
#[derive(Default)]
struct UniqueNames {
    used_names: HashSet<String>,
    /// Next suffix to try for each repeated name, so that many repeats stay linear.
    next_suffix: HashMap<String, usize>,
}

impl UniqueNames {
    /// Returns `name`, or `msg.NAME` for a repeated name from inside `msg='...'`, or
    /// `NAME#2`, `NAME#3`, ... for other repeats.
    fn claim(&mut self, name: &str, nested: bool) -> String {
        if self.used_names.insert(name.to_owned()) {
            return name.to_owned();
        }
        if nested {
            let prefixed = format!("msg.{name}");
            if self.used_names.insert(prefixed.clone()) {
                return prefixed;
            }
        }
        let suffix = self.next_suffix.entry(name.to_owned()).or_insert(2);
        loop {
            let candidate = format!("{name}#{suffix}");
            *suffix += 1;
            if self.used_names.insert(candidate.clone()) {
                return candidate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(record_type: &str, body: &str) -> Vec<(String, String)> {
        parse_fields(record_type, body, Interpretation::Record)
            .expect("body parses")
            .into_iter()
            .map(|field| (field.name, field.value))
            .collect()
    }

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
    }

    #[test]
    fn quoted_plain_and_empty_values() {
        let parsed = fields("CRYPTO_SESSION", r#" op=start mac= pfs="x y"  lport=22"#);
        assert_eq!(parsed, pairs(&[("op", "start"), ("mac", ""), ("pfs", "x y"), ("lport", "22")]));
    }

    #[test]
    fn nested_msg_is_expanded() {
        let body = r#"user pid=4121 uid=0 auid=700 msg='op=PAM:session_close acct="root" exe="/usr/bin/sudo" hostname=? addr=? terminal=? res=success'"#;
        let parsed = fields("USER_END", body);
        let expected = pairs(&[
            ("text", "user"),
            ("pid", "4121"),
            ("uid", "0"),
            ("auid", "700"),
            ("op", "PAM:session_close"),
            ("acct", "root"),
            ("exe", "/usr/bin/sudo"),
            ("hostname", "?"),
            ("addr", "?"),
            ("terminal", "?"),
            ("res", "success"),
        ]);
        assert_eq!(parsed, expected);
    }

    #[test]
    fn nested_name_clash_gets_msg_prefix() {
        let body = r#"pid=2948 uid=0 msg='pam_tally2 uid=1004 reset=0 res=success'"#;
        let parsed = fields("USER_ACCT", body);
        let expected = pairs(&[
            ("pid", "2948"),
            ("uid", "0"),
            ("text", "pam_tally2"),
            ("msg.uid", "1004"),
            ("reset", "0"),
            ("res", "success"),
        ]);
        assert_eq!(parsed, expected);
    }

    #[test]
    fn words_extend_unquoted_value() {
        let body = "pid=2940 msg='op=adding group to /etc/group id=1004 res=success'";
        let parsed = fields("ADD_GROUP", body);
        assert_eq!(parsed[1], ("op".to_string(), "adding group to /etc/group".to_string()));
        assert_eq!(parsed[2], ("id".to_string(), "1004".to_string()));
    }

    #[test]
    fn unparsable_nested_msg_stays_whole() {
        let parsed = fields("USER_CMD", r#"pid=1 msg='op="open res=1'"#);
        assert_eq!(parsed, pairs(&[("pid", "1"), ("msg", r#"op="open res=1"#)]));
    }

    #[test]
    fn old_and_new_prefixes() {
        let parsed = fields("LOGIN", "pid=28281 uid=0 old auid=700 new auid=701 old ses=6793 new ses=12286");
        let expected = pairs(&[
            ("pid", "28281"),
            ("uid", "0"),
            ("old-auid", "700"),
            ("auid", "701"),
            ("old-ses", "6793"),
            ("ses", "12286"),
        ]);
        assert_eq!(parsed, expected);
    }

    #[test]
    fn repeated_names_get_suffixes() {
        let parsed = fields("X", "a=1 a=2 a=3");
        assert_eq!(parsed, pairs(&[("a", "1"), ("a#2", "2"), ("a#3", "3")]));
    }

    #[test]
    fn hex_is_decoded_only_for_encoded_fields() {
        let parsed = fields("CWD", "cwd=2F746D702F6120622063 inode=0ABC");
        assert_eq!(parsed, pairs(&[("cwd", "/tmp/a b c"), ("inode", "0ABC")]));
    }

    #[test]
    fn quoted_hex_is_not_decoded() {
        let parsed = parse_fields("SYSCALL", r#"comm="41""#, Interpretation::Record).expect("parses");
        assert_eq!(parsed[0].value, "41");
        assert_eq!(parsed[0].encoding, Encoding::Quoted);
    }

    #[test]
    fn unterminated_quotes_are_errors() {
        let error = parse_fields("X", r#"a="open"#, Interpretation::Record).expect_err("no closing quote");
        assert!(error.contains("no closing \" quote"), "{error}");
        let error = parse_fields("X", "msg='op=x res=1", Interpretation::Record).expect_err("no closing quote");
        assert!(error.contains("no closing ' quote"), "{error}");
    }

    #[test]
    fn enriched_values_are_not_decoded() {
        let parsed =
            parse_fields("SYSCALL", r#"ARCH=x86_64 UID="root" exe=41"#, Interpretation::Enriched).expect("parses");
        let values: Vec<&str> = parsed.iter().map(|field| field.value.as_str()).collect();
        assert_eq!(values, ["x86_64", "root", "41"]);
    }
}
