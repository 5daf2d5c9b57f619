//! Fuzz target for the camt053 reader, seeded with the camt053 corpus; the property it
//! checks is shared by every bank target (`check.rs`).
#![no_main]

#[path = "check.rs"]
mod check;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check::check(data));
