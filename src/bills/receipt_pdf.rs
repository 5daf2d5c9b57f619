//! The payment receipt PDF (διπλότυπο είσπραξης) and its cancellation: who
//! paid what, when and how, with one table row per debt the payment settled,
//! the surplus kept as credit and the total, on as many pages as the rows need.
//!
//! Built like the notice (`super::pdf`): DejaVu Sans embedded as a subset with
//! a ToUnicode map, so the text prints and extracts in Greek, and the same
//! receipt always gives the same bytes, so a re-issued copy can be compared
//! with the original.

use std::ops::Range;
use std::sync::OnceLock;

use certificates::pdfkit::{DejaVuSans, Face, MM, Page, compress_fast};
use chrono::NaiveDateTime;
use printpdf::{FontId, PdfDocument, PdfPage, PdfSaveOptions};

use super::format_eur;
use super::pdf::{BillError, MAX_TEXT_CHARS, field_at, set_info};
use crate::domain::lang::Lang;
use crate::domain::money::Cents;

const PAGE_W: f32 = 210.0 * MM;
const PAGE_H: f32 = 297.0 * MM;
const LEFT: f32 = 20.0 * MM;
const RIGHT: f32 = 190.0 * MM;
/// Nothing but the footer goes below this line.
const BOTTOM: f32 = 18.0 * MM;
/// ISO 11649 caps an RF reference at 25 characters; longer would not fit its column.
const RF_MAX_CHARS: usize = 25;
const REVENUE_CODE_MAX_CHARS: usize = 24;
/// A receipt number is printed in the footer of every page, so it must stay one line.
const LABEL_MAX_CHARS: usize = 64;
/// Font size of a table row's amounts and references.
const ROW_SIZE: f32 = 8.5;
const DESCRIPTION_SIZE: f32 = 7.5;

/// Whether the document records money received or undoes an earlier receipt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptKindView {
    Receipt,
    Cancellation,
}

/// One debt the payment went to.
#[derive(Debug, Clone)]
pub struct ReceiptLineView {
    pub rf: String,
    /// Κωδικός Αριθμός Εσόδου; empty when the tenant does not use one.
    pub revenue_code: String,
    pub fiscal_year: i64,
    pub description: String,
    pub principal: Cents,
    pub surcharge: Cents,
}

/// Everything printed on a receipt, already in the reader's language.
#[derive(Debug, Clone)]
pub struct ReceiptView {
    pub lang: Lang,
    pub kind: ReceiptKindView,
    /// Prints a banner on every page, so a test receipt is never taken for a real one.
    pub test_mode: bool,
    pub municipality: String,
    /// Series/year/number, e.g. "TEST-2026/000042".
    pub label: String,
    pub issued_local: NaiveDateTime,
    pub payer_name: String,
    pub payer_tax_id_masked: String,
    /// "card", "bank_transfer" or "sandbox"; anything else is printed as given.
    pub channel: &'static str,
    pub lines: Vec<ReceiptLineView>,
    /// Surplus kept as the payer's credit; printed only when positive.
    pub credit: Cents,
    pub total: Cents,
    /// For a cancellation, the receipt it cancels.
    pub cancels_label: Option<String>,
}

