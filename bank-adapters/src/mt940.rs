//! SWIFT MT940 (and MT942) reader: a line-by-line pass that gathers fields,
//! reads each message, and joins statements split over several messages.

use std::io::BufRead;

use encoding_rs::Encoding;

use crate::amount::{parse_cents, parse_cents_run};
use crate::camt_lines::is_placeholder;
use crate::checks::balance_warning;
use crate::encoding::decode_line;
use crate::error::{ErrorKind, ParseError};
use crate::model::{
    Balance, Date, Direction, Format, LineList, LineScalars, ParsedFile, Statement, Status, TextDraft, TextField,
    days_in_month, trim,
};
use crate::mt940_details::{join_lines, read_details, with_breaks};
use crate::scan::{BytePositions, find_byte};
use crate::{MAX_ELEMENT_BYTES, MAX_FILE_BYTES};

pub(crate) fn parse_slice(bytes: &[u8], legacy: &'static Encoding) -> Result<ParsedFile, ParseError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ParseError::new(ErrorKind::Limit, format!("file larger than {MAX_FILE_BYTES} bytes")));
    }
    let mut r = Reader::new(legacy);
    let ends = LineEnds::new();
    let mut start = 0;
    while start < bytes.len() {
        // UTF-8 is checked a block of whole lines at a time: when the block is
        // valid, so is each of its lines, and they are read without decoding.
        let block_end = start.saturating_add(UTF8_BLOCK).min(bytes.len());
        let cut = if block_end == bytes.len() {
            block_end
        } else {
            bytes.get(start..block_end).and_then(|b| memchr::memrchr(b'\n', b)).map_or(start, |p| start + p + 1)
        };
        let block = bytes.get(start..cut).unwrap_or_default();
        match std::str::from_utf8(block) {
            Ok(text) if !text.is_empty() => {
                let mut s = 0;
                while s < text.len() {
                    let (e, has_cr) = ends.line_end(text.as_bytes(), s);
                    // '\n' is ASCII, so `s` and `e` are character boundaries.
                    r.push_text(text.get(s..e).unwrap_or_default(), has_cr).map_err(|e| *e)?;
                    s = e + 1;
                }
                start = cut;
            }
            // Not valid: line by line, each decoded on its own. No line end in
            // the block: one line longer than a block, read the same way.
            _ => loop {
                let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |p| start + p);
                r.push_line(&bytes[start..end]).map_err(|e| *e)?;
                start = end + 1;
                if start >= cut {
                    break;
                }
            },
        }
    }
    r.finish()
}

/// The search for `\r` and `\n` that finds line ends. `memchr2` picks its
/// implementation for the CPU at each call, which on a line of 60 bytes costs
/// about as much as the search: here it is picked once.
struct LineEnds {
    #[cfg(target_arch = "x86_64")]
    avx2: Option<memchr::arch::x86_64::avx2::memchr::Two>,
}

impl LineEnds {
    fn new() -> Self {
        LineEnds {
            #[cfg(target_arch = "x86_64")]
            avx2: memchr::arch::x86_64::avx2::memchr::Two::new(b'\r', b'\n'),
        }
    }

    /// `memchr2(b'\r', b'\n', hay)`.
    fn find(&self, hay: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(two) = &self.avx2 {
            return two.find(hay);
        }
        memchr::memchr2(b'\r', b'\n', hay)
    }

    /// Where the line starting at `s` ends (its `\n`, or the end of `b`), and
    /// whether it holds a `\r` other than the one before its `\n`. Found in the
    /// same search as the line end, so that joining a field's lines need not
    /// search them again for `\r`.
    fn line_end(&self, b: &[u8], s: usize) -> (usize, bool) {
        let rest = b.get(s..).unwrap_or_default();
        match self.find(rest) {
            None => (b.len(), false),
            Some(p) if rest.get(p) == Some(&b'\n') => (s + p, false),
            Some(p) if rest.get(p + 1) == Some(&b'\n') => (s + p + 1, false),
            Some(p) => {
                let e = memchr::memchr(b'\n', rest.get(p..).unwrap_or_default()).map_or(b.len(), |q| s + p + q);
                (e, true)
            }
        }
    }
}

/// Bytes checked as UTF-8 at once by [`parse_slice`].
const UTF8_BLOCK: usize = 64 * 1024;

pub(crate) fn parse_reader<R: BufRead>(mut input: R, legacy: &'static Encoding) -> Result<ParsedFile, ParseError> {
    let mut r = Reader::new(legacy);
    let mut buf = Vec::with_capacity(256);
    let mut total: u64 = 0;
    loop {
        buf.clear();
        // A line longer than a field may be is cut here and refused by the field limit.
        let n = std::io::Read::take(&mut input, MAX_ELEMENT_BYTES as u64 + 2)
            .read_until(b'\n', &mut buf)
            .map_err(|e| ParseError::new(ErrorKind::Invalid, format!("read error: {e}")))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > MAX_FILE_BYTES {
            return Err(ParseError::new(ErrorKind::Limit, format!("file larger than {MAX_FILE_BYTES} bytes")));
        }
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        r.push_line(line).map_err(|e| *e)?;
    }
    r.finish()
}

/// The result of a step of the reader. The error is boxed: a result the size
/// of a pointer comes back in a register, where one holding a whole error is
/// written to memory and read back at every call of every line.
type Step<T = ()> = Result<T, Box<ParseError>>;

/// The dates that open a `:61:` field, read from its first ten bytes `head`;
/// `len` is how many of them they take (6, or 10 with an entry date or its
/// four spaces).
#[derive(Clone, Copy)]
struct LineDates {
    head: [u8; 10],
    value: Date,
    entry: Option<Date>,
    len: usize,
}

