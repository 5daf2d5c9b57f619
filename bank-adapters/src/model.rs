//! The normalized statement model that every parser produces.

use std::fmt;
use std::num::NonZeroU8;

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
    /// Read through [`Statement::lines`] and [`Statement::line`].
    pub(crate) lines: LineList,
    /// Consistency problems found while reading; never silently dropped.
    pub warnings: Vec<String>,
}

impl Statement {
    /// The lines, in order, with their texts.
    pub fn lines(&self) -> impl ExactSizeIterator<Item = LineRef<'_>> + DoubleEndedIterator + Clone {
        self.lines.iter()
    }

    /// Line `index`, as `lines().nth(index)`.
    ///
    /// # Panics
    /// When `index` is not below `lines().len()`, as indexing a slice does.
    pub fn line(&self, index: usize) -> LineRef<'_> {
        match self.lines.get(index) {
            Some(l) => l,
            None => panic!("line {index} of a statement of {} lines", self.lines.len()),
        }
    }
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

/// The text fields of a line. They live packed in one record per line (see
/// [`Line`]), so each has a name here instead of a struct field.
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
/// its scalars are fields, and its texts are packed into one record, in
/// memory that the lines of its statement share. They are read through
/// [`LineRef`], a line beside its statement's texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    /// Where the line's packed texts are among its statement's.
    texts: TextSpan,
}

impl Line {
    /// The amount with the sign of its effect on the account.
    pub fn signed_amount_cents(&self) -> Option<i64> {
        self.amount_cents.map(|a| self.direction.signed(a))
    }
}

/// A line with its texts: its scalars through `Deref`, its texts through the
/// accessor methods.
#[derive(Clone, Copy)]
pub struct LineRef<'a> {
    line: &'a Line,
    /// The line's packed record.
    texts: Packed<'a>,
}

impl std::ops::Deref for LineRef<'_> {
    type Target = Line;
    fn deref(&self) -> &Line {
        self.line
    }
}

impl fmt::Debug for LineRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Line").field("scalars", self.line).field("texts", &self.texts).finish()
    }
}

impl<'a> LineRef<'a> {
    pub fn text(&self, field: TextField) -> Option<&'a str> {
        self.texts.get(field)
    }
    pub fn entry_reference(&self) -> Option<&'a str> {
        self.text(TextField::EntryReference)
    }
    pub fn bank_reference(&self) -> Option<&'a str> {
        self.text(TextField::BankReference)
    }
    pub fn end_to_end_id(&self) -> Option<&'a str> {
        self.text(TextField::EndToEndId)
    }
    pub fn transaction_id(&self) -> Option<&'a str> {
        self.text(TextField::TransactionId)
    }
    pub fn creditor_reference(&self) -> Option<&'a str> {
        self.text(TextField::CreditorReference)
    }
    pub fn remittance(&self) -> Option<&'a str> {
        self.text(TextField::Remittance)
    }
    pub fn additional_info(&self) -> Option<&'a str> {
        self.text(TextField::AdditionalInfo)
    }
    pub fn counterparty_name(&self) -> Option<&'a str> {
        self.text(TextField::CounterpartyName)
    }
    pub fn counterparty_account(&self) -> Option<&'a str> {
        self.text(TextField::CounterpartyAccount)
    }
    pub fn return_reason(&self) -> Option<&'a str> {
        self.text(TextField::ReturnReason)
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

/// Where a line's packed record is among its statement's text chunks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TextSpan {
    chunk: u32,
    start: u32,
    len: u32,
}

/// A line's texts packed as a bit set of the fields present (two bytes,
/// little-endian), then one record per present field in field order: a
/// LEB128 head, `len << 1`, and the UTF-8 bytes, or `index << 1 | 1` for a
/// text equal to the earlier field `index`. An empty text is never stored.
#[derive(Clone, Copy)]
struct Packed<'a>(&'a [u8]);