/// The fixed text of a receipt in one language.
struct Words {
    document: &'static str,
    title: &'static str,
    cancel_title: &'static str,
    number: &'static str,
    cancels: &'static str,
    issued: &'static str,
    payer: &'static str,
    tax_id: &'static str,
    channel: &'static str,
    columns: [&'static str; 6],
    credit: &'static str,
    total: &'static str,
}

const EL: Words = Words {
    document: "Διπλότυπο είσπραξης",
    title: "ΔΙΠΛΟΤΥΠΟ ΕΙΣΠΡΑΞΗΣ",
    cancel_title: "ΑΚΥΡΩΤΙΚΟ ΔΙΠΛΟΤΥΠΟΥ ΕΙΣΠΡΑΞΗΣ",
    number: "Αριθμός",
    cancels: "Ακυρώνει το",
    issued: "Ημερομηνία και ώρα",
    payer: "Καταβάλλων",
    tax_id: "ΑΦΜ",
    channel: "Τρόπος πληρωμής",
    columns: ["RF", "ΚΑΕ", "Έτος", "Κεφάλαιο", "Προσαυξήσεις", "Σύνολο"],
    credit: "Πιστωτικό υπόλοιπο υπέρ του καταβάλλοντος",
    total: "ΣΥΝΟΛΟ",
};

const EN: Words = Words {
    document: "Payment receipt",
    title: "PAYMENT RECEIPT",
    cancel_title: "RECEIPT CANCELLATION",
    number: "Number",
    cancels: "Cancels",
    issued: "Date and time",
    payer: "Payer",
    tax_id: "Tax id",
    channel: "Payment method",
    columns: ["RF", "Revenue code", "Year", "Principal", "Surcharges", "Total"],
    credit: "Kept as credit for the payer",
    total: "TOTAL",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::El => &EL,
        Lang::En => &EN,
    }
}

fn channel_name(lang: Lang, channel: &'static str) -> &'static str {
    match (lang, channel) {
        (Lang::El, "card") => "Κάρτα",
        (Lang::El, "bank_transfer") => "Τραπεζική μεταφορά",
        (Lang::El, "sandbox") => "Κάρτα (δοκιμαστική)",
        (Lang::En, "card") => "Card",
        (Lang::En, "bank_transfer") => "Bank transfer",
        (Lang::En, "sandbox") => "Card (test)",
        (_, other) => other,
    }
}

/// Table columns: left edge and right edge in mm from `LEFT`, and whether
/// the column holds amounts (set flush right so the decimals line up).
const COLUMNS: [(f32, f32, bool); 6] = [
    (1.5, 50.0, false),
    (52.0, 74.0, false),
    (76.0, 88.0, false),
    (90.0, 118.0, true),
    (120.0, 145.0, true),
    (147.0, 168.5, true),
];

/// What every drawing step needs.
struct Ctx<'a> {
    v: &'a ReceiptView,
    w: &'static Words,
    regular: Face<'a>,
    bold: Face<'a>,
}

/// Renders a receipt with fonts parsed once for the whole process.
pub fn render_receipt(v: &ReceiptView) -> Result<Vec<u8>, BillError> {
    static FONTS: OnceLock<Option<DejaVuSans>> = OnceLock::new();
    let fonts = FONTS.get_or_init(|| DejaVuSans::parse().ok()).as_ref().ok_or(BillError::Font)?;
    check(v)?;
    let line_totals = v
        .lines
        .iter()
        .map(|l| l.principal.checked_add(l.surcharge).ok_or(BillError::Overflow))
        .collect::<Result<Vec<_>, _>>()?;

    let w = words(v.lang);
    let mut pdf = PdfDocument::new(w.document);
    // Fixed ids instead of printpdf's random ones: they become the font
    // subset tags, and fixed tags keep the output the same from run to run.
    let ctx = Ctx {
        v,
        w,
        regular: Face { id: FontId("TAMEIR".to_owned()), font: &fonts.regular },
        bold: Face { id: FontId("TAMEIB".to_owned()), font: &fonts.bold },
    };
    for face in [&ctx.regular, &ctx.bold] {
        pdf.resources.fonts.map.insert(face.id.clone(), printpdf::PdfFont::new(face.font.clone()));
    }
    let info = &mut pdf.metadata.info;
    info.producer = "Tameio".to_owned();
    info.creator = "Tameio".to_owned();
    info.author = v.municipality.clone();
    info.subject = format!("{} {}", w.document, v.label);

    let pages = layout(&ctx, &line_totals)?
        .into_iter()
        .map(|ops| PdfPage::new(printpdf::Mm(210.0), printpdf::Mm(297.0), ops))
        .collect();
    pdf.with_pages(pages);

    let opts = PdfSaveOptions { image_optimization: None, ..PdfSaveOptions::default() };
    let mut lo = pdf.to_lopdf_document(&opts, &mut Vec::new());
    compress_fast(&mut lo)?;
    // Local time without an offset: the receipt states the municipality's clock.
    set_info(&mut lo, &v.issued_local.format("D:%Y%m%d%H%M%S").to_string())?;
    let mut out = Vec::with_capacity(48 * 1024);
    lo.save_to(&mut out).map_err(|e| BillError::Write(e.to_string()))?;
    Ok(out)
}

