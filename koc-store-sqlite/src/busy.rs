//! Waiting for another connection's write, fairly enough that a writer gets
//! in during a long processing run.
//!
//! SQLite's own busy handler (`sqlite3_busy_timeout`) retries with growing
//! pauses, 100 ms apart after the first quarter second; a processing run
//! begins its next batch a few microseconds after each commit, so a writer
//! waiting in another connection almost never tries at the right moment
//! and may wait for the whole run, then fail when its timeout ends before
//! the run does. Here a waiting connection tries again every millisecond
//! instead ([`wait`]), and a processing run on a file leaves a short gap
//! ([`BETWEEN_BATCHES`]) after each commit: a writer waiting for the lock
//! gets it in that gap, and the run goes on once it has committed.
//!
//! The handler is a plain function (what SQLite's C interface and rusqlite
//! take), so the timeout of the store whose call is running is set for the
//! thread that runs it ([`set_timeout`]), before every call.

use std::cell::Cell;
use std::time::{Duration, Instant};

use rusqlite::Connection;

/// How long a processing run on a file pauses after each committed batch,
/// so that a writer waiting in another connection gets the lock: twice the
/// interval at which waiting connections try again.
pub(crate) const BETWEEN_BATCHES: Duration = Duration::from_millis(2);

/// How often a waiting connection tries to get the lock again.
const RETRY_EVERY: Duration = Duration::from_millis(1);

thread_local! {
    /// The busy timeout of the store whose call this thread runs.
    static TIMEOUT: Cell<Duration> = const { Cell::new(Duration::from_secs(60)) };
    /// When the current wait began.
    static SINCE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Installs the handler on `conn` (it replaces SQLite's busy timeout).
pub(crate) fn install(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_handler(Some(wait))
}

/// Sets how long calls on this thread wait for a lock, until set again.
pub(crate) fn set_timeout(timeout: Duration) {
    TIMEOUT.set(timeout);
}

/// The busy handler: `retries` is how many times it was called before for
/// this wait. Sleeps [`RETRY_EVERY`] and asks SQLite to try again, until
/// the wait has lasted the thread's timeout.
fn wait(retries: i32) -> bool {
    let now = Instant::now();
    let since = match SINCE.get() {
        Some(since) if retries > 0 => since,
        _ => {
            SINCE.set(Some(now));
            now
        }
    };
    if now.duration_since(since) >= TIMEOUT.get() {
        return false;
    }
    std::thread::sleep(RETRY_EVERY);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_ends_at_the_timeout() {
        set_timeout(Duration::from_millis(20));
        let started = Instant::now();
        let mut retries = 0;
        while wait(retries) {
            retries += 1;
        }
        assert!(started.elapsed() >= Duration::from_millis(20));
        assert!(retries >= 1, "it retried before giving up");
        // A new wait starts its own clock.
        assert!(wait(0));
    }
}
