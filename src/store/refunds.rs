//! Refunds of card payments, and what a payment still has applied that a
//! refund (or a dispute) can take back.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::{Conn, Db, StoreError, StoreResult, Tx, on_conn, on_pool, on_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRecord {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount_cents: i64,
    /// `pending` (reserved, the provider not yet sure), `succeeded` or `failed`.
    pub status: String,
    pub provider_ref: Option<String>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

type Row = (Uuid, Uuid, i64, String, Option<String>, String, DateTime<Utc>);

fn to_record(r: Row) -> RefundRecord {
    RefundRecord {
        id: r.0,
        payment_id: r.1,
        amount_cents: r.2,
        status: r.3,
        provider_ref: r.4,
        reason: r.5,
        created_at: r.6,
    }
}

pub async fn insert(tx: &mut Tx, tenant: Uuid, r: &RefundRecord) -> StoreResult<()> {
    const Q: &str = "insert into refunds (tenant_id, id, payment_id, amount_cents, status, provider_ref, reason,
        created_at) values ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(r.id)
        .bind(r.payment_id)
        .bind(r.amount_cents)
        .bind(&r.status)
        .bind(&r.provider_ref)
        .bind(&r.reason)
        .bind(r.created_at)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))
    .map_err(StoreError::from_insert)?;
    Ok(())
}

pub async fn set_status(
    tx: &mut Tx,
    tenant: Uuid,
    id: Uuid,
    status: &str,
    provider_ref: Option<&str>,
) -> StoreResult<()> {
    const Q: &str = "update refunds set status = $3, provider_ref = coalesce($4, provider_ref)
        where tenant_id = $1 and id = $2";
    on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(id)
        .bind(status)
        .bind(provider_ref)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    Ok(())
}

/// The columns read, followed by the caller's clause: one constant per query.
macro_rules! select_refund {
    ($rest:literal) => {
        concat!("select id, payment_id, amount_cents, status, provider_ref, reason, created_at from refunds ", $rest)
    };
}

pub async fn by_id(tx: &mut Tx, tenant: Uuid, id: Uuid) -> StoreResult<Option<RefundRecord>> {
    const Q: &str = select_refund!("where tenant_id = $1 and id = $2");
    let row: Option<Row> = on_tx!(tx, |c| sqlx::query_as(Q).bind(tenant).bind(id).fetch_optional(c).await)?;
    Ok(row.map(to_record))
}

/// Refunds the provider has not confirmed yet, oldest first (the worker
/// asks again with the same idempotency key).
pub async fn pending(db: &Db, limit: i64) -> StoreResult<Vec<(Uuid, RefundRecord)>> {
    const Q: &str = "select tenant_id, id, payment_id, amount_cents, status, provider_ref, reason, created_at
        from refunds where status = 'pending' order by created_at limit $1";
    type PendingRow = (Uuid, Uuid, Uuid, i64, String, Option<String>, String, DateTime<Utc>);
    let rows: Vec<PendingRow> = on_pool!(db, |p| sqlx::query_as(Q).bind(limit).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|r| (r.0, to_record((r.1, r.2, r.3, r.4, r.5, r.6, r.7)))).collect())
}

/// What refunds have taken or reserved from a payment: every refund not failed.
pub async fn reserved(conn: Conn<'_>, tenant: Uuid, payment: Uuid) -> StoreResult<i64> {
    const Q: &str = "select cast(coalesce(sum(amount_cents), 0) as bigint) from refunds
        where tenant_id = $1 and payment_id = $2 and status <> 'failed'";
    Ok(on_conn!(conn, |c| sqlx::query_scalar(Q).bind(tenant).bind(payment).fetch_one(c).await)?)
}

/// One allocation of a payment net of its reversals, in the order applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedRow {
    pub allocation_id: Uuid,
    pub debt_id: Uuid,
    pub principal_cents: i64,
    pub surcharge_cents: i64,
    pub paid_on: NaiveDate,
}

pub async fn applied(tx: &mut Tx, tenant: Uuid, payment: Uuid) -> StoreResult<Vec<AppliedRow>> {
    const Q: &str = "select a.id, a.debt_id,
            cast(a.principal_cents + coalesce(sum(r.principal_cents), 0) as bigint),
            cast(a.surcharge_cents + coalesce(sum(r.surcharge_cents), 0) as bigint),
            a.paid_on
        from allocations a
        left join allocations r on r.tenant_id = a.tenant_id and r.reverses_id = a.id
        where a.tenant_id = $1 and a.payment_id = $2 and a.reverses_id is null
        group by a.id, a.debt_id, a.principal_cents, a.surcharge_cents, a.paid_on, a.created_at
        order by a.created_at, a.id";
    let rows: Vec<(Uuid, Uuid, i64, i64, NaiveDate)> =
        on_tx!(tx, |c| sqlx::query_as(Q).bind(tenant).bind(payment).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|r| AppliedRow {
            allocation_id: r.0,
            debt_id: r.1,
            principal_cents: r.2,
            surcharge_cents: r.3,
            paid_on: r.4,
        })
        .collect())
}

/// The credit a payment left that is still the party's, inside `tx`.
pub async fn credit_left(tx: &mut Tx, tenant: Uuid, payment: Uuid) -> StoreResult<i64> {
    const Q: &str = "select cast(coalesce(sum(amount_cents), 0) as bigint) from credit_movements
        where tenant_id = $1 and payment_id = $2";
    Ok(on_tx!(tx, |c| sqlx::query_scalar(Q).bind(tenant).bind(payment).fetch_one(c).await)?)
}

/// A dispute as Tameio recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeRecord {
    pub id: String,
    pub payment_id: Uuid,
    pub amount_cents: i64,
    /// What was taken back off the debts when it opened.
    pub taken_cents: i64,
    pub status: String,
}

pub async fn insert_dispute(tx: &mut Tx, tenant: Uuid, d: &DisputeRecord, now: DateTime<Utc>) -> StoreResult<()> {
    const Q: &str = "insert into disputes (tenant_id, id, payment_id, amount_cents, taken_cents, status, created_at)
        values ($1, $2, $3, $4, $5, $6, $7)";
    on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(&d.id)
        .bind(d.payment_id)
        .bind(d.amount_cents)
        .bind(d.taken_cents)
        .bind(&d.status)
        .bind(now)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))
    .map_err(StoreError::from_insert)?;
    Ok(())
}

pub async fn dispute(tx: &mut Tx, tenant: Uuid, id: &str) -> StoreResult<Option<DisputeRecord>> {
    const Q: &str =
        "select id, payment_id, amount_cents, taken_cents, status from disputes where tenant_id = $1 and id = $2";
    let row: Option<(String, Uuid, i64, i64, String)> =
        on_tx!(tx, |c| sqlx::query_as(Q).bind(tenant).bind(id).fetch_optional(c).await)?;
    Ok(row.map(|r| DisputeRecord { id: r.0, payment_id: r.1, amount_cents: r.2, taken_cents: r.3, status: r.4 }))
}

pub async fn close_dispute(tx: &mut Tx, tenant: Uuid, id: &str, status: &str, now: DateTime<Utc>) -> StoreResult<()> {
    const Q: &str = "update disputes set status = $3, closed_at = $4 where tenant_id = $1 and id = $2";
    on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(id)
        .bind(status)
        .bind(now)
        .execute(c)
        .await
        .map(|x| x.rows_affected()))?;
    Ok(())
}
