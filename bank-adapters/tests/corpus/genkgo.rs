//! genkgo/camt expectations: a JSON dump of its PHP `Message` object, where
//! objects already printed appear as `"__RECURSIVITY__"`. The entries of the
//! first statement are printed in full, each `TxDtls` after the first in
//! `getTransactionDetails` and the first one in `getTransactionDetail`.

use bank_adapters::Direction;
use serde_json::Value;

use crate::expected::{ExpLine, Expected, reference};

fn money_cents(m: &Value) -> Option<i64> {
    m.get("getAmount")?.as_str()?.parse().ok()
}

/// genkgo prints `0` for a `TxDtls` that has no amount of its own.
fn tx_cents(m: &Value) -> Option<i64> {
    money_cents(m).filter(|c| *c != 0)
}

fn date(v: &Value) -> Option<String> {
    v.get("0")?.as_str()?.get(..10).map(String::from)
}

fn direction(v: &Value) -> Option<Direction> {
    match v.as_str()? {
        "CRDT" => Some(Direction::Credit),
        "DBIT" => Some(Direction::Debit),
        _ => None,
    }
}

/// Returns the expectation and the id of the statement it covers.
pub fn load(text: &str) -> Result<(Expected, Option<String>), String> {
    let v: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let entries = v.get("getEntries").and_then(Value::as_array).ok_or("no getEntries")?;
    let mut exp = Expected::default();
    let mut stmt_id = None;
    for entry in entries.iter().filter(|e| e.is_object()) {
        let record = entry.get("getRecord");
        if stmt_id.is_none() {
            stmt_id = record.and_then(|r| r.get("getId")).and_then(Value::as_str).map(String::from);
        }
        let mut txs: Vec<&Value> = Vec::new();
        if let Some(first) = entry.get("getTransactionDetail").filter(|t| t.is_object()) {
            txs.push(first);
        }
        if let Some(rest) = entry.get("getTransactionDetails").and_then(Value::as_array) {
            txs.extend(rest.iter().skip(1).filter(|t| t.is_object()));
        }
        let base = ExpLine {
            reversal: entry.get("getReversalIndicator").and_then(Value::as_bool),
            booking_date: entry.get("getBookingDate").and_then(date),
            value_date: entry.get("getValueDate").and_then(date),
            ..ExpLine::default()
        };
        if txs.is_empty() {
            exp.lines.push(ExpLine {
                amount_cents: entry.get("getAmount").and_then(money_cents).map(i64::abs),
                direction: entry.get("getCreditDebitIndicator").and_then(direction),
                ..base
            });
            continue;
        }
        for tx in txs {
            let refs = tx.get("getReference");
            let r = |k: &str| refs.and_then(|x| x.get(k)).and_then(Value::as_str);
            let cri = tx.get("getRemittanceInformation").and_then(|x| x.get("getCreditorReferenceInformation"));
            let cref = cri.and_then(|c| {
                let code = c.get("getCode").and_then(Value::as_str);
                let rf = c.get("getRef").and_then(Value::as_str)?;
                (code == Some("SCOR") || rf.to_ascii_uppercase().starts_with("RF")).then(|| rf.to_string())
            });
            exp.lines.push(ExpLine {
                // genkgo prints a TxDtls amount in its own currency; a line without
                // one is printed as null.
                amount_cents: tx.get("getAmount").and_then(tx_cents).map(i64::abs),
                direction: tx.get("getCreditDebitIndicator").and_then(direction),
                end_to_end_id: reference(r("getEndToEndId")),
                bank_reference: reference(r("getAccountServicerReference")),
                creditor_reference: cref,
                ..base.clone()
            });
        }
    }
    let record = entries.iter().find_map(|e| e.get("getRecord").filter(|r| r.is_object()));
    if let Some(balances) = record.and_then(|r| r.get("getBalances")).and_then(Value::as_array) {
        let find = |t: &str| {
            balances
                .iter()
                .find(|b| b.get("getType").and_then(Value::as_str) == Some(t))
                .and_then(|b| b.get("getAmount"))
                .and_then(money_cents)
        };
        exp.balances = Some(vec![(find("opening"), find("closing"))]);
    }
    Ok((exp, stmt_id))
}
