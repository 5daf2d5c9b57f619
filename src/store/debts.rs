//! Parties and debts: bulk inserts for debt rolls, the RF directory, and the
//! reads behind lookups, lists and notices.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use super::batch::{chunk_rows, insert_sql, placeholder_list};
use super::debts_unnest as unnest;
use super::{Conn, Db, StoreError, StoreResult, Tx, on_conn, on_pool, on_tx};

/// A party to insert.
#[derive(Debug, Clone)]
pub struct NewParty {
    pub id: Uuid,
    pub source_id: String,
    pub kind: &'static str,
    pub tax_country: &'static str,
    pub tax_id: Option<String>,
    pub tax_id_flagged: bool,
    pub name: String,
    pub address: String,
    pub email: Option<String>,
    pub identity_hash: String,
    pub details_hash: String,
}

/// A debt to insert.
#[derive(Debug, Clone)]
pub struct NewDebt {
    pub id: Uuid,
    pub party_id: Uuid,
    pub source_id: String,
    pub kind: &'static str,
    pub fiscal_year: i32,
    pub revenue_code: Option<String>,
    pub property_id: Option<String>,
    pub description: String,
    pub principal_cents: i64,
    pub assessed_on: NaiveDate,
    pub due_on: NaiveDate,
    pub rf: String,
    pub content_hash: String,
}

/// Locks the tenant row for a bulk change (PostgreSQL; SQLite already holds
/// the write lock). It comes first in the lock order: tenant, party, counters,
/// audit head.
pub async fn lock_tenant(tx: &mut Tx, tenant: Uuid) -> StoreResult<()> {
    const POSTGRES: &str = "select id from tenants where id = $1 for update";
    if let Tx::Postgres(t) = tx {
        sqlx::query(POSTGRES).bind(tenant).execute(&mut **t).await?;
    }
    Ok(())
}

/// source_id -> content hash of every debt of the tenant.
pub async fn debt_hashes(tx: &mut Tx, tenant: Uuid) -> StoreResult<HashMap<String, String>> {
    const Q: &str = "select source_id, content_hash from debts where tenant_id = $1";
    let rows: Vec<(String, String)> = on_tx!(tx, |c| sqlx::query_as(Q).bind(tenant).fetch_all(c).await)?;
    Ok(rows.into_iter().collect())
}

/// A stored party as a debt roll compares with it.
#[derive(Debug, Clone)]
pub struct StoredParty {
    pub id: Uuid,
    pub identity_hash: String,
    pub details_hash: String,
}

/// source_id -> the stored party, for every party of the tenant.
pub async fn party_hashes(tx: &mut Tx, tenant: Uuid) -> StoreResult<HashMap<String, StoredParty>> {
    const Q: &str = "select source_id, id, identity_hash, details_hash from parties where tenant_id = $1";
    let rows: Vec<(String, Uuid, String, String)> = on_tx!(tx, |c| sqlx::query_as(Q).bind(tenant).fetch_all(c).await)?;
    Ok(rows
        .into_iter()
        .map(|(s, id, identity_hash, details_hash)| (s, StoredParty { id, identity_hash, details_hash }))
        .collect())
}

/// Which of `rfs` are already taken on the platform.
pub async fn taken_rfs(tx: &mut Tx, rfs: &[&str]) -> StoreResult<HashSet<String>> {
    let mut taken = HashSet::new();
    for chunk in rfs.chunks(chunk_rows(tx.dialect(), 1)) {
        let sql =
            format!("select rf from rf_directory where rf in ({})", placeholder_list(tx.dialect(), 1, chunk.len()));
        let found: Vec<String> = on_tx!(tx, |c| {
            let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.clone()));
            for rf in chunk {
                q = q.bind(*rf);
            }
            q.fetch_all(c).await
        })?;
        taken.extend(found);
    }
    Ok(taken)
}

/// The record of one accepted debt-roll file.
#[derive(Debug, Clone)]
pub struct NewRoll<'a> {
    pub id: Uuid,
    pub file_sha256: &'a str,
    pub file_name: &'a str,
    pub rows_total: i64,
    pub rows_new: i64,
    pub actor: &'a str,
}

