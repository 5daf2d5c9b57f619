//! What the camt reader collects per statement, balance, entry and `TxDtls`,
//! and how an entry becomes lines: which amount counts, who the counterparty
//! is, which reference is the creditor's.

use crate::amount::parse_cents;
use crate::camt::Slot;
use crate::checks::{balance_warning, batch_warning};
use crate::error::ErrorKind;
use crate::model::{Balance, Date, Direction, LineList, LineScalars, Statement, Status, TextDraft, TextField, trim};
use crate::rf_scan::find_rf_candidates;

/// An error without position; the reader adds the XML path and offset.
pub(crate) type Fail = (ErrorKind, String);

/// An amount with its `Ccy` attribute (`[0; 3]` when absent or malformed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Money {
    pub cents: i64,
    pub ccy: [u8; 3],
}

impl Money {
    pub const NO_CCY: Money = Money { cents: 0, ccy: [0; 3] };

    pub fn ccy_from(bytes: &[u8]) -> Money {
        let mut ccy = [0u8; 3];
        if bytes.len() == 3 {
            ccy.copy_from_slice(bytes);
        }
        Money { cents: 0, ccy }
    }

    fn parse(text: &str, ccy: Money) -> Result<Money, Fail> {
        let cents = parse_cents(text, b'.').map_err(|e| (ErrorKind::Amount, e.describe(text)))?;
        Ok(Money { cents, ccy: ccy.ccy })
    }

    fn in_ccy(self, ccy: [u8; 3]) -> bool {
        // An amount without a currency is taken to be in the account's.
        self.ccy == ccy || self.ccy == [0; 3] || ccy == [0; 3]
    }
}

fn cdt_dbt(text: &str) -> Result<Direction, Fail> {
    match trim(text) {
        "CRDT" => Ok(Direction::Credit),
        "DBIT" => Ok(Direction::Debit),
        other => Err((ErrorKind::Invalid, format!("CdtDbtInd {other:?} is neither CRDT nor DBIT"))),
    }
}

/// `2014-12-31`, or the date part of `2014-12-31T10:00:00+01:00` / `2014-12-31+01:00`.
pub(crate) fn parse_iso_date(text: &str) -> Result<Date, Fail> {
    let t = trim(text);
    let b = t.as_bytes();
    let bad = || (ErrorKind::Date, format!("malformed date {t:?}"));
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Option<u16> {
        let s = t.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) { s.parse().ok() } else { None }
    };
    let (Some(y), Some(m), Some(d)) = (num(0..4), num(5..7), num(8..10)) else {
        return Err(bad());
    };
    Date::new(y, m as u8, d as u8).ok_or_else(bad)
}

fn set_first(dst: &mut String, text: &str) {
    if dst.is_empty() {
        dst.push_str(trim(text));
    }
}

fn add_charge(acc: &mut Option<i64>, text: &str, ccy: Money) -> Result<(), Fail> {
    let m = Money::parse(text, ccy)?;
    *acc = Some(acc.unwrap_or(0).saturating_add(m.cents));
    Ok(())
}

/// A reference placeholder that means "none" (ISO 20022 `NOTPROVIDED`, SWIFT `NONREF`).
/// Inlined, lengths first: most references are told apart without a call or a comparison.
#[inline(always)]
pub(crate) fn is_placeholder(r: &str) -> bool {
    matches!(r.len(), 6 | 11) && (r.eq_ignore_ascii_case("NOTPROVIDED") || r.eq_ignore_ascii_case("NONREF"))
}

fn real_ref(r: &str) -> Option<&str> {
    let r = trim(r);
    (!r.is_empty() && !is_placeholder(r)).then_some(r)
}

fn non_empty(s: &str) -> Option<&str> {
    let s = trim(s);
    (!s.is_empty()).then_some(s)
}

#[derive(Debug, Default)]
pub(crate) struct StatementDraft {
    id: String,
    el_seq: String,
    lgl_seq: String,
    account: String,
    ccy: String,
    /// Opening balance with its preference (OPBD before PRCD).
    opening: Option<(Balance, u8)>,
    closing: Option<Balance>,
    lines: LineList,
    warnings: Vec<String>,
    /// Signed sum of booked entry amounts; `None` once it overflowed.
    booked_sum: Option<i64>,
    pub entry_count: u32,
    first_entry_ccy: [u8; 3],
    texts: TextDraft,
}

