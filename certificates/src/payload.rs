//! The signed payload: one fixed binary layout (format version 1), encoded and
//! decoded strictly so that every accepted byte string has exactly one meaning.
//!
//! Layout (big-endian integers; `str8` is a length byte then that many bytes):
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 1 | format version, `0x01` |
//! | 1 | 16 | tenant id (UUID bytes) |
//! | 17 | 2 | key id (u16) |
//! | 19 | 16 | certificate id (random) |
//! | 35 | 2 | issued on, days since 1970-01-01 (u16) |
//! | 37 | 2 | valid until, days since 1970-01-01 (u16) |
//! | 39 | 4 | serial number within the tenant and the issue year (u32) |
//! | 43 | 2 | holder's tax country, ASCII |
//! | 45 | str8 | holder's tax id, ASCII |
//! | … | 1 | purpose code |
//! | … | 1 | scope: 0 all debts, 1 one property followed by str8 property id |
//! | … | str8 | holder name, UTF-8 NFC |
//! | … | str8 | tenant display name, UTF-8 NFC |
//!
//! The first 19 bytes are the header a verifier reads to find the key before
//! it checks the signature and parses the rest.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::fields::{CertificateId, Country, FieldError, PropertyId, Purpose, Scope, TaxId, Validity};
use crate::text::{HolderName, TenantName, TextError};

/// The only format version this crate reads and writes.
pub const FORMAT_VERSION: u8 = 1;
/// Bytes before the variable part: version, tenant, key, certificate id, dates, serial, country.
pub const FIXED_LEN: usize = 45;
/// Bytes of the header a verifier reads before checking the signature.
pub const HEADER_LEN: usize = 19;
/// The largest payload the field bounds allow.
pub const MAX_PAYLOAD_LEN: usize = FIXED_LEN
    + 1
    + TaxId::MAX_LEN
    + 1
    + 2
    + PropertyId::MAX_LEN
    + 1
    + HolderName::MAX_BYTES
    + 1
    + TenantName::MAX_BYTES;
/// The smallest payload: one-character texts, scope "all debts".
pub const MIN_PAYLOAD_LEN: usize = FIXED_LEN + 2 + 1 + 1 + 2 + 2;

const SCOPE_ALL: u8 = 0;
const SCOPE_PROPERTY: u8 = 1;

/// A tenant's key id; tenants number their keys as they rotate them.
pub type KeyId = u16;

/// Everything a certificate says, as signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub id: CertificateId,
    pub tenant_id: Uuid,
    pub key_id: KeyId,
    pub holder_tax_id: TaxId,
    pub holder_name: HolderName,
    pub purpose: Purpose,
    pub scope: Scope,
    pub validity: Validity,
    /// Gapless per tenant and per year of `validity.issued_on()`.
    pub serial: u32,
    pub tenant_name: TenantName,
}

impl Certificate {
    /// The printed serial: issue year and number ("2025/000123").
    pub fn serial_label(&self) -> String {
        format!("{}/{:06}", chrono::Datelike::year(&self.validity.issued_on()), self.serial)
    }
}

