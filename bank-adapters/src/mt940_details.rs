//! Reading the `:86:` information to the account owner: the German `?NN`
//! subfields, the Dutch and SEPA `/KEY/value/` form, or free text.

use crate::camt_lines::is_placeholder;
use crate::model::{TextDraft, TextField, trim};
use crate::rf_scan::first_rf_candidate;
use crate::scan::BytePositions;

/// What a key of the slash form means for the line; `Other` keys only end the value before them.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    Eref,
    Remi,
    Name,
    Iban,
    Cntp,
    Rtrn,
    Other,
}

/// Keys of the slash form that start a new value (ABN AMRO, ING, Rabobank,
/// and the generator's `/EREF/../REMI/SCOR/../ORDP/NAME/..`).
fn slash_key(tok: &[u8]) -> Option<Key> {
    Some(match tok {
        b"EREF" => Key::Eref,
        b"REMI" => Key::Remi,
        b"NAME" => Key::Name,
        b"IBAN" => Key::Iban,
        b"CNTP" => Key::Cntp,
        b"RTRN" => Key::Rtrn,
        b"BIC" | b"ORDP" | b"BENM" | b"TRTP" | b"MARF" | b"CSID" | b"PURP" | b"ISDT" | b"ULTC" | b"ULTD" | b"ULTB"
        | b"SVCL" | b"CREF" | b"BUSP" | b"BATCH" | b"ADDR" | b"CITY" | b"IREF" | b"OCMT" | b"CHGS" | b"EXCH"
        | b"PREF" => Key::Other,
        _ => return None,
    })
}

/// Fills the line's texts from the `:86:` field. `raw` keeps the bank's line
/// breaks; the structured forms are read from `joined`, `raw` with the breaks
/// removed ([`join_lines`]), because banks wrap the field at a fixed width,
/// even inside words and references.
pub(crate) fn read_details(raw: &str, joined: &str, texts: &mut TextDraft) {
    // A text that starts with a visible ASCII character (the usual case) has nothing to trim.
    let trimmed = match joined.as_bytes().first() {
        Some(&c) if c.is_ascii_graphic() => joined,
        _ => joined.trim_start(),
    };
    if is_german(trimmed) {
        read_german(trimmed, texts);
    } else if trimmed.starts_with('/') {
        read_slash(trimmed, texts);
    } else if let Some(p) = ["/EREF/", "/REMI/", "/TRTP/"].iter().filter_map(|k| joined.find(k)).min() {
        read_slash(joined.get(p..).unwrap_or_default(), texts);
    } else {
        texts.set(TextField::Remittance, raw);
    }
    if !texts.is_set(TextField::CreditorReference)
        && let Some(rf) = first_rf_candidate(joined)
    {
        texts.set(TextField::CreditorReference, rf.as_str());
    }
}

/// `raw` without its line breaks (`\r` and `\n`), borrowed when it has none.
/// `scratch` is reused from call to call to hold the joined text.
pub(crate) fn join_lines<'a>(raw: &'a str, scratch: &'a mut String) -> &'a str {
    let Some(first) = memchr::memchr2(b'\r', b'\n', raw.as_bytes()) else { return raw };
    scratch.clear();
    scratch.push_str(raw.get(..first).unwrap_or_default());
    let base = first + 1;
    let mut last = base;
    for i in memchr::memchr2_iter(b'\r', b'\n', raw.as_bytes().get(base..).unwrap_or_default()) {
        scratch.push_str(raw.get(last..base + i).unwrap_or_default());
        last = base + i + 1;
    }
    scratch.push_str(raw.get(last..).unwrap_or_default());
    scratch
}

/// [`join_lines`] for a text whose only line breaks are single `\n` bytes at
/// `breaks` (in order), as the reader recorded them: no search needed.
pub(crate) fn join_at<'a>(raw: &'a str, breaks: &[usize], scratch: &'a mut String) -> &'a str {
    debug_assert!(breaks.iter().all(|&i| raw.as_bytes().get(i) == Some(&b'\n')));
    if breaks.is_empty() {
        return raw;
    }
    scratch.clear();
    let mut last = 0;
    for &i in breaks {
        // '\n' is ASCII: the slices keep to character boundaries.
        scratch.push_str(raw.get(last..i).unwrap_or_default());
        last = i + 1;
    }
    scratch.push_str(raw.get(last..).unwrap_or_default());
    scratch
}

