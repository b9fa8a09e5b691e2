//! The barcodes whose item or open loan a batch changed, from which the
//! batch's [`Effects`] take their final state once the walk is over.
//!
//! Copying an item or a loan into the effects at each change (as the walk
//! first did) inserted into a sorted map at random places, one node split
//! after another: the maps' nodes ended about two thirds full, and with an
//! item's or a loan's whole value in each slot, the effects of a batch of
//! 32 000 operations held 27 MB in those two maps (a heap profile,
//! `valgrind --tool=massif`, of `koc process` on SQLite). Collected at the
//! end from a sorted list, the maps are built full, and each item and loan
//! is copied once, however often the batch changed it.

use std::collections::BTreeMap;

use super::{BatchState, Effects};

/// What the walk changed so far: the effects it writes as it goes (closed
/// loans, payments, debts, holds) and the barcodes of the items and open
/// loans it changed in the state.
pub(super) struct Changes<'a> {
    pub effects: Effects,
    items: Vec<&'a str>,
    loans: Vec<&'a str>,
}

impl<'a> Changes<'a> {
    pub fn new() -> Changes<'a> {
        Changes {
            effects: Effects::default(),
            items: Vec::new(),
            loans: Vec::new(),
        }
    }

    /// The item of this barcode was changed in the state.
    pub fn item(&mut self, barcode: &'a str) {
        self.items.push(barcode);
    }

    /// The open loan of this barcode was changed in the state (opened,
    /// renewed or closed).
    pub fn loan(&mut self, barcode: &'a str) {
        self.loans.push(barcode);
    }

    /// The effects, with each changed item and open loan as `state` has it
    /// after the walk.
    pub fn finish(self, state: &BatchState) -> Effects {
        let Changes {
            mut effects,
            items,
            loans,
        } = self;
        effects.items = sorted(items)
            .filter_map(|barcode| {
                let item = state.items.get(barcode)?;
                Some((barcode.to_owned(), item.clone()))
            })
            .collect::<BTreeMap<_, _>>();
        effects.loans = sorted(loans)
            .map(|barcode| (barcode.to_owned(), state.loans.get(barcode).cloned()))
            .collect::<BTreeMap<_, _>>();
        effects
    }
}

/// These barcodes in order, each once: `BTreeMap`'s `collect` then builds
/// its nodes full, in one pass.
fn sorted(mut barcodes: Vec<&str>) -> impl Iterator<Item = &str> {
    barcodes.sort_unstable();
    barcodes.dedup();
    barcodes.into_iter()
}
