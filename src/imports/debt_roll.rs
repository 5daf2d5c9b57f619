//! Parsing a debt roll (χρηματικός κατάλογος) CSV into valid rows, or into the
//! list of every problem with its row and column. Nothing here writes.

use std::collections::HashMap;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

use crate::domain::debt_kind::DebtKind;
use crate::domain::money::{Cents, parse_decimal_amount};
use crate::domain::rf::RfReference;
use crate::domain::tax_id::{TaxCountry, TaxId};

/// The columns, in the documented order (any order is accepted in a file).
pub const COLUMNS: [&str; 17] = [
    "source_id",
    "party_source_id",
    "party_kind",
    "tax_id",
    "tax_country",
    "name",
    "address",
    "email",
    "kind",
    "fiscal_year",
    "revenue_code",
    "property_id",
    "description",
    "principal",
    "assessed_on",
    "due_on",
    "rf",
];

/// At most this many problems are listed; the file is refused either way.
pub const MAX_PROBLEMS: usize = 1000;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DateFormat {
    /// `YYYY-MM-DD`
    #[default]
    Iso,
    /// `DD/MM/YYYY`
    Dmy,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ParseOptions {
    pub decimal_comma: bool,
    pub date_format: DateFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartyKind {
    Person,
    Company,
}

impl PartyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PartyKind::Person => "person",
            PartyKind::Company => "company",
        }
    }
}

/// The party as one row describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartyRow {
    pub source_id: String,
    pub kind: PartyKind,
    pub tax_country: TaxCountry,
    pub tax_id: Option<TaxId>,
    pub name: String,
    pub address: String,
    pub email: Option<String>,
}

impl PartyRow {
    /// Who the party is (its tax id): rows and stored parties that disagree on
    /// it are a conflict that refuses the file.
    pub fn identity_hash(&self) -> String {
        hash_fields(&[&self.source_id, self.tax_country.as_str(), self.tax_id.as_ref().map_or("", |t| t.as_str())])
    }

    /// How the party is described. Rolls spell a name two ways, and a sole
    /// proprietorship shares its owner's AFM as a "company"; a difference here
    /// is a warning, and the first (or stored) description is kept.
    pub fn details_hash(&self) -> String {
        hash_fields(&[self.kind.as_str(), &self.name, &self.address, self.email.as_deref().unwrap_or("")])
    }
}

/// One valid debt row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebtRow {
    /// The spreadsheet row number (the header is row 1).
    pub row: u64,
    pub source_id: String,
    pub party: PartyRow,
    pub kind: DebtKind,
    pub fiscal_year: i32,
    pub revenue_code: Option<String>,
    pub property_id: Option<String>,
    pub description: String,
    pub principal: Cents,
    pub assessed_on: NaiveDate,
    pub due_on: NaiveDate,
    pub rf: Option<RfReference>,
}

impl DebtRow {
    /// The hash of everything the row says about the debt (the party has its own).
    pub fn content_hash(&self) -> String {
        hash_fields(&[
            &self.source_id,
            &self.party.source_id,
            self.kind.as_str(),
            &self.fiscal_year.to_string(),
            self.revenue_code.as_deref().unwrap_or(""),
            self.property_id.as_deref().unwrap_or(""),
            &self.description,
            &self.principal.get().to_string(),
            &self.assessed_on.to_string(),
            &self.due_on.to_string(),
            self.rf.as_ref().map_or("", |r| r.as_str()),
        ])
    }
}

/// 128 bits of SHA-256 over the fields: ample to tell contents apart, and half
/// the index size of the full hash.
fn hash_fields(fields: &[&str]) -> String {
    let mut h = Sha256::new();
    for f in fields {
        h.update(f.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(&h.finalize()[..16])
}

/// A problem with the file, named so that an officer can find and fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Spreadsheet row (header = 1); 0 for the file as a whole.
    pub row: u64,
    pub column: Option<String>,
    pub reason: String,
}

impl Problem {
    pub fn file(reason: impl Into<String>) -> Problem {
        Problem { row: 0, column: None, reason: reason.into() }
    }

    pub fn at(row: u64, column: &str, reason: impl Into<String>) -> Problem {
        Problem { row, column: Some(column.into()), reason: reason.into() }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.column, self.row) {
            (_, 0) => write!(f, "{}", self.reason),
            (Some(c), r) => write!(f, "row {r}, column {c}: {}", self.reason),
            (None, r) => write!(f, "row {r}: {}", self.reason),
        }
    }
}