/// Refuses text that would not fit rather than cutting a name short.
fn check(v: &ReceiptView) -> Result<(), BillError> {
    let long = |value: &str, max: usize| value.chars().count() > max;
    let fields: [(&'static str, &str, usize); 5] = [
        ("municipality", &v.municipality, MAX_TEXT_CHARS),
        ("label", &v.label, LABEL_MAX_CHARS),
        ("payer_name", &v.payer_name, MAX_TEXT_CHARS),
        ("payer_tax_id_masked", &v.payer_tax_id_masked, MAX_TEXT_CHARS),
        ("cancels_label", v.cancels_label.as_deref().unwrap_or_default(), LABEL_MAX_CHARS),
    ];
    for (name, value, max) in fields {
        if long(value, max) {
            return Err(BillError::TextTooLong(name));
        }
    }
    // A receipt records money received: a debt it settled or credit it kept.
    if v.lines.is_empty() && !v.credit.is_positive() {
        return Err(BillError::NoLines);
    }
    for l in &v.lines {
        if long(&l.rf, RF_MAX_CHARS) {
            return Err(BillError::TextTooLong("rf"));
        }
        if long(&l.revenue_code, REVENUE_CODE_MAX_CHARS) {
            return Err(BillError::TextTooLong("revenue_code"));
        }
        if long(&l.description, MAX_TEXT_CHARS) {
            return Err(BillError::TextTooLong("description"));
        }
    }
    Ok(())
}

/// Lays out every page: the header on each (a page on its own still says
/// whose receipt it is), then the rows that fit, the totals on the last.
fn layout(x: &Ctx<'_>, line_totals: &[Cents]) -> Result<Vec<Vec<printpdf::Op>>, BillError> {
    // Heights are measured by drawing on a scratch page, so the plan cannot
    // drift from what is drawn.
    let head_bottom = {
        let mut probe = canvas();
        header(&mut probe, x);
        table_head(&mut probe, x);
        probe.y
    };
    let rows: Vec<f32> = x.v.lines.iter().zip(line_totals).map(|(l, t)| height(|c| row(c, x, l, *t))).collect();
    let totals_h = height(|c| totals(c, x));
    let plan = plan(head_bottom - BOTTOM, &rows, totals_h)?;

    let count = plan.len();
    let mut pages = Vec::with_capacity(count);
    for (i, range) in plan.into_iter().enumerate() {
        let mut c = canvas();
        header(&mut c, x);
        let last = i + 1 == count;
        if !range.is_empty() || !last {
            table_head(&mut c, x);
        }
        let lines = x.v.lines.get(range.clone()).unwrap_or_default();
        for (line, total) in lines.iter().zip(line_totals.get(range).unwrap_or_default()) {
            row(&mut c, x, line, *total);
        }
        if last {
            totals(&mut c, x);
        }
        footer(&mut c, x, i + 1, count);
        pages.push(c.ops);
    }
    Ok(pages)
}

/// Splits the rows into pages of at most `room` points, keeping room for the
/// totals on the last page. The totals carry the last row with them to a new
/// page rather than stand there alone.
fn plan(room: f32, rows: &[f32], totals_h: f32) -> Result<Vec<Range<usize>>, BillError> {
    let too_tall = BillError::TextTooLong("header");
    let mut pages = Vec::new();
    let mut start = 0;
    let mut used = 0.0;
    for (i, h) in rows.iter().enumerate() {
        if used + h > room && i > start {
            pages.push(start..i);
            start = i;
            used = 0.0;
        }
        if *h > room {
            return Err(too_tall);
        }
        used += h;
    }
    if used + totals_h > room {
        let last = rows.len().saturating_sub(1);
        match rows.get(last) {
            Some(h) if last > start && h + totals_h <= room => {
                pages.push(start..last);
                start = last;
            }
            Some(_) if last >= start && totals_h <= room => {
                pages.push(start..rows.len());
                start = rows.len();
            }
            _ => return Err(too_tall),
        }
    }
    pages.push(start..rows.len());
    Ok(pages)
}

fn header(c: &mut Page, x: &Ctx<'_>) {
    let (v, w, regular, bold) = (x.v, x.w, &x.regular, &x.bold);
    c.y = PAGE_H - 15.0 * MM;
    if v.test_mode {
        let h = 13.0 * MM;
        c.y -= h;
        c.rect(LEFT, c.y, RIGHT - LEFT, h, 0.82);
        let centred = |face: &Face<'_>, size: f32, text: &str| (PAGE_W - face.width(text, size)) / 2.0;
        let top = "ΔΟΚΙΜΑΣΤΙΚΗ ΛΕΙΤΟΥΡΓΙΑ / TEST MODE";
        c.text_at(bold, 12.0, centred(bold, 12.0, top), c.y + 7.0 * MM, top);
        let under = "Δεν είναι πραγματικό διπλότυπο είσπραξης — not a real receipt";
        c.text_at(regular, 8.5, centred(regular, 8.5, under), c.y + 2.5 * MM, under);
        c.y -= 3.0 * MM;
    }
    c.paragraph(bold, 13.0, &v.municipality);
    c.rule(2.0 * MM, 1.5 * MM);
    c.y -= 1.0 * MM;
    let title = match v.kind {
        ReceiptKindView::Receipt => w.title,
        ReceiptKindView::Cancellation => w.cancel_title,
    };
    c.paragraph(bold, 16.0, title);
    c.y -= 2.0 * MM;

    field(c, bold, bold, 10.0, w.number, &v.label);
    if let Some(cancels) = &v.cancels_label {
        field(c, bold, bold, 10.0, w.cancels, cancels);
    }
    field(c, bold, regular, 9.0, w.issued, &v.issued_local.format("%d/%m/%Y %H:%M").to_string());
    field(c, bold, regular, 9.0, w.payer, &v.payer_name);
    field(c, bold, regular, 9.0, w.tax_id, &v.payer_tax_id_masked);
    field(c, bold, regular, 9.0, w.channel, channel_name(v.lang, v.channel));
}

/// The column titles on a grey band.
fn table_head(c: &mut Page, x: &Ctx<'_>) {
    c.y -= 3.0 * MM;
    let h = 6.0 * MM;
    c.y -= h;
    c.rect(LEFT, c.y, RIGHT - LEFT, h, 0.9);
    let baseline = c.y + 2.0 * MM;
    for (title, column) in x.w.columns.iter().zip(COLUMNS) {
        cell(c, &x.bold, 7.5, baseline, column, title);
    }
    c.y -= 0.5 * MM;
}

/// One debt: its references and amounts on a line, its description under them.
fn row(c: &mut Page, x: &Ctx<'_>, line: &ReceiptLineView, total: Cents) {
    c.y -= ROW_SIZE * 1.3;
    let baseline = c.y;
    let texts = [
        line.rf.clone(),
        line.revenue_code.clone(),
        line.fiscal_year.to_string(),
        format_eur(line.principal),
        format_eur(line.surcharge),
        format_eur(total),
    ];
    for (text, column) in texts.iter().zip(COLUMNS) {
        cell(c, &x.regular, ROW_SIZE, baseline, column, text);
    }
    c.paragraph_in(&x.regular, DESCRIPTION_SIZE, &line.description, LEFT + 3.5 * MM, RIGHT - LEFT - 5.0 * MM);
    c.y -= 1.5 * MM;
    c.hline(c.y, 0.3, 0.75);
    c.y -= 0.5 * MM;
}

/// The credit kept (when there is any) and the total, flush right.
fn totals(c: &mut Page, x: &Ctx<'_>) {
    let amount_at = |c: &mut Page, face: &Face<'_>, size: f32, label: &str, amount: Cents| {
        let text = format_eur(amount);
        c.text_at(face, size, LEFT + 1.5 * MM, c.y, label);
        c.text_at(face, size, RIGHT - 1.5 * MM - face.width(&text, size), c.y, &text);
    };
    c.y -= 2.0 * MM;
    if x.v.credit.is_positive() {
        c.y -= 9.0 * 1.3;
        amount_at(c, &x.regular, 9.0, x.w.credit, x.v.credit);
        c.y -= 2.0 * MM;
    }
    // A grey band sets the total apart from the rows above it.
    let h = 8.0 * MM;
    c.y -= h;
    c.rect(LEFT, c.y, RIGHT - LEFT, h, 0.88);
    let band_bottom = c.y;
    c.y += 2.7 * MM;
    amount_at(c, &x.bold, 11.5, x.w.total, x.v.total);
    c.y = band_bottom;
}

