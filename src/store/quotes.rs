//! Quotes and their lines: what a citizen was offered, with the surcharges
//! locked as of the quote's date.

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::batch::{chunk_rows, placeholder_list};
use super::{Conn, StoreError, StoreResult, Tx, on_conn, on_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteLine {
    pub debt_id: Uuid,
    pub principal_due_cents: i64,
    pub surcharge_due_cents: i64,
    pub principal_pay_cents: i64,
    pub surcharge_pay_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuoteRecord {
    pub id: Uuid,
    pub party_id: Uuid,
    pub as_of: NaiveDate,
    pub amount_cents: i64,
    pub total_due_cents: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub lines: Vec<QuoteLine>,
}

pub async fn insert(tx: &mut Tx, tenant: Uuid, q: &QuoteRecord, token_hash: &str) -> StoreResult<()> {
    const QUOTE: &str = "insert into quotes (tenant_id, id, party_id, token_hash, as_of, amount_cents, total_due_cents,
        created_at, expires_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    const LINE: &str =
        "insert into quote_lines (tenant_id, quote_id, debt_id, principal_due_cents, surcharge_due_cents,
        principal_pay_cents, surcharge_pay_cents) values ($1, $2, $3, $4, $5, $6, $7)";
    on_tx!(tx, |c| sqlx::query(QUOTE)
        .bind(tenant)
        .bind(q.id)
        .bind(q.party_id)
        .bind(token_hash)
        .bind(q.as_of)
        .bind(q.amount_cents)
        .bind(q.total_due_cents)
        .bind(q.created_at)
        .bind(q.expires_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(StoreError::from_insert)?;
    // A quote has a handful of debts: one statement each is fine.
    for l in &q.lines {
        on_tx!(tx, |c| sqlx::query(LINE)
            .bind(tenant)
            .bind(q.id)
            .bind(l.debt_id)
            .bind(l.principal_due_cents)
            .bind(l.surcharge_due_cents)
            .bind(l.principal_pay_cents)
            .bind(l.surcharge_pay_cents)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
    }
    Ok(())
}

type QuoteRow = (Uuid, Uuid, NaiveDate, i64, i64, DateTime<Utc>, DateTime<Utc>);
type LineRow = (Uuid, i64, i64, i64, i64);

/// The columns read, followed by the caller's clause: one constant per query.
macro_rules! select_quote {
    ($rest:literal) => {
        concat!("select id, party_id, as_of, amount_cents, total_due_cents, created_at, expires_at from quotes ", $rest)
    };
}

async fn with_lines(mut conn: Conn<'_>, tenant: Uuid, row: Option<QuoteRow>) -> StoreResult<Option<QuoteRecord>> {
    const LINES: &str = "select debt_id, principal_due_cents, surcharge_due_cents, principal_pay_cents,
        surcharge_pay_cents from quote_lines where tenant_id = $1 and quote_id = $2 order by debt_id";
    let Some((id, party_id, as_of, amount_cents, total_due_cents, created_at, expires_at)) = row else {
        return Ok(None);
    };
    let lines: Vec<LineRow> = on_conn!(&mut conn, |c| sqlx::query_as(LINES).bind(tenant).bind(id).fetch_all(c).await)?;
    Ok(Some(QuoteRecord {
        id,
        party_id,
        as_of,
        amount_cents,
        total_due_cents,
        created_at,
        expires_at,
        lines: lines
            .into_iter()
            .map(|l| QuoteLine {
                debt_id: l.0,
                principal_due_cents: l.1,
                surcharge_due_cents: l.2,
                principal_pay_cents: l.3,
                surcharge_pay_cents: l.4,
            })
            .collect(),
    }))
}

pub async fn by_id(mut conn: Conn<'_>, tenant: Uuid, id: Uuid) -> StoreResult<Option<QuoteRecord>> {
    const Q: &str = select_quote!("where tenant_id = $1 and id = $2");
    let row: Option<QuoteRow> =
        on_conn!(&mut conn, |c| sqlx::query_as(Q).bind(tenant).bind(id).fetch_optional(c).await)?;
    with_lines(conn, tenant, row).await
}

pub async fn by_token(mut conn: Conn<'_>, tenant: Uuid, token_hash: &str) -> StoreResult<Option<QuoteRecord>> {
    const Q: &str = select_quote!("where tenant_id = $1 and token_hash = $2");
    let row: Option<QuoteRow> =
        on_conn!(&mut conn, |c| sqlx::query_as(Q).bind(tenant).bind(token_hash).fetch_optional(c).await)?;
    with_lines(conn, tenant, row).await
}

/// For each of the quotes `ids`: its date and its debts, for booking the
/// payments made on them.
pub async fn debts_of(
    mut conn: Conn<'_>,
    tenant: Uuid,
    ids: &[Uuid],
) -> StoreResult<std::collections::HashMap<Uuid, (NaiveDate, Vec<Uuid>)>> {
    let mut out: std::collections::HashMap<Uuid, (NaiveDate, Vec<Uuid>)> = std::collections::HashMap::new();
    let dialect = conn.dialect();
    for chunk in ids.chunks(chunk_rows(dialect, 1)) {
        let sql = format!(
            "select q.id, q.as_of, l.debt_id from quotes q
             left join quote_lines l on l.tenant_id = q.tenant_id and l.quote_id = q.id
             where q.tenant_id = {} and q.id in ({}) order by q.id, l.debt_id",
            placeholder_list(dialect, 1, 1),
            placeholder_list(dialect, 2, chunk.len())
        );
        let rows: Vec<(Uuid, NaiveDate, Option<Uuid>)> = on_conn!(&mut conn, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(tenant);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        for (id, as_of, debt) in rows {
            let entry = out.entry(id).or_insert_with(|| (as_of, Vec::new()));
            entry.1.extend(debt);
        }
    }
    Ok(out)
}
