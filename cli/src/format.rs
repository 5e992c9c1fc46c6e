//! Output helpers: human units, hex previews, JSON lines, and argument parsers.

use std::fmt::Write as _;
use std::io::Write;
use std::time::Duration;

use serde::Serialize;

use crate::error::Result;

const BYTE_UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

/// `text` from a channel (untrusted) with its control characters escaped (`\u{1b}`), so that
/// printing it cannot drive the terminal.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// A byte count in binary units: `512 B`, `8 KiB`, `1.5 MiB`.
pub(crate) fn bytes(count: u64) -> String {
    let (value, unit) = binary(count as f64);
    if unit == 0 || value.fract() == 0.0 {
        format!("{value:.0} {}", BYTE_UNITS[unit])
    } else {
        format!("{value:.1} {}", BYTE_UNITS[unit])
    }
}

/// A rate of bytes per second in binary units: `12.3 MiB/s`.
pub(crate) fn bytes_rate(per_second: f64) -> String {
    match binary(per_second.max(0.0)) {
        (value, 0) => format!("{value:.0} B/s"),
        (value, unit) => format!("{value:.1} {}/s", BYTE_UNITS[unit]),
    }
}

/// `value` scaled to the largest binary unit that keeps it at least 1 once rounded to a tenth,
/// and the unit's index in [`BYTE_UNITS`].
fn binary(mut value: f64) -> (f64, usize) {
    let mut unit = 0;
    while value >= 1023.95 && unit + 1 < BYTE_UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    (value, unit)
}

/// A count per second with a metric suffix and three significant digits: `950`, `12.3k`,
/// `4.56M`.
pub(crate) fn rate(per_second: f64) -> String {
    let value = per_second.max(0.0);
    // The thresholds are where rounding to three digits would reach the next unit.
    let (scaled, suffix) = match value {
        v if v >= 999.5e6 => (v / 1e9, "G"),
        v if v >= 999.5e3 => (v / 1e6, "M"),
        v if v >= 999.5 => (v / 1e3, "k"),
        v => return format!("{v:.0}"),
    };
    match scaled {
        s if s >= 99.95 => format!("{s:.0}{suffix}"),
        s if s >= 9.995 => format!("{s:.1}{suffix}"),
        s => format!("{s:.2}{suffix}"),
    }
}

/// A duration in nanoseconds with a readable unit and three significant digits: `850 ns`,
/// `12.5 µs`, `3.20 ms`.
pub(crate) fn nanos(ns: f64) -> String {
    let (scaled, unit) = match ns.max(0.0) {
        ns if ns < 999.5 => return format!("{ns:.0} ns"),
        ns if ns < 999.5e3 => (ns / 1e3, "µs"),
        ns if ns < 999.5e6 => (ns / 1e6, "ms"),
        ns => (ns / 1e9, "s"),
    };
    match scaled {
        s if s >= 99.95 => format!("{s:.0} {unit}"),
        s if s >= 9.995 => format!("{s:.1} {unit}"),
        s => format!("{s:.2} {unit}"),
    }
}

/// Lowercase hex of `bytes`, without separators: `68656c6c6f`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

/// Permission bits as `ls` shows them in octal: `0600`.
pub(crate) fn mode(bits: u32) -> String {
    format!("{bits:04o}")
}

/// A duration in whole nanoseconds, saturating at `u64::MAX` (584 years).
pub(crate) fn as_nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// Writes `value` as one line of JSON.
pub(crate) fn json_line(out: &mut impl Write, value: &impl Serialize) -> Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Parses a positive number of seconds, such as `1`, `0.2` or `1e-3`, for clap.
pub(crate) fn parse_secs(text: &str) -> Result<Duration, String> {
    let secs: f64 = text.parse().map_err(|_| format!("`{text}` is not a number of seconds"))?;
    if secs.is_nan() || secs <= 0.0 {
        return Err(format!("{text} s is not a positive duration"));
    }
    Duration::try_from_secs_f64(secs).map_err(|error| format!("{text} s: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_use_binary_units_and_drop_needless_decimals() {
        assert_eq!(bytes(0), "0 B");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(1024), "1 KiB");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(bytes(1 << 20), "1 MiB");
        assert_eq!(bytes(8 << 30), "8 GiB");
        assert_eq!(bytes((1 << 20) - 1), "1.0 MiB", "never `1024.0 KiB`");
    }

    #[test]
    fn rates_keep_three_significant_digits() {
        assert_eq!(rate(0.0), "0");
        assert_eq!(rate(950.4), "950");
        assert_eq!(rate(12_345.0), "12.3k");
        assert_eq!(rate(4_560_000.0), "4.56M");
        assert_eq!(rate(250e6), "250M");
        assert_eq!(rate(99_998.0), "100k", "never `100.0k`");
        assert_eq!(rate(999.7), "1.00k", "never `1000`");
        assert_eq!(rate(9_996.0), "10.0k");
        assert_eq!(rate(999_900.0), "1.00M");
        assert_eq!(bytes_rate(100.0), "100 B/s");
        assert_eq!(bytes_rate(3.0 * 1024.0 * 1024.0), "3.0 MiB/s");
        assert_eq!(bytes_rate(1024.0 * 1023.99), "1.0 MiB/s");
    }

    #[test]
    fn nanoseconds_pick_a_readable_unit() {
        assert_eq!(nanos(850.0), "850 ns");
        assert_eq!(nanos(999.7), "1.00 µs");
        assert_eq!(nanos(100_000.0), "100 µs");
        assert_eq!(nanos(12_500.0), "12.5 µs");
        assert_eq!(nanos(3_200_000.0), "3.20 ms");
        assert_eq!(nanos(2e9), "2.00 s");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape("Quote\u{1b}[2J\n"), "Quote\\u{1b}[2J\\n");
        assert_eq!(escape("Québec"), "Québec");
    }

    #[test]
    fn hex_is_lowercase_and_modes_are_octal() {
        assert_eq!(hex(b"hello"), "68656c6c6f");
        assert_eq!(hex(&[]), "");
        assert_eq!(mode(0o600), "0600");
    }

    #[test]
    fn seconds_must_be_positive_numbers() {
        assert_eq!(parse_secs("0.25"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_secs("2"), Ok(Duration::from_secs(2)));
        assert!(parse_secs("0").is_err());
        assert!(parse_secs("-1").is_err());
        assert!(parse_secs("NaN").is_err());
        assert!(parse_secs("soon").is_err());
        assert!(parse_secs("1e300").is_err());
    }
}
