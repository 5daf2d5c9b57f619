//! Money as whole cents, and the one place where cents meet `Decimal`.
//!
//! Amounts are `Cents(i64)` everywhere in the domain and in the database so
//! that sums are exact and overflow is an error instead of a wrap-around.
//! `rust_decimal::Decimal` is only for rates, proportional splits and
//! parsing/printing, and every conversion between the two goes through the
//! functions in this module, so there is exactly one rounding rule.

use std::fmt;

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The largest amount the API accepts: ten integer digits, i.e. 9,999,999,999.99.
const API_MAX_INTEGER_DIGITS: usize = 10;

/// Why an amount was refused. Messages are shown to finance officers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("the amount must be written like 12.34: whole euros without leading zeros, a dot and exactly two decimals")]
    NotAnApiAmount,
    #[error("the amount \"{0}\" is not a number")]
    NotANumber(String),
    #[error("the amount has fractions of a cent")]
    SubCent,
    #[error("the amount is too large")]
    Overflow,
    #[error("there is nothing to split the amount across")]
    NoWeights,
    #[error("a share of a split cannot be negative")]
    NegativeWeight,
}

/// An amount of money in euro cents. Negative values are balances and
/// reversals; amounts that come in through the API are never negative.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Cents(i64);

impl Cents {
    pub const ZERO: Cents = Cents(0);

    pub const fn new(cents: i64) -> Self {
        Cents(cents)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Cents) -> Option<Cents> {
        self.0.checked_add(other.0).map(Cents)
    }

    pub fn checked_sub(self, other: Cents) -> Option<Cents> {
        self.0.checked_sub(other.0).map(Cents)
    }

    pub fn checked_neg(self) -> Option<Cents> {
        self.0.checked_neg().map(Cents)
    }

    pub fn checked_mul_i64(self, factor: i64) -> Option<Cents> {
        self.0.checked_mul(factor).map(Cents)
    }

    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// Sums amounts, or `None` on overflow (never a silent wrap).
    pub fn sum<I: IntoIterator<Item = Cents>>(amounts: I) -> Option<Cents> {
        amounts.into_iter().try_fold(Cents::ZERO, |acc, c| acc.checked_add(c))
    }

    /// Parses an API amount: exactly `^(0|[1-9][0-9]{0,9})\.[0-9]{2}$`.
    ///
    /// The format is strict on purpose (no sign, no exponent, no grouping,
    /// always two decimals) so that every client means the same amount; the
    /// HTTP layer turns the error into a 422.
    pub fn parse_api(s: &str) -> Result<Cents, MoneyError> {
        let (int_part, frac_part) = s.split_once('.').ok_or(MoneyError::NotAnApiAmount)?;
        let int_ok = !int_part.is_empty()
            && int_part.len() <= API_MAX_INTEGER_DIGITS
            && int_part.bytes().all(|b| b.is_ascii_digit())
            && (int_part == "0" || !int_part.starts_with('0'));
        let frac_ok = frac_part.len() == 2 && frac_part.bytes().all(|b| b.is_ascii_digit());
        if !(int_ok && frac_ok) {
            return Err(MoneyError::NotAnApiAmount);
        }
        // At most 12 digits in total, so this cannot overflow an i64.
        let cents = digits_value(int_part.bytes().chain(frac_part.bytes())).ok_or(MoneyError::NotAnApiAmount)?;
        Ok(Cents(cents))
    }

    /// Parses what [`Cents::to_api_string`] prints: the API format with an
    /// optional leading minus, so signed balances round-trip through JSON.
    pub fn parse_signed(s: &str) -> Result<Cents, MoneyError> {
        match s.strip_prefix('-') {
            Some(rest) => {
                let c = Cents::parse_api(rest)?;
                // "-0.00" is not a way to write zero.
                if c.is_zero() {
                    return Err(MoneyError::NotAnApiAmount);
                }
                c.checked_neg().ok_or(MoneyError::Overflow)
            }
            None => Cents::parse_api(s),
        }
    }

