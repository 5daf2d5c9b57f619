//! Platform operations shared by the API and the CLI: tenants, keys and
//! revenue codes. Each is one write transaction with its audit entry.

use chrono::{DateTime, Utc};
use serde_json::json;
use uuid::Uuid;

use crate::domain::actor::Actor;
use crate::domain::secret;
use crate::domain::tenant::RevenueCode;
use crate::error::FieldError;
use crate::store::card_providers::{self, ProviderSettings};
use crate::store::tenants::NewTenant;
use crate::store::{Db, StoreResult, Tx, audit, keys, tenants};

pub async fn create_tenant(db: &Db, now: DateTime<Utc>, actor: &Actor, t: &NewTenant) -> StoreResult<Uuid> {
    let mut tx = db.begin_write().await?;
    let id = tenants::create(&mut tx, t, now).await?;
    let details = json!({
        "slug": t.slug.as_str(),
        "name_el": t.name_el,
        "name_en": t.name_en,
        "rf_prefix": t.rf_prefix.as_str(),
        "time_zone": t.time_zone.name(),
        "mode": t.mode.as_str(),
        "iban": t.iban.as_str(),
    });
    audit::append(&mut tx, id, now, actor, "tenant.created", &format!("tenant:{id}"), details).await?;
    tx.commit().await?;
    Ok(id)
}

/// A new API key for the tenant. The plain key is returned once and never stored.
pub struct IssuedKey {
    pub id: Uuid,
    pub key: String,
}

pub async fn create_api_key(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    tenant: Uuid,
    name: &str,
) -> StoreResult<IssuedKey> {
    let mut tx = db.begin_write().await?;
    let issued = create_api_key_in(&mut tx, now, actor, tenant, name).await?;
    tx.commit().await?;
    Ok(issued)
}

/// Creates a tenant key inside the caller's write transaction.
pub async fn create_api_key_in(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    tenant: Uuid,
    name: &str,
) -> StoreResult<IssuedKey> {
    let key = secret::new_tenant_key(tenant);
    let id = keys::create_api_key(tx, tenant, name, &secret::sha256_hex(&key), now).await?;
    audit::append(tx, tenant, now, actor, "api_key.created", &format!("api_key:{id}"), json!({ "name": name })).await?;
    Ok(IssuedKey { id, key })
}

pub async fn revoke_api_key(db: &Db, now: DateTime<Utc>, actor: &Actor, tenant: Uuid, id: Uuid) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    if keys::revoke_api_key(&mut tx, tenant, id, now).await? {
        audit::append(&mut tx, tenant, now, actor, "api_key.revoked", &format!("api_key:{id}"), json!({})).await?;
    }
    tx.commit().await
}

pub async fn set_revenue_code(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    tenant: Uuid,
    rc: &RevenueCode,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    set_revenue_code_in(&mut tx, now, actor, tenant, rc).await?;
    tx.commit().await
}

/// Sets a revenue code inside the caller's write transaction.
pub async fn set_revenue_code_in(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &Actor,
    tenant: Uuid,
    rc: &RevenueCode,
) -> StoreResult<()> {
    tenants::set_revenue_code(tx, tenant, rc).await?;
    let details = serde_json::to_value(rc).unwrap_or_default();
    audit::append(tx, tenant, now, actor, "revenue_code.set", &format!("revenue_code:{}", rc.debt_kind), details)
        .await?;
    Ok(())
}

pub async fn create_operator_key(db: &Db, now: DateTime<Utc>, name: &str) -> StoreResult<IssuedKey> {
    let key = secret::new_operator_key();
    let id = keys::create_operator_key(db, name, &secret::sha256_hex(&key), now).await?;
    tracing::info!(operator_key = %id, name, "operator key created");
    Ok(IssuedKey { id, key })
}

/// A tenant as a client asks for it; `validate` turns it into a `NewTenant`
/// or names every bad field.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantSpec {
    pub slug: String,
    pub name_el: String,
    pub name_en: String,
    pub creditor_name: String,
    /// The collection IBAN; must be Greek or Cypriot.
    pub iban: String,
    pub bic: Option<String>,
    /// 3 to 6 characters that start every RF reference of this tenant.
    pub rf_prefix: String,
    /// IANA zone, default `Europe/Athens`.
    pub time_zone: Option<String>,
    /// `test` (default) or `live`.
    pub mode: Option<String>,
    pub policies: Option<crate::domain::tenant::Policies>,
}