/// `166?00GUTSCHRIFT?20...`: a three-digit business code, then `?NN` subfields.
fn is_german(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 4 && b[..3].iter().all(u8::is_ascii_digit) && b[3] == b'?'
}

fn read_german(s: &str, texts: &mut TextDraft) {
    let mut purpose = String::new();
    let mut name = String::new();
    let mut account = String::new();
    for part in s.split('?').skip(1) {
        let (Some(code), Some(value)) = (part.get(..2), part.get(2..)) else {
            continue;
        };
        match code {
            "20" | "21" | "22" | "23" | "24" | "25" | "26" | "27" | "28" | "29" | "60" | "61"
            | "62" | "63" => purpose.push_str(value),
            "32" | "33" => name.push_str(value),
            "31" | "38"
                // ?38 carries the IBAN where ?31 has the old account number.
                if (code == "38" || account.is_empty()) => {
                    account.clear();
                    account.push_str(value);
                }
            _ => {}
        }
    }
    let keys =
        ["EREF+", "KREF+", "MREF+", "CRED+", "DEBT+", "SVWZ+", "ABWA+", "ABWE+", "IBAN+", "BIC+", "COAM+", "OAMT+"];
    let mut marks: Vec<(usize, &str)> =
        keys.iter().flat_map(|k| purpose.match_indices(k).map(|(i, _)| (i, *k)).collect::<Vec<_>>()).collect();
    marks.sort_unstable();
    if marks.is_empty() {
        texts.set(TextField::Remittance, &purpose);
    } else {
        for (n, &(start, key)) in marks.iter().enumerate() {
            let end = marks.get(n + 1).map_or(purpose.len(), |m| m.0);
            let value = purpose.get(start + key.len()..end).unwrap_or_default().trim();
            match key {
                "EREF+" if !is_placeholder(value) => texts.set_if_absent(TextField::EndToEndId, value),
                "SVWZ+" => texts.set_if_absent(TextField::Remittance, value),
                _ => {}
            }
        }
    }
    texts.set(TextField::CounterpartyName, &name);
    texts.set(TextField::CounterpartyAccount, &account);
}

/// The values run from after `/KEY/` to the `/` before the next key, so each
/// is a slice of `s`: the same text as joining the key's `/`-separated parts.
fn read_slash(s: &str, texts: &mut TextDraft) {
    let mut current: Option<(Key, usize)> = None;
    let mut tok_start = 0;
    let b = s.as_bytes();
    // Tokens are short and the slashes close together: found a word at a time.
    let mut slashes = BytePositions::new(b, b'/');
    loop {
        let tok_end = slashes.next();
        let end = tok_end.unwrap_or(b.len());
        // Keys have three to five letters.
        if (3..=5).contains(&(end - tok_start))
            && let Some(next) = b.get(tok_start..end).and_then(slash_key)
        {
            // `Other` keys only end the value before them.
            if let Some((key, value_start)) = current
                && key != Key::Other
            {
                slash_field(key, value_between(s, value_start, tok_start.saturating_sub(1)), texts);
            }
            current = Some((next, end + 1));
        }
        match tok_end {
            Some(e) => tok_start = e + 1,
            None => break,
        }
    }
    if let Some((key, value_start)) = current
        && key != Key::Other
    {
        slash_field(key, value_between(s, value_start, s.len()), texts);
    }
}

fn value_between(s: &str, start: usize, end: usize) -> &str {
    if start >= end { "" } else { s.get(start..end).unwrap_or_default() }
}

fn slash_field(key: Key, value: &str, texts: &mut TextDraft) {
    // '/' is ASCII, so stripping it byte by byte keeps to character boundaries.
    let b = value.as_bytes();
    let start = b.iter().position(|&c| c != b'/').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b'/').map_or(start, |e| e + 1);
    let value = trim(value.get(start..end).unwrap_or_default());
    if value.is_empty() {
        return;
    }
    match key {
        Key::Eref if !is_placeholder(value) => texts.set_if_absent(TextField::EndToEndId, value),
        Key::Remi => read_remi(value, texts),
        Key::Name => texts.set_if_absent(TextField::CounterpartyName, value),
        Key::Iban => texts.set_if_absent(TextField::CounterpartyAccount, value),
        Key::Cntp => {
            // ING: /CNTP/account/BIC/name/city/
            let mut p = value.split('/');
            if let Some(acct) = p.next() {
                texts.set_if_absent(TextField::CounterpartyAccount, acct);
            }
            if let Some(name) = p.nth(1) {
                texts.set_if_absent(TextField::CounterpartyName, name);
            }
        }
        Key::Rtrn => texts.set_if_absent(TextField::ReturnReason, value),
        Key::Eref | Key::Other => {}
    }
}

