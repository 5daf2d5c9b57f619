//! The real binary: the demo command and startup errors.

// Test code states its expectations with unwrap and expect: a failure is the report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/demo.rs"]
mod demo;
use demo::start_demo;

use std::process::Command;

fn tameio() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tameio"));
    c.env_remove("TAMEIO_DATABASE_URL").env_remove("TAMEIO_ADDR");
    c
}

fn get(url: &str, key: Option<&str>) -> (u16, String) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut req = reqwest::Client::new().get(url);
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        let res = req.send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    })
}

#[test]
fn demo_serves_and_reuses_its_data_with_a_new_key() {
    let data = std::env::temp_dir().join(format!("tameio-demo-{}", uuid::Uuid::new_v4().simple()));
    let (first, base, key1) = start_demo(&data, None);
    assert_eq!(get(&format!("{base}/healthz"), None), (200, "ok".into()));
    let (status, body) = get(&format!("{base}/api/v1/tenant"), Some(&key1));
    assert_eq!(status, 200);
    assert!(body.contains("\"slug\":\"demo\"") && body.contains("\"mode\":\"test\""), "{body}");
    let (status, page) = get(&format!("{base}/api/v1/debts?limit=500"), Some(&key1));
    assert_eq!(status, 200);
    let page: serde_json::Value = serde_json::from_str(&page).unwrap();
    let debts = page["debts"].as_array().unwrap();
    assert_eq!(debts.len(), 300, "the demo has 300 debts");
    assert!(debts.iter().any(|d| d["source_id"] == "DEMO-TRAFFIC-0001" && d["kind"] == "traffic_fine"));
    let partly_paid = debts.iter().filter(|d| d["paid"] != "0.00" && d["status"] == "open").count();
    assert!(partly_paid >= 10, "some debts are partly paid: {partly_paid}");
    drop(first);

    let (second, base, key2) = start_demo(&data, None);
    assert_ne!(key1, key2, "each run mints a fresh key");
    let (status, body) = get(&format!("{base}/api/v1/tenant"), Some(&key2));
    assert_eq!(status, 200, "{body}");
    let (_, page) = get(&format!("{base}/api/v1/debts?limit=500"), Some(&key2));
    assert_eq!(page.matches("\"source_id\"").count(), 300, "the second run adds no debts");
    let (_, keys) = get(&format!("{base}/api/v1/api-keys"), Some(&key2));
    assert_eq!(keys.matches("\"name\":\"demo\"").count(), 2, "same tenant, two keys: {keys}");
    drop(second);
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn unsupported_database_url_is_a_clear_startup_error() {
    let out = tameio().args(["migrate", "--database-url", "mysql://root:hunter2@localhost/x"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("unsupported database URL scheme"), "{err}");
    assert!(!err.contains("hunter2"), "the password must not be printed: {err}");
}

#[test]
fn verify_reaches_every_published_vector_verdict() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("certificates/tests/data");
    let vectors: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data.join("vectors.json")).unwrap()).unwrap();
    let list = vectors["vectors"].as_array().expect("vectors");
    assert!(list.len() >= 8);
    for v in list {
        let mut cmd = tameio();
        cmd.args(["verify", v["token"].as_str().unwrap(), "--now", v["now"].as_str().unwrap(), "--keys"])
            .arg(data.join("keys.json"));
        if v["with_revocations"] == true {
            cmd.arg("--revocations").arg(data.join("revocations.json"));
        }
        let out = cmd.output().unwrap();
        let name = v["name"].as_str().unwrap();
        assert_eq!(
            out.status.code(),
            v["exit_code"].as_i64().map(|c| c as i32),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected = std::fs::read_to_string(data.join(v["report"].as_str().unwrap())).unwrap();
        assert_eq!(String::from_utf8_lossy(&out.stdout), expected, "{name}");
    }
}

fn corpus(rel: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora").join(rel);
    if p.exists() {
        return Some(p);
    }
    assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "the corpus must be beside the repository in CI: {rel}");
    eprintln!("../shared/corpora is missing: skipped");
    None
}

#[test]
fn statement_parse_prints_the_contract_or_names_the_position() {
    let Some(file) = corpus("camt053/genkgo__camt/test/data/camt053.v2.minimal.xml") else { return };
    let out = tameio().args(["statement", "parse"]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["format"], "camt.053.001.02");
    assert!(json["statements"][0]["lines"].is_array());

    let dir = std::env::temp_dir().join(format!("tameio-doctype-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("doctype.xml");
    std::fs::write(&bad, "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"b\">]>\n<Document/>").unwrap();
    let out = tameio().args(["statement", "parse"]).arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.to_lowercase().contains("doctype") && err.contains("line 2"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn verify_gives_the_same_verdict_for_a_pdf_and_its_bare_token() {
    use certificates::{
        Certificate, CertificateDocument, CertificateId, Country, HolderName, Purpose, Scope, SigningKey, TaxId,
        TenantName, Validity, render_pdf, sign,
    };
    let tenant = uuid::Uuid::from_u128(0x0f6e_2c9a_8d1b_4f3e_9a57_3c2b_1d0e_a001);
    let key = SigningKey::from_seed(tenant, 1, &[0x11; 32]);
    let date = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
    let gr = Country::new("GR").unwrap();
    let cert = Certificate {
        id: CertificateId([0x42; 16]),
        tenant_id: tenant,
        key_id: 1,
        holder_tax_id: TaxId::new(gr, "094019245").unwrap(),
        holder_name: HolderName::new("Παπαδοπούλου Αικατερίνη").unwrap(),
        purpose: Purpose::PropertyTransfer,
        scope: Scope::AllDebts,
        validity: Validity::new(date(2025, 3, 14), date(2025, 6, 13)).unwrap(),
        serial: 7,
        tenant_name: TenantName::new("Δήμος Αθηναίων").unwrap(),
    };
    let token = sign(&cert, &key).unwrap();
    let pdf = render_pdf(&CertificateDocument {
        certificate: &cert,
        token: &token,
        host: "tameio.example.gr",
        municipality_el: "Δήμος Αθηναίων",
        municipality_en: "City of Athens",
        legal_basis: "Άρθρο 285 του ν. 3463/2006.",
        created_at: chrono::DateTime::parse_from_rfc3339("2025-03-14T10:42:07+02:00").unwrap(),
    })
    .unwrap();
    let dir = std::env::temp_dir().join(format!("tameio-verify-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let pdf_path = dir.join("certificate.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();
    let keys = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("certificates/tests/data/keys.json");
    let run = |input: &std::ffi::OsStr, now: &str| {
        let out = tameio().arg("verify").arg(input).args(["--now", now, "--keys"]).arg(&keys).output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    for (now, code, verdict) in [("2025-04-01", Some(0), "genuine and valid"), ("2025-07-01", Some(1), "expired")] {
        let from_pdf = run(pdf_path.as_os_str(), now);
        let from_token = run(std::ffi::OsStr::new(&token.to_base32()), now);
        assert_eq!(from_pdf, from_token, "the PDF and its token must read the same");
        assert_eq!(from_pdf.0, code, "{}", from_pdf.1);
        assert!(from_pdf.1.contains(verdict) && from_pdf.1.contains("revocation not checked"), "{}", from_pdf.1);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