impl TenantSpec {
    pub fn validate(self) -> Result<NewTenant, Vec<crate::error::FieldError>> {
        use crate::domain::iban::{Bic, Iban};
        use crate::domain::rf::RfPrefix;
        use crate::domain::tenant::{Policies, Slug, TenantMode, parse_time_zone};
        use crate::error::FieldError;

        let mut errors = Vec::new();
        let mut field = |name: &str, r: Result<(), String>| {
            if let Err(e) = r {
                errors.push(FieldError::new(name, e));
            }
        };
        let text = |s: &str, max: usize| -> Result<(), String> {
            let n = s.trim().chars().count();
            if n == 0 || n > max { Err(format!("must have 1 to {max} characters")) } else { Ok(()) }
        };
        let slug = Slug::parse(&self.slug);
        let iban = Iban::parse_tenant_collection(&self.iban).map_err(|e| e.to_string());
        let bic = self.bic.as_deref().map(Bic::parse).transpose().map_err(|e| e.to_string());
        let rf_prefix = RfPrefix::parse(&self.rf_prefix).map_err(|e| e.to_string());
        let tz = parse_time_zone(self.time_zone.as_deref().unwrap_or("Europe/Athens"));
        let mode =
            TenantMode::parse(self.mode.as_deref().unwrap_or("test")).ok_or_else(|| "must be test or live".to_string());
        field("slug", slug.as_ref().map(|_| ()).map_err(Clone::clone));
        field("name_el", text(&self.name_el, 200));
        field("name_en", text(&self.name_en, 200));
        field("creditor_name", text(&self.creditor_name, 70));
        field("iban", iban.as_ref().map(|_| ()).map_err(Clone::clone));
        field("bic", bic.as_ref().map(|_| ()).map_err(Clone::clone));
        field("rf_prefix", rf_prefix.as_ref().map(|_| ()).map_err(Clone::clone));
        field("time_zone", tz.as_ref().map(|_| ()).map_err(Clone::clone));
        field("mode", mode.as_ref().map(|_| ()).map_err(Clone::clone));
        match (slug, iban, bic, rf_prefix, tz, mode) {
            (Ok(slug), Ok(iban), Ok(bic), Ok(rf_prefix), Ok(time_zone), Ok(mode)) if errors.is_empty() => {
                Ok(NewTenant {
                    slug,
                    name_el: nfc(&self.name_el),
                    name_en: nfc(&self.name_en),
                    creditor_name: nfc(&self.creditor_name),
                    iban,
                    bic,
                    rf_prefix,
                    time_zone,
                    mode,
                    policies: self.policies.unwrap_or_else(Policies::greek_default),
                })
            }
            _ => Err(errors),
        }
    }
}

/// Greek text is stored in NFC so that equal names compare equal.
pub fn nfc(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.trim().nfc().collect()
}

/// Checks a card provider request against the tenant: the sandbox only for
/// test tenants; Stripe needs both keys and at least one webhook secret.
pub fn card_provider_settings(
    tenant: &crate::domain::tenant::Tenant,
    provider: String,
    api_base: Option<String>,
    js_url: Option<String>,
    publishable_key: Option<String>,
    secret_key: Option<String>,
    webhook_secrets: Vec<String>,
) -> Result<ProviderSettings, Vec<FieldError>> {
    let mut errors = Vec::new();
    match provider.as_str() {
        "sandbox" if tenant.mode != crate::domain::tenant::TenantMode::Test => {
            errors.push(FieldError::new("provider", "the sandbox is only for test tenants"));
        }
        "sandbox" => {}
        "stripe" => {
            if publishable_key.as_deref().is_none_or(|k| !k.starts_with("pk_")) {
                errors.push(FieldError::new("publishable_key", "a Stripe publishable key (pk_...) is required"));
            }
            if secret_key.as_deref().is_none_or(|k| !(k.starts_with("sk_") || k.starts_with("rk_"))) {
                errors.push(FieldError::new(
                    "secret_key",
                    "a Stripe secret or restricted key (sk_..., rk_...) is required",
                ));
            }
            // A live municipality's receipts and clearances must rest on real
            // money: Stripe's test keys are for test tenants only.
            let live = tenant.mode == crate::domain::tenant::TenantMode::Live;
            for (field, key) in [("publishable_key", &publishable_key), ("secret_key", &secret_key)] {
                if live && key.as_deref().is_some_and(|k| k.contains("_test_")) {
                    errors.push(FieldError::new(field, "a live tenant needs Stripe's live keys, not test keys"));
                }
            }
            if webhook_secrets.is_empty() || webhook_secrets.iter().any(|s| !s.starts_with("whsec_")) {
                errors.push(FieldError::new("webhook_secrets", "one or more webhook signing secrets (whsec_...)"));
            }
            for (field, url) in [("api_base", &api_base), ("js_url", &js_url)] {
                if let Some(u) = url
                    && url::Url::parse(u).is_err()
                {
                    errors.push(FieldError::new(field, "must be an absolute URL"));
                }
            }
        }
        _ => errors.push(FieldError::new("provider", "must be sandbox or stripe")),
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ProviderSettings { provider, api_base, js_url, publishable_key, secret_key, webhook_secrets })
}

pub async fn set_card_provider(
    db: &Db,
    now: DateTime<Utc>,
    actor: &Actor,
    tenant: Uuid,
    s: &ProviderSettings,
) -> StoreResult<()> {
    let mut tx = db.begin_write().await?;
    card_providers::set(&mut tx, tenant, s, now).await?;
    let details = json!({ "provider": s.provider, "api_base": s.api_base, "webhook_secrets": s.webhook_secrets.len() });
    audit::append(&mut tx, tenant, now, actor, "card_provider.set", &format!("tenant:{tenant}"), details).await?;
    tx.commit().await
}
