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
//! makes every page read slower.

use std::cell::Cell;
use std::path::Path;
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
        if frames < self.pages {
            return;
        }
        if frames / 2 >= self.pages {
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
