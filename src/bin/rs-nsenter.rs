fn main() {
    let code = nsenter::main_with_args(std::env::args_os().collect());
    std::process::exit(code);
}