impl StatementDraft {
    pub fn set(&mut self, slot: Slot, text: &str) {
        match slot {
            Slot::StmtId => set_first(&mut self.id, text),
            Slot::StmtElSeq => set_first(&mut self.el_seq, text),
            Slot::StmtLglSeq => set_first(&mut self.lgl_seq, text),
            Slot::AcctId => set_first(&mut self.account, text),
            Slot::AcctCcy => set_first(&mut self.ccy, text),
            _ => {}
        }
    }

    fn account_ccy(&self) -> [u8; 3] {
        let mut ccy = [0u8; 3];
        if self.ccy.len() == 3 {
            ccy.copy_from_slice(self.ccy.as_bytes());
            ccy
        } else {
            self.first_entry_ccy
        }
    }

    /// Adds a line; the texts are copied, `texts` can be reused.
    fn push_line(&mut self, scalars: LineScalars) {
        self.lines.push(scalars, &self.texts);
    }

    pub fn finish(self) -> Statement {
        let opt = |s: String| (!s.is_empty()).then_some(s);
        let currency = opt(self.ccy).or_else(|| {
            (self.first_entry_ccy != [0; 3]).then(|| String::from_utf8_lossy(&self.first_entry_ccy).into_owned())
        });
        let opening = self.opening.map(|(b, _)| b);
        let mut warnings = self.warnings;
        let booked = if self.entry_count == 0 { Some(0) } else { self.booked_sum };
        if let Some(w) = balance_warning(opening.map(|b| b.amount_cents), self.closing.map(|b| b.amount_cents), booked)
        {
            warnings.push(w);
        }
        Statement {
            id: opt(self.id),
            sequence: opt(self.el_seq).or(opt(self.lgl_seq)),
            account: opt(self.account),
            currency,
            opening_balance: opening,
            closing_balance: self.closing,
            lines: self.lines.finished(),
            warnings,
        }
    }
}

#[derive(Debug, Default)]
pub(crate) struct BalanceDraft {
    code: String,
    amount: String,
    direction: Option<Direction>,
    date: Option<Date>,
}

impl BalanceDraft {
    pub fn set(&mut self, slot: Slot, text: &str, _ccy: Money) -> Result<(), Fail> {
        match slot {
            Slot::BalCode => set_first(&mut self.code, text),
            Slot::BalAmt => set_first(&mut self.amount, text),
            Slot::BalCdtDbt => self.direction = Some(cdt_dbt(text)?),
            Slot::BalDate => self.date = Some(parse_iso_date(text)?),
            _ => {}
        }
        Ok(())
    }