pub async fn insert_roll(tx: &mut Tx, tenant: Uuid, r: &NewRoll<'_>, now: DateTime<Utc>) -> StoreResult<()> {
    const Q: &str =
        "insert into debt_rolls (tenant_id, id, file_sha256, file_name, rows_total, rows_new, actor, created_at)
        values ($1, $2, $3, $4, $5, $6, $7, $8)";
    on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(r.id)
        .bind(r.file_sha256)
        .bind(r.file_name)
        .bind(r.rows_total)
        .bind(r.rows_new)
        .bind(r.actor)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

const PARTY_COLS: [&str; 13] = [
    "tenant_id",
    "id",
    "source_id",
    "kind",
    "tax_country",
    "tax_id",
    "tax_id_flagged",
    "name",
    "address",
    "email",
    "identity_hash",
    "details_hash",
    "created_at",
];

pub async fn insert_parties(tx: &mut Tx, tenant: Uuid, parties: &[NewParty], now: DateTime<Utc>) -> StoreResult<()> {
    if let Tx::Postgres(t) = tx {
        return unnest::insert_parties(t, tenant, parties, now).await;
    }
    for chunk in parties.chunks(chunk_rows(tx.dialect(), PARTY_COLS.len())) {
        let sql = insert_sql(tx.dialect(), "parties", &PARTY_COLS, chunk.len());
        on_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for p in chunk {
                q = q
                    .bind(tenant)
                    .bind(p.id)
                    .bind(&p.source_id)
                    .bind(p.kind)
                    .bind(p.tax_country)
                    .bind(p.tax_id.as_deref())
                    .bind(p.tax_id_flagged)
                    .bind(&p.name)
                    .bind(&p.address)
                    .bind(p.email.as_deref())
                    .bind(&p.identity_hash)
                    .bind(&p.details_hash)
                    .bind(now);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })
        .map_err(StoreError::from_insert)?;
    }
    Ok(())
}

const DEBT_COLS: [&str; 16] = [
    "tenant_id",
    "id",
    "party_id",
    "roll_id",
    "source_id",
    "kind",
    "fiscal_year",
    "revenue_code",
    "property_id",
    "description",
    "principal_cents",
    "assessed_on",
    "due_on",
    "rf",
    "content_hash",
    "created_at",
];

pub async fn insert_debts(
    tx: &mut Tx,
    tenant: Uuid,
    roll: Uuid,
    debts: &[NewDebt],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if let Tx::Postgres(t) = tx {
        return unnest::insert_debts(t, tenant, roll, debts, now).await;
    }
    for chunk in debts.chunks(chunk_rows(tx.dialect(), DEBT_COLS.len())) {
        let sql = insert_sql(tx.dialect(), "debts", &DEBT_COLS, chunk.len());
        on_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for d in chunk {
                q = q
                    .bind(tenant)
                    .bind(d.id)
                    .bind(d.party_id)
                    .bind(roll)
                    .bind(&d.source_id)
                    .bind(d.kind)
                    .bind(i64::from(d.fiscal_year))
                    .bind(d.revenue_code.as_deref())
                    .bind(d.property_id.as_deref())
                    .bind(&d.description)
                    .bind(d.principal_cents)
                    .bind(d.assessed_on)
                    .bind(d.due_on)
                    .bind(&d.rf)
                    .bind(&d.content_hash)
                    .bind(now);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })
        .map_err(StoreError::from_insert)?;
        let sql = insert_sql(tx.dialect(), "rf_directory", &["rf", "tenant_id", "debt_id"], chunk.len());
        on_tx!(tx, |c| {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for d in chunk {
                q = q.bind(&d.rf).bind(tenant).bind(d.id);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })
        .map_err(StoreError::from_insert)?;
    }
    Ok(())
}

/// A debt with what has been paid on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebtRecord {
    pub id: Uuid,
    pub party_id: Uuid,
    pub source_id: String,
    pub kind: String,
    pub fiscal_year: i32,
    pub revenue_code: Option<String>,
    pub property_id: Option<String>,
    pub description: String,
    pub principal_cents: i64,
    pub assessed_on: NaiveDate,
    pub due_on: NaiveDate,
    pub rf: String,
    pub principal_paid_cents: i64,
    pub surcharge_paid_cents: i64,
}

