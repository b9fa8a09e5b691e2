//! `koc patron CARDNUMBER_OR_USERID` and `koc patron search TEXT`.

use std::io::Write;

use chrono::NaiveDate;
use koc_core::{AccountLineKind, HoldFilter, LoanFilter, Patron, Store, StoreExt};
use serde::Serialize;

use crate::cli::{PatronArgs, PatronCommand, SearchArgs};
use crate::commands::loans;
use crate::commands::lookup::Names;
use crate::error::{CliError, CliResult, Status};
use crate::output::json::LoanJson;
use crate::output::table::{Table, or_dash};
use crate::output::{count, time, write_json};

/// A patron's own fields.
#[derive(Clone, Debug, Serialize)]
pub struct PatronJson {
    /// Card number.
    pub cardnumber: String,
    /// Username.
    pub userid: Option<String>,
    /// Family name.
    pub surname: String,
    /// Given name.
    pub firstname: Option<String>,
    /// `Firstname Surname`.
    pub name: String,
    /// Category code.
    pub categorycode: Option<String>,
    /// Home library.
    pub branchcode: Option<String>,
    /// Last valid day.
    pub dateexpiry: Option<String>,
    /// Restricted until.
    pub debarred: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Street address.
    pub address: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Date of birth.
    pub dateofbirth: Option<String>,
    /// Membership expired today.
    pub expired: bool,
    /// Restricted today.
    pub restricted: bool,
}

impl PatronJson {
    /// The JSON of a patron, with `expired` and `restricted` as of `today`.
    pub fn new(patron: &Patron, today: NaiveDate) -> PatronJson {
        PatronJson {
            cardnumber: patron.cardnumber.clone(),
            userid: patron.userid.clone(),
            surname: patron.surname.clone(),
            firstname: patron.firstname.clone(),
            name: patron.display_name(),
            categorycode: patron.category.clone(),
            branchcode: patron.branch.clone(),
            dateexpiry: patron.expiry.map(time::date),
            debarred: patron.restricted_until.map(time::date),
            email: patron.email.clone(),
            phone: patron.phone.clone(),
            address: patron.address.clone(),
            city: patron.city.clone(),
            dateofbirth: patron.date_of_birth.map(time::date),
            expired: patron.is_expired_on(today),
            restricted: patron.is_restricted_on(today),
        }
    }
}

/// An account line.
#[derive(Clone, Debug, Serialize)]
struct AccountJson {
    id: i64,
    kind: &'static str,
    amount: String,
    outstanding: String,
    description: Option<String>,
    created_at: String,
}

/// A hold of the patron.
#[derive(Clone, Debug, Serialize)]
struct HoldJson {
    barcode: String,
    title: Option<String>,
    placed_at: String,
}

/// Everything about a patron.
#[derive(Clone, Debug, Serialize)]
struct PatronDetailJson {
    #[serde(flatten)]
    patron: PatronJson,
    /// Outstanding debts minus unapplied credit.
    balance: String,
    loans: Vec<LoanJson>,
    account: Vec<AccountJson>,
    holds: Vec<HoldJson>,
}

fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Shows one patron or searches; exit 1 when none is found.
pub async fn run(args: &PatronArgs, store: &dyn Store, out: &mut dyn Write) -> CliResult {
    if let Some(PatronCommand::Search(search_args)) = &args.search {
        return search(search_args, store, out).await;
    }
    let Some(card) = &args.card else {
        return Err(CliError::Input(
            "koc patron needs a card number or username, or `search TEXT`".into(),
        ));
    };
    let Some(patron) = store
        .find_patron(card)
        .await
        .map_err(CliError::store("looking up the patron"))?
    else {
        if args.output.json {
            writeln!(out, "null")?;
        } else {
            writeln!(out, "No patron has card number or username `{card}`.")?;
        }
        return Ok(Status::Partial);
    };
    let context = CliError::store;
    let loans = store
        .loans(&LoanFilter::patron(patron.cardnumber.clone()))
        .await
        .map_err(context("listing the patron's loans"))?;
    let loans = loans::with_names(store, &loans).await?;
    let balance = store
        .balance(&patron.cardnumber)
        .await
        .map_err(context("reading the patron's account"))?;
    let account = store
        .account_lines(&patron.cardnumber)
        .await
        .map_err(context("reading the patron's account"))?;
    let mut hold_filter = HoldFilter::unfilled();
    hold_filter.cardnumber = Some(patron.cardnumber.clone());
    let holds = store
        .holds(&hold_filter)
        .await
        .map_err(context("listing the patron's holds"))?;
    let titles = Names::load(store, [], holds.iter().map(|h| h.barcode.as_str())).await?;
    let detail = PatronDetailJson {
        patron: PatronJson::new(&patron, today()),
        balance: balance.to_string(),
        loans,
        account: account
            .iter()
            .map(|line| AccountJson {
                id: line.id.0,
                kind: match line.kind {
                    AccountLineKind::Debit => "debit",
                    AccountLineKind::Credit => "credit",
                },
                amount: line.amount.to_string(),
                outstanding: line.outstanding.to_string(),
                description: line.description.clone(),
                created_at: time::seconds(line.created_at),
            })
            .collect(),
        holds: holds
            .iter()
            .map(|h| HoldJson {
                barcode: h.barcode.clone(),
                title: titles.title(&h.barcode).map(str::to_owned),
                placed_at: time::seconds(h.placed_at),
            })
            .collect(),
    };
    if args.output.json {
        write_json(out, &detail)?;
    } else {
        write_detail(out, &detail)?;
    }
    Ok(Status::Success)
}

