//! The verification URL and its QR code: upper case so the whole URL encodes
//! in QR alphanumeric mode, error correction level Q (25 % of the code can be
//! lost to a photocopier's smudges and still read).

use qrcode::{EcLevel, Version};

use crate::token::{MAX_TOKEN_CHARS, Token};

/// Longest host name accepted. With the largest token (530 characters) the
/// URL is then at most 573 characters, and QR version 18 at level Q holds 574.
pub const MAX_HOST_LEN: usize = 32;
/// The largest QR version a certificate may need.
pub const MAX_VERSION: i16 = 18;

/// Why a URL or QR code could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QrError {
    #[error("host must be 1 to {MAX_HOST_LEN} characters of A-Z, 0-9, '.', '-', ':'")]
    Host,
    #[error("the URL does not fit a QR code of version {MAX_VERSION} at level Q")]
    TooLarge,
}

/// `HTTPS://<HOST>/V/<TOKEN>`, all upper case.
pub fn qr_url(host: &str, token: &Token) -> Result<String, QrError> {
    let host = host.to_ascii_uppercase();
    let host_ok = (1..=MAX_HOST_LEN).contains(&host.len())
        && host.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b".-:".contains(&b));
    if !host_ok {
        return Err(QrError::Host);
    }
    let mut url = String::with_capacity(8 + host.len() + 3 + MAX_TOKEN_CHARS);
    url.push_str("HTTPS://");
    url.push_str(&host);
    url.push_str("/V/");
    url.push_str(&token.to_base32());
    Ok(url)
}

/// A QR code's modules, row by row, `true` for dark. The quiet zone is not included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    pub version: i16,
    pub width: usize,
    pub dark: Vec<bool>,
}

impl QrMatrix {
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark.get(y * self.width + x).copied().unwrap_or(false)
    }
}

/// Encodes `url` at level Q in the smallest version that holds it, refusing
/// anything above version 18.
pub fn qr_matrix(url: &str) -> Result<QrMatrix, QrError> {
    let (version, width, dark) = crate::qr_mask::encode(url.as_bytes(), EcLevel::Q).ok_or(QrError::TooLarge)?;
    let version = match version {
        Version::Normal(v) if v <= MAX_VERSION => v,
        _ => return Err(QrError::TooLarge),
    };
    Ok(QrMatrix { version, width, dark })
}
