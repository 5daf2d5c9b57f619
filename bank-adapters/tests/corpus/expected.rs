//! The common shape that every third-party expectation is mapped to, and the
//! line-by-line comparison with what we read.

use bank_adapters::{Direction, ParsedFile};

/// One line as a third party expects it; `None` where it says nothing.
#[derive(Debug, Default, Clone)]
pub struct ExpLine {
    pub amount_cents: Option<i64>,
    pub direction: Option<Direction>,
    pub reversal: Option<bool>,
    pub booking_date: Option<String>,
    pub value_date: Option<String>,
    pub entry_reference: Option<String>,
    pub bank_reference: Option<String>,
    pub end_to_end_id: Option<String>,
    pub creditor_reference: Option<String>,
    pub counterparty_account: Option<String>,
}

#[derive(Debug, Default)]
pub struct Expected {
    pub lines: Vec<ExpLine>,
    /// Opening and closing balance per statement, when the source gives them.
    pub balances: Option<Vec<(Option<i64>, Option<i64>)>>,
}

/// Placeholders that mean "no reference" are read as absent on both sides.
pub fn reference(r: Option<&str>) -> Option<String> {
    let r = r?.trim();
    if r.is_empty() || r.eq_ignore_ascii_case("NONREF") || r.eq_ignore_ascii_case("NOTPROVIDED") {
        None
    } else {
        Some(r.to_string())
    }
}

/// `-754.25`, `2187.0`, `15000` -> signed cents.
pub fn decimal_cents(text: &str) -> Option<i64> {
    let t = text.trim();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (units, frac) = t.split_once('.').unwrap_or((t, ""));
    let mut frac: String = frac.trim_end_matches('0').to_string();
    if frac.len() > 2 {
        return None;
    }
    while frac.len() < 2 {
        frac.push('0');
    }
    let cents = units.parse::<i64>().ok()? * 100 + frac.parse::<i64>().ok()?;
    Some(if neg { -cents } else { cents })
}

/// Compares count, amounts, directions, dates and references (where both have them).
pub fn compare(ours: &ParsedFile, exp: &Expected) -> Vec<String> {
    let mut problems = Vec::new();
    let lines: Vec<_> = ours.statements.iter().flat_map(|s| s.lines()).collect();
    if lines.len() != exp.lines.len() {
        problems.push(format!("{} lines, expected {}", lines.len(), exp.lines.len()));
        return problems;
    }
    for (i, (l, e)) in lines.iter().zip(&exp.lines).enumerate() {
        let n = i + 1;
        let mut check = |what: &str, ours: Option<String>, theirs: &Option<String>| {
            if let (Some(o), Some(t)) = (&ours, theirs)
                && o != t
            {
                problems.push(format!("line {n}: {what} {o:?}, expected {t:?}"));
            }
        };
        check("amount", l.amount_cents.map(|c| c.to_string()), &e.amount_cents.map(|c| c.to_string()));
        check("direction", Some(format!("{:?}", l.direction)), &e.direction.map(|d| format!("{d:?}")));
        check("reversal", Some(l.reversal.to_string()), &e.reversal.map(|r| r.to_string()));
        check("booking date", l.booking_date.map(|d| d.to_string()), &e.booking_date);
        check("value date", l.value_date.map(|d| d.to_string()), &e.value_date);
        check("entry reference", l.entry_reference().map(String::from), &e.entry_reference);
        check("bank reference", l.bank_reference().map(String::from), &e.bank_reference);
        check("end-to-end id", l.end_to_end_id().map(String::from), &e.end_to_end_id);
        check("creditor reference", l.creditor_reference().map(String::from), &e.creditor_reference);
        check("counterparty account", l.counterparty_account().map(String::from), &e.counterparty_account);
    }
    if let Some(balances) = &exp.balances {
        if balances.len() == ours.statements.len() {
            for (s, (open, close)) in ours.statements.iter().zip(balances) {
                let o = s.opening_balance.map(|b| b.amount_cents);
                let c = s.closing_balance.map(|b| b.amount_cents);
                if open.is_some() && o != *open {
                    problems.push(format!("opening balance {o:?}, expected {open:?}"));
                }
                if close.is_some() && c != *close {
                    problems.push(format!("closing balance {c:?}, expected {close:?}"));
                }
            }
        } else {
            problems.push(format!("{} statements, expected {}", ours.statements.len(), balances.len()));
        }
    }
    problems
}