impl fmt::Debug for Packed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(TextField::ALL.iter().filter_map(|&t| Some((t, self.get(t)?)))).finish()
    }
}

impl<'a> Packed<'a> {
    fn get(self, field: TextField) -> Option<&'a str> {
        let (present, records) = self.0.split_first_chunk::<2>()?;
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

/// Writes `n` as LEB128 at `out[pos..]`, returning the position after it.
/// The callers have made the room ([`leb128_len`] bytes, or five at most).
fn put_leb128(out: &mut [u8], mut pos: usize, mut n: usize) -> usize {
    while n >= 0x80 {
        if let Some(b) = out.get_mut(pos) {
            *b = (n & 0x7f) as u8 | 0x80;
        }
        pos += 1;
        n >>= 7;
    }
    if let Some(b) = out.get_mut(pos) {
        *b = n as u8;
    }
    pos + 1
}

/// The bytes [`put_leb128`] takes for `n`.
fn leb128_len(n: usize) -> usize {
    if n < 0x80 {
        return 1;
    }
    (usize::BITS - n.leading_zeros()).div_ceil(7) as usize
}

/// Grows `buf` with zeros to at least `len` bytes, at least doubling it so
/// that a growing buffer is zeroed in few, large steps. Out of line: a
/// buffer reaches its size within the first lines.
#[cold]
#[inline(never)]
fn grow(buf: &mut Vec<u8>, len: usize) {
    buf.resize(len.max(buf.len() * 2), 0);
}

/// `dst.copy_from_slice(src)` (of equal lengths), with the short texts that
/// are most of them copied as two overlapping words instead of by a
/// `memcpy` call.
#[inline]
fn copy_text(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if dst.len() != n {
        return;
    }
    if (8..=16).contains(&n) {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..].copy_from_slice(&src[n - 8..]);
    } else if (17..=32).contains(&n) {
        dst[..16].copy_from_slice(&src[..16]);
        dst[n - 16..].copy_from_slice(&src[n - 16..]);
    } else {
        dst.copy_from_slice(src);
    }
}

/// `a == b`, with the short texts that are most of them compared as two
/// overlapping words instead of by a `memcmp` call.
#[inline]
fn same_text(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if b.len() != n {
        return false;
    }
    if (8..=16).contains(&n) {
        a[..8] == b[..8] && a[n - 8..] == b[n - 8..]
    } else if (17..=32).contains(&n) {
        a[..16] == b[..16] && a[n - 16..] == b[n - 16..]
    } else {
        a == b
    }
}

/// `s.trim()`, skipping the Unicode whitespace search when both ends are
/// visible ASCII characters (the usual case), or there is nothing to trim.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => s,
        (None, _) => s,
        _ => s.trim(),
    }
}

/// Scratch space where a parser collects a line's texts before packing them;
/// reused from line to line so that reading a line allocates nothing.
///
/// Parsers mostly set fields in field order, each once. While they do, the
/// draft builds the line's record itself, in the [`Packed`] format
/// (repeats as references included), so that packing is one copy. A field
/// set out of order, set again or made absent turns the draft "unsorted":
/// texts are then only appended, and packing encodes the record from `spans`.
#[derive(Debug)]
pub(crate) struct TextDraft {
    /// While sorted, the record up to `end`: two bytes left for the bit set
    /// (written when packing), then a head and a text per field. Its length
    /// only grows: the bytes past `end` are scratch, so a text is written
    /// without the vector's capacity checks.
    buf: Vec<u8>,
    end: usize,
    /// Where each field's text is in `buf` (start, length); meaningful for
    /// the fields in `present`. Sixteen entries, one per bit of `present`,
    /// so that an index taken from a bit needs no bounds check.
    spans: [(usize, usize); 16],
    /// Bit `i` set: field `i` has a (non-empty) text.
    ///
    /// This and `blocked` are 32 bits wide, though 16 would do: the compiler
    /// updates both in one vector instruction, and two 16-bit fields were
    /// loaded as one word right after being stored as half of one, a load
    /// the processor cannot take from its store buffer (a stall per text).
    present: u32,
    /// The fields after which a text cannot simply go at the end of the
    /// record: those set so far, or all of them once the draft is unsorted.
    blocked: u32,
    /// Bit `n % 64` set: a text of length `n` is in the record. A text of
    /// a new length repeats none, so most need no search for an earlier copy.
    lengths: u64,
}