/// A `:61:` line waiting for its `:86:`; its texts are in `Reader::texts`.
struct Pending {
    scalars: LineScalars,
    has_details: bool,
}

/// The texts of a `:61:` line, as slices of its field.
struct Refs<'a> {
    customer_ref: &'a str,
    bank_ref: &'a str,
    extra: &'a str,
    supplementary: &'a str,
}

#[derive(Default)]
struct Message {
    reference: String,
    account: String,
    sequence: String,
    currency: String,
    opening: Option<(Balance, bool)>,
    closing: Option<(Balance, bool)>,
    is_942: bool,
    has_content: bool,
    lines: LineList,
    /// The sum of the booked lines' signed amounts, kept as lines come rather
    /// than in another pass over them all.
    booked: BookedSum,
}

/// A running sum of signed amounts in cents; once it overflows, it stays unknown.
#[derive(Default)]
struct BookedSum {
    cents: i64,
    overflowed: bool,
}

impl BookedSum {
    fn add(&mut self, signed_cents: Option<i64>) {
        match signed_cents.and_then(|a| self.cents.checked_add(a)) {
            Some(sum) => self.cents = sum,
            None => self.overflowed = true,
        }
    }

    fn get(&self) -> Option<i64> {
        (!self.overflowed).then_some(self.cents)
    }
}

struct Reader {
    legacy: &'static Encoding,
    line_no: u64,
    tag: Tag,
    /// The field's text, its lines joined by `\n`; those of a `:86:` field
    /// are joined without a break (see [`Reader::joins_lines`]).
    content: String,
    /// In a `:86:` field, where each line after the first starts in `content`.
    breaks: Vec<usize>,
    /// The line being read holds a `\r` (not counting one that ends it).
    line_cr: bool,
    /// A line of `content` holds a `\r`: `content` is not all joined yet.
    content_cr: bool,
    /// `content` holds more than one line (a line break).
    multiline: bool,
    field_line: u64,
    in_field: bool,
    msg: Message,
    pending: Option<Pending>,
    /// The pending line's texts.
    texts: TextDraft,
    /// Scratch space for the `:86:` reader: the text joined, and as received.
    details_buf: String,
    raw_buf: String,
    /// The dates of the last `:61:` line read, which the next line likely repeats.
    last_dates: Option<LineDates>,
    statements: Vec<Message>,
    saw_tag: bool,
    /// A line `-` seen inside a field: the end of the message, unless it comes
    /// before the closing balance and the next line is a field tag other than
    /// `:20:` (then it was field text).
    dash_pending: bool,
}

/// Whether `line` can be `-` or start with `-}` once leading whitespace is
/// skipped: not when it starts with another visible character (most lines do,
/// a field tag's `:` or field text), which spares them the Unicode trim.
fn may_end_message(line: &str) -> bool {
    match line.as_bytes().first() {
        Some(&c) if c.is_ascii_graphic() => c == b'-',
        _ => true,
    }
}

/// A field tag, kept inline: two digits and an optional letter, or `NS`.
#[derive(Clone, Copy, Default)]
struct Tag {
    bytes: [u8; 3],
    len: u8,
}

impl Tag {
    /// `tag` as [`parse_tag`] found it: two or three ASCII bytes.
    fn new(tag: &[u8]) -> Tag {
        match *tag {
            [a, b] => Tag { bytes: [a, b, 0], len: 2 },
            [a, b, c] => Tag { bytes: [a, b, c], len: 3 },
            _ => Tag::default(),
        }
    }

    fn bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// For messages: matching goes by [`Self::bytes`].
    fn as_str(&self) -> &str {
        std::str::from_utf8(self.bytes()).unwrap_or_default()
    }
}

/// The tag and the rest of a line `:TAG:rest`.
fn parse_tag(line: &str) -> Option<(Tag, &str)> {
    let b = line.as_bytes();
    if b.first() != Some(&b':') {
        return None;
    }
    // A tag has two or three characters: the first ':' after them ends it.
    let (tag, rest) = match (b.get(3), b.get(4)) {
        (Some(b':'), _) => (b.get(1..3)?, 4),
        (_, Some(b':')) => (b.get(1..4)?, 5),
        _ => return None,
    };
    let ok = tag.len() >= 2
        && tag[0].is_ascii_digit()
        && tag[1].is_ascii_digit()
        && tag.get(2).is_none_or(u8::is_ascii_alphabetic)
        || tag == b"NS";
    // After the ASCII ':', `rest` is a character boundary.
    ok.then(|| (Tag::new(tag), line.get(rest..).unwrap_or_default()))
}

impl Reader {
    fn new(legacy: &'static Encoding) -> Self {
        Reader {
            legacy,
            line_no: 0,
            tag: Tag::default(),
            content: String::new(),
            breaks: Vec::new(),
            line_cr: false,
            content_cr: false,
            multiline: false,
            field_line: 0,
            in_field: false,
            msg: Message::default(),
            pending: None,
            texts: TextDraft::default(),
            details_buf: String::new(),
            raw_buf: String::new(),
            last_dates: None,
            statements: Vec::new(),
            saw_tag: false,
            dash_pending: false,
        }
    }

    fn err(&self, kind: ErrorKind, message: impl Into<String>, column: u64) -> Box<ParseError> {
        Box::new(ParseError::new(kind, message).at_line(self.field_line, column))
    }

