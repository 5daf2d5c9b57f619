//! ISO 20022 camt.053 / camt.054 reader: one streaming pass over quick-xml events.
//!
//! Elements are interned into [`Tag`]s on the way in, so deciding what an
//! element means is a match on a short slice of tags relative to the
//! statement, entry or transaction it sits in, and only the texts we keep are
//! ever copied.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::camt_lines::{BalanceDraft, EntryDraft, Money, StatementDraft, TxDraft};
use crate::error::{ErrorKind, ParseError};
use crate::model::{Format, ParsedFile};
use crate::{MAX_ELEMENT_BYTES, MAX_FILE_BYTES, MAX_NESTING};

/// A source of XML events: a byte slice read in place, or a buffered stream.
pub(crate) trait XmlSource {
    fn next_event(&mut self) -> quick_xml::Result<Event<'_>>;
    /// Bytes consumed so far.
    fn position(&self) -> u64;
    fn error_position(&self) -> u64;
    /// Whether the bytes consumed so far pass [`MAX_FILE_BYTES`].
    fn past_limit(&self) -> bool {
        self.position() > MAX_FILE_BYTES
    }
}

pub(crate) struct SliceSource<'a>(Reader<&'a [u8]>);

impl<'a> SliceSource<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        SliceSource(Reader::from_reader(bytes))
    }
}

impl XmlSource for SliceSource<'_> {
    fn next_event(&mut self) -> quick_xml::Result<Event<'_>> {
        self.0.read_event()
    }
    fn position(&self) -> u64 {
        self.0.buffer_position()
    }
    fn error_position(&self) -> u64 {
        self.0.error_position()
    }
    fn past_limit(&self) -> bool {
        // `parse_slice` takes no slice longer than the limit.
        false
    }
}

pub(crate) struct BufSource<R> {
    reader: Reader<R>,
    buf: Vec<u8>,
}

impl<R: BufRead> BufSource<R> {
    pub fn new(reader: R) -> Self {
        BufSource { reader: Reader::from_reader(reader), buf: Vec::with_capacity(64 * 1024) }
    }
}

impl<R: BufRead> XmlSource for BufSource<R> {
    fn next_event(&mut self) -> quick_xml::Result<Event<'_>> {
        self.buf.clear();
        self.reader.read_event_into(&mut self.buf)
    }
    fn position(&self) -> u64 {
        self.reader.buffer_position()
    }
    fn error_position(&self) -> u64 {
        self.reader.error_position()
    }
}

/// Declares [`Tag`], the element names we act on (everything else is
/// `Other`), with the name of each, from one list.
macro_rules! tags {
    ($($tag:ident = $name:literal,)*) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(crate) enum Tag {
            $($tag,)*
            Other,
        }

        fn tag_of(name: &str) -> Tag {
            match name {
                $($name => Tag::$tag,)*
                _ => Tag::Other,
            }
        }

        impl Tag {
            /// The element name; `None` for `Other`, whose name is kept aside.
            fn name(self) -> Option<&'static str> {
                match self {
                    $(Tag::$tag => Some($name),)*
                    Tag::Other => None,
                }
            }
        }
    };
}

tags! {
    Document = "Document",
    Stmt = "Stmt",
    Ntfctn = "Ntfctn",
    Id = "Id",
    ElctrncSeqNb = "ElctrncSeqNb",
    LglSeqNb = "LglSeqNb",
    Acct = "Acct",
    Iban = "IBAN",
    Othr = "Othr",
    Ccy = "Ccy",
    Bal = "Bal",
    Tp = "Tp",
    CdOrPrtry = "CdOrPrtry",
    Cd = "Cd",
    Prtry = "Prtry",
    Amt = "Amt",
    CdtDbtInd = "CdtDbtInd",
    Dt = "Dt",
    DtTm = "DtTm",
    Ntry = "Ntry",
    NtryRef = "NtryRef",
    RvslInd = "RvslInd",
    Sts = "Sts",
    BookgDt = "BookgDt",
    ValDt = "ValDt",
    AcctSvcrRef = "AcctSvcrRef",
    AddtlNtryInf = "AddtlNtryInf",
    NtryDtls = "NtryDtls",
    TxDtls = "TxDtls",
    Refs = "Refs",
    EndToEndId = "EndToEndId",
    TxId = "TxId",
    AmtDtls = "AmtDtls",
    TxAmt = "TxAmt",
    InstdAmt = "InstdAmt",
    CntrValAmt = "CntrValAmt",
    RltdPties = "RltdPties",
    Dbtr = "Dbtr",
    Cdtr = "Cdtr",
    Pty = "Pty",
    Nm = "Nm",
    DbtrAcct = "DbtrAcct",
    CdtrAcct = "CdtrAcct",
    RmtInf = "RmtInf",
    Ustrd = "Ustrd",
    Strd = "Strd",
    CdtrRefInf = "CdtrRefInf",
    Ref = "Ref",
    AddtlRmtInf = "AddtlRmtInf",
    AddtlTxInf = "AddtlTxInf",
    RtrInf = "RtrInf",
    Rsn = "Rsn",
    Chrgs = "Chrgs",
    Rcrd = "Rcrd",
    TtlChrgsAndTaxAmt = "TtlChrgsAndTaxAmt",
}

