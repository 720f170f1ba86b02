//! [`insert_planned`]: many planned events stored in one bucket, the way bulk writes
//! (`POST …/events`, imports) store them. Events without an id go in runs of
//! [`ROWS_PER_INSERT`] per `INSERT` statement: one statement per row spent a third of
//! an import opening cursors, seeking from the root and updating `sqlite_sequence`
//! for every row. Events with an id go one by one through [`events::insert_row`].
//!
//! What must stay true: ids are what single-row inserts would give. The table is
//! `AUTOINCREMENT`, so each new row gets one more than the largest id the table ever
//! had, row after row in `VALUES` order: a run's ids are the `n` ids ending at the
//! last inserted one.

use std::sync::LazyLock;

use aw_models::PlannedEvent;
use rusqlite::{Connection, ToSql};

use crate::error::Result;
use crate::events;

/// Rows per multi-row `INSERT` (4 parameters each, far below SQLite's limit).
const ROWS_PER_INSERT: usize = 64;

/// `INSERT OR FAIL`: a failing row keeps the rows before it instead of undoing them, so
/// SQLite needs no statement journal; a failure fails the whole bulk write anyway.
static INSERT_RUN: LazyLock<String> = LazyLock::new(|| {
    let values = vec!["(?, ?, ?, ?)"; ROWS_PER_INSERT].join(", ");
    format!("INSERT OR FAIL INTO events (bucketrow, starttime, endtime, data) VALUES {values}")
});

/// Stores `planned` in bucket `row`, in order, each with the text `data_of` gives,
/// and hands each stored event (with its id) to `stored`.
pub fn insert_planned<'d>(
    conn: &Connection,
    row: i64,
    planned: &[PlannedEvent],
    data_of: impl Fn(&PlannedEvent) -> &'d str,
    mut stored: impl FnMut(PlannedEvent),
) -> Result<()> {
    let mut rest = planned;
    while let Some(event) = rest.first() {
        let run = rest
            .iter()
            .take(ROWS_PER_INSERT)
            .take_while(|event| event.id().is_none())
            .count();
        if run == ROWS_PER_INSERT {
            let (head, tail) = rest.split_at(run);
            let last = insert_run(conn, row, head, &data_of)?;
            let first = last - i64::try_from(run).unwrap_or(0) + 1;
            for (id, event) in (first..=last).zip(head) {
                stored(event.with_id(id));
            }
            rest = tail;
        } else {
            events::check_explicit_id(event.id())?;
            let text = data_of(event);
            let id = events::insert_row(conn, row, event.id(), (event.start, event.end), text)?;
            stored(event.with_id(id));
            rest = rest.get(1..).unwrap_or_default();
        }
    }
    Ok(())
}

/// One `INSERT` of a full run; the last row's id.
fn insert_run<'d>(
    conn: &Connection,
    row: i64,
    run: &[PlannedEvent],
    data_of: &impl Fn(&PlannedEvent) -> &'d str,
) -> Result<i64> {
    let mut statement = conn.prepare_cached(&INSERT_RUN)?;
    let texts: Vec<&str> = run.iter().map(data_of).collect();
    let mut values: Vec<&dyn ToSql> = Vec::with_capacity(run.len() * 4);
    for (event, text) in run.iter().zip(&texts) {
        values.extend([&row as &dyn ToSql, &event.start, &event.end, text]);
    }
    statement.execute(values.as_slice())?;
    Ok(conn.last_insert_rowid())
}
