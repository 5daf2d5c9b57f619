//! The certificate PDF: Greek and English text in embedded, subset DejaVu Sans
//! (with ToUnicode, so the text can be searched and copied), the QR code, and
//! the token in the information dictionary under `/TameioCertificate`.

use std::sync::OnceLock;

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use printpdf::{Mm, PdfDocument, PdfPage, PdfSaveOptions};

use crate::embedded::PDF_INFO_KEY;
use crate::fields::Scope;
use crate::payload::Certificate;
use crate::pdfkit::{DejaVuSans, Face, KitError, MM, Page, append_to_page, compress_fast, qr_ops};
use crate::qr::{QrError, QrMatrix, qr_matrix, qr_url};
use crate::token::Token;

/// Width of the printed QR code without its quiet zone: at version 18
/// (89 modules) that is 0.56 mm a module, well above the 35 mm minimum.
pub const QR_WIDTH_MM: f32 = 50.0;
/// Bottom-left corner of the QR code on the page; 20 mm from the left edge
/// leaves far more than the four-module quiet zone.
const QR_X_MM: f32 = 20.0;
const QR_Y_MM: f32 = 28.0;

/// Why a PDF could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PdfError {
    #[error("the embedded font could not be parsed")]
    Font,
    #[error(transparent)]
    Qr(#[from] QrError),
    #[error("the PDF could not be written: {0}")]
    Write(String),
    #[error("the token does not carry this certificate")]
    Mismatch,
}

impl From<KitError> for PdfError {
    fn from(e: KitError) -> Self {
        match e {
            KitError::Font => PdfError::Font,
            KitError::Write(message) => PdfError::Write(message),
        }
    }
}

/// What the PDF shows beyond the signed certificate: the tenant's texts.
#[derive(Debug, Clone)]
pub struct CertificateDocument<'a> {
    pub certificate: &'a Certificate,
    pub token: &'a Token,
    /// The verification host, printed in the QR URL (e.g. `verify.example.gr`).
    pub host: &'a str,
    /// The municipality's full official name in Greek, e.g. "Δήμος Αθηναίων".
    pub municipality_el: &'a str,
    /// The same in English, e.g. "Municipality of Athens".
    pub municipality_en: &'a str,
    /// The legal basis from the tenant's certificate policy.
    pub legal_basis: &'a str,
    /// The PDF's creation date (the signed issue date has no time of day).
    pub created_at: DateTime<FixedOffset>,
}

/// Holds the parsed fonts so that each PDF only subsets them: parsing
/// DejaVu Sans costs more than the rest of a certificate.
pub struct PdfRenderer {
    fonts: DejaVuSans,
}

impl PdfRenderer {
    pub fn new() -> Result<Self, PdfError> {
        Ok(Self { fonts: DejaVuSans::parse()? })
    }

    /// Renders one certificate.
    pub fn render(&self, doc: &CertificateDocument<'_>) -> Result<Vec<u8>, PdfError> {
        if crate::payload::encode(doc.certificate) != doc.token.payload() {
            return Err(PdfError::Mismatch);
        }
        let url = qr_url(doc.host, doc.token)?;
        let matrix = qr_matrix(&url)?;

        let title = format!("Βεβαίωση μη οφειλής {}", doc.certificate.serial_label());
        let mut pdf = PdfDocument::new(&title);
        let fonts = &self.fonts;
        let regular = Face { id: pdf.add_font(&fonts.regular), font: &fonts.regular };
        let bold = Face { id: pdf.add_font(&fonts.bold), font: &fonts.bold };
        let ops = page_ops(doc, &regular, &bold);
        let info = &mut pdf.metadata.info;
        info.creation_date = pdf_date(doc.created_at);
        info.modification_date = info.creation_date;
        info.metadata_date = info.creation_date;
        info.producer = "Tameio".to_owned();
        info.creator = "Tameio".to_owned();
        info.author = doc.municipality_el.to_owned();
        info.subject = "Clearance certificate / Βεβαίωση μη οφειλής".to_owned();
        pdf.with_pages(vec![PdfPage::new(Mm(210.0), Mm(297.0), ops)]);

        let opts = PdfSaveOptions { image_optimization: None, ..PdfSaveOptions::default() };
        let mut lo = pdf.to_lopdf_document(&opts, &mut Vec::new());
        set_info(&mut lo, doc.token, doc.created_at)?;
        let page_id = *lo.get_pages().values().next().ok_or_else(|| PdfError::Write("no page".to_owned()))?;
        append_to_page(&mut lo, page_id, qr_content(&matrix))?;
        compress_fast(&mut lo)?;
        let mut out = Vec::with_capacity(64 * 1024);
        lo.save_to(&mut out).map_err(|e| PdfError::Write(e.to_string()))?;
        Ok(out)
    }
}

