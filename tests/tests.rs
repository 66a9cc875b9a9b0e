//! The integration tests, one test binary (as ripgrep has it): each file of tests/ is a
//! module of it, and its tests are named `<module>::<test>` (`unshare::environment`).
//! They run the real binaries (`env!("CARGO_BIN_EXE_rs-*")`); the helpers they share
//! are in `common/`, by subject.

mod common;

mod completions;
mod containers;
mod deb;
mod hints;
mod install;
mod lsns;
mod lsns_container;
mod lsns_fds;
mod lsns_fuse;
mod lsns_hidden;
mod lsns_input;
mod lsns_layout;
mod lsns_trees;
mod makefile;
mod nsenter;
mod options;
mod setuid;
mod signals;
mod unshare;
