//! The demo municipality's data, the same on every machine: about 50 parties
//! with Greek names and valid AFMs, 300 debts of every kind (some overdue for
//! years), and bank transfers that pay some of them in part.

use chrono::{Datelike, NaiveDate};

use crate::domain::money::Cents;

/// A small deterministic generator (SplitMix64): the demo needs the same data
/// everywhere, not good randomness.
struct Seq(u64);

impl Seq {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        let len = u64::try_from(xs.len()).unwrap_or(1);
        xs[usize::try_from(self.below(len)).unwrap_or(0)]
    }
}

const FIRST_M: [&str; 10] = [
    "Γεώργιος",
    "Ιωάννης",
    "Κωνσταντίνος",
    "Δημήτριος",
    "Νικόλαος",
    "Παναγιώτης",
    "Βασίλειος",
    "Χρήστος",
    "Αθανάσιος",
    "Μιχαήλ",
];
const FIRST_F: [&str; 10] =
    ["Μαρία", "Ελένη", "Αικατερίνη", "Βασιλική", "Σοφία", "Αγγελική", "Γεωργία", "Δήμητρα", "Κωνσταντίνα", "Ευαγγελία"];
const LAST_M: [&str; 10] = [
    "Παπαδόπουλος",
    "Βλάχος",
    "Αγγελόπουλος",
    "Νικολάου",
    "Γεωργίου",
    "Καραγιάννης",
    "Μακρής",
    "Οικονόμου",
    "Δημητρίου",
    "Παπανικολάου",
];
const LAST_F: [&str; 10] = [
    "Παπαδοπούλου",
    "Βλάχου",
    "Αγγελοπούλου",
    "Νικολάου",
    "Γεωργίου",
    "Καραγιάννη",
    "Μακρή",
    "Οικονόμου",
    "Δημητρίου",
    "Παπανικολάου",
];
const COMPANIES: [&str; 8] = [
    "ΑΡΤΟΠΟΙΕΙΟ ΜΙΧΑΗΛΙΔΗΣ ΙΚΕ",
    "ΚΑΦΕ ΠΛΑΤΑΝΟΣ ΟΕ",
    "ΤΑΒΕΡΝΑ ΤΟ ΛΙΜΑΝΑΚΙ ΕΕ",
    "ΟΙΚΟΔΟΜΙΚΗ ΑΙΓΑΙΟΥ ΑΕ",
    "ΦΑΡΜΑΚΕΙΟ ΚΩΝΣΤΑΝΤΙΝΙΔΟΥ",
    "ΠΑΝΤΟΠΩΛΕΙΟ Η ΓΩΝΙΑ ΟΕ",
    "ΞΕΝΟΔΟΧΕΙΟ ΑΚΡΟΓΙΑΛΙ ΑΕ",
    "ΣΥΝΕΡΓΕΙΟ ΠΑΠΑΣ ΙΚΕ",
];
const STREETS: [&str; 8] = ["Ερμού", "Αθηνάς", "Πατησίων", "Σόλωνος", "Ακαδημίας", "Μητροπόλεως", "Αιόλου", "Σταδίου"];

/// Kinds with a typical description and principal range in cents.
const KINDS: [(&str, &str, u64, u64); 6] = [
    ("municipal_fee", "Δημοτικά τέλη καθαριότητας και φωτισμού", 3_000, 60_000),
    ("traffic_fine", "Πρόστιμο ΚΟΚ — στάθμευση σε θέση ΑμεΑ", 4_000, 20_000),
    ("public_space_fee", "Τέλος χρήσης κοινόχρηστου χώρου (τραπεζοκαθίσματα)", 10_000, 300_000),
    ("water", "Λογαριασμός ύδρευσης τριμήνου", 1_500, 25_000),
    ("property_duty", "Τέλος ακίνητης περιουσίας (ΤΑΠ)", 2_000, 40_000),
    ("other", "Μίσθωμα δημοτικού ακινήτου", 5_000, 150_000),
];

/// A valid Greek AFM from a number (the check digit is computed).
fn afm(n: u64) -> String {
    let body = format!("{:08}", 10_000_000 + n % 89_999_999);
    let sum: u64 = body.bytes().enumerate().map(|(i, b)| u64::from(b - b'0') << (8 - i)).sum();
    format!("{body}{}", sum % 11 % 10)
}

/// A partial bank transfer to seed: which debt (source id), how much, when.
pub struct SeedPayment {
    pub debt_source_id: String,
    pub party_source_id: String,
    pub amount: Cents,
    pub on: NaiveDate,
}