    fn push_line(&mut self, bytes: &[u8]) -> Step {
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        self.line_cr = memchr::memchr(b'\r', bytes).is_some();
        let decoded = decode_line(bytes, self.legacy);
        self.push_decoded(&decoded)
    }

    /// [`Self::push_line`] for a line already known to be UTF-8, and whether
    /// it holds a `\r` other than a last one.
    fn push_text(&mut self, text: &str, has_cr: bool) -> Step {
        self.line_cr = has_cr;
        self.push_decoded(text.strip_suffix('\r').unwrap_or(text))
    }

    fn push_decoded(&mut self, decoded: &str) -> Step {
        self.line_no += 1;
        if !self.dash_pending {
            // Most lines go straight to their field: the checks below come to
            // the same for them.
            match decoded.as_bytes().first() {
                Some(b':') => return self.tag_or_text(decoded),
                // Not an envelope `{`, a `-` end, nor padding (invisible).
                Some(&c) if c.is_ascii_graphic() && c != b'{' && c != b'-' => return self.text_line(decoded),
                _ => {}
            }
        }
        self.push_unusual(decoded)
    }

    /// A line that may be padding, an envelope, a message end, or follow a `-` line.
    fn push_unusual(&mut self, decoded: &str) -> Step {
        // DOS end-of-file marks (Ctrl-Z) and NULs sit between messages in some exports.
        let mut line: &str = match decoded.as_bytes().first() {
            Some(0x1a | 0) => decoded.trim_start_matches(['\u{1a}', '\0']),
            _ => decoded,
        };
        if std::mem::take(&mut self.dash_pending) {
            // SWIFT ends a message with `-` after its closing balance (and the
            // fields that may follow it), before the next message, its envelope,
            // a bank's header lines or the end of input. Before the closing
            // balance and a field of the same message, the `-` was a line of
            // the field's text (Rabobank `:86:` text).
            match parse_tag(line) {
                Some((tag, _)) if tag.bytes() != b"20" && self.msg.closing.is_none() => {
                    self.push_continuation("-");
                }
                _ => {
                    self.end_field()?;
                    self.end_message()?;
                }
            }
        }
        // SWIFT FIN envelope: `{1:...}{2:...}{4:` opens the text block, `-}` closes it.
        if line.starts_with('{') {
            self.end_field()?;
            match line.find("{4:") {
                Some(p) => {
                    self.end_message()?;
                    line = &line[p + 3..];
                    if line.trim().is_empty() {
                        return Ok(());
                    }
                }
                None => return self.end_message(),
            }
        }
        if may_end_message(line) && (line.trim() == "-" || line.trim_start().starts_with("-}")) {
            if self.in_field && line.trim() == "-" {
                self.dash_pending = true;
                return Ok(());
            }
            self.end_field()?;
            return self.end_message();
        }
        self.tag_or_text(line)
    }

    /// A line that starts a field, or else continues the current one's text.
    fn tag_or_text(&mut self, line: &str) -> Step {
        let Some((tag, rest)) = parse_tag(line) else { return self.text_line(line) };
        self.end_field()?;
        self.saw_tag = true;
        self.tag = tag;
        self.content.clear();
        self.content.push_str(rest);
        self.breaks.clear();
        self.content_cr = self.line_cr;
        self.multiline = false;
        self.field_line = self.line_no;
        self.in_field = true;
        self.check_field_length()
    }

    /// A line of the current field's text (none outside a field).
    fn text_line(&mut self, line: &str) -> Step {
        if self.in_field {
            self.push_continuation(line);
            self.content_cr |= self.line_cr;
        }
        self.check_field_length()
    }

    /// Adds a line to the field's text.
    fn push_continuation(&mut self, line: &str) {
        if self.joins_lines() {
            self.breaks.push(self.content.len());
        } else {
            self.content.push('\n');
        }
        self.content.push_str(line);
        self.multiline = true;
    }

    /// Whether the field's lines are gathered joined: those of `:86:`, whose
    /// structured forms are read across its line breaks (banks wrap the
    /// field at a fixed width, even inside references). Joining them as they
    /// come spares a copy of each field; the text as received is put back
    /// together from `breaks` when it is needed.
    fn joins_lines(&self) -> bool {
        self.tag.bytes() == b"86"
    }

    fn check_field_length(&self) -> Step {
        if self.content.len() > MAX_ELEMENT_BYTES {
            return Err(self.err(ErrorKind::Limit, "field longer than 1 MiB", 1));
        }
        Ok(())
    }

    fn end_field(&mut self) -> Step {
        if !self.in_field {
            return Ok(());
        }
        self.in_field = false;
        let tag = self.tag;
        let content = std::mem::take(&mut self.content);
        let result = self.field(tag, &content);
        self.content = content;
        result
    }

