//! rs-lsns: list namespaces, as util-linux's lsns(8) does, with one pass over /proc.
//!
//! Layers: [`options`] turns argv into a [`options::Plan`]; [`scan`] builds a model of the
//! namespaces; [`assemble`] picks and nests the lines; [`output`] renders them (pure).
#![forbid(unsafe_code)]

pub mod assemble;
pub mod columns;
pub mod filter;
pub mod model;
pub mod netlink;
pub mod options;
pub mod output;
pub mod scan;
pub mod sockets;

use std::cell::OnceCell;
use std::ffi::OsString;
use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::ffi::OsStrExt;

use nscore::invocation::{print_stdout, Invocation};
use nscore::sys::SingleThreaded;
use nscore::Error;

use crate::columns::Column;
use crate::options::{Action, Format, Plan};
use crate::output::{Col, JsonStyle, Mode, Style, Table};
use crate::scan::{Scan, ScanOpts};

/// The whole tool: argv in, exit status out (the binary's `main` only adds `exit`).
/// `single` is `main`'s promise that no other thread runs, which `setlocale` needs.
pub fn main_with_args(args: Vec<OsString>, single: SingleThreaded) -> i32 {
    let (inv, args) = Invocation::new(args, "rs-lsns");
    let locale = Locale::new(single);
    let result = nscore::setid::refuse_elevated().and_then(|()| match options::parse(&args, &locale)? {
        Action::Help => print_stdout(&options::help(&inv.name)),
        Action::Version => print_stdout(&inv.version_line()),
        Action::ListColumns { format } => write_out(&column_list(), &style(format, false, &locale)),
        Action::List(plan) => {
            let listing = list(&plan, &locale)?;
            listing.warnings.iter().for_each(|w| inv.warn(w));
            write_out(&listing.table, &listing.style).map(|_| listing.status)
        }
    });
    inv.finish(result)
}

/// Whether the locale's charset is UTF-8 (tree glyphs, `=~` matching characters rather
/// than bytes). `setlocale(3)` is asked once, the first time it matters (reading `-Q`, or
/// laying out the output), so messages before that point stay in the C locale as they
/// always were.
pub struct Locale {
    single: Option<SingleThreaded>,
    utf8: OnceCell<bool>,
}

impl Locale {
    /// The user's locale, asked through `main`'s token.
    pub fn new(single: SingleThreaded) -> Locale {
        Locale { single: Some(single), utf8: OnceCell::new() }
    }

    /// Plain ASCII, without asking (unit tests, whose harness runs threads).
    pub fn ascii() -> Locale {
        Locale { single: None, utf8: OnceCell::new() }
    }

    pub fn utf8(&self) -> bool {
        *self.utf8.get_or_init(|| self.single.is_some_and(SingleThreaded::locale_is_utf8))
    }
}

/// What a listing prints: the warnings (on stderr, before the table, as util-linux
/// prints them while it builds its table), the table, and the exit status.
struct Listing {
    warnings: Vec<Error>,
    table: Table,
    style: Style,
    status: i32,
}

fn list(plan: &Plan, locale: &Locale) -> Result<Listing, Error> {
    // an unknown column in -Q is reported now, after every other option error
    let filter = match &plan.filter {
        Some(Err(e)) => return Err(e.clone().into()),
        Some(Ok(f)) => Some(f),
        None => None,
    };
    let prefetch = assemble::prefetch(plan);
    let opts = ScanOpts {
        types: plan.types,
        task: plan.task,
        target: plan.namespace,
        prefetch,
        for_children: plan.for_children,
    };
    let mut scan = Scan::run(&opts, scan::Os::new(locale.single))?;
    let table = assemble::build(plan, &mut scan, filter)?;
    let mut style = style(plan.format, plan.headings, locale);
    if plan.format == Format::Table {
        let columns = std::env::var_os("COLUMNS");
        style.term_width = nscore::sys::terminal_width(std::io::stdout().as_fd())
            .map(|w| output::terminal_columns(w, columns.as_deref().map(OsStrExt::as_bytes)));
    }
    let status = if scan.unsupported.is_some() { 2 } else { 0 };
    Ok(Listing { warnings: scan.warnings(), table, style, status })
}

fn style(format: Format, headings: bool, locale: &Locale) -> Style {
    let mode = match format {
        Format::Table => Mode::Table,
        Format::Raw => Mode::Raw,
        Format::Json => Mode::Json(match std::env::var("LIBSMARTCOLS_JSON").as_deref() {
            Ok("compact") => JsonStyle::Compact,
            Ok("lines") => JsonStyle::Lines,
            _ => JsonStyle::Pretty,
        }),
    };
    Style { mode, headings, utf8: locale.utf8(), term_width: None }
}

/// `-H`: the columns with their types and our descriptions, as a three-column table
/// (printed without headings; in JSON the first key is `holder`, as in util-linux).
fn column_list() -> Table {
    let col = |name, right| Col::plain(name, columns::Kind::String, right);
    let mut t = Table::new("lsns-columns", vec![col("HOLDER", true), col("TYPE", false), col("DESCRIPTION", false)]);
    for c in Column::KNOWN {
        let ty = if c.kind() == columns::Kind::Number { "<integer>" } else { "<string>" };
        t.push_row([c.name(), ty, c.description()], None);
    }
    t
}

/// Renders to stdout; a failure is util-linux's `write error`.
fn write_out(table: &Table, style: &Style) -> Result<i32, Error> {
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let written = output::render_to(table, style, &mut out).and_then(|()| out.flush());
    nscore::invocation::stdout_result(written)
}