/// Renders with a renderer shared by the whole process.
pub fn render_pdf(doc: &CertificateDocument<'_>) -> Result<Vec<u8>, PdfError> {
    static RENDERER: OnceLock<Option<PdfRenderer>> = OnceLock::new();
    RENDERER.get_or_init(|| PdfRenderer::new().ok()).as_ref().ok_or(PdfError::Font)?.render(doc)
}

/// The QR code as raw PDF operators, a few kilobytes rather than a few hundred.
fn qr_content(matrix: &QrMatrix) -> Vec<u8> {
    let mut ops = String::with_capacity(32 * 1024);
    qr_ops(&mut ops, QR_X_MM * MM, QR_Y_MM * MM, QR_WIDTH_MM * MM, matrix.width, |x, y| matrix.is_dark(x, y));
    ops.into_bytes()
}

/// printpdf cannot add a custom information entry; its lopdf document can.
/// A literal string keeps the token readable by a plain byte scan.
fn set_info(lo: &mut lopdf::Document, token: &Token, created_at: DateTime<FixedOffset>) -> Result<(), PdfError> {
    let info_id =
        lo.trailer.get(b"Info").and_then(lopdf::Object::as_reference).map_err(|e| PdfError::Write(e.to_string()))?;
    let info = lo.get_dictionary_mut(info_id).map_err(|e| PdfError::Write(e.to_string()))?;
    info.set(PDF_INFO_KEY, lopdf::Object::String(token.to_base32().into_bytes(), lopdf::StringFormat::Literal));
    // Written again with the local offset, which printpdf cannot express.
    let date = pdf_date_string(created_at).into_bytes();
    for key in ["CreationDate", "ModDate"] {
        info.set(key, lopdf::Object::String(date.clone(), lopdf::StringFormat::Literal));
    }
    Ok(())
}

/// printpdf writes every date as if it were UTC, so it gets the UTC time.
fn pdf_date(at: DateTime<FixedOffset>) -> printpdf::DateTime {
    let utc = at.naive_utc();
    let narrow = |v: u32| u8::try_from(v).unwrap_or(0);
    printpdf::DateTime {
        date: printpdf::Date { year: utc.year(), month: narrow(utc.month()), day: narrow(utc.day()) },
        time: printpdf::Time {
            hour: narrow(utc.hour()),
            minute: narrow(utc.minute()),
            second: narrow(utc.second()),
            millisecond: 0,
        },
        offset: printpdf::Offset { hours: 0, minutes: 0, seconds: 0, milliseconds: 0 },
    }
}

/// The PDF date string in the tenant's offset, e.g. `D:20250314104207+02'00'`.
fn pdf_date_string(at: DateTime<FixedOffset>) -> String {
    let offset_min = at.offset().local_minus_utc() / 60;
    let sign = if offset_min < 0 { '-' } else { '+' };
    format!("D:{}{sign}{:02}'{:02}'", at.format("%Y%m%d%H%M%S"), offset_min.abs() / 60, offset_min.abs() % 60)
}