/// What an unsorted draft's record takes beyond its texts, at most: the bit
/// set, and 5 bytes per head (texts are shorter than 4 GiB).
const UNSORTED_BOUND: usize = 2 + FIELD_COUNT * 5;

/// [`TextDraft::blocked`] once the draft is unsorted: every field's bit.
const UNSORTED: u32 = u16::MAX as u32;

impl Default for TextDraft {
    fn default() -> Self {
        TextDraft { buf: Vec::new(), end: 2, spans: Default::default(), present: 0, blocked: 0, lengths: 0 }
    }
}

impl TextDraft {
    pub fn clear(&mut self) {
        self.end = 2;
        self.present = 0;
        self.blocked = 0;
        self.lengths = 0;
    }

    /// The bit set of the packed record.
    fn present_bits(&self) -> u16 {
        // Only the sixteen low bits are ever set.
        self.present as u16
    }

    fn unsorted(&self) -> bool {
        // No field has bit 15.
        self.blocked == UNSORTED
    }

    /// Sets a field to `value` trimmed; a blank value makes it absent.
    /// Inlined: the callers pass field constants, and a call costs as much as the usual case.
    #[inline(always)]
    pub fn set(&mut self, field: TextField, value: &str) {
        let value = trim(value);
        if value.is_empty() {
            self.remove(field);
        } else {
            self.set_trimmed(field, value);
        }
    }

    /// [`Self::set`] for a value the caller has already trimmed and found
    /// non-empty: the same result without trimming it again.
    #[inline(always)]
    pub fn set_trimmed(&mut self, field: TextField, value: &str) {
        debug_assert!(!value.is_empty() && trim(value).len() == value.len(), "{value:?}");
        let value = value.as_bytes();
        if !self.try_append(field, value) {
            self.set_with(field, value.len(), |d| copy_text(d, value));
        }
    }

    /// [`Self::clear`], then [`Self::set_trimmed`] of each of two texts
    /// (already trimmed; an empty one leaves its field absent): the
    /// references that open an MT940 line.
    #[inline(always)]
    pub fn reset_with(&mut self, (fa, a): (TextField, &str), (fb, b): (TextField, &str)) {
        self.clear();
        if !a.is_empty() {
            self.set_trimmed(fa, a);
        }
        if !b.is_empty() {
            self.set_trimmed(fb, b);
        }
    }

    /// Makes `field` absent.
    #[inline]
    fn remove(&mut self, field: TextField) {
        let bit = 1u32 << field.index();
        if self.present & bit != 0 {
            self.present &= !bit;
            // Its text stays in the record.
            self.blocked = UNSORTED;
        }
    }

    /// The usual case of [`Self::set`], small enough to inline: a text of 1
    /// to 63 bytes (a one-byte head) for a field after those set so far goes
    /// at the end of the record, as a reference if it repeats an earlier
    /// field's text. False, having done nothing, otherwise.
    #[inline(always)]
    fn try_append(&mut self, field: TextField, value: &[u8]) -> bool {
        let (i, len) = (field.index(), value.len());
        if self.blocked >> i != 0 || !(1..64).contains(&len) {
            return false;
        }
        let head = self.end;
        // Nothing changes before the buffer is known to have room: the
        // general case grows it.
        let (span, end) = if let Some(j) = self.repeat_of(i, value) {
            let Some(h) = self.buf.get_mut(head) else { return false };
            *h = (j << 1 | 1) as u8;
            (self.spans[j], head + 1)
        } else {
            let end = head + 1 + len;
            let Some((h, text)) = self.buf.get_mut(head..end).and_then(|r| r.split_first_mut()) else {
                return false;
            };
            *h = (len << 1) as u8;
            copy_text(text, value);
            self.lengths |= 1 << len;
            ((head + 1, len), end)
        };
        self.spans[i] = span;
        self.end = end;
        self.present |= 1 << i;
        self.blocked |= 1 << i;
        true
    }

