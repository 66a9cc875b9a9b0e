//! The `-Q` filter language of libsmartcols (scols-filter(5)), written from its manual
//! and observed behaviour.

mod ere;
mod eval;
mod lexer;
mod parser;

pub use eval::Filter;

/// Why a filter could not be built; `lib.rs` prints these in util-linux's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// `failed to parse "<expr>": <message>`.
    Parse { expr: String, message: String },
    /// `unknown column: <name>`, then `failed to initialize filter`.
    UnknownColumn(String),
}
