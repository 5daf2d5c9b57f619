//! Who did something: recorded on every audit entry.

use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The platform operator, by operator key.
    Operator { key_id: Uuid },
    /// A tenant API key, or an officer session opened with one.
    TenantKey { tenant_id: Uuid, key_id: Uuid },
    /// The command line on the server itself.
    Cli,
    /// Background work (webhook processing, schedules).
    System,
    /// An anonymous member of the public (lookups, verifications).
    Public,
}

impl Actor {
    /// The stable text stored in the audit chain.
    pub fn label(&self) -> String {
        match self {
            Actor::Operator { key_id } => format!("operator_key:{key_id}"),
            Actor::TenantKey { key_id, .. } => format!("api_key:{key_id}"),
            Actor::Cli => "cli".into(),
            Actor::System => "system".into(),
            Actor::Public => "public".into(),
        }
    }
}
