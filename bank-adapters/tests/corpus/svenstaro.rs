//! svenstaro/mt940-rs expectations: the JSON of its `Message` list beside each `.sta`.

use bank_adapters::Direction;
use serde_json::Value;

use crate::expected::{ExpLine, Expected, decimal_cents, reference};

pub fn load(text: &str) -> Result<Expected, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let messages = v.as_array().ok_or("not a list of messages")?;
    let mut exp = Expected::default();
    let mut balances: Vec<(Option<i64>, Option<i64>)> = Vec::new();
    let mut prev: Option<&Value> = None;
    for m in messages {
        // They keep each message; a statement continued over messages (62M,
        // then 60M for the same account) is one statement for us.
        let intermediate =
            |v: &Value, k: &str| v.get(k).and_then(|b| b.get("is_intermediate")).and_then(Value::as_bool) == Some(true);
        let continues = prev.is_some_and(|p| {
            intermediate(p, "closing_balance")
                && intermediate(m, "opening_balance")
                && p.get("account_id") == m.get("account_id")
        });
        prev = Some(m);
        let bal = |key: &str| -> Option<i64> {
            let b = m.get(key)?;
            let c = decimal_cents(b.get("amount")?.as_str()?)?;
            Some(if b.get("debit_credit_indicator")?.as_str()? == "Debit" { -c } else { c })
        };
        match balances.last_mut() {
            Some(last) if continues => last.1 = bal("closing_balance"),
            _ => balances.push((bal("opening_balance"), bal("closing_balance"))),
        }
        for l in m.get("statement_lines").and_then(Value::as_array).into_iter().flatten() {
            let s = |k: &str| l.get(k).and_then(Value::as_str);
            // Their enum names the mark; the rule gives its real effect.
            let (direction, reversal) = match s("ext_debit_credit_indicator") {
                Some("Credit") => (Some(Direction::Credit), Some(false)),
                Some("Debit") => (Some(Direction::Debit), Some(false)),
                Some("ReverseCredit") => (Some(Direction::Debit), Some(true)),
                Some("ReverseDebit") => (Some(Direction::Credit), Some(true)),
                _ => (None, None),
            };
            exp.lines.push(ExpLine {
                amount_cents: s("amount").and_then(decimal_cents),
                direction,
                reversal,
                booking_date: s("entry_date").map(String::from),
                value_date: s("value_date").map(String::from),
                entry_reference: reference(s("customer_ref")),
                bank_reference: reference(s("bank_ref")),
                ..ExpLine::default()
            });
        }
    }
    exp.balances = Some(balances);
    Ok(exp)
}