/// Why a byte string is not a payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("unsupported format version {0}")]
    Version(u8),
    #[error("payload ends early")]
    Truncated,
    #[error("{0} trailing bytes after the payload")]
    Trailing(usize),
    #[error("invalid {field}: {source}")]
    Field { field: &'static str, source: FieldError },
    #[error("invalid {field}: {source}")]
    Text { field: &'static str, source: TextError },
    #[error("invalid {0}: not UTF-8")]
    Utf8(&'static str),
    #[error("unknown scope tag {0}")]
    ScopeTag(u8),
    #[error("date out of range")]
    Date,
}

/// The header fields, read without trusting anything else in the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub tenant_id: Uuid,
    pub key_id: KeyId,
}

/// Reads the version, tenant id and key id at their fixed offsets.
pub fn read_header(payload: &[u8]) -> Result<Header, DecodeError> {
    let version = *payload.first().ok_or(DecodeError::Truncated)?;
    if version != FORMAT_VERSION {
        return Err(DecodeError::Version(version));
    }
    let mut r = Reader::new(payload.get(1..).unwrap_or_default());
    let tenant_id = Uuid::from_bytes(r.array()?);
    let key_id = u16::from_be_bytes(r.array()?);
    Ok(Header { tenant_id, key_id })
}

fn epoch() -> NaiveDate {
    NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()
}

/// Days since 1970-01-01 if the date fits in a u16.
pub(crate) fn date_to_days(d: NaiveDate) -> Option<u16> {
    u16::try_from(d.signed_duration_since(epoch()).num_days()).ok()
}

fn days_to_date(days: u16) -> Option<NaiveDate> {
    epoch().checked_add_days(chrono::Days::new(u64::from(days)))
}

fn push_str8(out: &mut Vec<u8>, s: &str) {
    // Every text field is bounded well below 256 bytes by its type.
    out.push(u8::try_from(s.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(s.as_bytes());
}

/// Encodes a certificate. Infallible: every field type is valid by construction.
pub fn encode(c: &Certificate) -> Vec<u8> {
    let mut out = Vec::with_capacity(MAX_PAYLOAD_LEN);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(c.tenant_id.as_bytes());
    out.extend_from_slice(&c.key_id.to_be_bytes());
    out.extend_from_slice(&c.id.0);
    for d in [c.validity.issued_on(), c.validity.valid_until()] {
        out.extend_from_slice(&date_to_days(d).unwrap_or(0).to_be_bytes());
    }
    out.extend_from_slice(&c.serial.to_be_bytes());
    out.extend_from_slice(&c.holder_tax_id.country().as_bytes());
    push_str8(&mut out, c.holder_tax_id.number());
    out.push(c.purpose.code());
    match &c.scope {
        Scope::AllDebts => out.push(SCOPE_ALL),
        Scope::Property(p) => {
            out.push(SCOPE_PROPERTY);
            push_str8(&mut out, p.as_str());
        }
    }
    push_str8(&mut out, c.holder_name.as_str());
    push_str8(&mut out, c.tenant_name.as_str());
    out
}

/// Decodes a payload strictly: unknown codes, non-canonical text and trailing
/// bytes are errors, so `encode(decode(b)) == b` for every accepted `b`.
pub fn decode(payload: &[u8]) -> Result<Certificate, DecodeError> {
    let header = read_header(payload)?;
    let mut r = Reader::new(payload.get(HEADER_LEN..).unwrap_or_default());
    let id = CertificateId(r.array()?);
    let issued_on = days_to_date(u16::from_be_bytes(r.array()?)).ok_or(DecodeError::Date)?;
    let valid_until = days_to_date(u16::from_be_bytes(r.array()?)).ok_or(DecodeError::Date)?;
    let validity = Validity::new(issued_on, valid_until).map_err(field("validity"))?;
    let serial = u32::from_be_bytes(r.array()?);
    let country_bytes: [u8; 2] = r.array()?;
    let country = std::str::from_utf8(&country_bytes)
        .map_err(|_| DecodeError::Utf8("country"))
        .and_then(|s| Country::new(s).map_err(field("country")))?;
    let tax = r.str8("tax id")?;
    let holder_tax_id = TaxId::parse_exact(country, tax).map_err(field("tax id"))?;
    let purpose = Purpose::from_code(r.byte()?).map_err(field("purpose"))?;
    let scope = match r.byte()? {
        SCOPE_ALL => Scope::AllDebts,
        SCOPE_PROPERTY => {
            let p = r.str8("property id")?;
            Scope::Property(PropertyId::parse_exact(p).map_err(field("property id"))?)
        }
        other => return Err(DecodeError::ScopeTag(other)),
    };
    let holder_name = HolderName::parse_exact(r.str8("holder name")?).map_err(text("holder name"))?;
    let tenant_name = TenantName::parse_exact(r.str8("tenant name")?).map_err(text("tenant name"))?;
    if !r.rest.is_empty() {
        return Err(DecodeError::Trailing(r.rest.len()));
    }
    Ok(Certificate {
        id,
        tenant_id: header.tenant_id,
        key_id: header.key_id,
        holder_tax_id,
        holder_name,
        purpose,
        scope,
        validity,
        serial,
        tenant_name,
    })
}

fn field(name: &'static str) -> impl Fn(FieldError) -> DecodeError {
    move |source| DecodeError::Field { field: name, source }
}

fn text(name: &'static str) -> impl Fn(TextError) -> DecodeError {
    move |source| DecodeError::Text { field: name, source }
}

/// A cursor over untrusted bytes that never reads past the end.
struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    fn new(rest: &'a [u8]) -> Self {
        Self { rest }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.rest.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        self.take(N)?.try_into().map_err(|_| DecodeError::Truncated)
    }

    fn byte(&mut self) -> Result<u8, DecodeError> {
        Ok(self.array::<1>()?[0])
    }

    fn str8(&mut self, name: &'static str) -> Result<&'a str, DecodeError> {
        let len = usize::from(self.byte()?);
        std::str::from_utf8(self.take(len)?).map_err(|_| DecodeError::Utf8(name))
    }
}
