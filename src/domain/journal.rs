//! Double-entry journal events and the posting table of DESIGN.md: every
//! financial fact becomes one balanced event, built only by the functions here.

use serde::{Deserialize, Serialize};

use super::money::Cents;

/// The ledger accounts Tameio posts to. Revenue codes (ΚΑΕ) ride on the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Account {
    CardClearing,
    Bank,
    UnappliedCash,
    Receivable,
    SurchargeRevenue,
    PartyCredit,
    WriteOffExpense,
    PayableToSender,
    DisputedFunds,
}

impl Account {
    pub const ALL: [Account; 9] = [
        Account::CardClearing,
        Account::Bank,
        Account::UnappliedCash,
        Account::Receivable,
        Account::SurchargeRevenue,
        Account::PartyCredit,
        Account::WriteOffExpense,
        Account::PayableToSender,
        Account::DisputedFunds,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Account::CardClearing => "card_clearing",
            Account::Bank => "bank",
            Account::UnappliedCash => "unapplied_cash",
            Account::Receivable => "receivable",
            Account::SurchargeRevenue => "surcharge_revenue",
            Account::PartyCredit => "party_credit",
            Account::WriteOffExpense => "write_off_expense",
            Account::PayableToSender => "payable_to_sender",
            Account::DisputedFunds => "disputed_funds",
        }
    }

    pub fn parse(s: &str) -> Option<Account> {
        Account::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// The facts that post to the journal, one per row of the posting table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    CardPaymentSucceeded,
    BankCreditBooked,
    Allocation,
    OverpaymentKept,
    CreditApplied,
    Refund,
    Reversal,
    Dispute,
    CardSettlement,
    NotOursBankCredit,
    WriteOff,
}

impl EventKind {
    pub const ALL: [EventKind; 11] = [
        EventKind::CardPaymentSucceeded,
        EventKind::BankCreditBooked,
        EventKind::Allocation,
        EventKind::OverpaymentKept,
        EventKind::CreditApplied,
        EventKind::Refund,
        EventKind::Reversal,
        EventKind::Dispute,
        EventKind::CardSettlement,
        EventKind::NotOursBankCredit,
        EventKind::WriteOff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::CardPaymentSucceeded => "card_payment_succeeded",
            EventKind::BankCreditBooked => "bank_credit_booked",
            EventKind::Allocation => "allocation",
            EventKind::OverpaymentKept => "overpayment_kept",
            EventKind::CreditApplied => "credit_applied",
            EventKind::Refund => "refund",
            EventKind::Reversal => "reversal",
            EventKind::Dispute => "dispute",
            EventKind::CardSettlement => "card_settlement",
            EventKind::NotOursBankCredit => "not_ours_bank_credit",
            EventKind::WriteOff => "write_off",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One side of one posting. Exactly one of `debit` and `credit` is non-zero.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalLine {
    pub account: Account,
    pub debit: Cents,
    pub credit: Cents,
    pub revenue_code: Option<String>,
    pub debt_rf: Option<String>,
}

impl JournalLine {
    pub fn debit(account: Account, amount: Cents) -> Self {
        JournalLine { account, debit: amount, credit: Cents::ZERO, revenue_code: None, debt_rf: None }
    }

    pub fn credit(account: Account, amount: Cents) -> Self {
        JournalLine { account, debit: Cents::ZERO, credit: amount, revenue_code: None, debt_rf: None }
    }

    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.revenue_code = Some(code.into());
        self
    }

    pub fn with_debt(mut self, rf: impl Into<String>) -> Self {
        self.debt_rf = Some(rf.into());
        self
    }

    /// The same posting on the other side: how reversals and disputes undo a line.
    pub fn mirrored(&self) -> Self {
        JournalLine { debit: self.credit, credit: self.debit, ..self.clone() }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JournalError {
    #[error("a journal event needs at least two lines")]
    TooFewLines,
    #[error("line {0} must carry exactly one positive side")]
    BadLine(usize),
    #[error("debits {debits} and credits {credits} differ")]
    Unbalanced { debits: i64, credits: i64 },
    #[error("amounts overflow")]
    Overflow,
}

/// A balanced set of lines for one fact; it can only be built balanced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalEntry {
    kind: EventKind,
    lines: Vec<JournalLine>,
}

impl JournalEntry {
    pub fn new(kind: EventKind, lines: Vec<JournalLine>) -> Result<Self, JournalError> {
        if lines.len() < 2 {
            return Err(JournalError::TooFewLines);
        }
        let (mut debits, mut credits) = (Cents::ZERO, Cents::ZERO);
        for (i, l) in lines.iter().enumerate() {
            let one_sided =
                (l.debit.is_zero() != l.credit.is_zero()) && !l.debit.is_negative() && !l.credit.is_negative();
            if !one_sided {
                return Err(JournalError::BadLine(i));
            }
            debits = debits.checked_add(l.debit).ok_or(JournalError::Overflow)?;
            credits = credits.checked_add(l.credit).ok_or(JournalError::Overflow)?;
        }
        if debits != credits {
            return Err(JournalError::Unbalanced { debits: debits.get(), credits: credits.get() });
        }
        Ok(JournalEntry { kind, lines })
    }

    pub fn kind(&self) -> EventKind {
        self.kind
    }

    pub fn lines(&self) -> &[JournalLine] {
        &self.lines
    }

    pub fn total(&self) -> Cents {
        self.lines.iter().fold(Cents::ZERO, |acc, l| acc.checked_add(l.debit).unwrap_or(acc))
    }
}

/// What an allocation puts on one debt, with the codes that book it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebtPortion {
    pub debt_rf: String,
    pub principal: Cents,
    pub principal_code: String,
    pub surcharge: Cents,
    pub surcharge_code: String,
}

/// The posting table, one function per row.
pub mod postings {
    use super::*;

