//! `koc delete ID... [--user U]`: remove pending operations unprocessed.

use std::io::Write;

use koc_core::{OperationId, Store};
use serde::Serialize;

use crate::cli::DeleteArgs;
use crate::commands::{id_list, staff_user};
use crate::error::{CliError, CliResult, Status};
use crate::output::{count, write_json};

#[derive(Serialize)]
struct DeleteJson {
    deleted: Vec<i64>,
    not_pending: Vec<i64>,
}

/// Deletes the operations; exit 1 when some were not pending.
pub async fn run(args: &DeleteArgs, store: &dyn Store, out: &mut dyn Write) -> CliResult {
    let user = staff_user(args.user.as_deref());
    let ids: Vec<OperationId> = args.ids.iter().copied().map(OperationId).collect();
    let report = store
        .delete(&ids, &user)
        .await
        .map_err(CliError::store("deleting operations"))?;
    let json = DeleteJson {
        deleted: report.deleted.iter().map(|id| id.0).collect(),
        not_pending: report.not_pending.iter().map(|id| id.0).collect(),
    };
    if args.output.json {
        write_json(out, &json)?;
    } else {
        if !json.deleted.is_empty() {
            writeln!(
                out,
                "Deleted {} by {user}: {}. They are in `koc history` and can be put back with `koc requeue`.",
                count(json.deleted.len() as u64, "operation", "operations"),
                id_list(&json.deleted)
            )?;
        }
        if !json.not_pending.is_empty() {
            writeln!(
                out,
                "Not pending (unknown, already processed or deleted): {}.",
                id_list(&json.not_pending)
            )?;
        }
    }
    Ok(Status::partial_if(!json.not_pending.is_empty()))
}