/// The demo debt roll as CSV, and the partial payments to apply after it.
pub fn demo_roll(today: NaiveDate) -> (String, Vec<SeedPayment>) {
    let mut rng = Seq(20_261_123);
    let mut csv = String::from(
        "source_id,party_source_id,party_kind,tax_id,tax_country,name,address,email,kind,fiscal_year,revenue_code,property_id,description,principal,assessed_on,due_on,rf\n",
    );
    let mut payments = Vec::new();
    let mut debt_no = 0u64;
    for p in 0..50u64 {
        let company = p % 10 >= 7;
        let name = if company {
            rng.pick(&COMPANIES).to_string()
        } else if p % 2 == 0 {
            format!("{} {}", rng.pick(&FIRST_M), rng.pick(&LAST_M))
        } else {
            format!("{} {}", rng.pick(&FIRST_F), rng.pick(&LAST_F))
        };
        let party = format!("DEMO-P-{p:03}");
        let address = format!("{} {}, 105 {:02} Αθήνα", rng.pick(&STREETS), 1 + rng.below(120), rng.below(100));
        let email = if p % 3 == 0 { format!("demo{p:03}@example.org") } else { String::new() };
        let tax_id = afm(rng.next());
        let kind_of_party = if company { "company" } else { "person" };
        for _ in 0..6 {
            let (kind, description, low, high) = KINDS[usize::try_from(debt_no % 6).unwrap_or(0)];
            let principal = low + rng.below(high - low);
            // Due dates from 2012 to a few months ahead: some overdue for years.
            let days_back = i64::try_from(rng.below(365 * 14)).unwrap_or(0) - 120;
            let due = today - chrono::Duration::days(days_back);
            let assessed = due - chrono::Duration::days(60);
            let source = if debt_no == 1 { "DEMO-TRAFFIC-0001".to_string() } else { format!("DEMO-D-{debt_no:04}") };
            // The demo's traffic fine: overdue for two years, 80.00, so a citizen can pay part of it.
            let (principal, due, assessed) = if debt_no == 1 {
                let due = NaiveDate::from_ymd_opt(today.year() - 2, 3, 31).unwrap_or(today);
                (8_000, due, due - chrono::Duration::days(30))
            } else {
                (principal, due, assessed)
            };
            let property = if kind == "property_duty" { format!("KAEK-0501{p:03}{debt_no:04}") } else { String::new() };
            csv.push_str(&format!(
                "{source},{party},{kind_of_party},{tax_id},GR,{name},\"{address}\",{email},{kind},{},,{property},{description},{}.{:02},{assessed},{due},\n",
                due.year(),
                principal / 100,
                principal % 100,
            ));
            // Every seventh overdue debt was paid in part by bank transfer.
            if debt_no % 7 == 3 && due < today - chrono::Duration::days(90) {
                let part = principal * (20 + rng.below(50)) / 100;
                let on = due + chrono::Duration::days(i64::try_from(30 + rng.below(60)).unwrap_or(30));
                payments.push(SeedPayment {
                    debt_source_id: source.clone(),
                    party_source_id: party.clone(),
                    amount: Cents::new(i64::try_from(part.max(100)).unwrap_or(100)),
                    on,
                });
            }
            debt_no += 1;
        }
    }
    (csv, payments)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::debt_roll::{ParseOptions, parse};

    #[test]
    fn the_demo_roll_is_valid_deterministic_and_complete() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let (csv, payments) = demo_roll(today);
        assert_eq!(csv, demo_roll(today).0);
        let rows = parse(csv.as_bytes(), ParseOptions::default()).unwrap().rows;
        assert_eq!(rows.len(), 300);
        let parties: std::collections::HashSet<_> = rows.iter().map(|r| &r.party.source_id).collect();
        assert_eq!(parties.len(), 50);
        for kind in crate::domain::debt_kind::DebtKind::ALL {
            assert!(rows.iter().any(|r| r.kind == kind), "{kind:?}");
        }
        let fine = rows.iter().find(|r| r.source_id == "DEMO-TRAFFIC-0001").unwrap();
        assert_eq!(fine.kind, crate::domain::debt_kind::DebtKind::TrafficFine);
        assert!(fine.due_on < today);
        assert!(rows.iter().filter(|r| r.due_on.year() <= 2014).count() > 10, "some are overdue for years");
        assert!(payments.len() >= 10);
    }
}
