use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// Identifies a hold within a store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HoldId(pub i64);

/// A patron's request for a specific item.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// The hold's id.
    pub id: HoldId,
    /// The item requested.
    pub barcode: String,
    /// The patron who asked.
    pub cardnumber: String,
    /// When it was placed.
    pub placed_at: NaiveDateTime,
    /// When a loan to that patron filled it; `None` while it waits.
    pub filled_at: Option<NaiveDateTime>,
}

/// A hold to record. A store keeps at most one unfilled hold per item and
/// patron: recording it again updates the time it was placed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewHold {
    /// The item requested.
    pub barcode: String,
    /// The patron who asked.
    pub cardnumber: String,
    /// When it was placed.
    pub placed_at: NaiveDateTime,
}