/// `/REMI/USTD//free text/`, `/REMI/STRD/CUR/reference/`, `/REMI/SCOR/RF../`, or plain text.
fn read_remi(value: &str, texts: &mut TextDraft) {
    if let Some(rest) = value.strip_prefix("USTD") {
        texts.set_if_absent(TextField::Remittance, rest.trim_start_matches('/'));
    } else if let Some(rest) = value.strip_prefix("SCOR/") {
        // A batch can list several references joined by '+': the first is the line's.
        let first_end = BytePositions::either(rest.as_bytes(), b'+', b'/').next().unwrap_or(rest.len());
        texts.set_if_absent(TextField::CreditorReference, rest.get(..first_end).unwrap_or_default());
        if rest.as_bytes().get(first_end..).is_some_and(|r| r.contains(&b'+')) {
            texts.set_if_absent(TextField::Remittance, rest);
        }
    } else if let Some(rest) = value.strip_prefix("STRD/") {
        let reference = rest.strip_prefix("CUR/").unwrap_or(rest);
        if reference.len() > 2 && reference.as_bytes()[..2].eq_ignore_ascii_case(b"RF") {
            texts.set_if_absent(TextField::CreditorReference, reference);
        } else {
            texts.set_if_absent(TextField::Remittance, reference);
        }
    } else {
        texts.set_if_absent(TextField::Remittance, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &str) -> TextDraft {
        let mut t = TextDraft::default();
        let mut scratch = String::new();
        read_details(raw, join_lines(raw, &mut scratch), &mut t);
        t
    }

    #[test]
    fn german_subfields() {
        let t =
            read("166?00GUTSCHRIFT?20EREF+E2E-1?21SVWZ+Rechnung 12?22 3?32KARL?33 KAUFMANN?31DE14508800500194785000");
        assert_eq!(t.get(TextField::EndToEndId), Some("E2E-1"));
        assert_eq!(t.get(TextField::Remittance), Some("Rechnung 12 3"));
        assert_eq!(t.get(TextField::CounterpartyName), Some("KARL KAUFMANN"));
        assert_eq!(t.get(TextField::CounterpartyAccount), Some("DE14508800500194785000"));
    }

    #[test]
    fn slash_form_wrapped() {
        let t = read("/EREF/E2E3EB146685257/REMI/SCOR/RF1291840300000096530/ORDP/NAME/K\nONSTANTINA ZACHARIOY");
        assert_eq!(t.get(TextField::EndToEndId), Some("E2E3EB146685257"));
        assert_eq!(t.get(TextField::CreditorReference), Some("RF1291840300000096530"));
        assert_eq!(t.get(TextField::CounterpartyName), Some("KONSTANTINA ZACHARIOY"));
        assert_eq!(t.get(TextField::Remittance), None);
    }

    #[test]
    fn wrapped_three_times() {
        let t = read("/EREF/E2E1/NAME/KON\r\nSTANTINA ZA\nCHA\r\nRIOY/REMI/USTD//Rech\nnung 7/");
        assert_eq!(t.get(TextField::CounterpartyName), Some("KONSTANTINA ZACHARIOY"));
        assert_eq!(t.get(TextField::Remittance), Some("Rechnung 7"));
    }

    #[test]
    fn ing_counterparty() {
        let t = read("/EREF/NOTPROVIDED//CNTP/NL08INGB0000000555/INGBNL2A/J. Janssen/AMSTERDAM//REMI/USTD//Factuur 1/");
        assert_eq!(t.get(TextField::EndToEndId), None);
        assert_eq!(t.get(TextField::CounterpartyAccount), Some("NL08INGB0000000555"));
        assert_eq!(t.get(TextField::CounterpartyName), Some("J. Janssen"));
        assert_eq!(t.get(TextField::Remittance), Some("Factuur 1"));
    }
}
