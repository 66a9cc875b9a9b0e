//! The `-Q` filter language of libsmartcols (scols-filter(5)), written from its manual
//! and observed behaviour.

mod ere;
mod eval;
mod lexer;
mod parser;

pub use eval::Filter;

/// Why a filter could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterError {
    /// `failed to parse "<expr>": <message>`.
    Parse { expr: String, message: String },
    /// `unknown column: <name>`, then `failed to initialize filter`.
    UnknownColumn(String),
}

/// util-linux's words.
impl From<FilterError> for nscore::Error {
    fn from(e: FilterError) -> nscore::Error {
        match e {
            FilterError::Parse { expr, message } => {
                nscore::Error::msg(format!("failed to parse \"{expr}\": {message}"))
            }
            FilterError::UnknownColumn(name) => {
                nscore::Error::Lines(vec![format!("unknown column: {name}"), "failed to initialize filter".into()])
            }
        }
    }
}
