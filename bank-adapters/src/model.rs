//! The normalized statement model that every parser produces.

use std::fmt;
use std::num::NonZeroU8;
use std::sync::Arc;

/// The file format, as detected from the content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// ISO 20022 BkToCstmrStmt, with its schema version (2..=13).
    Camt053 { version: u8 },
    /// ISO 20022 BkToCstmrDbtCdtNtfctn, with its schema version (2..=13).
    Camt054 { version: u8 },
    /// SWIFT MT940 customer statement (possibly mixed with MT942 messages).
    Mt940,
    /// SWIFT MT942 interim report only: every line is information.
    Mt942,
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Format::Camt053 { version } => write!(f, "camt.053.001.{version:02}"),
            Format::Camt054 { version } => write!(f, "camt.054.001.{version:02}"),
            Format::Mt940 => f.write_str("mt940"),
            Format::Mt942 => f.write_str("mt942"),
        }
    }
}

/// Everything read from one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedFile {
    pub format: Format,
    pub statements: Vec<Statement>,
}

/// One statement (camt `Stmt` / `Ntfctn`, or one MT940 statement joined from its pages).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Statement {
    pub id: Option<String>,
    pub sequence: Option<String>,
    pub account: Option<String>,
    pub currency: Option<String>,
    pub opening_balance: Option<Balance>,
    pub closing_balance: Option<Balance>,
    pub lines: Vec<Line>,
    /// Consistency problems found while reading; never silently dropped.
    pub warnings: Vec<String>,
}

/// A balance, signed: negative when it is a debit balance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Balance {
    pub amount_cents: i64,
    pub date: Option<Date>,
}

/// A calendar date as the bank wrote it (no time zone: statement dates are business dates).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: u16,
    month: u8,
    /// Never zero, which lets `Option<Date>` take four bytes instead of six
    /// (a line holds two).
    day: NonZeroU8,
}

impl Date {
    /// A valid Gregorian date, or `None`.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day: NonZeroU8::new(day)? })
    }
    pub fn year(self) -> u16 {
        self.year
    }
    pub fn month(self) -> u8 {
        self.month
    }
    pub fn day(self) -> u8 {
        self.day.get()
    }
}

pub(crate) fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day.get())
    }
}

/// The booking's real effect on the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    Credit,
    Debit,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        }
    }
    /// `amount` with the sign of its effect on the balance.
    pub fn signed(self, amount_cents: i64) -> i64 {
        match self {
            Direction::Credit => amount_cents,
            Direction::Debit => -amount_cents,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Booked,
    Pending,
    Info,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Booked => "booked",
            Status::Pending => "pending",
            Status::Info => "info",
        }
    }
}

/// The text fields of a line. They live packed in one allocation per line
/// (see [`Line`]), so each has a name here instead of a struct field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextField {
    /// The entry's own reference (camt `NtryRef`, else entry `AcctSvcrRef`;
    /// MT940 field 61 reference for the account owner). Shared by the lines of one batch.
    EntryReference,
    /// The bank's reference for this line (camt `AcctSvcrRef`, transaction level first;
    /// MT940 field 61 `//` reference).
    BankReference,
    EndToEndId,
    TransactionId,
    /// ISO 11649 RF creditor reference, structured or found in the free text.
    CreditorReference,
    /// Unstructured remittance information.
    Remittance,
    /// `AddtlTxInf`, else `AddtlNtryInf`; MT940 `:86:` as received.
    AdditionalInfo,
    CounterpartyName,
    CounterpartyAccount,
    ReturnReason,
}

pub(crate) const FIELD_COUNT: usize = 10;

impl TextField {
    pub const ALL: [TextField; FIELD_COUNT] = [
        TextField::EntryReference,
        TextField::BankReference,
        TextField::EndToEndId,
        TextField::TransactionId,
        TextField::CreditorReference,
        TextField::Remittance,
        TextField::AdditionalInfo,
        TextField::CounterpartyName,
        TextField::CounterpartyAccount,
        TextField::ReturnReason,
    ];
    fn index(self) -> usize {
        self as usize
    }
}

