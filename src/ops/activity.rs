//! Request accounting per connection: how many requests are in flight and when the last
//! one ended, so a connection's idle timeout never cuts a long transfer. A request holds a
//! `Busy` from arrival to the end of its response body (it travels inside the body).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// A connection's requests in flight and when the last one ended, for its idle timeout.
pub struct Activity {
    in_flight: AtomicUsize,
    /// Milliseconds after `epoch`.
    last_end_ms: AtomicU64,
    became_idle: Notify,
    epoch: Instant,
}

/// Held by a request from arrival to the end of its response body (it travels inside the
/// body, see `body::Logged`), so a long download is never mistaken for an idle connection.
pub struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        let a = &self.0;
        a.last_end_ms.store(millis(a.epoch.elapsed()), Ordering::Relaxed);
        if a.in_flight.fetch_sub(1, Ordering::AcqRel) == 1 {
            a.became_idle.notify_waiters();
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Activity {
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            in_flight: AtomicUsize::new(0),
            last_end_ms: AtomicU64::new(0),
            became_idle: Notify::new(),
            epoch: Instant::now(),
        })
    }

    pub fn begin(self: &Arc<Self>) -> Busy {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        Busy(Arc::clone(self))
    }

    /// Resolves once the connection has had no request in flight for `timeout`.
    pub async fn idle_for(&self, timeout: Duration) {
        loop {
            let became_idle = self.became_idle.notified();
            tokio::pin!(became_idle);
            became_idle.as_mut().enable();
            if self.in_flight.load(Ordering::Acquire) > 0 {
                became_idle.await;
                continue;
            }
            let idle_since = Duration::from_millis(self.last_end_ms.load(Ordering::Relaxed));
            let deadline = self.epoch + idle_since + timeout;
            if Instant::now() >= deadline {
                return;
            }
            // Requests may come and go meanwhile: look again at the deadline.
            tokio::time::sleep_until(deadline.into()).await;
        }
    }
}
