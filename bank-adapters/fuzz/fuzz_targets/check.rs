//! The property every bank fuzz target checks, whatever its seed corpus: no
//! input panics, reading in place and reading as a stream agree, and no line
//! amount is negative.

pub fn check(data: &[u8]) {
    let opts = bank_adapters::ParseOptions::default();
    let in_place = bank_adapters::parse(data, &opts);
    let streamed = bank_adapters::parse_reader(data, &opts);
    match (&in_place, &streamed) {
        (Ok(a), Ok(b)) => {
            assert_eq!(a, b, "in-place and streamed reads differ");
            for line in a.statements.iter().flat_map(|s| s.lines()) {
                assert!(line.amount_cents.is_none_or(|c| c >= 0), "negative line amount");
            }
            let _ = bank_adapters::contract::to_json(a);
        }
        (Err(a), Err(b)) => assert_eq!(a.kind, b.kind, "in-place and streamed errors differ"),
        _ => panic!("in-place {in_place:?} but streamed {streamed:?}"),
    }
}
