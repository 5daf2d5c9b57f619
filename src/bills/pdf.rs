//! The notice PDF: a header with the municipality, creditor account, party
//! and total, then one block per debt (its RF reference, amounts and EPC QR
//! code), as many pages as the debts need.
//!
//! Text is set in DejaVu Sans, embedded as a subset with a ToUnicode map (as
//! the certificate PDF does), so Greek prints on any printer and can be
//! searched and copied. The output is deterministic: the same notice gives
//! the same bytes, so a re-sent notice can be compared with the first one.

use std::sync::OnceLock;

use certificates::pdfkit::{DejaVuSans, Face, KitError, MM, Page, append_to_page, compress_fast, qr_ops};
use chrono::NaiveDate;
use printpdf::{FontId, Op, PdfDocument, PdfPage, PdfSaveOptions};
use qrcode::{EcLevel, QrCode, Version};
use sha2::{Digest, Sha256};

use crate::domain::iban::Iban;
use crate::domain::money::Cents;
use crate::domain::rf::RfReference;

const PAGE_W: f32 = 210.0 * MM;
const PAGE_H: f32 = 297.0 * MM;
const LEFT: f32 = 20.0 * MM;
const RIGHT: f32 = 190.0 * MM;
/// Nothing but the footer goes below this line.
const BOTTOM: f32 = 24.0 * MM;
/// Height of one debt's block: its table, its QR code and the RF under it.
const BLOCK_H: f32 = 44.0 * MM;
/// Width of a QR code without its quiet zone. A 331-byte payload (the EPC
/// maximum, version 13, 69 modules) still gets 0.43 mm modules, 5 pixels at
/// 300 dpi; a typical notice payload (version 5 or 6) gets 0.7 mm.
pub const QR_WIDTH_MM: f32 = 30.0;
/// EPC069-12 limits the code to version 13 at level M (331 bytes).
const QR_MAX_VERSION: i16 = 13;
/// Free space kept around a QR code, in modules (ISO/IEC 18004).
const QUIET_MODULES: f32 = 4.0;
/// Longest free text accepted in any field; a notice is one page of header.
pub const MAX_TEXT_CHARS: usize = 200;

/// Why a notice could not be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillError {
    #[error("the embedded font could not be parsed")]
    Font,
    #[error("a notice needs at least one debt")]
    NoLines,
    #[error("the total of the notice is too large")]
    Overflow,
    #[error("the field {0} is too long for the notice")]
    TextTooLong(&'static str),
    #[error("the EPC payload of {0} does not fit a QR code of version 13 at level M")]
    Qr(String),
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

impl From<KitError> for BillError {
    fn from(e: KitError) -> Self {
        match e {
            KitError::Font => BillError::Font,
            KitError::Write(message) => BillError::Write(message),
        }
    }
}

/// A notice to one party for its open debts, as of `valid_until`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// The municipality's name in Greek, e.g. "Δήμος Αθηναίων".
    pub municipality_el: String,
    pub municipality_en: String,
    /// The account holder's name the tenant collects into.
    pub creditor_name: String,
    pub iban: Iban,
    pub party_name: String,
    pub party_address: String,
    pub notice_date: NaiveDate,
    /// The amounts include the surcharges accrued up to this date.
    pub valid_until: NaiveDate,
    pub lines: Vec<NoticeLine>,
    /// Prints a banner on every page, so a test notice is never paid.
    pub test_mode: bool,
}

/// One debt on a notice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeLine {
    pub rf: RfReference,
    /// The kind of debt in Greek, e.g. "Ύδρευση".
    pub kind_label: String,
    pub fiscal_year: i32,
    pub due_on: NaiveDate,
    pub principal: Cents,
    pub surcharges: Cents,
    /// Outstanding as of the notice's `valid_until`: what the QR code asks for.
    pub amount: Cents,
    /// From [`crate::domain::epc::epc_payload`]; encoded as given.
    pub epc_payload: String,
}

