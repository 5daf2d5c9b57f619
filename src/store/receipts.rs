//! Receipts (διπλότυπα είσπραξης) and their cancellations: gapless numbers per
//! tenant, series and local year, assigned in the payment's transaction.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::batch::insert_rows;
use super::{Conn, Db, StoreError, StoreResult, Tx, counters, on_conn, on_pool};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptKind {
    Receipt,
    Cancellation,
}

impl ReceiptKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptKind::Receipt => "receipt",
            ReceiptKind::Cancellation => "cancellation",
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewReceipt<'a> {
    pub payment_id: Uuid,
    pub kind: ReceiptKind,
    /// "" for live tenants, "TEST-" for test tenants.
    pub series: &'a str,
    pub year: i32,
    pub amount_cents: i64,
    pub cancels_id: Option<Uuid>,
    pub refund_id: Option<Uuid>,
    pub token: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRecord {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub kind: String,
    pub series: String,
    pub year: i64,
    pub number: i64,
    pub amount_cents: i64,
    pub cancels_id: Option<Uuid>,
    pub token: String,
    pub issued_at: DateTime<Utc>,
}

impl ReceiptRecord {
    /// "TEST-2026/000042": what is printed and quoted on the phone.
    pub fn label(&self) -> String {
        format!("{}{}/{:06}", self.series, self.year, self.number)
    }
}

/// The counter behind one series and year.
pub fn counter_name(series: &str, year: i32) -> String {
    format!("receipt:{series}{year}")
}

const RECEIPT_COLS: [&str; 12] = [
    "tenant_id",
    "id",
    "payment_id",
    "kind",
    "series",
    "year",
    "number",
    "amount_cents",
    "cancels_id",
    "refund_id",
    "token",
    "issued_at",
];

pub async fn issue(tx: &mut Tx, tenant: Uuid, r: &NewReceipt<'_>, now: DateTime<Utc>) -> StoreResult<ReceiptRecord> {
    let mut issued = issue_all(tx, tenant, std::slice::from_ref(r), now).await?;
    issued.pop().ok_or(StoreError::NotFound)
}

/// Issues receipts in order, numbering each series and year from its counter
/// advanced once, with one insert; returns the records in the same order.
pub async fn issue_all(
    tx: &mut Tx,
    tenant: Uuid,
    receipts: &[NewReceipt<'_>],
    now: DateTime<Utc>,
) -> StoreResult<Vec<ReceiptRecord>> {
    let mut counters_needed: Vec<(String, usize)> = Vec::new();
    for r in receipts {
        let name = counter_name(r.series, r.year);
        match counters_needed.iter_mut().find(|(n, _)| *n == name) {
            Some((_, count)) => *count += 1,
            None => counters_needed.push((name, 1)),
        }
    }
    let mut numbers: Vec<(String, std::ops::RangeInclusive<i64>)> = Vec::with_capacity(counters_needed.len());
    for (name, count) in counters_needed {
        let range = counters::take(tx, tenant, &name, count).await?;
        numbers.push((name, range));
    }
    let mut records = Vec::with_capacity(receipts.len());
    for r in receipts {
        let name = counter_name(r.series, r.year);
        let number = numbers
            .iter_mut()
            .find(|(n, _)| *n == name)
            .and_then(|(_, range)| range.next())
            .ok_or_else(|| StoreError::Corrupt(format!("receipt counter {name}")))?;
        records.push((
            ReceiptRecord {
                id: Uuid::now_v7(),
                payment_id: r.payment_id,
                kind: r.kind.as_str().into(),
                series: r.series.into(),
                year: i64::from(r.year),
                number,
                amount_cents: r.amount_cents,
                cancels_id: r.cancels_id,
                token: r.token.into(),
                issued_at: now,
            },
            r.refund_id,
        ));
    }
    insert_rows!(tx, "receipts", RECEIPT_COLS, records, |q, r| q
        .bind(tenant)
        .bind(r.0.id)
        .bind(r.0.payment_id)
        .bind(&r.0.kind)
        .bind(&r.0.series)
        .bind(r.0.year)
        .bind(r.0.number)
        .bind(r.0.amount_cents)
        .bind(r.0.cancels_id)
        .bind(r.1)
        .bind(&r.0.token)
        .bind(now));
    Ok(records.into_iter().map(|(record, _)| record).collect())
}

type Row = (Uuid, Uuid, String, String, i64, i64, i64, Option<Uuid>, String, DateTime<Utc>);

fn to_record(r: Row) -> ReceiptRecord {
    ReceiptRecord {
        id: r.0,
        payment_id: r.1,
        kind: r.2,
        series: r.3,
        year: r.4,
        number: r.5,
        amount_cents: r.6,
        cancels_id: r.7,
        token: r.8,
        issued_at: r.9,
    }
}

/// The columns read, followed by the caller's clause: one constant per query.
macro_rules! select_receipt {
    ($rest:literal) => {
        concat!("select id, payment_id, kind, series, year, number, amount_cents, cancels_id, token, issued_at from receipts ", $rest)
    };
}

pub async fn by_token(db: &Db, tenant: Uuid, token: &str) -> StoreResult<Option<ReceiptRecord>> {
    const Q: &str = select_receipt!("where tenant_id = $1 and token = $2");
    let row: Option<Row> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).bind(token).fetch_optional(p).await)?;
    Ok(row.map(to_record))
}

/// Every receipt and cancellation of a payment, oldest first.
pub async fn of_payment(conn: Conn<'_>, tenant: Uuid, payment: Uuid) -> StoreResult<Vec<ReceiptRecord>> {
    const Q: &str = select_receipt!("where tenant_id = $1 and payment_id = $2 order by issued_at, number");
    let rows: Vec<Row> = on_conn!(conn, |c| sqlx::query_as(Q).bind(tenant).bind(payment).fetch_all(c).await)?;
    Ok(rows.into_iter().map(to_record).collect())
}

/// One debt's share of a payment, as a receipt prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptLine {
    pub rf: String,
    pub kind: String,
    pub fiscal_year: i64,
    pub revenue_code: Option<String>,
    pub description: String,
    pub principal_cents: i64,
    pub surcharge_cents: i64,
}

/// What the payment put on each debt, net of reversals.
pub async fn lines(db: &Db, tenant: Uuid, payment: Uuid) -> StoreResult<Vec<ReceiptLine>> {
    const Q: &str = "select d.rf, d.kind, cast(d.fiscal_year as bigint), d.revenue_code, d.description,
            cast(sum(a.principal_cents) as bigint), cast(sum(a.surcharge_cents) as bigint)
        from allocations a join debts d on d.tenant_id = a.tenant_id and d.id = a.debt_id
        where a.tenant_id = $1 and a.payment_id = $2
        group by d.id, d.rf, d.kind, d.fiscal_year, d.revenue_code, d.description, d.due_on
        order by d.due_on, d.id";
    type LineRow = (String, String, i64, Option<String>, String, i64, i64);
    let rows: Vec<LineRow> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).bind(payment).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| ReceiptLine {
            rf: r.0,
            kind: r.1,
            fiscal_year: r.2,
            revenue_code: r.3,
            description: r.4,
            principal_cents: r.5,
            surcharge_cents: r.6,
        })
        .collect())
}