/// Where an element's text goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Slot {
    StmtId,
    StmtElSeq,
    StmtLglSeq,
    AcctId,
    AcctCcy,
    BalCode,
    BalAmt,
    BalCdtDbt,
    BalDate,
    NtryRef,
    NtryAmt,
    NtryCdtDbt,
    NtryRvsl,
    NtrySts,
    NtryBookg,
    NtryVal,
    NtryAcctSvcrRef,
    NtryAddtlInf,
    NtryChrgRecord,
    NtryChrgTotal,
    TxE2E,
    TxId,
    TxAcctSvcrRef,
    TxAmt,
    TxCdtDbt,
    TxAmtDtlsTx,
    TxInstd,
    TxCntrVal,
    DbtrNm,
    CdtrNm,
    DbtrAcct,
    CdtrAcct,
    Ustrd,
    CdtrRefTp,
    CdtrRef,
    AddtlRmtInf,
    AddtlTxInf,
    RtrRsn,
    TxChrgRecord,
    TxChrgTotal,
}

impl Slot {
    /// Amount elements carry their currency in a `Ccy` attribute.
    fn has_ccy(self) -> bool {
        matches!(
            self,
            Slot::BalAmt
                | Slot::NtryAmt
                | Slot::TxAmt
                | Slot::TxAmtDtlsTx
                | Slot::TxInstd
                | Slot::TxCntrVal
                | Slot::NtryChrgRecord
                | Slot::NtryChrgTotal
                | Slot::TxChrgRecord
                | Slot::TxChrgTotal
        )
    }
}

/// The part of an element name after its namespace prefix, as
/// `QName::local_name` gives it, found by a byte loop: names are short.
fn local_name(qname: &str) -> &str {
    match qname.as_bytes().iter().position(|&c| c == b':') {
        Some(i) => qname.get(i + 1..).unwrap_or_default(),
        None => qname,
    }
}

/// An amount's `Ccy` attribute. Amounts mostly carry it alone, as
/// ` Ccy="EUR"`, read here in place: quick-xml's attribute parser costs
/// more than the rest of the element. Any other form goes through it.
fn ccy_attribute(e: &BytesStart<'_>) -> Money {
    let plain = e.attributes_raw().strip_prefix(" Ccy=\"").and_then(|rest| rest.strip_suffix('"'));
    if let Some(code) = plain
        && code.len() == 3
        && code.bytes().all(|c| c.is_ascii_uppercase())
    {
        return Money::ccy_from(code.as_bytes());
    }
    match e.try_get_attribute("Ccy") {
        Ok(Some(a)) => Money::ccy_from(a.value.as_bytes()),
        _ => Money::NO_CCY,
    }
}

/// The element's tag and local name. Names we act on have no `:`, so a name
/// they match needs no look for a namespace prefix.
fn tag_and_name(qname: &str) -> (Tag, &str) {
    match tag_of(qname) {
        Tag::Other => {
            let name = local_name(qname);
            let tag = if name.len() == qname.len() { Tag::Other } else { tag_of(name) };
            (tag, name)
        }
        tag => (tag, qname),
    }
}

fn stmt_slot(rel: &[Tag]) -> Option<Slot> {
    use Tag::*;
    Some(match rel {
        [Id] => Slot::StmtId,
        [ElctrncSeqNb] => Slot::StmtElSeq,
        [LglSeqNb] => Slot::StmtLglSeq,
        [Acct, Id, Iban] | [Acct, Id, Othr, Id] => Slot::AcctId,
        [Acct, Ccy] => Slot::AcctCcy,
        _ => return None,
    })
}