/// Problems found so far, capped at `MAX_PROBLEMS` but counted in full.
#[derive(Debug, Default)]
pub struct Problems {
    pub list: Vec<Problem>,
    pub total: usize,
}

impl Problems {
    pub fn push(&mut self, p: Problem) {
        self.total += 1;
        if self.list.len() < MAX_PROBLEMS {
            self.list.push(p);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// A readable file: its rows, and what was noticed but does not refuse it.
#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<DebtRow>,
    pub warnings: Problems,
}

/// Parses the whole file. Either every row is valid and consistent within
/// the file, or the result lists every problem found.
pub fn parse(bytes: &[u8], opts: ParseOptions) -> Result<Parsed, Problems> {
    let mut problems = Problems::default();
    let text = match std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)) {
        Ok(t) => t,
        Err(e) => {
            let line = bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() + 1;
            problems.push(Problem::file(format!(
                "the file is not UTF-8 (first bad byte on line {line}); save it as UTF-8"
            )));
            return Err(problems);
        }
    };
    let header = text.lines().next().unwrap_or("");
    let delimiter = if header.matches(';').count() > header.matches(',').count() { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).has_headers(true).from_reader(text.as_bytes());
    let index = match column_index(&mut reader) {
        Ok(i) => i,
        Err(p) => {
            problems.push(p);
            return Err(problems);
        }
    };
    // Read every record first (cheap), then validate them on every core: the
    // checks (tax ids, dates, NFC, hashes) are most of an import's CPU time.
    let mut records: Vec<(u64, csv::StringRecord)> = Vec::new();
    let mut found: Vec<Problem> = Vec::new();
    let mut found_total = 0usize;
    loop {
        let mut record = csv::StringRecord::new();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let row = record.position().map_or(0, |p| p.line());
                if !record.iter().all(|f| f.trim().is_empty()) {
                    records.push((row, record));
                }
            }
            Err(e) => {
                let row = e.position().map_or(0, |p| p.line());
                let reason = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("the row has {len} fields, the header has {expected_len}")
                    }
                    _ => format!("unreadable: {e}"),
                };
                found_total += 1;
                found.push(Problem { row, column: None, reason });
                if !matches!(e.kind(), csv::ErrorKind::UnequalLengths { .. }) {
                    break;
                }
            }
        }
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 8);
    let per_thread = records.len().div_ceil(threads).max(1);
    let parts: Vec<(Vec<DebtRow>, Problems)> = std::thread::scope(|scope| {
        let workers: Vec<_> = records
            .chunks(per_thread)
            .map(|chunk| {
                let index = &index;
                scope.spawn(move || {
                    let mut rows = Vec::with_capacity(chunk.len());
                    let mut problems = Problems::default();
                    for (row, record) in chunk {
                        match parse_row(*row, record, index, opts) {
                            Ok(r) => rows.push(r),
                            Err(ps) => ps.into_iter().for_each(|p| problems.push(p)),
                        }
                    }
                    (rows, problems)
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| {
                // A worker that panicked must refuse the file, never drop its rows.
                w.join().unwrap_or_else(|_| {
                    let mut p = Problems::default();
                    p.push(Problem::file("the file could not be checked; nothing was written"));
                    (Vec::new(), p)
                })
            })
            .collect()
    });
    let mut rows = Vec::with_capacity(records.len());
    for (part_rows, part_problems) in parts {
        rows.extend(part_rows);
        found_total += part_problems.total;
        found.extend(part_problems.list);
    }
    // Each part kept its first problems in row order; together, sorted by row,
    // they hold the first problems of the whole file.
    found.sort_by_key(|p| p.row);
    problems.total += found_total;
    problems.list.extend(found.into_iter().take(MAX_PROBLEMS.saturating_sub(problems.list.len())));
    let mut warnings = Problems::default();
    check_consistency(&rows, &mut problems, &mut warnings);
    if problems.is_empty() {
        if rows.is_empty() {
            problems.push(Problem::file("the file has no debts"));
            return Err(problems);
        }
        Ok(Parsed { rows, warnings })
    } else {
        Err(problems)
    }
}

type Index = HashMap<&'static str, usize>;

fn column_index(reader: &mut csv::Reader<&[u8]>) -> Result<Index, Problem> {
    let headers = reader.headers().map_err(|e| Problem::file(format!("cannot read the header: {e}")))?.clone();
    let mut index = Index::new();
    let mut unknown = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let h = h.trim().to_ascii_lowercase();
        match COLUMNS.iter().find(|c| **c == h) {
            Some(c) if index.insert(c, i).is_some() => {
                return Err(Problem::file(format!("column {c} appears twice")));
            }
            Some(_) => {}
            None => unknown.push(h),
        }
    }
    let missing: Vec<&str> = COLUMNS.iter().filter(|c| !index.contains_key(*c)).copied().collect();
    if !missing.is_empty() || !unknown.is_empty() {
        return Err(Problem::file(format!(
            "the header must name the columns {}; missing: [{}], unknown: [{}]",
            COLUMNS.join(", "),
            missing.join(", "),
            unknown.join(", ")
        )));
    }
    Ok(index)
}

fn parse_row(row: u64, rec: &csv::StringRecord, index: &Index, opts: ParseOptions) -> Result<DebtRow, Vec<Problem>> {
    let mut problems = Vec::new();
    let field =
        |name: &str| -> String { index.get(name).and_then(|i| rec.get(*i)).unwrap_or("").trim().nfc().collect() };
    let mut fail = |col: &str, reason: String| problems.push(Problem::at(row, col, reason));

    let text = |col: &str, max: usize, required: bool, fail: &mut dyn FnMut(&str, String)| -> Option<String> {
        let v = field(col);
        if v.is_empty() {
            if required {
                fail(col, "is required".into());
            }
            return None;
        }
        if v.chars().count() > max {
            fail(col, format!("is longer than {max} characters"));
            return None;
        }
        if v.chars().any(char::is_control) {
            fail(col, "contains control characters".into());
            return None;
        }
        Some(v)
    };

    let source_id = text("source_id", 64, true, &mut fail);
    let party_source_id = text("party_source_id", 64, true, &mut fail);
    let party_kind = match field("party_kind").to_ascii_lowercase().as_str() {
        "person" => Some(PartyKind::Person),
        "company" => Some(PartyKind::Company),
        other => {
            fail("party_kind", format!("{other:?} is not person or company"));
            None
        }
    };
    let tax_country = match field("tax_country").parse::<TaxCountry>() {
        Ok(c) => Some(c),
        Err(_) => {
            fail("tax_country", format!("{:?} is not GR, CY or other", field("tax_country")));
            None
        }
    };
    let tax_id = match (field("tax_id"), tax_country) {
        (t, _) if t.is_empty() => None,
        (t, Some(c)) => match TaxId::parse(c, &t) {
            Ok(id) => Some(id),
            Err(e) => {
                fail("tax_id", e.to_string());
                None
            }
        },
        (_, None) => None,
    };
    let name = text("name", 200, true, &mut fail);
    let address = text("address", 300, false, &mut fail).unwrap_or_default();
    let email = text("email", 254, false, &mut fail);
    if let Some(e) = &email {
        let plausible = e.split_once('@').is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !e.contains(' '));
        if !plausible {
            fail("email", "is not an e-mail address".into());
        }
    }
    let kind = match field("kind").parse::<DebtKind>() {
        Ok(k) => Some(k),
        Err(_) => {
            let kinds: Vec<&str> = DebtKind::ALL.iter().map(|k| k.as_str()).collect();
            fail("kind", format!("{:?} is not one of {}", field("kind"), kinds.join(", ")));
            None
        }
    };
    let fiscal_year = match field("fiscal_year").parse::<i32>() {
        Ok(y) if (1980..=2200).contains(&y) => Some(y),
        _ => {
            fail("fiscal_year", format!("{:?} is not a fiscal year", field("fiscal_year")));
            None
        }
    };
    let revenue_code = text("revenue_code", 20, false, &mut fail);
    let property_id = text("property_id", 64, false, &mut fail);
    if kind == Some(DebtKind::PropertyDuty) && property_id.is_none() {
        fail("property_id", "is required for property duty".into());
    }
    let description = text("description", 500, false, &mut fail).unwrap_or_default();
    let principal = match parse_decimal_amount(&field("principal"), opts.decimal_comma) {
        Ok(c) if c.is_positive() => Some(c),
        Ok(_) => {
            fail("principal", "must be more than zero".into());
            None
        }
        Err(e) => {
            let hint = if !opts.decimal_comma && field("principal").contains(',') {
                " (for 1234,56 use --decimal-comma)"
            } else {
                ""
            };
            fail("principal", format!("{e}{hint}"));
            None
        }
    };
    let date = |col: &str, fail: &mut dyn FnMut(&str, String)| -> Option<NaiveDate> {
        let v = field(col);
        let (fmt, shown) = match opts.date_format {
            DateFormat::Iso => ("%Y-%m-%d", "YYYY-MM-DD"),
            DateFormat::Dmy => ("%d/%m/%Y", "DD/MM/YYYY"),
        };
        match NaiveDate::parse_from_str(&v, fmt) {
            Ok(d) => Some(d),
            Err(_) => {
                fail(col, format!("{v:?} is not a date {shown}"));
                None
            }
        }
    };
    let assessed_on = date("assessed_on", &mut fail);
    let due_on = date("due_on", &mut fail);
    if let (Some(a), Some(d)) = (assessed_on, due_on)
        && d < a
    {
        fail("due_on", "is before assessed_on".into());
    }
    let rf = match field("rf") {
        v if v.is_empty() => None,
        v => match RfReference::parse(&v) {
            Ok(r) => Some(r),
            Err(e) => {
                fail("rf", e.to_string());
                None
            }
        },
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    match (source_id, party_source_id, party_kind, tax_country, name, kind, fiscal_year, principal, assessed_on, due_on)
    {
        (
            Some(source_id),
            Some(party_sid),
            Some(pk),
            Some(tc),
            Some(name),
            Some(kind),
            Some(fiscal_year),
            Some(principal),
            Some(assessed_on),
            Some(due_on),
        ) => Ok(DebtRow {
            row,
            source_id,
            party: PartyRow { source_id: party_sid, kind: pk, tax_country: tc, tax_id, name, address, email },
            kind,
            fiscal_year,
            revenue_code,
            property_id,
            description,
            principal,
            assessed_on,
            due_on,
            rf,
        }),
        _ => Err(vec![Problem { row, column: None, reason: "the row is incomplete".into() }]),
    }
}

/// Within one file: a source id names one debt, a party source id one party,
/// and an RF one debt.
fn check_consistency(rows: &[DebtRow], problems: &mut Problems, warnings: &mut Problems) {
    let mut debts: HashMap<&str, (u64, String)> = HashMap::new();
    let mut parties: HashMap<&str, (u64, &PartyRow)> = HashMap::new();
    let mut rfs: HashMap<&str, u64> = HashMap::new();
    for r in rows {
        let h = r.content_hash();
        if let Some((first, other)) = debts.get(r.source_id.as_str()) {
            if *other != h {
                problems.push(Problem::at(
                    r.row,
                    "source_id",
                    format!("differs from row {first} with the same source_id"),
                ));
            }
        } else {
            debts.insert(&r.source_id, (r.row, h));
        }
        match parties.get(r.party.source_id.as_str()) {
            Some((first, p)) if p.identity_hash() != r.party.identity_hash() => problems.push(Problem::at(
                r.row,
                "party_source_id",
                format!("the party's tax id differs from row {first} with the same party_source_id"),
            )),
            Some((first, p)) if p.details_hash() != r.party.details_hash() => warnings.push(Problem::at(
                r.row,
                "party_source_id",
                format!("the party's kind, name, address or e-mail differ from row {first}; row {first}'s are kept"),
            )),
            Some(_) => {}
            None => {
                parties.insert(&r.party.source_id, (r.row, &r.party));
            }
        }
        if let Some(rf) = &r.rf {
            match rfs.get(rf.as_str()) {
                Some(first) if debts.get(r.source_id.as_str()).is_some_and(|(row, _)| row != first) => {
                    problems.push(Problem::at(r.row, "rf", format!("is already the RF of row {first}")));
                }
                Some(_) => {}
                None => {
                    rfs.insert(rf.as_str(), r.row);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "source_id,party_source_id,party_kind,tax_id,tax_country,name,address,email,kind,fiscal_year,revenue_code,property_id,description,principal,assessed_on,due_on,rf";

    fn file(rows: &[&str]) -> Vec<u8> {
        let mut s = String::from(HEADER);
        for r in rows {
            s.push('\n');
            s.push_str(r);
        }
        s.into_bytes()
    }

    const GOOD: &str = "D-1,P-1,person,090000045,GR,Γεώργιος Παπαδόπουλος,Οδός 1,g@example.gr,water,2025,,,Νερό,12.50,2025-01-10,2025-02-28,";

    #[test]
    fn a_valid_row_parses_with_greek_text_in_nfc() {
        let rows = parse(&file(&[GOOD]), ParseOptions::default()).unwrap().rows;
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!(r.row, 2);
        assert_eq!(r.party.name, "Γεώργιος Παπαδόπουλος");
        assert_eq!(r.principal, Cents::new(1250));
        assert_eq!(r.kind, DebtKind::Water);
        assert_eq!(r.rf, None);
    }

    #[test]
    fn bom_semicolons_decimal_comma_and_dmy_dates() {
        let text = format!(
            "\u{feff}{}\n{}",
            HEADER.replace(',', ";"),
            "D-1;P-1;company;090000045;GR;ΑΡΤΟΠΟΙΕΙΟ ΙΚΕ;;;municipal_fee;2025;0311;;Τέλος;1234,56;10/01/2025;28/02/2025;RF18 5390 0754 7034"
        );
        let opts = ParseOptions { decimal_comma: true, date_format: DateFormat::Dmy };
        let rows = parse(text.as_bytes(), opts).unwrap().rows;
        assert_eq!(rows[0].principal, Cents::new(123_456));
        assert_eq!(rows[0].due_on, NaiveDate::from_ymd_opt(2025, 2, 28).unwrap());
        assert_eq!(rows[0].rf.as_ref().map(|r| r.as_str()), Some("RF18539007547034"));
        // Without the options the same file names each problem.
        let err = parse(text.as_bytes(), ParseOptions::default()).unwrap_err();
        let cols: Vec<_> = err.list.iter().map(|p| p.column.clone().unwrap_or_default()).collect();
        assert_eq!(cols, ["principal", "assessed_on", "due_on"]);
        assert!(err.list[0].reason.contains("--decimal-comma"));
    }

    #[test]
    fn every_problem_is_listed_with_row_and_column() {
        let rows = [
            GOOD,
            "D-2,P-2,person,123456789,GR,Α,,,water,2025,,,x,1.00,2025-01-10,2025-02-28,",
            "D-3,P-3,alien,090000045,GR,Β,,,beer,1800,,,x,-1.00,2025-13-10,2025-02-28,RF00",
            "D-4,P-4,person,090000045,GR,Γ,,,property_duty,2025,,,x,1.005,2025-01-10,2025-02-28,",
        ];
        let err = parse(&file(&rows), ParseOptions::default()).unwrap_err();
        let found: Vec<(u64, String)> =
            err.list.iter().map(|p| (p.row, p.column.clone().unwrap_or_default())).collect();
        assert_eq!(
            found,
            [
                (3, "tax_id".into()),
                (4, "party_kind".into()),
                (4, "kind".into()),
                (4, "fiscal_year".into()),
                (4, "principal".into()),
                (4, "assessed_on".into()),
                (4, "rf".into()),
                (5, "property_id".into()),
                (5, "principal".into()),
            ]
        );
    }

    #[test]
    fn duplicates_inside_a_file_must_agree() {
        let changed = GOOD.replace("12.50", "13.50");
        let other_party = GOOD.replace("D-1,", "D-2,").replace("090000045", "090000057");
        let err = parse(&file(&[GOOD, GOOD, &changed, &other_party]), ParseOptions::default()).unwrap_err();
        assert_eq!(err.list.len(), 2, "{:?}", err.list);
        assert_eq!((err.list[0].row, err.list[0].column.as_deref()), (4, Some("source_id")));
        assert_eq!((err.list[1].row, err.list[1].column.as_deref()), (5, Some("party_source_id")));
        // Identical duplicates are fine (they are skipped when stored).
        assert_eq!(parse(&file(&[GOOD, GOOD]), ParseOptions::default()).unwrap().rows.len(), 2);
        // Another spelling of the same party's name or address is a warning, not a refusal.
        let respelled = GOOD.replace("D-1,", "D-3,").replace("Οδός 1", "Οδός 2");
        let parsed = parse(&file(&[GOOD, &respelled]), ParseOptions::default()).unwrap();
        assert_eq!(parsed.rows.len(), 2);
        assert_eq!((parsed.warnings.list[0].row, parsed.warnings.total), (3, 1));
    }

    #[test]
    fn bad_files_are_refused_as_a_whole() {
        let e = parse(b"\xff\xfe", ParseOptions::default()).unwrap_err();
        assert!(e.list[0].reason.contains("UTF-8"));
        let e = parse(b"a,b\n1,2", ParseOptions::default()).unwrap_err();
        assert!(e.list[0].reason.contains("missing"));
        let e = parse(HEADER.as_bytes(), ParseOptions::default()).unwrap_err();
        assert!(e.list[0].reason.contains("no debts"));
        let e = parse(&file(&["D-1,P-1,person"]), ParseOptions::default()).unwrap_err();
        assert!(e.list[0].reason.contains("3 fields"), "{:?}", e.list);
    }
}
