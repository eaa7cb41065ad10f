//! Where lines go: diagnostics (tracing) to stderr, access lines to stdout, each buffered
//! per worker thread.
//!
//! Each worker thread serves its connections alone (see `server`), so it can also keep its
//! own buffers: lines are appended to a thread-local buffer and written out by the same
//! thread, whole, under the stream's lock, when the buffer passes `FLUSH_AT` or on the
//! worker's flush tick. No line crosses a thread, no request waits on another thread, and
//! no line is dropped. Threads that never opt in (the control thread, the embedded store,
//! one-shot commands) write straight through.

use std::cell::{Cell, RefCell};
use std::io::{self, Write};
use std::time::Duration;

use tracing_subscriber::fmt::MakeWriter;

/// How much a worker gathers before writing.
const FLUSH_AT: usize = 16 * 1024;
/// How long a line may wait in a quiet worker's buffer.
pub const FLUSH_EVERY: Duration = Duration::from_millis(200);

thread_local! {
    static BUFFERED: Cell<bool> = const { Cell::new(false) };
    static ERR_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static OUT_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The writer handed to `tracing_subscriber::fmt`.
#[derive(Clone, Copy, Default)]
pub struct StderrLog;

impl<'a> MakeWriter<'a> for StderrLog {
    type Writer = Sink;

    fn make_writer(&'a self) -> Sink {
        Sink
    }
}

pub struct Sink;

impl Write for Sink {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        if !BUFFERED.with(Cell::get) {
            return io::stderr().lock().write(line);
        }
        ERR_BUF.with(|b| {
            let mut b = b.borrow_mut();
            b.extend_from_slice(line);
            if b.len() >= FLUSH_AT {
                write_out(&mut b, &mut io::stderr().lock());
            }
        });
        Ok(line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Appends one stdout line, written by `write` straight into this thread's buffer (no
/// intermediate string). `write` must end the line with `\n`.
pub fn stdout_line(write: impl FnOnce(&mut Vec<u8>)) {
    if !BUFFERED.with(Cell::get) {
        let mut line = Vec::with_capacity(512);
        write(&mut line);
        let _ = io::stdout().lock().write_all(&line);
        return;
    }
    OUT_BUF.with(|b| {
        let mut b = b.borrow_mut();
        write(&mut b);
        if b.len() >= FLUSH_AT {
            write_out(&mut b, &mut io::stdout().lock());
        }
    });
}

/// From now on this thread's lines are buffered; it must call `flush_thread` regularly.
pub fn buffer_this_thread() {
    BUFFERED.with(|c| c.set(true));
}

/// Writes out this thread's buffered lines.
pub fn flush_thread() {
    ERR_BUF.with(|b| write_out(&mut b.borrow_mut(), &mut io::stderr().lock()));
    OUT_BUF.with(|b| write_out(&mut b.borrow_mut(), &mut io::stdout().lock()));
}

fn write_out(buf: &mut Vec<u8>, stream: &mut impl Write) {
    if buf.is_empty() {
        return;
    }
    // One write_all under the lock: another thread's lines never land inside ours.
    let _ = stream.write_all(buf);
    let _ = stream.flush();
    buf.clear();
    if buf.capacity() > 4 * FLUSH_AT {
        buf.shrink_to(FLUSH_AT);
    }
}
