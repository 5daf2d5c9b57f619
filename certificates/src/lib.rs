//! Clearance certificates: signed payload, verification, and (with `issue`) QR and PDF.
//!
//! The default `verify` feature is what a third-party verifier embeds: decoding,
//! the signature check and the offline report, with no PDF or QR library.

pub mod embedded;
pub mod fields;
pub mod keys;
pub mod offline;
pub mod payload;
#[cfg(feature = "issue")]
pub mod pdf;
#[cfg(feature = "issue")]
pub mod pdfkit;
#[cfg(feature = "issue")]
pub mod qr;
#[cfg(feature = "issue")]
mod qr_mask;
pub mod report;
pub mod sign;
pub mod text;
pub mod token;
pub mod verify;

pub use embedded::{PDF_INFO_KEY, extract_token_from_pdf};
pub use fields::{CertificateId, Country, FieldError, PropertyId, Purpose, Scope, TaxId, Validity};
pub use keys::{KeyEntry, KeyRing, KeyStatus, KeysFile, Revocations, SigningWindow};
pub use offline::{InputError, verify_input, verify_with};
pub use payload::{Certificate, DecodeError, KeyId};
#[cfg(feature = "issue")]
pub use pdf::{CertificateDocument, PdfError, PdfRenderer, render_pdf};
#[cfg(feature = "issue")]
pub use qr::{QrError, QrMatrix, qr_matrix, qr_url};
pub use report::Report;
pub use sign::{SignError, SigningKey, sign};
pub use text::{HolderName, TenantName, TextError};
pub use token::{Token, TokenError};
pub use verify::{Verdict, Verification, verify};
