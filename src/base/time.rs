//! Timestamps as SigV4 writes them, with no clock read here.
//!
//! SigV4 dates are `yyyyMMdd'T'HHmmss'Z'` (ISO 8601 basic, UTC); S3's error bodies write
//! `yyyy-MM-dd'T'HH:mm:ss'Z'`. Both are converted to and from Unix seconds with the
//! proleptic-Gregorian day count (Howard Hinnant's `days_from_civil`), so the signature core
//! needs no date crate and can be fuzzed. Callers read the clock once, at arrival, and pass it in.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, UTC. Signed so that absurd dates stay representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UnixTime(pub i64);

/// The wall clock in milliseconds since the epoch: the gate reads it once per request.
pub fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl UnixTime {
    /// The one place the gate reads the wall clock; everything downstream takes the value.
    pub fn now() -> Self {
        let secs =
            SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        Self(secs)
    }

    /// Parses `20130524T000000Z`. Anything else, including out-of-range fields, is `None`.
    pub fn parse_amz(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
            return None;
        }
        let year = digits(&b[0..4])?;
        let month = digits(&b[4..6])?;
        let day = digits(&b[6..8])?;
        let hour = digits(&b[9..11])?;
        let min = digits(&b[11..13])?;
        let sec = digits(&b[13..15])?;
        if !(1..=12).contains(&month)
            || day < 1
            || day > days_in_month(year, month)
            || hour > 23
            || min > 59
            || sec > 59
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        Some(Self(days * 86_400 + hour * 3_600 + min * 60 + sec))
    }

    /// `20130524T000000Z` as bytes, without the formatting machinery (signing does this
    /// for every request).
    pub fn amz_bytes(self) -> [u8; 16] {
        let (year, month, day, hour, min, sec) = self.fields();
        let mut out = *b"00000000T000000Z";
        put_digits(&mut out[0..4], year);
        put_digits(&mut out[4..6], month);
        put_digits(&mut out[6..8], day);
        put_digits(&mut out[9..11], hour);
        put_digits(&mut out[11..13], min);
        put_digits(&mut out[13..15], sec);
        out
    }

    /// `20130524T000000Z`.
    pub fn amz(self) -> AmzFormat {
        AmzFormat(self)
    }

    /// `2013-05-24T00:00:00Z`, as S3 writes `Expires` and `ServerTime` in error bodies.
    pub fn iso8601(self) -> IsoFormat {
        IsoFormat(self)
    }

    /// `2013-05-24T00:00:00.123Z` for a time in milliseconds, as the access log writes it.
    pub fn iso8601_ms(ms: i64) -> IsoMsFormat {
        IsoMsFormat(ms)
    }

    fn fields(self) -> (i64, i64, i64, i64, i64, i64) {
        let days = self.0.div_euclid(86_400);
        let rem = self.0.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        (y, m, d, rem / 3_600, rem % 3_600 / 60, rem % 60)
    }
}

/// Writes `n` as decimal digits filling `out` (zero-padded, the high digits dropped).
fn put_digits(out: &mut [u8], mut n: i64) {
    for slot in out.iter_mut().rev() {
        *slot = b'0' + u8::try_from(n.rem_euclid(10)).unwrap_or(0);
        n = n.div_euclid(10);
    }
}

/// Display adapter for the SigV4 basic format.
pub struct AmzFormat(UnixTime);

impl fmt::Display for AmzFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day, hour, min, sec) = self.0.fields();
        write!(f, "{year:04}{month:02}{day:02}T{hour:02}{min:02}{sec:02}Z")
    }
}

/// Display adapter for the extended format.
pub struct IsoFormat(UnixTime);

impl fmt::Display for IsoFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day, hour, min, sec) = self.0.fields();
        write!(f, "{year:04}-{month:02}-{day:02}T{hour:02}:{min:02}:{sec:02}Z")
    }
}

/// Display adapter for the extended format with milliseconds.
pub struct IsoMsFormat(i64);

impl fmt::Display for IsoMsFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day, hour, min, sec) = UnixTime(self.0.div_euclid(1000)).fields();
        let ms = self.0.rem_euclid(1000);
        write!(f, "{year:04}-{month:02}-{day:02}T{hour:02}:{min:02}:{sec:02}.{ms:03}Z")
    }
}

