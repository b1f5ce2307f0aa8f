//! Ages as kubectl prints them (apimachinery `duration.HumanDuration`).

use k8s_openapi::jiff::Timestamp;

/// `5s`, `3m20s`, `4h10m`, `12d`, `2y30d`... for the time elapsed since `since` (RFC 3339).
/// `None` when the timestamp does not parse.
pub fn human_duration(since: &str, now: Timestamp) -> Option<String> {
    let then: Timestamp = since.parse().ok()?;
    let seconds = now.as_second() - then.as_second();
    Some(format_seconds(seconds))
}

fn format_seconds(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    }
    if seconds < 0 {
        return "0s".into();
    }
    if seconds < 120 {
        return format!("{seconds}s");
    }
    let minutes = seconds / 60;
    if minutes < 10 {
        let s = seconds % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = seconds / 3600;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{h}h", hours / 24) };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    if hours < 24 * 365 * 8 {
        let days = (hours / 24) % 365;
        return if days == 0 {
            format!("{}y", hours / 24 / 365)
        } else {
            format!("{}y{days}d", hours / 24 / 365)
        };
    }
    format!("{}y", hours / 24 / 365)
}

#[cfg(test)]
mod tests {
    use super::format_seconds;

    #[test]
    fn matches_apimachinery_examples() {
        assert_eq!(format_seconds(-5), "<invalid>");
        assert_eq!(format_seconds(-1), "0s");
        assert_eq!(format_seconds(59), "59s");
        assert_eq!(format_seconds(119), "119s");
        assert_eq!(format_seconds(200), "3m20s");
        assert_eq!(format_seconds(300), "5m");
        assert_eq!(format_seconds(3600), "60m");
        assert_eq!(format_seconds(4 * 3600 + 600), "4h10m");
        assert_eq!(format_seconds(30 * 3600), "30h");
        assert_eq!(format_seconds(3 * 86400 + 7200), "3d2h");
        assert_eq!(format_seconds(40 * 86400), "40d");
        assert_eq!(format_seconds(3 * 365 * 86400 + 5 * 86400), "3y5d");
        assert_eq!(format_seconds(9 * 365 * 86400), "9y");
    }
}
