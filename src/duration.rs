//! One duration grammar for both binaries: the compiler's `deadline` and the
//! runner's `--timeout`, `--poll-interval`, `--retry-for` and
//! `--request-timeout` are read by [`parse`], and what the compiler renders
//! for the runner is written by [`format()`], which [`parse`] always reads back.
//!
//! A duration is either a whole number of seconds of at most 15 digits
//! (`90`), or numbers of at most 9 digits with the units `d`, `h`, `m`, `s`,
//! `ms`, largest first, each unit at most once (`6h`, `1h30m`, `2d5s`,
//! `500ms`). [`PATTERN`] says exactly that, so the JSON Schema and the parser
//! give the same verdict. The bounds make the grammar closed: the longest
//! duration written with units (about 2,850 years) still fits the
//! 15-digit form, which is what [`format()`] falls back to.

use std::time::Duration;

/// The grammar as a regular expression (the JSON Schema's `pattern`); with a
/// minimum length of 1 it accepts exactly what [`parse`] accepts.
pub const PATTERN: &str =
    "^([0-9]{1,15}|([0-9]{1,9}d)?([0-9]{1,9}h)?([0-9]{1,9}m)?([0-9]{1,9}s)?([0-9]{1,9}ms)?)$";

/// The grammar in words, for hints and the schema's description.
pub const GRAMMAR: &str = "a whole number of seconds (`90`, at most 15 digits) or numbers of at most 9 digits with the units d, h, m, s, ms, largest first, each at most once (`6h`, `1h30m`, `2d5s`, `500ms`)";

/// Most digits of the unit-less form.
const BARE_DIGITS: usize = 15;
/// Most digits of one number before a unit.
const UNIT_DIGITS: usize = 9;
/// The units, largest first, in milliseconds.
const UNITS: [(&str, u64); 5] = [
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("ms", 1),
    ("m", 60_000),
    ("s", 1_000),
];
/// The order units must come in (index into [`UNITS`] order of size).
fn rank(unit: &str) -> usize {
    match unit {
        "d" => 0,
        "h" => 1,
        "m" => 2,
        "s" => 3,
        _ => 4,
    }
}

/// Reads a duration in the grammar above; `None` for anything else
/// (including surrounding spaces: trim first where they are harmless).
pub fn parse(s: &str) -> Option<Duration> {
    if s.is_empty() {
        return None;
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return (s.len() <= BARE_DIGITS)
            .then(|| s.parse::<u64>().ok().map(Duration::from_secs))
            .flatten();
    }
    let mut millis: u64 = 0;
    let mut next_rank = 0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 || digits > UNIT_DIGITS {
            return None;
        }
        let n: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, size) = UNITS.iter().find(|(u, _)| rest.starts_with(u))?;
        if rank(unit) < next_rank {
            return None;
        }
        next_rank = rank(unit) + 1;
        rest = &rest[unit.len()..];
        millis = millis.checked_add(n.checked_mul(*size)?)?;
    }
    Some(Duration::from_millis(millis))
}

/// Writes `d` so that [`parse`] reads it back: `6h`, `1h30m`, `2d5s`,
/// `300ms`, `0s`; beyond 999,999,999 days, whole seconds (`90061000000000`).
/// Sub-millisecond parts are dropped.
pub fn format(d: Duration) -> String {
    let secs = d.as_secs();
    let ms = d.subsec_millis();
    let days = secs / 86_400;
    if days > 999_999_999 {
        return secs.to_string();
    }
    let mut out = String::new();
    for (n, unit) in [
        (days, "d"),
        (secs / 3_600 % 24, "h"),
        (secs / 60 % 60, "m"),
        (secs % 60, "s"),
        (u64::from(ms), "ms"),
    ] {
        if n > 0 {
            out.push_str(&n.to_string());
            out.push_str(unit);
        }
    }
    if out.is_empty() {
        out.push_str("0s");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar() {
        for (s, ms) in [
            ("90", 90_000),
            ("0", 0),
            ("0s", 0),
            ("30s", 30_000),
            ("90m", 5_400_000),
            ("6h", 21_600_000),
            ("1h30m", 5_400_000),
            ("2d", 172_800_000),
            ("2d5s", 172_805_000),
            ("500ms", 500),
            ("1m500ms", 60_500),
            ("1s500ms", 1_500),
            ("999999999999999", 999_999_999_999_999_000),
        ] {
            assert_eq!(parse(s), Some(Duration::from_millis(ms)), "{s}");
        }
        for bad in [
            "",
            " 6h",
            "6h ",
            "h",
            "6x",
            "1.5h",
            "-1",
            "6 h",
            "30m1h",
            "1h1h",
            "1ms1s",
            "1000000000s",
            "1000000000000000",
            "6H",
            "1h30",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn format_is_read_back() {
        for d in [
            Duration::ZERO,
            Duration::from_millis(300),
            Duration::from_secs(5400),
            Duration::from_secs(2 * 86_400 + 5),
            Duration::from_millis(86_400_000 + 1),
            Duration::from_secs(999_999_999 * 86_400 + 86_399),
            Duration::from_secs(1_000_000_000 * 86_400),
        ] {
            assert_eq!(parse(&format(d)), Some(d), "{d:?} as {}", format(d));
        }
        assert_eq!(format(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format(Duration::from_millis(300)), "300ms");
        assert_eq!(format(Duration::ZERO), "0s");
    }

    #[test]
    fn the_longest_duration_with_units_has_a_15_digit_form() {
        let longest = parse("999999999d999999999h999999999m999999999s999999999ms").unwrap();
        assert!(longest.as_secs() < 10u64.pow(15), "{longest:?}");
        assert_eq!(
            parse(&format(longest)).map(|d| d.as_secs()),
            Some(longest.as_secs())
        );
    }
}
