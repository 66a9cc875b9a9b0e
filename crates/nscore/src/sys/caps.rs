//! Capabilities: this thread's three sets (`capget`, `capset`) and raising an ambient one,
//! which is all `--keep-caps` needs (no libcap).

use nix::errno::Errno;

use super::int_result;

#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

const CAP_VERSION_3: u32 = 0x2008_0522;

/// The three capability sets of this thread as 64-bit masks (bit N: capability N of
/// `capabilities(7)`), joined from the two 32-bit halves of the kernel's v3 ABI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CapSets {
    /// What the kernel checks now.
    pub effective: u64,
    /// The superset the effective set must stay within.
    pub permitted: u64,
    /// Kept through an exec only where the file's own sets allow, or as ambient
    /// capabilities, which must be inheritable (and permitted) first.
    pub inheritable: u64,
}

/// `capget(2)` for this thread, with the v3 (64-bit) ABI. No libcap: this, [`capset`] and
/// [`ambient_raise`] are all that `--keep-caps` needs.
///
/// # Errors
/// `EINVAL` if the kernel does not know the v3 ABI (before Linux 2.6.26).
pub fn capget() -> Result<CapSets, Errno> {
    let mut hdr = CapHeader { version: CAP_VERSION_3, pid: 0 };
    let mut data = [CapData::default(); 2];
    // SAFETY: header and two data structs as the v3 ABI requires.
    int_result(unsafe { libc::syscall(libc::SYS_capget, &mut hdr, data.as_mut_ptr()) } as libc::c_int)?;
    let join = |f: fn(&CapData) -> u32| u64::from(f(&data[0])) | (u64::from(f(&data[1])) << 32);
    Ok(CapSets {
        effective: join(|d| d.effective),
        permitted: join(|d| d.permitted),
        inheritable: join(|d| d.inheritable),
    })
}

/// `capset(2)` for this thread, with the v3 (64-bit) ABI.
///
/// # Errors
/// `EPERM` when the new sets add to the permitted set, put into the effective set what
/// is not permitted, or add to the inheritable set what is outside the bounding set or
/// (without `CAP_SETPCAP`) outside the permitted set.
pub fn capset(sets: CapSets) -> Result<(), Errno> {
    let mut hdr = CapHeader { version: CAP_VERSION_3, pid: 0 };
    let split = |v: u64, i: usize| (v >> (32 * i)) as u32;
    let data: [CapData; 2] = std::array::from_fn(|i| CapData {
        effective: split(sets.effective, i),
        permitted: split(sets.permitted, i),
        inheritable: split(sets.inheritable, i),
    });
    // SAFETY: header and two data structs as the v3 ABI requires.
    int_result(unsafe { libc::syscall(libc::SYS_capset, &mut hdr, data.as_ptr()) } as libc::c_int).map(drop)
}

/// `prctl(2)` `PR_CAP_AMBIENT_RAISE`: makes `cap` ambient, so that it survives an exec of
/// a program without file capabilities.
///
/// # Errors
/// `EPERM` unless `cap` is both permitted and inheritable (or when
/// `SECBIT_NO_CAP_AMBIENT_RAISE` is set); `EINVAL` for a capability this kernel lacks.
pub fn ambient_raise(cap: u32) -> Result<(), Errno> {
    // SAFETY: plain prctl with integer arguments.
    int_result(unsafe {
        libc::prctl(libc::PR_CAP_AMBIENT, libc::PR_CAP_AMBIENT_RAISE as libc::c_ulong, cap as libc::c_ulong, 0, 0)
    })
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capget_reads_something() {
        let c = capget().unwrap();
        assert_eq!(c.effective & !c.permitted, 0);
    }
}
