//! RFC 3339 timestamps in UTC, as Helm writes them (`created` in index files and OCI
//! annotations), without a calendar crate.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `2026-11-05T09:30:00Z` (seconds precision, as Helm's OCI `created` annotation).
pub fn rfc3339(time: SystemTime) -> String {
    let (date, secs, _) = split(time);
    format!("{date}T{secs}Z")
}

/// `2026-11-05T09:30:00.123456789Z` (nanoseconds, as Helm's index `created`/`generated`).
pub fn rfc3339_nanos(time: SystemTime) -> String {
    let (date, secs, nanos) = split(time);
    format!("{date}T{secs}.{nanos:09}Z")
}

/// The time to stamp into artifacts: `SOURCE_DATE_EPOCH` when set (reproducible builds),
/// otherwise now.
pub fn build_time() -> SystemTime {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or_else(SystemTime::now, |secs| {
            UNIX_EPOCH + Duration::from_secs(secs)
        })
}

fn split(time: SystemTime) -> (String, String, u32) {
    // Times before 1970 do not occur here; clamp rather than fail.
    let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
    let total = since.as_secs();
    let days = (total / 86_400) as i64;
    let rest = total % 86_400;
    let (year, month, day) = civil_from_days(days);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02}:{:02}", rest / 3600, rest / 60 % 60, rest % 60),
        since.subsec_nanos(),
    )
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian calendar
/// (H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        let at = |secs: u64, nanos: u32| UNIX_EPOCH + Duration::new(secs, nanos);
        assert_eq!(rfc3339(at(0, 0)), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(at(951_782_400, 0)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(at(1_709_251_199, 0)), "2024-02-29T23:59:59Z");
        assert_eq!(
            rfc3339_nanos(at(1_798_761_600, 5)),
            "2027-01-01T00:00:00.000000005Z"
        );
    }
}
