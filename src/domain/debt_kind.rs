//! The kinds of municipal debt Tameio collects, each booked to its own
//! revenue code and named on notices in Greek and English.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::lang::Lang;

/// What a debt is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DebtKind {
    /// Δημοτικό τέλος: municipal fees (cleaning, lighting, ...).
    MunicipalFee,
    /// Πρόστιμο ΚΟΚ: traffic-code fines, including parking.
    TrafficFine,
    /// Τέλη κοινόχρηστων χώρων: use of pavements and squares.
    PublicSpaceFee,
    /// Ύδρευση: water bills of a municipal water service.
    Water,
    /// ΤΑΠ: the municipal property duty.
    PropertyDuty,
    Other,
}

/// Why a debt kind was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a debt kind: use municipal_fee, traffic_fine, public_space_fee, water, property_duty or other")]
pub struct UnknownDebtKind(pub String);

impl DebtKind {
    pub const ALL: [DebtKind; 6] = [
        DebtKind::MunicipalFee,
        DebtKind::TrafficFine,
        DebtKind::PublicSpaceFee,
        DebtKind::Water,
        DebtKind::PropertyDuty,
        DebtKind::Other,
    ];

    /// The stable code used in the API, the database and imported files.
    pub const fn as_str(self) -> &'static str {
        match self {
            DebtKind::MunicipalFee => "municipal_fee",
            DebtKind::TrafficFine => "traffic_fine",
            DebtKind::PublicSpaceFee => "public_space_fee",
            DebtKind::Water => "water",
            DebtKind::PropertyDuty => "property_duty",
            DebtKind::Other => "other",
        }
    }

    /// The name shown to citizens and officers.
    pub const fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (DebtKind::MunicipalFee, Lang::El) => "Δημοτικό τέλος",
            (DebtKind::MunicipalFee, Lang::En) => "Municipal fee",
            (DebtKind::TrafficFine, Lang::El) => "Πρόστιμο ΚΟΚ",
            (DebtKind::TrafficFine, Lang::En) => "Traffic fine",
            (DebtKind::PublicSpaceFee, Lang::El) => "Τέλη κοινόχρηστων χώρων",
            (DebtKind::PublicSpaceFee, Lang::En) => "Public-space fee",
            (DebtKind::Water, Lang::El) => "Ύδρευση",
            (DebtKind::Water, Lang::En) => "Water",
            (DebtKind::PropertyDuty, Lang::El) => "ΤΑΠ (Τέλος Ακίνητης Περιουσίας)",
            (DebtKind::PropertyDuty, Lang::En) => "Property duty (TAP)",
            (DebtKind::Other, Lang::El) => "Άλλη οφειλή",
            (DebtKind::Other, Lang::En) => "Other debt",
        }
    }
}

impl FromStr for DebtKind {
    type Err = UnknownDebtKind;

    /// Only the exact codes of [`DebtKind::as_str`]: they are machine codes,
    /// and a lenient match would hide a typo in an imported file.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DebtKind::ALL.into_iter().find(|k| k.as_str() == s).ok_or_else(|| UnknownDebtKind(s.to_owned()))
    }
}

impl fmt::Display for DebtKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
// Tests fail loudly on broken fixtures; that is what unwrap is for here.
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_from_str_and_serde() {
        for kind in DebtKind::ALL {
            assert_eq!(kind.as_str().parse(), Ok(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
            assert_eq!(serde_json::from_str::<DebtKind>(&json).unwrap(), kind);
            assert_eq!(kind.to_string(), kind.as_str());
        }
    }

    #[test]
    fn unknown_codes_are_refused() {
        for bad in ["", "Water", "traffic-fine", "tap", " water"] {
            assert_eq!(bad.parse::<DebtKind>(), Err(UnknownDebtKind(bad.to_owned())));
        }
        assert!(serde_json::from_str::<DebtKind>("\"fine\"").is_err());
    }

    #[test]
    fn labels() {
        assert_eq!(DebtKind::PropertyDuty.label(Lang::El), "ΤΑΠ (Τέλος Ακίνητης Περιουσίας)");
        assert_eq!(DebtKind::TrafficFine.label(Lang::El), "Πρόστιμο ΚΟΚ");
        assert_eq!(DebtKind::Water.label(Lang::En), "Water");
        let mut greek: Vec<&str> = DebtKind::ALL.iter().map(|k| k.label(Lang::El)).collect();
        greek.sort_unstable();
        greek.dedup();
        assert_eq!(greek.len(), DebtKind::ALL.len());
    }
}