    pub fn finish(self, stmt: &mut StatementDraft) -> Result<(), Fail> {
        let preference = match self.code.as_str() {
            "OPBD" => Some(0),
            "PRCD" => Some(1),
            "CLBD" => None,
            // Available and interim balances play no part in the checks.
            _ => return Ok(()),
        };
        let cents = Money::parse(&self.amount, Money::NO_CCY)?.cents;
        let direction =
            self.direction.ok_or_else(|| (ErrorKind::Invalid, format!("{} balance without CdtDbtInd", self.code)))?;
        let balance = Balance { amount_cents: direction.signed(cents), date: self.date };
        match preference {
            Some(p) => {
                if stmt.opening.is_none_or(|(_, q)| p < q) {
                    stmt.opening = Some((balance, p));
                }
            }
            None => {
                if stmt.closing.is_none() {
                    stmt.closing = Some(balance);
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, Default)]
pub(crate) struct TxDraft {
    e2e: String,
    tx_id: String,
    acct_svcr_ref: String,
    amt: Option<Money>,
    tx_amt: Option<Money>,
    instd: Option<Money>,
    cntr_val: Option<Money>,
    direction: Option<Direction>,
    dbtr_nm: String,
    cdtr_nm: String,
    dbtr_acct: String,
    cdtr_acct: String,
    ustrd: String,
    cdtr_ref_tp: String,
    cdtr_ref: String,
    addtl_rmt: String,
    addtl_tx: String,
    rtr_rsn: String,
    chrg_records: Option<i64>,
    chrg_total: Option<i64>,
}

impl TxDraft {
    fn clear(&mut self) {
        for s in [
            &mut self.e2e,
            &mut self.tx_id,
            &mut self.acct_svcr_ref,
            &mut self.dbtr_nm,
            &mut self.cdtr_nm,
            &mut self.dbtr_acct,
            &mut self.cdtr_acct,
            &mut self.ustrd,
            &mut self.cdtr_ref_tp,
            &mut self.cdtr_ref,
            &mut self.addtl_rmt,
            &mut self.addtl_tx,
            &mut self.rtr_rsn,
        ] {
            s.clear();
        }
        self.amt = None;
        self.tx_amt = None;
        self.instd = None;
        self.cntr_val = None;
        self.direction = None;
        self.chrg_records = None;
        self.chrg_total = None;
    }

    pub fn set(tx: &mut TxDraft, slot: Slot, text: &str, ccy: Money) -> Result<(), Fail> {
        match slot {
            Slot::TxE2E => set_first(&mut tx.e2e, text),
            Slot::TxId => set_first(&mut tx.tx_id, text),
            Slot::TxAcctSvcrRef => set_first(&mut tx.acct_svcr_ref, text),
            Slot::TxAmt => tx.amt = Some(Money::parse(text, ccy)?),
            Slot::TxAmtDtlsTx => tx.tx_amt = Some(Money::parse(text, ccy)?),
            Slot::TxInstd => tx.instd = Some(Money::parse(text, ccy)?),
            Slot::TxCntrVal => tx.cntr_val = Some(Money::parse(text, ccy)?),
            Slot::TxCdtDbt => tx.direction = Some(cdt_dbt(text)?),
            Slot::DbtrNm => set_first(&mut tx.dbtr_nm, text),
            Slot::CdtrNm => set_first(&mut tx.cdtr_nm, text),
            Slot::DbtrAcct => set_first(&mut tx.dbtr_acct, text),
            Slot::CdtrAcct => set_first(&mut tx.cdtr_acct, text),
            // Banks split long texts over several Ustrd at fixed widths, so the
            // parts are joined as they are, without inventing separators.
            Slot::Ustrd => tx.ustrd.push_str(text),
            Slot::CdtrRefTp => {
                tx.cdtr_ref_tp.clear();
                tx.cdtr_ref_tp.push_str(trim(text));
            }
            Slot::CdtrRef => {
                let r = trim(text);
                let is_rf = r.len() > 2 && r.as_bytes()[..2].eq_ignore_ascii_case(b"RF");
                if tx.cdtr_ref.is_empty() && (tx.cdtr_ref_tp == "SCOR" || is_rf) {
                    tx.cdtr_ref.push_str(r);
                }
                tx.cdtr_ref_tp.clear();
            }
            Slot::AddtlRmtInf => set_first(&mut tx.addtl_rmt, text),
            Slot::AddtlTxInf => set_first(&mut tx.addtl_tx, text),
            Slot::RtrRsn => set_first(&mut tx.rtr_rsn, text),
            Slot::TxChrgRecord => add_charge(&mut tx.chrg_records, text, ccy)?,
            Slot::TxChrgTotal => add_charge(&mut tx.chrg_total, text, ccy)?,
            _ => {}
        }
        Ok(())
    }

    /// The line amount in the account currency: `TxDtls/Amt`, else
    /// `AmtDtls/TxAmt`, else the counter value; `InstdAmt` only when it is all there is.
    fn account_amount(&self, ccy: [u8; 3]) -> Option<i64> {
        [self.amt, self.tx_amt, self.cntr_val]
            .into_iter()
            .flatten()
            .find(|m| m.in_ccy(ccy))
            .or_else(|| {
                let only_instd = self.amt.is_none() && self.tx_amt.is_none() && self.cntr_val.is_none();
                self.instd.filter(|m| only_instd && m.in_ccy(ccy))
            })
            .map(|m| m.cents)
    }

    fn charges(&self) -> Option<i64> {
        self.chrg_total.or(self.chrg_records)
    }
}

#[derive(Debug, Default)]
pub(crate) struct EntryDraft {
    ntry_ref: String,
    acct_svcr_ref: String,
    addtl: String,
    amount: Option<Money>,
    direction: Option<Direction>,
    reversal: bool,
    status: Option<Status>,
    booking: Option<Date>,
    value: Option<Date>,
    chrg_records: Option<i64>,
    chrg_total: Option<i64>,
    txs: Vec<TxDraft>,
    tx_count: usize,
    in_tx: bool,
}

impl EntryDraft {
    pub fn clear(&mut self) {
        self.ntry_ref.clear();
        self.acct_svcr_ref.clear();
        self.addtl.clear();
        self.amount = None;
        self.direction = None;
        self.reversal = false;
        self.status = None;
        self.booking = None;
        self.value = None;
        self.chrg_records = None;
        self.chrg_total = None;
        self.tx_count = 0;
        self.in_tx = false;
    }

    pub fn start_tx(&mut self) {
        if self.tx_count == self.txs.len() {
            self.txs.push(TxDraft::default());
        } else if let Some(tx) = self.txs.get_mut(self.tx_count) {
            tx.clear();
        }
        self.tx_count += 1;
        self.in_tx = true;
    }

    pub fn end_tx(&mut self) {
        self.in_tx = false;
    }

    pub fn current_tx(&mut self) -> Option<&mut TxDraft> {
        if self.in_tx { self.txs.get_mut(self.tx_count.checked_sub(1)?) } else { None }
    }

    pub fn set(&mut self, slot: Slot, text: &str, ccy: Money) -> Result<(), Fail> {
        match slot {
            Slot::NtryRef => set_first(&mut self.ntry_ref, text),
            Slot::NtryAmt => self.amount = Some(Money::parse(text, ccy)?),
            Slot::NtryCdtDbt => self.direction = Some(cdt_dbt(text)?),
            Slot::NtryRvsl => self.reversal = matches!(trim(text), "true" | "1"),
            Slot::NtrySts => {
                let t = trim(text);
                if !t.is_empty() {
                    self.status = Some(match t {
                        "BOOK" => Status::Booked,
                        "PDNG" | "FUTR" => Status::Pending,
                        // INFO and unknown codes: never count as booked money.
                        _ => Status::Info,
                    });
                }
            }
            Slot::NtryBookg => self.booking = Some(parse_iso_date(text)?),
            Slot::NtryVal => self.value = Some(parse_iso_date(text)?),
            Slot::NtryAcctSvcrRef => set_first(&mut self.acct_svcr_ref, text),
            Slot::NtryAddtlInf => set_first(&mut self.addtl, text),
            Slot::NtryChrgRecord => add_charge(&mut self.chrg_records, text, ccy)?,
            Slot::NtryChrgTotal => add_charge(&mut self.chrg_total, text, ccy)?,
            _ => {}
        }
        Ok(())
    }

    /// Turns the finished entry into lines on `stmt`, and runs the batch check.
    pub fn finish(&mut self, stmt: &mut StatementDraft, index: u32) -> Result<(), Fail> {
        let amount = self.amount.ok_or_else(|| (ErrorKind::Amount, format!("entry {} has no Amt", index + 1)))?;
        let direction =
            self.direction.ok_or_else(|| (ErrorKind::Invalid, format!("entry {} has no CdtDbtInd", index + 1)))?;
        if stmt.first_entry_ccy == [0; 3] {
            stmt.first_entry_ccy = amount.ccy;
        }
        let status = self.status.unwrap_or(Status::Booked);
        if index == 0 {
            stmt.booked_sum = Some(0);
        }
        if status == Status::Booked {
            stmt.booked_sum = stmt.booked_sum.and_then(|s| s.checked_add(direction.signed(amount.cents)));
        }
        let ccy = stmt.account_ccy();
        let entry_ref = real_ref(&self.ntry_ref).or_else(|| real_ref(&self.acct_svcr_ref));
        let entry_charges = self.chrg_total.or(self.chrg_records);
        let base = LineScalars {
            amount_cents: Some(amount.cents),
            direction,
            status,
            reversal: self.reversal,
            booking_date: self.booking,
            value_date: self.value,
            charges_cents: entry_charges,
            entry_index: index,
        };
        if self.tx_count == 0 {
            let texts = &mut stmt.texts;
            texts.clear();
            texts.set_opt(TextField::EntryReference, entry_ref);
            texts.set_opt(TextField::BankReference, real_ref(&self.acct_svcr_ref));
            texts.set_opt(TextField::AdditionalInfo, non_empty(&self.addtl));
            if let Some(rf) = find_rf_candidates(&self.addtl).first() {
                texts.set(TextField::CreditorReference, rf);
            }
            stmt.push_line(base);
            return Ok(());
        }
        let single = self.tx_count == 1;
        let mut tx_sum: Option<i64> = Some(0);
        let mut all_from_tx = true;
        let mut tx_charges: Option<i64> = None;
        let mut missing = 0usize;
        for tx in self.txs.iter().take(self.tx_count) {
            let own = tx.account_amount(ccy);
            all_from_tx &= own.is_some();
            // A batch may list its transactions without their amounts: the
            // lines keep their references, and the amount stays unknown.
            let cents = match own {
                Some(c) => Some(c),
                None if single => Some(amount.cents),
                None => {
                    missing += 1;
                    None
                }
            };
            let dir = tx.direction.unwrap_or(direction);
            let same = dir == direction;
            let c = cents.unwrap_or(0);
            tx_sum = tx_sum.and_then(|s| if same { s.checked_add(c) } else { s.checked_sub(c) });
            if let Some(c) = tx.charges() {
                tx_charges = Some(tx_charges.unwrap_or(0).saturating_add(c));
            }
            let texts = &mut stmt.texts;
            texts.clear();
            texts.set_opt(TextField::EntryReference, entry_ref);
            texts.set_opt(
                TextField::BankReference,
                real_ref(&tx.acct_svcr_ref).or_else(|| real_ref(&self.acct_svcr_ref)),
            );
            texts.set_opt(TextField::EndToEndId, real_ref(&tx.e2e));
            texts.set_opt(TextField::TransactionId, real_ref(&tx.tx_id));
            let remittance = non_empty(&tx.ustrd).or_else(|| non_empty(&tx.addtl_rmt));
            texts.set_opt(TextField::Remittance, remittance);
            let additional = non_empty(&tx.addtl_tx).or_else(|| non_empty(&self.addtl));
            texts.set_opt(TextField::AdditionalInfo, additional);
            if let Some(r) = non_empty(&tx.cdtr_ref) {
                texts.set(TextField::CreditorReference, r);
            } else {
                // Free text is scanned in order of how specific it is to this line;
                // the entry's text is only this line's when it is the entry's only one.
                let mut sources = vec![tx.ustrd.as_str(), tx.addtl_rmt.as_str(), tx.addtl_tx.as_str()];
                if single {
                    sources.push(self.addtl.as_str());
                }
                if let Some(rf) = sources.into_iter().find_map(|s| find_rf_candidates(s).into_iter().next()) {
                    texts.set(TextField::CreditorReference, &rf);
                }
            }
            // The counterparty is the payer of a credit and the payee of a debit;
            // a reversal keeps the parties of the booking it undoes.
            let incoming = (dir == Direction::Credit) != self.reversal;
            let (name, acct) = if incoming { (&tx.dbtr_nm, &tx.dbtr_acct) } else { (&tx.cdtr_nm, &tx.cdtr_acct) };
            texts.set_opt(TextField::CounterpartyName, non_empty(name));
            texts.set_opt(TextField::CounterpartyAccount, non_empty(acct));
            texts.set_opt(TextField::ReturnReason, non_empty(&tx.rtr_rsn));
            let charges = tx.charges().or(if single { entry_charges } else { None });
            let scalars = LineScalars { amount_cents: cents, direction: dir, charges_cents: charges, ..base };
            stmt.push_line(scalars);
        }
        if missing > 0 {
            stmt.warnings.push(format!(
                "entry {}: {missing} of its {} transaction details give no amount in the account currency; the entry amount {} covers them",
                index + 1,
                self.tx_count,
                crate::amount::format_cents(amount.cents),
            ));
        }
        if all_from_tx
            && let Some(w) = batch_warning(index, entry_ref, amount.cents, tx_sum, &[entry_charges, tx_charges])
        {
            stmt.warnings.push(w);
        }
        Ok(())
    }
}
