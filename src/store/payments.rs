//! Payments, their allocations onto debts, and party credit, written inside
//! the transaction that holds the party's lock.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::batch::{Dialect, chunk_rows, insert_rows, placeholder_list};
use super::{StoreError, StoreResult, Tx, on_tx};

/// Locks one party's row: every operation on a party's money takes it first
/// (after the tenant row, before counters and the audit head). On SQLite the
/// transaction already holds the write lock; the read still checks the party.
pub async fn lock_party(tx: &mut Tx, tenant: Uuid, party: Uuid) -> StoreResult<()> {
    lock_parties(tx, tenant, &[party]).await
}

/// Locks several parties' rows in id order (so two batches never wait on
/// each other in a cycle); `NotFound` unless every one exists.
pub async fn lock_parties(tx: &mut Tx, tenant: Uuid, parties: &[Uuid]) -> StoreResult<()> {
    let mut sorted = parties.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let dialect = tx.dialect();
    for chunk in sorted.chunks(chunk_rows(dialect, 1)) {
        let lock = if dialect == Dialect::Postgres { " for update" } else { "" };
        let sql = format!(
            "select id from parties where tenant_id = {} and id in ({}) order by id{lock}",
            placeholder_list(dialect, 1, 1),
            placeholder_list(dialect, 2, chunk.len())
        );
        let found: Vec<Uuid> = on_tx!(tx, |c| {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).bind(tenant);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        if found.len() != chunk.len() {
            return Err(StoreError::NotFound);
        }
    }
    Ok(())
}

#[derive(Debug, Clone)]
pub struct NewPayment<'a> {
    pub id: Uuid,
    pub party_id: Uuid,
    pub channel: &'a str,
    pub status: &'a str,
    pub amount_cents: i64,
    pub currency: &'a str,
    pub received_on: NaiveDate,
}

pub async fn insert_payment(tx: &mut Tx, tenant: Uuid, p: &NewPayment<'_>, now: DateTime<Utc>) -> StoreResult<()> {
    const Q: &str = "insert into payments (tenant_id, id, party_id, channel, status, amount_cents, currency, received_on, created_at)
        values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(p.id)
        .bind(p.party_id)
        .bind(p.channel)
        .bind(p.status)
        .bind(p.amount_cents)
        .bind(p.currency)
        .bind(p.received_on)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(StoreError::from_insert)?;
    Ok(())
}

/// One movement of money onto (or, negative, off) a debt.
#[derive(Debug, Clone)]
pub struct NewAllocation {
    pub id: Uuid,
    pub debt_id: Uuid,
    pub principal_cents: i64,
    pub surcharge_cents: i64,
    pub paid_on: NaiveDate,
    pub policy_version: i64,
    pub reverses_id: Option<Uuid>,
}

const ALLOCATION_COLS: [&str; 10] = [
    "tenant_id",
    "id",
    "payment_id",
    "debt_id",
    "principal_cents",
    "surcharge_cents",
    "paid_on",
    "policy_version",
    "reverses_id",
    "created_at",
];

pub async fn insert_allocations(
    tx: &mut Tx,
    tenant: Uuid,
    payment: Uuid,
    rows: &[NewAllocation],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let rows: Vec<(Uuid, &NewAllocation)> = rows.iter().map(|a| (payment, a)).collect();
    insert_allocations_of(tx, tenant, &rows, now).await
}

/// Allocations of several payments, each row with its payment, in one go.
pub async fn insert_allocations_of(
    tx: &mut Tx,
    tenant: Uuid,
    rows: &[(Uuid, &NewAllocation)],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    insert_rows!(tx, "allocations", ALLOCATION_COLS, rows, |q, r| q
        .bind(tenant)
        .bind(r.1.id)
        .bind(r.0)
        .bind(r.1.debt_id)
        .bind(r.1.principal_cents)
        .bind(r.1.surcharge_cents)
        .bind(r.1.paid_on)
        .bind(r.1.policy_version)
        .bind(r.1.reverses_id)
        .bind(now));
    Ok(())
}

