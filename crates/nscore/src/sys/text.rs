//! What decides how text is printed: glibc's words for an errno, whether the locale is
//! UTF-8, and the terminal's width.

use std::ffi::CStr;
use std::os::fd::{AsRawFd, BorrowedFd};

/// glibc's text for an errno, by `strerror_r(3)` (nix has its own table, whose words
/// differ from glibc's in places, e.g. ERANGE; util-linux prints glibc's).
///
/// # Errors
/// None reported: an errno glibc does not know gives `Unknown error N`.
pub fn strerror(errno: i32) -> String {
    let mut buf = [0 as libc::c_char; 256];
    // SAFETY: the buffer is valid for its length; the XSI strerror_r NUL-terminates.
    let rc = unsafe { libc::strerror_r(errno, buf.as_mut_ptr(), buf.len()) };
    if rc != 0 {
        return format!("Unknown error {errno}");
    }
    // SAFETY: NUL-terminated by strerror_r.
    unsafe { CStr::from_ptr(buf.as_ptr()) }.to_string_lossy().into_owned()
}

/// Whether the user's locale (`setlocale(3)` with `LC_ALL` and `""`, then
/// `nl_langinfo(3)`'s `CODESET`) uses UTF-8, which decides between Unicode and ASCII
/// tree glyphs.
///
/// # Errors
/// None reported: a locale that cannot be set counts as not UTF-8.
///
/// # Safety
/// The process must be single-threaded: `setlocale` changes state that every
/// locale-dependent call of another thread reads unlocked.
/// [`SingleThreaded`](super::SingleThreaded) has the safe way in.
pub unsafe fn locale_is_utf8() -> bool {
    // SAFETY: single-threaded (the caller's promise); the empty string asks for the
    // environment's locale; nl_langinfo returns a static NUL-terminated string.
    unsafe {
        if libc::setlocale(libc::LC_ALL, c"".as_ptr()).is_null() {
            return false;
        }
        let cs = libc::nl_langinfo(libc::CODESET);
        !cs.is_null() && CStr::from_ptr(cs).to_bytes().eq_ignore_ascii_case(b"UTF-8")
    }
}

/// The width of the terminal on `fd` (`TIOCGWINSZ`, `ioctl_tty(2)`), or `None` if it is
/// not a terminal. `Some(0)` when the terminal has no size set (some pseudo-terminals).
///
/// # Errors
/// None reported: any failure means "not a terminal".
pub fn terminal_width(fd: BorrowedFd<'_>) -> Option<usize> {
    let mut ws: libc::winsize = libc::winsize { ws_row: 0, ws_col: 0, ws_xpixel: 0, ws_ypixel: 0 };
    // SAFETY: TIOCGWINSZ writes one winsize through the pointer.
    let rc = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCGWINSZ, &mut ws as *mut libc::winsize) };
    (rc == 0).then_some(usize::from(ws.ws_col))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strerror_is_glibc() {
        assert_eq!(strerror(libc::EPERM), "Operation not permitted");
        assert_eq!(strerror(libc::ERANGE), "Numerical result out of range");
    }
}
