//! Notice PDFs read back the way a citizen's tools read them: rasterized at
//! 300 dpi with every QR code decoded from the pixels, and the text extracted.
//! The helpers here (and the notice builders) serve every test that checks a
//! notice.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::NaiveDate;
use tameio::bills::pdf::MAX_TEXT_CHARS;
use tameio::bills::{BillError, Notice, NoticeLine, render_notice};
use tameio::domain::epc::{EpcTransfer, epc_payload};
use tameio::domain::iban::Iban;
use tameio::domain::money::Cents;
use tameio::domain::rf::RfReference;

/// What a PDF gives back to poppler and a QR reader.
#[derive(Debug)]
pub struct Scan {
    pub pages: usize,
    /// Every QR code found, decoded to its raw bytes, in page order.
    pub qr_payloads: Vec<Vec<u8>>,
    /// `pdftotext` output, UTF-8.
    pub text: String,
}

/// poppler-utils is a test tool, not a build dependency: without it the
/// raster tests skip on a developer's machine but fail in CI.
pub fn poppler() -> bool {
    let found =
        Command::new("pdftoppm").arg("-v").output().is_ok() && Command::new("pdftotext").arg("-v").output().is_ok();
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "pdftoppm/pdftotext not found: install poppler-utils (apt-get install poppler-utils)"
        );
        eprintln!("note: skipping, pdftoppm/pdftotext not found (install poppler-utils)");
    }
    found
}

/// An empty directory of its own, unique across tests running in parallel.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tameio-bill-{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Rasterizes every page at 300 dpi and decodes every QR code on it, as
/// raw bytes (rqrr's `String` would not say which encoding it assumed).
/// Returns the page count and the payloads.
pub fn decode_all(pdf_path: &Path, dir: &Path) -> (usize, Vec<Vec<u8>>) {
    let prefix = dir.join("page");
    let status =
        Command::new("pdftoppm").args(["-r", "300", "-gray", "-png"]).arg(pdf_path).arg(&prefix).status().unwrap();
    assert!(status.success(), "pdftoppm failed on {}", pdf_path.display());
    let mut pngs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    pngs.sort();
    let mut decoded = Vec::new();
    for png_path in &pngs {
        let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(png_path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let (w, h) = (info.width as usize, info.height as usize);
        let channels = match info.color_type {
            png::ColorType::Grayscale => 1,
            png::ColorType::Rgb => 3,
            other => panic!("unexpected PNG colour type {other:?}"),
        };
        let luma = |x: usize, y: usize| buf[(y * w + x) * channels + channels / 2];
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, luma);
        for grid in img.detect_grids() {
            let mut bytes = Vec::new();
            let meta = grid.decode_to(&mut bytes).unwrap();
            assert_eq!(meta.ecc_level, 0, "EC level M"); // rqrr: 0 = M
            decoded.push(bytes);
        }
    }
    (pngs.len(), decoded)
}

/// The PDF's text as `pdftotext` extracts it.
pub fn pdftotext(pdf_path: &Path) -> String {
    let out = Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(pdf_path).arg("-").output().unwrap();
    assert!(out.status.success(), "pdftotext failed on {}", pdf_path.display());
    String::from_utf8(out.stdout).unwrap()
}