/// A movement of a party's credit: positive when kept, negative when used.
#[derive(Debug, Clone)]
pub struct NewCredit<'a> {
    pub party_id: Uuid,
    pub payment_id: Option<Uuid>,
    pub amount_cents: i64,
    pub reason: &'a str,
}

const CREDIT_COLS: [&str; 7] = ["tenant_id", "id", "party_id", "payment_id", "amount_cents", "reason", "created_at"];

pub async fn insert_credit(
    tx: &mut Tx,
    tenant: Uuid,
    party: Uuid,
    payment: Option<Uuid>,
    amount_cents: i64,
    reason: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let credit = NewCredit { party_id: party, payment_id: payment, amount_cents, reason };
    insert_credits(tx, tenant, &[credit], now).await
}

pub async fn insert_credits(
    tx: &mut Tx,
    tenant: Uuid,
    credits: &[NewCredit<'_>],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    insert_rows!(tx, "credit_movements", CREDIT_COLS, credits, |q, r| q
        .bind(tenant)
        .bind(Uuid::new_v4())
        .bind(r.party_id)
        .bind(r.payment_id)
        .bind(r.amount_cents)
        .bind(r.reason)
        .bind(now));
    Ok(())
}

/// The credit a payment left that is still the party's (its overpayment, less
/// what refunds took back).
pub async fn credit_left_by(db: &super::Db, tenant: Uuid, payment: Uuid) -> StoreResult<i64> {
    const Q: &str = "select cast(coalesce(sum(amount_cents), 0) as bigint) from credit_movements
        where tenant_id = $1 and payment_id = $2";
    Ok(super::on_pool!(db, |p| sqlx::query_scalar(Q).bind(tenant).bind(payment).fetch_one(p).await)?)
}

/// A debt written off by an officer's decision.
#[derive(Debug, Clone)]
pub struct WriteOff {
    pub id: Uuid,
    pub debt_id: Uuid,
    pub principal_cents: i64,
    pub surcharge_cents: i64,
    pub written_on: NaiveDate,
}

pub async fn insert_write_off(
    tx: &mut Tx,
    tenant: Uuid,
    w: &WriteOff,
    reason: &str,
    decision: &str,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    const Q: &str =
        "insert into write_offs (tenant_id, id, debt_id, principal_cents, surcharge_cents, reason, decision,
        written_on, created_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(w.id)
        .bind(w.debt_id)
        .bind(w.principal_cents)
        .bind(w.surcharge_cents)
        .bind(reason)
        .bind(decision)
        .bind(w.written_on)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// How many payments the tenant has (the demo seeds its payments only once).
pub async fn count(db: &super::Db, tenant: Uuid) -> StoreResult<i64> {
    const Q: &str = "select count(*) from payments where tenant_id = $1";
    Ok(super::on_pool!(db, |p| sqlx::query_scalar(Q).bind(tenant).fetch_one(p).await)?)
}

/// The party's unused credit, per payment it came from, oldest first.
pub async fn credit_by_payment(tx: &mut Tx, tenant: Uuid, party: Uuid) -> StoreResult<Vec<(Uuid, i64)>> {
    const Q: &str = "select c.payment_id, cast(sum(c.amount_cents) as bigint) from credit_movements c
        join payments p on p.tenant_id = c.tenant_id and p.id = c.payment_id
        where c.tenant_id = $1 and c.party_id = $2
        group by c.payment_id, p.created_at having sum(c.amount_cents) > 0 order by p.created_at, c.payment_id";
    Ok(on_tx!(tx, |c| sqlx::query_as(Q).bind(tenant).bind(party).fetch_all(c).await)?)
}

/// The parties of a tenant that have unused credit.
pub async fn parties_with_credit(tx: &mut Tx, tenant: Uuid) -> StoreResult<std::collections::HashSet<Uuid>> {
    const Q: &str = "select party_id from credit_movements where tenant_id = $1
        group by party_id having sum(amount_cents) > 0";
    let rows: Vec<Uuid> = on_tx!(tx, |c| sqlx::query_scalar(Q).bind(tenant).fetch_all(c).await)?;
    Ok(rows.into_iter().collect())
}
