//! Checkpoints in the background.
//!
//! In WAL mode every commit appends the pages it changed to the WAL, and a
//! checkpoint copies them back into the database file. SQLite's automatic
//! checkpoint does that in the committing call, on the critical path of a
//! processing run; here a thread with a connection of its own does it
//! instead, on another core, while the run goes on (a `PASSIVE` checkpoint
//! never blocks writers). A larger WAL between checkpoints also means a
//! page changed by several batches is copied once.
//!
//! A WAL hook records how many frames the WAL holds after each commit; the
//! store wakes the checkpointer once that passes
//! [`SqliteOptions::checkpoint_pages`](crate::SqliteOptions::checkpoint_pages).
//! If the WAL has grown to twice that anyway (the writer outran the
//! checkpointer), the committing call waits for the checkpointer and
//! checkpoints itself, so that the WAL starts over: a WAL that only grows
//! makes every page read slower. Not during a processing run on two
//! connections, whose reader keeps the WAL from starting over at a commit
//! (see [`Checkpointer::two_connection_run`]).
//!
//! A checkpoint copies back only what no open read transaction may still
//! need, and the WAL starts over only once all of it is copied back. A
//! processing run on two connections always has a read transaction open
//! while it writes (see `process/pipeline.rs`), so it asks for a
//! checkpoint itself between two batches, when neither of its connections
//! has one open ([`Checkpointer::between_transactions`]): otherwise the WAL
//! would grow through the whole run (to 418 to 1064 MiB for a million
//! operations, in five runs).

use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, PoisonError};

use koc_core::{Error, Result};
use rusqlite::Connection;
use rusqlite::hooks::Wal;

use crate::error::Context;

thread_local! {
    /// Frames in the WAL after the last commit on this thread; 0 if none.
    static WAL_FRAMES: Cell<i32> = const { Cell::new(0) };
}

/// The WAL hook: runs in the committing thread, right after a commit.
fn committed(_: &Wal, frames: std::ffi::c_int) -> rusqlite::Result<()> {
    WAL_FRAMES.set(frames);
    Ok(())
}

/// Wakes a thread that checkpoints the database when the WAL grows.
pub(crate) struct Checkpointer {
    wake: SyncSender<()>,
    pages: i32,
    /// Held while a checkpoint of this store runs, by either side.
    running: Arc<Mutex<()>>,
    /// Frames in the WAL after the last commit [`after`](Self::after) saw.
    frames: AtomicI32,
    /// Processing runs on two connections in progress (see
    /// [`Checkpointer::two_connection_run`]).
    two_connection_runs: AtomicUsize,
}

impl Checkpointer {
    /// Starts the thread, with its own connection to `path`, and installs
    /// the hook on `conn` (which replaces SQLite's automatic checkpoints).
    pub fn start(conn: &Connection, path: &Path, pages: u32) -> Result<Checkpointer> {
        let own = Connection::open(path).context("opening the checkpoint connection")?;
        let (wake, woken) = sync_channel(1);
        let running = Arc::new(Mutex::new(()));
        let theirs = running.clone();
        std::thread::Builder::new()
            .name("koc-sqlite-checkpoint".to_owned())
            .spawn(move || checkpoint_when_woken(&own, &woken, &theirs))
            .map_err(|e| Error::database("starting the checkpoint thread", e))?;
        conn.wal_hook(Some(committed));
        Ok(Checkpointer {
            wake,
            pages: i32::try_from(pages.max(1)).unwrap_or(i32::MAX),
            running,
            frames: AtomicI32::new(0),
            two_connection_runs: AtomicUsize::new(0),
        })
    }

    /// Call before work that may commit, on the thread that runs it.
    pub fn before(&self) {
        WAL_FRAMES.set(0);
    }