/// An amount as Greeks write it: "1.234,56 €", "-0,50 €".
pub fn format_eur(amount: Cents) -> String {
    let abs = amount.get().unsigned_abs();
    let digits = (abs / 100).to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push('.');
        }
        grouped.push(c);
    }
    let sign = if amount.is_negative() { "-" } else { "" };
    format!("{sign}{grouped},{:02} €", abs % 100)
}

/// Renders a notice with fonts parsed once for the whole process.
pub fn render_notice(n: &Notice) -> Result<Vec<u8>, BillError> {
    static FONTS: OnceLock<Option<DejaVuSans>> = OnceLock::new();
    let fonts = FONTS.get_or_init(|| DejaVuSans::parse().ok()).as_ref().ok_or(BillError::Font)?;
    render(fonts, n)
}

/// A QR code to draw: its modules and where its bottom-left corner goes.
struct QrPlacement {
    code: QrCode,
    x: f32,
    y: f32,
}

/// What one page holds before serialization.
struct PageContent {
    ops: Vec<Op>,
    qrs: Vec<QrPlacement>,
}

/// Renders with fonts parsed once (parsing costs more than laying out a notice).
fn render(fonts: &DejaVuSans, n: &Notice) -> Result<Vec<u8>, BillError> {
    check_lengths(n)?;
    let total = Cents::sum(n.lines.iter().map(|l| l.amount)).ok_or(BillError::Overflow)?;

    let mut pdf = PdfDocument::new("Ειδοποιητήριο / Notice");
    // Fixed ids instead of printpdf's random ones: the first six letters
    // become the font subset tag, and fixed tags keep the output the same
    // from run to run.
    let regular = Face { id: FontId("TAMEIR".to_owned()), font: &fonts.regular };
    let bold = Face { id: FontId("TAMEIB".to_owned()), font: &fonts.bold };
    for face in [&regular, &bold] {
        pdf.resources.fonts.map.insert(face.id.clone(), printpdf::PdfFont::new(face.font.clone()));
    }

    let pages = layout(n, total, &regular, &bold)?;
    let info = &mut pdf.metadata.info;
    info.producer = "Tameio".to_owned();
    info.creator = "Tameio".to_owned();
    info.author = n.municipality_el.clone();
    info.subject = "Ειδοποιητήριο οφειλών / Notice of debts".to_owned();
    let mut qr_pages = Vec::with_capacity(pages.len());
    let mut pdf_pages = Vec::with_capacity(pages.len());
    for page in pages {
        pdf_pages.push(PdfPage::new(printpdf::Mm(210.0), printpdf::Mm(297.0), page.ops));
        qr_pages.push(page.qrs);
    }
    pdf.with_pages(pdf_pages);

    let opts = PdfSaveOptions { image_optimization: None, ..PdfSaveOptions::default() };
    let mut lo = pdf.to_lopdf_document(&opts, &mut Vec::new());
    let page_ids: Vec<lopdf::ObjectId> = lo.get_pages().into_values().collect();
    if page_ids.len() != qr_pages.len() {
        return Err(BillError::Write("page count changed".to_owned()));
    }
    for (page_id, qrs) in page_ids.into_iter().zip(&qr_pages) {
        append_to_page(&mut lo, page_id, qr_content(qrs))?;
    }
    compress_fast(&mut lo)?;
    // A date without a time of day: the notice is dated, not timed.
    set_info(&mut lo, &n.notice_date.format("D:%Y%m%d").to_string())?;
    let mut out = Vec::with_capacity(64 * 1024);
    lo.save_to(&mut out).map_err(|e| BillError::Write(e.to_string()))?;
    Ok(out)
}

