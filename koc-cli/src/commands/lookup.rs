//! Names and titles for the card numbers and barcodes shown in a table.

use std::collections::{BTreeSet, HashMap};

use koc_core::Store;

use crate::error::CliError;

/// Patron names by card number (or username) and titles by barcode.
#[derive(Debug, Default)]
pub struct Names {
    patrons: HashMap<String, String>,
    titles: HashMap<String, Option<String>>,
}

impl Names {
    /// Looks up these card numbers (falling back to usernames, as
    /// processing does) and barcodes.
    ///
    /// # Errors
    ///
    /// A database error.
    pub async fn load<'a>(
        store: &dyn Store,
        cards: impl IntoIterator<Item = &'a str>,
        barcodes: impl IntoIterator<Item = &'a str>,
    ) -> Result<Names, CliError> {
        let cards: Vec<String> = cards
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let barcodes: Vec<String> = barcodes
            .into_iter()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let mut names = Names::default();
        if !cards.is_empty() {
            for patron in store
                .patrons(&cards)
                .await
                .map_err(CliError::store("looking up patrons"))?
            {
                names
                    .patrons
                    .insert(patron.cardnumber.clone(), patron.display_name());
            }
            for card in &cards {
                if names.patrons.contains_key(card) {
                    continue;
                }
                if let Some(patron) = store
                    .patron_by_userid(card)
                    .await
                    .map_err(CliError::store("looking up patrons"))?
                {
                    names.patrons.insert(card.clone(), patron.display_name());
                }
            }
        }
        if !barcodes.is_empty() {
            for item in store
                .items(&barcodes)
                .await
                .map_err(CliError::store("looking up items"))?
            {
                names.titles.insert(item.barcode.clone(), item.title);
            }
        }
        Ok(names)
    }

    /// The name of the patron with this card number or username.
    pub fn patron(&self, card: &str) -> Option<&str> {
        self.patrons.get(card).map(String::as_str)
    }

    /// Whether an item has this barcode.
    pub fn has_item(&self, barcode: &str) -> bool {
        self.titles.contains_key(barcode)
    }

    /// The title of the item with this barcode.
    pub fn title(&self, barcode: &str) -> Option<&str> {
        self.titles.get(barcode).and_then(|t| t.as_deref())
    }

    /// `card Name`, or `card (unknown patron)`.
    pub fn card_cell(&self, card: Option<&str>) -> String {
        match card {
            None => "-".to_owned(),
            Some(card) => match self.patron(card) {
                Some(name) => format!("{card} {name}"),
                None => format!("{card} (unknown patron)"),
            },
        }
    }

    /// `barcode Title`, or `barcode (unknown item)`.
    pub fn barcode_cell(&self, barcode: Option<&str>) -> String {
        match barcode {
            None => "-".to_owned(),
            Some(barcode) if !self.has_item(barcode) => format!("{barcode} (unknown item)"),
            Some(barcode) => match self.title(barcode) {
                Some(title) => format!("{barcode} {title}"),
                None => barcode.to_owned(),
            },
        }
    }
}