    /// Call after that work: wakes the thread if the WAL passed the mark,
    /// or checkpoints on `conn` if the WAL is far past it.
    pub fn after(&self, conn: &Connection) {
        let frames = WAL_FRAMES.replace(0);
        if frames > 0 {
            self.frames.store(frames, Ordering::Relaxed);
        }
        if frames < self.pages {
            return;
        }
        if frames / 2 >= self.pages && self.two_connection_runs.load(Ordering::Relaxed) == 0 {
            let _running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
            // Failing here is no loss: the next commit tries again.
            let _ = checkpoint(conn);
            return;
        }
        match self.wake.try_send(()) {
            // Already woken, or gone with the store: nothing to do.
            Ok(()) | Err(TrySendError::Full(())) | Err(TrySendError::Disconnected(())) => {}
        }
    }

    /// While the guard lives, a commit past twice the mark wakes the thread
    /// rather than checkpointing itself. A processing run on two
    /// connections always has a read transaction open when its writer
    /// commits, so such a checkpoint could not start the WAL over anyway,
    /// only copy back what the thread copies as well; done by the writer
    /// it held up the run (3.8 s of a 20 s run of a million operations).
    /// The run keeps the WAL from growing itself, with
    /// [`between_transactions`](Self::between_transactions).
    pub fn two_connection_run(&self) -> TwoConnectionRun<'_> {
        self.two_connection_runs.fetch_add(1, Ordering::Relaxed);
        TwoConnectionRun(&self.two_connection_runs)
    }

    /// For a caller whose other connections to the database have no
    /// transaction open: checkpoints on `conn` if the WAL has grown to
    /// four times the mark (the size it is cut back to when it starts
    /// over), which then copies all of it back (unless another process is
    /// reading), so that the next commit starts the WAL over.
    ///
    /// Not every time the WAL passes the mark: each such checkpoint waits
    /// for the last batch's pages to be copied and the file synced, while
    /// the run waits. 1M operations (`koc process --all`, the CLI's
    /// defaults), three runs of each in turn: at the mark, 29.8 / 28.5 /
    /// 28.6 s against 26.6 / 27.6 / 26.3 s without, the WAL at most 129 MiB
    /// against 418 to 610; at four times the mark, 26.1 / 27.0 / 29.1 /
    /// 27.7 s against 26.0 / 28.2 / 23.9 s, the WAL at most 297 MiB
    /// against 558 to 1064.
    pub fn between_transactions(&self, conn: &Connection) {
        if self.frames.load(Ordering::Relaxed) / 4 < self.pages {
            return;
        }
        let _running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        // Failing here is no loss: the next call tries again.
        if checkpoint(conn).is_ok() {
            self.frames.store(0, Ordering::Relaxed);
        }
    }
}

/// A processing run on two connections, for as long as it lives (see
/// [`Checkpointer::two_connection_run`]).
pub(crate) struct TwoConnectionRun<'a>(&'a AtomicUsize);

impl Drop for TwoConnectionRun<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn checkpoint(conn: &Connection) -> rusqlite::Result<()> {
    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))
}

