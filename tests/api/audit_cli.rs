//! `tameio audit verify` through the real binary: an intact chain passes, and
//! each kind of tampering is named with a non-zero exit.

use std::process::Command;

use serde_json::json;

use crate::helpers::{Backend, TestApp, TestTenant};

/// A tenant with five audit entries: tenant.created, api_key.created, and three more keys.
async fn five_entries(app: &mut TestApp) -> TestTenant {
    let t = app.tenant("larisa", "LAR").await;
    for i in 0..3 {
        let (status, _) = app.post("/api/v1/api-keys", Some(&t.key), &json!({"name": format!("key {i}")})).await;
        assert_eq!(status, 201);
    }
    t
}

fn verify(app: &TestApp) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tameio"))
        .args(["audit", "verify", "--database-url", &app.test_db.url])
        .env_remove("TAMEIO_DATABASE_URL")
        .output()
        .expect("run tameio");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

async fn tampered(b: Backend, sql: &[&'static str], expect: &str) {
    let mut app = TestApp::spawn(b).await;
    let t = five_entries(&mut app).await;
    let (ok, out) = verify(&app);
    assert!(ok && out.contains("larisa: ok, 5 entries"), "{out}");
    for s in sql {
        assert_eq!(app.exec(s, t.id).await, 1, "{s}");
    }
    let (ok, out) = verify(&app);
    assert!(!ok, "tampering must fail verification: {out}");
    assert!(out.contains(expect), "expected {expect:?} in: {out}");
    // The invariant check every test runs sees it too.
    let findings = tameio::store::invariants::check(&app.db, t.id).await.unwrap();
    assert!(findings.iter().any(|f| f.contains(expect)), "{findings:?}");
    app.forget_tenant(t.id);
    app.finish().await;
}

async fn audit_verify_names_a_changed_field(b: Backend) {
    tampered(
        b,
        &["update audit_entries set subject = 'api_key:forged' where tenant_id = $1 and seq = 3"],
        "entry 3 differs from its hash",
    )
    .await;
}

async fn audit_verify_names_a_deleted_middle_entry(b: Backend) {
    tampered(b, &["delete from audit_entries where tenant_id = $1 and seq = 3"], "entry 3 is missing").await;
}

async fn audit_verify_names_a_deleted_last_entry(b: Backend) {
    tampered(
        b,
        &["delete from audit_entries where tenant_id = $1 and seq = 5"],
        "the head names entry 5 but the last entry is 4",
    )
    .await;
}

async fn audit_verify_names_swapped_entries(b: Backend) {
    tampered(
        b,
        &[
            "update audit_entries set seq = -1 where tenant_id = $1 and seq = 2",
            "update audit_entries set seq = 2 where tenant_id = $1 and seq = 3",
            "update audit_entries set seq = 3 where tenant_id = $1 and seq = -1",
        ],
        "entry 2 differs from its hash",
    )
    .await;
}

crate::db_tests!(
    audit_verify_names_a_changed_field,
    audit_verify_names_a_deleted_middle_entry,
    audit_verify_names_a_deleted_last_entry,
    audit_verify_names_swapped_entries,
);
