//! Reading the `:86:` information to the account owner: the German `?NN`
//! subfields, the Dutch and SEPA `/KEY/value/` form, or free text.

use crate::camt_lines::is_placeholder;
use crate::model::{TextDraft, TextField, trim};
use crate::rf_scan::first_rf_candidate;
use crate::scan::{each_position, find_either};

/// What a key of the slash form means for the line; `Other` keys only end the value before them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
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
const KEYS: [(&[u8], Key); 28] = [
    (b"EREF", Key::Eref),
    (b"REMI", Key::Remi),
    (b"NAME", Key::Name),
    (b"IBAN", Key::Iban),
    (b"CNTP", Key::Cntp),
    (b"RTRN", Key::Rtrn),
    (b"BIC", Key::Other),
    (b"ORDP", Key::Other),
    (b"BENM", Key::Other),
    (b"TRTP", Key::Other),
    (b"MARF", Key::Other),
    (b"CSID", Key::Other),
    (b"PURP", Key::Other),
    (b"ISDT", Key::Other),
    (b"ULTC", Key::Other),
    (b"ULTD", Key::Other),
    (b"ULTB", Key::Other),
    (b"SVCL", Key::Other),
    (b"CREF", Key::Other),
    (b"BUSP", Key::Other),
    (b"BATCH", Key::Other),
    (b"ADDR", Key::Other),
    (b"CITY", Key::Other),
    (b"IREF", Key::Other),
    (b"OCMT", Key::Other),
    (b"CHGS", Key::Other),
    (b"EXCH", Key::Other),
    (b"PREF", Key::Other),
];

/// A key with the '/' that ends it, as the little-endian bytes of a word.
#[derive(Clone, Copy)]
struct KeySlot {
    /// The key's bytes, then '/'.
    pattern: u64,
    /// The bytes of a word that `pattern` covers; 0 in an empty slot, with a
    /// `pattern` that a masked word cannot equal.
    mask: u64,
    key: Key,
    len: usize,
}

/// The slot of a token by its first four bytes (the three of `BIC` and '/'):
/// the top six bits of a multiplicative hash. The multiplier was searched for
/// so that the keys fall in distinct slots; building [`KEY_SLOTS`] checks that.
const fn key_slot(word: u64) -> usize {
    ((word as u32).wrapping_mul(0x9e37_846d) >> 26) as usize
}

/// [`KEYS`] by [`key_slot`], so that telling whether a token is a key takes one probe.
const KEY_SLOTS: [KeySlot; 64] = {
    let mut slots = [KeySlot { pattern: 1, mask: 0, key: Key::Other, len: 0 }; 64];
    let mut i = 0;
    while i < KEYS.len() {
        let (name, key) = KEYS[i];
        let mut pattern = b'/' as u64;
        let mut j = name.len();
        while j > 0 {
            j -= 1;
            pattern = pattern << 8 | name[j] as u64;
        }
        let slot = &mut slots[key_slot(pattern)];
        assert!(slot.mask == 0, "two slash keys share a slot: change the multiplier of key_slot");
        *slot = KeySlot { pattern, mask: (1 << (8 * (name.len() + 1))) - 1, key, len: name.len() };
        i += 1;
    }
    slots
};

/// The key that the token starting at `start` is, and where its value
/// starts; the end of the text ends a token as a '/' does.
#[inline]
fn key_at(b: &[u8], start: usize) -> Option<(Key, usize)> {
    // Keys are at most five bytes: the next eight bytes hold a key and its '/'.
    // `start + 8 <= b.len()`, written so that it needs no overflow check.
    let word = if start < b.len().saturating_sub(7) {
        b.get(start..start + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()).map_or(0, u64::from_le_bytes)
    } else {
        tail_word(b.get(start..).unwrap_or_default())
    };
    let slot = KEY_SLOTS[key_slot(word)];
    (word & slot.mask == slot.pattern).then_some((slot.key, start + slot.len + 1))
}

/// The last bytes of a text (fewer than eight), then '/' for its end.
#[inline(never)]
fn tail_word(tail: &[u8]) -> u64 {
    tail.iter().rev().fold(u64::from(b'/'), |w, &c| w << 8 | u64::from(c))
}

