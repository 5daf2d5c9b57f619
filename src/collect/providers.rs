//! The card provider of a tenant: the sandbox (test tenants only) or Stripe,
//! behind one small set of calls.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::provider::{Intent, NewIntent, ProviderError, Refund};
use super::sandbox::Sandbox;
use super::stripe::{StripeClient, StripeConfig};
use crate::domain::money::Cents;
use crate::domain::tenant::{Tenant, TenantMode};
use crate::store::card_providers::{self, ProviderSettings};
use crate::store::{Db, StoreError};

#[derive(Debug, Clone)]
pub enum CardProvider {
    Sandbox(Sandbox),
    Stripe(Box<StripeProvider>),
}

/// Stripe with the tenant's keys; the page loads Stripe.js from `js_url`.
#[derive(Debug, Clone)]
pub struct StripeProvider {
    pub client: StripeClient,
    pub api_base: String,
    pub publishable_key: String,
    pub js_url: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("this municipality does not take card payments")]
    NoCardPayments,
    #[error("the sandbox provider is only for test tenants")]
    SandboxForLiveTenant,
    #[error("the card provider settings are incomplete: {0}")]
    Incomplete(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl CardProvider {
    /// The tenant's provider. Without settings a test tenant gets the sandbox
    /// and a live tenant none; a live tenant never gets the sandbox.
    pub async fn for_tenant(db: &Db, tenant: &Tenant) -> Result<CardProvider, SetupError> {
        let settings = card_providers::get(db, tenant.id).await?;
        match (settings, tenant.mode) {
            (None, TenantMode::Test) => Ok(CardProvider::Sandbox(Sandbox::new(db.clone(), tenant.id))),
            (None, TenantMode::Live) => Err(SetupError::NoCardPayments),
            (Some(s), mode) => Self::from_settings(db, tenant.id, mode, &s),
        }
    }

    fn from_settings(
        db: &Db,
        tenant: Uuid,
        mode: TenantMode,
        s: &ProviderSettings,
    ) -> Result<CardProvider, SetupError> {
        match s.provider.as_str() {
            "sandbox" if mode == TenantMode::Test => Ok(CardProvider::Sandbox(Sandbox::new(db.clone(), tenant))),
            "sandbox" => Err(SetupError::SandboxForLiveTenant),
            "stripe" => {
                let cfg = StripeConfig {
                    api_base: s.api_base.clone().unwrap_or_else(|| "https://api.stripe.com".into()),
                    secret_key: s.secret_key.clone().ok_or(SetupError::Incomplete("secret key"))?,
                };
                let client = cached_client(&cfg)?;
                Ok(CardProvider::Stripe(Box::new(StripeProvider {
                    client,
                    api_base: cfg.api_base,
                    publishable_key: s.publishable_key.clone().ok_or(SetupError::Incomplete("publishable key"))?,
                    js_url: s.js_url.clone().unwrap_or_else(|| "https://js.stripe.com/v3/".into()),
                })))
            }
            _ => Err(SetupError::Incomplete("unknown provider")),
        }
    }

    pub fn name(&self) -> &'static str {
        match self {
            CardProvider::Sandbox(_) => "sandbox",
            CardProvider::Stripe(_) => "stripe",
        }
    }

    /// What the card page's script needs; `None` for the sandbox.
    pub fn publishable_key(&self) -> Option<String> {
        match self {
            CardProvider::Sandbox(_) => None,
            CardProvider::Stripe(s) => Some(s.publishable_key.clone()),
        }
    }

    pub fn api_base(&self) -> Option<String> {
        match self {
            CardProvider::Sandbox(_) => None,
            CardProvider::Stripe(s) => Some(s.api_base.clone()),
        }
    }

    pub fn js_url(&self) -> Option<String> {
        match self {
            CardProvider::Sandbox(_) => None,
            CardProvider::Stripe(s) => Some(s.js_url.clone()),
        }
    }

    pub async fn create_intent(&self, req: &NewIntent, now: DateTime<Utc>) -> Result<Intent, ProviderError> {
        match self {
            CardProvider::Sandbox(s) => s.create_intent(req, now).await,
            CardProvider::Stripe(s) => s.client.create_intent(req).await,
        }
    }

    pub async fn retrieve_intent(&self, id: &str) -> Result<Intent, ProviderError> {
        match self {
            CardProvider::Sandbox(s) => s.retrieve_intent(id).await,
            CardProvider::Stripe(s) => s.client.retrieve_intent(id).await,
        }
    }

    pub async fn cancel_intent(&self, id: &str) -> Result<Intent, ProviderError> {
        match self {
            CardProvider::Sandbox(s) => s.cancel_intent(id).await,
            CardProvider::Stripe(s) => s.client.cancel_intent(id).await,
        }
    }

    pub async fn create_refund(&self, key: Uuid, intent_id: &str, amount: Cents) -> Result<Refund, ProviderError> {
        match self {
            CardProvider::Sandbox(s) => s.create_refund(key, intent_id, amount).await,
            CardProvider::Stripe(s) => s.client.create_refund(key, intent_id, amount).await,
        }
    }
}

/// One client per (API base, secret key), shared by every request: building
/// one sets up TLS roots and a connection pool, and a fresh pool means a
/// fresh connection to Stripe.
fn cached_client(cfg: &StripeConfig) -> Result<StripeClient, SetupError> {
    type Clients = std::sync::Mutex<std::collections::HashMap<(String, String), StripeClient>>;
    static CLIENTS: std::sync::LazyLock<Clients> = std::sync::LazyLock::new(Default::default);
    let key = (cfg.api_base.clone(), cfg.secret_key.clone());
    if let Some(c) = CLIENTS.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(c);
    }
    let client = StripeClient::new(cfg).map_err(|_| SetupError::Incomplete("API base URL"))?;
    if let Ok(mut m) = CLIENTS.lock() {
        m.insert(key, client.clone());
    }
    Ok(client)
}
