//! The payload's field types, each constructible only when valid.

use std::fmt;

use chrono::NaiveDate;

/// Why a field value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("country must be two upper-case letters (ISO 3166-1 alpha-2)")]
    Country,
    #[error("tax id does not have the form required for {0}")]
    TaxId(String),
    #[error("property id must be 1 to {max} characters of A-Z, 0-9, '.', '-', '/'")]
    PropertyId { max: usize },
    #[error("unknown purpose code {0}")]
    Purpose(u8),
    #[error("valid-until date {until} is before the issue date {issued}")]
    Validity { issued: NaiveDate, until: NaiveDate },
    #[error("date {0} is outside the range the payload can carry (1970-01-01 to 2149-06-06)")]
    DateRange(NaiveDate),
}

/// An ISO 3166-1 alpha-2 country code (Greece is `GR`, not the VAT prefix `EL`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Country([u8; 2]);

impl Country {
    pub fn new(code: &str) -> Result<Self, FieldError> {
        match code.as_bytes() {
            [a, b] if a.is_ascii_uppercase() && b.is_ascii_uppercase() => Ok(Self([*a, *b])),
            _ => Err(FieldError::Country),
        }
    }

    pub fn as_bytes(&self) -> [u8; 2] {
        self.0
    }

    pub fn as_str(&self) -> &str {
        // Both bytes are ASCII letters by construction.
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tax id with the country that issued it.
///
/// Only the shape is checked (Greek AFM: 9 digits; Cyprus TIC: 8 digits and a
/// letter; elsewhere 1 to 16 of A-Z, 0-9): the municipality's debt roll is the
/// source of truth, and a certificate must be issuable to whoever is on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaxId {
    country: Country,
    number: String,
}

impl TaxId {
    pub const MAX_LEN: usize = 16;

    /// Upper-cases and drops spaces before checking, as clerks type them both ways.
    pub fn new(country: Country, raw: &str) -> Result<Self, FieldError> {
        let number: String = raw.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
        Self::parse_exact(country, &number)
    }

    /// Accepts only an already normalized number (used when decoding).
    pub fn parse_exact(country: Country, number: &str) -> Result<Self, FieldError> {
        let b = number.as_bytes();
        let ok = match country.as_str() {
            "GR" => b.len() == 9 && b.iter().all(u8::is_ascii_digit),
            "CY" => b.len() == 9 && b[..8].iter().all(u8::is_ascii_digit) && b[8].is_ascii_uppercase(),
            _ => {
                (1..=Self::MAX_LEN).contains(&b.len()) && b.iter().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            }
        };
        if ok {
            Ok(Self { country, number: number.to_owned() })
        } else {
            Err(FieldError::TaxId(country.as_str().to_owned()))
        }
    }

    pub fn country(&self) -> Country {
        self.country
    }

    pub fn number(&self) -> &str {
        &self.number
    }
}

impl fmt::Display for TaxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.country, self.number)
    }
}

/// A property identifier (e.g. a Greek cadastral KAEK or a municipal property code).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PropertyId(String);

impl PropertyId {
    pub const MAX_LEN: usize = 24;

    pub fn new(raw: &str) -> Result<Self, FieldError> {
        Self::parse_exact(&raw.trim().to_ascii_uppercase())
    }

    pub fn parse_exact(id: &str) -> Result<Self, FieldError> {
        let ok = (1..=Self::MAX_LEN).contains(&id.len())
            && id.bytes().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || b".-/".contains(&c));
        if ok { Ok(Self(id.to_owned())) } else { Err(FieldError::PropertyId { max: Self::MAX_LEN }) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What the certificate covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    /// No overdue debt of any kind to the municipality.
    AllDebts,
    /// No overdue debt tied to this property.
    Property(PropertyId),
}

/// Why the holder asked for the certificate. The codes are part of the signed
/// format and never change meaning; new purposes get new codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Purpose {
    AnyLawfulUse = 1,
    PropertyTransfer = 2,
    PublicProcurement = 3,
    PaymentByPublicBody = 4,
    BusinessLicence = 5,
    BankLoan = 6,
}

impl Purpose {
    pub const ALL: [Purpose; 6] = [
        Purpose::AnyLawfulUse,
        Purpose::PropertyTransfer,
        Purpose::PublicProcurement,
        Purpose::PaymentByPublicBody,
        Purpose::BusinessLicence,
        Purpose::BankLoan,
    ];

