//! `ferroflow-supervise EXIT_FILE PROGRAM [ARGS...]`: see the library docs.

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(exit_file) = args.next().map(PathBuf::from) else {
        eprintln!("usage: ferroflow-supervise EXIT_FILE PROGRAM [ARGS...]");
        std::process::exit(2);
    };
    let argv: Vec<String> = args.map(|a| a.to_string_lossy().into_owned()).collect();
    std::process::exit(supervisor::supervise(&exit_file, &argv));
}
