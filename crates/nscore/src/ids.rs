//! User and group ids: strict number parsing and name look-ups.
//!
//! util-linux parses ids with `strtoul`-like helpers that accept `-1` or wrap
//! `4294967296` to 0, which silently turns a typo into root. Here an id is decimal
//! digits only, no sign, no spaces, and below 4294967295 (`(uid_t)-1`, which the kernel
//! reserves as "no id").
//!
//! ```
//! use nix::errno::Errno;
//! use nscore::ids::{parse_id, parse_pid, MAX_ID};
//!
//! assert_eq!(parse_id(b"65534"), Ok(65534));
//! assert_eq!(parse_id(b"4294967294"), Ok(MAX_ID));
//! // what strtoul would turn into 4294967295 or 0 is an error here, never an id
//! assert_eq!(parse_id(b"-1"), Err(Errno::ERANGE));
//! assert_eq!(parse_id(b"4294967295"), Err(Errno::ERANGE));
//! assert_eq!(parse_id(b"4294967296"), Err(Errno::ERANGE));
//! assert_eq!(parse_id(b" 0"), Err(Errno::EINVAL));
//! // a PID is above 0
//! assert_eq!(parse_pid(b"1"), Ok(1));
//! assert_eq!(parse_pid(b"0"), Err(Errno::ERANGE));
//! ```

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use nix::errno::Errno;
use nix::unistd::{Gid, Group, Uid, User};

/// The largest valid id (`(uid_t)-1` is not one).
pub const MAX_ID: u32 = u32::MAX - 1;

/// Parses a decimal unsigned number with no sign or spaces. `Err(EINVAL)` for anything
/// that isn't one, `Err(ERANGE)` for one that doesn't fit `u64`.
pub fn parse_u64(s: &[u8]) -> Result<u64, Errno> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return Err(Errno::EINVAL);
    }
    s.iter()
        .try_fold(0u64, |acc, &b| acc.checked_mul(10).and_then(|v| v.checked_add(u64::from(b - b'0'))))
        .ok_or(Errno::ERANGE)
}

/// Appends `v` in decimal: what `write!(out, "{v}")` does, in a tenth of the instructions
/// (rs-lsns writes a few numbers for each of thousands of lines and paths): two digits at
/// a time from the right, then one copy.
pub fn push_decimal(out: &mut Vec<u8>, mut v: u64) {
    const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
        2021222324252627282930313233343536373839\
        4041424344454647484950515253545556575859\
        6061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899";
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        digits[i] = PAIRS[pair];
        digits[i + 1] = PAIRS[pair + 1];
    }
    if v >= 10 {
        let pair = v as usize * 2;
        i -= 2;
        digits[i] = PAIRS[pair];
        digits[i + 1] = PAIRS[pair + 1];
    } else {
        i -= 1;
        digits[i] = b'0' + v as u8;
    }
    out.extend_from_slice(&digits[i..]);
}

/// Parses an id: `Err(EINVAL)` if not a number, `Err(ERANGE)` if above [`MAX_ID`] or
/// negative. A minus sign before a digit is out of range, whatever follows (`-1`, `-5x`),
/// because util-linux's parser looks at the sign first and says so: the messages stay
/// its (`failed to parse uid: '-1': Numerical result out of range`).
pub fn parse_id(s: &[u8]) -> Result<u32, Errno> {
    if s.len() > 1 && s[0] == b'-' && s[1].is_ascii_digit() {
        return Err(Errno::ERANGE);
    }
    let v = parse_u64(s)?;
    if v > u64::from(MAX_ID) {
        return Err(Errno::ERANGE);
    }
    Ok(v as u32)
}

/// A signed 64-bit decimal number (time offsets): optional sign, then digits.
pub fn parse_i64(s: &[u8]) -> Result<i64, Errno> {
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let mag = parse_u64(digits)?;
    if neg {
        if mag == 1u64 << 63 {
            return Ok(i64::MIN);
        }
        i64::try_from(mag).map(|v| -v).map_err(|_| Errno::ERANGE)
    } else {
        i64::try_from(mag).map_err(|_| Errno::ERANGE)
    }
}

/// Parses a PID as util-linux master does: decimal, above 0, within `pid_t`. Zero and
/// negative numbers are out of range; anything that isn't a number is invalid.
pub fn parse_pid(s: &[u8]) -> Result<i32, Errno> {
    let (neg, digits) = match s.strip_prefix(b"-") {
        Some(d) => (true, d),
        None => (false, s),
    };
    let v = parse_u64(digits)?;
    if neg || v == 0 || v > i32::MAX as u64 {
        return Err(Errno::ERANGE);
    }
    Ok(v as i32)
}

