//! Integration tests: the real app over HTTP (and the real binary for the
//! CLI), each test on SQLite and on PostgreSQL.

// Test code states its expectations with unwrap and expect: a failure is the report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod audit_cli;
mod card_concurrency;
mod card_sandbox;
mod card_stripe;
mod concurrency;
mod crash;
mod debts;
mod health;
mod isolation;
mod ledger;
mod lookup;
mod lookup_page;
mod officer;
mod openapi;
mod payments_api;
mod pdf;
mod platform;
mod refunds;
mod rf_stdnum;
mod stripe_js;
mod write_off;
