//! The worst-case certificate PDF, checked the way a notary's tools would:
//! rasterized at 300 dpi by pdftoppm, its QR decoded from the pixels by rqrr,
//! its text extracted by pdftotext. Needs poppler-utils installed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use certificates::qr::{MAX_HOST_LEN, MAX_VERSION};
use certificates::{
    CertificateDocument, Token, Verdict, extract_token_from_pdf, qr_matrix, qr_url, render_pdf, verify, verify_input,
};
use chrono::{DateTime, FixedOffset};
use common::*;

/// A host of the largest accepted length.
const HOST: &str = "verify.dimos-neas-filadelfeia.gr";

fn created_at() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2025-03-14T10:42:07+02:00").unwrap()
}

fn worst_pdf() -> (Token, Vec<u8>) {
    let cert = worst_case();
    let token = signed(&cert, &key_a1());
    let doc = CertificateDocument {
        certificate: &cert,
        token: &token,
        host: HOST,
        municipality_el: "Δήμος Νέας Φιλαδέλφειας - Νέας Χαλκηδόνας",
        municipality_en: "Municipality of Nea Filadelfeia - Nea Chalkidona",
        legal_basis: "Άρθρο 285 του Κώδικα Δήμων και Κοινοτήτων (ν. 3463/2006), σε συνδυασμό με το άρθρο 5 του ν. 4223/2013 για την απαλλαγή από τέλος ακίνητης περιουσίας (ΤΑΠ) κατά τη μεταβίβαση. Article 285 of the Code of Municipalities and Communities (Law 3463/2006).",
        created_at: created_at(),
    };
    let pdf = render_pdf(&doc).unwrap();
    (token, pdf)
}

fn scratch(name: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(name)
}

#[test]
fn worst_case_url_fits_qr_version_18_at_level_q() {
    let host = HOST;
    assert_eq!(host.len(), MAX_HOST_LEN);
    let token = signed(&worst_case(), &key_a1());
    let url = qr_url(host, &token).unwrap();
    assert!(url.starts_with("HTTPS://VERIFY.DIMOS-NEAS-FILADELFEIA.GR/V/"));
    let matrix = qr_matrix(&url).unwrap();
    assert!(matrix.version <= MAX_VERSION, "version {}", matrix.version);
    assert_eq!(matrix.version, 18, "the bound is tight, as computed");
    assert!(qr_url(&format!("x{HOST}"), &token).is_err(), "a longer host is refused");
    assert!(qr_url("bad host", &token).is_err());
}

#[test]
fn rasterized_qr_decodes_to_a_genuine_token_and_text_is_extractable() {
    let (token, pdf) = worst_pdf();
    let pdf_path = scratch("worst-case.pdf");
    std::fs::write(&pdf_path, &pdf).unwrap();

    // 300 dpi greyscale, as a scanner at a notary's office would give.
    let prefix = scratch("worst-case");
    let status = Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-png", "-singlefile"])
        .arg(&pdf_path)
        .arg(&prefix)
        .status()
        .expect("pdftoppm from poppler-utils must be installed");
    assert!(status.success());
    let png_path = prefix.with_extension("png");
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&png_path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let (w, h) = (info.width as usize, info.height as usize);
    let channels = match info.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::Rgb => 3,
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    // The green channel stands in for luminance; the page is black on white.
    let luma = |x: usize, y: usize| buf[(y * w + x) * channels + channels / 2];
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, luma);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "exactly one QR code on the page");
    let (meta, content) = grids[0].decode().unwrap();
    assert!(meta.version.0 <= 18);
    let decoded = Token::parse(&content).unwrap();
    assert_eq!(decoded, token);
    let v = verify(&decoded, &keyring(), None, date(2025, 4, 1));
    assert_eq!(v.verdict, Verdict::GenuineAndValid);

    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&pdf_path)
        .arg("-")
        .output()
        .expect("pdftotext from poppler-utils must be installed");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains(&longest_greek_name()), "holder's name not extractable:\n{text}");
    assert!(text.contains("ΒΕΒΑΙΩΣΗ ΜΗ ΟΦΕΙΛΗΣ"));
    assert!(text.contains(&worst_case().id.short_form()));
}

#[test]
fn pdf_carries_the_token_and_a_real_creation_date() {
    let (token, pdf) = worst_pdf();
    assert_eq!(extract_token_from_pdf(&pdf), Some(token.to_base32()));
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("/CreationDate(D:20250314104207+02'00')"), "creation date missing");

    let keys = keys_file().to_json();
    let from_pdf = verify_input(&pdf, keys.as_bytes(), None, date(2025, 4, 1)).unwrap();
    let from_text = verify_input(token.to_base32().as_bytes(), keys.as_bytes(), None, date(2025, 4, 1)).unwrap();
    assert_eq!(from_pdf, from_text);
    assert_eq!(from_pdf.verdict(), Verdict::GenuineAndValid);
    let expired = verify_input(&pdf, keys.as_bytes(), None, date(2026, 1, 1)).unwrap();
    assert_eq!(expired.verdict(), Verdict::Expired);
}

#[test]
fn pdf_for_another_certificate_than_the_token_is_refused() {
    let cert = typical();
    let token = signed(&worst_case(), &key_a1());
    let doc = CertificateDocument {
        certificate: &cert,
        token: &token,
        host: "verify.example.gr",
        municipality_el: "Δήμος Αθηναίων",
        municipality_en: "Municipality of Athens",
        legal_basis: "-",
        created_at: created_at(),
    };
    assert!(render_pdf(&doc).is_err());
}

#[test]
fn qr_matrices_decode_whatever_mask_is_chosen() {
    // Different ids give different data and so different masks; every one
    // must decode back to its URL.
    for i in 0..24u8 {
        let cert = certificates::Certificate {
            id: certificates::CertificateId([i.wrapping_mul(37); 16]),
            serial: u32::from(i),
            ..worst_case()
        };
        let url = qr_url(HOST, &signed(&cert, &key_a1())).unwrap();
        let m = qr_matrix(&url).unwrap();
        let (scale, quiet) = (4, 4);
        let side = (m.width + 2 * quiet) * scale;
        let mut img = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            let (mx, my) = ((x / scale).wrapping_sub(quiet), (y / scale).wrapping_sub(quiet));
            if m.is_dark(mx, my) { 0 } else { 255 }
        });
        let grids = img.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().unwrap().1, url, "certificate {i}");
    }
}