/// One statement line: an entry, or one `TxDtls` of a batch entry.
///
/// A 100 MB MT940 file holds about 700,000 lines, so a line is kept compact:
/// its scalars are fields, and its texts are packed into one record, read
/// through the accessor methods. The records of lines read together share one
/// allocation (see [`LineArena`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    /// Never negative; the sign is in `direction`. `None` only for a `TxDtls`
    /// of a batch entry that gives no amount in the account currency: the
    /// entry's amount covers it, and a warning says so.
    pub amount_cents: Option<i64>,
    pub direction: Direction,
    pub status: Status,
    pub reversal: bool,
    pub booking_date: Option<Date>,
    pub value_date: Option<Date>,
    /// Charges reported for this line (`Chrgs`), if any.
    pub charges_cents: Option<i64>,
    /// Position of the entry in its statement (0-based): the lines of one batch entry share it.
    pub entry_index: u32,
    texts: PackedTexts,
}

impl Line {
    pub(crate) fn new(scalars: LineScalars, texts: &TextDraft) -> Line {
        let mut record = Vec::new();
        texts.pack_into(&mut record);
        let len = u32::try_from(record.len()).unwrap_or(0);
        Line::with_texts(scalars, PackedTexts { chunk: Arc::from(record), start: 0, len })
    }

    fn with_texts(scalars: LineScalars, texts: PackedTexts) -> Line {
        Line {
            amount_cents: scalars.amount_cents,
            direction: scalars.direction,
            status: scalars.status,
            reversal: scalars.reversal,
            booking_date: scalars.booking_date,
            value_date: scalars.value_date,
            charges_cents: scalars.charges_cents,
            entry_index: scalars.entry_index,
            texts,
        }
    }

    pub fn text(&self, field: TextField) -> Option<&str> {
        self.texts.get(field)
    }
    pub fn entry_reference(&self) -> Option<&str> {
        self.text(TextField::EntryReference)
    }
    pub fn bank_reference(&self) -> Option<&str> {
        self.text(TextField::BankReference)
    }
    pub fn end_to_end_id(&self) -> Option<&str> {
        self.text(TextField::EndToEndId)
    }
    pub fn transaction_id(&self) -> Option<&str> {
        self.text(TextField::TransactionId)
    }
    pub fn creditor_reference(&self) -> Option<&str> {
        self.text(TextField::CreditorReference)
    }
    pub fn remittance(&self) -> Option<&str> {
        self.text(TextField::Remittance)
    }
    pub fn additional_info(&self) -> Option<&str> {
        self.text(TextField::AdditionalInfo)
    }
    pub fn counterparty_name(&self) -> Option<&str> {
        self.text(TextField::CounterpartyName)
    }
    pub fn counterparty_account(&self) -> Option<&str> {
        self.text(TextField::CounterpartyAccount)
    }
    pub fn return_reason(&self) -> Option<&str> {
        self.text(TextField::ReturnReason)
    }
    /// The amount with the sign of its effect on the account.
    pub fn signed_amount_cents(&self) -> Option<i64> {
        self.amount_cents.map(|a| self.direction.signed(a))
    }
}

/// The scalar part of a line, as a parser assembles it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LineScalars {
    pub amount_cents: Option<i64>,
    pub direction: Direction,
    pub status: Status,
    pub reversal: bool,
    pub booking_date: Option<Date>,
    pub value_date: Option<Date>,
    pub charges_cents: Option<i64>,
    pub entry_index: u32,
}

/// Texts packed as a bit set of the fields present (two bytes, little-endian),
/// then one record per present field in field order: a LEB128 head, `len << 1`,
/// and the UTF-8 bytes, or `index << 1 | 1` for a text equal to the earlier
/// field `index`. An empty text is never stored. The packed bytes are
/// `chunk[start..start + len]`: a chunk holds the texts of many lines.
#[derive(Clone)]
struct PackedTexts {
    /// One allocation with its counts: a pointer to a box behind the `Arc`
    /// would be thinner, but two allocations per chunk lead the allocator to
    /// return the pages after each file and fault them in again for the next.
    chunk: Arc<[u8]>,
    start: u32,
    len: u32,
}

