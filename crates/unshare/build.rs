//! The option table and `--help` come from the clap definition in crates/clidef.
fn main() {
    clidef::write_for_build(clidef::Tool::Unshare);
}