    fn transfer(kind: EventKind, dr: Account, cr: Account, amount: Cents) -> Result<JournalEntry, JournalError> {
        JournalEntry::new(kind, vec![JournalLine::debit(dr, amount), JournalLine::credit(cr, amount)])
    }

    pub fn card_payment_succeeded(amount: Cents) -> Result<JournalEntry, JournalError> {
        transfer(EventKind::CardPaymentSucceeded, Account::CardClearing, Account::UnappliedCash, amount)
    }

    pub fn bank_credit_booked(amount: Cents) -> Result<JournalEntry, JournalError> {
        transfer(EventKind::BankCreditBooked, Account::Bank, Account::UnappliedCash, amount)
    }

    pub fn overpayment_kept(amount: Cents) -> Result<JournalEntry, JournalError> {
        transfer(EventKind::OverpaymentKept, Account::UnappliedCash, Account::PartyCredit, amount)
    }

    pub fn card_settlement(amount: Cents) -> Result<JournalEntry, JournalError> {
        transfer(EventKind::CardSettlement, Account::Bank, Account::CardClearing, amount)
    }

    pub fn not_ours_bank_credit(amount: Cents) -> Result<JournalEntry, JournalError> {
        transfer(EventKind::NotOursBankCredit, Account::UnappliedCash, Account::PayableToSender, amount)
    }

    /// One line per non-zero principal and surcharge of `portions`, on the
    /// side `line` makes, and their total.
    fn debt_lines(
        portions: &[DebtPortion],
        line: fn(Account, Cents) -> JournalLine,
    ) -> Result<(Vec<JournalLine>, Cents), JournalError> {
        let mut lines = Vec::new();
        let mut total = Cents::ZERO;
        for p in portions {
            if !p.principal.is_zero() {
                lines.push(line(Account::Receivable, p.principal).with_code(&p.principal_code).with_debt(&p.debt_rf));
            }
            if !p.surcharge.is_zero() {
                lines.push(
                    line(Account::SurchargeRevenue, p.surcharge).with_code(&p.surcharge_code).with_debt(&p.debt_rf),
                );
            }
            total = total
                .checked_add(p.principal)
                .and_then(|t| t.checked_add(p.surcharge))
                .ok_or(JournalError::Overflow)?;
        }
        Ok((lines, total))
    }

    fn onto_debts(kind: EventKind, from: Account, portions: &[DebtPortion]) -> Result<JournalEntry, JournalError> {
        let (credits, total) = debt_lines(portions, JournalLine::credit)?;
        let mut lines = vec![JournalLine::debit(from, total)];
        lines.extend(credits);
        JournalEntry::new(kind, lines)
    }

    pub fn allocation(portions: &[DebtPortion]) -> Result<JournalEntry, JournalError> {
        onto_debts(EventKind::Allocation, Account::UnappliedCash, portions)
    }

    pub fn credit_applied(portions: &[DebtPortion]) -> Result<JournalEntry, JournalError> {
        onto_debts(EventKind::CreditApplied, Account::PartyCredit, portions)
    }

    /// A refund takes money back off debts (and out of the party's credit)
    /// and pays it out through `out` (card clearing or the bank).
    pub fn refund(portions: &[DebtPortion], from_credit: Cents, out: Account) -> Result<JournalEntry, JournalError> {
        taken_back(EventKind::Refund, portions, from_credit, out)
    }

    /// A dispute opened: the provider withdrew the money, so what it had paid
    /// is taken back off the debts into disputed funds until it closes.
    pub fn dispute(portions: &[DebtPortion], from_credit: Cents) -> Result<JournalEntry, JournalError> {
        taken_back(EventKind::Dispute, portions, from_credit, Account::DisputedFunds)
    }

