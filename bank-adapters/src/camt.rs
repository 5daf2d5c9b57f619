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

/// The element names we act on; everything else is `Other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    Document,
    Stmt,
    Ntfctn,
    Id,
    ElctrncSeqNb,
    LglSeqNb,
    Acct,
    Iban,
    Othr,
    Ccy,
    Bal,
    Tp,
    CdOrPrtry,
    Cd,
    Prtry,
    Amt,
    CdtDbtInd,
    Dt,
    DtTm,
    Ntry,
    NtryRef,
    RvslInd,
    Sts,
    BookgDt,
    ValDt,
    AcctSvcrRef,
    AddtlNtryInf,
    NtryDtls,
    TxDtls,
    Refs,
    EndToEndId,
    TxId,
    AmtDtls,
    TxAmt,
    InstdAmt,
    CntrValAmt,
    RltdPties,
    Dbtr,
    Cdtr,
    Pty,
    Nm,
    DbtrAcct,
    CdtrAcct,
    RmtInf,
    Ustrd,
    Strd,
    CdtrRefInf,
    Ref,
    AddtlRmtInf,
    AddtlTxInf,
    RtrInf,
    Rsn,
    Chrgs,
    Rcrd,
    TtlChrgsAndTaxAmt,
    Other,
}

fn tag_of(name: &[u8]) -> Tag {
    use Tag::*;
    match name {
        b"Document" => Document,
        b"Stmt" => Stmt,
        b"Ntfctn" => Ntfctn,
        b"Id" => Id,
        b"ElctrncSeqNb" => ElctrncSeqNb,
        b"LglSeqNb" => LglSeqNb,
        b"Acct" => Acct,
        b"IBAN" => Iban,
        b"Othr" => Othr,
        b"Ccy" => Ccy,
        b"Bal" => Bal,
        b"Tp" => Tp,
        b"CdOrPrtry" => CdOrPrtry,
        b"Cd" => Cd,
        b"Prtry" => Prtry,
        b"Amt" => Amt,
        b"CdtDbtInd" => CdtDbtInd,
        b"Dt" => Dt,
        b"DtTm" => DtTm,
        b"Ntry" => Ntry,
        b"NtryRef" => NtryRef,
        b"RvslInd" => RvslInd,
        b"Sts" => Sts,
        b"BookgDt" => BookgDt,
        b"ValDt" => ValDt,
        b"AcctSvcrRef" => AcctSvcrRef,
        b"AddtlNtryInf" => AddtlNtryInf,
        b"NtryDtls" => NtryDtls,
        b"TxDtls" => TxDtls,
        b"Refs" => Refs,
        b"EndToEndId" => EndToEndId,
        b"TxId" => TxId,
        b"AmtDtls" => AmtDtls,
        b"TxAmt" => TxAmt,
        b"InstdAmt" => InstdAmt,
        b"CntrValAmt" => CntrValAmt,
        b"RltdPties" => RltdPties,
        b"Dbtr" => Dbtr,
        b"Cdtr" => Cdtr,
        b"Pty" => Pty,
        b"Nm" => Nm,
        b"DbtrAcct" => DbtrAcct,
        b"CdtrAcct" => CdtrAcct,
        b"RmtInf" => RmtInf,
        b"Ustrd" => Ustrd,
        b"Strd" => Strd,
        b"CdtrRefInf" => CdtrRefInf,
        b"Ref" => Ref,
        b"AddtlRmtInf" => AddtlRmtInf,
        b"AddtlTxInf" => AddtlTxInf,
        b"RtrInf" => RtrInf,
        b"Rsn" => Rsn,
        b"Chrgs" => Chrgs,
        b"Rcrd" => Rcrd,
        b"TtlChrgsAndTaxAmt" => TtlChrgsAndTaxAmt,
        _ => Other,
    }
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

/// The reader's state between events.
struct State {
    stack: Vec<Tag>,
    /// `/Document/BkToCstmrStmt/...`, for error messages.
    path: String,
    path_marks: Vec<usize>,
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
    let mut src = SliceSource::new(bytes);
    run(&mut src).map_err(|e| e.locate_in(bytes))
}

pub(crate) fn parse_reader<R: BufRead>(reader: R) -> Result<ParsedFile, ParseError> {
    let mut src = BufSource::new(reader);
    run(&mut src)
}

fn run<S: XmlSource>(src: &mut S) -> Result<ParsedFile, ParseError> {
    let mut st = State {
        stack: Vec::with_capacity(MAX_NESTING),
        path: String::with_capacity(256),
        path_marks: Vec::with_capacity(MAX_NESTING),
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
                return Err(st.error(ErrorKind::Xml, message, pos));
            }
        };
        let done = matches!(event, Event::Eof);
        let result = st.handle(event);
        if let Err(mut e) = result {
            if e.position.offset.is_none() {
                e.position.offset = Some(src.position());
            }
            return Err(e);
        }
        if src.position() > MAX_FILE_BYTES {
            let pos = src.position();
            return Err(st.error(ErrorKind::Limit, format!("file larger than {MAX_FILE_BYTES} bytes"), pos));
        }
        if done {
            break;
        }
    }
    st.finish()
}

