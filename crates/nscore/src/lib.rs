//! nscore: the namespace primitives shared by rs-unshare, rs-nsenter and rs-lsns.
//!
//! The pure pieces (the namespace-type table, parsers for ids, signals, id maps and
//! `/proc` files, the getopt work-alike) are usable by any Rust program; the system
//! calls they need are wrapped in [`sys`], the crate's only `unsafe` code (the compiler
//! holds the rest of the crate to that). The exec tools reach the kernel through the
//! [`seam::Syscall`] seam, which unit tests replace with a recording fake
//! ([`seam::fake`]).
//!
//! ```
//! use nscore::idmap::{map_text, parse_map_spec, MapSpec};
//! use nscore::procfs::ns_inode_of;
//! use nscore::{NsSet, NsType};
//!
//! // This process's namespaces, as `lsns -p $$` lists them (your own need no privilege).
//! for t in NsType::ALL {
//!     if let Ok(ino) = ns_inode_of("self", t) {
//!         println!("{ino} {t}");
//!     }
//! }
//!
//! // A set of types, as `unshare --net --user` collects them: it lists user first.
//! let set: NsSet = [NsType::Net, NsType::User].into_iter().collect();
//! assert_eq!(set.iter().collect::<Vec<_>>(), [NsType::User, NsType::Net]);
//!
//! // The uid_map line that `--map-users=0:100000:65536` writes.
//! let Ok(MapSpec::Range(range)) = parse_map_spec("0:100000:65536") else { panic!() };
//! assert_eq!(map_text(&[range]), "0 100000 65536\n");
//! ```
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod caps;
pub mod container;
pub mod creds;
pub mod diagnose;
pub mod environ;
pub mod error;
pub mod exec;
pub mod getopt;
pub mod idmap;
pub mod ids;
pub mod invocation;
pub mod nstype;
pub mod persist;
pub mod process;
pub mod procfs;
pub mod seam;
pub mod setid;
pub mod signal;
#[allow(unsafe_code)]
pub mod sys;

pub use error::{Error, Result};
pub use nstype::{NsSet, NsType};

/// The README's Rust examples ("Using nscore from Rust"), compiled and run as doctests
/// so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeExamples;