fn bal_slot(rel: &[Tag]) -> Option<Slot> {
    use Tag::*;
    Some(match rel {
        [Tp, CdOrPrtry, Cd] | [Tp, CdOrPrtry, Prtry] => Slot::BalCode,
        [Amt] => Slot::BalAmt,
        [CdtDbtInd] => Slot::BalCdtDbt,
        [Dt, Dt] | [Dt, DtTm] => Slot::BalDate,
        _ => return None,
    })
}

fn ntry_slot(rel: &[Tag]) -> Option<Slot> {
    use Tag::*;
    Some(match rel {
        [NtryRef] => Slot::NtryRef,
        [Amt] => Slot::NtryAmt,
        [CdtDbtInd] => Slot::NtryCdtDbt,
        [RvslInd] => Slot::NtryRvsl,
        [Sts] | [Sts, Cd] => Slot::NtrySts,
        [BookgDt, Dt] | [BookgDt, DtTm] => Slot::NtryBookg,
        [ValDt, Dt] | [ValDt, DtTm] => Slot::NtryVal,
        [AcctSvcrRef] => Slot::NtryAcctSvcrRef,
        [AddtlNtryInf] => Slot::NtryAddtlInf,
        [Chrgs, Amt] | [Chrgs, Rcrd, Amt] => Slot::NtryChrgRecord,
        [Chrgs, TtlChrgsAndTaxAmt] => Slot::NtryChrgTotal,
        _ => return None,
    })
}

