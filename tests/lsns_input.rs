//! rs-lsns against hostile or odd input: empty column names, PIDs out of range, filter
//! expressions nested thousands deep, regular expressions that explode in a backtracking
//! engine, and command lines of 100,000 options. Nothing may abort, hang or eat the
//! machine, and every refusal is worded as util-linux words it.

mod common;

use std::process::Command;

use common::{as_nobody, code, require_root, run_timeout};

const BIN: &str = env!("CARGO_BIN_EXE_rs-lsns");

/// (stdout, stderr, status) of `rs-lsns args`, as root or as uid 65534, bounded in time.
fn lsns_as(nobody: bool, args: &[&str]) -> (String, String, i32) {
    let mut cmd = if nobody { as_nobody(BIN) } else { Command::new(BIN) };
    let o = run_timeout(cmd.args(args).env("LC_ALL", "C"), 60);
    (String::from_utf8_lossy(&o.stdout).into_owned(), String::from_utf8_lossy(&o.stderr).into_owned(), code(&o))
}

/// Runs `args` as root and, where the machine allows, as uid 65534, expecting no output,
/// `err` on stderr and status 1 both times.
fn refused(args: &[&str], err: &str) {
    let users: &[bool] = if require_root("refused") { &[false, true] } else { &[false] };
    for &nobody in users {
        assert_eq!(lsns_as(nobody, args), (String::new(), err.to_string(), 1), "{args:?} nobody={nobody}");
    }
}

#[test]
fn empty_column_names_are_unknown() {
    for list in [",", "NS,", ",NS", "NS,,TYPE", "+,", "+NS,"] {
        for extra in [&[][..], &["-r"], &["-J"], &["-n", "-t", "net"]] {
            let mut args = vec!["-o", list];
            args.extend_from_slice(extra);
            refused(&args, "rs-lsns: unknown column: \n");
        }
    }
    refused(&["-o", "NS,BOGUS,"], "rs-lsns: unknown column: BOGUS\n");
    // an empty list fails without a word, as in util-linux
    refused(&["-o", ""], "");
    refused(&["-o", "+"], "");
}

#[test]
fn a_table_without_columns_renders() {
    use lsns::output::{render, JsonStyle, Mode, Row, Style, Table};
    let t = Table { name: "namespaces", cols: Vec::new(), rows: vec![Row { cells: Vec::new(), parent: None }] };
    for mode in [Mode::Table, Mode::Raw, Mode::Json(JsonStyle::Pretty)] {
        let _ = render(&t, &Style::new(mode));
        let _ = render(&t, &Style { term_width: Some(0), ..Style::new(mode) });
    }
}

#[test]
fn pid_arguments_in_util_linux_words() {
    for bad in ["", "abc", "-", "5x"] {
        refused(&["-p", bad], &format!("rs-lsns: invalid PID argument: '{bad}'\n"));
    }
    for big in ["0", "-1", "-0", "2147483648", "99999999999"] {
        refused(&["-p", big], &format!("rs-lsns: invalid PID argument: '{big}': Numerical result out of range\n"));
    }
}
