//! RTM_GETNSID over rtnetlink: the id our network namespace uses for another one (what
//! `ip netns list-id` shows). Messages are built and parsed as plain bytes.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{recv, sendto, socket, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType};

const RTM_NEWNSID: u16 = 88;
const RTM_GETNSID: u16 = 90;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;
const NETNSA_NSID: u16 = 1;
const NETNSA_PID: u16 = 2;
const NETNSA_FD: u16 = 3;
/// The kernel's NETNSA_NSID_NOT_ASSIGNED.
const NOT_ASSIGNED: i32 = -1;

/// Which namespace to ask about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The network namespace of this process.
    Pid(u32),
    /// The namespace this descriptor (of ours) refers to.
    Fd(u32),
}

pub fn open() -> Result<OwnedFd, Errno> {
    socket(AddressFamily::Netlink, SockType::Raw, SockFlag::SOCK_CLOEXEC, SockProtocol::NetlinkRoute)
}

/// The request: nlmsghdr, rtgenmsg (padded to 4 bytes), one u32 attribute.
pub fn request(target: Target, seq: u32) -> Vec<u8> {
    let (attr, value) = match target {
        Target::Pid(p) => (NETNSA_PID, p),
        Target::Fd(f) => (NETNSA_FD, f),
    };
    let mut m = Vec::with_capacity(28);
    m.extend_from_slice(&28u32.to_ne_bytes());
    m.extend_from_slice(&RTM_GETNSID.to_ne_bytes());
    m.extend_from_slice(&NLM_F_REQUEST.to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    // rtgenmsg: address family 0, i.e. none in particular; then padding
    m.extend_from_slice(&[0, 0, 0, 0]);
    m.extend_from_slice(&8u16.to_ne_bytes());
    m.extend_from_slice(&attr.to_ne_bytes());
    m.extend_from_slice(&value.to_ne_bytes());
    m
}

/// Parses the answer: `Ok(Some(id))`, `Ok(None)` for "not assigned", or the error the
/// kernel reported.
pub fn parse_reply(buf: &[u8]) -> Result<Option<i32>, Errno> {
    let u16_at = |o: usize| buf.get(o..o + 2).map(|b| u16::from_ne_bytes([b[0], b[1]]));
    let i32_at = |o: usize| buf.get(o..o + 4).map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]));
    let len = i32_at(0).ok_or(Errno::EBADMSG)? as usize;
    let kind = u16_at(4).ok_or(Errno::EBADMSG)?;
    if kind == NLMSG_ERROR {
        let e = i32_at(16).ok_or(Errno::EBADMSG)?;
        return Err(Errno::from_raw(-e));
    }
    if kind != RTM_NEWNSID {
        return Err(Errno::EBADMSG);
    }
    let end = len.min(buf.len());
    let mut off = 20;
    while off + 4 <= end {
        let alen = u16_at(off).ok_or(Errno::EBADMSG)? as usize;
        let atype = u16_at(off + 2).ok_or(Errno::EBADMSG)? & 0x3fff;
        if alen < 4 {
            break;
        }
        if atype == NETNSA_NSID {
            let id = i32_at(off + 4).ok_or(Errno::EBADMSG)?;
            return Ok((id != NOT_ASSIGNED).then_some(id));
        }
        off += (alen + 3) & !3;
    }
    Err(Errno::ENODATA)
}

/// Asks the kernel over `sock` (a NETLINK_ROUTE socket).
pub fn get_nsid(sock: BorrowedFd<'_>, target: Target) -> Result<Option<i32>, Errno> {
    let msg = request(target, 1);
    sendto(sock.as_raw_fd(), &msg, &NetlinkAddr::new(0, 0), MsgFlags::empty())?;
    let mut buf = [0u8; 1024];
    let n = recv(sock.as_raw_fd(), &mut buf, MsgFlags::empty())?;
    parse_reply(&buf[..n])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(kind: u16, attrs: &[(u16, i32)]) -> Vec<u8> {
        let len = 20 + 8 * attrs.len();
        let mut m = Vec::new();
        m.extend_from_slice(&(len as u32).to_ne_bytes());
        m.extend_from_slice(&kind.to_ne_bytes());
        m.extend_from_slice(&[0; 10]);
        m.extend_from_slice(&[0; 4]);
        for (t, v) in attrs {
            m.extend_from_slice(&8u16.to_ne_bytes());
            m.extend_from_slice(&t.to_ne_bytes());
            m.extend_from_slice(&v.to_ne_bytes());
        }
        m
    }

    #[test]
    fn request_layout() {
        let m = request(Target::Pid(42), 7);
        assert_eq!(m.len(), 28);
        assert_eq!(u16::from_ne_bytes([m[4], m[5]]), RTM_GETNSID);
        assert_eq!(u16::from_ne_bytes([m[22], m[23]]), NETNSA_PID);
        assert_eq!(u32::from_ne_bytes([m[24], m[25], m[26], m[27]]), 42);
        assert_eq!(u16::from_ne_bytes([request(Target::Fd(3), 1)[22], 0]), NETNSA_FD);
    }

    #[test]
    fn replies() {
        assert_eq!(parse_reply(&reply(RTM_NEWNSID, &[(NETNSA_NSID, 5)])), Ok(Some(5)));
        assert_eq!(parse_reply(&reply(RTM_NEWNSID, &[(9, 1), (NETNSA_NSID, -1)])), Ok(None));
        let mut err = reply(NLMSG_ERROR, &[]);
        err[16..20].copy_from_slice(&(-libc::ESRCH).to_ne_bytes());
        assert_eq!(parse_reply(&err), Err(Errno::ESRCH));
        assert_eq!(parse_reply(&[1, 2]), Err(Errno::EBADMSG));
        assert_eq!(parse_reply(&reply(RTM_NEWNSID, &[])), Err(Errno::ENODATA));
    }

    #[test]
    fn own_namespace_over_the_wire() {
        let s = open().unwrap();
        let me = std::process::id();
        // our own namespace has no peer id for itself
        assert_eq!(get_nsid(std::os::fd::AsFd::as_fd(&s), Target::Pid(me)), Ok(None));
    }
}
