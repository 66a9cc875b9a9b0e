fn main() {
    let code = unshare::main_with_args(std::env::args_os().collect());
    std::process::exit(code);
}
