//! rs-lsns: list namespaces, as util-linux's lsns(8) does, with one pass over /proc.
//!
//! Layers: [`cli`] turns argv into a [`cli::Plan`]; [`scan`] builds a model of the
//! namespaces; [`assemble`] picks and nests the lines; [`output`] renders them (pure).
#![forbid(unsafe_code)]

pub mod assemble;
pub mod cli;
pub mod columns;
pub mod container;
pub mod filter;
pub mod model;
pub mod netlink;
pub mod output;
pub mod scan;

use std::ffi::OsString;
use std::io::Write;
use std::os::fd::AsFd;
use std::sync::OnceLock;

use nscore::cli::{print_stdout, Invocation};
use nscore::Error;

use crate::cli::{Action, Format, Plan};
use crate::columns::Column;
use crate::filter::{Filter, FilterError};
use crate::output::{Col, JsonStyle, Mode, Row, Style, Table};
use crate::scan::{Scan, ScanOpts};

static NAME: OnceLock<String> = OnceLock::new();

/// The name messages start with (basename of argv\[0\]).
pub(crate) fn prog_name() -> &'static str {
    NAME.get().map(String::as_str).unwrap_or("rs-lsns")
}

pub fn main_with_args(args: Vec<OsString>) -> i32 {
    let (inv, args) = Invocation::new(args, "rs-lsns");
    let _ = NAME.set(inv.name.clone());
    if let Err(e) = nscore::setid::refuse_elevated() {
        return inv.finish(Err(e));
    }
    // util-linux dies quietly by SIGPIPE when the reader goes away; Rust ignores it.
    let _ = nscore::sys::default_action(libc::SIGPIPE);
    let result = run(&inv, &args);
    inv.finish(result)
}

fn run(inv: &Invocation, args: &[OsString]) -> Result<i32, Error> {
    match cli::parse(args)? {
        Action::Help => print_stdout(&cli::help(&inv.name)),
        Action::Version => print_stdout(&inv.version_line()),
        Action::ListColumns { format } => write_out(&column_list(), &style(format, false)),
        Action::List(plan) => list(inv, &plan),
    }
}

fn list(inv: &Invocation, plan: &Plan) -> Result<i32, Error> {
    let filter = match &plan.filter {
        None => None,
        Some(expr) => {
            let expr = std::os::unix::ffi::OsStrExt::as_bytes(expr.as_os_str());
            Some(Filter::in_locale(expr, locale_is_utf8()).map_err(|e| match e {
                FilterError::Parse { expr, message } => Error::msg(format!("failed to parse \"{expr}\": {message}")),
                FilterError::UnknownColumn(name) => {
                    let _ = writeln!(std::io::stderr(), "{}: unknown column: {name}", inv.name);
                    Error::msg("failed to initialize filter")
                }
            })?)
        }
    };
    let opts = ScanOpts { types: plan.types, task: plan.task, target: plan.namespace };
    let mut scan = Scan::run(&opts)?;
    let table = assemble::build(plan, &mut scan, filter.as_ref())
        .map_err(|ino| Error::msg(format!("not found namespace: {ino}")))?;
    let mut st = style(plan.format, plan.headings);
    if plan.format == Format::Table {
        let columns = std::env::var_os("COLUMNS");
        st.term_width = nscore::sys::terminal_width(std::io::stdout().as_fd())
            .map(|w| output::terminal_columns(w, columns.as_deref().map(std::os::unix::ffi::OsStrExt::as_bytes)));
    }
    write_out(&table, &st)?;
    Ok(if scan.unsupported { 2 } else { 0 })
}

fn style(format: Format, headings: bool) -> Style {
    let mode = match format {
        Format::Table => Mode::Table,
        Format::Raw => Mode::Raw,
        Format::Json => Mode::Json(match std::env::var("LIBSMARTCOLS_JSON").as_deref() {
            Ok("compact") => JsonStyle::Compact,
            Ok("lines") => JsonStyle::Lines,
            _ => JsonStyle::Pretty,
        }),
    };
    let utf8 = locale_is_utf8();
    Style { mode, headings, utf8, term_width: None }
}

/// Whether the locale's charset is UTF-8 (tree glyphs, `=~` classes). Asked through the
/// token rs-lsns's main made; without one (a test harness's threads) plain ASCII.
fn locale_is_utf8() -> bool {
    nscore::sys::SingleThreaded::claimed().is_some_and(|single| single.locale_is_utf8())
}

/// `-H`: the columns with their types and our descriptions, as a three-column table
/// (printed without headings; in JSON the first key is `holder`, as in util-linux).
fn column_list() -> Table {
    let col = |name, right| Col::plain(name, columns::Kind::String, right);
    let rows = Column::KNOWN
        .iter()
        .map(|c| {
            let ty: &[u8] = if c.kind() == columns::Kind::Number { b"<integer>" } else { b"<string>" };
            Row {
                cells: vec![c.name().as_bytes().to_vec(), ty.to_vec(), c.description().as_bytes().to_vec()],
                parent: None,
            }
        })
        .collect();
    Table { name: "lsns-columns", cols: vec![col("HOLDER", true), col("TYPE", false), col("DESCRIPTION", false)], rows }
}

/// Renders to stdout; a failure is util-linux's `write error`.
fn write_out(table: &Table, style: &Style) -> Result<i32, Error> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    output::render_to(table, style, &mut out).and_then(|()| out.flush()).map_err(|e| Error::io("write error", &e))?;
    Ok(0)
}
