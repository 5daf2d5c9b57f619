//! The RF references Tameio generates, checked by an independent ISO 11649
//! implementation: python-stdnum's `stdnum.iso11649`.

use std::io::Write as _;
use std::process::{Command, Stdio};

use crate::helpers::{Backend, TestApp, roll_csv, roll_row};

/// Asks python-stdnum which of `rfs` are invalid; returns its count and exit status.
const CHECK: &str = "import sys; from stdnum import iso11649; bad=[l for l in sys.stdin.read().split() if not iso11649.is_valid(l)]; print(len(bad)); sys.exit(1 if bad else 0)";

/// python-stdnum is a test tool: without it the test skips on a developer's
/// machine but fails in CI.
fn stdnum() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import stdnum"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "python3 cannot import stdnum: pip install python-stdnum"
        );
        eprintln!("note: skipping, python3 cannot import stdnum (pip install python-stdnum)");
    }
    found
}

/// Runs python-stdnum over `rfs`: how many it calls invalid, and whether it exited 0.
fn invalid_per_stdnum(rfs: &[String]) -> (String, bool) {
    let mut child = Command::new("python3")
        .args(["-c", CHECK])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(rfs.join("\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    (String::from_utf8(out.stdout).unwrap().trim().to_string(), out.status.success())
}

async fn generated_references_pass_python_stdnum(b: Backend) {
    if !stdnum() {
        return;
    }
    // The checker is not vacuous: it refuses a reference with a wrong check digit.
    assert_eq!(invalid_per_stdnum(&["RF18539007547034".into(), "RF18539007547035".into()]), ("1".into(), false));

    let mut app = TestApp::spawn(b).await;
    let t = app.tenant("rodos", "ROD").await;
    let (status, body) = app.import_roll(&t.key, &roll_csv((0..200).map(roll_row)), "").await;
    assert_eq!(status, 201, "{body}");
    let (status, page) = app.get("/api/v1/debts?limit=500", Some(&t.key)).await;
    assert_eq!(status, 200, "{page}");
    let rfs: Vec<String> =
        page["debts"].as_array().unwrap().iter().map(|d| d["rf"].as_str().unwrap().to_string()).collect();
    assert_eq!(rfs.len(), 200);
    assert_eq!(rfs.iter().collect::<std::collections::BTreeSet<_>>().len(), 200, "every RF is unique");
    assert!(rfs.iter().all(|rf| rf.len() == 19 && rf[4..].starts_with("ROD")), "{rfs:?}");
    assert_eq!(invalid_per_stdnum(&rfs), ("0".into(), true), "python-stdnum refuses some of {rfs:?}");
    app.finish().await;
}

crate::db_tests!(generated_references_pass_python_stdnum);
