//! Fast RFC 3339 formatting of record timestamps.
//!
//! The output is the same as chrono's serde form for `DateTime<Utc>` (RFC 3339 with a `Z`
//! offset and 0, 3, 6 or 9 fractional digits, the fewest that keep the value exact), written
//! into a stack buffer instead of through `Display`.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use serde::Serializer;

/// Serialises `time` as chrono does, faster.
///
/// It goes through `collect_str`, as chrono's own `Serialize` does, so that the event
/// validator can count a timestamp without checking its characters (see `validation.rs`).
pub(crate) fn serialize_rfc3339<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&Rfc3339(time))
}

/// Formats a timestamp only when displayed, so a serializer that never displays it (the
/// validator) pays nothing.
struct Rfc3339<'a>(&'a DateTime<Utc>);

impl std::fmt::Display for Rfc3339<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut buf = [0u8; 32];
        match format_rfc3339(self.0, &mut buf) {
            Some(text) => f.write_str(text),
            // Leap seconds and years outside 0..=9999 take chrono's own path.
            None => f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        }
    }
}

fn format_rfc3339<'a>(time: &DateTime<Utc>, buf: &'a mut [u8; 32]) -> Option<&'a str> {
    let year = u32::try_from(time.year()).ok().filter(|y| *y <= 9999)?;
    let nanos = time.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    put_digits(&mut buf[0..4], year);
    buf[4] = b'-';
    put_digits(&mut buf[5..7], time.month());
    buf[7] = b'-';
    put_digits(&mut buf[8..10], time.day());
    buf[10] = b'T';
    put_digits(&mut buf[11..13], time.hour());
    buf[13] = b':';
    put_digits(&mut buf[14..16], time.minute());
    buf[16] = b':';
    put_digits(&mut buf[17..19], time.second());
    let (fraction, digits) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    let mut len = 19;
    if digits > 0 {
        buf[19] = b'.';
        put_digits(&mut buf[20..20 + digits], fraction);
        len = 20 + digits;
    }
    buf[len] = b'Z';
    len += 1;
    std::str::from_utf8(&buf[..len]).ok()
}

/// Writes `value` as exactly `out.len()` decimal digits, with leading zeros.
fn put_digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        // `value % 10` is a single decimal digit.
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn matches_chrono_for_every_fraction_width() {
        let base = Utc.with_ymd_and_hms(2026, 12, 4, 20, 3, 9).unwrap();
        for nanos in [0, 5_000_000, 123_000_000, 123_456_000, 123_456_789, 1, 999_999_999] {
            let time = base + chrono::Duration::nanoseconds(nanos);
            let mut buf = [0u8; 32];
            assert_eq!(format_rfc3339(&time, &mut buf).unwrap(), time.to_rfc3339_opts(SecondsFormat::AutoSi, true));
        }
    }

    #[test]
    fn serialises_like_chrono() {
        let time = Utc::now();
        let ours = serialize_rfc3339(&time, serde_json::value::Serializer).unwrap();
        assert_eq!(ours, serde_json::to_value(time).unwrap());
    }
}
