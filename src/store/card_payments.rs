//! Card payments: the payment row of a quote, its provider intent, and the
//! sandbox provider's own intents.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::batch::{chunk_rows, placeholder_list};
use super::{Conn, Db, StoreError, StoreResult, Tx, on_conn, on_pool, on_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardPayment {
    pub id: Uuid,
    pub party_id: Uuid,
    pub quote_id: Uuid,
    pub status: String,
    pub amount_cents: i64,
    pub currency: String,
    pub provider: String,
    pub provider_ref: Option<String>,
    pub received_on: NaiveDate,
    pub created_at: DateTime<Utc>,
}

type Row = (Uuid, Uuid, Option<Uuid>, String, i64, String, Option<String>, Option<String>, NaiveDate, DateTime<Utc>);

macro_rules! card_columns {
    () => {
        "select id, party_id, quote_id, status, amount_cents, currency, provider, provider_ref, received_on, created_at
         from payments "
    };
}

macro_rules! select_card {
    ($rest:literal) => {
        concat!(card_columns!(), "where tenant_id = $1 and channel = 'card' and ", $rest)
    };
}

fn to_payment(r: Row) -> StoreResult<CardPayment> {
    Ok(CardPayment {
        id: r.0,
        party_id: r.1,
        quote_id: r.2.ok_or_else(|| StoreError::Corrupt(format!("card payment {} has no quote", r.0)))?,
        status: r.3,
        amount_cents: r.4,
        currency: r.5,
        provider: r.6.ok_or_else(|| StoreError::Corrupt(format!("card payment {} has no provider", r.0)))?,
        provider_ref: r.7,
        received_on: r.8,
        created_at: r.9,
    })
}

/// Records the payment for a quote before the provider hears of it: its id is
/// the provider's idempotency key. A second payment for the same quote is a
/// `Conflict`.
pub async fn insert(
    tx: &mut Tx,
    tenant: Uuid,
    p: &CardPayment,
    livemode: bool,
    next_check_at: DateTime<Utc>,
) -> StoreResult<()> {
    const Q: &str = "insert into payments (tenant_id, id, party_id, channel, status, amount_cents, currency,
        received_on, created_at, quote_id, provider, livemode, next_check_at)
        values ($1, $2, $3, 'card', $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(p.id)
        .bind(p.party_id)
        .bind(&p.status)
        .bind(p.amount_cents)
        .bind(&p.currency)
        .bind(p.received_on)
        .bind(p.created_at)
        .bind(p.quote_id)
        .bind(&p.provider)
        .bind(livemode)
        .bind(next_check_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(StoreError::from_insert)?;
    Ok(())
}

pub async fn by_id(conn: Conn<'_>, tenant: Uuid, id: Uuid) -> StoreResult<Option<CardPayment>> {
    const Q: &str = select_card!("id = $2");
    let row: Option<Row> = on_conn!(conn, |c| sqlx::query_as(Q).bind(tenant).bind(id).fetch_optional(c).await)?;
    row.map(to_payment).transpose()
}

/// The card payments among `ids`, in no order.
pub async fn by_ids(conn: Conn<'_>, tenant: Uuid, ids: &[Uuid]) -> StoreResult<Vec<CardPayment>> {
    by_column_in(conn, tenant, "id", ids).await
}

/// The card payments whose intent is one of `refs`, in no order.
pub async fn by_provider_refs(db: &Db, tenant: Uuid, refs: &[&str]) -> StoreResult<Vec<CardPayment>> {
    by_column_in(Conn::Db(db), tenant, "provider_ref", refs).await
}

/// The card payments whose `column` is one of `values`.
async fn by_column_in<T>(
    mut conn: Conn<'_>,
    tenant: Uuid,
    column: &'static str,
    values: &[T],
) -> StoreResult<Vec<CardPayment>>
where
    T: for<'q> sqlx::Encode<'q, sqlx::Sqlite>
        + sqlx::Type<sqlx::Sqlite>
        + for<'q> sqlx::Encode<'q, sqlx::Postgres>
        + sqlx::Type<sqlx::Postgres>
        + Sync,
{
    let mut out = Vec::with_capacity(values.len());
    for chunk in values.chunks(chunk_rows(conn.dialect(), 1)) {
        // Generated placeholders throughout: SQLite's anonymous ones cannot follow a numbered one.
        let sql = format!(
            "{} where tenant_id = {} and channel = 'card' and {column} in ({})",
            card_columns!(),
            placeholder_list(conn.dialect(), 1, 1),
            placeholder_list(conn.dialect(), 2, chunk.len())
        );
        let rows: Vec<Row> = on_conn!(&mut conn, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant);
            for v in chunk {
                q = q.bind(v);
            }
            q.fetch_all(c).await
        })?;
        for row in rows {
            out.push(to_payment(row)?);
        }
    }
    Ok(out)
}

