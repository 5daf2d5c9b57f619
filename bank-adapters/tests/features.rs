//! The behaviours the issue names, each on a small statement written here.

// A test that cannot read its own fixtures should stop loudly.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use bank_adapters::{Direction, ErrorKind, Format, ParseOptions, ParsedFile, Status, parse, parse_reader};

fn read(bytes: &[u8]) -> ParsedFile {
    let opts = ParseOptions::default();
    let a = parse(bytes, &opts).unwrap_or_else(|e| panic!("{e}"));
    let b = parse_reader(bytes, &opts).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a, b, "in-place and streamed reads agree");
    a
}

fn camt(version: &str, balances: &str, entries: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}">
 <BkToCstmrStmt>
  <GrpHdr><MsgId>M1</MsgId><CreDtTm>2025-03-04T06:00:00</CreDtTm></GrpHdr>
  <Stmt>
   <Id>S1</Id><ElctrncSeqNb>7</ElctrncSeqNb>
   <Acct><Id><IBAN>GR1601101250000000012300695</IBAN></Id><Ccy>EUR</Ccy></Acct>
   {balances}
   {entries}
  </Stmt>
 </BkToCstmrStmt>
</Document>"#
    )
}

fn bal(code: &str, amount: &str, ind: &str) -> String {
    format!(
        "<Bal><Tp><CdOrPrtry><Cd>{code}</Cd></CdOrPrtry></Tp><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Dt><Dt>2025-03-03</Dt></Dt></Bal>"
    )
}

fn tx(amount: &str, e2e: &str, rmt: &str) -> String {
    format!(
        "<TxDtls><Refs><AcctSvcrRef>TX-{e2e}</AcctSvcrRef><EndToEndId>{e2e}</EndToEndId></Refs>\
         <Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>CRDT</CdtDbtInd>\
         <RltdPties><Dbtr><Pty><Nm>ΓΕΩΡΓΙΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ</Nm></Pty></Dbtr>\
         <DbtrAcct><Id><IBAN>GR9608100010000001234567890</IBAN></Id></DbtrAcct></RltdPties>\
         <RmtInf>{rmt}</RmtInf></TxDtls>"
    )
}

fn entry(amount: &str, ind: &str, extra: &str, txs: &str) -> String {
    format!(
        "<Ntry><NtryRef>N1</NtryRef><Amt Ccy=\"EUR\">{amount}</Amt><CdtDbtInd>{ind}</CdtDbtInd>{extra}\
         <Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>2025-03-03</Dt></BookgDt><ValDt><Dt>2025-03-02</Dt></ValDt>\
         <AcctSvcrRef>E-1</AcctSvcrRef><NtryDtls>{txs}</NtryDtls></Ntry>"
    )
}

const SCOR: &str =
    "<Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry></Tp><Ref>RF18539007547034</Ref></CdtrRefInf></Strd>";

