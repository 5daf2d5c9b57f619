//! Collecting money: quotes, card payments through a provider, applying a
//! received payment to a party's debts by the tenant's policy, receipts.

pub mod apply;
pub mod card;
pub mod credit;
pub mod dispute;
pub mod events;
pub mod intake;
pub mod provider;
pub mod providers;
pub mod refund;
pub mod sandbox;
pub mod stripe;
pub mod worker;
pub mod write_off;