    fn field(&mut self, tag: Tag, content: &str) -> Step {
        if tag.bytes() == b"20" {
            self.end_message()?;
        }
        self.msg.has_content = true;
        let first_line = || content.lines().next().unwrap_or_default().trim();
        match tag.bytes() {
            b"20" => self.msg.reference = first_line().to_string(),
            b"25" if self.msg.account.is_empty() => {
                self.msg.account = first_line().to_string();
            }
            b"28" | b"28C" => self.msg.sequence = first_line().to_string(),
            b"60F" | b"60M" | b"60" => {
                self.flush_line();
                let (b, ccy) = self.balance(tag, content)?;
                self.msg.currency = ccy;
                self.msg.opening = Some((b, tag.bytes() == b"60M"));
            }
            b"62F" | b"62M" | b"62" => {
                self.flush_line();
                let (b, ccy) = self.balance(tag, content)?;
                if self.msg.currency.is_empty() {
                    self.msg.currency = ccy;
                }
                self.msg.closing = Some((b, tag.bytes() == b"62M"));
            }
            b"61" => {
                self.flush_line();
                self.line_61(content)?;
            }
            b"86" => match &mut self.pending {
                Some(p) if !p.has_details => {
                    p.has_details = true;
                    // The lines are joined already, unless a line held a `\r`.
                    let joined = if self.content_cr { join_lines(content, &mut self.details_buf) } else { content };
                    let (breaks, raw_buf) = (&self.breaks, &mut self.raw_buf);
                    read_details(joined, move || with_breaks(content, breaks, raw_buf), &mut self.texts);
                }
                // Information for the whole statement: not a line's.
                _ => {}
            },
            b"13" | b"13D" | b"34F" | b"90D" | b"90C" => {
                self.msg.is_942 = true;
                if tag.bytes() == b"34F" && self.msg.currency.is_empty() {
                    self.msg.currency = first_line().chars().take(3).collect();
                }
            }
            b"64" | b"65" => self.flush_line(),
            // Unknown and non-SWIFT tags carry nothing a line needs.
            _ => {}
        }
        Ok(())
    }

    /// `C250302EUR268678,25`: mark, date, currency, amount.
    fn balance(&self, tag: Tag, content: &str) -> Step<(Balance, String)> {
        let col0 = u64::from(tag.len) + 3;
        let tag = tag.as_str();
        // Anything after the first line is not part of a balance (a stray `-`, a DOS end-of-file mark).
        let s = content.lines().next().unwrap_or_default().trim();
        let direction = match s.as_bytes().first() {
            Some(b'C') => Direction::Credit,
            Some(b'D') => Direction::Debit,
            _ => {
                return Err(self.err(ErrorKind::Invalid, format!(":{tag}: balance without C/D mark"), col0));
            }
        };
        let date = s.as_bytes().get(1..7).and_then(yymmdd).ok_or_else(|| {
            let text = s.get(1..7).unwrap_or_default();
            self.err(ErrorKind::Date, format!(":{tag}: malformed date {text:?}"), col0 + 1)
        })?;
        // The currency is three letters; a digit right after the date starts
        // the amount of a balance given without one (`C020315145000,00`).
        let amount_at = if s.as_bytes().get(7).is_some_and(u8::is_ascii_digit) { 7 } else { 10 };
        let ccy = s.get(7..amount_at).unwrap_or_default().to_string();
        let amount_text = s.get(amount_at..).unwrap_or_default();
        let cents = parse_cents(amount_text, b',').map_err(|e| {
            self.err(ErrorKind::Amount, format!(":{tag}: {}", e.describe(amount_text)), col0 + amount_at as u64)
        })?;
        Ok((Balance { amount_cents: direction.signed(cents), date: Some(date) }, ccy))
    }

    /// The value date and the optional entry date at the start of a `:61:`
    /// field, from its first ten bytes `head` (see [`head_10`]).
    fn read_dates(&self, content: &str, head: [u8; 10]) -> Step<LineDates> {
        let col = |p| column_61(content, p);
        let [y1, y2, rest @ ..] = head;
        let (pairs, not_digit) = digit_pairs(rest);
        let value = ymd(y1, y2, pairs, not_digit).ok_or_else(|| {
            let text = content.get(0..6).unwrap_or_default();
            self.err(ErrorKind::Date, format!(":61: malformed value date {text:?}"), col(0))
        })?;
        let mut len = 6;
        let mut entry = None;
        if not_digit >> 32 == 0 {
            let [_, _, month, day] = pairs;
            entry = Some(entry_date(value, (month, day)).ok_or_else(|| {
                let text = content.get(len..len + 4).unwrap_or_default();
                self.err(ErrorKind::Date, format!(":61: malformed entry date {text:?}"), col(len))
            })?);
            len += 4;
        } else if rest[4..] == *b"    " {
            len += 4;
        }
        Ok(LineDates { head, value, entry, len })
    }

