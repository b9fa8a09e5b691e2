//! The allocator: mimalloc, giving freed memory back to the system at once.
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

/// The allocator of the `koc` binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (its position in `mi_option_t` in
/// the mimalloc 3 that libmimalloc-sys 0.1.49 builds; the Rust bindings do
/// not name it). The test below checks that it is the option whose default
/// is mimalloc 3's purge delay.
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Makes mimalloc give memory back to the system as soon as it is free
/// (the environment variable `MIMALLOC_PURGE_DELAY`, when set, wins).
pub fn give_back_freed_memory_at_once() {
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
