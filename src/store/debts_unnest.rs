//! The PostgreSQL fork of the bulk inserts: one statement per ten thousand
//! rows, each column bound as one array and spread by `unnest`, instead of a
//! VALUES list of tens of thousands of parameters that the server must parse.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use super::debts::{NewDebt, NewParty};
use super::{StoreError, StoreResult};

const ROWS: usize = 10_000;

type PgTx = sqlx::Transaction<'static, sqlx::Postgres>;

async fn run(
    c: &mut PgConnection,
    q: sqlx::query::Query<'_, sqlx::Postgres, sqlx::postgres::PgArguments>,
) -> StoreResult<()> {
    q.execute(c).await.map_err(StoreError::from_insert)?;
    Ok(())
}

pub async fn insert_parties(t: &mut PgTx, tenant: Uuid, parties: &[NewParty], now: DateTime<Utc>) -> StoreResult<()> {
    const Q: &str = "insert into parties (tenant_id, id, source_id, kind, tax_country, tax_id, tax_id_flagged, name, address,
            email, identity_hash, details_hash, created_at)
        select $1, u.*, $2 from unnest($3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bool[], $9::text[],
            $10::text[], $11::text[], $12::text[], $13::text[])
        as u(id, source_id, kind, tax_country, tax_id, tax_id_flagged, name, address, email, identity_hash, details_hash)";
    for chunk in parties.chunks(ROWS) {
        let col = |f: fn(&NewParty) -> String| chunk.iter().map(f).collect::<Vec<String>>();
        let q = sqlx::query(Q)
            .bind(tenant)
            .bind(now)
            .bind(chunk.iter().map(|p| p.id).collect::<Vec<_>>())
            .bind(col(|p| p.source_id.clone()))
            .bind(col(|p| p.kind.to_string()))
            .bind(col(|p| p.tax_country.to_string()))
            .bind(chunk.iter().map(|p| p.tax_id.clone()).collect::<Vec<Option<String>>>())
            .bind(chunk.iter().map(|p| p.tax_id_flagged).collect::<Vec<bool>>())
            .bind(col(|p| p.name.clone()))
            .bind(col(|p| p.address.clone()))
            .bind(chunk.iter().map(|p| p.email.clone()).collect::<Vec<Option<String>>>())
            .bind(col(|p| p.identity_hash.clone()))
            .bind(col(|p| p.details_hash.clone()));
        run(&mut *t, q).await?;
    }
    Ok(())
}

pub async fn insert_debts(
    t: &mut PgTx,
    tenant: Uuid,
    roll: Uuid,
    debts: &[NewDebt],
    now: DateTime<Utc>,
) -> StoreResult<()> {
    const Q: &str = "insert into debts (tenant_id, roll_id, created_at, id, party_id, source_id, kind, fiscal_year,
            revenue_code, property_id, description, principal_cents, assessed_on, due_on, rf, content_hash)
        select $1, $2, $3, u.* from unnest($4::uuid[], $5::uuid[], $6::text[], $7::text[], $8::int8[], $9::text[],
            $10::text[], $11::text[], $12::int8[], $13::date[], $14::date[], $15::text[], $16::text[])
        as u(id, party_id, source_id, kind, fiscal_year, revenue_code, property_id, description, principal_cents,
            assessed_on, due_on, rf, content_hash)";
    const DIRECTORY: &str = "insert into rf_directory (tenant_id, rf, debt_id)
        select $1, u.rf, u.debt_id from unnest($2::text[], $3::uuid[]) as u(rf, debt_id)";
    for chunk in debts.chunks(ROWS) {
        let col = |f: fn(&NewDebt) -> String| chunk.iter().map(f).collect::<Vec<String>>();
        let opt = |f: fn(&NewDebt) -> Option<String>| chunk.iter().map(f).collect::<Vec<Option<String>>>();
        let q = sqlx::query(Q)
            .bind(tenant)
            .bind(roll)
            .bind(now)
            .bind(chunk.iter().map(|d| d.id).collect::<Vec<_>>())
            .bind(chunk.iter().map(|d| d.party_id).collect::<Vec<_>>())
            .bind(col(|d| d.source_id.clone()))
            .bind(col(|d| d.kind.to_string()))
            .bind(chunk.iter().map(|d| i64::from(d.fiscal_year)).collect::<Vec<i64>>())
            .bind(opt(|d| d.revenue_code.clone()))
            .bind(opt(|d| d.property_id.clone()))
            .bind(col(|d| d.description.clone()))
            .bind(chunk.iter().map(|d| d.principal_cents).collect::<Vec<i64>>())
            .bind(chunk.iter().map(|d| d.assessed_on).collect::<Vec<_>>())
            .bind(chunk.iter().map(|d| d.due_on).collect::<Vec<_>>())
            .bind(col(|d| d.rf.clone()))
            .bind(col(|d| d.content_hash.clone()));
        run(&mut *t, q).await?;
        let ids: Vec<Uuid> = chunk.iter().map(|d| d.id).collect();
        run(&mut *t, sqlx::query(DIRECTORY).bind(tenant).bind(col(|d| d.rf.clone())).bind(ids)).await?;
    }
    Ok(())
}
