//! The async runtime: how many worker threads a command gets.
//!
//! Two, except when processing on PostgreSQL. A processing run on
//! PostgreSQL has two halves that run at once: the batch being decided and
//! written, on the thread that runs the command (`main`, in `block_on`),
//! and the reader task, which takes and loads the next batch on a second
//! connection, on a worker. A second worker has nothing of its own to do,
//! but tokio wakes an idle worker to look for work to steal as tasks are
//! woken; on a machine of two cores, already shared with the two server
//! processes, each such wake-up takes a core from one of them.
//!
//! `koc process --all` of 1 000 000 operations on PostgreSQL, 27 pairs of
//! runs in turn on copies of one enqueued database (benches/README.md,
//! "Figures of eleven at night"): one worker was faster in 20 of the 27
//! pairs, by 0.56 s on average (2.4%, standard error 0.19 s; the runs took
//! 20.9 to 25.3 s), with half the involuntary context switches (3 200 to
//! 5 500 against 6 600 to 9 100) and a lower peak (108 to 134 MiB against
//! 118 to 150). The server's CPU and koc's were the same within the noise.
//!
//! SQLite's processing runs its stages on tokio's blocking threads, which
//! this does not change; other commands keep two workers.

/// The number of worker threads for a command on `database` (`processes`:
/// whether the command processes the queue).
pub fn workers_for(database: &str, processes: bool) -> usize {
    if processes && crate::database::Database::is_postgres(database) {
        1
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_processing_on_postgres_runs_one_worker() {
        assert_eq!(workers_for("postgres://koc@localhost/koc", true), 1);
        assert_eq!(workers_for("postgresql://koc@localhost/koc", true), 1);
        assert_eq!(workers_for("postgres://koc@localhost/koc", false), 2);
        assert_eq!(workers_for("koc.sqlite", true), 2);
        assert_eq!(workers_for("sqlite:/tmp/koc.sqlite", true), 2);
        assert_eq!(workers_for("koc.sqlite", false), 2);
    }
}