/// Fills the line's texts from the `:86:` field. The structured forms are
/// read from `joined`, the field without its line breaks, because banks wrap
/// the field at a fixed width, even inside words and references; `raw` gives
/// the field as received, with its line breaks, for free text.
pub(crate) fn read_details<'r>(joined: &str, raw: impl FnOnce() -> &'r str, texts: &mut TextDraft) {
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
        texts.set(TextField::Remittance, raw());
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

/// `joined` with a `\n` put back at each of `breaks` (where a line started,
/// in order), borrowed when there are none.
pub(crate) fn with_breaks<'a>(joined: &'a str, breaks: &[usize], scratch: &'a mut String) -> &'a str {
    if breaks.is_empty() {
        return joined;
    }
    scratch.clear();
    let mut last = 0;
    for &i in breaks {
        // Lines start after a whole line: the slices keep to character boundaries.
        scratch.push_str(joined.get(last..i).unwrap_or_default());
        scratch.push('\n');
        last = i;
    }
    scratch.push_str(joined.get(last..).unwrap_or_default());
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

fn read_slash(s: &str, texts: &mut TextDraft) {
    slash_values(s, |key, from, to| slash_field(key, s, from, to, texts));
}

/// Calls `f` with each key of the slash form but `Other` and where its value
/// starts and ends in `s`, in order. The values run from after `/KEY/` to the
/// `/` before the next key, so each is a slice of `s`: the same text as
/// joining the key's `/`-separated parts.
#[inline]
fn slash_values(s: &str, mut f: impl FnMut(Key, usize, usize)) {
    let b = s.as_bytes();
    // The key whose value is being read and where that value starts; `Other`
    // keys only end the value before them, so they open none. A key starts
    // the text or follows a '/'; the text usually starts with '/'.
    let mut open = if b.first() == Some(&b'/') { None } else { key_at(b, 0).filter(|&(key, _)| key != Key::Other) };
    // Tokens are short and the slashes close together: found a word at a time.
    each_position(b, b'/', |p| {
        if let Some((next, value_start)) = key_at(b, p + 1) {
            if let Some((key, from)) = open {
                f(key, from, p);
            }
            open = (next != Key::Other).then_some((next, value_start));
        }
    });
    if let Some((key, from)) = open {
        f(key, from, s.len());
    }
}

fn value_between(s: &str, start: usize, end: usize) -> &str {
    if start >= end { "" } else { s.get(start..end).unwrap_or_default() }
}

/// `value` without the '/' at its ends, then trimmed.
fn strip_value(value: &str) -> &str {
    // Ends that are visible ASCII other than '/' (the usual case) leave nothing to strip or trim.
    let plain = |c: Option<&u8>| c.is_some_and(|&c| c.is_ascii_graphic() && c != b'/');
    if plain(value.as_bytes().first()) && plain(value.as_bytes().last()) {
        return value;
    }
    // '/' is ASCII, so stripping it byte by byte keeps to character boundaries.
    let b = value.as_bytes();
    let start = b.iter().position(|&c| c != b'/').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b'/').map_or(start, |e| e + 1);
    trim(value.get(start..end).unwrap_or_default())
}

/// Reads the value `s[from..to]` of `key`. Out of line, and slicing the value
/// itself: the walk over the slashes keeps its registers.
#[inline(never)]
fn slash_field(key: Key, s: &str, from: usize, to: usize, texts: &mut TextDraft) {
    let value = strip_value(value_between(s, from, to));
    if value.is_empty() {
        return;
    }
    // `value` is trimmed and not empty from here on.
    match key {
        Key::Eref if !is_placeholder(value) => {
            texts.set_trimmed_if_absent(TextField::EndToEndId, value);
        }
        Key::Remi => read_remi(value, texts),
        Key::Name => texts.set_trimmed_if_absent(TextField::CounterpartyName, value),
        Key::Iban => texts.set_trimmed_if_absent(TextField::CounterpartyAccount, value),
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
        Key::Rtrn => texts.set_trimmed_if_absent(TextField::ReturnReason, value),
        Key::Eref | Key::Other => {}
    }
}

/// `/REMI/USTD//free text/`, `/REMI/STRD/CUR/reference/`, `/REMI/SCOR/RF../`, or plain
/// text; `value` is trimmed and not empty.
fn read_remi(value: &str, texts: &mut TextDraft) {
    if let Some(rest) = value.strip_prefix("USTD") {
        texts.set_if_absent(TextField::Remittance, rest.trim_start_matches('/'));
    } else if let Some(rest) = value.strip_prefix("SCOR/") {
        // A batch can list several references joined by '+': the first is the line's.
        let first_end = find_either(rest.as_bytes(), b'+', b'/').unwrap_or(rest.len());
        let first = trim(rest.get(..first_end).unwrap_or_default());
        if !first.is_empty() {
            texts.set_trimmed_if_absent(TextField::CreditorReference, first);
        }
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
        texts.set_trimmed_if_absent(TextField::Remittance, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &str) -> TextDraft {
        let mut t = TextDraft::default();
        let mut scratch = String::new();
        read_details(join_lines(raw, &mut scratch), || raw, &mut t);
        t
    }

    /// The keys and values of the slash form found the plain way: split at
    /// every '/', compare every token with the key list.
    fn naive_values(s: &str) -> Vec<(Key, &str)> {
        let mut out = Vec::new();
        let mut open: Option<(Key, usize)> = None;
        let mut start = 0;
        for tok in s.split('/') {
            let end = start + tok.len();
            if let Some(&(_, next)) = KEYS.iter().find(|(name, _)| *name == tok.as_bytes()) {
                if let Some((key, from)) = open {
                    out.push((key, s.get(from..start.saturating_sub(1)).unwrap_or("")));
                }
                open = (next != Key::Other).then_some((next, end + 1));
            }
            start = end + 1;
        }
        if let Some((key, from)) = open {
            out.push((key, s.get(from..).unwrap_or("")));
        }
        out
    }

    #[test]
    fn slash_keys_match_a_token_split() {
        // Keys, near-keys, separators and text, joined at random.
        let parts: Vec<&str> =
            "/|//|EREF|REMI|NAME|IBAN|CNTP|RTRN|BIC|BATCH|ORDP|PREF|SCOR|USTD|E2E1|RF18539007547034|+| \
             |x|\u{e9}|NOTPROVIDED|EREFX|ERE|BATC|BICX|\0\0\0\0|ULTD|eref|BATCHX|ABCDEFGHIJ"
                .split('|')
                .collect();
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for round in 0..20_000 {
            let count = next(14);
            let s: String = (0..count).map(|_| parts[next(parts.len())]).collect();
            let s = if round % 2 == 0 { format!("/{s}") } else { s };
            let mut found = Vec::new();
            slash_values(&s, |key, from, to| found.push((key, value_between(&s, from, to))));
            assert_eq!(found, naive_values(&s), "{s:?}");
        }
        for s in ["", "/", "EREF", "/EREF", "/EREF/", "/BIC", "/BATCH/", "/NAME/x/BIC", "/NAME/x/BATCH", "/EREF//NAME/"]
        {
            let mut found = Vec::new();
            slash_values(s, |key, from, to| found.push((key, value_between(s, from, to))));
            assert_eq!(found, naive_values(s), "{s:?}");
        }
    }

    #[test]
    fn values_stripped_and_trimmed() {
        for v in
            ["", "/", "//", "a", "/a/", " a ", "/ a /", "a/", "/a", "a b", " /a", "a\u{a0}", "\u{e9}", "NOTPROVIDED/"]
        {
            let b = v.as_bytes();
            let start = b.iter().position(|&c| c != b'/').unwrap_or(b.len());
            let end = b.iter().rposition(|&c| c != b'/').map_or(start, |e| e + 1);
            assert_eq!(strip_value(v), v[start..end].trim(), "{v:?}");
        }
    }

    #[test]
    fn with_breaks_undoes_the_join() {
        let texts =
            ["", "a", "\n", "ab\ncd", "\nab", "ab\n", "a\n\nb", "\u{e9}\n\u{e9}x\ny\u{1f600}", "/EREF/1\n/NAME/K"];
        for raw in texts {
            let mut breaks = Vec::new();
            let mut joined = String::new();
            for (n, line) in raw.split('\n').enumerate() {
                if n > 0 {
                    breaks.push(joined.len());
                }
                joined.push_str(line);
            }
            let (mut a, mut b) = (String::new(), String::new());
            assert_eq!(join_lines(raw, &mut a), joined, "{raw:?}");
            assert_eq!(with_breaks(&joined, &breaks, &mut b), raw, "{raw:?}");
        }
    }

    #[test]
    fn values_with_spaces_and_empty_parts() {
        let t = read("/EREF/ E2E-9 /REMI/SCOR/ RF18539007547034 +RF712348231/NAME/ A B /RTRN/ AC04 ");
        assert_eq!(t.get(TextField::EndToEndId), Some("E2E-9"));
        assert_eq!(t.get(TextField::CreditorReference), Some("RF18539007547034"));
        assert_eq!(t.get(TextField::Remittance), Some("RF18539007547034 +RF712348231"));
        assert_eq!(t.get(TextField::CounterpartyName), Some("A B"));
        assert_eq!(t.get(TextField::ReturnReason), Some("AC04"));
        // An empty first reference sets none; a later value of the same key still can.
        let t = read("/REMI/SCOR/ +RF18/REMI/SCOR/RF712348231");
        assert_eq!(t.get(TextField::CreditorReference), Some("RF712348231"));
        let t = read("/REMI/ Rechnung 4 /NAME/ /NAME/x");
        assert_eq!(t.get(TextField::Remittance), Some("Rechnung 4"));
        assert_eq!(t.get(TextField::CounterpartyName), Some("x"));
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
