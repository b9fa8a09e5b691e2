use async_trait::async_trait;

use crate::{AccountLineKind, Circulation, Item, Money, Patron, Result};

/// Conveniences on top of the store contract, for every store.
#[async_trait]
pub trait StoreExt: Circulation {
    /// The patron with this card number.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn patron(&self, cardnumber: &str) -> Result<Option<Patron>> {
        Ok(self
            .patrons(&[cardnumber.to_owned()])
            .await?
            .into_iter()
            .next())
    }

    /// The patron with this card number, or else this username, as Koha
    /// looks patrons up.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn find_patron(&self, card_or_userid: &str) -> Result<Option<Patron>> {
        match self.patron(card_or_userid).await? {
            Some(patron) => Ok(Some(patron)),
            None => self.patron_by_userid(card_or_userid).await,
        }
    }

    /// The item with this barcode.
    ///
    /// # Errors
    ///
    /// A database error.
    async fn item(&self, barcode: &str) -> Result<Option<Item>> {
        Ok(self.items(&[barcode.to_owned()]).await?.into_iter().next())
    }

    /// What the patron owes: outstanding debts minus unapplied credit
    /// (negative when the patron is in credit).
    ///
    /// # Errors
    ///
    /// A database error.
    async fn balance(&self, cardnumber: &str) -> Result<Money> {
        let mut balance = Money::ZERO;
        for line in self.account_lines(cardnumber).await? {
            balance = match line.kind {
                AccountLineKind::Debit => balance.saturating_add(line.outstanding),
                AccountLineKind::Credit => balance.saturating_sub(line.outstanding),
            };
        }
        Ok(balance)
    }
}

impl<T: Circulation + ?Sized> StoreExt for T {}
