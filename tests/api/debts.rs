//! Debt rolls through the API: all or nothing, idempotent, every problem named;
//! the debts list with balances.

use serde_json::{Value, json};

use crate::helpers::{Backend, ROLL_HEADER, TestApp, roll_csv, roll_row};

async fn importing_the_same_roll_twice_changes_nothing(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("ioannina", "IOA").await;
    let csv = roll_csv((0..40).map(roll_row));
    let (status, first) = app.import_roll(&t.key, &csv, "?file_name=roll-2024.csv").await;
    assert_eq!(status, 201, "{first}");
    assert_eq!((first["debts_new"].as_u64(), first["parties_new"].as_u64()), (Some(40), Some(20)));
    let (status, second) = app.import_roll(&t.key, &csv, "").await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["debts_new"], 0);
    assert_eq!(second["debts_unchanged"], 40);
    assert_eq!(second["roll_id"], Value::Null);
    let (_, audit) = app.get("/api/v1/audit/entries", Some(&t.key)).await;
    let imports = audit.as_array().unwrap().iter().filter(|e| e["action"] == "debt_roll.imported").count();
    assert_eq!(imports, 1);
    let (_, page) = app.get("/api/v1/debts?limit=500", Some(&t.key)).await;
    assert_eq!(page["debts"].as_array().unwrap().len(), 40);
    // Every generated RF carries the tenant's prefix and is unique.
    let rfs: std::collections::BTreeSet<&str> =
        page["debts"].as_array().unwrap().iter().map(|d| d["rf"].as_str().unwrap()).collect();
    assert_eq!(rfs.len(), 40);
    assert!(rfs.iter().all(|rf| rf[4..].starts_with("IOA")), "{rfs:?}");
    app.finish().await;
}

async fn a_big_roll_with_three_bad_rows_is_refused_whole(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("kozani", "KOZ").await;
    let rows = (0..10_000).map(|i| match i {
        17 => roll_row(i).replace(",GR,", ",XX,"),
        4_242 => roll_row(i).replacen(",2024-01-15,", ",2024-02-30,", 1),
        9_998 => roll_row(i).replace("Οφειλή 9998,", "Οφειλή 9998,-5.00,").replacen(
            &format!(",{}.{:02},", 10 + (9_998 * 37) % 990, 98),
            ",",
            1,
        ),
        _ => roll_row(i),
    });
    let (status, body) = app.import_roll(&t.key, &roll_csv(rows), "").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["type"], "/problems/invalid-file");
    let found: Vec<(u64, String)> = body["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["row"].as_u64().unwrap(), p["column"].as_str().unwrap_or("").to_string()))
        .collect();
    assert_eq!(found, [(19, "tax_country".into()), (4_244, "assessed_on".into()), (10_000, "principal".into())]);
    let (_, page) = app.get("/api/v1/debts", Some(&t.key)).await;
    assert_eq!(page["debts"], json!([]), "nothing may be written");
    app.finish().await;
}

async fn semicolons_bom_decimal_comma_and_dmy_dates_import(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("serres", "SER").await;
    let row = "X-1;P-1;person;090000045;GR;Ζωή Αθανασίου;Οδός 1;;water;2025;;;Νερό Α΄ τριμήνου;1.234,56;15/01/2025;28/02/2025;";
    let csv = format!("\u{feff}{};\n{row}", ROLL_HEADER.replace(',', ";")).replace(";\n", "\n");
    let (status, body) =
        app.import_roll(&t.key, &csv.replace("1.234,56", "1234,56"), "?decimal_comma=true&date_format=dmy").await;
    assert_eq!(status, 201, "{body}");
    let (_, page) = app.get("/api/v1/debts", Some(&t.key)).await;
    let d = &page["debts"][0];
    assert_eq!((d["principal"].as_str(), d["due_on"].as_str()), (Some("1234.56"), Some("2025-02-28")));
    assert_eq!(d["description"], "Νερό Α΄ τριμήνου");
    // The same file without the options names the columns that need them.
    let (status, body) = app.import_roll(&t.key, &csv.replace("1.234,56", "1234,56"), "").await;
    assert_eq!(status, 422);
    assert_eq!(body["problems"].as_array().unwrap().len(), 3, "{body}");
    app.finish().await;
}