/// Rasterizes and extracts `pdf`; `None` (after a note) when poppler-utils
/// is missing outside CI.
pub fn scan(pdf: &[u8], name: &str) -> Option<Scan> {
    if !poppler() {
        return None;
    }
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF: {:?}", String::from_utf8_lossy(&pdf[..pdf.len().min(200)]));
    let dir = scratch(name);
    let pdf_path = dir.join("notice.pdf");
    std::fs::write(&pdf_path, pdf).unwrap();
    let (pages, qr_payloads) = decode_all(&pdf_path, &dir);
    let text = pdftotext(&pdf_path);
    let _ = std::fs::remove_dir_all(&dir);
    Some(Scan { pages, qr_payloads, text })
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const PARTY: &str = "Παπαδοπούλου Αικατερίνη-Ελευθερία";
const RFS: [&str; 9] = [
    "RF18539007547034",
    "RF2939KX5US7LX3PAN1BNWC0H",
    "RF03SW3EZRUFBK",
    "RF20QQHM7PAW61EOWO",
    "RF206KCJWVH20",
    "RF97XX5ZIC",
    "RF66A4E7BF6OI8F23P9",
    "RF888F7P5VQ8TOFTY3LZ",
    "RF056TXFK",
];

fn line(rf: &str, kind: &str, principal: i64, surcharges: i64) -> NoticeLine {
    let iban = Iban::parse("GR1601101250000000012300695").unwrap();
    let rf = RfReference::parse(rf).unwrap();
    let amount = Cents::new(principal + surcharges);
    let epc_payload = epc_payload(&EpcTransfer {
        bic: None,
        beneficiary: "Δήμος Αθηναίων".to_owned(),
        iban,
        amount,
        reference: rf.clone(),
    })
    .unwrap();
    NoticeLine {
        rf,
        kind_label: kind.to_owned(),
        fiscal_year: 2024,
        due_on: date(2024, 12, 31),
        principal: Cents::new(principal),
        surcharges: Cents::new(surcharges),
        amount,
        epc_payload,
    }
}

fn notice(debts: usize) -> Notice {
    let kinds = ["Ύδρευση", "Τέλη κοινόχρηστων χώρων", "Πρόστιμο ΚΟΚ"];
    let lines = RFS
        .iter()
        .take(debts)
        .enumerate()
        .map(|(i, rf)| {
            let i = i as i64;
            line(rf, kinds[i as usize % 3], 12_345 + 100_000 * i, 617 * i)
        })
        .collect();
    Notice {
        municipality_el: "Δήμος Αθηναίων".to_owned(),
        municipality_en: "Municipality of Athens".to_owned(),
        creditor_name: "Δήμος Αθηναίων".to_owned(),
        iban: Iban::parse("GR1601101250000000012300695").unwrap(),
        party_name: PARTY.to_owned(),
        party_address: "Λεωφόρος Βασιλίσσης Σοφίας 125, 115 21 Αθήνα".to_owned(),
        notice_date: date(2025, 3, 14),
        valid_until: date(2025, 3, 31),
        lines,
        test_mode: true,
    }
}

fn payloads(n: &Notice) -> BTreeSet<Vec<u8>> {
    n.lines.iter().map(|l| l.epc_payload.as_bytes().to_vec()).collect()
}

#[test]
fn three_debts_scan_back_to_their_payloads_and_text_is_extractable() {
    let n = notice(3);
    assert_eq!(n.lines.len(), 3);
    let Some(scan) = scan(&render_notice(&n).unwrap(), "three") else { return };
    assert_eq!(scan.pages, 1);
    assert_eq!(scan.qr_payloads.len(), 3, "one QR code per debt");
    let decoded: BTreeSet<Vec<u8>> = scan.qr_payloads.into_iter().collect();
    assert_eq!(decoded, payloads(&n));

    let text = scan.text;
    assert!(text.contains(PARTY), "party name not extractable:\n{text}");
    for l in &n.lines {
        let printed = l.rf.to_string();
        assert!(printed.contains(' '));
        // Once in the table, once under the QR code.
        assert!(text.matches(&printed).count() >= 2, "{printed} not extractable:\n{text}");
    }
    for needle in [
        "ΕΙΔΟΠΟΙΗΤΗΡΙΟ / NOTICE",
        "ΔΟΚΙΜΑΣΤΙΚΗ ΛΕΙΤΟΥΡΓΙΑ / TEST MODE",
        "Ποσό έγκυρο έως / Amount valid until",
        "31/03/2025",
        "14/03/2025",
        "GR16 0110 1250 0000 0001 2300 695",
        "Ύδρευση",
        "123,45 €",
        // 123.45 + 1,129.62 + 2,135.79
        "1.129,62 €",
        "3.388,86 €",
    ] {
        assert!(text.contains(needle), "{needle} missing:\n{text}");
    }
}

#[test]
fn nine_debts_take_three_pages_and_every_code_still_scans() {
    let n = Notice { test_mode: false, ..notice(9) };
    assert_eq!(n.lines.len(), 9);
    let Some(scan) = scan(&render_notice(&n).unwrap(), "nine") else { return };
    assert_eq!(scan.pages, 3, "four debts a page");
    assert_eq!(scan.qr_payloads.len(), 9, "one QR code per debt");
    let decoded: BTreeSet<Vec<u8>> = scan.qr_payloads.into_iter().collect();
    assert_eq!(decoded, payloads(&n));
    let text = scan.text;
    assert!(text.contains("Σελίδα 3 από 3 / Page 3 of 3"), "{text}");
    assert!(!text.contains("TEST MODE"));
    assert_eq!(text.matches(PARTY).count(), 3, "the header is on every page");
}

#[test]
fn output_is_deterministic_and_dated_by_the_notice() {
    let n = notice(3);
    let a = render_notice(&n).unwrap();
    let b = render_notice(&n).unwrap();
    assert!(a == b, "two renderings differ");
    let raw = String::from_utf8_lossy(&a);
    assert!(raw.contains("/CreationDate(D:20250314)"), "creation date");
    assert!(raw.contains("TAMEIR+"), "regular font is a subset");
    // Subset fonts keep a notice small: two faces, three QR codes.
    assert!(a.len() < 80_000, "{} bytes", a.len());
    let other = render_notice(&Notice { party_name: "Γεωργίου Νίκος".to_owned(), ..n }).unwrap();
    assert!(other != a);
}

#[test]
fn bad_notices_are_refused_not_panicked_on() {
    let empty = Notice { lines: Vec::new(), ..notice(1) };
    assert_eq!(render_notice(&empty), Err(BillError::NoLines));

    let mut too_big = notice(1);
    too_big.lines[0].epc_payload = "x".repeat(400);
    assert!(matches!(render_notice(&too_big), Err(BillError::Qr(_))));

    let mut overflow = notice(2);
    for l in &mut overflow.lines {
        l.amount = Cents::new(i64::MAX);
    }
    assert_eq!(render_notice(&overflow), Err(BillError::Overflow));

    let long = Notice { party_address: "Οδός ".repeat(100), ..notice(1) };
    assert_eq!(render_notice(&long), Err(BillError::TextTooLong("party_address")));

    // Long but accepted: wraps, and a long kind label is set smaller.
    let mut wordy =
        Notice { party_name: "Α".repeat(MAX_TEXT_CHARS), municipality_el: "Δήμος ".repeat(33), ..notice(4) };
    wordy.lines[0].kind_label = "Τέλη ".repeat(40);
    assert!(render_notice(&wordy).is_ok());
}