    /// A dispute lost: the provider keeps the withdrawn funds, so card
    /// clearing will never receive them.
    pub fn dispute_lost(amount: Cents) -> Result<JournalEntry, JournalError> {
        transfer(EventKind::Dispute, Account::DisputedFunds, Account::CardClearing, amount)
    }

    /// A dispute won: the disputed funds come back as cash to allocate again.
    pub fn dispute_reinstated(amount: Cents) -> Result<JournalEntry, JournalError> {
        transfer(EventKind::Reversal, Account::DisputedFunds, Account::UnappliedCash, amount)
    }

    fn taken_back(
        kind: EventKind,
        portions: &[DebtPortion],
        from_credit: Cents,
        out: Account,
    ) -> Result<JournalEntry, JournalError> {
        let (mut lines, taken) = debt_lines(portions, JournalLine::debit)?;
        if !from_credit.is_zero() {
            lines.push(JournalLine::debit(Account::PartyCredit, from_credit));
        }
        let total = taken.checked_add(from_credit).ok_or(JournalError::Overflow)?;
        lines.push(JournalLine::credit(out, total));
        JournalEntry::new(kind, lines)
    }

    pub fn write_off(debt_rf: &str, amount: Cents, expense_code: &str) -> Result<JournalEntry, JournalError> {
        JournalEntry::new(
            EventKind::WriteOff,
            vec![
                JournalLine::debit(Account::WriteOffExpense, amount).with_code(expense_code).with_debt(debt_rf),
                JournalLine::credit(Account::Receivable, amount).with_debt(debt_rf),
            ],
        )
    }

    /// Reversals, disputes and refunds post the mirror of what they undo; a
    /// refund's last leg leaves through card clearing or the bank.
    pub fn mirror_of(kind: EventKind, original: &JournalEntry) -> Result<JournalEntry, JournalError> {
        JournalEntry::new(kind, original.lines().iter().map(JournalLine::mirrored).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::postings::*;
    use super::*;

    fn c(v: i64) -> Cents {
        Cents::new(v)
    }

    #[test]
    fn unbalanced_or_two_sided_lines_are_refused() {
        let e = JournalEntry::new(
            EventKind::Allocation,
            vec![JournalLine::debit(Account::Bank, c(100)), JournalLine::credit(Account::UnappliedCash, c(99))],
        );
        assert_eq!(e, Err(JournalError::Unbalanced { debits: 100, credits: 99 }));
        let mut both = JournalLine::debit(Account::Bank, c(5));
        both.credit = c(5);
        assert_eq!(
            JournalEntry::new(EventKind::Allocation, vec![both, JournalLine::credit(Account::Bank, c(5))]),
            Err(JournalError::BadLine(0))
        );
        assert_eq!(card_payment_succeeded(c(0)), Err(JournalError::BadLine(0)));
    }

    #[test]
    fn allocation_credits_principal_and_surcharge_with_their_codes() {
        let e = allocation(&[DebtPortion {
            debt_rf: "RF18539007547034".into(),
            principal: c(1000),
            principal_code: "0311".into(),
            surcharge: c(73),
            surcharge_code: "1511".into(),
        }])
        .unwrap();
        assert_eq!(e.total(), c(1073));
        assert_eq!(e.lines()[0], JournalLine::debit(Account::UnappliedCash, c(1073)));
        assert_eq!(e.lines()[1].revenue_code.as_deref(), Some("0311"));
        assert_eq!(e.lines()[2].account, Account::SurchargeRevenue);
        let undo = mirror_of(EventKind::Reversal, &e).unwrap();
        assert_eq!(undo.lines()[0].credit, c(1073));
    }

    #[test]
    fn a_refund_debits_what_it_takes_back_and_credits_what_pays_it_out() {
        let portion = DebtPortion {
            debt_rf: "RF18539007547034".into(),
            principal: c(700),
            principal_code: "0311".into(),
            surcharge: c(50),
            surcharge_code: "1511".into(),
        };
        let e = refund(&[portion], c(250), Account::CardClearing).unwrap();
        assert_eq!(e.total(), c(1000));
        assert_eq!(
            e.lines()[0],
            JournalLine::debit(Account::Receivable, c(700)).with_code("0311").with_debt("RF18539007547034")
        );
        assert_eq!(e.lines()[2], JournalLine::debit(Account::PartyCredit, c(250)));
        assert_eq!(e.lines()[3], JournalLine::credit(Account::CardClearing, c(1000)));
        assert!(refund(&[], c(0), Account::CardClearing).is_err(), "an empty refund posts nothing");
    }
}
