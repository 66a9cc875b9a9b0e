//! Shared helpers for the integration tests, by subject: privilege checks that skip
//! visibly (and never skip in CI), running programs as uid 65534, commands with deadlines
//! and bounded waits, the processes a test starts, namespaces, scratch files and mounts,
//! and rs-lsns's tables.

mod files;
mod lsns;
mod ns;
mod procs;
mod run;
mod skip;
mod users;

pub use files::*;
pub use lsns::*;
pub use ns::*;
pub use procs::*;
pub use run::*;
pub use skip::*;
pub use users::*;