    /// Sets a field to `a` and `b` joined by a space, each trimmed, as
    /// `set(field, format!("{} {}", a.trim(), b.trim()).trim())` would, without the temporary.
    #[inline]
    pub fn set_pair(&mut self, field: TextField, a: &str, b: &str) {
        let (a, b) = (trim(a), trim(b));
        if a.is_empty() || b.is_empty() {
            self.set(field, if a.is_empty() { b } else { a });
        } else {
            self.set_joined(field, a, b);
        }
    }

    /// [`Self::set_pair`] with both parts present.
    fn set_joined(&mut self, field: TextField, a: &str, b: &str) {
        self.set_with(field, a.len() + 1 + b.len(), |d| {
            let (da, db) = d.split_at_mut(a.len());
            da.copy_from_slice(a.as_bytes());
            if let Some((space, db)) = db.split_first_mut() {
                *space = b' ';
                db.copy_from_slice(b.as_bytes());
            }
        });
    }

    /// Sets `field` to the `len` bytes that `write` puts in the slice it is
    /// given (absent when `len` is 0).
    fn set_with(&mut self, field: TextField, len: usize, write: impl FnOnce(&mut [u8])) {
        let i = field.index();
        let bit = 1u32 << i;
        if len == 0 {
            self.remove(field);
            return;
        }
        // Set again, or before a field already set: the record cannot just grow.
        if self.blocked >> i != 0 {
            self.blocked = UNSORTED;
        }
        let unsorted = self.unsorted();
        let head = self.end;
        // Room for the head, at most 5 bytes for a text shorter than 4 GiB.
        let start = if unsorted { head } else { head + leb128_len(len << 1) };
        let end = start + len;
        if self.buf.len() < end {
            grow(&mut self.buf, end);
        }
        let Some(text) = self.buf.get_mut(start..end) else { return };
        write(text);
        self.present |= bit;
        if !unsorted {
            self.blocked |= bit;
            if let Some(j) = self.repeat_of(i, self.text((start, len))) {
                // A reference instead of the text.
                self.spans[i] = self.spans[j];
                self.end = put_leb128(&mut self.buf, head, j << 1 | 1);
                return;
            }
            self.lengths |= 1 << (len & 63);
            put_leb128(&mut self.buf, head, len << 1);
        }
        self.spans[i] = (start, len);
        self.end = end;
    }

    /// While sorted: the first field before `i` (all those set) whose text
    /// is `text`. None without a search when no field has its length.
    #[inline(always)]
    fn repeat_of(&self, i: usize, text: &[u8]) -> Option<usize> {
        if self.lengths & (1 << (text.len() & 63)) == 0 {
            return None;
        }
        self.earlier_copy(i, text)
    }

    /// Sets a field only when it is still absent.
    #[inline]
    pub fn set_if_absent(&mut self, field: TextField, value: &str) {
        if !self.is_set(field) {
            self.set(field, value);
        }
    }

