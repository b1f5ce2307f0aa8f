//! String formats, as kube-openapi's default registry checks them for CRDs.
//!
//! Implemented: `date-time`, `date`, `byte`, `uuid`/`uuid3`/`uuid4`/`uuid5`, `ipv4`, `ipv6`,
//! `cidr`, `password`. Other formats are not checked (the apiserver drops the formats it does
//! not know from CRD schemas, and none of the rest is used by the schemas served here).

use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// Whether `value` is valid for `format`; `None` when the format is not checked.
pub(super) fn check(format: &str, value: &str) -> Option<bool> {
    // go-openapi looks formats up without dashes: `date-time` is `datetime`.
    let ok = match format.replace('-', "").as_str() {
        "datetime" => is_date_time(value),
        "date" => is_date(value),
        "byte" => STANDARD.decode(value).is_ok(),
        "uuid" => is_uuid(value, None),
        "uuid3" => is_uuid(value, Some('3')),
        "uuid4" => is_uuid(value, Some('4')),
        "uuid5" => is_uuid(value, Some('5')),
        "ipv4" => value.contains('.') && value.parse::<IpAddr>().is_ok(),
        "ipv6" => value.contains(':') && value.parse::<IpAddr>().is_ok(),
        "cidr" => is_cidr(value),
        "password" => true,
        _ => return None,
    };
    Some(ok)
}

/// strfmt `IsDateTime`: a `date`, `T` (any case), then `hh:mm:ss[.frac](Z|±hh:mm)`.
fn is_date_time(value: &str) -> bool {
    if value.len() < 4 {
        return false;
    }
    let lower = value.to_ascii_lowercase();
    let mut parts = lower.split('t');
    let (Some(date), Some(time)) = (parts.next(), parts.next()) else {
        return false;
    };
    is_date(date) && is_time(time)
}

/// `^([0-9]{2}):([0-9]{2}):([0-9]{2})(.[0-9]+)?(z|([+-][0-9]{2}:[0-9]{2}))$` with hour ≤ 23,
/// minute ≤ 59, second ≤ 59.
fn is_time(time: &str) -> bool {
    let b = time.as_bytes();
    let two = |i: usize| b.get(i..i + 2).filter(|d| d.iter().all(u8::is_ascii_digit));
    let (Some(h), Some(m), Some(s)) = (two(0), two(3), two(6)) else {
        return false;
    };
    if b.get(2) != Some(&b':') || b.get(5) != Some(&b':') {
        return false;
    }
    if h > b"23".as_slice() || m > b"59".as_slice() || s > b"59".as_slice() {
        return false;
    }
    let mut rest = &time[8..];
    if rest.len() > 1 && !rest.starts_with(['z', '+', '-']) {
        // `.` in the pattern matches any one character before the fraction digits.
        if !rest.is_char_boundary(1) {
            return false;
        }
        let digits = rest[1..].bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return false;
        }
        rest = &rest[1 + digits..];
    }
    match rest.as_bytes() {
        [b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()),
        _ => false,
    }
}

/// Go's `time.Parse("2006-01-02", value)`: a real calendar day.
fn is_date(value: &str) -> bool {
    let b = value.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')))
    };
    let (Some(year), Some(month), Some(day)) = (num(0..4), num(5..7), num(8..10)) else {
        return false;
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// `(?i)^[0-9a-f]{8}-?[0-9a-f]{4}-?V[0-9a-f]{3}-?[89ab]?...` — hex groups 8-4-4-4-12 with
/// optional dashes; `version` pins the first digit of the third group (and, for 4 and 5, the
/// variant digit of the fourth).
fn is_uuid(value: &str, version: Option<char>) -> bool {
    let mut groups: Vec<&str> = Vec::new();
    let mut rest = value;
    for len in [8, 4, 4, 4, 12] {
        let Some(group) = rest.get(..len) else { return false };
        if !group.bytes().all(|c| c.is_ascii_hexdigit()) {
            return false;
        }
        groups.push(group);
        rest = &rest[len..];
        if groups.len() < 5 {
            rest = rest.strip_prefix('-').unwrap_or(rest);
        }
    }
    if !rest.is_empty() {
        return false;
    }
    match version {
        None => true,
        Some(v) => {
            groups[2].starts_with(v) && (v == '3' || groups[3].starts_with(|c: char| "89abAB".contains(c)))
        }
    }
}

/// Go's `net.ParseCIDR`: an address, `/`, a prefix length that fits the address family.
fn is_cidr(value: &str) -> bool {
    let Some((addr, bits)) = value.split_once('/') else { return false };
    let Ok(addr) = addr.parse::<IpAddr>() else { return false };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    !bits.is_empty()
        && bits.len() <= 3
        && bits.bytes().all(|c| c.is_ascii_digit())
        && bits.parse::<u32>().is_ok_and(|b| b <= max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_times_follow_rfc3339_as_strfmt_reads_it() {
        for ok in [
            "2026-12-04T15:10:06Z",
            "2026-12-04t15:10:06z",
            "2026-12-04T15:10:06.123456Z",
            "2024-02-29T23:59:59+05:30",
            "2026-01-01T00:00:00-00:00",
        ] {
            assert_eq!(check("date-time", ok), Some(true), "{ok}");
        }
        for bad in [
            "tomorrow",
            "",
            "2026-12-04",
            "2026-12-04T25:00:00Z",
            "2026-12-04T15:10:06",
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-12-04T15:10:06.Z",
            "2026-12-04T15:10:06+0530",
            "2026-12-04 15:10:06Z",
        ] {
            assert_eq!(check("date-time", bad), Some(false), "{bad}");
        }
    }

    #[test]
    fn dates_are_real_calendar_days() {
        assert_eq!(check("date", "2000-02-29"), Some(true));
        assert_eq!(check("date", "1900-02-29"), Some(false));
        assert_eq!(check("date", "2026-04-31"), Some(false));
        assert_eq!(check("date", "2026-4-1"), Some(false));
    }

    #[test]
    fn bytes_uuids_addresses_and_unknown_formats() {
        assert_eq!(check("byte", "aGVsbG8="), Some(true));
        assert_eq!(check("byte", "not base64!"), Some(false));
        assert_eq!(check("uuid", "af510a7c-b079-4c8e-9c55-0f3d3c2a1b00"), Some(true));
        assert_eq!(check("uuid", "AF510A7CB0794C8E9C550F3D3C2A1B00"), Some(true));
        assert_eq!(check("uuid", "af510a7c-b079-4c8e-9c55"), Some(false));
        assert_eq!(check("uuid4", "af510a7c-b079-4c8e-9c55-0f3d3c2a1b00"), Some(true));
        assert_eq!(check("uuid4", "af510a7c-b079-3c8e-9c55-0f3d3c2a1b00"), Some(false));
        assert_eq!(check("uuid3", "af510a7c-b079-3c8e-1c55-0f3d3c2a1b00"), Some(true));
        assert_eq!(check("ipv4", "10.0.0.1"), Some(true));
        assert_eq!(check("ipv4", "::1"), Some(false));
        assert_eq!(check("ipv6", "::1"), Some(true));
        assert_eq!(check("cidr", "10.0.0.0/8"), Some(true));
        assert_eq!(check("cidr", "10.0.0.0/33"), Some(false));
        assert_eq!(check("cidr", "::/129"), Some(false));
        assert_eq!(check("email", "anything"), None);
    }
}
