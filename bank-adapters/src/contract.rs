//! The JSON contract of `tameio statement parse FILE`.

use serde_json::{Map, Value, json};

use crate::amount::format_cents;
use crate::model::{Balance, Date, LineRef, ParsedFile, Statement};

/// The whole file as the contract's JSON document.
pub fn to_json(file: &ParsedFile) -> Value {
    json!({
        "format": file.format.to_string(),
        "statements": file.statements.iter().map(statement_json).collect::<Vec<_>>(),
    })
}

pub fn statement_json(s: &Statement) -> Value {
    json!({
        "id": s.id,
        "sequence": s.sequence,
        "account": s.account,
        "currency": s.currency,
        "opening_balance": balance(s.opening_balance),
        "closing_balance": balance(s.closing_balance),
        "lines": s.lines().map(line_json).collect::<Vec<_>>(),
        "warnings": s.warnings,
    })
}

fn balance(b: Option<Balance>) -> Value {
    b.map_or(Value::Null, |b| Value::String(format_cents(b.amount_cents)))
}

fn date(d: Option<Date>) -> Value {
    d.map_or(Value::Null, |d| Value::String(d.to_string()))
}

fn text(t: Option<&str>) -> Value {
    t.map_or(Value::Null, |t| Value::String(t.to_string()))
}

pub fn line_json(l: LineRef<'_>) -> Value {
    // Built field by field to keep the contract's order readable in snapshots.
    let mut m = Map::new();
    m.insert("entry_reference".into(), text(l.entry_reference()));
    m.insert("bank_reference".into(), text(l.bank_reference()));
    m.insert("booking_date".into(), date(l.booking_date));
    m.insert("value_date".into(), date(l.value_date));
    m.insert("amount".into(), l.amount_cents.map_or(Value::Null, |a| Value::String(format_cents(a))));
    m.insert("direction".into(), Value::String(l.direction.as_str().into()));
    m.insert("status".into(), Value::String(l.status.as_str().into()));
    m.insert("reversal".into(), Value::Bool(l.reversal));
    m.insert("creditor_reference".into(), text(l.creditor_reference()));
    m.insert("end_to_end_id".into(), text(l.end_to_end_id()));
    m.insert("remittance".into(), text(l.remittance()));
    m.insert("counterparty_name".into(), text(l.counterparty_name()));
    m.insert("counterparty_account".into(), text(l.counterparty_account()));
    m.insert("charges".into(), l.charges_cents.map_or(Value::Null, |c| Value::String(format_cents(c))));
    m.insert("return_reason".into(), text(l.return_reason()));
    Value::Object(m)
}