/// Until the store is dropped (the sender with it), checkpoint each time
/// woken, and once more at the end.
fn checkpoint_when_woken(conn: &Connection, woken: &Receiver<()>, running: &Mutex<()>) {
    let run = || {
        let _running = running.lock().unwrap_or_else(PoisonError::into_inner);
        // A failed checkpoint (the file is busy being checkpointed by
        // another process ...) is retried at the next wake-up.
        let _ = checkpoint(conn);
    };
    while woken.recv().is_ok() {
        run();
    }
    run();
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use super::*;

    /// A database in WAL mode with a table `t`, in a directory of its own.
    fn database() -> (tempfile::TempDir, std::path::PathBuf, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("koc.sqlite");
        let conn = Connection::open(&path).unwrap();
        conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))
            .unwrap();
        conn.execute_batch("CREATE TABLE t (b BLOB)").unwrap();
        (dir, path, conn)
    }

    /// Commits a transaction of `rows` rows of a page each, through the
    /// checkpointer as the store does; the WAL's frames after it.
    fn commit(conn: &Connection, checkpointer: &Checkpointer, rows: usize) -> i32 {
        checkpointer.before();
        conn.execute_batch("BEGIN").unwrap();
        for _ in 0..rows {
            conn.execute("INSERT INTO t VALUES (zeroblob(4000))", [])
                .unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
        let frames = WAL_FRAMES.get();
        checkpointer.after(conn);
        frames
    }

    #[test]
    fn between_transactions_the_wal_starts_over_after_a_reader_kept_it() {
        let (_dir, path, conn) = database();
        // Each commit puts the WAL past twice the mark, so the committing
        // call checkpoints itself (the thread is never woken).
        let checkpointer = Checkpointer::start(&conn, &path, 4).unwrap();
        let reader = Connection::open(&path).unwrap();
        // A reading connection with a transaction open, as a processing
        // run's while it writes: the checkpoints cannot reach the end of
        // the WAL, and the WAL grows.
        reader.execute_batch("BEGIN").unwrap();
        reader
            .query_row("SELECT count(*) FROM t", [], |_| Ok(()))
            .unwrap();
        let first = commit(&conn, &checkpointer, 20);
        let second = commit(&conn, &checkpointer, 20);
        assert!(second > first, "{first} then {second} frames");
        reader.execute_batch("COMMIT").unwrap();
        // Between two of the run's batches: neither connection has a
        // transaction open.
        checkpointer.between_transactions(&conn);
        // The reader's next transaction does not keep the WAL from
        // starting over, the next commit starts it over.
        reader.execute_batch("BEGIN").unwrap();
        reader
            .query_row("SELECT count(*) FROM t", [], |_| Ok(()))
            .unwrap();
        let third = commit(&conn, &checkpointer, 20);
        reader.execute_batch("COMMIT").unwrap();
        assert!(third < first, "{first}, {second}, then {third} frames");
    }

    /// Commits past twice the mark while a checkpoint of the store runs
    /// (the test holds its lock), during a processing run on two
    /// connections or not; whether the commit returned while the lock was
    /// still held, within `wait`.
    fn commit_returns_during_a_checkpoint(two_connections: bool, wait: Duration) -> bool {
        let (_dir, path, conn) = database();
        let checkpointer = Arc::new(Checkpointer::start(&conn, &path, 4).unwrap());
        let run = two_connections.then(|| checkpointer.two_connection_run());
        let held = checkpointer.running.lock().unwrap();
        let (done, returned) = std::sync::mpsc::channel();
        let committer = {
            let checkpointer = checkpointer.clone();
            std::thread::spawn(move || {
                commit(&conn, &checkpointer, 20);
                done.send(()).unwrap();
            })
        };
        let returned = returned.recv_timeout(wait).is_ok();
        drop(held);
        committer.join().unwrap();
        drop(run);
        returned
    }

    #[test]
    fn during_a_two_connection_run_a_commit_leaves_the_checkpoint_to_the_thread() {
        assert!(commit_returns_during_a_checkpoint(
            true,
            Duration::from_secs(60)
        ));
    }

    #[test]
    fn otherwise_a_commit_far_past_the_mark_checkpoints_itself() {
        // It waits for the running checkpoint, to run its own.
        assert!(!commit_returns_during_a_checkpoint(
            false,
            Duration::from_millis(300)
        ));
    }

    #[test]
    fn below_four_times_the_mark_there_is_no_checkpoint_between_transactions() {
        let (_dir, path, conn) = database();
        let checkpointer = Checkpointer::start(&conn, &path, 1_000).unwrap();
        let first = commit(&conn, &checkpointer, 20);
        checkpointer.between_transactions(&conn);
        let second = commit(&conn, &checkpointer, 20);
        assert!(second > first, "{first} then {second} frames");
    }
}