pub async fn by_quote(db: &Db, tenant: Uuid, quote: Uuid) -> StoreResult<Option<CardPayment>> {
    const Q: &str = select_card!("quote_id = $2");
    let row: Option<Row> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).bind(quote).fetch_optional(p).await)?;
    row.map(to_payment).transpose()
}

pub async fn by_provider_ref(db: &Db, tenant: Uuid, provider_ref: &str) -> StoreResult<Option<CardPayment>> {
    const Q: &str = select_card!("provider_ref = $2");
    let row: Option<Row> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).bind(provider_ref).fetch_optional(p).await)?;
    row.map(to_payment).transpose()
}

/// Pending card payments whose next re-check with the provider is due.
pub async fn due_checks(db: &Db, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<(Uuid, Uuid)>> {
    const Q: &str = "select tenant_id, id from payments
        where next_check_at <= $1 and channel = 'card' and status in ('created', 'awaiting_payment', 'processing')
        order by next_check_at limit $2";
    Ok(on_pool!(db, |p| sqlx::query_as(Q).bind(now).bind(limit).fetch_all(p).await)?)
}

/// When to ask the provider next; `None`: no more scheduled checks.
pub async fn set_next_check(db: &Db, tenant: Uuid, id: Uuid, at: Option<DateTime<Utc>>) -> StoreResult<()> {
    const Q: &str = "update payments set next_check_at = $3 where tenant_id = $1 and id = $2";
    on_pool!(db, |p| sqlx::query(Q).bind(tenant).bind(id).bind(at).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn set_provider_ref(tx: &mut Tx, tenant: Uuid, id: Uuid, provider_ref: &str) -> StoreResult<()> {
    const Q: &str = "update payments set provider_ref = $3 where tenant_id = $1 and id = $2";
    on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(id)
        .bind(provider_ref)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Moves every payment of `ids` still in `from` to `to` (compare and set),
/// setting `received_on` when given; returns the ids that moved. The caller
/// has checked the transition and writes the audit entries.
pub async fn set_statuses(
    tx: &mut Tx,
    tenant: Uuid,
    ids: &[Uuid],
    from: &str,
    to: &str,
    received_on: Option<NaiveDate>,
) -> StoreResult<Vec<Uuid>> {
    let mut moved = Vec::with_capacity(ids.len());
    let dialect = tx.dialect();
    for chunk in ids.chunks(chunk_rows(dialect, 1)) {
        // Placeholders in the order the values are bound (SQLite's are anonymous).
        let p = |i| placeholder_list(dialect, i, 1);
        let sql = format!(
            "update payments set status = {}, received_on = coalesce({}, received_on)
             where tenant_id = {} and status = {} and id in ({}) returning id",
            p(1),
            p(2),
            p(3),
            p(4),
            placeholder_list(dialect, 5, chunk.len())
        );
        let ids: Vec<Uuid> = on_tx!(tx, |c| {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(to).bind(received_on).bind(tenant).bind(from);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        moved.extend(ids);
    }
    Ok(moved)
}

// ---- The sandbox provider's side ----

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxIntent {
    pub id: String,
    pub payment_id: Uuid,
    pub amount_cents: i64,
    pub currency: String,
    pub status: String,
    pub last_error_code: Option<String>,
    pub client_secret: String,
}

type SandboxRow = (String, Uuid, i64, String, String, Option<String>, String);

fn to_sandbox(r: SandboxRow) -> SandboxIntent {
    SandboxIntent {
        id: r.0,
        payment_id: r.1,
        amount_cents: r.2,
        currency: r.3,
        status: r.4,
        last_error_code: r.5,
        client_secret: r.6,
    }
}

/// Creates the intent of `payment`, or returns the one it already has (the
/// payment id is the idempotency key, as at Stripe).
pub async fn sandbox_create(
    db: &Db,
    tenant: Uuid,
    i: &SandboxIntent,
    now: DateTime<Utc>,
) -> StoreResult<SandboxIntent> {
    const Q: &str = "insert into sandbox_intents (tenant_id, id, payment_id, amount_cents, currency, status,
        last_error_code, client_secret, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        on conflict (tenant_id, payment_id) do nothing";
    on_pool!(db, |p| sqlx::query(Q)
        .bind(tenant)
        .bind(&i.id)
        .bind(i.payment_id)
        .bind(i.amount_cents)
        .bind(&i.currency)
        .bind(&i.status)
        .bind(&i.last_error_code)
        .bind(&i.client_secret)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    const BY_PAYMENT: &str = "select id, payment_id, amount_cents, currency, status, last_error_code, client_secret
        from sandbox_intents where tenant_id = $1 and payment_id = $2";
    let row: SandboxRow =
        on_pool!(db, |p| sqlx::query_as(BY_PAYMENT).bind(tenant).bind(i.payment_id).fetch_one(p).await)?;
    Ok(to_sandbox(row))
}

pub async fn sandbox_get(db: &Db, tenant: Uuid, id: &str) -> StoreResult<Option<SandboxIntent>> {
    const Q: &str = "select id, payment_id, amount_cents, currency, status, last_error_code, client_secret
        from sandbox_intents where tenant_id = $1 and id = $2";
    let row: Option<SandboxRow> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).bind(id).fetch_optional(p).await)?;
    Ok(row.map(to_sandbox))
}

/// What a sandbox button does at the "provider": only an intent not yet final
/// changes, as at Stripe.
pub async fn sandbox_set(
    db: &Db,
    tenant: Uuid,
    id: &str,
    status: &str,
    last_error_code: Option<&str>,
) -> StoreResult<bool> {
    const Q: &str = "update sandbox_intents set status = $3, last_error_code = $4
        where tenant_id = $1 and id = $2 and status not in ('succeeded', 'canceled')";
    let n = on_pool!(db, |p| sqlx::query(Q)
        .bind(tenant)
        .bind(id)
        .bind(status)
        .bind(last_error_code)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(n > 0)
}

/// What an officer must look at: card payments the provider reported for
/// another amount (anomaly) or that are disputed, and refunds the provider
/// has not confirmed. Newest first.
pub async fn needing_attention(
    db: &Db,
    tenant: Uuid,
    limit: i64,
) -> StoreResult<Vec<(String, Uuid, i64, DateTime<Utc>)>> {
    const Q: &str = "select status, id, amount_cents, created_at from payments
            where tenant_id = $1 and channel = 'card' and status in ('anomaly', 'disputed')
        union all
        select 'refund_pending', payment_id, amount_cents, created_at from refunds
            where tenant_id = $1 and status = 'pending'
        order by 4 desc limit $2";
    Ok(on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).bind(limit).fetch_all(p).await)?)
}

/// The tenant's latest card payments that hold money (refundable ones), newest first.
pub async fn recent_paid(db: &Db, tenant: Uuid, limit: i64) -> StoreResult<Vec<CardPayment>> {
    const Q: &str =
        select_card!("status in ('succeeded', 'partially_refunded', 'dispute_won') order by created_at desc limit $2");
    let rows: Vec<Row> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).bind(limit).fetch_all(p).await)?;
    rows.into_iter().map(to_payment).collect()
}
