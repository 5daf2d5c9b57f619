//! Which card provider a tenant uses, with its endpoints and keys.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{Db, StoreError, StoreResult, Tx, on_pool, on_tx};

#[derive(Clone, PartialEq, Eq)]
pub struct ProviderSettings {
    /// `sandbox` or `stripe`.
    pub provider: String,
    pub api_base: Option<String>,
    pub js_url: Option<String>,
    pub publishable_key: Option<String>,
    pub secret_key: Option<String>,
    /// Every secret a webhook may be signed with (more than one while rotating).
    pub webhook_secrets: Vec<String>,
}

/// Never prints the keys.
impl std::fmt::Debug for ProviderSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderSettings")
            .field("provider", &self.provider)
            .field("api_base", &self.api_base)
            .field("webhook_secrets", &self.webhook_secrets.len())
            .finish_non_exhaustive()
    }
}

pub async fn get(db: &Db, tenant: Uuid) -> StoreResult<Option<ProviderSettings>> {
    const Q: &str = "select provider, api_base, js_url, publishable_key, secret_key, webhook_secrets
        from card_providers where tenant_id = $1";
    type Row = (String, Option<String>, Option<String>, Option<String>, Option<String>, String);
    let row: Option<Row> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).fetch_optional(p).await)?;
    row.map(|r| {
        let webhook_secrets: Vec<String> =
            serde_json::from_str(&r.5).map_err(|e| StoreError::Corrupt(format!("webhook secrets: {e}")))?;
        Ok(ProviderSettings {
            provider: r.0,
            api_base: r.1,
            js_url: r.2,
            publishable_key: r.3,
            secret_key: r.4,
            webhook_secrets,
        })
    })
    .transpose()
}

/// The secrets a tenant's webhooks may be signed with, read with the tenant
/// itself in one query: `None` when there is no such tenant, empty when it
/// has no provider settings.
pub async fn webhook_secrets(db: &Db, tenant: Uuid) -> StoreResult<Option<Vec<String>>> {
    const Q: &str = "select cp.webhook_secrets from tenants t
        left join card_providers cp on cp.tenant_id = t.id where t.id = $1";
    let row: Option<(Option<String>,)> = on_pool!(db, |p| sqlx::query_as(Q).bind(tenant).fetch_optional(p).await)?;
    row.map(|(secrets,)| match secrets {
        None => Ok(Vec::new()),
        Some(json) => serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("webhook secrets: {e}"))),
    })
    .transpose()
}

pub async fn set(tx: &mut Tx, tenant: Uuid, s: &ProviderSettings, now: DateTime<Utc>) -> StoreResult<()> {
    const Q: &str = "insert into card_providers (tenant_id, provider, api_base, js_url, publishable_key, secret_key,
        webhook_secrets, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8)
        on conflict (tenant_id) do update set provider = excluded.provider, api_base = excluded.api_base,
        js_url = excluded.js_url, publishable_key = excluded.publishable_key, secret_key = excluded.secret_key,
        webhook_secrets = excluded.webhook_secrets, updated_at = excluded.updated_at";
    let secrets = serde_json::to_string(&s.webhook_secrets).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    on_tx!(tx, |c| sqlx::query(Q)
        .bind(tenant)
        .bind(&s.provider)
        .bind(&s.api_base)
        .bind(&s.js_url)
        .bind(&s.publishable_key)
        .bind(&s.secret_key)
        .bind(&secrets)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}
