//! Fuzz target for the mt940 reader, seeded with the mt940 corpus; the property it
//! checks is shared by every bank target (`check.rs`).
#![no_main]

#[path = "check.rs"]
mod check;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| check::check(data));