/// Inlined: most elements of a statement are inside a `TxDtls`.
#[inline(always)]
fn tx_slot(rel: &[Tag]) -> Option<Slot> {
    use Tag::*;
    Some(match rel {
        [Refs, EndToEndId] => Slot::TxE2E,
        [Refs, TxId] => Slot::TxId,
        [Refs, AcctSvcrRef] => Slot::TxAcctSvcrRef,
        [Amt] => Slot::TxAmt,
        [CdtDbtInd] => Slot::TxCdtDbt,
        [AmtDtls, TxAmt, Amt] => Slot::TxAmtDtlsTx,
        [AmtDtls, InstdAmt, Amt] => Slot::TxInstd,
        [AmtDtls, CntrValAmt, Amt] => Slot::TxCntrVal,
        [RltdPties, Dbtr, Nm] | [RltdPties, Dbtr, Pty, Nm] => Slot::DbtrNm,
        [RltdPties, Cdtr, Nm] | [RltdPties, Cdtr, Pty, Nm] => Slot::CdtrNm,
        [RltdPties, DbtrAcct, Id, Iban] | [RltdPties, DbtrAcct, Id, Othr, Id] => Slot::DbtrAcct,
        [RltdPties, CdtrAcct, Id, Iban] | [RltdPties, CdtrAcct, Id, Othr, Id] => Slot::CdtrAcct,
        [RmtInf, Ustrd] => Slot::Ustrd,
        [RmtInf, Strd, CdtrRefInf, Tp, CdOrPrtry, Cd] | [RmtInf, Strd, CdtrRefInf, Tp, CdOrPrtry, Prtry] => {
            Slot::CdtrRefTp
        }
        [RmtInf, Strd, CdtrRefInf, Ref] => Slot::CdtrRef,
        [RmtInf, Strd, AddtlRmtInf] => Slot::AddtlRmtInf,
        [AddtlTxInf] => Slot::AddtlTxInf,
        [RtrInf, Rsn, Cd] | [RtrInf, Rsn, Prtry] => Slot::RtrRsn,
        [Chrgs, Amt] | [Chrgs, Rcrd, Amt] => Slot::TxChrgRecord,
        [Chrgs, TtlChrgsAndTaxAmt] => Slot::TxChrgTotal,
        _ => return None,
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Message {
    Statement,
    Notification,
}

/// What an element opens, to be closed at its end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    None,
    Statement,
    Balance,
    Entry,
    Transaction,
}

/// The open elements. Only errors need their names (for the XML path), so
/// a name is kept only for an `Other` element: the tag names the others.
struct Frames {
    tags: [Tag; MAX_NESTING],
    /// The context each open element opened, which its end closes.
    closes: [Context; MAX_NESTING],
    /// Where each open `Other` element's name starts in `names`.
    name_at: [usize; MAX_NESTING],
    depth: usize,
    /// The names of the open `Other` elements, one after the other.
    names: String,
}

impl Frames {
    fn new() -> Self {
        Frames {
            tags: [Tag::Other; MAX_NESTING],
            closes: [Context::None; MAX_NESTING],
            name_at: [0; MAX_NESTING],
            depth: 0,
            names: String::new(),
        }
    }

    fn open(&self) -> &[Tag] {
        self.tags.get(..self.depth).unwrap_or_default()
    }

    /// Opens an element; the caller has checked the nesting limit.
    #[inline]
    fn push(&mut self, tag: Tag, name: &str) {
        if let (Some(t), Some(c), Some(at)) =
            (self.tags.get_mut(self.depth), self.closes.get_mut(self.depth), self.name_at.get_mut(self.depth))
        {
            *t = tag;
            *c = Context::None;
            if tag == Tag::Other {
                *at = self.names.len();
                self.names.push_str(name);
            }
            self.depth += 1;
        }
    }

    /// The context the innermost element opened.
    fn closes(&self) -> Context {
        self.depth.checked_sub(1).and_then(|d| self.closes.get(d)).copied().unwrap_or(Context::None)
    }

    fn set_closes(&mut self, context: Context) {
        if let Some(c) = self.depth.checked_sub(1).and_then(|d| self.closes.get_mut(d)) {
            *c = context;
        }
    }

    #[inline]
    fn pop(&mut self) {
        let Some(d) = self.depth.checked_sub(1) else { return };
        if let (Some(Tag::Other), Some(&at)) = (self.tags.get(d), self.name_at.get(d)) {
            self.names.truncate(at);
        }
        self.depth = d;
    }

    /// `/Document/BkToCstmrStmt/...`; `None` outside the root element.
    fn path(&self) -> Option<String> {
        if self.depth == 0 {
            return None;
        }
        // From the innermost element out: an `Other` name ends where the next one starts.
        let mut parts = Vec::with_capacity(self.depth);
        let mut end = self.names.len();
        for (tag, &at) in self.open().iter().zip(&self.name_at).rev() {
            parts.push(match tag.name() {
                Some(name) => name,
                None => {
                    let name = self.names.get(at..end).unwrap_or_default();
                    end = at;
                    name
                }
            });
        }
        Some(parts.iter().rev().fold(String::new(), |path, part| path + "/" + part))
    }
}

/// A reader error, boxed so that the per-event functions return a pointer
/// in a register rather than a large `Result` through memory.
type Failure = Box<ParseError>;

/// The reader's state between events.
struct State {
    frames: Frames,
    /// The depth of the outermost open element below the message root that
    /// is `Other`: nothing inside it is read. `usize::MAX` when there is none.
    ignored_at: usize,
    namespace: Option<(u16, u8)>,
    message: Option<Message>,
    stmt_at: Option<usize>,
    bal_at: Option<usize>,
    ntry_at: Option<usize>,
    tx_at: Option<usize>,
    capture: Option<(Slot, usize)>,
    text: String,
    ccy: Money,
    stmt: StatementDraft,
    bal: BalanceDraft,
    entry: EntryDraft,
    statements: Vec<crate::model::Statement>,
    stmt_count: usize,
}

pub(crate) fn parse_slice(bytes: &[u8]) -> Result<ParsedFile, ParseError> {
    // Checked once here rather than at every event.
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ParseError::new(ErrorKind::Limit, format!("file larger than {MAX_FILE_BYTES} bytes")));
    }
    let mut src = SliceSource::new(bytes);
    run(&mut src).map_err(|e| e.locate_in(bytes))
}

pub(crate) fn parse_reader<R: BufRead>(reader: R) -> Result<ParsedFile, ParseError> {
    let mut src = BufSource::new(reader);
    run(&mut src)
}