    /// [`Self::set_if_absent`] for a value the caller has trimmed and found
    /// not empty: no second look at its ends.
    #[inline(always)]
    pub fn set_trimmed_if_absent(&mut self, field: TextField, value: &str) {
        if !self.is_set(field) {
            self.set_trimmed(field, value);
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
        std::str::from_utf8(self.text(self.spans[field.index()])).ok()
    }

    fn text(&self, (start, len): (usize, usize)) -> &[u8] {
        self.buf.get(start..start + len).unwrap_or_default()
    }

    /// At most the bytes [`Self::pack_onto`] appends.
    #[inline]
    fn packed_len_bound(&self) -> usize {
        if self.unsorted() { UNSORTED_BOUND + self.end } else { self.end }
    }

    /// Appends the packed texts (see [`Packed`]) to `out`.
    #[inline]
    fn pack_onto(&self, out: &mut Vec<u8>) {
        if self.unsorted() {
            return self.encode_onto(out);
        }
        // The record is ready: a copy, with its bit set in front.
        let at = out.len();
        out.extend_from_slice(self.buf.get(..self.end).unwrap_or_default());
        if let Some(d) = out.get_mut(at..at + 2) {
            d.copy_from_slice(&self.present_bits().to_le_bytes());
        }
    }

    /// [`Self::pack_onto`] for an unsorted draft: the record encoded from
    /// `spans`.
    #[inline(never)]
    fn encode_onto(&self, out: &mut Vec<u8>) {
        let at = out.len();
        out.resize(at + UNSORTED_BOUND + self.end, 0);
        let Some(dst) = out.get_mut(at..) else { return };
        if let Some(d) = dst.get_mut(..2) {
            d.copy_from_slice(&self.present_bits().to_le_bytes());
        }
        let mut pos = 2;
        let mut lengths = 0u64;
        let mut rest = self.present;
        while rest != 0 {
            let i = (rest.trailing_zeros() & 15) as usize;
            rest &= rest - 1;
            let (start, len) = self.spans[i];
            let length_bit = 1u64 << (len & 63);
            if lengths & length_bit != 0
                && let Some(j) = self.earlier_copy(i, self.text((start, len)))
            {
                pos = put_leb128(dst, pos, j << 1 | 1);
                continue;
            }
            lengths |= length_bit;
            pos = put_leb128(dst, pos, len << 1);
            if let (Some(d), Some(t)) = (dst.get_mut(pos..pos + len), self.buf.get(start..start + len)) {
                copy_text(d, t);
            }
            pos += len;
        }
        out.truncate(at + pos);
    }

    /// The first field before `i` whose text is `text`. A text equal to an
    /// earlier field's (an MT940 end-to-end id that repeats the entry
    /// reference) is packed as that field's index, not a second time.
    #[inline(always)]
    fn earlier_copy(&self, i: usize, text: &[u8]) -> Option<usize> {
        let mut earlier = self.present & ((1 << i) - 1);
        while earlier != 0 {
            let j = (earlier.trailing_zeros() & 15) as usize;
            earlier &= earlier - 1;
            // Lengths first: a byte comparison only for a likely repeat.
            let other = self.spans[j];
            if other.1 == text.len() && same_text(self.text(other), text) {
                return Some(j);
            }
        }
        None
    }

    /// The packed texts in a buffer of their own.
    #[cfg(test)]
    fn pack(&self) -> PackedBuf {
        let mut record = Vec::new();
        self.pack_onto(&mut record);
        PackedBuf(record)
    }
}

#[cfg(test)]
#[derive(Debug, PartialEq)]
struct PackedBuf(Vec<u8>);

#[cfg(test)]
impl PackedBuf {
    fn bytes(&self) -> &[u8] {
        &self.0
    }
    fn get(&self, field: TextField) -> Option<&str> {
        Packed(&self.0).get(field)
    }
}

/// A statement's lines as they are read: their scalars, and their texts
/// packed side by side in chunks. No allocation, reference count or free
/// per line.
#[derive(Clone, Default)]
pub(crate) struct LineList {
    lines: Vec<Line>,
    /// The lines' packed texts, side by side in chunks of about
    /// [`TEXT_CHUNK`] bytes.
    chunks: Vec<Box<[u8]>>,
    /// The chunk being filled, after those in `chunks`, allocated at its
    /// full size.
    open: Vec<u8>,
}

/// Bytes of texts per chunk. Allocations this size stay in the allocator's
/// heap and are reused from file to file; a text buffer per statement would
/// often cross the threshold (128 KiB) where each allocation gets pages of
/// its own, given back when freed and faulted in again at every file.
const TEXT_CHUNK: usize = 64 * 1024;

impl LineList {
    /// The lines so far, leaving this list empty, with as much room for
    /// lines (the next MT940 message likely holds about as many).
    pub fn take(&mut self) -> LineList {
        self.seal();
        let room = self.lines.len();
        LineList {
            lines: std::mem::replace(&mut self.lines, Vec::with_capacity(room)),
            chunks: std::mem::take(&mut self.chunks),
            open: Vec::new(),
        }
    }

