//! Wall-clock formatting for the demos, without a date-time dependency.
#![allow(dead_code)] // each demo uses part of it

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, now.
pub fn now_epoch() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// The civil date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
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

/// `2014-06-12T18:30:05.250Z`: an epoch time in UTC, to the millisecond.
pub fn iso_utc(epoch: f64) -> String {
    let millis = (epoch * 1000.0).round() as i64;
    let (secs, ms) = (millis.div_euclid(1000), millis.rem_euclid(1000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, mo, d) = civil_from_days(days);
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// `18:30:05` in the local time zone (UTC if the zone is unknown).
pub fn local_hms(epoch: f64) -> String {
    let secs = epoch.floor() as libc::time_t;
    // SAFETY: an all-zero `tm` is a valid value for localtime_r to overwrite.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: both pointers are valid for the call; localtime_r is reentrant.
    #[cfg(unix)]
    let ok = !unsafe { libc::localtime_r(&secs, &mut tm) }.is_null();
    // SAFETY: both pointers are valid for the call; localtime_s is
    // Windows' reentrant localtime (0 on success).
    #[cfg(windows)]
    let ok = unsafe { libc::localtime_s(&mut tm, &secs) } == 0;
    if ok {
        format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec)
    } else {
        let rem = (epoch.floor() as i64).rem_euclid(86_400);
        format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_utc_formats_known_instants() {
        assert_eq!(iso_utc(0.0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_utc(1_402_597_805.25), "2014-06-12T18:30:05.250Z");
        assert_eq!(iso_utc(951_782_400.0), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn local_time_has_clock_shape() {
        let t = local_hms(now_epoch());
        assert_eq!(t.len(), 8);
        assert_eq!(&t[2..3], ":");
    }
}
