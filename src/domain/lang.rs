//! The languages Tameio speaks to people in: Greek first, English second.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A user-facing language. Greek is the default because every tenant is a
/// Greek or Cypriot municipality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    El,
    En,
}

/// Why a language code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\" is not a supported language: use el or en")]
pub struct UnknownLang(pub String);

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::El, Lang::En];

    /// The ISO 639-1 code, as used in `lang` attributes and `?lang=`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Lang::El => "el",
            Lang::En => "en",
        }
    }
}

impl FromStr for Lang {
    type Err = UnknownLang;

    /// "el" or "en" in any case; a region suffix ("el-GR", "en_US") is
    /// ignored so an Accept-Language tag can be passed in as is.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let primary = s.trim().split(['-', '_']).next().unwrap_or_default();
        match primary.to_ascii_lowercase().as_str() {
            "el" => Ok(Lang::El),
            "en" => Ok(Lang::En),
            _ => Err(UnknownLang(s.to_owned())),
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
// Tests fail loudly on broken fixtures; that is what unwrap is for here.
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!("el".parse(), Ok(Lang::El));
        assert_eq!("EN".parse(), Ok(Lang::En));
        assert_eq!("el-GR".parse(), Ok(Lang::El));
        assert_eq!("en_US".parse(), Ok(Lang::En));
        assert_eq!("fr".parse::<Lang>(), Err(UnknownLang("fr".into())));
        assert_eq!("".parse::<Lang>(), Err(UnknownLang(String::new())));
        assert_eq!(Lang::default(), Lang::El);
        for l in Lang::ALL {
            assert_eq!(l.as_str().parse(), Ok(l));
            assert_eq!(serde_json::to_string(&l).unwrap(), format!("\"{l}\""));
        }
    }
}