impl State {
    fn error(&self, kind: ErrorKind, message: impl Into<String>, offset: u64) -> ParseError {
        let mut e = ParseError::new(kind, message);
        e.position.offset = Some(offset);
        if !self.path.is_empty() {
            e.position.xml_path = Some(self.path.clone());
        }
        e
    }

    /// An error at the current element; the caller fills in the offset.
    fn err(&self, kind: ErrorKind, message: impl Into<String>) -> ParseError {
        let mut e = ParseError::new(kind, message);
        if !self.path.is_empty() {
            e.position.xml_path = Some(self.path.clone());
        }
        e
    }

    fn handle(&mut self, event: &Event<'_>) -> Result<(), ParseError> {
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
        matches!(self.capture, Some((_, depth)) if depth == self.stack.len())
    }

    fn text(&mut self, t: &str) -> Result<(), ParseError> {
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

    fn start(&mut self, e: &BytesStart<'_>) -> Result<(), ParseError> {
        if e.len() > MAX_ELEMENT_BYTES {
            return Err(self.err(ErrorKind::Limit, "start tag longer than 1 MiB"));
        }
        let name = local_name(e.name().0);
        if self.stack.len() >= MAX_NESTING {
            return Err(self.err(ErrorKind::Limit, format!("elements nested deeper than {MAX_NESTING}")));
        }
        let tag = tag_of(name.as_bytes());
        self.path_marks.push(self.path.len());
        self.path.push('/');
        self.path.push_str(name);
        self.stack.push(tag);
        let depth = self.stack.len();
        match depth {
            1 => return self.root(e, tag),
            2 => return self.message_root(name),
            _ => {}
        }
        let slot = if let Some(tx) = self.tx_at {
            tx_slot(&self.stack[tx + 1..])
        } else if let Some(n) = self.ntry_at {
            if self.stack[n + 1..] == [Tag::NtryDtls, Tag::TxDtls] {
                self.tx_at = Some(depth - 1);
                self.entry.start_tx();
                None
            } else {
                ntry_slot(&self.stack[n + 1..])
            }
        } else if let Some(b) = self.bal_at {
            bal_slot(&self.stack[b + 1..])
        } else if let Some(s) = self.stmt_at {
            match &self.stack[s + 1..] {
                [Tag::Bal] => {
                    self.bal_at = Some(depth - 1);
                    self.bal = BalanceDraft::default();
                    None
                }
                [Tag::Ntry] => {
                    self.ntry_at = Some(depth - 1);
                    self.entry.clear();
                    None
                }
                rel => stmt_slot(rel),
            }
        } else if depth == 3 && matches!(tag, Tag::Stmt | Tag::Ntfctn) {
            self.stmt_at = Some(depth - 1);
            self.stmt = StatementDraft::default();
            self.stmt_count += 1;
            None
        } else {
            None
        };
        self.capture = None;
        if let Some(slot) = slot {
            self.capture = Some((slot, depth));
            self.text.clear();
            self.ccy = Money::NO_CCY;
            if slot.has_ccy()
                && let Ok(Some(a)) = e.try_get_attribute("Ccy")
            {
                self.ccy = Money::ccy_from(a.value.as_bytes());
            }
        }
        Ok(())
    }

    fn root(&mut self, e: &BytesStart<'_>, tag: Tag) -> Result<(), ParseError> {
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

    fn message_root(&mut self, name: &str) -> Result<(), ParseError> {
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

    fn end(&mut self) -> Result<(), ParseError> {
        let depth = self.stack.len();
        if let Some((slot, d)) = self.capture
            && d == depth
        {
            self.capture = None;
            let text = std::mem::take(&mut self.text);
            let r = self.deliver(slot, &text);
            self.text = text;
            r?;
        }
        let at = depth.saturating_sub(1);
        if self.tx_at == Some(at) {
            self.tx_at = None;
            self.entry.end_tx();
        } else if self.ntry_at == Some(at) {
            self.ntry_at = None;
            let index = self.stmt.entry_count;
            self.entry.finish(&mut self.stmt, index).map_err(|(k, m)| self.err(k, m))?;
            self.stmt.entry_count += 1;
        } else if self.bal_at == Some(at) {
            self.bal_at = None;
            let bal = std::mem::take(&mut self.bal);
            bal.finish(&mut self.stmt).map_err(|(k, m)| self.err(k, m))?;
        } else if self.stmt_at == Some(at) {
            self.stmt_at = None;
            let stmt = std::mem::take(&mut self.stmt);
            self.statements.push(stmt.finish());
        }
        self.stack.pop();
        if let Some(mark) = self.path_marks.pop() {
            self.path.truncate(mark);
        }
        Ok(())
    }

    fn deliver(&mut self, slot: Slot, text: &str) -> Result<(), ParseError> {
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
