//! `koc item BARCODE`: an item with its loan and holds.

use std::io::Write;

use koc_core::{HoldFilter, LoanFilter, Store, StoreExt};
use serde::Serialize;

use crate::cli::ItemArgs;
use crate::commands::loans;
use crate::commands::lookup::Names;
use crate::error::{CliError, CliResult, Status};
use crate::output::json::{ItemJson, LoanJson};
use crate::output::table::{Table, or_dash};
use crate::output::{time, write_json};

#[derive(Serialize)]
struct HoldJson {
    cardnumber: String,
    patron: Option<String>,
    placed_at: String,
}

#[derive(Serialize)]
struct ItemDetailJson {
    #[serde(flatten)]
    item: ItemJson,
    loan: Option<LoanJson>,
    holds: Vec<HoldJson>,
}

/// Shows an item; exit 1 when no item has the barcode.
pub async fn run(args: &ItemArgs, store: &dyn Store, out: &mut dyn Write) -> CliResult {
    let Some(item) = store
        .item(&args.barcode)
        .await
        .map_err(CliError::store("looking up the item"))?
    else {
        if args.output.json {
            writeln!(out, "null")?;
        } else {
            writeln!(out, "No item has barcode `{}`.", args.barcode)?;
        }
        return Ok(Status::Partial);
    };
    let loan = store
        .loans(&LoanFilter::item(item.barcode.clone()))
        .await
        .map_err(CliError::store("looking up the item's loan"))?;
    let loan = loans::with_names(store, &loan).await?.into_iter().next();
    let holds = store
        .holds(&HoldFilter::item(item.barcode.clone()))
        .await
        .map_err(CliError::store("listing the item's holds"))?;
    let names = Names::load(store, holds.iter().map(|h| h.cardnumber.as_str()), []).await?;
    let detail = ItemDetailJson {
        item: ItemJson::from(&item),
        loan,
        holds: holds
            .iter()
            .map(|h| HoldJson {
                cardnumber: h.cardnumber.clone(),
                patron: names.patron(&h.cardnumber).map(str::to_owned),
                placed_at: time::seconds(h.placed_at),
            })
            .collect(),
    };
    if args.output.json {
        write_json(out, &detail)?;
        return Ok(Status::Success);
    }
    let i = &detail.item;
    writeln!(
        out,
        "{} (barcode {})",
        or_dash(i.title.as_deref()),
        i.barcode
    )?;
    writeln!(
        out,
        "  author {}, call number {}, type {}, home {}, at {}, status {}",
        or_dash(i.author.as_deref()),
        or_dash(i.callnumber.as_deref()),
        or_dash(i.itemtype.as_deref()),
        or_dash(i.homebranch.as_deref()),
        or_dash(i.holdingbranch.as_deref()),
        i.status
    )?;
    if let Some(seen) = &i.last_seen {
        writeln!(out, "  last seen {seen}")?;
    }
    match &detail.loan {
        Some(loan) => writeln!(
            out,
            "  on loan to {} {} since {}, due {} ({} renewals)",
            loan.cardnumber,
            or_dash(loan.patron.as_deref()),
            loan.issued_at,
            loan.due_at,
            loan.renewals
        )?,
        None => writeln!(out, "  not on loan")?,
    }
    if !detail.holds.is_empty() {
        writeln!(out)?;
        writeln!(out, "Holds:")?;
        let mut table = Table::new(&["CARD", "PATRON", "PLACED"]);
        for hold in &detail.holds {
            table.row(vec![
                hold.cardnumber.clone(),
                or_dash(hold.patron.as_deref()),
                hold.placed_at.clone(),
            ]);
        }
        table.write(out)?;
    }
    Ok(Status::Success)
}
