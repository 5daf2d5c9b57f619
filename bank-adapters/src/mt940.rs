//! SWIFT MT940 (and MT942) reader: a line-by-line pass that gathers fields,
//! reads each message, and joins statements split over several messages.

use std::io::BufRead;

use encoding_rs::Encoding;

use crate::amount::parse_cents;
use crate::camt_lines::is_placeholder;
use crate::checks::balance_warning;
use crate::encoding::decode_line;
use crate::error::{ErrorKind, ParseError};
use crate::model::{
    Balance, Date, Direction, Format, Line, LineArena, LineScalars, ParsedFile, Statement, Status, TextDraft,
    TextField, days_in_month, trim,
};
use crate::mt940_details::read_details;
use crate::{MAX_ELEMENT_BYTES, MAX_FILE_BYTES};

pub(crate) fn parse_slice(bytes: &[u8], legacy: &'static Encoding) -> Result<ParsedFile, ParseError> {
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ParseError::new(ErrorKind::Limit, format!("file larger than {MAX_FILE_BYTES} bytes")));
    }
    let mut r = Reader::new(legacy);
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
                    let e = memchr::memchr(b'\n', &text.as_bytes()[s..]).map_or(text.len(), |p| s + p);
                    // '\n' is ASCII, so `s` and `e` are character boundaries.
                    r.push_text(text.get(s..e).unwrap_or_default())?;
                    s = e + 1;
                }
                start = cut;
            }
            // Not valid: line by line, each decoded on its own. No line end in
            // the block: one line longer than a block, read the same way.
            _ => loop {
                let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |p| start + p);
                r.push_line(&bytes[start..end])?;
                start = end + 1;
                if start >= cut {
                    break;
                }
            },
        }
    }
    r.finish()
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
        r.push_line(line)?;
    }
    r.finish()
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
    lines: Vec<Line>,
}

struct Reader {
    legacy: &'static Encoding,
    line_no: u64,
    tag: String,
    content: String,
    field_line: u64,
    in_field: bool,
    msg: Message,
    pending: Option<Pending>,
    /// The pending line's texts.
    texts: TextDraft,
    /// The message's lines not yet in `msg.lines`.
    arena: LineArena,
    /// Scratch space for the `:86:` reader.
    details_buf: String,
    statements: Vec<Message>,
    saw_tag: bool,
    /// A line `-` seen inside a field: the end of the message, unless it comes
    /// before the closing balance and the next line is a field tag other than
    /// `:20:` (then it was field text).
    dash_pending: bool,
}

fn parse_tag(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix(':')?;
    // A tag has at most three characters: a later ':' cannot end one.
    let end = rest.as_bytes().iter().take(4).position(|&c| c == b':')?;
    let tag = &rest[..end];
    let b = tag.as_bytes();
    let ok = (b.len() == 2 || b.len() == 3)
        && b[0].is_ascii_digit()
        && b[1].is_ascii_digit()
        && b.get(2).is_none_or(|c| c.is_ascii_alphabetic())
        || tag == "NS";
    ok.then(|| (tag, &rest[end + 1..]))
}

impl Reader {
    fn new(legacy: &'static Encoding) -> Self {
        Reader {
            legacy,
            line_no: 0,
            tag: String::new(),
            content: String::new(),
            field_line: 0,
            in_field: false,
            msg: Message::default(),
            pending: None,
            texts: TextDraft::default(),
            arena: LineArena::default(),
            details_buf: String::new(),
            statements: Vec::new(),
            saw_tag: false,
            dash_pending: false,
        }
    }

    fn err(&self, kind: ErrorKind, message: impl Into<String>, column: u64) -> ParseError {
        ParseError::new(kind, message).at_line(self.field_line, column)
    }

    fn push_line(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        let decoded = decode_line(bytes, self.legacy);
        self.push_decoded(&decoded)
    }

    /// [`Self::push_line`] for a line already known to be UTF-8.
    fn push_text(&mut self, text: &str) -> Result<(), ParseError> {
        self.push_decoded(text.strip_suffix('\r').unwrap_or(text))
    }

