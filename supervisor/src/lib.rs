//! `ferroflow-supervise EXIT_FILE PROGRAM ARGS...`: runs one pipeline step
//! and writes how it ended to a file.
//!
//! The local backend wraps every step in it. It is a binary of its own,
//! using only the standard library, because it starts once per step: a
//! few hundred microseconds instead of the milliseconds the full
//! `ferroflow` binary takes to load. When the server that started a
//! step dies, the step lives on (it has its own process group); the exit
//! file is how a restarted server learns the step's status, since only a
//! parent can `wait` for a process.

use std::{os::unix::process::ExitStatusExt, path::Path, process::Command};

/// Runs `argv` with this process's stdio and environment; returns the code
/// to exit with (the step's own, or 128 + signal).
pub fn supervise(exit_file: &Path, argv: &[String]) -> i32 {
    let Some((program, args)) = argv.split_first() else {
        complain(format_args!("ferroflow-supervise: no command given"));
        return 2;
    };
    let (line, code) = match Command::new(program).args(args).status() {
        Ok(status) => match (status.code(), status.signal()) {
            (Some(code), _) => (format!("code {code}"), code),
            (None, Some(signal)) => (format!("signal {signal}"), 128 + signal),
            (None, None) => ("code 1".to_owned(), 1),
        },
        Err(e) => {
            complain(format_args!("cannot start {program:?}: {e}"));
            ("code 127".to_owned(), 127)
        }
    };
    // Written whole, then renamed: a reader never sees half a status.
    let partial = exit_file.with_extension("partial");
    if let Err(e) = std::fs::write(&partial, line).and_then(|()| std::fs::rename(&partial, exit_file)) {
        complain(format_args!("ferroflow-supervise: cannot write {}: {e}", exit_file.display()));
    }
    code
}

/// Tells stderr, if it can: with the disk full, `eprintln!` would panic
/// and turn the step's own exit status into 101.
fn complain(message: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let _unwritable = writeln!(std::io::stderr(), "{message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn records_exit_codes_and_signals() {
        let dir = std::env::temp_dir().join(format!("supervise-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let exit = dir.join("exit");
        assert_eq!(supervise(&exit, &argv(&["sh", "-c", "exit 7"])), 7);
        assert_eq!(std::fs::read_to_string(&exit).unwrap(), "code 7");
        assert_eq!(supervise(&exit, &argv(&["sh", "-c", "kill -TERM $$"])), 128 + 15);
        assert_eq!(std::fs::read_to_string(&exit).unwrap(), "signal 15");
        assert_eq!(supervise(&exit, &argv(&["/no/such/program"])), 127);
        assert_eq!(std::fs::read_to_string(&exit).unwrap(), "code 127");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