fn footer(c: &mut Page, x: &Ctx<'_>, page: usize, pages: usize) {
    let text = match x.v.lang {
        Lang::El => format!("{} — Σελίδα {page} από {pages}", x.v.label),
        Lang::En => format!("{} — Page {page} of {pages}", x.v.label),
    };
    let size = 7.5;
    let left = (PAGE_W - x.regular.width(&text, size)) / 2.0;
    c.text_at(&x.regular, size, left, 8.0 * MM, &text);
}

/// Text in a table column, set smaller if it would run into the next column.
fn cell(
    c: &mut Page,
    face: &Face<'_>,
    size: f32,
    baseline: f32,
    (from, to, flush_right): (f32, f32, bool),
    text: &str,
) {
    let width = (to - from) * MM;
    let mut fitted = size;
    while fitted > 5.0 && face.width(text, fitted) > width {
        fitted -= 0.5;
    }
    let x = if flush_right { LEFT + to * MM - face.width(text, fitted) } else { LEFT + from * MM };
    c.text_at(face, fitted, x, baseline, text);
}

/// A label and a wrapped value on the same baseline.
fn field(c: &mut Page, label: &Face<'_>, value: &Face<'_>, size: f32, l: &str, v: &str) {
    field_at(c, LEFT + 45.0 * MM, (label, value), size, l, v);
}

