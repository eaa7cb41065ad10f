//! Reusable byte buffers, a few per thread, for text that lives only while one request is
//! handled: canonical requests, strings to sign, canonical queries. Each worker serves
//! its requests one step at a time, so a handful of buffers serve all of them, and the
//! hot path stops asking the allocator for the same few hundred bytes per request.

use std::cell::RefCell;

/// A buffer that grew past this is dropped rather than kept (a rare huge request must
/// not pin its memory in every worker).
const KEEP_BYTES: usize = 16 * 1024;
/// Buffers kept per thread: more than the deepest nesting on any path.
const KEEP_BUFFERS: usize = 8;

thread_local! {
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` with an empty buffer taken from this thread's pool, then puts it back. Calls
/// nest: an inner call takes another buffer. The pool is never borrowed while `f` runs.
pub fn with_buf<R>(f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
    let mut buf = POOL.with(|p| p.borrow_mut().pop()).unwrap_or_default();
    buf.clear();
    let out = f(&mut buf);
    if buf.capacity() <= KEEP_BYTES {
        POOL.with(|p| {
            let mut pool = p.borrow_mut();
            if pool.len() < KEEP_BUFFERS {
                pool.push(buf);
            }
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_calls_get_distinct_empty_buffers() {
        with_buf(|a| {
            a.extend_from_slice(b"outer");
            with_buf(|b| {
                assert!(b.is_empty());
                b.extend_from_slice(b"inner");
            });
            assert_eq!(a, b"outer");
        });
        with_buf(|a| assert!(a.is_empty()));
    }
}
