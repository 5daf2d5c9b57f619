//! Tenants, their collection accounts and revenue-code maps.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Db, StoreError, StoreResult, Tx, on_pool, on_tx};
use crate::domain::iban::{Bic, Iban};
use crate::domain::rf::RfPrefix;
use crate::domain::tenant::{Component, Policies, RevenueCode, Slug, Tenant, TenantMode, YearClass};

/// Everything needed to create a tenant; each field already valid.
#[derive(Debug, Clone)]
pub struct NewTenant {
    pub slug: Slug,
    pub name_el: String,
    pub name_en: String,
    pub creditor_name: String,
    pub iban: Iban,
    pub bic: Option<Bic>,
    pub rf_prefix: RfPrefix,
    pub time_zone: chrono_tz::Tz,
    pub mode: TenantMode,
    pub policies: Policies,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CollectionAccount {
    pub iban: String,
    pub bic: Option<String>,
}

const INSERT_TENANT: &str = "insert into tenants
    (id, slug, name_el, name_en, creditor_name, rf_prefix, time_zone, mode, policies, created_at)
    values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
const INSERT_ACCOUNT: &str = "insert into tenant_accounts (tenant_id, iban, bic, created_at) values ($1, $2, $3, $4)";
const INSERT_AUDIT_HEAD: &str = "insert into audit_heads (tenant_id, seq, hash) values ($1, 0, $2)";

/// Creates the tenant with its first collection account and an empty audit
/// chain. A taken slug is a `Conflict`, and so is an RF prefix that starts
/// another tenant's prefix or is started by one: RF references are matched by
/// prefix, so the prefixes must be prefix-free, not merely unique.
pub async fn create(tx: &mut Tx, t: &NewTenant, now: DateTime<Utc>) -> StoreResult<Uuid> {
    const CLASH: &str = "select count(*) from tenants
        where substr($1, 1, length(rf_prefix)) = rf_prefix or substr(rf_prefix, 1, length($1)) = $1";
    let clashes: i64 = on_tx!(tx, |c| sqlx::query_scalar(CLASH).bind(t.rf_prefix.as_str()).fetch_one(c).await)?;
    if clashes > 0 {
        return Err(StoreError::Conflict);
    }
    let id = Uuid::new_v4();
    let policies = serde_json::to_string(&t.policies).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    on_tx!(tx, |c| sqlx::query(INSERT_TENANT)
        .bind(id)
        .bind(t.slug.as_str())
        .bind(&t.name_el)
        .bind(&t.name_en)
        .bind(&t.creditor_name)
        .bind(t.rf_prefix.as_str())
        .bind(t.time_zone.name())
        .bind(t.mode.as_str())
        .bind(&policies)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))
    .map_err(StoreError::from_insert)?;
    on_tx!(tx, |c| sqlx::query(INSERT_ACCOUNT)
        .bind(id)
        .bind(t.iban.as_str())
        .bind(t.bic.as_ref().map(|b| b.as_str()))
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    on_tx!(tx, |c| sqlx::query(INSERT_AUDIT_HEAD)
        .bind(id)
        .bind(hex::encode(crate::domain::audit::GENESIS_HASH))
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(id)
}

/// The tenant columns, followed by the caller's `where`/`order` clause.
macro_rules! select_tenant {
    ($rest:literal) => {
        concat!(
            "select id, slug, name_el, name_en, creditor_name, rf_prefix, time_zone, mode, policies, created_at from tenants ",
            $rest
        )
    };
}

type TenantRow = (Uuid, String, String, String, String, String, String, String, String, DateTime<Utc>);

fn from_row(r: TenantRow) -> StoreResult<Tenant> {
    let bad = |what: &str| StoreError::Corrupt(format!("tenant {}: bad {what}", r.0));
    Ok(Tenant {
        id: r.0,
        slug: Slug::parse(&r.1).map_err(|_| bad("slug"))?,
        name_el: r.2,
        name_en: r.3,
        creditor_name: r.4,
        rf_prefix: RfPrefix::parse(&r.5).map_err(|_| bad("rf prefix"))?,
        time_zone: r.6.parse().map_err(|_| bad("time zone"))?,
        mode: TenantMode::parse(&r.7).ok_or_else(|| bad("mode"))?,
        policies: serde_json::from_str(&r.8).map_err(|_| bad("policies"))?,
        created_at: r.9,
    })
}

pub async fn by_slug(db: &Db, slug: &str) -> StoreResult<Option<Tenant>> {
    const Q: &str = select_tenant!("where slug = $1");
    let row: Option<TenantRow> = on_pool!(db, |p| sqlx::query_as(Q).bind(slug).fetch_optional(p).await)?;
    row.map(from_row).transpose()
}

pub async fn by_id(db: &Db, id: Uuid) -> StoreResult<Option<Tenant>> {
    const Q: &str = select_tenant!("where id = $1");
    let row: Option<TenantRow> = on_pool!(db, |p| sqlx::query_as(Q).bind(id).fetch_optional(p).await)?;
    row.map(from_row).transpose()
}

/// Every tenant: for the platform operator only.
pub async fn list_all(db: &Db) -> StoreResult<Vec<Tenant>> {
    const Q: &str = select_tenant!("order by slug");
    let rows: Vec<TenantRow> = on_pool!(db, |p| sqlx::query_as(Q).fetch_all(p).await)?;
    rows.into_iter().map(from_row).collect()
}

pub async fn accounts(db: &Db, tenant: Uuid) -> StoreResult<Vec<CollectionAccount>> {
    const Q: &str = "select iban, bic from tenant_accounts where tenant_id = $1 order by created_at, iban";
    let rows: Vec<(String, Option<String>)> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|(iban, bic)| CollectionAccount { iban, bic }).collect())
}