impl PartialEq for PackedTexts {
    fn eq(&self, other: &Self) -> bool {
        self.bytes() == other.bytes()
    }
}

impl Eq for PackedTexts {}

impl fmt::Debug for PackedTexts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(TextField::ALL.iter().filter_map(|&t| Some((t, self.get(t)?)))).finish()
    }
}

impl PackedTexts {
    fn bytes(&self) -> &[u8] {
        let start = self.start as usize;
        self.chunk.get(start..start.saturating_add(self.len as usize)).unwrap_or_default()
    }

    fn get(&self, field: TextField) -> Option<&str> {
        let (present, records) = self.bytes().split_first_chunk::<2>()?;
        let present = u16::from_le_bytes(*present);
        let bit = 1u16 << field.index();
        if present & bit == 0 {
            return None;
        }
        let mut pos = 0usize;
        // Where each record's text starts and how long it is, for the records that repeat it.
        let mut seen = [(0usize, 0usize); FIELD_COUNT];
        // The records up to the field's own, in order.
        let mut rest = present & (bit | (bit - 1));
        while rest != 0 {
            let i = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            let head = read_leb128(records, &mut pos)?;
            let (start, len) = if head & 1 == 1 {
                // The same text as an earlier field: its index instead of the bytes.
                *seen.get(..i)?.get(head >> 1)?
            } else {
                let len = head >> 1;
                let start = pos;
                pos = pos.checked_add(len)?;
                (start, len)
            };
            if i == field.index() {
                let slice = records.get(start..start.checked_add(len)?)?;
                return std::str::from_utf8(slice).ok().filter(|s| !s.is_empty());
            }
            *seen.get_mut(i)? = (start, len);
        }
        None
    }
}

fn read_leb128(bytes: &[u8], pos: &mut usize) -> Option<usize> {
    let mut n = 0usize;
    let mut shift = 0u32;
    loop {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        n |= usize::from(b & 0x7f).checked_shl(shift)?;
        shift += 7;
        if b & 0x80 == 0 {
            return Some(n);
        }
    }
}

fn push_leb128(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            break;
        }
        out.push(b | 0x80);
    }
}

/// `s.trim()`, skipping the Unicode whitespace search when both ends are
/// visible ASCII characters (the usual case), or there is nothing to trim.
pub(crate) fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => s,
        (None, _) => s,
        _ => s.trim(),
    }
}

/// Scratch space where a parser collects a line's texts before packing them;
/// reused from line to line so that reading allocates once per line.
#[derive(Debug, Default)]
pub(crate) struct TextDraft {
    buf: String,
    /// Where each field's text is in `buf`; meaningful for the fields in `present`.
    spans: [(u32, u32); FIELD_COUNT],
    /// Bit `i` set: field `i` has a (non-empty) text.
    present: u16,
}

impl TextDraft {
    pub fn clear(&mut self) {
        self.buf.clear();
        self.present = 0;
    }

    /// Sets a field to `value` trimmed; a blank value makes it absent.
    pub fn set(&mut self, field: TextField, value: &str) {
        let value = trim(value);
        if value.is_empty() {
            self.present &= !(1 << field.index());
            return;
        }
        let start = self.buf.len();
        self.buf.push_str(value);
        self.put(field, start);
    }

    /// Records that `field` is the text from `start` to the end of `buf`.
    fn put(&mut self, field: TextField, start: usize) {
        let (Ok(s), Ok(l)) = (u32::try_from(start), u32::try_from(self.buf.len() - start)) else {
            // Unreachable under the 200 MiB input limit; dropping is safer than panicking.
            return;
        };
        self.spans[field.index()] = (s, l);
        self.present |= 1 << field.index();
    }

