//! The `longname` of a NAME entry: an `ls -l` line, formatted as OpenSSH's sftp-server does (`ls_file` in
//! sftp-common.c). The OpenSSH client prints it verbatim for `ls -l`; other clients (WinSCP, FileZilla) may
//! parse it, so the column layout matters more than the exact content.

use std::io::Write;

use crate::attrs::{Attrs, FileType};

/// Half a year in seconds: files modified in this window before `now` show a time, older ones a year.
const RECENT_SECS: i64 = 365 * 24 * 60 * 60 / 2;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Formats an `ls -l` line for `name`, like OpenSSH's sftp-server:
///
/// ```text
/// -rw-r--r--    1 alice    staff        1234 Mar  5 14:07 notes.txt
/// drwxr-xr-x    1 1000     1000         4096 Jan 12  2023 old
/// ```
///
/// - mode string from `attrs.permissions` (type character and `s`/`S`/`t`/`T` as `strmode(3)`), `?---------`
///   when absent;
/// - link count: always `1`, since SFTP v3 attributes carry none;
/// - `owner`/`group` when given, else the numeric uid/gid, else `?`; padded to 8 columns;
/// - size right-aligned on 8 columns (0 when absent);
/// - `Mon dd HH:MM` when the mtime is within the half year up to `now`, else `Mon dd  YYYY`; empty when
///   there is no mtime. Times are shown in UTC: this layer has no time zone. `now` is seconds since 1970.
///
/// The name is copied as is (it need not be UTF-8).
#[must_use]
pub fn longname(
    name: &[u8],
    attrs: &Attrs,
    owner: Option<&str>,
    group: Option<&str>,
    now: i64,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(56 + name.len());
    longname_into(&mut out, name, attrs, owner, group, now);
    out
}

/// [`longname`], appending to `out` (a scratch buffer reused across a directory listing).
pub fn longname_into(
    out: &mut Vec<u8>,
    name: &[u8],
    attrs: &Attrs,
    owner: Option<&str>,
    group: Option<&str>,
    now: i64,
) {
    push_mode(out, attrs.permissions);
    // strmode(3) leaves a space after the 10 mode characters, then "%3s" of the link count.
    out.extend_from_slice(b"    1 ");
    push_id(out, owner, attrs.uid());
    out.push(b' ');
    push_id(out, group, attrs.gid());
    // Writing to a Vec cannot fail.
    let _ = write!(out, " {:>8} ", attrs.size.unwrap_or(0));
    if let Some(mtime) = attrs.mtime() {
        push_time(out, i64::from(mtime), now);
    }
    out.push(b' ');
    out.extend_from_slice(name);
}

fn push_mode(out: &mut Vec<u8>, permissions: Option<u32>) {
    let Some(mode) = permissions else {
        out.extend_from_slice(b"?---------");
        return;
    };
    out.push(FileType::from_mode(mode).ls_char());
    // (read bit, write bit, exec bit, special bit, special char when exec set, when not)
    let triads = [
        (0o400, 0o200, 0o100, 0o4000, b's', b'S'),
        (0o040, 0o020, 0o010, 0o2000, b's', b'S'),
        (0o004, 0o002, 0o001, 0o1000, b't', b'T'),
    ];
    for (r, w, x, special, on, off) in triads {
        out.push(if mode & r != 0 { b'r' } else { b'-' });
        out.push(if mode & w != 0 { b'w' } else { b'-' });
        out.push(match (mode & x != 0, mode & special != 0) {
            (true, true) => on,
            (false, true) => off,
            (true, false) => b'x',
            (false, false) => b'-',
        });
    }
}

fn push_id(out: &mut Vec<u8>, name: Option<&str>, id: Option<u32>) {
    let start = out.len();
    match (name, id) {
        (Some(name), _) => out.extend_from_slice(name.as_bytes()),
        (None, Some(id)) => {
            let _ = write!(out, "{id}");
        }
        (None, None) => out.push(b'?'),
    }
    let width = out.len() - start;
    out.resize(out.len() + 8usize.saturating_sub(width), b' ');
}

fn push_time(out: &mut Vec<u8>, mtime: i64, now: i64) {
    let (year, month, day) = civil_from_days(mtime.div_euclid(86_400));
    let month_name = MONTHS[usize::from(month - 1)];
    if now - RECENT_SECS < mtime && now >= mtime {
        let secs = mtime.rem_euclid(86_400);
        let _ = write!(
            out,
            "{month_name} {day:>2} {:02}:{:02}",
            secs / 3600,
            secs % 3600 / 60
        );
    } else {
        let _ = write!(out, "{month_name} {day:>2}  {year}");
    }
}

/// (year, month 1-12, day 1-31) of a day count since 1970-01-01 (proleptic Gregorian; H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // day is in 1..=31 and month in 1..=12 by construction.
    (year, month as u8, day as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(perm: u32, size: u64, mtime: u32) -> Attrs {
        Attrs {
            size: Some(size),
            uid_gid: Some((1000, 100)),
            permissions: Some(perm),
            atime_mtime: Some((mtime, mtime)),
            extended: None,
        }
    }

    fn line(name: &[u8], a: &Attrs, owner: Option<&str>, group: Option<&str>, now: i64) -> String {
        String::from_utf8(longname(name, a, owner, group, now)).unwrap()
    }

    // 2024-03-05 14:07:09 UTC
    const MAR_5_2024: u32 = 1_709_647_629;

    #[test]
    fn recent_file_shows_time() {
        let a = attrs(0o100_644, 1234, MAR_5_2024);
        let now = i64::from(MAR_5_2024) + 3600;
        assert_eq!(
            line(b"notes.txt", &a, Some("alice"), Some("staff"), now),
            "-rw-r--r--    1 alice    staff        1234 Mar  5 14:07 notes.txt"
        );
    }

    #[test]
    fn old_or_future_file_shows_year_and_numeric_ids() {
        let a = attrs(0o040_755, 4096, MAR_5_2024);
        let later = i64::from(MAR_5_2024) + RECENT_SECS;
        assert_eq!(
            line(b"old", &a, None, None, later),
            "drwxr-xr-x    1 1000     100          4096 Mar  5  2024 old"
        );
        let earlier = i64::from(MAR_5_2024) - 1;
        assert!(line(b"f", &a, None, None, earlier).contains("Mar  5  2024 f"));
    }

    #[test]
    fn special_bits_and_long_owner() {
        let a = attrs(0o104_755 | 0o2000 | 0o1000, 1, 0);
        assert_eq!(
            line(b"x", &a, Some("a-very-long-user"), Some("g"), 0),
            "-rwsr-sr-t    1 a-very-long-user g               1 Jan  1 00:00 x"
        );
        let a = attrs(0o120_000 | 0o7000, 1, 0);
        assert!(line(b"l", &a, None, None, 0).starts_with("l--S--S--T "));
    }

    #[test]
    fn missing_attributes_and_raw_names() {
        assert_eq!(
            longname(b"\xffraw", &Attrs::EMPTY, None, None, 0),
            b"?---------    1 ?        ?               0  \xffraw"
        );
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_722), (2023, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(i64::from(u32::MAX) / 86_400), (2106, 2, 7));
    }
}