/// An empty page: the text column runs from `LEFT` to `RIGHT`.
fn canvas() -> Page {
    Page { ops: Vec::with_capacity(256), left: LEFT, width: RIGHT - LEFT, y: PAGE_H }
}

/// How far down the page `draw` moves.
fn height(draw: impl FnOnce(&mut Page)) -> f32 {
    let mut probe = canvas();
    draw(&mut probe);
    PAGE_H - probe.y
}

#[cfg(test)]
mod tests {
    use std::process::Command;

    use chrono::NaiveDate;

    use super::*;

    fn view(lang: Lang) -> ReceiptView {
        ReceiptView {
            lang,
            kind: ReceiptKindView::Receipt,
            test_mode: true,
            municipality: match lang {
                Lang::El => "Δήμος Αθηναίων".to_owned(),
                Lang::En => "Municipality of Athens".to_owned(),
            },
            label: "TEST-2026/000042".to_owned(),
            issued_local: NaiveDate::from_ymd_opt(2026, 3, 5).unwrap().and_hms_opt(14, 7, 0).unwrap(),
            payer_name: "Παπαδόπουλος Γεώργιος".to_owned(),
            payer_tax_id_masked: "******789".to_owned(),
            channel: "card",
            lines: vec![
                ReceiptLineView {
                    rf: "RF18539007547034".to_owned(),
                    revenue_code: "0311.001".to_owned(),
                    fiscal_year: 2025,
                    description: "Ύδρευση Α' τριμήνου".to_owned(),
                    principal: Cents::new(1_000),
                    surcharge: Cents::new(150),
                },
                ReceiptLineView {
                    rf: "RF712348231".to_owned(),
                    revenue_code: String::new(),
                    fiscal_year: 2024,
                    description: "Τέλη καθαριότητας".to_owned(),
                    principal: Cents::new(123_456),
                    surcharge: Cents::new(789),
                },
            ],
            credit: Cents::new(250),
            total: Cents::new(1_000 + 150 + 123_456 + 789 + 250),
            cancels_label: None,
        }
    }