    /// Sets a field to `a` and `b` joined by a space, each trimmed, as
    /// `set(field, format!("{} {}", a.trim(), b.trim()).trim())` would, without the temporary.
    pub fn set_pair(&mut self, field: TextField, a: &str, b: &str) {
        let (a, b) = (trim(a), trim(b));
        if a.is_empty() || b.is_empty() {
            self.set(field, if a.is_empty() { b } else { a });
            return;
        }
        let start = self.buf.len();
        self.buf.push_str(a);
        self.buf.push(' ');
        self.buf.push_str(b);
        self.put(field, start);
    }

    /// Sets a field only when it is still absent.
    pub fn set_if_absent(&mut self, field: TextField, value: &str) {
        if !self.is_set(field) {
            self.set(field, value);
        }
    }

    pub fn set_opt(&mut self, field: TextField, value: Option<&str>) {
        if let Some(v) = value {
            self.set(field, v);
        }
    }

    pub fn is_set(&self, field: TextField) -> bool {
        self.present & (1 << field.index()) != 0
    }

    #[cfg(test)]
    pub fn get(&self, field: TextField) -> Option<&str> {
        if !self.is_set(field) {
            return None;
        }
        let (s, l) = self.spans[field.index()];
        self.buf.get(s as usize..(s as usize + l as usize))
    }

    /// At least the length that [`Self::pack_into`] appends.
    fn packed_len_bound(&self) -> usize {
        // Each record head takes at most 5 bytes (texts are shorter than 4 GiB).
        2 + self.buf.len() + FIELD_COUNT * 5
    }

    fn span_text(&self, (s, l): (u32, u32)) -> &[u8] {
        self.buf.as_bytes().get(s as usize..(s as usize).saturating_add(l as usize)).unwrap_or_default()
    }

    /// Appends the packed texts to `out` (see [`PackedTexts`]). A text equal
    /// to an earlier field's (an MT940 end-to-end id that repeats the entry
    /// reference) is stored as that field's index, not a second time.
    fn pack_into(&self, out: &mut Vec<u8>) {
        out.reserve(self.packed_len_bound());
        out.extend_from_slice(&self.present.to_le_bytes());
        // One branch per field, which lines of one kind all take the same way,
        // rather than a loop over the fields present, which branches
        // differently from line to line and so mispredicts.
        for (i, &span) in self.spans.iter().enumerate() {
            if self.present & (1 << i) == 0 {
                continue;
            }
            match self.earlier_copy(i, span) {
                Some(j) => push_leb128(out, j << 1 | 1),
                None => {
                    push_leb128(out, (span.1 as usize) << 1);
                    out.extend_from_slice(self.span_text(span));
                }
            }
        }
    }

    /// The first field before `i` with the same text as `span`, when that is
    /// longer than one byte (a one-byte record is no longer than its reference).
    fn earlier_copy(&self, i: usize, span: (u32, u32)) -> Option<usize> {
        if span.1 < 2 {
            return None;
        }
        let text = self.span_text(span);
        let mut earlier = self.present & ((1 << i) - 1);
        while earlier != 0 {
            let j = earlier.trailing_zeros() as usize;
            earlier &= earlier - 1;
            // Lengths first: a byte comparison only for a likely repeat.
            let other = self.spans.get(j).copied().unwrap_or_default();
            if other.1 == span.1 && self.span_text(other) == text {
                return Some(j);
            }
        }
        None
    }

    #[cfg(test)]
    fn pack(&self) -> PackedTexts {
        let mut record = Vec::new();
        self.pack_into(&mut record);
        let len = u32::try_from(record.len()).unwrap_or(0);
        PackedTexts { chunk: Arc::from(record), start: 0, len }
    }
}

/// Lines whose texts are packed side by side in one buffer, then handed out
/// sharing one allocation: no allocation (and no free) per line.
#[derive(Debug, Default)]
pub(crate) struct LineArena {
    chunk: Vec<u8>,
    staged: Vec<(LineScalars, u32, u32)>,
}