    /// The list as a statement keeps it, every chunk closed.
    pub fn finished(mut self) -> LineList {
        self.seal();
        self
    }

    /// Closes the open chunk, giving back the room it did not use.
    fn seal(&mut self) {
        let open = std::mem::take(&mut self.open);
        if !open.is_empty() {
            self.chunks.push(open.into_boxed_slice());
        }
    }

    #[inline]
    pub fn push(&mut self, scalars: LineScalars, texts: &TextDraft) {
        // Texts are packed into their chunk's own allocation, never moved:
        // a chunk that has no room for the next record is closed.
        let need = texts.packed_len_bound();
        if self.open.capacity() - self.open.len() < need {
            self.seal();
            self.open = Vec::with_capacity(need.max(TEXT_CHUNK));
        }
        let at = self.open.len();
        texts.pack_onto(&mut self.open);
        // Unreachable failure: files are limited to 200 MiB.
        if let (Ok(chunk), Ok(start), Ok(len)) =
            (u32::try_from(self.chunks.len()), u32::try_from(at), u32::try_from(self.open.len() - at))
        {
            self.lines.push(Line {
                amount_cents: scalars.amount_cents,
                direction: scalars.direction,
                status: scalars.status,
                reversal: scalars.reversal,
                booking_date: scalars.booking_date,
                value_date: scalars.value_date,
                charges_cents: scalars.charges_cents,
                entry_index: scalars.entry_index,
                texts: TextSpan { chunk, start, len },
            });
        }
    }

    /// Moves `other`'s lines to the end of this list, changing each with
    /// `change` on the way.
    pub fn append(&mut self, mut other: LineList, mut change: impl FnMut(&mut Line)) {
        self.seal();
        other.seal();
        let Ok(shift) = u32::try_from(self.chunks.len()) else { return };
        self.chunks.append(&mut other.chunks);
        self.lines.extend(other.lines.into_iter().map(|mut l| {
            l.texts.chunk = l.texts.chunk.saturating_add(shift);
            change(&mut l);
            l
        }));
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn scalars_mut(&mut self) -> impl Iterator<Item = &mut Line> {
        self.lines.iter_mut()
    }

    pub fn get(&self, index: usize) -> Option<LineRef<'_>> {
        self.lines.get(index).map(|l| self.with_texts(l))
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = LineRef<'_>> + DoubleEndedIterator + Clone {
        self.lines.iter().map(|l| self.with_texts(l))
    }

