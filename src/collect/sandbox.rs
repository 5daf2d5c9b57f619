//! The sandbox card provider: a fake "Stripe" kept in Tameio's own database,
//! for test tenants, the demo and the tests that do not need Stripe. No card
//! field: the payment page offers buttons that play the provider's part.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::provider::{Intent, IntentStatus, NewIntent, ProviderError, Refund, RefundStatus};
use crate::domain::money::Cents;
use crate::domain::secret::random_token;
use crate::store::Db;
use crate::store::card_payments::{self, SandboxIntent};

/// What a citizen may press on the sandbox page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxAction {
    Succeed,
    Decline,
    Require3ds,
    Pass3ds,
    Fail3ds,
}

impl SandboxAction {
    pub fn parse(s: &str) -> Option<SandboxAction> {
        Some(match s {
            "succeed" => SandboxAction::Succeed,
            "decline" => SandboxAction::Decline,
            "require_3ds" => SandboxAction::Require3ds,
            "pass_3ds" => SandboxAction::Pass3ds,
            "fail_3ds" => SandboxAction::Fail3ds,
            _ => return None,
        })
    }

    /// The intent's status and error code after the action.
    fn outcome(self) -> (IntentStatus, Option<&'static str>) {
        match self {
            SandboxAction::Succeed | SandboxAction::Pass3ds => (IntentStatus::Succeeded, None),
            SandboxAction::Decline => (IntentStatus::RequiresPaymentMethod, Some("card_declined")),
            SandboxAction::Require3ds => (IntentStatus::RequiresAction, None),
            SandboxAction::Fail3ds => {
                (IntentStatus::RequiresPaymentMethod, Some("payment_intent_authentication_failure"))
            }
        }
    }
}

#[derive(Debug, Clone)]
pub struct Sandbox {
    db: Db,
    tenant: Uuid,
}

impl Sandbox {
    pub fn new(db: Db, tenant: Uuid) -> Sandbox {
        Sandbox { db, tenant }
    }

    fn to_intent(&self, i: SandboxIntent) -> Result<Intent, ProviderError> {
        let status = IntentStatus::parse(&i.status).ok_or_else(|| ProviderError::BadResponse(i.status.clone()))?;
        let metadata = BTreeMap::from([
            ("tameio_tenant".to_string(), self.tenant.to_string()),
            ("tameio_payment".to_string(), i.payment_id.to_string()),
        ]);
        Ok(Intent {
            latest_charge: (status == IntentStatus::Succeeded).then(|| format!("ch_{}", &i.id[3..])),
            id: i.id,
            status,
            amount: Cents::new(i.amount_cents),
            currency: i.currency,
            client_secret: Some(i.client_secret),
            metadata,
            last_error_code: i.last_error_code,
        })
    }

    fn unavailable(e: crate::store::StoreError) -> ProviderError {
        ProviderError::Unavailable(e.to_string())
    }

    pub async fn create_intent(&self, req: &NewIntent, now: DateTime<Utc>) -> Result<Intent, ProviderError> {
        let id = format!("pi_sbx_{}", req.payment_id.simple());
        let fresh = SandboxIntent {
            client_secret: format!("{id}_secret_{}", random_token()),
            id,
            payment_id: req.payment_id,
            amount_cents: req.amount.get(),
            currency: req.currency.to_ascii_lowercase(),
            status: IntentStatus::RequiresPaymentMethod.as_str().into(),
            last_error_code: None,
        };
        let stored =
            card_payments::sandbox_create(&self.db, self.tenant, &fresh, now).await.map_err(Self::unavailable)?;
        self.to_intent(stored)
    }

    pub async fn retrieve_intent(&self, id: &str) -> Result<Intent, ProviderError> {
        let found = card_payments::sandbox_get(&self.db, self.tenant, id).await.map_err(Self::unavailable)?;
        self.to_intent(found.ok_or(ProviderError::NotFound)?)
    }

    pub async fn cancel_intent(&self, id: &str) -> Result<Intent, ProviderError> {
        card_payments::sandbox_set(&self.db, self.tenant, id, IntentStatus::Canceled.as_str(), None)
            .await
            .map_err(Self::unavailable)?;
        self.retrieve_intent(id).await
    }

    /// Plays the provider's part for one button. Only an intent that is not
    /// final changes; 3-D Secure steps need an intent waiting for them.
    pub async fn act(&self, id: &str, action: SandboxAction) -> Result<Intent, ProviderError> {
        let current = self.retrieve_intent(id).await?;
        let waiting_3ds = current.status == IntentStatus::RequiresAction;
        let allowed = match action {
            SandboxAction::Pass3ds | SandboxAction::Fail3ds => waiting_3ds,
            _ => !waiting_3ds,
        };
        if !allowed {
            return Ok(current);
        }
        let (status, code) = action.outcome();
        card_payments::sandbox_set(&self.db, self.tenant, id, status.as_str(), code)
            .await
            .map_err(Self::unavailable)?;
        self.retrieve_intent(id).await
    }

    /// The sandbox refunds at once; it does not keep refunds (Tameio does).
    pub async fn create_refund(&self, key: Uuid, intent_id: &str, amount: Cents) -> Result<Refund, ProviderError> {
        Ok(Refund {
            id: format!("re_sbx_{}", key.simple()),
            status: RefundStatus::Succeeded,
            amount,
            payment_intent: Some(intent_id.into()),
        })
    }
}