async fn a_changed_row_conflicts_with_the_stored_debt(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("florina", "FLO").await;
    let (status, _) = app.import_roll(&t.key, &roll_csv((0..5).map(roll_row)), "").await;
    assert_eq!(status, 201);
    let changed = roll_csv(
        (0..6).map(|i| if i == 3 { roll_row(i).replace("Οφειλή 3,", "Οφειλή τρία,") } else { roll_row(i) }),
    );
    let (status, body) = app.import_roll(&t.key, &changed, "").await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        body["problems"],
        json!([{"row": 5, "column": "source_id", "reason": "differs from the debt already stored under this source_id"}])
    );
    let (_, page) = app.get("/api/v1/debts", Some(&t.key)).await;
    assert_eq!(page["debts"].as_array().unwrap().len(), 5, "the new sixth row was not written either");
    app.finish().await;
}

async fn greek_text_is_stored_in_nfc_byte_for_byte(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("kastoria", "KAS").await;
    // "Ά" and "ώ" decomposed (letter + combining acute).
    let decomposed = "Οφειλή \u{0391}\u{0301}ρτας \u{03c9}\u{0301}";
    let row = roll_row(0).replace("Οφειλή 0", decomposed);
    let (status, _) = app.import_roll(&t.key, &roll_csv([row]), "").await;
    assert_eq!(status, 201);
    let (_, page) = app.get("/api/v1/debts", Some(&t.key)).await;
    assert_eq!(page["debts"][0]["description"].as_str().unwrap().as_bytes(), "Οφειλή Άρτας ώ".as_bytes());
    app.finish().await;
}

async fn debts_list_pages_and_filters(b: Backend) {
    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("naxos", "NAX").await;
    let (status, _) = app.import_roll(&t.key, &roll_csv((0..30).map(roll_row)), "").await;
    assert_eq!(status, 201);
    let mut seen = Vec::new();
    let mut after = String::new();
    loop {
        let (status, page) = app.get(&format!("/api/v1/debts?limit=7{after}"), Some(&t.key)).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(page["debts"].as_array().unwrap().iter().map(|d| d["source_id"].as_str().unwrap().to_string()));
        match page["next"].as_str() {
            Some(n) => after = format!("&after={n}"),
            None => break,
        }
    }
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 30, "paging sees every debt once");
    let (_, water) = app.get("/api/v1/debts?kind=water&limit=500", Some(&t.key)).await;
    assert_eq!(water["debts"].as_array().unwrap().len(), 5);
    let afm = crate::helpers::afm(10_000_003);
    let (_, one) = app.get(&format!("/api/v1/debts?tax_id={afm}"), Some(&t.key)).await;
    assert_eq!(one["debts"].as_array().unwrap().len(), 2);
    // Amounts as of the tenant's date: the 2024 debts carry surcharges by now.
    let d = &one["debts"][0];
    assert_eq!(d["status"], "open");
    assert_ne!(d["surcharges"], "0.00");
    for bad in ["?kind=beer", "?status=gone", "?limit=0", "?after=nonsense"] {
        let (status, _) = app.get(&format!("/api/v1/debts{bad}"), Some(&t.key)).await;
        assert_eq!(status, 422, "{bad}");
    }
    app.finish().await;
}

crate::db_tests!(
    importing_the_same_roll_twice_changes_nothing,
    a_big_roll_with_three_bad_rows_is_refused_whole,
    semicolons_bom_decimal_comma_and_dmy_dates_import,
    a_changed_row_conflicts_with_the_stored_debt,
    greek_text_is_stored_in_nfc_byte_for_byte,
    debts_list_pages_and_filters,
);
