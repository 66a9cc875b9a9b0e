//! Keeping capabilities across exec (`--keep-caps`).

use crate::error::Error;
use crate::sys;

/// The highest capability number this kernel knows (`/proc/sys/kernel/cap_last_cap`);
/// 63 if it cannot be read, since raising an unknown capability fails harmlessly.
pub fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(63)
}

/// Makes every permitted capability inheritable and ambient, so a program exec'd by a
/// non-root uid keeps the capabilities this process has (a user namespace gives its
/// creator all of them, and exec would otherwise drop them).
pub fn raise_ambient_all() -> Result<(), Error> {
    let mut sets = sys::capget().map_err(|e| Error::sys("capget failed", e))?;
    sets.inheritable = sets.permitted;
    sys::capset(sets).map_err(|e| Error::sys("capset failed", e))?;
    for cap in (0..=last_cap().min(63)).filter(|c| sets.permitted & (1u64 << c) != 0) {
        sys::ambient_raise(cap).map_err(|e| Error::sys("prctl(PR_CAP_AMBIENT) failed", e))?;
    }
    Ok(())
}
