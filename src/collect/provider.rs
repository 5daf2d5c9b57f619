//! What Tameio asks of a card provider, and what it reads back. Only the
//! fields the payment flow needs: everything else the provider says is
//! ignored, so a provider (or a test fake) that answers with more or fewer
//! fields still works, as long as these are right.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::domain::money::Cents;

/// A PaymentIntent to create. `payment_id` is also the idempotency key, so a
/// retried create returns the same intent.
#[derive(Debug, Clone)]
pub struct NewIntent {
    pub tenant_id: Uuid,
    pub payment_id: Uuid,
    pub amount: Cents,
    pub currency: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Succeeded,
    Canceled,
}

impl IntentStatus {
    /// Stripe's spelling.
    pub fn parse(s: &str) -> Option<IntentStatus> {
        Some(match s {
            "requires_payment_method" | "requires_source" => IntentStatus::RequiresPaymentMethod,
            "requires_confirmation" => IntentStatus::RequiresConfirmation,
            "requires_action" | "requires_source_action" => IntentStatus::RequiresAction,
            "processing" => IntentStatus::Processing,
            "requires_capture" => IntentStatus::RequiresCapture,
            "succeeded" => IntentStatus::Succeeded,
            "canceled" => IntentStatus::Canceled,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            IntentStatus::RequiresPaymentMethod => "requires_payment_method",
            IntentStatus::RequiresConfirmation => "requires_confirmation",
            IntentStatus::RequiresAction => "requires_action",
            IntentStatus::Processing => "processing",
            IntentStatus::RequiresCapture => "requires_capture",
            IntentStatus::Succeeded => "succeeded",
            IntentStatus::Canceled => "canceled",
        }
    }
}

/// A PaymentIntent as the provider reports it now.
#[derive(Clone, PartialEq, Eq)]
pub struct Intent {
    pub id: String,
    pub status: IntentStatus,
    pub amount: Cents,
    /// Lower case ISO 4217, as Stripe writes it.
    pub currency: String,
    /// Handed to the browser to confirm the intent; never logged.
    pub client_secret: Option<String>,
    pub metadata: BTreeMap<String, String>,
    /// The decline code (or error code) of the last failed attempt.
    pub last_error_code: Option<String>,
    /// The charge that moved the money, once there is one.
    pub latest_charge: Option<String>,
}

/// Never prints the client secret.
impl std::fmt::Debug for Intent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Intent")
            .field("id", &self.id)
            .field("status", &self.status)
            .field("amount", &self.amount)
            .field("currency", &self.currency)
            .field("metadata", &self.metadata)
            .field("last_error_code", &self.last_error_code)
            .finish_non_exhaustive()
    }
}

impl Intent {
    /// The Tameio payment this intent was created for, by its metadata.
    pub fn tameio_payment(&self) -> Option<Uuid> {
        self.metadata.get("tameio_payment").and_then(|s| Uuid::try_parse(s).ok())
    }

    pub fn tameio_tenant(&self) -> Option<Uuid> {
        self.metadata.get("tameio_tenant").and_then(|s| Uuid::try_parse(s).ok())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
    Canceled,
}

impl RefundStatus {
    pub fn parse(s: &str) -> Option<RefundStatus> {
        Some(match s {
            "pending" | "requires_action" => RefundStatus::Pending,
            "succeeded" => RefundStatus::Succeeded,
            "failed" => RefundStatus::Failed,
            "canceled" => RefundStatus::Canceled,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refund {
    pub id: String,
    pub status: RefundStatus,
    pub amount: Cents,
    pub payment_intent: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Network trouble, a timeout or a 5xx: worth retrying later.
    #[error("the card provider could not be reached: {0}")]
    Unavailable(String),
    /// The provider refused the request (4xx); retrying the same will not help.
    #[error("the card provider refused the request: {code}: {message}")]
    Refused { status: u16, code: String, message: String },
    /// An answer we could not read.
    #[error("the card provider's answer could not be read: {0}")]
    BadResponse(String),
    #[error("no such object at the card provider")]
    NotFound,
}

impl ProviderError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, ProviderError::Unavailable(_))
    }
}
