//! Consistency checks over what was read, reported as warnings, never silently.

use crate::amount::format_cents;

/// Entry-level balance check: the booked entries must take the opening
/// balance to the closing balance. `None` when they do, or when a balance is
/// missing (camt.054 notifications have none).
pub(crate) fn balance_warning(opening: Option<i64>, closing: Option<i64>, booked_sum: Option<i64>) -> Option<String> {
    let (Some(opening), Some(closing)) = (opening, closing) else {
        return None;
    };
    let Some(sum) = booked_sum else {
        return Some("the booked entries overflow a 64-bit sum of cents".to_string());
    };
    let expected = opening.checked_add(sum)?;
    if expected == closing {
        return None;
    }
    Some(format!(
        "balances do not add up: opening {} + booked entries {} = {}, but the closing balance is {} (difference {})",
        format_cents(opening),
        format_cents(sum),
        format_cents(expected),
        format_cents(closing),
        format_cents(closing.saturating_sub(expected)),
    ))
}

/// Batch check: the transaction amounts of an entry must add up to the entry
/// amount, or differ from it by exactly the charges netted into it.
pub(crate) fn batch_warning(
    entry_index: u32,
    entry_reference: Option<&str>,
    entry_amount: i64,
    tx_sum: Option<i64>,
    charges: &[Option<i64>],
) -> Option<String> {
    let Some(tx_sum) = tx_sum else {
        return Some(format!("entry {} : the transaction amounts overflow a 64-bit sum of cents", entry_index + 1));
    };
    let diff = entry_amount.checked_sub(tx_sum)?;
    if diff == 0 || charges.iter().flatten().any(|c| c.checked_abs() == diff.checked_abs()) {
        return None;
    }
    let name = match entry_reference {
        Some(r) => format!("entry {} ({r})", entry_index + 1),
        None => format!("entry {}", entry_index + 1),
    };
    Some(format!(
        "{name}: its transaction details add up to {}, but the entry amount is {} (difference {}, not its charges)",
        format_cents(tx_sum),
        format_cents(entry_amount),
        format_cents(diff),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn balances() {
        assert_eq!(balance_warning(Some(100), Some(150), Some(50)), None);
        assert!(balance_warning(Some(100), Some(140), Some(50)).is_some());
        assert_eq!(balance_warning(None, Some(140), Some(50)), None);
    }

    #[test]
    fn batches() {
        assert_eq!(batch_warning(0, None, 300, Some(300), &[]), None);
        assert_eq!(batch_warning(0, None, 295, Some(300), &[Some(5)]), None);
        assert!(batch_warning(0, Some("X"), 290, Some(300), &[Some(5)]).is_some());
    }
}