    /// `YYMMDD[MMDD](C|D|RC|RD)[funds]amount type [customer ref][//bank ref][\nsupplementary]`:
    /// the line waits in `pending` for its `:86:`, with its texts so far in `texts`.
    /// (Filled in place rather than returned: a returned tuple this large goes
    /// through memory in pieces, and reading it back stalls.)
    fn line_61(&mut self, content: &str) -> Step {
        let b = content.as_bytes();
        let col = |p| column_61(content, p);
        // The value date and the entry date that may follow it, read together;
        // lines in a row mostly repeat them.
        let head = head_10(b);
        let (value, entry, mut p) = match self.last_dates {
            Some(d) if d.head == head => (d.value, d.entry, d.len),
            _ => {
                let d = self.read_dates(content, head)?;
                self.last_dates = Some(d);
                (d.value, d.entry, d.len)
            }
        };
        // C and RD credit the account; D and RC debit it (a reversed credit takes the money back).
        let (direction, reversal, len) = match (b.get(p), b.get(p + 1)) {
            (Some(b'R'), Some(b'C')) => (Direction::Debit, true, 2),
            (Some(b'R'), Some(b'D')) => (Direction::Credit, true, 2),
            (Some(b'E'), Some(b'C')) => (Direction::Credit, false, 2),
            (Some(b'E'), Some(b'D')) => (Direction::Debit, false, 2),
            (Some(b'C'), _) => (Direction::Credit, false, 1),
            (Some(b'D'), _) => (Direction::Debit, false, 1),
            _ => return Err(self.err(ErrorKind::Invalid, ":61: no debit/credit mark", col(p))),
        };
        p += len;
        // The funds code is the third letter of the currency code, when given.
        if b.get(p).is_some_and(u8::is_ascii_alphabetic) {
            p += 1;
        }
        // Some banks (Sparkassen, Cuscal) put a line break or a space before the amount.
        if matches!(b.get(p), Some(b'\n' | b' ')) {
            p += 1;
        }
        let amount_start = p;
        let (amount, len) = parse_cents_run(b.get(p..).unwrap_or_default(), b',');
        p += len;
        let amount = amount.map_err(|e| {
            let text = content.get(amount_start..p).unwrap_or_default();
            self.err(ErrorKind::Amount, format!(":61: {}", e.describe(text)), col(amount_start))
        })?;
        // Transaction type: one letter and three characters (NTRF, NMSC, FCHK...).
        if let Some(&[letter, ref tail @ ..]) = b.get(p..p + 4)
            && letter.is_ascii_alphabetic()
            && tail.iter().all(|&c| TYPE_TAIL[usize::from(c)])
        {
            p += 4;
        }
        let rest = content.get(p..).unwrap_or_default();
        // A field of one line (most) has no line break to look for.
        let line_break = if self.multiline { find_byte(rest.as_bytes(), b'\n') } else { None };
        let (first, supplementary) = match line_break {
            Some(n) => (rest.get(..n).unwrap_or_default(), rest.get(n + 1..).unwrap_or_default()),
            None => (rest, ""),
        };
        // The reference for the account owner is at most 16 characters; without
        // a `//` bank reference, what follows it is supplementary detail (Rabobank).
        let fb = first.as_bytes();
        let (customer_ref, bank_ref, extra) = match BytePositions::new(fb, b'/').find(|&i| fb.get(i + 1) == Some(&b'/'))
        {
            Some(i) => (first.get(..i).unwrap_or_default(), first.get(i + 2..).unwrap_or_default(), ""),
            None => {
                let cut = first.char_indices().nth(16).map_or(first.len(), |(i, _)| i);
                (first.get(..cut).unwrap_or_default(), "", first.get(cut..).unwrap_or_default())
            }
        };
        set_61_texts(&mut self.texts, Refs { customer_ref, bank_ref, extra, supplementary });
        let scalars = LineScalars {
            amount_cents: Some(amount),
            direction,
            status: Status::Booked,
            reversal,
            // The entry date is the booking date; SWIFT leaves it out when it equals the value date.
            booking_date: entry.or(Some(value)),
            value_date: Some(value),
            charges_cents: None,
            entry_index: 0,
        };
        self.pending = Some(Pending { scalars, has_details: false });
        Ok(())
    }

    fn flush_line(&mut self) {
        let Some(p) = self.pending.take() else { return };
        let mut scalars = p.scalars;
        scalars.entry_index = u32::try_from(self.msg.lines.len()).unwrap_or(u32::MAX);
        // Every line is booked when read; an MT942 message makes them information later.
        if !self.msg.booked.overflowed {
            self.msg.booked.add(scalars.amount_cents.map(|a| scalars.direction.signed(a)));
        }
        self.msg.lines.push(scalars, &self.texts);
    }

    fn end_message(&mut self) -> Step {
        self.flush_line();
        let lines = self.msg.lines.take();
        let mut msg = std::mem::take(&mut self.msg);
        // The list that gathered the lines goes on to the next message.
        self.msg.lines = std::mem::replace(&mut msg.lines, lines);
        if !msg.has_content {
            return Ok(());
        }
        if msg.is_942 {
            for l in msg.lines.scalars_mut() {
                l.status = Status::Info;
            }
            msg.booked = BookedSum::default();
        }
        // A statement continued in the next message: intermediate closing (62M),
        // intermediate opening (60M), same account.
        if let Some(prev) = self.statements.last_mut() {
            let continues = matches!(prev.closing, Some((_, true)))
                && matches!(msg.opening, Some((_, true)))
                && prev.account == msg.account;
            if continues {
                let offset = u32::try_from(prev.lines.len()).unwrap_or(u32::MAX);
                let booked = &mut prev.booked;
                prev.lines.append(msg.lines, |l| {
                    l.entry_index = l.entry_index.saturating_add(offset);
                    // Added in order, as one pass over the joined lines would.
                    if l.status == Status::Booked && !booked.overflowed {
                        booked.add(l.signed_amount_cents());
                    }
                });
                prev.closing = msg.closing;
                prev.is_942 &= msg.is_942;
                return Ok(());
            }
        }
        self.statements.push(msg);
        Ok(())
    }

    fn finish(mut self) -> Result<ParsedFile, ParseError> {
        self.end_field().map_err(|e| *e)?;
        self.end_message().map_err(|e| *e)?;
        if !self.saw_tag {
            return Err(ParseError::new(
                ErrorKind::UnknownFormat,
                "neither camt XML nor MT940: no SWIFT field tag (such as :20: or :61:) found",
            ));
        }
        if self.statements.is_empty() {
            return Err(ParseError::new(ErrorKind::Empty, "no MT940 statement field found"));
        }
        let all_942 = self.statements.iter().all(|m| m.is_942);
        let statements = self.statements.into_iter().map(into_statement).collect();
        Ok(ParsedFile { format: if all_942 { Format::Mt942 } else { Format::Mt940 }, statements })
    }
}

/// The bytes that may follow the letter of a `:61:` transaction type:
/// letters, digits and space. A table: one load per byte instead of three
/// range tests.
static TYPE_TAIL: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric() || b == b' ';
        c += 1;
    }
    table
};

