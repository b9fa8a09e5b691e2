//! `koc requeue ID...`: put failed or deleted operations back in the queue.

use std::io::Write;

use koc_core::{OperationId, RequeueRefusal, Store};
use serde::Serialize;

use crate::cli::RequeueArgs;
use crate::commands::{id_list, staff_user};
use crate::error::{CliError, CliResult, Status};
use crate::output::{count, write_json};

#[derive(Serialize)]
struct RefusedJson {
    id: i64,
    reason: &'static str,
}

#[derive(Serialize)]
struct RequeueJson {
    requeued: Vec<i64>,
    refused: Vec<RefusedJson>,
}

fn reason(refusal: RequeueRefusal) -> (&'static str, &'static str) {
    match refusal {
        RequeueRefusal::NotFound => ("not_found", "not in history"),
        RequeueRefusal::AlreadyPending => ("already_pending", "already pending"),
        RequeueRefusal::Applied => (
            "applied",
            "it was applied; putting it back would apply it twice",
        ),
        _ => ("refused", "refused by the store"),
    }
}

/// Requeues the operations; exit 1 when some were refused.
pub async fn run(args: &RequeueArgs, store: &dyn Store, out: &mut dyn Write) -> CliResult {
    let user = staff_user(args.user.as_deref());
    let ids: Vec<OperationId> = args.ids.iter().copied().map(OperationId).collect();
    let report = store
        .requeue(&ids, &user)
        .await
        .map_err(CliError::store("requeuing operations"))?;
    if args.output.json {
        write_json(
            out,
            &RequeueJson {
                requeued: report.requeued.iter().map(|id| id.0).collect(),
                refused: report
                    .refused
                    .iter()
                    .map(|(id, r)| RefusedJson {
                        id: id.0,
                        reason: reason(*r).0,
                    })
                    .collect(),
            },
        )?;
    } else {
        if !report.requeued.is_empty() {
            let ids: Vec<i64> = report.requeued.iter().map(|id| id.0).collect();
            writeln!(
                out,
                "Put back in the queue: {} ({}).",
                count(ids.len() as u64, "operation", "operations"),
                id_list(&ids)
            )?;
        }
        for (id, refusal) in &report.refused {
            writeln!(out, "Not requeued: {id}: {}.", reason(*refusal).1)?;
        }
    }
    Ok(Status::partial_if(!report.refused.is_empty()))
}
