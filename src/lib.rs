//! Tameio: payments and clearance certificates for municipalities.

pub mod app;
pub mod bills;
pub mod cli;
pub mod clock;
pub mod collect;
pub mod debts;
pub mod domain;
pub mod error;
pub mod http;
pub mod imports;
pub mod metrics;
pub mod platform;
pub mod store;
pub mod telemetry;