    fn with_texts<'a>(&'a self, line: &'a Line) -> LineRef<'a> {
        let TextSpan { chunk, start, len } = line.texts;
        let chunk = self.chunks.get(chunk as usize).map_or(self.open.as_slice(), |c| &c[..]);
        let start = start as usize;
        let bytes = chunk.get(start..start.saturating_add(len as usize)).unwrap_or_default();
        LineRef { line, texts: Packed(bytes) }
    }
}

impl PartialEq for LineList {
    fn eq(&self, other: &Self) -> bool {
        self.lines.len() == other.lines.len() && self.iter().zip(other.iter()).all(|(a, b)| a.same_as(b))
    }
}

impl Eq for LineList {}

impl fmt::Debug for LineList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl LineRef<'_> {
    /// The same scalars and texts, wherever their buffers are.
    fn same_as(&self, other: LineRef<'_>) -> bool {
        let unplaced = |l: &Line| Line { texts: TextSpan { chunk: 0, start: 0, len: 0 }, ..*l };
        unplaced(self.line) == unplaced(other.line) && self.texts.0 == other.texts.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_trimmed_if_absent_is_set_if_absent() {
        let mut a = TextDraft::default();
        let mut b = TextDraft::default();
        for (field, value) in [
            (TextField::EndToEndId, "E2E1"),
            (TextField::CounterpartyName, "E2E1"),
            (TextField::EndToEndId, "other"),
            (TextField::Remittance, "x"),
        ] {
            a.set_if_absent(field, value);
            b.set_trimmed_if_absent(field, value);
        }
        for field in [TextField::EndToEndId, TextField::CounterpartyName, TextField::Remittance] {
            assert_eq!(a.get(field), b.get(field));
        }
        assert_eq!(format!("{:?}", a.pack()), format!("{:?}", b.pack()));
    }

    #[test]
    fn packed_texts_round_trip() {
        let mut d = TextDraft::default();
        d.set(TextField::Remittance, &"ä".repeat(200));
        d.set(TextField::EndToEndId, " E2E ");
        d.set(TextField::ReturnReason, "");
        let scalars = LineScalars {
            amount_cents: Some(1),
            direction: Direction::Credit,
            status: Status::Booked,
            reversal: false,
            booking_date: None,
            value_date: None,
            charges_cents: None,
            entry_index: 0,
        };
        let mut lines = LineList::default();
        lines.push(scalars, &d);
        let mut other = TextDraft::default();
        other.set(TextField::EntryReference, "second");
        lines.push(scalars, &other);
        let line = lines.get(0).unwrap();
        assert_eq!(line.remittance(), Some("ä".repeat(200).as_str()));
        assert_eq!(line.end_to_end_id(), Some("E2E"));
        assert_eq!(line.return_reason(), None);
        assert_eq!(line.entry_reference(), None);
        assert_eq!(lines.get(1).unwrap().entry_reference(), Some("second"));
        assert_eq!(lines.get(1).unwrap().remittance(), None);
        // Appended after another list, the lines keep their texts.
        let mut joined = LineList::default();
        joined.push(scalars, &other);
        joined.append(lines.clone(), |l| l.entry_index += 1);
        assert_eq!(joined.len(), 3);
        assert_eq!(joined.get(1).unwrap().remittance(), Some("ä".repeat(200).as_str()));
        assert_eq!(joined.get(2).unwrap().entry_reference(), Some("second"));
        assert_eq!(joined.get(2).unwrap().entry_index, 1);
        assert!(lines.iter().zip(joined.iter().skip(1)).all(|(a, b)| a.texts.0 == b.texts.0));
    }

    #[test]
    fn reset_with_is_clear_and_set() {
        let long = "L".repeat(70);
        let texts = ["", "A", "E2E3EB146685257", "TMB0000000000001", long.as_str(), "é"];
        // A fresh draft (no room: the general way) and a used one (the fast way).
        for used in [false, true] {
            for a in texts {
                for b in texts {
                    let (mut fast, mut slow) = (TextDraft::default(), TextDraft::default());
                    if used {
                        for d in [&mut fast, &mut slow] {
                            d.set(TextField::Remittance, &"x".repeat(300));
                        }
                    }
                    fast.reset_with((TextField::EntryReference, a), (TextField::BankReference, b));
                    slow.clear();
                    slow.set(TextField::EntryReference, a);
                    slow.set(TextField::BankReference, b);
                    assert_eq!(fast.pack(), slow.pack(), "{a:?} {b:?}");
                    // The state after: the same record once more fields are set.
                    for d in [&mut fast, &mut slow] {
                        d.set(TextField::EndToEndId, b);
                        d.set(TextField::Remittance, a);
                        d.set(TextField::EntryReference, "again");
                    }
                    assert_eq!(fast.pack(), slow.pack(), "{a:?} {b:?}");
                }
            }
        }
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
        // The bit set, four heads, two texts (the end-to-end id and the name are references).
        assert_eq!(packed.bytes().len(), 2 + 4 + 15 + 1);
        d.set(TextField::ReturnReason, &"é".repeat(100));
        let packed = d.pack();
        assert_eq!(packed.get(TextField::ReturnReason), Some("é".repeat(100).as_str()));
        assert_eq!(packed.get(TextField::EndToEndId), Some("E2E3EB146685257"));
    }

    #[test]
    fn repeats_survive_overwrites_and_clears() {
        let mut d = TextDraft::default();
        // A repeat set before the field it repeats: the earlier field holds the text.
        d.set(TextField::CounterpartyName, "SAME");
        d.set(TextField::BankReference, "SAME");
        d.set(TextField::Remittance, "SAME");
        // The first holder overwritten, another cleared: the others keep the text.
        d.set(TextField::BankReference, "OTHER");
        d.set(TextField::Remittance, " ");
        d.set_if_absent(TextField::CounterpartyName, "NOT SET");
        d.set_pair(TextField::AdditionalInfo, " OTH", "ER ");
        d.set_pair(TextField::ReturnReason, "", "OTHER");
        let packed = d.pack();
        for (field, text) in [
            (TextField::CounterpartyName, Some("SAME")),
            (TextField::BankReference, Some("OTHER")),
            (TextField::Remittance, None),
            (TextField::AdditionalInfo, Some("OTH ER")),
            (TextField::ReturnReason, Some("OTHER")),
        ] {
            assert_eq!(packed.get(field), text, "{field:?}");
            assert_eq!(d.get(field), text, "{field:?}");
        }
        // The bit set, four heads, "SAME", "OTHER" and "OTH ER"; ReturnReason refers to BankReference.
        assert_eq!(packed.bytes().len(), 2 + 4 + 4 + 5 + 6);
        // A new line starts empty.
        d.clear();
        d.set(TextField::Remittance, "SAME");
        assert_eq!(d.pack().get(TextField::Remittance), Some("SAME"));
        assert_eq!(d.pack().get(TextField::CounterpartyName), None);
    }

    #[test]
    fn packing_does_not_depend_on_the_order_texts_are_set() {
        let long = "L".repeat(70); // a two-byte head
        let over_a_block = "RF1291840300000096530 and more than 32 bytes";
        let texts = [
            (TextField::EntryReference, "E2E3EB146685257"),
            (TextField::BankReference, "x"),
            (TextField::EndToEndId, "E2E3EB146685257"),
            (TextField::CreditorReference, over_a_block),
            (TextField::Remittance, long.as_str()),
            (TextField::AdditionalInfo, "x"),
            (TextField::CounterpartyName, long.as_str()),
            (TextField::ReturnReason, over_a_block),
        ];
        let mut in_order = TextDraft::default();
        for &(field, text) in &texts {
            in_order.set(field, text);
        }
        let mut reversed = TextDraft::default();
        for &(field, text) in texts.iter().rev() {
            reversed.set(field, text);
        }
        assert!(!in_order.unsorted() && reversed.unsorted());
        let packed = in_order.pack();
        assert_eq!(packed.bytes(), reversed.pack().bytes());
        for &(field, text) in &texts {
            assert_eq!(packed.get(field), Some(text), "{field:?}");
        }
        assert_eq!(packed.get(TextField::TransactionId), None);
        // The bit set, eight heads (one of two bytes), and four texts: four heads are references.
        assert_eq!(packed.bytes().len(), 2 + 8 + 1 + 15 + 1 + over_a_block.len() + 70);
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn lines_stay_compact() {
        // A 100 MB MT940 file holds about 700,000 lines.
        assert_eq!(std::mem::size_of::<Option<Date>>(), 4);
        assert_eq!(std::mem::size_of::<Line>(), 64);
    }

    #[test]
    fn dates_are_validated() {
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2023, 2, 29).is_none());
        assert_eq!(Date::new(2024, 1, 5).map(|d| d.to_string()), Some("2024-01-05".into()));
    }
}
