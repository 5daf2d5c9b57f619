//! Clearance certificates: signed payload, verification, and (with `issue`) QR and PDF.