fn run<S: XmlSource>(src: &mut S) -> Result<ParsedFile, ParseError> {
    let mut st = State {
        frames: Frames::new(),
        ignored_at: usize::MAX,
        namespace: None,
        message: None,
        stmt_at: None,
        bal_at: None,
        ntry_at: None,
        tx_at: None,
        capture: None,
        text: String::new(),
        ccy: Money::NO_CCY,
        stmt: StatementDraft::default(),
        bal: BalanceDraft::default(),
        entry: EntryDraft::default(),
        statements: Vec::new(),
        stmt_count: 0,
    };
    loop {
        // The event is read where the reader left it, not moved out: moving
        // it reads back in one piece what was just written in several, which
        // stalls the processor on every event.
        let next = src.next_event();
        let event = match &next {
            Ok(ev) => ev,
            Err(e) => {
                let message = e.to_string();
                let pos = src.error_position();
                return Err(*st.error(ErrorKind::Xml, message, pos));
            }
        };
        let done = matches!(event, Event::Eof);
        let result = st.handle(event);
        if let Err(mut e) = result {
            if e.position.offset.is_none() {
                e.position.offset = Some(src.position());
            }
            return Err(*e);
        }
        if src.past_limit() {
            let pos = src.position();
            return Err(*st.error(ErrorKind::Limit, format!("file larger than {MAX_FILE_BYTES} bytes"), pos));
        }
        if done {
            break;
        }
    }
    st.finish()
}

impl State {
    fn error(&self, kind: ErrorKind, message: impl Into<String>, offset: u64) -> Failure {
        let mut e = Box::new(ParseError::new(kind, message));
        e.position.offset = Some(offset);
        e.position.xml_path = self.frames.path();
        e
    }

    /// An error at the current element; the caller fills in the offset.
    fn err(&self, kind: ErrorKind, message: impl Into<String>) -> Failure {
        let mut e = Box::new(ParseError::new(kind, message));
        e.position.xml_path = self.frames.path();
        e
    }

    /// Inlined into the event loop: the frequent events go straight to
    /// their handlers, the rest through one call to [`Self::handle_any`].
    #[inline(always)]
    fn handle(&mut self, event: &Event<'_>) -> Result<(), Failure> {
        match event {
            Event::Text(t) => self.text(t),
            Event::Start(e) => self.start(e),
            Event::End(_) => self.end(),
            _ => self.handle_any(event),
        }
    }