/// The debt columns with the paid sums, followed by the caller's clause.
macro_rules! select_debt {
    ($rest:literal) => {
        concat!(
            "select d.id, d.party_id, d.source_id, d.kind, d.fiscal_year, d.revenue_code, d.property_id, d.description,
                d.principal_cents, d.assessed_on, d.due_on, d.rf,
                cast(coalesce((select sum(a.principal_cents) from allocations a where a.tenant_id = d.tenant_id and a.debt_id = d.id), 0) as bigint),
                cast(coalesce((select sum(a.surcharge_cents) from allocations a where a.tenant_id = d.tenant_id and a.debt_id = d.id), 0) as bigint)
             from debts d ",
            $rest
        )
    };
}

type DebtRow = (
    Uuid,
    Uuid,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
    String,
    i64,
    NaiveDate,
    NaiveDate,
    String,
    i64,
    i64,
);

fn to_record(r: DebtRow) -> StoreResult<DebtRecord> {
    Ok(DebtRecord {
        id: r.0,
        party_id: r.1,
        source_id: r.2,
        kind: r.3,
        fiscal_year: i32::try_from(r.4).map_err(|_| StoreError::Corrupt("fiscal year".into()))?,
        revenue_code: r.5,
        property_id: r.6,
        description: r.7,
        principal_cents: r.8,
        assessed_on: r.9,
        due_on: r.10,
        rf: r.11,
        principal_paid_cents: r.12,
        surcharge_paid_cents: r.13,
    })
}

/// The tenant an RF belongs to, from the platform directory.
pub async fn tenant_of_rf(db: &Db, rf: &str) -> StoreResult<Option<Uuid>> {
    const Q: &str = "select tenant_id from rf_directory where rf = $1";
    Ok(on_pool!(db, |p| sqlx::query_scalar(Q).bind(rf).fetch_optional(p).await)?)
}

pub async fn by_rf(db: &Db, tenant: Uuid, rf: &str) -> StoreResult<Option<DebtRecord>> {
    const Q: &str = select_debt!(
        "join rf_directory x on x.rf = $2 and x.tenant_id = d.tenant_id and x.debt_id = d.id where d.tenant_id = $1"
    );
    let row: Option<DebtRow> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).bind(rf).fetch_optional(p).await)?;
    row.map(to_record).transpose()
}

pub async fn by_id(conn: Conn<'_>, tenant: Uuid, id: Uuid) -> StoreResult<Option<DebtRecord>> {
    const Q: &str = select_debt!("where d.tenant_id = $1 and d.id = $2");
    let row: Option<DebtRow> = on_conn!(conn, |c| sqlx::query_as(Q).bind(tenant).bind(id).fetch_optional(c).await)?;
    row.map(to_record).transpose()
}

pub async fn by_party(conn: Conn<'_>, tenant: Uuid, party: Uuid) -> StoreResult<Vec<DebtRecord>> {
    const Q: &str = select_debt!("where d.tenant_id = $1 and d.party_id = $2 order by d.due_on, d.id");
    let rows: Vec<DebtRow> = on_conn!(conn, |c| sqlx::query_as(Q).bind(tenant).bind(party).fetch_all(c).await)?;
    rows.into_iter().map(to_record).collect()
}

/// The debts of several parties, each party's in `by_party`'s order.
pub async fn by_parties(
    mut conn: Conn<'_>,
    tenant: Uuid,
    parties: &[Uuid],
) -> StoreResult<HashMap<Uuid, Vec<DebtRecord>>> {
    let mut out: HashMap<Uuid, Vec<DebtRecord>> = HashMap::new();
    for chunk in parties.chunks(chunk_rows(conn.dialect(), 1)) {
        let tenant_param = placeholder_list(conn.dialect(), 1, 1);
        let list = placeholder_list(conn.dialect(), 2, chunk.len());
        let sql = format!(
            "{} where d.tenant_id = {tenant_param} and d.party_id in ({list}) order by d.due_on, d.id",
            select_debt!("")
        );
        let rows: Vec<DebtRow> = on_conn!(&mut conn, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(tenant);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        for row in rows {
            let debt = to_record(row)?;
            out.entry(debt.party_id).or_default().push(debt);
        }
    }
    Ok(out)
}

/// Filters of the debts list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct DebtFilter {
    pub tax_id: Option<String>,
    pub kind: Option<String>,
    /// `open`: principal not fully paid; `paid`: fully paid.
    pub open: Option<bool>,
}