/// The column of byte `p` of a `:61:` field's text, for errors.
fn column_61(content: &str, p: usize) -> u64 {
    5 + content.get(..p).map_or(p, |s| s.chars().count()) as u64
}

/// A new line's texts from its `:61:` field.
fn set_61_texts(t: &mut TextDraft, refs: Refs<'_>) {
    let customer_ref = (TextField::EntryReference, reference(refs.customer_ref));
    t.reset_with(customer_ref, (TextField::BankReference, reference(refs.bank_ref)));
    // Most lines have neither part; with neither, the field stays absent.
    if !refs.extra.is_empty() || !refs.supplementary.is_empty() {
        t.set_pair(TextField::AdditionalInfo, refs.extra, refs.supplementary);
    }
}

/// A reference trimmed; empty when it is a placeholder.
#[inline(always)]
fn reference(text: &str) -> &str {
    let text = trim(text);
    if is_placeholder(text) { "" } else { text }
}

fn into_statement(m: Message) -> Statement {
    let opt = |s: String| (!s.is_empty()).then_some(s);
    let opening = m.opening.map(|(b, _)| b);
    let closing = m.closing.map(|(b, _)| b);
    let booked = m.booked.get();
    let mut warnings = Vec::new();
    if let Some(w) = balance_warning(opening.map(|b| b.amount_cents), closing.map(|b| b.amount_cents), booked) {
        warnings.push(w);
    }
    Statement {
        id: opt(m.reference),
        sequence: opt(m.sequence),
        account: opt(m.account),
        currency: opt(m.currency),
        opening_balance: opening,
        closing_balance: closing,
        // Closed by `LineList::take` at the end of each message.
        lines: m.lines,
        warnings,
    }
}

fn year_of(yy: u16) -> u16 {
    // SWIFT dates have two-digit years; statements are recent, so 80-99 are 19xx.
    if yy < 80 { 2000 + yy } else { 1900 + yy }
}

/// A day past the end of the month (German banks' 30/360 value dates, `160230`)
/// is read as the month's last day; anything else invalid is refused.
#[inline]
fn lenient_date(year: u16, month: u8, day: u8) -> Option<Date> {
    // Every month has 28 days: only a later day needs the month's length.
    if (29..=31).contains(&day) && (1..=12).contains(&month) {
        return Date::new(year, month, day.min(days_in_month(year, month)));
    }
    Date::new(year, month, day)
}

/// The date of the `yymmdd` text of `y1, y2` and the first two of `pairs`,
/// read by [`digit_pairs`] with its `not_digit` mask.
#[inline(always)]
fn ymd(y1: u8, y2: u8, [mm, dd, ..]: [u8; 4], not_digit: u64) -> Option<Date> {
    let yy = two_digits(y1, y2).filter(|_| not_digit & 0xffff_ffff == 0)?;
    lenient_date(year_of(u16::from(yy)), mm, dd)
}

/// The first ten bytes of `b`, padded with bytes that are no digits (nor
/// spaces) when it is shorter.
#[inline(always)]
fn head_10(b: &[u8]) -> [u8; 10] {
    if let Some(head) = b.first_chunk::<10>() {
        return *head;
    }
    let mut head = [0xff; 10];
    if let Some(h) = head.get_mut(..b.len()) {
        h.copy_from_slice(b);
    }
    head
}

/// Two ASCII digits as a number.
#[inline(always)]
fn two_digits(hi: u8, lo: u8) -> Option<u8> {
    (hi.is_ascii_digit() && lo.is_ascii_digit()).then(|| (hi - b'0') * 10 + (lo - b'0'))
}

const LOW_NIBBLES: u64 = 0x0f0f_0f0f_0f0f_0f0f;
const HIGH_NIBBLES: u64 = 0xf0f0_f0f0_f0f0_f0f0;
/// `'0'` in every byte of a word.
const ZEROS: u64 = 0x3030_3030_3030_3030;

/// Eight ASCII bytes read as four two-digit numbers (`"03020303"` is
/// `[3, 2, 3, 3]`), in one word rather than digit by digit; and a mask that
/// is non-zero in the bytes that are no digits (whose numbers mean nothing).
#[inline(always)]
fn digit_pairs(bytes: [u8; 8]) -> ([u8; 4], u64) {
    let w = u64::from_le_bytes(bytes);
    // A byte is no digit when its high nibble is not 3, or its low nibble
    // is above 9 (then adding 6 carries into the high nibble).
    let not_digit = ((w & HIGH_NIBBLES) ^ ZEROS) | (((w & LOW_NIBBLES) + 0x0606_0606_0606_0606) & HIGH_NIBBLES);
    let d = w & LOW_NIBBLES;
    // Each pair of bytes: ten times its first digit (the lower byte) plus its second.
    let [a, _, b, _, c, _, e, _] =
        ((d & 0x00ff_00ff_00ff_00ff) * 10 + ((d >> 8) & 0x00ff_00ff_00ff_00ff)).to_le_bytes();
    ([a, b, c, e], not_digit)
}

fn yymmdd(s: &[u8]) -> Option<Date> {
    let &[y1, y2, m1, m2, d1, d2] = s else { return None };
    let (pairs, not_digit) = digit_pairs([m1, m2, d1, d2, b'0', b'0', b'0', b'0']);
    ymd(y1, y2, pairs, not_digit)
}