    /// Any event; [`Self::handle`] sends only the rare ones here.
    #[inline(never)]
    fn handle_any(&mut self, event: &Event<'_>) -> Result<(), Failure> {
        match event {
            Event::Start(e) => self.start(e),
            Event::Empty(e) => {
                self.start(e)?;
                self.end()
            }
            Event::End(_) => self.end(),
            Event::Text(t) => self.text(t),
            Event::CData(t) => self.text(t),
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c,
                    Ok(None) => match &**r {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        other => {
                            return Err(
                                self.err(ErrorKind::Xml, format!("undefined entity &{other};: entities are not read"))
                            );
                        }
                    },
                    Err(e) => return Err(self.err(ErrorKind::Xml, e.to_string())),
                };
                if self.capturing() {
                    self.text.push(resolved);
                }
                Ok(())
            }
            Event::DocType(_) => Err(self.err(
                ErrorKind::Doctype,
                "DOCTYPE is refused: bank statements need no DTD, and DTDs bring entity expansion",
            )),
            Event::Decl(d) => {
                if let Some(Ok(enc)) = d.encoding() {
                    let enc = enc.to_ascii_lowercase();
                    if enc != "utf-8" && enc != "utf8" {
                        return Err(self.err(
                            ErrorKind::Unsupported,
                            format!("XML encoding {enc:?}: ISO 20022 messages are UTF-8"),
                        ));
                    }
                }
                Ok(())
            }
            Event::PI(_) | Event::Comment(_) | Event::Eof => Ok(()),
        }
    }

    fn capturing(&self) -> bool {
        matches!(self.capture, Some((_, depth)) if depth == self.frames.depth)
    }

    #[inline(always)]
    fn text(&mut self, t: &str) -> Result<(), Failure> {
        // Most texts are the blanks between elements: not kept, not too long.
        if self.capture.is_none() && t.len() <= MAX_ELEMENT_BYTES {
            return Ok(());
        }
        self.keep_text(t)
    }

    fn keep_text(&mut self, t: &str) -> Result<(), Failure> {
        if t.len() > MAX_ELEMENT_BYTES {
            return Err(self.err(ErrorKind::Limit, "text longer than 1 MiB"));
        }
        if self.capturing() {
            if self.text.len() + t.len() > MAX_ELEMENT_BYTES {
                return Err(self.err(ErrorKind::Limit, "element longer than 1 MiB"));
            }
            self.text.push_str(t);
        }
        Ok(())
    }

    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), Failure> {
        if e.len() > MAX_ELEMENT_BYTES {
            return Err(self.err(ErrorKind::Limit, "start tag longer than 1 MiB"));
        }
        let (tag, name) = tag_and_name(e.name().0);
        if self.frames.depth >= MAX_NESTING {
            return Err(self.err(ErrorKind::Limit, format!("elements nested deeper than {MAX_NESTING}")));
        }
        self.frames.push(tag, name);
        let depth = self.frames.depth;
        // Text is only read from elements without children.
        self.capture = None;
        match depth {
            1 => return self.root(e, tag),
            2 => return self.message_root(name),
            _ if depth > self.ignored_at => return Ok(()),
            _ if tag == Tag::Other => {
                // Every slot and context is a path of known tags.
                self.ignored_at = depth;
                return Ok(());
            }
            _ => {}
        }
        let open = self.frames.open();
        let slot = if let Some(tx) = self.tx_at {
            tx_slot(&open[tx + 1..])
        } else if let Some(n) = self.ntry_at {
            if open[n + 1..] == [Tag::NtryDtls, Tag::TxDtls] {
                self.tx_at = Some(depth - 1);
                self.frames.set_closes(Context::Transaction);
                self.entry.start_tx();
                None
            } else {
                ntry_slot(&open[n + 1..])
            }
        } else if let Some(b) = self.bal_at {
            bal_slot(&open[b + 1..])
        } else if let Some(s) = self.stmt_at {
            match &open[s + 1..] {
                [Tag::Bal] => {
                    self.bal_at = Some(depth - 1);
                    self.frames.set_closes(Context::Balance);
                    self.bal = BalanceDraft::default();
                    None
                }
                [Tag::Ntry] => {
                    self.ntry_at = Some(depth - 1);
                    self.frames.set_closes(Context::Entry);
                    self.entry.clear();
                    None
                }
                rel => stmt_slot(rel),
            }
        } else if depth == 3 && matches!(tag, Tag::Stmt | Tag::Ntfctn) {
            self.stmt_at = Some(depth - 1);
            self.frames.set_closes(Context::Statement);
            self.stmt = StatementDraft::default();
            self.stmt_count += 1;
            None
        } else {
            None
        };
        if let Some(slot) = slot {
            self.capture = Some((slot, depth));
            self.text.clear();
            self.ccy = if slot.has_ccy() { ccy_attribute(e) } else { Money::NO_CCY };
        }
        Ok(())
    }

    fn root(&mut self, e: &BytesStart<'_>, tag: Tag) -> Result<(), Failure> {
        if tag != Tag::Document {
            return Err(self.err(
                ErrorKind::Unsupported,
                format!(
                    "root element <{}> is not an ISO 20022 camt Document",
                    String::from_utf8_lossy(e.local_name().as_ref().as_bytes())
                ),
            ));
        }
        for attr in e.attributes().with_checks(false).flatten() {
            let key = attr.key.as_ref();
            if (key == "xmlns" || key.starts_with("xmlns:"))
                && let Some(ns) = parse_namespace(&attr.value)
            {
                self.namespace = Some(ns);
            }
        }
        Ok(())
    }

    fn message_root(&mut self, name: &str) -> Result<(), Failure> {
        let (message, number) = match name {
            "BkToCstmrStmt" => (Message::Statement, 53),
            "BkToCstmrDbtCdtNtfctn" => (Message::Notification, 54),
            "BkToCstmrAcctRpt" => {
                return Err(self.err(
                    ErrorKind::Unsupported,
                    "camt.052 account reports are intraday information, not statements: not read",
                ));
            }
            other => {
                return Err(
                    self.err(ErrorKind::Unsupported, format!("message <{other}> is neither camt.053 nor camt.054"))
                );
            }
        };
        match self.namespace {
            Some((msg, version)) if msg == number => {
                if !(2..=13).contains(&version) {
                    return Err(self.err(
                        ErrorKind::Unsupported,
                        format!("camt.0{number}.001.{version:02} is outside the versions read (.02 to .13)"),
                    ));
                }
            }
            Some((msg, version)) => {
                return Err(self.err(
                    ErrorKind::Namespace,
                    format!("namespace camt.{msg:03}.001.{version:02} does not match <{name}>"),
                ));
            }
            None => {
                return Err(self.err(
                    ErrorKind::Namespace,
                    "no camt namespace (urn:iso:std:iso:20022:tech:xsd:camt.05x.001.NN) on Document",
                ));
            }
        }
        self.message = Some(message);
        Ok(())
    }

    /// Inlined into the event loop: most elements deliver no text and close
    /// no context, and that path is a few comparisons.
    #[inline(always)]
    fn end(&mut self) -> Result<(), Failure> {
        let depth = self.frames.depth;
        if depth < self.ignored_at {
            if matches!(self.capture, Some((_, d)) if d == depth) {
                self.deliver_capture()?;
            }
            if self.frames.closes() != Context::None {
                self.close_context()?;
            }
        } else if depth == self.ignored_at {
            self.ignored_at = usize::MAX;
        }
        self.frames.pop();
        Ok(())
    }

    #[inline(never)]
    fn deliver_capture(&mut self) -> Result<(), Failure> {
        let Some((slot, _)) = self.capture.take() else { return Ok(()) };
        let text = std::mem::take(&mut self.text);
        let r = self.deliver(slot, &text);
        self.text = text;
        r
    }

    /// Closes the statement, balance, entry or transaction the innermost
    /// element opened.
    #[inline(never)]
    fn close_context(&mut self) -> Result<(), Failure> {
        match self.frames.closes() {
            Context::None => {}
            Context::Transaction => {
                self.tx_at = None;
                self.entry.end_tx();
            }
            Context::Entry => {
                self.ntry_at = None;
                let index = self.stmt.entry_count;
                self.entry.finish(&mut self.stmt, index).map_err(|(k, m)| self.err(k, m))?;
                self.stmt.entry_count += 1;
            }
            Context::Balance => {
                self.bal_at = None;
                let bal = std::mem::take(&mut self.bal);
                bal.finish(&mut self.stmt).map_err(|(k, m)| self.err(k, m))?;
            }
            Context::Statement => {
                self.stmt_at = None;
                let stmt = std::mem::take(&mut self.stmt);
                self.statements.push(stmt.finish());
            }
        }
        Ok(())
    }

    fn deliver(&mut self, slot: Slot, text: &str) -> Result<(), Failure> {
        let ccy = self.ccy;
        let r = match slot {
            Slot::StmtId | Slot::StmtElSeq | Slot::StmtLglSeq | Slot::AcctId | Slot::AcctCcy => {
                self.stmt.set(slot, text);
                Ok(())
            }
            Slot::BalCode | Slot::BalAmt | Slot::BalCdtDbt | Slot::BalDate => self.bal.set(slot, text, ccy),
            Slot::NtryRef
            | Slot::NtryAmt
            | Slot::NtryCdtDbt
            | Slot::NtryRvsl
            | Slot::NtrySts
            | Slot::NtryBookg
            | Slot::NtryVal
            | Slot::NtryAcctSvcrRef
            | Slot::NtryAddtlInf
            | Slot::NtryChrgRecord
            | Slot::NtryChrgTotal => self.entry.set(slot, text, ccy),
            _ => match self.entry.current_tx() {
                Some(tx) => TxDraft::set(tx, slot, text, ccy),
                None => Ok(()),
            },
        };
        r.map_err(|(k, m)| self.err(k, m))
    }

    fn finish(self) -> Result<ParsedFile, ParseError> {
        let Some((number, version)) = self.namespace.filter(|_| self.message.is_some()) else {
            return Err(ParseError::new(ErrorKind::Empty, "the XML document holds no camt message"));
        };
        if self.stmt_count == 0 {
            return Err(ParseError::new(
                ErrorKind::Empty,
                "the camt message holds no statement (Stmt) or notification (Ntfctn)",
            ));
        }
        let format = if number == 53 { Format::Camt053 { version } } else { Format::Camt054 { version } };
        Ok(ParsedFile { format, statements: self.statements })
    }
}

/// `urn:iso:std:iso:20022:tech:xsd:camt.053.001.08` -> (53, 8).
fn parse_namespace(ns: &str) -> Option<(u16, u8)> {
    let rest = &ns[ns.find("camt.")? + 5..];
    let mut parts = rest.split('.');
    let msg: u16 = parts.next()?.parse().ok()?;
    let variant = parts.next()?;
    let version: u8 = parts.next()?.trim().parse().ok()?;
    if variant != "001" {
        return None;
    }
    Some((msg, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces() {
        assert_eq!(parse_namespace("urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"), Some((53, 8)));
        assert_eq!(parse_namespace("urn:x:camt.054.001.13"), Some((54, 13)));
        assert_eq!(parse_namespace("urn:x:pain.001.001.03"), None);
    }
}
