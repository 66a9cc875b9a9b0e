//! `nsutils-completions DIR`: writes the shell completions of the three tools, for our
//! names and for util-linux's, into DIR (`make completions` keeps `completions/` so).
//! Layout: `DIR/<shell>/<file>`, the file named as the shell's completion directory
//! wants it (`rs-lsns`, `_rs-lsns`, `rs-lsns.fish`).

use std::path::Path;

use clidef::complete::{script, SHELLS};
use clidef::Tool;

fn main() {
    let Some(dir) = std::env::args_os().nth(1) else {
        eprintln!("usage: nsutils-completions DIR");
        std::process::exit(2);
    };
    for (path, text) in files() {
        let path = Path::new(&dir).join(path);
        let parent = path.parent().expect("a file in a directory");
        if let Err(e) = std::fs::create_dir_all(parent).and_then(|()| std::fs::write(&path, text)) {
            eprintln!("nsutils-completions: {}: {e}", path.display());
            std::process::exit(1);
        }
    }
}

/// Every completion file: its path below the directory, and its text.
fn files() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for tool in Tool::ALL {
        for bin in [tool.bin(), tool.util_linux_name().to_string()] {
            for shell in SHELLS {
                out.push((clidef::complete::file_path(shell, &bin), script(tool, shell, &bin)));
            }
        }
    }
    out
}