    /// `pdftotext` output, or `None` (after a note) when poppler-utils is
    /// missing outside CI.
    fn text_of(pdf: &[u8], name: &str) -> Option<String> {
        if Command::new("pdftotext").arg("-v").output().is_err() {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "pdftotext not found: install poppler-utils");
            eprintln!("note: skipping the text checks, pdftotext not found (install poppler-utils)");
            return None;
        }
        let path = std::env::temp_dir().join(format!("tameio-receipt-{name}-{}.pdf", uuid::Uuid::new_v4().simple()));
        std::fs::write(&path, pdf).unwrap();
        let out = Command::new("pdftotext").args(["-enc", "UTF-8"]).arg(&path).arg("-").output().unwrap();
        let _ = std::fs::remove_file(&path);
        assert!(out.status.success(), "pdftotext failed");
        Some(String::from_utf8(out.stdout).unwrap())
    }

    fn page_count(pdf: &[u8]) -> usize {
        lopdf::Document::load_mem(pdf).unwrap().get_pages().len()
    }

    #[test]
    fn greek_receipt_is_deterministic_and_extractable() {
        let v = view(Lang::El);
        let pdf = render_receipt(&v).unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        assert_eq!(pdf, render_receipt(&v.clone()).unwrap(), "same view, same bytes");
        assert_eq!(page_count(&pdf), 1);
        let Some(text) = text_of(&pdf, "el") else { return };
        for expected in [
            "ΔΙΠΛΟΤΥΠΟ ΕΙΣΠΡΑΞΗΣ",
            "ΔΟΚΙΜΑΣΤΙΚΗ ΛΕΙΤΟΥΡΓΙΑ",
            "Δήμος Αθηναίων",
            "TEST-2026/000042",
            "05/03/2026 14:07",
            "Παπαδόπουλος Γεώργιος",
            "******789",
            "ΑΦΜ",
            "Κάρτα",
            "RF18539007547034",
            "0311.001",
            "2025",
            "Ύδρευση Α' τριμήνου",
            "10,00 €",
            "1,50 €",
            "11,50 €",
            "1.234,56 €",
            "7,89 €",
            "1.242,45 €",
            "Προσαυξήσεις",
            "2,50 €",
            "1.256,45 €",
        ] {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
    }

    #[test]
    fn english_receipt() {
        let v = ReceiptView { channel: "bank_transfer", test_mode: false, ..view(Lang::En) };
        let pdf = render_receipt(&v).unwrap();
        assert_eq!(pdf, render_receipt(&v).unwrap());
        assert_ne!(pdf, render_receipt(&view(Lang::El)).unwrap());
        let Some(text) = text_of(&pdf, "en") else { return };
        let expected = ["PAYMENT RECEIPT", "Bank transfer", "Tax id", "Surcharges", "10,00 €", "1,50 €", "1.256,45 €"];
        for expected in expected {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
        assert!(!text.contains("TEST MODE"), "no banner outside test mode:\n{text}");
        assert!(!text.contains("ΔΙΠΛΟΤΥΠΟ"), "{text}");
    }

    #[test]
    fn credit_is_printed_only_when_positive() {
        let v = ReceiptView { credit: Cents::ZERO, ..view(Lang::El) };
        let Some(text) = text_of(&render_receipt(&v).unwrap(), "nocredit") else { return };
        assert!(!text.contains("Πιστωτικό"), "{text}");
        let Some(text) = text_of(&render_receipt(&view(Lang::El)).unwrap(), "credit") else { return };
        assert!(text.contains("Πιστωτικό υπόλοιπο"), "{text}");
    }

    #[test]
    fn cancellation_names_the_cancelled_receipt() {
        let v = ReceiptView {
            kind: ReceiptKindView::Cancellation,
            label: "TEST-2026/000043".to_owned(),
            cancels_label: Some("TEST-2026/000042".to_owned()),
            ..view(Lang::El)
        };
        let Some(text) = text_of(&render_receipt(&v).unwrap(), "cancel") else { return };
        let expected = ["ΑΚΥΡΩΤΙΚΟ ΔΙΠΛΟΤΥΠΟΥ ΕΙΣΠΡΑΞΗΣ", "Ακυρώνει το", "TEST-2026/000042", "TEST-2026/000043"];
        for expected in expected {
            assert!(text.contains(expected), "{expected:?} missing from:\n{text}");
        }
        let en = ReceiptView { lang: Lang::En, ..v };
        let Some(text) = text_of(&render_receipt(&en).unwrap(), "cancel-en") else { return };
        assert!(text.contains("RECEIPT CANCELLATION") && text.contains("Cancels"), "{text}");
    }

    #[test]
    fn many_lines_continue_on_further_pages() {
        let mut v = view(Lang::El);
        let line = v.lines[0].clone();
        v.lines = vec![line; 80];
        let pdf = render_receipt(&v).unwrap();
        let pages = page_count(&pdf);
        assert!(pages > 1, "{pages} pages");
        assert_eq!(pdf, render_receipt(&v).unwrap());
        let Some(text) = text_of(&pdf, "pages") else { return };
        assert_eq!(text.matches("RF18539007547034").count(), 80, "every row printed once");
        assert!(text.contains(&format!("Σελίδα {pages} από {pages}")), "{text}");
        assert_eq!(text.matches("ΣΥΝΟΛΟ").count(), 1, "totals on the last page only");
    }

    #[test]
    fn plan_keeps_totals_with_a_row() {
        assert_eq!(plan(100.0, &[30.0, 30.0], 20.0).unwrap(), vec![0..2]);
        // The totals do not fit after the third row: it moves with them.
        assert_eq!(plan(100.0, &[30.0, 30.0, 30.0], 20.0).unwrap(), vec![0..2, 2..3]);
        // A single row that fits only alone leaves the totals a page of their own.
        assert_eq!(plan(100.0, &[90.0], 20.0).unwrap(), vec![0..1, 1..1]);
        assert_eq!(plan(100.0, &[], 20.0).unwrap(), vec![0..0]);
        assert_eq!(plan(100.0, &[120.0], 20.0), Err(BillError::TextTooLong("header")));
    }

    #[test]
    fn refuses_what_does_not_fit() {
        let long = "Α".repeat(MAX_TEXT_CHARS + 1);
        let v = ReceiptView { payer_name: long.clone(), ..view(Lang::El) };
        assert_eq!(render_receipt(&v), Err(BillError::TextTooLong("payer_name")));
        let mut v = view(Lang::El);
        v.lines[1].description = long;
        assert_eq!(render_receipt(&v), Err(BillError::TextTooLong("description")));
        let mut v = view(Lang::El);
        v.lines[0].rf = "RF".repeat(13);
        assert_eq!(render_receipt(&v), Err(BillError::TextTooLong("rf")));
        let v = ReceiptView { label: "9".repeat(LABEL_MAX_CHARS + 1), ..view(Lang::El) };
        assert_eq!(render_receipt(&v), Err(BillError::TextTooLong("label")));
    }

    #[test]
    fn refuses_overflow_and_an_empty_receipt() {
        let mut v = view(Lang::El);
        v.lines[0].principal = Cents::new(i64::MAX);
        assert_eq!(render_receipt(&v), Err(BillError::Overflow));
        let v = ReceiptView { lines: Vec::new(), credit: Cents::ZERO, ..view(Lang::El) };
        assert_eq!(render_receipt(&v), Err(BillError::NoLines));
        // A payment kept entirely as credit is still a receipt.
        let v = ReceiptView { lines: Vec::new(), ..view(Lang::En) };
        assert!(render_receipt(&v).is_ok());
    }
}