    fn push_decoded(&mut self, decoded: &str) -> Result<(), ParseError> {
        self.line_no += 1;
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
                Some((tag, _)) if tag != "20" && self.msg.closing.is_none() => {
                    self.content.push_str("\n-");
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
        // A line that starts with ':' (most do) is neither.
        if line.as_bytes().first() != Some(&b':') && (line.trim() == "-" || line.trim_start().starts_with("-}")) {
            if self.in_field && line.trim() == "-" {
                self.dash_pending = true;
                return Ok(());
            }
            self.end_field()?;
            return self.end_message();
        }
        if let Some((tag, rest)) = parse_tag(line) {
            self.end_field()?;
            self.saw_tag = true;
            self.tag.clear();
            self.tag.push_str(tag);
            self.content.clear();
            self.content.push_str(rest);
            self.field_line = self.line_no;
            self.in_field = true;
        } else if self.in_field {
            self.content.push('\n');
            self.content.push_str(line);
        }
        if self.content.len() > MAX_ELEMENT_BYTES {
            return Err(self.err(ErrorKind::Limit, "field longer than 1 MiB", 1));
        }
        Ok(())
    }

    fn end_field(&mut self) -> Result<(), ParseError> {
        if !self.in_field {
            return Ok(());
        }
        self.in_field = false;
        let tag = std::mem::take(&mut self.tag);
        let content = std::mem::take(&mut self.content);
        let r = self.field(&tag, &content);
        self.tag = tag;
        self.content = content;
        r
    }

    fn field(&mut self, tag: &str, content: &str) -> Result<(), ParseError> {
        if tag == "20" {
            self.end_message()?;
        }
        self.msg.has_content = true;
        let first_line = || content.lines().next().unwrap_or_default().trim();
        match tag {
            "20" => self.msg.reference = first_line().to_string(),
            "25" if self.msg.account.is_empty() => {
                self.msg.account = first_line().to_string();
            }
            "28" | "28C" => self.msg.sequence = first_line().to_string(),
            "60F" | "60M" | "60" => {
                self.flush_line();
                let (b, ccy) = self.balance(tag, content)?;
                self.msg.currency = ccy;
                self.msg.opening = Some((b, tag == "60M"));
            }
            "62F" | "62M" | "62" => {
                self.flush_line();
                let (b, ccy) = self.balance(tag, content)?;
                if self.msg.currency.is_empty() {
                    self.msg.currency = ccy;
                }
                self.msg.closing = Some((b, tag == "62M"));
            }
            "61" => {
                self.flush_line();
                let (scalars, refs) = self.line_61(content)?;
                let t = &mut self.texts;
                t.clear();
                let customer_ref = trim(refs.customer_ref);
                if !is_placeholder(customer_ref) {
                    t.set(TextField::EntryReference, customer_ref);
                }
                let bank_ref = trim(refs.bank_ref);
                if !is_placeholder(bank_ref) {
                    t.set(TextField::BankReference, bank_ref);
                }
                t.set_pair(TextField::AdditionalInfo, refs.extra, refs.supplementary);
                self.pending = Some(Pending { scalars, has_details: false });
            }
            "86" => match &mut self.pending {
                Some(p) if !p.has_details => {
                    p.has_details = true;
                    read_details(content, &mut self.texts, &mut self.details_buf);
                }
                // Information for the whole statement: not a line's.
                _ => {}
            },
            "13" | "13D" | "34F" | "90D" | "90C" => {
                self.msg.is_942 = true;
                if tag == "34F" && self.msg.currency.is_empty() {
                    self.msg.currency = first_line().chars().take(3).collect();
                }
            }
            "64" | "65" => self.flush_line(),
            // Unknown and non-SWIFT tags carry nothing a line needs.
            _ => {}
        }
        Ok(())
    }

    /// `C250302EUR268678,25`: mark, date, currency, amount.
    fn balance(&self, tag: &str, content: &str) -> Result<(Balance, String), ParseError> {
        let col0 = tag.len() as u64 + 3;
        // Anything after the first line is not part of a balance (a stray `-`, a DOS end-of-file mark).
        let s = content.lines().next().unwrap_or_default().trim();
        let direction = match s.as_bytes().first() {
            Some(b'C') => Direction::Credit,
            Some(b'D') => Direction::Debit,
            _ => {
                return Err(self.err(ErrorKind::Invalid, format!(":{tag}: balance without C/D mark"), col0));
            }
        };
        let date_text = s.get(1..7).unwrap_or_default();
        let date = yymmdd(date_text)
            .ok_or_else(|| self.err(ErrorKind::Date, format!(":{tag}: malformed date {date_text:?}"), col0 + 1))?;
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

    /// `YYMMDD[MMDD](C|D|RC|RD)[funds]amount type [customer ref][//bank ref][\nsupplementary]`.
    fn line_61<'c>(&self, content: &'c str) -> Result<(LineScalars, Refs<'c>), ParseError> {
        let b = content.as_bytes();
        let col = |p: usize| 5 + content.get(..p).map_or(p, |s| s.chars().count()) as u64;
        let mut p = 0usize;
        let value_text = content.get(0..6).unwrap_or_default();
        let value = yymmdd(value_text)
            .ok_or_else(|| self.err(ErrorKind::Date, format!(":61: malformed value date {value_text:?}"), col(0)))?;
        p += 6;
        let mut entry = None;
        if b.get(p..p + 4).is_some_and(|d| d.iter().all(u8::is_ascii_digit)) {
            let text = content.get(p..p + 4).unwrap_or_default();
            entry = Some(
                entry_date(value, text)
                    .ok_or_else(|| self.err(ErrorKind::Date, format!(":61: malformed entry date {text:?}"), col(p)))?,
            );
            p += 4;
        } else if b.get(p..p + 4) == Some(b"    ") {
            p += 4;
        }
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
        while b.get(p).is_some_and(|c| c.is_ascii_digit() || *c == b',') {
            p += 1;
        }
        let amount_text = content.get(amount_start..p).unwrap_or_default();
        let amount = parse_cents(amount_text, b',')
            .map_err(|e| self.err(ErrorKind::Amount, format!(":61: {}", e.describe(amount_text)), col(amount_start)))?;
        // Transaction type: one letter and three characters (NTRF, NMSC, FCHK...).
        if b.get(p).is_some_and(u8::is_ascii_alphabetic)
            && b.get(p + 1..p + 4).is_some_and(|t| t.iter().all(|c| c.is_ascii_alphanumeric() || *c == b' '))
        {
            p += 4;
        }
        let rest = content.get(p..).unwrap_or_default();
        let (first, supplementary) = match rest.as_bytes().iter().position(|&c| c == b'\n') {
            Some(n) => (rest.get(..n).unwrap_or_default(), rest.get(n + 1..).unwrap_or_default()),
            None => (rest, ""),
        };
        // The reference for the account owner is at most 16 characters; without
        // a `//` bank reference, what follows it is supplementary detail (Rabobank).
        let fb = first.as_bytes();
        let (customer_ref, bank_ref, extra) = match fb.windows(2).position(|w| w == b"//") {
            Some(i) => (first.get(..i).unwrap_or_default(), first.get(i + 2..).unwrap_or_default(), ""),
            None => {
                let cut = first.char_indices().nth(16).map_or(first.len(), |(i, _)| i);
                (first.get(..cut).unwrap_or_default(), "", first.get(cut..).unwrap_or_default())
            }
        };
        Ok((
            LineScalars {
                amount_cents: Some(amount),
                direction,
                status: Status::Booked,
                reversal,
                // The entry date is the booking date; SWIFT leaves it out when it equals the value date.
                booking_date: entry.or(Some(value)),
                value_date: Some(value),
                charges_cents: None,
                entry_index: 0,
            },
            Refs { customer_ref, bank_ref, extra, supplementary },
        ))
    }

    fn flush_line(&mut self) {
        let Some(p) = self.pending.take() else { return };
        let mut scalars = p.scalars;
        scalars.entry_index = u32::try_from(self.msg.lines.len() + self.arena.staged()).unwrap_or(u32::MAX);
        self.arena.push(scalars, &self.texts);
        if self.arena.is_full() {
            self.arena.drain_into(&mut self.msg.lines);
        }
    }

    fn end_message(&mut self) -> Result<(), ParseError> {
        self.flush_line();
        self.arena.drain_into(&mut self.msg.lines);
        let mut msg = std::mem::take(&mut self.msg);
        if !msg.has_content {
            return Ok(());
        }
        if msg.is_942 {
            for l in &mut msg.lines {
                l.status = Status::Info;
            }
        }
        // A statement continued in the next message: intermediate closing (62M),
        // intermediate opening (60M), same account.
        if let Some(prev) = self.statements.last_mut() {
            let continues = matches!(prev.closing, Some((_, true)))
                && matches!(msg.opening, Some((_, true)))
                && prev.account == msg.account;
            if continues {
                let offset = u32::try_from(prev.lines.len()).unwrap_or(u32::MAX);
                for mut l in msg.lines {
                    l.entry_index = l.entry_index.saturating_add(offset);
                    prev.lines.push(l);
                }
                prev.closing = msg.closing;
                prev.is_942 &= msg.is_942;
                return Ok(());
            }
        }
        self.statements.push(msg);
        Ok(())
    }

    fn finish(mut self) -> Result<ParsedFile, ParseError> {
        self.end_field()?;
        self.end_message()?;
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

fn into_statement(m: Message) -> Statement {
    let opt = |s: String| (!s.is_empty()).then_some(s);
    let opening = m.opening.map(|(b, _)| b);
    let closing = m.closing.map(|(b, _)| b);
    let booked = m
        .lines
        .iter()
        .filter(|l| l.status == Status::Booked)
        .try_fold(0i64, |acc, l| acc.checked_add(l.signed_amount_cents()?));
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
fn lenient_date(year: u16, month: u8, day: u8) -> Option<Date> {
    if (1..=12).contains(&month) && (29..=31).contains(&day) {
        return Date::new(year, month, day.min(days_in_month(year, month)));
    }
    Date::new(year, month, day)
}

fn digits(s: &str) -> Option<u16> {
    if s.is_empty() {
        return None;
    }
    s.bytes().try_fold(0u16, |n, c| {
        if !c.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add(u16::from(c - b'0'))
    })
}

fn yymmdd(s: &str) -> Option<Date> {
    let (y, m, d) = (digits(s.get(0..2)?)?, digits(s.get(2..4)?)?, digits(s.get(4..6)?)?);
    if s.len() != 6 {
        return None;
    }
    lenient_date(year_of(y), m as u8, d as u8)
}

/// The entry date has no year: take the value date's, moved by one when the
/// months are far apart (booked in early January for a late-December value).
fn entry_date(value: Date, mmdd: &str) -> Option<Date> {
    let (m, d) = (digits(mmdd.get(0..2)?)? as u8, digits(mmdd.get(2..4)?)? as u8);
    let vm = value.month();
    let year = if m > vm && m - vm > 6 {
        value.year().checked_sub(1)?
    } else if vm > m && vm - m > 6 {
        value.year().checked_add(1)?
    } else {
        value.year()
    };
    lenient_date(year, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(yymmdd("160230").map(|d| d.to_string()), Some("2016-02-29".into()));
        assert_eq!(yymmdd("161301"), None);
        let v = yymmdd("141231").unwrap();
        assert_eq!(entry_date(v, "0102").map(|d| d.to_string()), Some("2015-01-02".into()));
        let v = yymmdd("150102").unwrap();
        assert_eq!(entry_date(v, "1231").map(|d| d.to_string()), Some("2014-12-31".into()));
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
        let lines = &sliced.unwrap().statements[0].lines;
        assert_eq!(lines.len(), 3000);
        assert_eq!(lines[1500].counterparty_name(), Some("ΔΗΜΟΣXY"));
        assert_eq!(lines[2000].counterparty_name().map(str::len), Some(80_002));
        assert_eq!(lines[2999].end_to_end_id(), Some("E2E2999"));
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
        assert_eq!(parse_tag(":20:ABC"), Some(("20", "ABC")));
        assert_eq!(parse_tag(":60F:C1"), Some(("60F", "C1")));
        assert_eq!(parse_tag(":NS:x"), Some(("NS", "x")));
        assert_eq!(parse_tag(":ABC:x"), None);
        assert_eq!(parse_tag("no"), None);
    }
}