/// Bytes of texts gathered before the staged lines are handed out.
const ARENA_CHUNK: usize = 64 * 1024;

impl LineArena {
    /// Stages a line; [`Self::drain_into`] turns it into a [`Line`].
    pub fn push(&mut self, scalars: LineScalars, texts: &TextDraft) {
        let start = self.chunk.len();
        texts.pack_into(&mut self.chunk);
        let (Ok(s), Ok(l)) = (u32::try_from(start), u32::try_from(self.chunk.len() - start)) else {
            // Unreachable: a chunk is handed out once it passes 64 KiB, and a line's texts are bounded by the field limit.
            self.chunk.truncate(start);
            return;
        };
        self.staged.push((scalars, s, l));
    }

    pub fn staged(&self) -> usize {
        self.staged.len()
    }

    pub fn is_full(&self) -> bool {
        self.chunk.len() >= ARENA_CHUNK
    }

    /// Appends the staged lines to `lines`, in order.
    pub fn drain_into(&mut self, lines: &mut Vec<Line>) {
        if !self.staged.is_empty() {
            let chunk: Arc<[u8]> = Arc::from(&self.chunk[..]);
            lines.reserve(self.staged.len());
            for (scalars, start, len) in self.staged.drain(..) {
                lines.push(Line::with_texts(scalars, PackedTexts { chunk: Arc::clone(&chunk), start, len }));
            }
        }
        self.chunk.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_texts_round_trip() {
        let mut d = TextDraft::default();
        d.set(TextField::Remittance, &"ä".repeat(200));
        d.set(TextField::EndToEndId, " E2E ");
        d.set(TextField::ReturnReason, "");
        let line = Line::new(
            LineScalars {
                amount_cents: Some(1),
                direction: Direction::Credit,
                status: Status::Booked,
                reversal: false,
                booking_date: None,
                value_date: None,
                charges_cents: None,
                entry_index: 0,
            },
            &d,
        );
        assert_eq!(line.remittance(), Some("ä".repeat(200).as_str()));
        assert_eq!(line.end_to_end_id(), Some("E2E"));
        assert_eq!(line.return_reason(), None);
        assert_eq!(line.entry_reference(), None);
    }

    #[test]
    fn repeated_texts_are_stored_once() {
        let mut d = TextDraft::default();
        d.set(TextField::EntryReference, "E2E3EB146685257");
        d.set(TextField::EndToEndId, "E2E3EB146685257");
        d.set(TextField::Remittance, "x");
        d.set(TextField::CounterpartyName, "x");
        let packed = d.pack();
        assert_eq!(packed.get(TextField::EntryReference), Some("E2E3EB146685257"));
        assert_eq!(packed.get(TextField::EndToEndId), Some("E2E3EB146685257"));
        assert_eq!(packed.get(TextField::Remittance), Some("x"));
        assert_eq!(packed.get(TextField::CounterpartyName), Some("x"));
        assert_eq!(packed.get(TextField::BankReference), None);
        // The bit set, four heads, three texts (the end-to-end id is a reference).
        assert_eq!(packed.bytes().len(), 2 + 4 + 15 + 1 + 1);
        d.set(TextField::ReturnReason, &"é".repeat(100));
        let packed = d.pack();
        assert_eq!(packed.get(TextField::ReturnReason), Some("é".repeat(100).as_str()));
        assert_eq!(packed.get(TextField::EndToEndId), Some("E2E3EB146685257"));
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn lines_stay_compact() {
        // A 100 MB MT940 file holds about 700,000 lines.
        assert_eq!(std::mem::size_of::<Option<Date>>(), 4);
        assert_eq!(std::mem::size_of::<Line>(), 72);
    }

    #[test]
    fn dates_are_validated() {
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2023, 2, 29).is_none());
        assert_eq!(Date::new(2024, 1, 5).map(|d| d.to_string()), Some("2024-01-05".into()));
    }
}
