//! The token: payload bytes followed by a 64-byte Ed25519 signature, written
//! as upper-case base32 without padding (the QR alphanumeric alphabet holds it).

use data_encoding::BASE32_NOPAD;

use crate::payload::{MAX_PAYLOAD_LEN, MIN_PAYLOAD_LEN};

/// Length of the Ed25519 signature that ends every token.
pub const SIGNATURE_LEN: usize = 64;
/// Largest token the field bounds allow.
pub const MAX_TOKEN_LEN: usize = MAX_PAYLOAD_LEN + SIGNATURE_LEN;
/// Largest token in base32 characters.
pub const MAX_TOKEN_CHARS: usize = (MAX_TOKEN_LEN * 8).div_ceil(5);

/// Why a text is not a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("token is not upper-case base32 without padding")]
    Base32,
    #[error("token has {0} bytes, outside {MIN}..={MAX}", MIN = MIN_PAYLOAD_LEN + SIGNATURE_LEN, MAX = MAX_TOKEN_LEN)]
    Length(usize),
}

/// A signed token as received or issued. Holding one says nothing about
/// whether it is genuine: only `verify` decides that.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    bytes: Vec<u8>,
}

impl Token {
    /// Wraps raw token bytes after checking only their length.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, TokenError> {
        if !(MIN_PAYLOAD_LEN + SIGNATURE_LEN..=MAX_TOKEN_LEN).contains(&bytes.len()) {
            return Err(TokenError::Length(bytes.len()));
        }
        Ok(Self { bytes })
    }

    /// Reads the base32 text of a token, or a verification URL ending in
    /// `/V/<TOKEN>`. White space is ignored (e-mail clients wrap long lines),
    /// but the alphabet is strict: upper case only and no stray trailing bits,
    /// so each token has exactly one text and no altered character decodes to
    /// the same bytes.
    pub fn parse(text: &str) -> Result<Self, TokenError> {
        let text = text.trim();
        let body = match text.rfind("/V/").or_else(|| text.rfind("/v/")) {
            Some(at) if looks_like_url(text) => text.get(at + 3..).unwrap_or_default(),
            _ => text,
        };
        let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.len() > MAX_TOKEN_CHARS {
            return Err(TokenError::Length(compact.len() * 5 / 8));
        }
        let bytes = BASE32_NOPAD.decode(compact.as_bytes()).map_err(|_| TokenError::Base32)?;
        Self::from_bytes(bytes)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The signed bytes.
    pub fn payload(&self) -> &[u8] {
        self.bytes.get(..self.bytes.len().saturating_sub(SIGNATURE_LEN)).unwrap_or_default()
    }

    /// The signature's 64 bytes.
    pub fn signature(&self) -> [u8; SIGNATURE_LEN] {
        let start = self.bytes.len().saturating_sub(SIGNATURE_LEN);
        self.bytes.get(start..).and_then(|s| s.try_into().ok()).unwrap_or([0; SIGNATURE_LEN])
    }

    /// Upper-case base32, no padding.
    pub fn to_base32(&self) -> String {
        BASE32_NOPAD.encode(&self.bytes)
    }
}

fn looks_like_url(text: &str) -> bool {
    let head = text.get(..8).unwrap_or_default();
    head.eq_ignore_ascii_case("https://") || text.get(..7).is_some_and(|h| h.eq_ignore_ascii_case("http://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_bare_wrapped_and_url_forms() {
        let bytes: Vec<u8> = (0..120u8).collect();
        let token = Token::from_bytes(bytes).unwrap();
        let text = token.to_base32();
        assert_eq!(Token::parse(&text).unwrap(), token);
        let wrapped = format!("{}\n  {}", &text[..50], &text[50..]);
        assert_eq!(Token::parse(&wrapped).unwrap(), token);
        let url = format!("HTTPS://VERIFY.EXAMPLE.GR/V/{text}");
        assert_eq!(Token::parse(&url).unwrap(), token);
        let lower_host = format!("https://verify.example.gr/V/{text}");
        assert_eq!(Token::parse(&lower_host).unwrap(), token);
    }

    #[test]
    fn refuses_lower_case_padding_and_bad_lengths() {
        let token = Token::from_bytes((0..120u8).collect()).unwrap();
        let text = token.to_base32();
        assert_eq!(Token::parse(&text.to_lowercase()), Err(TokenError::Base32));
        assert_eq!(Token::parse(&format!("{text}=")), Err(TokenError::Base32));
        assert!(Token::parse("AAAA").is_err());
        assert!(Token::from_bytes(vec![0; MAX_TOKEN_LEN + 1]).is_err());
    }
}