/// A page of the tenant's debts ordered by (due_on, id), after a cursor.
pub async fn list(
    db: &Db,
    tenant: Uuid,
    f: &DebtFilter,
    after: Option<(NaiveDate, Uuid)>,
    limit: i64,
) -> StoreResult<Vec<DebtRecord>> {
    const Q: &str = select_debt!(
        "join parties p on p.tenant_id = d.tenant_id and p.id = d.party_id
         where d.tenant_id = $1
           and ($2 is null or p.tax_id = $2)
           and ($3 is null or d.kind = $3)
           and ($4 is null or d.due_on > $4 or (d.due_on = $4 and d.id > $5))
           and ($6 is null or ($6 = (coalesce((select sum(a.principal_cents) from allocations a
                 where a.tenant_id = d.tenant_id and a.debt_id = d.id), 0) < d.principal_cents)))
         order by d.due_on, d.id limit $7"
    );
    let (after_due, after_id) = (after.map(|a| a.0), after.map(|a| a.1));
    let rows: Vec<DebtRow> = on_pool!(db, |p| sqlx::query_as(Q)
        .bind(tenant)
        .bind(f.tax_id.as_deref())
        .bind(f.kind.as_deref())
        .bind(after_due)
        .bind(after_id)
        .bind(f.open)
        .bind(limit)
        .fetch_all(p)
        .await)?;
    rows.into_iter().map(to_record).collect()
}

/// A party as notices and lookups need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyRecord {
    pub id: Uuid,
    pub source_id: String,
    pub kind: String,
    pub tax_country: String,
    pub tax_id: Option<String>,
    pub name: String,
    pub address: String,
    pub email: Option<String>,
}

pub async fn party(db: &Db, tenant: Uuid, id: Uuid) -> StoreResult<Option<PartyRecord>> {
    const Q: &str = "select id, source_id, kind, tax_country, tax_id, name, address, email from parties where tenant_id = $1 and id = $2";
    type Row = (Uuid, String, String, String, Option<String>, String, String, Option<String>);
    let row: Option<Row> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).bind(id).fetch_optional(p).await)?;
    Ok(row.map(|r| PartyRecord {
        id: r.0,
        source_id: r.1,
        kind: r.2,
        tax_country: r.3,
        tax_id: r.4,
        name: r.5,
        address: r.6,
        email: r.7,
    }))
}

/// Principal paid on each debt, netted per date (a reversal carries the date
/// of the allocation it undoes), for the surcharge rule.
pub async fn principal_payments(
    mut conn: Conn<'_>,
    tenant: Uuid,
    debt_ids: &[Uuid],
) -> StoreResult<HashMap<Uuid, Vec<(i64, NaiveDate)>>> {
    let mut out: HashMap<Uuid, Vec<(i64, NaiveDate)>> = HashMap::new();
    let rows_per = chunk_rows(conn.dialect(), 1);
    for chunk in debt_ids.chunks(rows_per) {
        let tenant_param = placeholder_list(conn.dialect(), 1, 1);
        let list = placeholder_list(conn.dialect(), 2, chunk.len());
        let sql = format!(
            "select debt_id, paid_on, cast(sum(principal_cents) as bigint) from allocations
             where tenant_id = {tenant_param} and debt_id in ({list}) group by debt_id, paid_on
             having sum(principal_cents) <> 0 order by debt_id, paid_on"
        );
        let rows: Vec<(Uuid, NaiveDate, i64)> = on_conn!(&mut conn, |c| {
            let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(tenant);
            for id in chunk {
                q = q.bind(*id);
            }
            q.fetch_all(c).await
        })?;
        for (id, on, cents) in rows {
            out.entry(id).or_default().push((cents, on));
        }
    }
    Ok(out)
}
