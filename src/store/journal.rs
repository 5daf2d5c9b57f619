//! Journal events with their lines and outbox rows, written in the same
//! transaction as the fact they record; and the cursor-paged feed.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{Db, StoreError, StoreResult, Tx, counters, on_pool, on_tx};
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

const INSERT_EVENT: &str = "insert into journal_events
    (tenant_id, seq, id, kind, occurred_at, business_date, livemode, subject)
    values ($1, $2, $3, $4, $5, $6, $7, $8)";
const LINE_COLS: [&str; 8] =
    ["tenant_id", "event_seq", "line_no", "account", "debit_cents", "credit_cents", "revenue_code", "debt_rf"];
const INSERT_OUTBOX: &str = "insert into outbox (tenant_id, event_seq, created_at) values ($1, $2, $3)";

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
    let ev = NewEvent { entry, occurred_at: now, business_date, livemode, subject };
    append(tx, tenant.id, &ev).await
}

/// Writes the event, its lines and its outbox row; returns the event's
/// gapless sequence number.
pub async fn append(tx: &mut Tx, tenant: Uuid, ev: &NewEvent<'_>) -> StoreResult<i64> {
    let seq = counters::next(tx, tenant, JOURNAL_COUNTER).await?;
    let at = super::truncate_micros(ev.occurred_at);
    on_tx!(tx, |c| sqlx::query(INSERT_EVENT)
        .bind(tenant)
        .bind(seq)
        .bind(Uuid::new_v4())
        .bind(ev.entry.kind().as_str())
        .bind(at)
        .bind(ev.business_date)
        .bind(ev.livemode)
        .bind(&ev.subject)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    // All lines in one statement: an event has a handful.
    let lines = ev.entry.lines();
    let sql = super::batch::insert_sql(tx.dialect(), "journal_lines", &LINE_COLS, lines.len());
    on_tx!(tx, |c| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (i, l) in lines.iter().enumerate() {
            q = q
                .bind(tenant)
                .bind(seq)
                .bind(i64::try_from(i + 1).unwrap_or(i64::MAX))
                .bind(l.account.as_str())
                .bind(l.debit.get())
                .bind(l.credit.get())
                .bind(l.revenue_code.as_deref())
                .bind(l.debt_rf.as_deref());
        }
        q.execute(c).await.map(|r| r.rows_affected())
    })?;
    on_tx!(tx, |c| sqlx::query(INSERT_OUTBOX)
        .bind(tenant)
        .bind(seq)
        .bind(at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(seq)
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
