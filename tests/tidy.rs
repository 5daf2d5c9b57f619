//! Conventions a machine can check (CONTRIBUTING.md gives the reasons).

// Test code states its expectations with unwrap and expect: a failure is the report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(rust_files(&p));
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
    out
}

fn names(dir: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(root().join(dir))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn migration_trees_are_paired() {
    let sqlite = names("migrations/sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, names("migrations/postgres"), "every migration exists for both databases, under the same name");
}

#[test]
fn domain_knows_nothing_of_sql_or_http() {
    for f in rust_files(&root().join("src/domain")) {
        let text = fs::read_to_string(&f).unwrap();
        for banned in ["sqlx", "axum", "reqwest", "tokio"] {
            assert!(!text.contains(banned), "{} mentions {banned}", f.display());
        }
    }
}

#[test]
fn api_routes_are_registered_only_through_openapi() {
    for f in rust_files(&root().join("src/http/api")) {
        let text = fs::read_to_string(&f).unwrap();
        assert!(!text.contains(".route("), "{}: register API routes with utoipa_axum's routes!", f.display());
    }
}

#[test]
fn no_clock_reads_outside_the_clock() {
    for f in rust_files(&root().join("src")) {
        if f.ends_with("clock.rs") {
            continue;
        }
        let text = fs::read_to_string(&f).unwrap();
        assert!(!text.contains("Utc::now()"), "{}: business time comes from the Clock", f.display());
        assert!(!text.contains("now()\""), "{}: take times from Rust, not SQL now()", f.display());
    }
}

#[test]
fn every_module_says_what_it_is_for() {
    for f in rust_files(&root().join("src")) {
        let text = fs::read_to_string(&f).unwrap();
        assert!(text.starts_with("//!"), "{} must open with a //! line", f.display());
    }
}