    pub fn code(self) -> u8 {
        self as u8
    }

    pub fn from_code(code: u8) -> Result<Self, FieldError> {
        Self::ALL.into_iter().find(|p| p.code() == code).ok_or(FieldError::Purpose(code))
    }

    pub fn english(self) -> &'static str {
        match self {
            Purpose::AnyLawfulUse => "any lawful use",
            Purpose::PropertyTransfer => "transfer of real property",
            Purpose::PublicProcurement => "participation in public procurement",
            Purpose::PaymentByPublicBody => "collection of payment from a public body",
            Purpose::BusinessLicence => "business licence",
            Purpose::BankLoan => "bank loan",
        }
    }

    pub fn greek(self) -> &'static str {
        match self {
            Purpose::AnyLawfulUse => "κάθε νόμιμη χρήση",
            Purpose::PropertyTransfer => "μεταβίβαση ακινήτου",
            Purpose::PublicProcurement => "συμμετοχή σε δημόσιο διαγωνισμό",
            Purpose::PaymentByPublicBody => "είσπραξη χρημάτων από φορέα του Δημοσίου",
            Purpose::BusinessLicence => "άδεια λειτουργίας επιχείρησης",
            Purpose::BankLoan => "τραπεζικό δάνειο",
        }
    }
}

/// The 16 random bytes that name one certificate in the municipality's register.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CertificateId(pub [u8; 16]);

impl CertificateId {
    /// Upper-case base32 in groups of four ("ABCD-EFGH-…"), the form printed on
    /// the PDF for typing in by hand and used in revocation lists.
    pub fn short_form(&self) -> String {
        let plain = data_encoding::BASE32_NOPAD.encode(&self.0);
        let mut out = String::with_capacity(plain.len() + plain.len() / 4);
        for (i, ch) in plain.chars().enumerate() {
            if i > 0 && i % 4 == 0 {
                out.push('-');
            }
            out.push(ch);
        }
        out
    }

    /// Reads the short form, ignoring case, spaces and hyphens (people type them
    /// every which way), or 32 hexadecimal digits.
    pub fn parse(text: &str) -> Option<Self> {
        let compact: String =
            text.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
        let bytes = if compact.len() == 32 {
            data_encoding::HEXUPPER.decode(compact.as_bytes()).ok()?
        } else {
            data_encoding::BASE32_NOPAD.decode(compact.as_bytes()).ok()?
        };
        Some(Self(bytes.try_into().ok()?))
    }
}

impl fmt::Display for CertificateId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.short_form())
    }
}

/// The issue date and the last day of validity, both local dates of the
/// tenant's time zone, the second never before the first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Validity {
    issued_on: NaiveDate,
    valid_until: NaiveDate,
}

impl Validity {
    pub fn new(issued_on: NaiveDate, valid_until: NaiveDate) -> Result<Self, FieldError> {
        for d in [issued_on, valid_until] {
            if crate::payload::date_to_days(d).is_none() {
                return Err(FieldError::DateRange(d));
            }
        }
        if valid_until < issued_on {
            return Err(FieldError::Validity { issued: issued_on, until: valid_until });
        }
        Ok(Self { issued_on, valid_until })
    }

    pub fn issued_on(&self) -> NaiveDate {
        self.issued_on
    }

    pub fn valid_until(&self) -> NaiveDate {
        self.valid_until
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_ids_by_country() {
        let gr = Country::new("GR").unwrap();
        let cy = Country::new("CY").unwrap();
        assert_eq!(TaxId::new(gr, "094 019 245").unwrap().number(), "094019245");
        assert!(TaxId::new(gr, "09401924").is_err());
        assert_eq!(TaxId::new(cy, "12345678l").unwrap().number(), "12345678L");
        assert!(TaxId::new(cy, "123456789").is_err());
        assert!(Country::new("gr").is_err());
    }

    #[test]
    fn certificate_id_short_form_round_trips() {
        let id = CertificateId([0xA5; 16]);
        let short = id.short_form();
        assert_eq!(short.len(), 26 + 6);
        assert_eq!(CertificateId::parse(&short.to_lowercase()), Some(id));
        assert_eq!(CertificateId::parse(&"a5".repeat(16)), Some(id));
        assert_eq!(CertificateId::parse("ABC"), None);
    }
}
