//! Reading step logs.
//!
//! The local backend writes a step's stdout and stderr straight to files as
//! the process writes them, so logs outlive the process and survive a
//! restart. Readers get them as lines: each line bounded in length (with a
//! marker saying how much was cut) and, for display, stripped of terminal
//! control sequences. The raw bytes stay on disk untouched.

use std::{
    io::{BufRead, BufReader, Read, Seek, SeekFrom},
    path::Path,
};

/// Longest line handed to a reader, in bytes; the rest is cut.
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// Most bytes one read returns, so a huge log is paged, never loaded whole.
pub const MAX_READ_BYTES: u64 = 1024 * 1024;

/// Lines read from a log, and where to continue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Complete lines, cleaned for display.
    pub lines: Vec<String>,
    /// Byte offset after the last complete line: pass it to the next read.
    pub next_offset: u64,
}

/// Reads complete lines from `offset` on (a partial last line waits for
/// its newline, so a live tail never shows half a line twice).
pub fn read(path: &Path, offset: u64) -> std::io::Result<Chunk> {
    let mut file = std::fs::File::open(path)?;
    file.seek(SeekFrom::Start(offset))?;
    let mut reader = BufReader::new(file.take(MAX_READ_BYTES));
    let mut lines = Vec::new();
    let mut next_offset = offset;
    let mut raw = Vec::new();
    loop {
        raw.clear();
        let read = reader.read_until(b'\n', &mut raw)?;
        if read == 0 || raw.last() != Some(&b'\n') {
            break;
        }
        next_offset += read as u64;
        raw.pop();
        lines.push(clean_line(&raw));
    }
    // A single line longer than a whole read: hand it out cut rather than stall.
    if lines.is_empty() && raw.len() as u64 >= MAX_READ_BYTES {
        next_offset += raw.len() as u64;
        lines.push(clean_line(&raw));
    }
    Ok(Chunk { lines, next_offset })
}

/// The complete lines in the last `max_bytes` of a log (the first, cut
/// line dropped); `None` when there is no log yet.
pub fn read_tail(path: &Path, max_bytes: u64) -> std::io::Result<Option<Vec<String>>> {
    let len = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let start = len.saturating_sub(max_bytes.min(MAX_READ_BYTES));
    let mut chunk = read(path, start)?;
    if start > 0 && !chunk.lines.is_empty() {
        chunk.lines.remove(0);
    }
    Ok(Some(chunk.lines))
}

/// The last line a failed process wrote to `stderr` (a Python traceback's
/// exception line), without control characters and at most 300
/// characters: the reason a failed step shows.
pub fn last_error_line(stderr: &Path) -> Option<String> {
    let lines = read_tail(stderr, 8 * 1024).ok()??;
    let line = lines.iter().rev().map(|l| l.trim()).find(|l| !l.is_empty())?;
    let clean: String = line.chars().filter(|c| !c.is_control()).collect();
    Some(match clean.char_indices().nth(300) {
        Some((at, _)) => format!("{}\u{2026}", &clean[..at]),
        None => clean,
    })
}

/// How often a running process's log files are checked for growth.
const GROWTH_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_millis(500);

/// Waits for `running`, calling `grew` when the `stdout`/`stderr` files in
/// `log_dir` got bigger. The process writes its log files itself, so new
/// output is learned of by their sizes: two `stat`s per check.
pub async fn noting_growth<T>(log_dir: &Path, running: impl std::future::Future<Output = T>, grew: impl Fn()) -> T {
    let size = |name: &str| {
        let path = log_dir.join(name);
        async move { tokio::fs::metadata(path).await.map_or(0, |m| m.len()) }
    };
    tokio::pin!(running);
    let mut check = tokio::time::interval(GROWTH_CHECK_INTERVAL);
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut sizes = (0, 0);
    loop {
        tokio::select! {
            exit = &mut running => return exit,
            _ = check.tick() => {
                let now = (size("stdout").await, size("stderr").await);
                if now != sizes {
                    sizes = now;
                    grew();
                }
            }
        }
    }
}

/// One line as shown: terminal control sequences removed, invalid UTF-8
/// replaced, cut at [`MAX_LINE_BYTES`] with a marker.
pub fn clean_line(raw: &[u8]) -> String {
    let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
    let stripped = strip_ansi_escapes::strip(raw);
    let text = String::from_utf8_lossy(&stripped);
    let text: String = text.chars().filter(|c| !c.is_control() || *c == '\t').collect();
    if text.len() <= MAX_LINE_BYTES {
        return text;
    }
    let mut cut = MAX_LINE_BYTES;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… [{} more bytes]", &text[..cut], text.len() - cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_error_line_is_the_exception() {
        let dir = tempfile::tempdir().unwrap();
        let stderr = dir.path().join("stderr");
        std::fs::write(
            &stderr,
            "Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: learning rate 3 is too large\n\n",
        )
        .unwrap();
        assert_eq!(last_error_line(&stderr).as_deref(), Some("ValueError: learning rate 3 is too large"));
        // Terminal colours are stripped as everywhere logs are read.
        std::fs::write(&stderr, format!("\x1b[31m{}\n", "x".repeat(400))).unwrap();
        let long = last_error_line(&stderr).unwrap();
        assert!(long.starts_with("xxx") && long.ends_with('\u{2026}') && long.chars().count() == 301, "{long}");
        assert_eq!(last_error_line(&dir.path().join("none")), None);
    }

    #[test]
    fn a_tail_holds_only_whole_lines_from_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stderr");
        assert_eq!(read_tail(&path, 10).unwrap(), None);
        std::fs::write(&path, "first line\nsecond\nthird\n").unwrap();
        assert_eq!(read_tail(&path, 13).unwrap().unwrap(), vec!["third"]);
        assert_eq!(read_tail(&path, 1000).unwrap().unwrap(), vec!["first line", "second", "third"]);
    }

    #[test]
    fn control_sequences_are_stripped_and_long_lines_cut() {
        assert_eq!(clean_line(b"\x1b[31merror\x1b[0m: \x07boom\r"), "error: boom");
        assert_eq!(clean_line(b"\x1b]0;title\x07text"), "text");
        let long = vec![b'x'; MAX_LINE_BYTES + 10];
        let shown = clean_line(&long);
        assert!(shown.ends_with("… [10 more bytes]"), "{}", &shown[shown.len() - 30..]);
        assert_eq!(clean_line(&[0xff, b'a']), "\u{fffd}a");
    }

    #[test]
    fn reads_complete_lines_and_resumes_from_the_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stdout");
        std::fs::write(&path, "one\ntwo\nthr").unwrap();
        let first = read(&path, 0).unwrap();
        assert_eq!(first.lines, ["one", "two"]);
        assert_eq!(first.next_offset, 8);
        // The writer finishes the line later: a follower picks it up once.
        std::fs::write(&path, "one\ntwo\nthree\n").unwrap();
        let second = read(&path, first.next_offset).unwrap();
        assert_eq!(second.lines, ["three"]);
        assert_eq!(read(&path, second.next_offset).unwrap().lines, Vec::<String>::new());
    }
}
