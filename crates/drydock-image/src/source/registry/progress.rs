//! A one-line download progress report on stderr, redrawn at most ten times a second.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// Counts bytes passing through and redraws `label done/total` with `\r`.
pub(crate) struct Progress<R> {
    inner: R,
    label: String,
    total: u64,
    done: u64,
    last: Option<Instant>,
    finished: bool,
}

impl<R> Progress<R> {
    pub(crate) fn new(inner: R, label: String, total: u64) -> Self {
        Progress {
            inner,
            label,
            total,
            done: 0,
            last: None,
            finished: false,
        }
    }

    fn draw(&self, end: bool) {
        let line = format!(
            "\r{} {}/{}{}",
            self.label,
            human(self.done),
            human(self.total),
            if end { "\n" } else { "" }
        );
        // Progress is best effort: a closed stderr must not fail the pull.
        let _ = io::stderr().lock().write_all(line.as_bytes());
    }
}

impl<R: Read> Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.done += n as u64;
        if n == 0 && !buf.is_empty() {
            if !self.finished {
                self.finished = true;
                self.draw(true);
            }
        } else if self.last.is_none_or(|t| t.elapsed() >= REDRAW_EVERY) {
            self.last = Some(Instant::now());
            self.draw(false);
        }
        Ok(n)
    }
}

/// `12.3 MiB`, `512 B`.
fn human(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut v = n as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit < UNITS.len() - 1 {
        v /= 1024.0;
        unit += 1;
    }
    format!("{v:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_bytes_through() {
        let mut p = Progress::new(&b"abcdef"[..], "blob".into(), 6);
        let mut out = Vec::new();
        p.read_to_end(&mut out).unwrap();
        assert_eq!(out, b"abcdef");
        assert_eq!(p.done, 6);
        assert!(p.finished);
        assert_eq!(human(512), "512 B");
        assert_eq!(human(3 << 20), "3.0 MiB");
    }
}
