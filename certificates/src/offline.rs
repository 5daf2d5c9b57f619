//! The offline verification entry point behind `tameio verify`.

use chrono::NaiveDate;

use crate::embedded::{extract_token_from_pdf, is_pdf};
use crate::keys::{KeyRing, KeysError, Revocations};
use crate::report::Report;
use crate::token::Token;
use crate::verify::{Verification, verify};

/// The keys file or the revocation list could not be used. This is not a
/// verdict about the certificate: the command should report it as a usage error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("keys file: {0}")]
    Keys(KeysError),
    #[error("revocation list: {0}")]
    Revocations(KeysError),
}

impl InputError {
    /// `EX_DATAERR` from sysexits, distinct from every verdict's code.
    pub fn exit_code(&self) -> i32 {
        65
    }
}

/// Verifies `input`, which is either a certificate PDF (its token read from the
/// information dictionary) or token text (bare base32 or the QR's URL), as of
/// the local date `now`.
pub fn verify_input(
    input: &[u8],
    keys_json: &[u8],
    revocations_json: Option<&[u8]>,
    now: NaiveDate,
) -> Result<Report, InputError> {
    let keys = KeyRing::from_json(keys_json).map_err(InputError::Keys)?;
    let revocations = revocations_json.map(Revocations::from_json).transpose().map_err(InputError::Revocations)?;
    Ok(verify_with(input, &keys, revocations.as_ref(), now))
}

/// As `verify_input`, with the files already loaded (a server or a batch run
/// loads them once).
pub fn verify_with(input: &[u8], keys: &KeyRing, revocations: Option<&Revocations>, now: NaiveDate) -> Report {
    let checked = revocations.is_some();
    let text = if is_pdf(input) {
        extract_token_from_pdf(input).ok_or("the PDF has no /TameioCertificate entry")
    } else {
        std::str::from_utf8(input).map(str::to_owned).map_err(|_| "the input is neither a PDF nor text")
    };
    let verification = match text.map(|t| Token::parse(&t)) {
        Ok(Ok(token)) => verify(&token, keys, revocations, now),
        Ok(Err(e)) => Verification::malformed(e.to_string(), now, checked),
        Err(reason) => Verification::malformed(reason.to_owned(), now, checked),
    };
    Report { verification, revocations_as_of: revocations.and_then(|r| r.as_of) }
}