/// The entry date has no year: take the value date's, moved by one when the
/// months are far apart (booked in early January for a late-December value).
#[inline]
fn entry_date(value: Date, (month, day): (u8, u8)) -> Option<Date> {
    let vm = value.month();
    // Both months are below 100: no overflow.
    let year = if month > vm + 6 {
        value.year().checked_sub(1)?
    } else if vm > month + 6 {
        value.year().checked_add(1)?
    } else {
        value.year()
    };
    lenient_date(year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(yymmdd(b"160230").map(|d| d.to_string()), Some("2016-02-29".into()));
        assert_eq!(yymmdd(b"161301"), None);
        assert_eq!(yymmdd(b"16123"), None);
        assert_eq!(yymmdd(b"16 231"), None);
        let v = yymmdd(b"141231").unwrap();
        assert_eq!(entry_date(v, (1, 2)).map(|d| d.to_string()), Some("2015-01-02".into()));
        let v = yymmdd(b"150102").unwrap();
        assert_eq!(entry_date(v, (12, 31)).map(|d| d.to_string()), Some("2014-12-31".into()));
    }

    #[test]
    fn digit_pairs_test_every_byte() {
        assert_eq!(digit_pairs(*b"03020312"), ([3, 2, 3, 12], 0));
        assert_eq!(digit_pairs(*b"99000109").0, [99, 0, 1, 9]);
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut bytes = *b"12345678";
                bytes[at] = b;
                let not_digit = digit_pairs(bytes).1.to_le_bytes();
                for (i, n) in not_digit.iter().enumerate() {
                    assert_eq!(*n != 0, i == at && !b.is_ascii_digit(), "{b:#x} at {at}");
                }
            }
        }
    }

    #[test]
    fn statement_line_forms() {
        let line = |l61: &str| {
            let text = format!(":20:S\n:25:A\n:60F:C250302EUR0,00\n:61:{l61}\n:62F:C250303EUR0,00\n");
            parse_slice(text.as_bytes(), crate::ParseOptions::default().legacy_encoding).map_err(|e| e.to_string())
        };
        fn first(f: &ParsedFile) -> crate::LineRef<'_> {
            f.statements[0].line(0)
        }
        let date = |d: Option<Date>| d.map(|d| d.to_string());
        let f = line("2503020303C62,68NTRFE2E1//B1").unwrap();
        let l = first(&f);
        assert_eq!((date(l.value_date), date(l.booking_date)), (Some("2025-03-02".into()), Some("2025-03-03".into())));
        assert_eq!((l.amount_cents, l.entry_reference(), l.bank_reference()), (Some(6268), Some("E2E1"), Some("B1")));
        // No entry date, or four spaces for it.
        for l61 in ["250302D1,00NMSCREF", "250302    D1,00NMSCREF"] {
            let f = line(l61).unwrap();
            let l = first(&f);
            assert_eq!(date(l.booking_date), Some("2025-03-02".into()), "{l61}");
            assert_eq!(l.entry_reference(), Some("REF"), "{l61}");
        }
        // An entry date in the next year; a 30/360 value date.
        assert_eq!(date(first(&line("1412310102C1,00NTRF").unwrap()).booking_date), Some("2015-01-02".into()));
        assert_eq!(date(first(&line("160230C1,00NTRF").unwrap()).value_date), Some("2016-02-29".into()));
        // Placeholders and blanks leave a reference out; a repeat is kept.
        let f = line("250302C1,00NTRFNONREF//notprovided").unwrap();
        let l = first(&f);
        assert_eq!((l.entry_reference(), l.bank_reference()), (None, None));
        let f = line("250302C1,00NTRF NONREFX // ABC ").unwrap();
        let l = first(&f);
        assert_eq!((l.entry_reference(), l.bank_reference()), (Some("NONREFX"), Some("ABC")));
        let f = line("250302C1,00NTRFABC//ABC").unwrap();
        let l = first(&f);
        assert_eq!((l.entry_reference(), l.bank_reference()), (Some("ABC"), Some("ABC")));
        let long = "R".repeat(70);
        let f = line(&format!("250302C1,00NTRF{long}//{long}")).unwrap();
        let l = first(&f);
        assert_eq!((l.entry_reference(), l.bank_reference()), (Some(long.as_str()), Some(long.as_str())));
        // Errors, with their columns; a field too short for both dates.
        assert_eq!(line("25030").unwrap_err(), "date error at line 4, column 5: :61: malformed value date \"\"");
        assert_eq!(line("250302").unwrap_err(), "invalid error at line 4, column 11: :61: no debit/credit mark");
        assert_eq!(line("250302031").unwrap_err(), "invalid error at line 4, column 11: :61: no debit/credit mark");
        assert_eq!(
            line("2503021399C1,00NTRF").unwrap_err(),
            "date error at line 4, column 11: :61: malformed entry date \"1399\""
        );
        assert_eq!(
            line("25133103C1,00NTRF").unwrap_err(),
            "date error at line 4, column 5: :61: malformed value date \"251331\""
        );
    }

    #[test]
    fn blocks_match_line_by_line() {
        // Lines across UTF-8 block borders, a Windows-1253 line, a line longer than a block.
        let mut f = b":20:REF\r\n:25:GR16011012500000000123\n:60F:C250302EUR0,00\n".to_vec();
        for i in 0..3000 {
            f.extend_from_slice(format!(":61:2503020303C1,00NTRFE2E{i}//B{i}\n:86:/EREF/E2E{i}/NAME/").as_bytes());
            if i == 1500 {
                f.extend_from_slice(&[0xC4, 0xC7, 0xCC, 0xCF, 0xD3]);
            }
            if i == 2000 {
                f.extend_from_slice("Ω".repeat(40_000).as_bytes());
            }
            f.extend_from_slice(b"X\nY\n");
        }
        f.extend_from_slice(b":62F:C250302EUR3000,00\n-");
        let opts = crate::ParseOptions::default();
        let sliced = parse_slice(&f, opts.legacy_encoding);
        let streamed = parse_reader(std::io::BufReader::with_capacity(7, &f[..]), opts.legacy_encoding);
        assert_eq!(sliced, streamed);
        let f = sliced.unwrap();
        let s = &f.statements[0];
        assert_eq!(s.lines().len(), 3000);
        assert_eq!(s.line(1500).counterparty_name(), Some("ΔΗΜΟΣXY"));
        assert_eq!(s.line(2000).counterparty_name().map(str::len), Some(80_002));
        assert_eq!(s.line(2999).end_to_end_id(), Some("E2E2999"));
    }

    fn parse(text: &str) -> ParsedFile {
        parse_slice(text.as_bytes(), crate::ParseOptions::default().legacy_encoding).unwrap()
    }

    #[test]
    fn balance_without_currency() {
        let f = parse(":20:S\n:25:1222333444\n:60F:C020315DEM0,00\n:61:020322CM20000,00S051\n:62F:C02031520000,00\n");
        let st = &f.statements[0];
        assert_eq!(st.closing_balance.map(|b| b.amount_cents), Some(2_000_000));
        assert_eq!(st.closing_balance.and_then(|b| b.date).map(|d| d.to_string()), Some("2002-03-15".into()));
        assert_eq!(st.currency.as_deref(), Some("DEM"));
        assert!(st.warnings.is_empty());
        let f = parse(":20:S\n:60F:C020315145000,00\n:62F:C020315EUR145000,00\n");
        assert_eq!(f.statements[0].opening_balance.map(|b| b.amount_cents), Some(14_500_000));
        assert_eq!(f.statements[0].currency.as_deref(), Some("EUR"));
    }

    #[test]
    fn booked_sum_overflow_is_reported() {
        let big = ":61:250303C50000000000000000,00NTRFX\n";
        // Within one message, and across a statement continued in the next.
        for text in [
            format!(":20:S\n:25:A\n:60F:C250302EUR0,00\n{big}{big}:62F:C250303EUR1,00\n"),
            format!(
                ":20:S\n:25:A\n:60F:C250302EUR0,00\n{big}:62M:C250303EUR1,00\n-\n:20:T\n:25:A\n:60M:C250303EUR1,00\n{big}:62F:C250303EUR1,00\n"
            ),
        ] {
            let f = parse(&text);
            assert_eq!(f.statements.len(), 1);
            assert_eq!(f.statements[0].warnings, ["the booked entries overflow a 64-bit sum of cents"]);
        }
        // MT942 lines are information: not in the sum.
        let f = parse(&format!(":20:S\n:34F:EURC0,00\n:13D:2503031200+0100\n{big}{big}"));
        assert!(f.statements[0].warnings.is_empty());
    }

    #[test]
    fn dash_line_inside_field_text() {
        // A `-` line inside `:86:` text, followed by a field of the same message.
        let f = parse(
            ":20:S\n:25:NL84RABO01212121212\n:60F:C170605EUR10,00\n:61:170606C1,00N541EREF\n\
             :86:/REMI/text -\n-\n:62F:C170606EUR11,00\n-\n",
        );
        assert_eq!(f.statements.len(), 1);
        let st = &f.statements[0];
        assert_eq!(st.id.as_deref(), Some("S"));
        assert_eq!(st.closing_balance.map(|b| b.amount_cents), Some(1100));
        assert_eq!(st.lines.len(), 1);
        // The SWIFT end of message still ends it: before the next `:20:`, a header, the envelope.
        for next in ["\n:20:T\n:60F:C170606EUR11,00\n", "\nABNANL2A\n940\n:20:T\n", "\n{1:F01}{2:O940}{4:\n:20:T\n"] {
            let text = format!(
                ":20:S\n:60F:C170605EUR10,00\n:61:170606C1,00N541EREF\n:86:x\n-{next}:62F:C170606EUR11,00\n-\n"
            );
            let f = parse(&text);
            assert_eq!(f.statements.len(), 2, "{next:?}");
            assert_eq!(f.statements[0].closing_balance, None, "{next:?}");
            assert_eq!(f.statements[1].id.as_deref(), Some("T"), "{next:?}");
        }
        // After the closing balance a `-` ends the message even before a field tag.
        let f = parse(":20:S\n:60F:C170605EUR10,00\n:62F:C170605EUR10,00\n:86:x\n-\n:61:170606C1,00NMSC\n");
        assert_eq!(f.statements.len(), 2);
        assert_eq!(f.statements[0].lines.len(), 0);
        assert_eq!(f.statements[1].lines.len(), 1);
    }

    #[test]
    fn tags() {
        let tag = |line| parse_tag(line).map(|(t, rest)| (t.as_str().to_string(), rest));
        assert_eq!(tag(":20:ABC"), Some(("20".into(), "ABC")));
        assert_eq!(tag(":60F:C1"), Some(("60F".into(), "C1")));
        assert_eq!(tag(":NS:x"), Some(("NS".into(), "x")));
        assert_eq!(tag(":28C:"), Some(("28C".into(), "")));
        assert_eq!(tag(":ABC:x"), None);
        assert_eq!(tag(":2::x"), None);
        assert_eq!(tag(":20"), None);
        assert_eq!(tag(":6:x"), None);
        assert_eq!(tag(":60FF:x"), None);
        assert_eq!(tag("no"), None);
    }
}