/// Refuses text that would not fit rather than cutting a name short.
fn check_lengths(n: &Notice) -> Result<(), BillError> {
    let fields: [(&'static str, &str); 5] = [
        ("municipality_el", &n.municipality_el),
        ("municipality_en", &n.municipality_en),
        ("creditor_name", &n.creditor_name),
        ("party_name", &n.party_name),
        ("party_address", &n.party_address),
    ];
    for (name, value) in fields {
        if value.chars().count() > MAX_TEXT_CHARS {
            return Err(BillError::TextTooLong(name));
        }
    }
    if n.lines.is_empty() {
        return Err(BillError::NoLines);
    }
    if n.lines.iter().any(|l| l.kind_label.chars().count() > MAX_TEXT_CHARS) {
        return Err(BillError::TextTooLong("kind_label"));
    }
    Ok(())
}

/// Lays out every page: the same header on each (a page on its own still
/// says who owes what to whom), then as many debt blocks as fit.
fn layout(n: &Notice, total: Cents, regular: &Face<'_>, bold: &Face<'_>) -> Result<Vec<PageContent>, BillError> {
    let codes = n
        .lines
        .iter()
        .map(|l| qr_code(&l.epc_payload).ok_or_else(|| BillError::Qr(l.rf.to_string())))
        .collect::<Result<Vec<_>, _>>()?;

    let header_bottom = {
        let mut probe = canvas();
        header(&mut probe, n, total, regular, bold);
        probe.y
    };
    // Whole blocks only; at 4 a page the header leaves room to spare.
    let per_page = ((header_bottom - BOTTOM) / BLOCK_H).floor();
    if per_page < 1.0 {
        return Err(BillError::TextTooLong("header"));
    }
    let per_page = per_page as usize;
    let page_count = n.lines.len().div_ceil(per_page);

    let mut pages = Vec::with_capacity(page_count);
    let mut codes = codes.into_iter();
    let mut index = 0;
    for (page_no, chunk) in n.lines.chunks(per_page).enumerate() {
        let mut c = canvas();
        header(&mut c, n, total, regular, bold);
        let mut qrs = Vec::with_capacity(chunk.len());
        for line in chunk {
            index += 1;
            let Some(code) = codes.next() else {
                break;
            };
            qrs.push(debt_block(&mut c, line, code, index, n.lines.len(), regular, bold));
        }
        footer(&mut c, page_no + 1, page_count, regular);
        pages.push(PageContent { ops: c.ops, qrs });
    }
    Ok(pages)
}

fn header(c: &mut Page, n: &Notice, total: Cents, regular: &Face<'_>, bold: &Face<'_>) {
    c.y = PAGE_H - 15.0 * MM;
    if n.test_mode {
        let h = 9.0 * MM;
        c.y -= h;
        c.rect(LEFT, c.y, RIGHT - LEFT, h, 0.82);
        let text = "ΔΟΚΙΜΑΣΤΙΚΗ ΛΕΙΤΟΥΡΓΙΑ / TEST MODE";
        let x = (PAGE_W - bold.width(text, 12.0)) / 2.0;
        c.text_at(bold, 12.0, x, c.y + 3.0 * MM, text);
        c.y -= 3.0 * MM;
    }
    c.paragraph(bold, 13.0, &n.municipality_el);
    c.paragraph(regular, 9.5, &n.municipality_en);
    c.rule(2.0 * MM, 1.5 * MM);
    c.y -= 2.0 * MM;
    c.paragraph(bold, 16.0, "ΕΙΔΟΠΟΙΗΤΗΡΙΟ / NOTICE");
    c.y -= 2.0 * MM;

    let date = |d: NaiveDate| d.format("%d/%m/%Y").to_string();
    let fields = [
        ("Δικαιούχος / Creditor", n.creditor_name.clone()),
        ("IBAN", n.iban.to_string()),
        ("Οφειλέτης / Debtor", n.party_name.clone()),
        ("Διεύθυνση / Address", n.party_address.clone()),
        ("Ημερομηνία / Notice date", date(n.notice_date)),
        ("Ποσό έγκυρο έως / Amount valid until", date(n.valid_until)),
    ];
    for (label, value) in &fields {
        field(c, bold, regular, 9.0, label, value);
    }
    field(c, bold, bold, 10.5, "Σύνολο / Total", &format_eur(total));
    c.rule(2.0 * MM, 1.5 * MM);
}

/// One debt: a label/value table on the left, its QR code on the right with
/// the RF reference printed under it. Returns where the QR code goes.
fn debt_block(
    c: &mut Page,
    line: &NoticeLine,
    code: QrCode,
    index: usize,
    count: usize,
    regular: &Face<'_>,
    bold: &Face<'_>,
) -> QrPlacement {
    let top = c.y;
    let size = 8.5;
    let step = 3.9 * MM;
    let label_x = LEFT;
    let value_x = LEFT + 50.0 * MM;
    let amount_right = LEFT + 110.0 * MM;
    let value_w = amount_right - value_x;

    let mut y = top - 5.0 * MM;
    c.text_at(bold, 9.5, label_x, y, &format!("Οφειλή {index} από {count} / Debt {index} of {count}"));
    let rf = line.rf.to_string();
    let texts = [
        ("Κωδικός πληρωμής / RF reference", rf.clone(), false),
        ("Είδος / Kind", line.kind_label.clone(), false),
        ("Οικονομικό έτος / Fiscal year", line.fiscal_year.to_string(), false),
        ("Λήξη / Due date", line.due_on.format("%d/%m/%Y").to_string(), false),
        ("Κεφάλαιο / Principal", format_eur(line.principal), true),
        ("Προσαυξήσεις / Surcharges", format_eur(line.surcharges), true),
        ("Ποσό πληρωμής / Amount", format_eur(line.amount), true),
    ];
    let last = texts.len() - 1;
    for (i, (label, value, is_amount)) in texts.iter().enumerate() {
        y -= step;
        c.text_at(regular, 7.5, label_x, y, label);
        let face = if i == last || i == 0 { bold } else { regular };
        // A long kind label is set smaller rather than run into the QR code.
        let mut fitted = size;
        while fitted > 5.0 && face.width(value, fitted) > value_w {
            fitted -= 0.5;
        }
        let x = if *is_amount { amount_right - face.width(value, fitted) } else { value_x };
        c.text_at(face, fitted, x, y, value);
    }

    let qr_w = QR_WIDTH_MM * MM;
    let qr_x = RIGHT - qr_w;
    let qr_y = top - 4.0 * MM - qr_w;
    let rf_size = 8.0;
    // Centred under the code; a 25-character RF is wider than the code, so
    // it is kept inside the right margin.
    let rf_w = regular.width(&rf, rf_size);
    let rf_x = (qr_x + (qr_w - rf_w) / 2.0).min(RIGHT - rf_w);
    // Far enough below the code for its quiet zone even at version 1.
    let quiet = qr_w / code.width().max(1) as f32 * QUIET_MODULES;
    c.text_at(regular, rf_size, rf_x, qr_y - quiet.max(4.0 * MM) - 2.0 * MM, &rf);
    c.y = top - BLOCK_H;
    c.hline(c.y, 0.3, 0.6);
    QrPlacement { code, x: qr_x, y: qr_y }
}

fn footer(c: &mut Page, page: usize, pages: usize, regular: &Face<'_>) {
    let how = "Πληρωμή με μεταφορά στο IBAN του Δήμου με τον κωδικό RF ως αιτιολογία, ή σαρώνοντας τον κωδικό QR στην εφαρμογή της τράπεζάς σας. Pay by bank transfer quoting the RF reference, or scan the QR code with your banking app.";
    c.y = BOTTOM - 2.0 * MM;
    c.paragraph(regular, 7.0, how);
    let text = format!("Σελίδα {page} από {pages} / Page {page} of {pages}");
    let x = (PAGE_W - regular.width(&text, 7.5)) / 2.0;
    c.text_at(regular, 7.5, x, 8.0 * MM, &text);
}

/// Encodes at level M, as EPC069-12 requires, within version 13.
fn qr_code(payload: &str) -> Option<QrCode> {
    let code = QrCode::with_error_correction_level(payload.as_bytes(), EcLevel::M).ok()?;
    match code.version() {
        Version::Normal(v) if v <= QR_MAX_VERSION => Some(code),
        _ => None,
    }
}

/// The QR codes as raw PDF operators, a few kilobytes each.
fn qr_content(qrs: &[QrPlacement]) -> Vec<u8> {
    let mut ops = String::with_capacity(16 * 1024 * qrs.len().max(1));
    for qr in qrs {
        let width = qr.code.width();
        let colors = qr.code.to_colors();
        let dark = |x: usize, y: usize| colors.get(y * width + x) == Some(&qrcode::Color::Dark);
        qr_ops(&mut ops, qr.x, qr.y, QR_WIDTH_MM * MM, width, dark);
    }
    ops.into_bytes()
}

/// Dates the file (`pdf_date` in PDF form, `D:YYYYMMDD[HHMMSS]`, a form
/// printpdf cannot write) and replaces printpdf's random file identifier with
/// a hash of the content, so equal documents are equal files.
pub(super) fn set_info(lo: &mut lopdf::Document, pdf_date: &str) -> Result<(), BillError> {
    let write_err = |e: lopdf::Error| BillError::Write(e.to_string());
    let mut hasher = Sha256::new();
    for object in lo.objects.values() {
        if let lopdf::Object::Stream(stream) = object {
            hasher.update(&stream.content);
        }
    }
    let id = hasher.finalize().get(..16).unwrap_or_default().to_vec();
    let id_string = || lopdf::Object::String(id.clone(), lopdf::StringFormat::Hexadecimal);
    lo.trailer.set("ID", lopdf::Object::Array(vec![id_string(), id_string()]));

    let info_id = lo.trailer.get(b"Info").and_then(lopdf::Object::as_reference).map_err(write_err)?;
    let info = lo.get_dictionary_mut(info_id).map_err(write_err)?;
    for key in ["CreationDate", "ModDate"] {
        info.set(key, lopdf::Object::String(pdf_date.as_bytes().to_vec(), lopdf::StringFormat::Literal));
    }
    Ok(())
}

/// An empty page: the text column runs from `LEFT` to `RIGHT`.
fn canvas() -> Page {
    Page { ops: Vec::with_capacity(512), left: LEFT, width: RIGHT - LEFT, y: PAGE_H }
}

/// A label and a wrapped value on the same baseline.
fn field(c: &mut Page, label: &Face<'_>, value: &Face<'_>, size: f32, l: &str, v: &str) {
    field_at(c, LEFT + 72.0 * MM, (label, value), size, l, v);
}

/// A label at `LEFT` and its value wrapped from `value_x` to `RIGHT`.
pub(super) fn field_at(c: &mut Page, value_x: f32, faces: (&Face<'_>, &Face<'_>), size: f32, l: &str, v: &str) {
    let (label, value) = faces;
    let start = c.y;
    c.text_at(label, size - 0.5, LEFT, start - size * 1.3, l);
    c.paragraph_in(value, size, v, value_x, RIGHT - value_x);
    // An empty value still takes its line.
    c.y = c.y.min(start - size * 1.3) - size * 0.25;
}

#[cfg(test)]
mod tests {
    // Tests that need whole notices are in tests/api/pdf.rs, beside the
    // notice builders.
    use super::*;

    #[test]
    fn greek_amounts() {
        assert_eq!(format_eur(Cents::new(123_456)), "1.234,56 €");
        assert_eq!(format_eur(Cents::new(5)), "0,05 €");
        assert_eq!(format_eur(Cents::new(100_000_000)), "1.000.000,00 €");
        assert_eq!(format_eur(Cents::new(-50)), "-0,50 €");
        assert_eq!(format_eur(Cents::new(99_999)), "999,99 €");
        assert_eq!(format_eur(Cents::new(i64::MIN)), "-92.233.720.368.547.758,08 €");
    }
}