#[test]
fn batch_entry_with_three_txdtls_is_three_lines() {
    let txs = [tx("10.00", "A", SCOR), tx("20.50", "B", ""), tx("5.25", "C", "")].concat();
    let xml = camt(
        "08",
        &[bal("OPBD", "100.00", "CRDT"), bal("CLBD", "135.75", "CRDT")].concat(),
        &entry("35.75", "CRDT", "", &txs),
    );
    let f = read(xml.as_bytes());
    assert_eq!(f.format, Format::Camt053 { version: 8 });
    let s = &f.statements[0];
    assert_eq!(s.sequence.as_deref(), Some("7"));
    let amounts: Vec<_> = s.lines().map(|l| l.amount_cents).collect();
    assert_eq!(amounts, [Some(1000), Some(2050), Some(525)]);
    assert!(s.lines().all(|l| l.entry_reference() == Some("N1") && l.entry_index == 0));
    assert_eq!(s.line(1).end_to_end_id(), Some("B"));
    assert_eq!(s.line(1).bank_reference(), Some("TX-B"));
    assert_eq!(s.line(0).counterparty_name(), Some("ΓΕΩΡΓΙΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ"));
    assert_eq!(s.line(0).counterparty_account(), Some("GR9608100010000001234567890"));
    assert_eq!(s.line(0).booking_date.map(|d| d.to_string()).as_deref(), Some("2025-03-03"));
    assert_eq!(s.line(0).value_date.map(|d| d.to_string()).as_deref(), Some("2025-03-02"));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn batch_that_does_not_add_up_warns_unless_charges_explain_it() {
    let txs = [tx("10.00", "A", ""), tx("20.00", "B", "")].concat();
    let f = read(camt("04", "", &entry("29.00", "CRDT", "", &txs)).as_bytes());
    assert_eq!(f.statements[0].warnings.len(), 1, "{:?}", f.statements[0].warnings);
    let charged = entry("29.00", "CRDT", "", &txs.to_string())
        .replace("<NtryDtls>", "<Chrgs><TtlChrgsAndTaxAmt Ccy=\"EUR\">1.00</TtlChrgsAndTaxAmt></Chrgs><NtryDtls>");
    let f = read(camt("04", "", &charged).as_bytes());
    assert!(f.statements[0].warnings.is_empty(), "{:?}", f.statements[0].warnings);
}

#[test]
fn camt_reversal_debits_the_account() {
    let t = tx("12.30", "R", SCOR).replace("<CdtDbtInd>CRDT</CdtDbtInd>", "<CdtDbtInd>DBIT</CdtDbtInd>");
    let f = read(camt("08", "", &entry("12.30", "DBIT", "<RvslInd>true</RvslInd>", &t)).as_bytes());
    let l = f.statements[0].line(0);
    assert!(l.reversal);
    assert_eq!(l.direction, Direction::Debit);
    // The reversal keeps the parties of the credit it undoes: the payer.
    assert_eq!(l.counterparty_name(), Some("ΓΕΩΡΓΙΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ"));
}

#[test]
fn pending_entry_is_pending_and_outside_the_balance_check() {
    let pending = entry("50.00", "CRDT", "", &tx("50.00", "P", "")).replace("<Cd>BOOK</Cd>", "<Cd>PDNG</Cd>");
    let booked = entry("10.00", "CRDT", "", &tx("10.00", "B", ""));
    let bals = [bal("OPBD", "100.00", "CRDT"), bal("CLBD", "110.00", "CRDT")].concat();
    let f = read(camt("10", &bals, &[pending, booked].concat()).as_bytes());
    let s = &f.statements[0];
    assert_eq!(s.line(0).status, Status::Pending);
    assert_eq!(s.line(1).status, Status::Booked);
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn foreign_currency_txdtls_uses_the_account_currency_amount() {
    let t = "<TxDtls><Refs><EndToEndId>FX</EndToEndId></Refs><Amt Ccy=\"USD\">110.00</Amt>\
             <AmtDtls><InstdAmt><Amt Ccy=\"USD\">110.00</Amt></InstdAmt><TxAmt><Amt Ccy=\"EUR\">101.37</Amt></TxAmt></AmtDtls></TxDtls>";
    let two = [t, &tx("8.63", "X", "")].concat();
    let f = read(camt("08", "", &entry("110.00", "CRDT", "", &two)).as_bytes());
    assert_eq!(f.statements[0].line(0).amount_cents, Some(10137));
    assert!(f.statements[0].warnings.is_empty(), "{:?}", f.statements[0].warnings);
}

#[test]
fn rf_structured_and_in_print_format_in_ustrd() {
    let print = "<Ustrd>ΠΛΗΡΩΜΗ ΤΕΛΩΝ rf18 5390 0754 7034 ΕΥΧΑΡΙΣΤΩ</Ustrd>";
    let entries =
        [entry("1.00", "CRDT", "", &tx("1.00", "S", SCOR)), entry("2.00", "CRDT", "", &tx("2.00", "U", print))]
            .concat();
    let f = read(camt("08", "", &entries).as_bytes());
    let s = &f.statements[0];
    assert_eq!(s.line(0).creditor_reference(), Some("RF18539007547034"));
    assert_eq!(s.line(1).creditor_reference(), Some("RF18539007547034"));
    assert_eq!(s.line(1).remittance(), Some("ΠΛΗΡΩΜΗ ΤΕΛΩΝ rf18 5390 0754 7034 ΕΥΧΑΡΙΣΤΩ"));
}

#[test]
fn balances_that_do_not_add_up_warn() {
    let bals = [bal("OPBD", "100.00", "CRDT"), bal("CLBD", "120.00", "CRDT")].concat();
    let f = read(camt("08", &bals, &entry("10.00", "CRDT", "", &tx("10.00", "A", ""))).as_bytes());
    let w = &f.statements[0].warnings;
    assert_eq!(w.len(), 1);
    assert!(w[0].contains("do not add up"), "{w:?}");
    assert_eq!(f.statements[0].opening_balance.map(|b| b.amount_cents), Some(10000));
}

#[test]
fn doctype_is_refused() {
    let xml = camt("08", "", "").replace("<Document", "<!DOCTYPE Document [<!ENTITY x \"y\">]>\n<Document");
    let e = parse(xml.as_bytes(), &ParseOptions::default()).expect_err("refused");
    assert_eq!(e.kind, ErrorKind::Doctype);
    assert!(e.to_string().contains("line 2"), "{e}");
}

#[test]
fn sub_cent_amount_is_an_error_naming_the_place_and_trailing_zeros_are_fine() {
    let xml = camt("08", "", &entry("18.155", "CRDT", "", ""));
    let e = parse(xml.as_bytes(), &ParseOptions::default()).expect_err("refused");
    assert_eq!(e.kind, ErrorKind::Amount);
    let text = e.to_string();
    assert!(text.contains("/Document/BkToCstmrStmt/Stmt/Ntry/Amt") && text.contains("line 9"), "{text}");
    let f = read(camt("08", "", &entry("18.150", "CRDT", "", "")).as_bytes());
    assert_eq!(f.statements[0].line(0).amount_cents, Some(1815));
}

#[test]
fn camt_052_and_other_roots_get_clear_errors() {
    let xml = camt("08", "", "").replace("BkToCstmrStmt", "BkToCstmrAcctRpt").replace("camt.053", "camt.052");
    let e = parse(xml.as_bytes(), &ParseOptions::default()).expect_err("refused");
    assert_eq!(e.kind, ErrorKind::Unsupported);
    assert!(e.to_string().contains("camt.052"), "{e}");
    let e = parse(b"<html/>", &ParseOptions::default()).expect_err("refused");
    assert_eq!(e.kind, ErrorKind::Unsupported);
}

const MT940: &str = ":20:STMT1
:25:GR1601101250000000012300695
:28C:00001/001
:60F:C250302EUR100,00
:61:2503030303C25,00NTRFE2E1//BANK1
:86:/EREF/E2E1/REMI/SCOR/RF18539007547034/ORDP/NAME/MARIA
:61:2503030303RC10,00NTRFNONREF//BANK2
:86:RETURN
:61:2503030303RDR5,00NTRFNONREF//BANK3
:86:PAYMENT RF18 5390 0754 7
034 THANKS
:62F:C250303EUR120,00
-";

#[test]
fn mt940_reversals_and_rf_split_across_86_lines() {
    let f = read(MT940.as_bytes());
    assert_eq!(f.format, Format::Mt940);
    let s = &f.statements[0];
    assert_eq!(s.id.as_deref(), Some("STMT1"));
    let l = |i| s.line(i);
    assert_eq!((l(0).direction, l(0).reversal), (Direction::Credit, false));
    assert_eq!(l(0).creditor_reference(), Some("RF18539007547034"));
    assert_eq!(l(0).end_to_end_id(), Some("E2E1"));
    assert_eq!(l(0).counterparty_name(), Some("MARIA"));
    // RC: a credit reversed, so money leaves the account.
    assert_eq!((l(1).direction, l(1).reversal, l(1).amount_cents), (Direction::Debit, true, Some(1000)));
    // RD with funds code R: a debit reversed, so money comes back.
    assert_eq!((l(2).direction, l(2).reversal, l(2).amount_cents), (Direction::Credit, true, Some(500)));
    assert_eq!(l(2).creditor_reference(), Some("RF18539007547034"));
    assert_eq!(l(1).entry_reference(), None);
    assert_eq!(l(1).bank_reference(), Some("BANK2"));
    // 100 + 25 - 10 + 5 = 120.
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn mt940_pages_are_joined() {
    let pages = ":20:P1\n:25:ACC\n:28C:5/1\n:60F:C250302EUR100,00\n:61:2503030303C1,00NTRFA\n:62M:C250303EUR101,00\n-\n\
                 :20:P2\n:25:ACC\n:28C:5/2\n:60M:C250303EUR101,00\n:61:2503030303D2,00NTRFB\n:62F:C250303EUR99,00\n-\n";
    let f = read(pages.as_bytes());
    assert_eq!(f.statements.len(), 1);
    let s = &f.statements[0];
    assert_eq!(s.lines().len(), 2);
    assert_eq!(s.line(1).entry_index, 1);
    assert_eq!(s.closing_balance.map(|b| b.amount_cents), Some(9900));
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn mt942_lines_are_information() {
    let f = read(
        b":20:X\n:25:ACC\n:28C:1\n:34F:EURD0,00\n:13D:2503031200+0200\n:61:2503030303C5,00NTRFA\n:90C:1EUR5,00\n-\n",
    );
    assert_eq!(f.format, Format::Mt942);
    assert_eq!(f.statements[0].line(0).status, Status::Info);
}

#[test]
fn windows_1253_mt940_with_greek_names() {
    let text = ":20:GR1\n:25:GR1601101250000000012300695\n:28C:1\n:60F:C250302EUR0,00\n\
                :61:2503030303C15,00NTRFNONREF//B1\n:86:/EREF/E1/ORDP/NAME/ΓΕΩΡΓΙΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ/REMI/USTD//ΤΕΛΗ ΚΑΘΑΡΙΟΤΗΤΑΣ\n\
                :62F:C250303EUR15,00\n-\n";
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1253.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err(), "the test file really is not UTF-8");
    let f = read(&bytes);
    let l = f.statements[0].line(0);
    assert_eq!(l.counterparty_name(), Some("ΓΕΩΡΓΙΟΣ ΠΑΠΑΔΟΠΟΥΛΟΣ"));
    assert_eq!(l.remittance(), Some("ΤΕΛΗ ΚΑΘΑΡΙΟΤΗΤΑΣ"));
}

#[test]
fn mt940_errors_name_line_and_column() {
    let e = parse(b":20:X\n:60F:C250302EUR1,005\n", &ParseOptions::default()).expect_err("refused");
    assert_eq!(e.kind, ErrorKind::Amount);
    assert!(e.to_string().contains("line 2, column 16"), "{e}");
}

#[test]
fn rf_candidates_from_free_text() {
    assert_eq!(
        bank_adapters::find_rf_candidates("a RF18 5390 0754 7034 b RF712348231 c RF19539007547034"),
        ["RF18539007547034", "RF712348231"]
    );
}