const UPSERT_CODE: &str = "insert into revenue_codes
    (tenant_id, debt_kind, year_class, component, effective_from_year, code)
    values ($1, $2, $3, $4, $5, $6)
    on conflict (tenant_id, debt_kind, year_class, component, effective_from_year)
    do update set code = excluded.code";

/// Sets one entry of the revenue-code map (a later year adds a new entry; the
/// same year replaces its code, which the audit entry records).
pub async fn set_revenue_code(tx: &mut Tx, tenant: Uuid, rc: &RevenueCode) -> StoreResult<()> {
    on_tx!(tx, |c| sqlx::query(UPSERT_CODE)
        .bind(tenant)
        .bind(&rc.debt_kind)
        .bind(year_class_str(rc.year_class))
        .bind(component_str(rc.component))
        .bind(i64::from(rc.effective_from_year))
        .bind(&rc.code)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

pub async fn revenue_codes(db: &Db, tenant: Uuid) -> StoreResult<Vec<RevenueCode>> {
    const Q: &str = "select debt_kind, year_class, component, effective_from_year, code from revenue_codes
        where tenant_id = $1 order by debt_kind, year_class, component, effective_from_year";
    let rows: Vec<(String, String, String, i64, String)> =
        on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).fetch_all(p).await)?;
    rows.into_iter()
        .map(|(debt_kind, yc, comp, year, code)| {
            Ok(RevenueCode {
                debt_kind,
                year_class: if yc == "prior" { YearClass::Prior } else { YearClass::Current },
                component: if comp == "surcharge" { Component::Surcharge } else { Component::Principal },
                effective_from_year: i32::try_from(year).map_err(|_| StoreError::Corrupt("year".into()))?,
                code,
            })
        })
        .collect()
}

fn year_class_str(y: YearClass) -> &'static str {
    match y {
        YearClass::Current => "current",
        YearClass::Prior => "prior",
    }
}

fn component_str(c: Component) -> &'static str {
    match c {
        Component::Principal => "principal",
        Component::Surcharge => "surcharge",
    }
}
