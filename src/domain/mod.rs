//! Pure rules: money, references, tax ids, tenants, journal, audit. Nothing here
//! knows about HTTP or SQL (checked by `tests/tidy.rs`).

pub mod actor;
pub mod allocation;
pub mod audit;
pub mod balance;
pub mod check_digits;
pub mod debt_kind;
pub mod epc;
pub mod iban;
pub mod journal;
pub mod lang;
pub mod money;
pub mod payment_state;
pub mod quote;
pub mod rf;
pub mod secret;
pub mod surcharge;
pub mod tax_id;
pub mod tenant;
pub mod webhook_signature;
