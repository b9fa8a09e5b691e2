//! The allocator: mimalloc, giving freed memory back to the system at once
//! when processing on SQLite.
//!
//! mimalloc rather than the system's allocator: processing and enqueuing
//! make and free many small strings (card numbers, barcodes, messages), and
//! glibc's malloc and free took about 15% of `koc enqueue`'s CPU samples.
//! `koc enqueue` of 1 000 000 operations into a SQLite file: 4.65 s with
//! glibc, 4.15 s with mimalloc (4 runs each; see benches/README.md).
//!
//! A processing run makes and drops a batch's worth of operations, state
//! and results every few hundred milliseconds, on several threads. mimalloc
//! keeps memory it freed for a second before giving it back (its
//! `purge_delay`), so a run held several batches' worth of freed memory
//! besides the batches in use: `koc process --all` of 1 000 000 operations
//! on SQLite peaked at 253 and 272 MiB, and at 183 and 194 MiB giving it
//! back at once, no slower (25.2 and 25.6 s against 27.2 and 27.8 s,
//! interleaved runs).
//!
//! Only for processing on SQLite, though. On PostgreSQL a run's batches
//! are small (2 000 operations), its peak far from the limit, and giving
//! memory back at once cost page faults (a third of `koc`'s CPU samples
//! were allocating, freeing and faulting pages in). 1 000 000 operations,
//! five runs in turn with mimalloc's delay and at once: `koc` used 16.4 s
//! of CPU against 21.4 s on average (1.3 to 2.0 s of system time against
//! 5.2 to 6.2 s), the runs took 44.4 s against 49.2 s, and peaked at 75 to
//! 82 MiB against 51 to 59. Enqueuing holds no batch of state either:
//! `koc enqueue` of 1 000 000 operations into a SQLite file took 3.43 /
//! 3.15 / 3.15 s with the delay against 4.17 / 3.82 / 3.56 s at once
//! (runs in turn), and peaked at 104 to 109 MiB against 89 to 92. `main`
//! calls [`set_up_for`] with `--database` and whether the command
//! processes.

/// The allocator of the `koc` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_t` in
/// the mimalloc 3 that libmimalloc-sys 0.1.49 builds; the Rust bindings do
/// not name it). The test below checks that it is the option whose default
/// is mimalloc 3's purge delay.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets mimalloc up for a command on this `--database`: a command that
/// `processes` on SQLite (or on a value that is no database, which the
/// command then reports) gives freed memory back to the system at once;
/// any other keeps mimalloc's delay.
pub fn set_up_for(database: &str, processes: bool) {
    if gives_back_at_once(database, processes) {
        give_back_freed_memory_at_once();
    }
}

/// Whether a command on `database` gives freed memory back at once.
fn gives_back_at_once(database: &str, processes: bool) -> bool {
    processes && !crate::database::Database::is_postgres(database)
}

/// Makes mimalloc give memory back to the system as soon as it is free
/// (the environment variable `MIMALLOC_PURGE_DELAY`, when set, wins).
fn give_back_freed_memory_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: `mi_option_set` only stores the value in mimalloc's
        // table of options, which it reads atomically; any option and
        // value are valid.
        #[allow(unsafe_code)]
        unsafe {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(unsafe_code)]
    fn purge_delay() -> std::ffi::c_long {
        // SAFETY: reads an option; any option is valid.
        unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) }
    }

    #[test]
    fn only_processing_on_sqlite_gives_memory_back_at_once() {
        assert!(gives_back_at_once("koc.sqlite", true));
        assert!(gives_back_at_once("sqlite:/tmp/koc.sqlite", true));
        assert!(!gives_back_at_once("postgres://koc@localhost/koc", true));
        assert!(!gives_back_at_once("postgresql://koc@localhost/koc", true));
        assert!(!gives_back_at_once("koc.sqlite", false));
        assert!(!gives_back_at_once("postgres://koc@localhost/koc", false));
    }

    #[test]
    fn the_option_set_is_the_purge_delay() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            eprintln!("MIMALLOC_PURGE_DELAY is set: its default cannot be checked");
            return;
        }
        // The tests do not run `main`: the option still has mimalloc 3's
        // default, 1 000 ms, which no other option of its table has.
        assert_eq!(purge_delay(), 1000);
        give_back_freed_memory_at_once();
        assert_eq!(purge_delay(), 0);
    }
}
