//! nscore: the namespace primitives shared by rs-unshare, rs-nsenter and rs-lsns.
//!
//! The pure pieces (the namespace-type table, parsers for ids, signals, id maps and
//! `/proc` files, the getopt work-alike) are usable by any Rust program; the system
//! calls they need are wrapped in [`sys`], the crate's only `unsafe` code (the compiler
//! holds the rest of the crate to that). The exec tools reach the kernel through the
//! [`syscall::Syscall`] seam, which unit tests replace with a recording fake.
#![deny(unsafe_code)]

pub mod caps;
pub mod cli;
pub mod creds;
pub mod environ;
pub mod error;
pub mod exec;
pub mod getopt;
pub mod idmap;
pub mod ids;
pub mod nstype;
pub mod persist;
pub mod process;
pub mod procfs;
pub mod setid;
pub mod signal;
#[allow(unsafe_code)]
pub mod sys;
pub mod syscall;

pub use error::{Error, Result};
pub use nstype::{NsSet, NsType};