fn page_ops(doc: &CertificateDocument<'_>, regular: &Face<'_>, bold: &Face<'_>) -> Vec<printpdf::Op> {
    let c = doc.certificate;
    let mut page = Page { ops: Vec::with_capacity(256), left: 20.0 * MM, width: 170.0 * MM, y: 277.0 * MM };
    page.paragraph(bold, 15.0, doc.municipality_el);
    page.paragraph(regular, 10.0, doc.municipality_en);
    page.rule(6.0, 4.0);
    page.gap(6.0);
    page.paragraph(bold, 16.0, "ΒΕΒΑΙΩΣΗ ΜΗ ΟΦΕΙΛΗΣ (ΔΗΜΟΤΙΚΗ ΕΝΗΜΕΡΟΤΗΤΑ)");
    page.paragraph(regular, 11.0, "Certificate of no overdue debts to the municipality");
    page.gap(8.0);

    let name = c.holder_name.as_str();
    let tax = c.holder_tax_id.to_string();
    let (scope_el, scope_en) = match &c.scope {
        Scope::AllDebts => ("από οποιαδήποτε αιτία".to_owned(), "of any kind".to_owned()),
        Scope::Property(p) => {
            (format!("για το ακίνητο με κωδικό {}", p.as_str()), format!("for the property {}", p.as_str()))
        }
    };
    let greek = format!(
        "Βεβαιώνεται ότι ο/η {name}, με αριθμό φορολογικού μητρώου {tax}, δεν έχει ληξιπρόθεσμες οφειλές προς τον {} {scope_el}, κατά την ημερομηνία έκδοσης της παρούσας.",
        doc.municipality_el
    );
    let english = format!(
        "This certifies that {name}, tax id {tax}, has no overdue debts {scope_en} to the {} on the date of issue.",
        doc.municipality_en
    );
    page.paragraph(regular, 11.0, &greek);
    page.gap(4.0);
    page.paragraph(regular, 10.0, &english);
    page.gap(8.0);

    let scope_field = match &c.scope {
        Scope::AllDebts => "Όλες οι οφειλές / All debts".to_owned(),
        Scope::Property(p) => format!("Ακίνητο / Property {}", p.as_str()),
    };
    let fields = [
        ("Δικαιούχος / Holder", name.to_owned()),
        ("ΑΦΜ / Tax id", tax.clone()),
        ("Σκοπός / Purpose", format!("{} / {}", c.purpose.greek(), c.purpose.english())),
        ("Εύρος / Scope", scope_field),
        ("Έκδοση / Issued on", c.validity.issued_on().format("%d/%m/%Y").to_string()),
        ("Ισχύει έως / Valid until", c.validity.valid_until().format("%d/%m/%Y").to_string()),
        ("Αριθμός / Serial number", c.serial_label()),
        ("Κωδικός / Certificate code", c.id.short_form()),
    ];
    for (label, value) in &fields {
        field(&mut page, bold, regular, label, value);
    }
    page.gap(6.0);
    page.paragraph(bold, 10.0, "Νομική βάση / Legal basis");
    page.paragraph(regular, 9.0, doc.legal_basis);

    // The QR code and the verification text sit at the foot of the page, at a
    // fixed place, so a long legal basis cannot push them off it.
    let (qr_x, qr_y, qr_size) = (QR_X_MM * MM, QR_Y_MM * MM, QR_WIDTH_MM * MM);
    let text_x = qr_x + qr_size + 10.0 * MM;
    let text_w = 170.0 * MM - qr_size - 10.0 * MM;
    page.y = qr_y + qr_size;
    page.paragraph_in(bold, 10.0, "Επαλήθευση / Verification", text_x, text_w);
    let host = doc.host.to_ascii_lowercase();
    let how = format!(
        "Σαρώστε τον κωδικό QR ή πληκτρολογήστε τον κωδικό της βεβαίωσης στο https://{host}/ — Scan the QR code, or type the certificate code at https://{host}/"
    );
    page.paragraph_in(regular, 8.5, &how, text_x, text_w);
    page.gap(4.0);
    page.paragraph_in(bold, 13.0, &c.id.short_form(), text_x, text_w);
    page.gap(4.0);
    let offline = format!(
        "Υπογραφή Ed25519, κλειδί {} του Δήμου· ελέγχεται και χωρίς σύνδεση με το δημοσιευμένο δημόσιο κλειδί. Ed25519 signature, municipal key {}; verifiable offline with the published public key.",
        c.key_id, c.key_id
    );
    page.paragraph_in(regular, 7.5, &offline, text_x, text_w);
    page.ops
}

/// A label column and a wrapped value column on the same baseline.
fn field(page: &mut Page, label: &Face<'_>, value: &Face<'_>, label_text: &str, value_text: &str) {
    let size = 10.0;
    let label_width = 62.0 * MM;
    let start_y = page.y;
    page.y -= size * 1.35;
    page.text_at(label, size, page.left, page.y, label_text);
    page.y = start_y;
    page.paragraph_in(value, size, value_text, page.left + label_width, page.width - label_width);
    page.y -= size * 0.35;
}
