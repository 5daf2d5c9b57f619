//! wolph/mt940 expectations: a YAML dump of its Python `Transactions`
//! object. Each transaction points back to the whole object (`transactions:
//! *idN`); those back references are dropped before reading, and dates are
//! pickled `datetime.date` bytes (`!!binary`: year high, year low, month, day).

use bank_adapters::Direction;
use serde_norway::Value;

use crate::expected::{ExpLine, Expected, reference};

fn untag(v: &Value) -> &Value {
    match v {
        Value::Tagged(t) => untag(&t.value),
        other => other,
    }
}

fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    match untag(v) {
        Value::Mapping(m) => m.get(key).map(untag),
        _ => None,
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v.map(untag)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn date(v: Option<&Value>) -> Option<String> {
    let seq = match untag(v?) {
        Value::Sequence(s) => s,
        _ => return None,
    };
    let b64 = text(seq.first())?;
    let bytes = decode_base64(&b64)?;
    let year = u16::from(*bytes.first()?) * 256 + u16::from(*bytes.get(1)?);
    Some(format!("{year:04}-{:02}-{:02}", bytes.get(2)?, bytes.get(3)?))
}

fn decode_base64(s: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|c| !c.is_ascii_whitespace() && *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

pub fn load(text_in: &str) -> Result<Expected, String> {
    let cleaned: String = text_in
        .lines()
        .filter(|l| !(l.trim_start().starts_with("transactions: *id")))
        .map(|l| format!("{l}\n"))
        .collect();
    let v: Value = serde_norway::from_str(&cleaned).map_err(|e| e.to_string())?;
    let txs = match get(&v, "transactions") {
        Some(Value::Sequence(s)) => s.clone(),
        _ => Vec::new(),
    };
    let mut exp = Expected::default();
    for t in &txs {
        let Some(d) = get(t, "data") else { continue };
        let status = text(get(d, "status")).unwrap_or_default();
        // Their amount sign follows the letter D; the real effect of RC/RD is the reverse.
        let direction = match status.as_str() {
            "C" | "RD" | "EC" => Some(Direction::Credit),
            "D" | "RC" | "ED" => Some(Direction::Debit),
            _ => None,
        };
        let amount = get(d, "amount")
            .and_then(|a| get(a, "amount"))
            .and_then(|a| match a {
                Value::Sequence(s) => text(s.first()),
                other => text(Some(other)),
            })
            .and_then(|a| crate::expected::decimal_cents(&a))
            .map(i64::abs);
        exp.lines.push(ExpLine {
            amount_cents: amount,
            direction,
            reversal: direction.map(|_| status.starts_with('R')),
            booking_date: date(get(d, "entry_date")),
            value_date: date(get(d, "date")),
            // Their pattern lets the reference run on into the next line of :61:
            // (the supplementary details); the reference is its first line.
            entry_reference: reference(text(get(d, "customer_reference")).as_deref().and_then(|r| r.lines().next())),
            bank_reference: reference(text(get(d, "bank_reference")).as_deref()),
            ..ExpLine::default()
        });
    }
    Ok(exp)
}
