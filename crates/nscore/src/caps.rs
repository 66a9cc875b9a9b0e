//! `--keep-caps`: capabilities held in a user namespace that survive exec.

use crate::error::{Error, Result};
use crate::sys;

/// Makes every effective capability ambient, so the exec'd program keeps it (the
/// kernel requires a capability to be permitted and inheritable before it may be
/// ambient, so the permitted set is copied to the inheritable one first).
pub fn keep_caps() -> Result<()> {
    let mut caps = sys::capget().map_err(|e| Error::sys("capget failed", e))?;
    caps.inheritable = caps.permitted;
    sys::capset(caps).map_err(|e| Error::sys("capset failed", e))?;
    for cap in 0..=last_cap() {
        if caps.effective & (1u64 << cap) != 0 {
            sys::ambient_raise(cap).map_err(|e| Error::sys("prctl(PR_CAP_AMBIENT) failed", e))?;
        }
    }
    Ok(())
}

/// The highest capability this kernel knows.
fn last_cap() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(40)
        .min(63)
}

#[cfg(test)]
mod tests {
    #[test]
    fn last_cap_is_sane() {
        let c = super::last_cap();
        assert!((36..=63).contains(&c), "{c}");
    }
}
