//! Bills: the notice (ειδοποιητήριο) a municipality sends a party for its
//! open debts, as a PDF with one EPC QR code per debt so each can be paid by
//! bank transfer from a phone.

pub mod pdf;

pub mod compose;
pub mod receipt_compose;
pub mod receipt_pdf;

pub use pdf::{BillError, Notice, NoticeLine, format_eur, render_notice};
