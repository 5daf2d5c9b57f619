//! A tenant (municipality) and its policies, kept as data so that a tenant
//! admin changes behaviour without a release.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::debt_kind::DebtKind;
use super::money::Cents;
use super::rf::RfPrefix;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TenantMode {
    /// Sandbox payments only, `TEST-` receipts, `livemode: false` journal events.
    Test,
    Live,
}

impl TenantMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TenantMode::Test => "test",
            TenantMode::Live => "live",
        }
    }

    pub fn parse(s: &str) -> Option<TenantMode> {
        match s {
            "test" => Some(TenantMode::Test),
            "live" => Some(TenantMode::Live),
            _ => None,
        }
    }
}

/// A slug: lower-case letters, digits and hyphens, 2 to 40 long, used in URLs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

impl Slug {
    pub fn parse(s: &str) -> Result<Slug, String> {
        let ok = (2..=40).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok {
            Ok(Slug(s.to_string()))
        } else {
            Err(format!("{s:?} is not a slug: use 2 to 40 lower-case letters, digits and inner hyphens"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Parses an IANA time zone name such as `Europe/Athens`.
pub fn parse_time_zone(s: &str) -> Result<Tz, String> {
    s.parse::<Tz>().map_err(|_| format!("{s:?} is not an IANA time zone"))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tenant {
    pub id: Uuid,
    pub slug: Slug,
    pub name_el: String,
    pub name_en: String,
    pub creditor_name: String,
    pub rf_prefix: RfPrefix,
    pub time_zone: Tz,
    pub mode: TenantMode,
    pub policies: Policies,
    pub created_at: DateTime<Utc>,
}

impl Tenant {
    /// The business date of an instant in this tenant's zone.
    pub fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.time_zone).date_naive()
    }
}

/// Every policy a tenant can set. Missing fields take the defaults, so a stored
/// document from an older version still reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct Policies {
    pub surcharge: Vec<SurchargePolicy>,
    pub allocation: AllocationPolicy,
    pub certificate: CertificatePolicy,
    pub card: CardPolicy,
}

impl Policies {
    /// The defaults of a Greek municipality.
    pub fn greek_default() -> Policies {
        Policies { surcharge: vec![SurchargePolicy::greek_default()], ..Policies::default() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MonthRule {
    /// Every started month of delay counts (the Greek rule).
    #[default]
    Started,
    /// Only completed months count.
    Completed,
}

/// A monthly rate in force for months starting in `[from, to)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RatePeriod {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
    /// Percent per month, e.g. "0.73".
    #[schema(value_type = String)]
    pub monthly_percent: Decimal,
}

/// A one-off surcharge once the delay reaches `after_months` (Cyprus: 5% then 15%).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SurchargeStep {
    pub after_months: u32,
    #[schema(value_type = String)]
    pub percent: Decimal,
}

/// One version of the late-surcharge rule, effective from a date, for some or
/// all debt kinds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SurchargePolicy {
    pub version: u32,
    pub effective_from: NaiveDate,
    /// `None`: every kind.
    pub debt_kinds: Option<Vec<String>>,
    pub month_rule: MonthRule,
    pub rate_periods: Vec<RatePeriod>,
    pub steps: Vec<SurchargeStep>,
    #[schema(value_type = Option<String>)]
    pub cap_percent_of_principal: Option<Decimal>,
}

impl SurchargePolicy {
    /// 1% a month for months starting up to 31.12.2013, 0.73% from 1.1.2014,
    /// started months count, no cap.
    pub fn greek_default() -> SurchargePolicy {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        SurchargePolicy {
            version: 1,
            effective_from: d(1900, 1, 1),
            debt_kinds: None,
            month_rule: MonthRule::Started,
            rate_periods: vec![
                RatePeriod { from: d(1900, 1, 1), to: Some(d(2014, 1, 1)), monthly_percent: Decimal::new(100, 2) },
                RatePeriod { from: d(2014, 1, 1), to: None, monthly_percent: Decimal::new(73, 2) },
            ],
            steps: vec![],
            cap_percent_of_principal: None,
        }
    }

    pub fn applies_to(&self, kind: DebtKind) -> bool {
        self.debt_kinds.as_ref().is_none_or(|ks| ks.iter().any(|k| k == kind.as_str()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SplitRule {
    #[default]
    SurchargesFirst,
    PrincipalFirst,
    Proportional,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct AllocationPolicy {
    pub version: u32,
    /// Across debts the order is always oldest due date first, ties by debt id.
    pub split: SplitRule,
    pub auto_apply_credit: bool,
}

impl Default for AllocationPolicy {
    fn default() -> Self {
        AllocationPolicy { version: 1, split: SplitRule::SurchargesFirst, auto_apply_credit: false }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CertificatePolicy {
    pub validity_days: u32,
    /// Only overdue debts of these kinds block a certificate; `None`: every kind.
    pub blocking_kinds: Option<Vec<String>>,
    pub installments_current_count_as_clear: bool,
    pub legal_basis_el: String,
    pub legal_basis_en: String,
}

impl Default for CertificatePolicy {
    fn default() -> Self {
        CertificatePolicy {
            validity_days: 30,
            blocking_kinds: None,
            installments_current_count_as_clear: true,
            legal_basis_el: "Άρθρο 285 του ν. 3463/2006 (Κώδικας Δήμων και Κοινοτήτων)".into(),
            legal_basis_en: "Article 285 of Law 3463/2006 (Code of Municipalities and Communities)".into(),
        }
    }
}

/// Card payments: how long a quote holds its surcharges, and the smallest
/// amount worth a card fee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct CardPolicy {
    pub quote_minutes: u32,
    /// A decimal string, e.g. "1.00".
    #[schema(value_type = String)]
    pub minimum: Cents,
}

impl Default for CardPolicy {
    fn default() -> Self {
        CardPolicy { quote_minutes: 30, minimum: Cents::new(100) }
    }
}

/// Which fiscal year a principal belongs to, relative to the posting's year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum YearClass {
    Current,
    Prior,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    Principal,
    Surcharge,
}

/// One entry of the revenue-code (ΚΑΕ) map, effective from a fiscal year on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RevenueCode {
    pub debt_kind: String,
    pub year_class: YearClass,
    pub component: Component,
    pub effective_from_year: i32,
    pub code: String,
}

/// Picks the code in force for `fiscal_year`: the entry with the latest
/// `effective_from_year` not after it.
pub fn revenue_code_for(
    codes: &[RevenueCode],
    kind: DebtKind,
    class: YearClass,
    component: Component,
    fiscal_year: i32,
) -> Option<&RevenueCode> {
    codes
        .iter()
        .filter(|c| c.debt_kind == kind.as_str() && c.year_class == class && c.component == component)
        .filter(|c| c.effective_from_year <= fiscal_year)
        .max_by_key(|c| c.effective_from_year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_read_from_partial_documents_with_defaults() {
        let p: Policies = serde_json::from_str(r#"{"allocation":{"split":"proportional"}}"#).unwrap();
        assert_eq!(p.allocation.split, SplitRule::Proportional);
        assert_eq!(p.allocation.version, 1);
        assert_eq!(p.certificate.validity_days, 30);
        let g = Policies::greek_default();
        let back: Policies = serde_json::from_str(&serde_json::to_string(&g).unwrap()).unwrap();
        assert_eq!(back, g);
    }

    #[test]
    fn revenue_code_in_force_is_the_latest_not_after_the_year() {
        let rc = |y, c: &str| RevenueCode {
            debt_kind: "water".into(),
            year_class: YearClass::Current,
            component: Component::Principal,
            effective_from_year: y,
            code: c.into(),
        };
        let codes = vec![rc(2020, "0311"), rc(2025, "0312")];
        let pick = |y| revenue_code_for(&codes, DebtKind::Water, YearClass::Current, Component::Principal, y);
        assert_eq!(pick(2019), None);
        assert_eq!(pick(2024).map(|c| c.code.as_str()), Some("0311"));
        assert_eq!(pick(2026).map(|c| c.code.as_str()), Some("0312"));
    }

    #[test]
    fn business_dates_are_local_to_the_tenant() {
        use chrono::TimeZone;
        let mut t = Tenant {
            id: Uuid::nil(),
            slug: Slug::parse("demo").unwrap(),
            name_el: String::new(),
            name_en: String::new(),
            creditor_name: String::new(),
            rf_prefix: RfPrefix::parse("DEMO").unwrap(),
            time_zone: parse_time_zone("Europe/Athens").unwrap(),
            mode: TenantMode::Test,
            policies: Policies::default(),
            created_at: DateTime::UNIX_EPOCH,
        };
        // 22:30 UTC on New Year's Eve is already 1 January in Athens (UTC+2) ...
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 22, 30, 0).unwrap();
        assert_eq!(t.local_date(at), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap());
        // ... and in summer (UTC+3) 21:30 UTC is the next day too.
        let summer = Utc.with_ymd_and_hms(2026, 7, 31, 21, 30, 0).unwrap();
        assert_eq!(t.local_date(summer), NaiveDate::from_ymd_opt(2026, 8, 1).unwrap());
        t.time_zone = parse_time_zone("UTC").unwrap();
        assert_eq!(t.local_date(at), NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
    }

    #[test]
    fn slugs_and_zones_parse_only_when_valid() {
        assert!(Slug::parse("demo").is_ok());
        assert!(Slug::parse("Demo").is_err());
        assert!(Slug::parse("-x").is_err());
        assert!(parse_time_zone("Asia/Nicosia").is_ok());
        assert!(parse_time_zone("Mars/Olympus").is_err());
    }
}
