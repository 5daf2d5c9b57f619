//! Collecting money: applying a received payment to a party's debts by the
//! tenant's policy, with its journal, credit and audit, in one transaction.

pub mod apply;
