//! The advisory locks a store takes, all transaction-scoped: PostgreSQL
//! releases them at commit, at rollback, and when the session holding them
//! dies, so a processor that crashes never leaves the queue locked.
//!
//! Keys are pairs of 32-bit numbers: what the lock is for, and which schema
//! (its object id, or a hash of its name before it exists).

/// "koc" followed by a number per purpose.
const fn purpose(n: i32) -> i32 {
    0x6b6f_6300 | n
}

/// Applying migrations (keyed by the schema's name).
pub(crate) const MIGRATE: i32 = purpose(1);
/// Processing, deleting and requeuing: anything that takes operations out
/// of the queue or puts them back.
pub(crate) const QUEUE: i32 = purpose(2);
/// Enqueuing: one enqueue at a time, so duplicates are told apart exactly.
pub(crate) const ENQUEUE: i32 = purpose(3);
/// Loading debts: one at a time, so the same debt is never added twice.
pub(crate) const DEBTS: i32 = purpose(4);

/// A 32-bit key for a schema name (FNV-1a), the same in every process.
pub(crate) fn name_key(name: &str) -> i32 {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in name.bytes() {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    i32::from_ne_bytes(hash.to_ne_bytes())
}

/// The 32-bit key for a schema's object id.
pub(crate) fn oid_key(oid: i64) -> i32 {
    // Object ids are 32-bit unsigned; keep their bits.
    i32::from_ne_bytes((oid as u32).to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_stable() {
        // Processes of different builds must agree: never change these.
        assert_eq!(name_key(""), 0x811c_9dc5_u32 as i32);
        assert_eq!(name_key("koc"), name_key("koc"));
        assert_ne!(name_key("koc"), name_key("koc2"));
        assert_eq!(oid_key(4_294_967_295), -1);
        assert_eq!(QUEUE, 0x6b6f_6302);
    }
}
