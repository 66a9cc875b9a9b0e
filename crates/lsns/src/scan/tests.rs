//! The scan against a scripted /proc ([`super::fake::Fake`]): which calls each process
//! costs, and what the model holds after.

use nscore::sys::FileId;

use super::discover::{classify, FdRef};

#[test]
fn fd_classes() {
    let file = |dev, mode| FileId { dev, ino: 9, mode };
    let sock = file(8, libc::S_IFSOCK | 0o777);
    assert_eq!(classify(sock, Some(4), 1, 3), Some(FdRef::Socket { ino: 9, pid: 1, fd: 3 }));
    assert_eq!(classify(file(4, libc::S_IFREG | 0o444), Some(4), 1, 3), Some(FdRef::Ns { ino: 9, pid: 1, fd: 3 }));
    // pipes, files on other devices, and anything when nsfs is unknown
    assert_eq!(classify(file(12, libc::S_IFIFO | 0o600), Some(4), 1, 3), None);
    assert_eq!(classify(file(4, libc::S_IFREG), None, 1, 3), None);
}