/// Parses the ISO 8601 forms IAM accepts in `Date` conditions into milliseconds since the
/// epoch: `2026-11-22`, `2026-11-22T10:00Z`, `2026-11-22T10:00:00Z`, with optional
/// fractional seconds and a `Z`, `±HH:MM` or `±HHMM` offset (no offset means UTC).
pub fn parse_iso8601_ms(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut ms = days_from_civil(year, month, day) * 86_400_000;
    let rest = &b[10..];
    if rest.is_empty() {
        return Some(ms);
    }
    if rest.len() < 6 || rest[0] != b'T' || rest[3] != b':' {
        return None;
    }
    let (hour, min) = (digits(&rest[1..3])?, digits(&rest[4..6])?);
    let mut rest = &rest[6..];
    let mut sec = 0;
    if rest.first() == Some(&b':') {
        sec = digits(rest.get(1..3)?)?;
        rest = &rest[3..];
        if rest.first() == Some(&b'.') {
            let frac_len = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
            if frac_len == 0 {
                return None;
            }
            // Milliseconds: the first three digits, padded.
            let mut frac = 0;
            for i in 0..3 {
                frac = frac * 10
                    + rest.get(1 + i).filter(|c| i < frac_len && c.is_ascii_digit()).map_or(0, |c| i64::from(c - b'0'));
            }
            ms += frac;
            rest = &rest[1 + frac_len..];
        }
    }
    if hour > 23 || min > 59 || sec > 59 {
        return None;
    }
    ms += (hour * 3_600 + min * 60 + sec) * 1000;
    let offset_min = match rest {
        [] | [b'Z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] | [sign @ (b'+' | b'-'), h1, h2, m1, m2] => {
            let (h, m) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let total = h * 60 + m;
            if *sign == b'+' { total } else { -total }
        }
        _ => return None,
    };
    Some(ms - offset_min * 60_000)
}

fn digits(b: &[u8]) -> Option<i64> {
    b.iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_the_s3_documentation_date() {
        let t = UnixTime::parse_amz("20130524T000000Z").unwrap();
        assert_eq!(t.0, 1_369_353_600);
        assert_eq!(t.amz().to_string(), "20130524T000000Z");
        assert_eq!(t.iso8601().to_string(), "2013-05-24T00:00:00Z");
    }

    #[test]
    fn leap_day_and_end_of_year() {
        let t = UnixTime::parse_amz("20240229T235959Z").unwrap();
        assert_eq!(t.iso8601().to_string(), "2024-02-29T23:59:59Z");
        assert_eq!(UnixTime(t.0 + 1).amz().to_string(), "20240301T000000Z");
        // The byte form signing uses is the same text.
        for secs in [0, 951_782_399, 1_709_251_199, 1_764_046_140, 4_102_444_800] {
            let t = UnixTime(secs);
            assert_eq!(t.amz_bytes().as_slice(), t.amz().to_string().as_bytes(), "{secs}");
        }
        assert!(UnixTime::parse_amz("20230229T000000Z").is_none());
        assert_eq!(
            UnixTime::parse_amz("19991231T235959Z").map(|t| t.0 + 1),
            UnixTime::parse_amz("20000101T000000Z").map(|t| t.0)
        );
    }

    #[test]
    fn rejects_malformed_dates() {
        for bad in [
            "",
            "20130524",
            "20130524T000000",
            "20130524t000000Z",
            "2013-05-24T00:00:00Z",
            "20131324T000000Z",
            "20130532T000000Z",
            "20130524T240000Z",
            "20130524T006000Z",
            "20130524T000060Z",
            "2013052\u{e9}T00000Z",
            "+0130524T000000Z",
        ] {
            assert!(UnixTime::parse_amz(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn iso8601_forms_for_date_conditions() {
        let base = 1_369_353_600_000; // 2013-05-24T00:00:00Z
        assert_eq!(parse_iso8601_ms("2013-05-24"), Some(base));
        assert_eq!(parse_iso8601_ms("2013-05-24T00:00:00Z"), Some(base));
        assert_eq!(parse_iso8601_ms("2013-05-24T00:00Z"), Some(base));
        assert_eq!(parse_iso8601_ms("2013-05-24T00:00:01.5Z"), Some(base + 1_500));
        assert_eq!(parse_iso8601_ms("2013-05-24T00:00:01.123456Z"), Some(base + 1_123));
        assert_eq!(parse_iso8601_ms("2013-05-24T02:00:00+02:00"), Some(base));
        assert_eq!(parse_iso8601_ms("2013-05-23T22:00:00-0200"), Some(base));
        for bad in [
            "",
            "2013-5-24",
            "2013-05-24T",
            "2013-05-24T25:00:00Z",
            "2013-02-30",
            "2013-05-24T00:00:00.Z",
            "2013-05-24T00:00:00+2",
        ] {
            assert_eq!(parse_iso8601_ms(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_day_for_four_centuries_round_trips() {
        let start = days_from_civil(1970, 1, 1);
        for days in (start - 146_097)..(start + 146_097) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }
}
