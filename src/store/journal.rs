//! Journal events with their lines and outbox rows, written in the same
//! transaction as the fact they record; and the cursor-paged feed.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::batch::insert_rows;
use super::{Db, StoreError, StoreResult, Tx, counters, on_pool};
use crate::domain::journal::{Account, EventKind, JournalEntry};
use crate::domain::money::Cents;

/// The counter row that numbers a tenant's journal events.
pub const JOURNAL_COUNTER: &str = "journal";

/// A journal event about to be written.
#[derive(Debug, Clone)]
pub struct NewEvent<'a> {
    pub entry: &'a JournalEntry,
    pub occurred_at: DateTime<Utc>,
    pub business_date: NaiveDate,
    pub livemode: bool,
    /// What the fact is about, e.g. `payment:<id>`.
    pub subject: String,
}

const EVENT_COLS: [&str; 8] = ["tenant_id", "seq", "id", "kind", "occurred_at", "business_date", "livemode", "subject"];
const LINE_COLS: [&str; 8] =
    ["tenant_id", "event_seq", "line_no", "account", "debit_cents", "credit_cents", "revenue_code", "debt_rf"];
const OUTBOX_COLS: [&str; 3] = ["tenant_id", "event_seq", "created_at"];

/// One entry to post, as of its business date, about `subject` (e.g. `payment:<id>`).
#[derive(Debug, Clone)]
pub struct Posting<'a> {
    pub entry: &'a JournalEntry,
    pub business_date: NaiveDate,
    pub subject: String,
}

/// Posts `entry` for `tenant` as of `business_date`, live or test by the
/// tenant's mode; returns the event's sequence number.
pub async fn post(
    tx: &mut Tx,
    tenant: &crate::domain::tenant::Tenant,
    entry: &JournalEntry,
    now: DateTime<Utc>,
    business_date: NaiveDate,
    subject: String,
) -> StoreResult<i64> {
    let livemode = tenant.mode == crate::domain::tenant::TenantMode::Live;
    append(tx, tenant.id, &NewEvent { entry, occurred_at: now, business_date, livemode, subject }).await
}

/// Posts several entries, numbered in the given order, with one statement
/// per table; returns their sequence numbers.
pub async fn post_all(
    tx: &mut Tx,
    tenant: &crate::domain::tenant::Tenant,
    postings: &[Posting<'_>],
    now: DateTime<Utc>,
) -> StoreResult<std::ops::RangeInclusive<i64>> {
    let livemode = tenant.mode == crate::domain::tenant::TenantMode::Live;
    let evs: Vec<NewEvent> = postings
        .iter()
        .map(|p| NewEvent {
            entry: p.entry,
            occurred_at: now,
            business_date: p.business_date,
            livemode,
            subject: p.subject.clone(),
        })
        .collect();
    append_all(tx, tenant.id, &evs).await
}

/// Writes one event with its lines and outbox row; returns its sequence number.
pub async fn append(tx: &mut Tx, tenant: Uuid, ev: &NewEvent<'_>) -> StoreResult<i64> {
    Ok(*append_all(tx, tenant, std::slice::from_ref(ev)).await?.start())
}

/// Writes the events, their lines and their outbox rows; returns the
/// events' gapless sequence numbers, in order.
pub async fn append_all(tx: &mut Tx, tenant: Uuid, evs: &[NewEvent<'_>]) -> StoreResult<std::ops::RangeInclusive<i64>> {
    let seqs = counters::take(tx, tenant, JOURNAL_COUNTER, evs.len()).await?;
    if evs.is_empty() {
        return Ok(seqs);
    }
    let numbered: Vec<(i64, &NewEvent)> = seqs.clone().zip(evs).collect();
    insert_rows!(tx, "journal_events", EVENT_COLS, numbered, |q, r| q
        .bind(tenant)
        .bind(r.0)
        .bind(Uuid::new_v4())
        .bind(r.1.entry.kind().as_str())
        .bind(super::truncate_micros(r.1.occurred_at))
        .bind(r.1.business_date)
        .bind(r.1.livemode)
        .bind(&r.1.subject));
    let lines: Vec<(i64, i64, &crate::domain::journal::JournalLine)> = numbered
        .iter()
        .flat_map(|(seq, ev)| {
            ev.entry.lines().iter().enumerate().map(|(i, l)| (*seq, i64::try_from(i + 1).unwrap_or(i64::MAX), l))
        })
        .collect();
    insert_rows!(tx, "journal_lines", LINE_COLS, lines, |q, r| q
        .bind(tenant)
        .bind(r.0)
        .bind(r.1)
        .bind(r.2.account.as_str())
        .bind(r.2.debit.get())
        .bind(r.2.credit.get())
        .bind(r.2.revenue_code.as_deref())
        .bind(r.2.debt_rf.as_deref()));
    insert_rows!(tx, "outbox", OUTBOX_COLS, numbered, |q, r| q
        .bind(tenant)
        .bind(r.0)
        .bind(super::truncate_micros(r.1.occurred_at)));
    Ok(seqs)
}

/// A stored event as the feed shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FeedEvent {
    pub seq: i64,
    pub id: Uuid,
    pub kind: EventKind,
    pub occurred_at: DateTime<Utc>,
    pub business_date: NaiveDate,
    pub livemode: bool,
    pub subject: String,
    pub lines: Vec<FeedLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FeedLine {
    pub account: Account,
    /// Decimal string, e.g. "12.30"; "0.00" on the other side.
    pub debit: String,
    pub credit: String,
    pub revenue_code: Option<String>,
    pub debt_rf: Option<String>,
}

type EventRow = (i64, Uuid, String, DateTime<Utc>, NaiveDate, bool, String);
type LineRow = (i64, String, i64, i64, Option<String>, Option<String>);

/// Events with `seq > after`, oldest first, at most `limit`.
pub async fn feed(db: &Db, tenant: Uuid, after: i64, limit: i64) -> StoreResult<Vec<FeedEvent>> {
    const EVENTS: &str = "select seq, id, kind, occurred_at, business_date, livemode, subject
        from journal_events where tenant_id = $1 and seq > $2 order by seq limit $3";
    const LINES: &str = "select event_seq, account, debit_cents, credit_cents, revenue_code, debt_rf
        from journal_lines where tenant_id = $1 and event_seq > $2 and event_seq <= $3
        order by event_seq, line_no";
    let events: Vec<EventRow> =
        on_pool!(db, |p| sqlx::query_as(EVENTS).bind(tenant).bind(after).bind(limit).fetch_all(p).await)?;
    let Some(last) = events.last().map(|e| e.0) else {
        return Ok(vec![]);
    };
    let lines: Vec<LineRow> =
        on_pool!(db, |p| sqlx::query_as(LINES).bind(tenant).bind(after).bind(last).fetch_all(p).await)?;
    let mut out = Vec::with_capacity(events.len());
    let mut lines = lines.into_iter().peekable();
    for (seq, id, kind, occurred_at, business_date, livemode, subject) in events {
        let kind = EventKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("event kind {kind}")))?;
        let mut ls = Vec::new();
        while let Some((_, account, dr, cr, revenue_code, debt_rf)) = lines.next_if(|l| l.0 == seq) {
            ls.push(FeedLine {
                account: Account::parse(&account).ok_or_else(|| StoreError::Corrupt(format!("account {account}")))?,
                debit: Cents::new(dr).to_api_string(),
                credit: Cents::new(cr).to_api_string(),
                revenue_code,
                debt_rf,
            });
        }
        out.push(FeedEvent { seq, id, kind, occurred_at, business_date, livemode, subject, lines: ls });
    }
    Ok(out)
}
