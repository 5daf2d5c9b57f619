//! Files that feed Tameio: debt rolls now, bank statements later. Parsing is
//! pure; writing goes through the store in one transaction.

pub mod debt_roll;
pub mod debt_roll_store;