fn write_detail(out: &mut dyn Write, detail: &PatronDetailJson) -> std::io::Result<()> {
    let p = &detail.patron;
    let userid = p
        .userid
        .as_ref()
        .map(|u| format!(", username {u}"))
        .unwrap_or_default();
    writeln!(out, "{} (card {}{userid})", p.name, p.cardnumber)?;
    let mut status = Vec::new();
    if p.expired {
        status.push("MEMBERSHIP EXPIRED".to_owned());
    }
    if p.restricted {
        status.push(format!(
            "RESTRICTED until {}",
            or_dash(p.debarred.as_deref())
        ));
    }
    writeln!(
        out,
        "  category {}, library {}, expires {}{}",
        or_dash(p.categorycode.as_deref()),
        or_dash(p.branchcode.as_deref()),
        or_dash(p.dateexpiry.as_deref()),
        if status.is_empty() {
            String::new()
        } else {
            format!(" [{}]", status.join(", "))
        }
    )?;
    let contact: Vec<&str> = [&p.email, &p.phone, &p.address, &p.city]
        .into_iter()
        .filter_map(|f| f.as_deref())
        .collect();
    if !contact.is_empty() {
        writeln!(out, "  {}", contact.join(", "))?;
    }
    writeln!(out, "  balance: {}", detail.balance)?;
    writeln!(out)?;
    writeln!(
        out,
        "{}:",
        count(detail.loans.len() as u64, "loan", "loans")
    )?;
    if !detail.loans.is_empty() {
        loans::table(&detail.loans).write(out)?;
    }
    if !detail.account.is_empty() {
        writeln!(out)?;
        writeln!(out, "Account:")?;
        let mut table = Table::new(&["DATE", "KIND", ">AMOUNT", ">OUTSTANDING", "DESCRIPTION"]);
        for line in &detail.account {
            table.row(vec![
                line.created_at.clone(),
                line.kind.to_owned(),
                line.amount.clone(),
                line.outstanding.clone(),
                or_dash(line.description.as_deref()),
            ]);
        }
        table.write(out)?;
    }
    if !detail.holds.is_empty() {
        writeln!(out)?;
        writeln!(out, "Holds:")?;
        let mut table = Table::new(&["BARCODE", "TITLE", "PLACED"]);
        for hold in &detail.holds {
            table.row(vec![
                hold.barcode.clone(),
                or_dash(hold.title.as_deref()),
                hold.placed_at.clone(),
            ]);
        }
        table.write(out)?;
    }
    Ok(())
}

/// `koc patron search TEXT`: exit 1 when nobody matches.
async fn search(args: &SearchArgs, store: &dyn Store, out: &mut dyn Write) -> CliResult {
    let text = args.text.join(" ");
    let patrons = store
        .search_patrons(&text, args.limit)
        .await
        .map_err(CliError::store("searching patrons"))?;
    let today = today();
    let found: Vec<PatronJson> = patrons.iter().map(|p| PatronJson::new(p, today)).collect();
    if args.output.json {
        write_json(out, &found)?;
    } else {
        writeln!(
            out,
            "{} matching `{text}`.",
            count(found.len() as u64, "patron", "patrons")
        )?;
        if !found.is_empty() {
            let mut table =
                Table::new(&["CARD", "NAME", "USERNAME", "CATEGORY", "LIBRARY", "EXPIRES"]);
            for p in &found {
                table.row(vec![
                    p.cardnumber.clone(),
                    p.name.clone(),
                    or_dash(p.userid.as_deref()),
                    or_dash(p.categorycode.as_deref()),
                    or_dash(p.branchcode.as_deref()),
                    or_dash(p.dateexpiry.as_deref()),
                ]);
            }
            table.write(out)?;
        }
    }
    Ok(Status::partial_if(found.is_empty()))
}
