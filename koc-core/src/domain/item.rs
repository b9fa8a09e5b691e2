use std::fmt;
use std::str::FromStr;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

/// The state of an item apart from being on loan.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ItemStatus {
    /// On the shelf or on loan as usual.
    #[default]
    Available,
    /// Declared lost. Lending or returning it marks it found.
    Lost,
    /// Withdrawn from the collection.
    Withdrawn,
    /// Not for loan (reference, display ...).
    #[serde(rename = "notforloan")]
    NotForLoan,
    /// Damaged.
    Damaged,
}

impl ItemStatus {
    /// The code used in files and databases: `available`, `lost`,
    /// `withdrawn`, `notforloan`, `damaged`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Available => "available",
            ItemStatus::Lost => "lost",
            ItemStatus::Withdrawn => "withdrawn",
            ItemStatus::NotForLoan => "notforloan",
            ItemStatus::Damaged => "damaged",
        }
    }
}

impl fmt::Display for ItemStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not an item status code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown item status `{0}`: expected available, lost, withdrawn, notforloan or damaged")]
pub struct UnknownItemStatus(pub String);

impl FromStr for ItemStatus {
    type Err = UnknownItemStatus;

    fn from_str(s: &str) -> Result<ItemStatus, UnknownItemStatus> {
        match s {
            "available" | "" => Ok(ItemStatus::Available),
            "lost" => Ok(ItemStatus::Lost),
            "withdrawn" => Ok(ItemStatus::Withdrawn),
            "notforloan" => Ok(ItemStatus::NotForLoan),
            "damaged" => Ok(ItemStatus::Damaged),
            other => Err(UnknownItemStatus(other.to_owned())),
        }
    }
}

/// A copy of a title that can be lent, known by its barcode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    /// The barcode (unique).
    pub barcode: String,
    /// Title of the work.
    pub title: Option<String>,
    /// Author of the work.
    pub author: Option<String>,
    /// Call number.
    pub callnumber: Option<String>,
    /// Item type code (`BK`, `DVD` ...), which loan rules refer to.
    pub itemtype: Option<String>,
    /// The library that owns it.
    pub homebranch: Option<String>,
    /// The library where it is now.
    pub holdingbranch: Option<String>,
    /// Lost, withdrawn ... or available.
    pub status: ItemStatus,
    /// When it was last handled at a desk.
    pub last_seen: Option<NaiveDateTime>,
}

impl Item {
    /// An available item with a barcode and a title, nothing else.
    pub fn new(barcode: impl Into<String>, title: impl Into<String>) -> Item {
        Item {
            barcode: barcode.into(),
            title: Some(title.into()),
            ..Item::default()
        }
    }
}