/// A uid given as a number or a user name.
pub fn uid_from_str(s: &OsStr) -> Result<u32, Errno> {
    match parse_id(s.as_bytes()) {
        Err(Errno::EINVAL) => {}
        other => return other,
    }
    let name = std::str::from_utf8(s.as_bytes()).map_err(|_| Errno::EINVAL)?;
    match User::from_name(name) {
        Ok(Some(u)) => Ok(u.uid.as_raw()),
        _ => Err(Errno::EINVAL),
    }
}

/// A gid given as a number or a group name.
pub fn gid_from_str(s: &OsStr) -> Result<u32, Errno> {
    match parse_id(s.as_bytes()) {
        Err(Errno::EINVAL) => {}
        other => return other,
    }
    let name = std::str::from_utf8(s.as_bytes()).map_err(|_| Errno::EINVAL)?;
    match Group::from_name(name) {
        Ok(Some(g)) => Ok(g.gid.as_raw()),
        _ => Err(Errno::EINVAL),
    }
}

/// The passwd entry's name of `uid`.
pub fn user_name(uid: u32) -> Option<String> {
    User::from_uid(Uid::from_raw(uid)).ok().flatten().map(|u| u.name)
}

/// The group entry's name of `gid`.
pub fn group_name(gid: u32) -> Option<String> {
    Group::from_gid(Gid::from_raw(gid)).ok().flatten().map(|g| g.name)
}

/// The passwd entry's home directory of `uid`.
pub fn home_dir(uid: u32) -> Option<std::path::PathBuf> {
    User::from_uid(Uid::from_raw(uid)).ok().flatten().map(|u| u.dir)
}

/// The passwd entry's login shell of `uid`, if it has a non-empty one.
pub fn login_shell(uid: u32) -> Option<std::path::PathBuf> {
    User::from_uid(Uid::from_raw(uid)).ok().flatten().map(|u| u.shell).filter(|s| !s.as_os_str().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        let edges = (0..20).map(|k| 10u64.pow(k)).flat_map(|p| [p - 1, p, p + 1]);
        for v in [0, 7, 10, 99, 4026531835, u64::MAX].into_iter().chain(edges) {
            let mut out = b"x".to_vec();
            push_decimal(&mut out, v);
            assert_eq!(out, format!("x{v}").into_bytes());
            assert_eq!(parse_u64(&out[1..]), Ok(v));
        }
    }

    #[test]
    fn ids() {
        assert_eq!(parse_id(b"0"), Ok(0));
        assert_eq!(parse_id(b"65534"), Ok(65534));
        assert_eq!(parse_id(b"4294967294"), Ok(4294967294));
        assert_eq!(parse_id(b"4294967295"), Err(Errno::ERANGE));
        assert_eq!(parse_id(b"4294967296"), Err(Errno::ERANGE));
        assert_eq!(parse_id(b"99999999999999999999999"), Err(Errno::ERANGE));
        assert_eq!(parse_id(b"-1"), Err(Errno::ERANGE));
        assert_eq!(parse_id(b"-5x"), Err(Errno::ERANGE));
        for bad in [&b""[..], b"-", b"-x", b"+1", b" 1", b"1 ", b"1x", b"0x10", b"abc"] {
            assert_eq!(parse_id(bad), Err(Errno::EINVAL), "{bad:?}");
        }
    }

    #[test]
    fn pids() {
        assert_eq!(parse_pid(b"1"), Ok(1));
        assert_eq!(parse_pid(b"2147483647"), Ok(i32::MAX));
        assert_eq!(parse_pid(b"0"), Err(Errno::ERANGE));
        assert_eq!(parse_pid(b"-5"), Err(Errno::ERANGE));
        assert_eq!(parse_pid(b"2147483648"), Err(Errno::ERANGE));
        assert_eq!(parse_pid(b"99999999999999999999999"), Err(Errno::ERANGE));
        for bad in [&b""[..], b"1x", b"x", b" 1", b"+1", b"-", b"0x1"] {
            assert_eq!(parse_pid(bad), Err(Errno::EINVAL), "{bad:?}");
        }
    }

    #[test]
    fn signed() {
        assert_eq!(parse_i64(b"-5"), Ok(-5));
        assert_eq!(parse_i64(b"+5"), Ok(5));
        assert_eq!(parse_i64(b"9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), Err(Errno::ERANGE));
        assert_eq!(parse_i64(b"-"), Err(Errno::EINVAL));
        assert_eq!(parse_i64(b"1.5"), Err(Errno::EINVAL));
    }

    #[test]
    fn names() {
        assert_eq!(uid_from_str(OsStr::new("root")), Ok(0));
        assert_eq!(uid_from_str(OsStr::new("12345")), Ok(12345));
        assert_eq!(uid_from_str(OsStr::new("no-such-user-xyz")), Err(Errno::EINVAL));
        assert_eq!(uid_from_str(OsStr::new("-1")), Err(Errno::ERANGE));
        assert_eq!(gid_from_str(OsStr::new("root")), Ok(0));
        assert_eq!(user_name(0).as_deref(), Some("root"));
        assert_eq!(group_name(0).as_deref(), Some("root"));
    }
}