    /// "12.34", or "-12.34" for a negative balance.
    pub fn to_api_string(self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Cents {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // unsigned_abs keeps i64::MIN printable.
        let abs = self.0.unsigned_abs();
        let sign = if self.0 < 0 { "-" } else { "" };
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl Serialize for Cents {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cents {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Cents::parse_signed(&s).map_err(serde::de::Error::custom)
    }
}

/// An amount as a client may send it: the strict, non-negative API format.
/// Request bodies use this type so a negative or sloppy amount never gets
/// past deserialization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ApiAmount(Cents);

impl ApiAmount {
    pub fn parse(s: &str) -> Result<ApiAmount, MoneyError> {
        Cents::parse_api(s).map(ApiAmount)
    }

    pub const fn cents(self) -> Cents {
        self.0
    }
}

impl From<ApiAmount> for Cents {
    fn from(a: ApiAmount) -> Cents {
        a.0
    }
}

impl<'de> Deserialize<'de> for ApiAmount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        ApiAmount::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The value of a run of ASCII digits, or `None` on overflow.
fn digits_value(digits: impl Iterator<Item = u8>) -> Option<i64> {
    digits.into_iter().try_fold(0i64, |acc, b| acc.checked_mul(10)?.checked_add(i64::from(b - b'0')))
}

// ---- The conversion module: the only code that turns Decimal into Cents. ----

/// Cents as a `Decimal` number of euros (exact).
pub fn to_decimal(cents: Cents) -> Decimal {
    Decimal::new(cents.0, 2)
}

/// Euros as cents, refusing anything that is not a whole number of cents.
pub fn from_decimal_exact(euros: Decimal) -> Result<Cents, MoneyError> {
    let cents = euros.checked_mul(Decimal::ONE_HUNDRED).ok_or(MoneyError::Overflow)?;
    if !cents.fract().is_zero() {
        return Err(MoneyError::SubCent);
    }
    cents.to_i64().map(Cents).ok_or(MoneyError::Overflow)
}

/// Euros rounded once to the cent, half away from zero (0.365 → 0.37,
/// -0.365 → -0.37). Not `round_dp`, which rounds half to even.
pub fn round_to_cents(euros: Decimal) -> Result<Cents, MoneyError> {
    let rounded = euros.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    from_decimal_exact(rounded)
}

/// Parses an amount from an imported file ("1234.56", or "1234,56" when the
/// file uses a decimal comma). Surrounding whitespace and a leading minus are
/// allowed; grouping separators are not, because "1.234" means different
/// amounts in different files. Extra decimals must be zeros ("18.150" is
/// 18.15, "18.155" is an error): a file amount is never rounded.
pub fn parse_decimal_amount(s: &str, decimal_comma: bool) -> Result<Cents, MoneyError> {
    let not_a_number = || MoneyError::NotANumber(s.to_owned());
    let t = s.trim();
    let (negative, unsigned) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let separator = if decimal_comma { ',' } else { '.' };
    let (int_part, frac_part) = match unsigned.split_once(separator) {
        Some((i, f)) if !f.is_empty() => (i, f),
        Some(_) => return Err(not_a_number()),
        None => (unsigned, ""),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty() || !all_digits(int_part) || !all_digits(frac_part) {
        return Err(not_a_number());
    }
    let (cent_digits, beyond) = frac_part.split_at(frac_part.len().min(2));
    if beyond.bytes().any(|b| b != b'0') {
        return Err(MoneyError::SubCent);
    }
    let euros = digits_value(int_part.bytes()).ok_or(MoneyError::Overflow)?;
    let mut cents = digits_value(cent_digits.bytes()).ok_or(MoneyError::Overflow)?;
    if cent_digits.len() == 1 {
        cents *= 10;
    }
    let total = euros.checked_mul(100).and_then(|e| e.checked_add(cents)).ok_or(MoneyError::Overflow)?;
    Ok(Cents(if negative { -total } else { total }))
}

/// Splits `total` in proportion to `weights` by the largest-remainder method:
/// every share is rounded down, and the cents left over go one each to the
/// shares with the largest remainders (ties to the earlier index). The shares
/// always sum to `total` exactly; a negative total splits like its absolute
/// value, negated.
pub fn split_proportional(total: Cents, weights: &[Cents]) -> Result<Vec<Cents>, MoneyError> {
    if weights.iter().any(|w| w.is_negative()) {
        return Err(MoneyError::NegativeWeight);
    }
    // i128 cannot overflow here: each product is below 2^126 and the weight
    // sum below 2^63 * len.
    let weight_sum: i128 = weights.iter().map(|w| i128::from(w.0)).sum();
    if weight_sum == 0 {
        return Err(MoneyError::NoWeights);
    }
    let magnitude = i128::from(total.0).abs();
    let mut shares: Vec<(i128, i128)> = weights
        .iter()
        .map(|w| {
            let product = magnitude * i128::from(w.0);
            (product / weight_sum, product % weight_sum)
        })
        .collect();
    let floor_sum: i128 = shares.iter().map(|(q, _)| q).sum();
    // Fewer than `weights.len()` cents are left over, so each share gets at
    // most one.
    let leftover = usize::try_from(magnitude - floor_sum).map_err(|_| MoneyError::Overflow)?;
    let mut order: Vec<(usize, i128)> = shares.iter().map(|&(_, r)| r).enumerate().collect();
    order.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    for (i, _) in order.into_iter().take(leftover) {
        if let Some(share) = shares.get_mut(i) {
            share.0 += 1;
        }
    }
    shares
        .into_iter()
        .map(|(q, _)| {
            let signed = if total.is_negative() { -q } else { q };
            i64::try_from(signed).map(Cents).map_err(|_| MoneyError::Overflow)
        })
        .collect()
}

#[cfg(test)]
// Tests fail loudly on broken fixtures; that is what unwrap is for here.
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn api_amounts_that_match_the_format() {
        let cases = [("0.00", 0), ("0.01", 1), ("12.34", 1234), ("100.00", 10000), ("9999999999.99", 999_999_999_999)];
        for (s, cents) in cases {
            assert_eq!(Cents::parse_api(s), Ok(Cents::new(cents)), "{s}");
            assert_eq!(Cents::new(cents).to_api_string(), s);
        }
    }

    #[test]
    fn api_amounts_that_do_not_match_the_format() {
        let bad = [
            "",
            "12",
            "12.",
            ".34",
            "12.3",
            "12.345",
            "012.34",
            "00.00",
            "-1.00",
            "+1.00",
            "1,00",
            "1 000.00",
            "10000000000.00",
            "1e3",
            " 1.00",
            "1.00 ",
            "١.00",
            "1.0a",
            "NaN",
            "1..00",
        ];
        for s in bad {
            assert_eq!(Cents::parse_api(s), Err(MoneyError::NotAnApiAmount), "{s:?}");
        }
    }

    #[test]
    fn signed_amounts_print_and_parse_back() {
        for c in [-1, -99, -100, -123_456, i64::MIN + 1, i64::MAX] {
            let c = Cents::new(c);
            let s = c.to_api_string();
            if s.len() <= 14 {
                assert_eq!(Cents::parse_signed(&s), Ok(c));
            }
        }
        assert_eq!(Cents::new(-5).to_string(), "-0.05");
        assert_eq!(Cents::new(i64::MIN).to_string(), "-92233720368547758.08");
        assert!(Cents::parse_signed("-0.00").is_err());
    }

    #[test]
    fn serde_uses_the_decimal_string() {
        let json = serde_json::to_string(&Cents::new(-1234)).unwrap();
        assert_eq!(json, "\"-12.34\"");
        assert_eq!(serde_json::from_str::<Cents>(&json).unwrap(), Cents::new(-1234));
        let a: ApiAmount = serde_json::from_str("\"12.30\"").unwrap();
        assert_eq!(a.cents(), Cents::new(1230));
        assert!(serde_json::from_str::<ApiAmount>("\"-12.30\"").is_err());
        assert!(serde_json::from_str::<ApiAmount>("12.30").is_err());
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"12.30\"");
    }

    #[test]
    fn checked_arithmetic_reports_overflow() {
        let max = Cents::new(i64::MAX);
        assert_eq!(max.checked_add(Cents::new(1)), None);
        assert_eq!(Cents::new(i64::MIN).checked_neg(), None);
        assert_eq!(Cents::new(i64::MIN).checked_sub(Cents::new(1)), None);
        assert_eq!(max.checked_mul_i64(2), None);
        assert_eq!(Cents::new(250).checked_mul_i64(3), Some(Cents::new(750)));
        assert_eq!(Cents::sum([Cents::new(1), Cents::new(2)]), Some(Cents::new(3)));
        assert_eq!(Cents::sum([max, Cents::new(1)]), None);
        assert_eq!(Cents::sum([]), Some(Cents::ZERO));
        assert!(Cents::new(-1).is_negative() && Cents::ZERO.is_zero() && Cents::new(1).is_positive());
        assert_eq!(Cents::default(), Cents::ZERO);
    }

    #[test]
    fn decimal_conversions() {
        assert_eq!(to_decimal(Cents::new(1234)), dec("12.34"));
        assert_eq!(to_decimal(Cents::new(-5)), dec("-0.05"));
        assert_eq!(from_decimal_exact(dec("12.340")), Ok(Cents::new(1234)));
        assert_eq!(from_decimal_exact(dec("12.345")), Err(MoneyError::SubCent));
        assert_eq!(from_decimal_exact(Decimal::MAX), Err(MoneyError::Overflow));
        assert_eq!(from_decimal_exact(dec("100000000000000000")), Err(MoneyError::Overflow));
    }

    #[test]
    fn rounding_is_half_away_from_zero_once() {
        let cases = [
            ("0.365", 37),
            ("0.375", 38),
            ("0.364999", 36),
            ("-0.365", -37),
            ("2.345", 235),
            ("2.355", 236),
            ("0.005", 1),
            ("0.0049", 0),
            ("12", 1200),
        ];
        for (s, cents) in cases {
            assert_eq!(round_to_cents(dec(s)), Ok(Cents::new(cents)), "{s}");
        }
        // The classic banker's-rounding trap: round_dp would give 0.36.
        assert_ne!(dec("0.365").round_dp(2), dec("0.37"));
    }

    #[test]
    fn file_amounts() {
        let ok = [
            ("1234.56", false, 123_456),
            ("1234,56", true, 123_456),
            ("18.150", false, 1815),
            ("18.1", false, 1810),
            ("18", false, 1800),
            ("  -7.05 ", false, -705),
            ("0,00", true, 0),
        ];
        for (s, comma, cents) in ok {
            assert_eq!(parse_decimal_amount(s, comma), Ok(Cents::new(cents)), "{s}");
        }
        assert_eq!(parse_decimal_amount("18.155", false), Err(MoneyError::SubCent));
        for (s, comma) in [
            ("1234,56", false),
            ("1234.56", true),
            ("1.234,56", true),
            ("", false),
            ("-", false),
            ("12.", false),
            (".5", false),
            ("1e3", false),
            ("--1", false),
        ] {
            assert!(matches!(parse_decimal_amount(s, comma), Err(MoneyError::NotANumber(_))), "{s:?}");
        }
        assert_eq!(parse_decimal_amount("99999999999999999999", false), Err(MoneyError::Overflow));
    }

    #[test]
    fn split_examples() {
        let c = |v: &[i64]| v.iter().copied().map(Cents::new).collect::<Vec<_>>();
        assert_eq!(split_proportional(Cents::new(100), &c(&[1, 1, 1])), Ok(c(&[34, 33, 33])));
        assert_eq!(split_proportional(Cents::new(-100), &c(&[1, 1, 1])), Ok(c(&[-34, -33, -33])));
        assert_eq!(split_proportional(Cents::new(10), &c(&[0, 5, 5])), Ok(c(&[0, 5, 5])));
        assert_eq!(split_proportional(Cents::new(7), &c(&[1, 3])), Ok(c(&[2, 5])));
        assert_eq!(split_proportional(Cents::new(1), &c(&[])), Err(MoneyError::NoWeights));
        assert_eq!(split_proportional(Cents::new(1), &c(&[0, 0])), Err(MoneyError::NoWeights));
        assert_eq!(split_proportional(Cents::new(1), &c(&[1, -1])), Err(MoneyError::NegativeWeight));
        let big = c(&[i64::MAX, i64::MAX, 1]);
        let shares = split_proportional(Cents::new(i64::MAX), &big).unwrap();
        assert_eq!(Cents::sum(shares), Some(Cents::new(i64::MAX)));
    }

    proptest! {
        #[test]
        fn split_sums_to_total(
            total in any::<i64>(),
            weights in proptest::collection::vec(0i64..=i64::MAX, 1..12),
        ) {
            let weights: Vec<Cents> = weights.into_iter().map(Cents::new).collect();
            prop_assume!(weights.iter().any(|w| w.is_positive()));
            let shares = split_proportional(Cents::new(total), &weights).unwrap();
            prop_assert_eq!(shares.len(), weights.len());
            let sum: i128 = shares.iter().map(|s| i128::from(s.get())).sum();
            prop_assert_eq!(sum, i128::from(total));
            for (share, weight) in shares.iter().zip(&weights) {
                // Every share is within one cent of its exact proportion and
                // has the sign of the total.
                let exact = i128::from(total) * i128::from(weight.get());
                let w_sum: i128 = weights.iter().map(|w| i128::from(w.get())).sum();
                prop_assert!((i128::from(share.get()) * w_sum - exact).abs() < w_sum);
                prop_assert!(share.get() == 0 || (share.get() < 0) == (total < 0));
            }
        }

        #[test]
        fn split_of_small_amounts_sums_to_total(
            total in -10_000i64..10_000,
            weights in proptest::collection::vec(0i64..1_000, 1..8),
        ) {
            let weights: Vec<Cents> = weights.into_iter().map(Cents::new).collect();
            prop_assume!(weights.iter().any(|w| w.is_positive()));
            let shares = split_proportional(Cents::new(total), &weights).unwrap();
            prop_assert_eq!(Cents::sum(shares), Some(Cents::new(total)));
        }

        #[test]
        fn api_format_round_trips(cents in 0i64..=999_999_999_999) {
            let c = Cents::new(cents);
            prop_assert_eq!(Cents::parse_api(&c.to_api_string()), Ok(c));
        }

        #[test]
        fn api_parser_never_panics(s in "\\PC{0,16}") {
            let _ = Cents::parse_api(&s);
            let _ = Cents::parse_signed(&s);
            let _ = parse_decimal_amount(&s, false);
            let _ = parse_decimal_amount(&s, true);
        }
    }
}
