//! The card-payment lifecycle as data: one table of allowed transitions, each
//! naming the audit action it writes and the journal event it posts (after
//! alphagov/pay-connector's `PaymentGatewayStateTransitions`). The table is the
//! documentation; `next` only looks rows up, so a rule lives in exactly one place.
//!
//! Two rules shape the table. A success confirmed by the provider is always
//! applied, whatever the local state: the citizen's money has moved, so a late
//! success after a cancel or an expiry still books it (and is audited as late).
//! And nothing is posted twice: a redelivered event finds the payment already
//! where that event leads and is a no-op (`Step::AlreadyThere`), not an error.

use serde::{Deserialize, Serialize};

use super::journal::EventKind;
use super::money::Cents;
// Short names keep each row of the tables on one line.
use EventKind as J;
use PaymentEventKind as E;
use PaymentState as S;

/// Where one card payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentState {
    /// Our row exists; the provider's intent is not recorded yet.
    Created,
    /// The intent exists; the citizen may pay, and retry after a decline.
    AwaitingPayment,
    /// The provider is working on an attempt (3-D Secure, async methods).
    Processing,
    Succeeded,
    Canceled,
    /// The quoted amount (principal + surcharges as of that day) no longer holds.
    Expired,
    PartiallyRefunded,
    Refunded,
    Disputed,
    DisputeWon,
    DisputeLost,
    /// The provider reported a success for another amount or currency: no money
    /// is booked and only an officer moves it on.
    Anomaly,
}

impl PaymentState {
    pub const ALL: [PaymentState; 12] = [
        PaymentState::Created,
        PaymentState::AwaitingPayment,
        PaymentState::Processing,
        PaymentState::Succeeded,
        PaymentState::Canceled,
        PaymentState::Expired,
        PaymentState::PartiallyRefunded,
        PaymentState::Refunded,
        PaymentState::Disputed,
        PaymentState::DisputeWon,
        PaymentState::DisputeLost,
        PaymentState::Anomaly,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PaymentState::Created => "created",
            PaymentState::AwaitingPayment => "awaiting_payment",
            PaymentState::Processing => "processing",
            PaymentState::Succeeded => "succeeded",
            PaymentState::Canceled => "canceled",
            PaymentState::Expired => "expired",
            PaymentState::PartiallyRefunded => "partially_refunded",
            PaymentState::Refunded => "refunded",
            PaymentState::Disputed => "disputed",
            PaymentState::DisputeWon => "dispute_won",
            PaymentState::DisputeLost => "dispute_lost",
            PaymentState::Anomaly => "anomaly",
        }
    }

    pub fn parse(s: &str) -> Option<PaymentState> {
        PaymentState::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The money reached us at some point (whatever happened to it afterwards).
    /// Still waiting on the citizen or the provider.
    pub fn is_pending(self) -> bool {
        matches!(self, PaymentState::Created | PaymentState::AwaitingPayment | PaymentState::Processing)
    }

    pub fn has_succeeded(self) -> bool {
        matches!(
            self,
            PaymentState::Succeeded
                | PaymentState::PartiallyRefunded
                | PaymentState::Refunded
                | PaymentState::Disputed
                | PaymentState::DisputeWon
                | PaymentState::DisputeLost
        )
    }
}

/// What happened to a payment: our own steps and the provider's verified reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaymentEvent {
    /// The provider's intent was created (with our idempotency key) and recorded.
    IntentCreated,
    /// One attempt was declined; the citizen may retry on the same intent.
    AttemptFailed {
        decline_code: String,
    },
    ProviderProcessing,
    /// The provider confirms the success, for the amount and currency we asked.
    ProviderSucceeded,
    ProviderCanceled,
    /// The day's quote ran out before the citizen paid.
    QuoteExpired,
    RefundedPartly,
    RefundedFully,
    DisputeOpened,
    DisputeWon,
    DisputeLost,
    /// The provider confirms a success for another amount or currency.
    AmountMismatch {
        expected: Cents,
        expected_currency: String,
        reported: Cents,
        reported_currency: String,
    },
}

/// The events without their data: what the table is keyed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentEventKind {
    IntentCreated,
    AttemptFailed,
    ProviderProcessing,
    ProviderSucceeded,
    ProviderCanceled,
    QuoteExpired,
    RefundedPartly,
    RefundedFully,
    DisputeOpened,
    DisputeWon,
    DisputeLost,
    AmountMismatch,
}

impl PaymentEventKind {
    pub const ALL: [PaymentEventKind; 12] = [
        PaymentEventKind::IntentCreated,
        PaymentEventKind::AttemptFailed,
        PaymentEventKind::ProviderProcessing,
        PaymentEventKind::ProviderSucceeded,
        PaymentEventKind::ProviderCanceled,
        PaymentEventKind::QuoteExpired,
        PaymentEventKind::RefundedPartly,
        PaymentEventKind::RefundedFully,
        PaymentEventKind::DisputeOpened,
        PaymentEventKind::DisputeWon,
        PaymentEventKind::DisputeLost,
        PaymentEventKind::AmountMismatch,
    ];
}

impl PaymentEvent {
    pub fn kind(&self) -> PaymentEventKind {
        match self {
            PaymentEvent::IntentCreated => PaymentEventKind::IntentCreated,
            PaymentEvent::AttemptFailed { .. } => PaymentEventKind::AttemptFailed,
            PaymentEvent::ProviderProcessing => PaymentEventKind::ProviderProcessing,
            PaymentEvent::ProviderSucceeded => PaymentEventKind::ProviderSucceeded,
            PaymentEvent::ProviderCanceled => PaymentEventKind::ProviderCanceled,
            PaymentEvent::QuoteExpired => PaymentEventKind::QuoteExpired,
            PaymentEvent::RefundedPartly => PaymentEventKind::RefundedPartly,
            PaymentEvent::RefundedFully => PaymentEventKind::RefundedFully,
            PaymentEvent::DisputeOpened => PaymentEventKind::DisputeOpened,
            PaymentEvent::DisputeWon => PaymentEventKind::DisputeWon,
            PaymentEvent::DisputeLost => PaymentEventKind::DisputeLost,
            PaymentEvent::AmountMismatch { .. } => PaymentEventKind::AmountMismatch,
        }
    }

    /// The provider's confirmed success, checked against what we asked for:
    /// a different amount or currency is an anomaly, never a booking. Stripe
    /// writes currencies in lower case, we in upper case.
    pub fn provider_success(
        expected: Cents,
        expected_currency: &str,
        reported: Cents,
        reported_currency: &str,
    ) -> PaymentEvent {
        if expected == reported && expected_currency.eq_ignore_ascii_case(reported_currency) {
            PaymentEvent::ProviderSucceeded
        } else {
            PaymentEvent::AmountMismatch {
                expected,
                expected_currency: expected_currency.to_owned(),
                reported,
                reported_currency: reported_currency.to_owned(),
            }
        }
    }

    /// The event's own facts for the audit entry's `details`.
    pub fn audit_details(&self) -> serde_json::Value {
        match self {
            PaymentEvent::AttemptFailed { decline_code } => serde_json::json!({ "decline_code": decline_code }),
            PaymentEvent::AmountMismatch { expected, expected_currency, reported, reported_currency } => {
                serde_json::json!({
                    "expected": expected.to_api_string(),
                    "expected_currency": expected_currency,
                    "reported": reported.to_api_string(),
                    "reported_currency": reported_currency,
                })
            }
            _ => serde_json::json!({}),
        }
    }
}

/// One allowed move, and what it leaves behind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: PaymentState,
    pub event: PaymentEventKind,
    pub to: PaymentState,
    /// The audit chain's `action` for this move.
    pub audit_action: &'static str,
    /// The journal event it posts, if money moves.
    pub journal: Option<EventKind>,
}

const fn row(
    from: PaymentState,
    event: PaymentEventKind,
    to: PaymentState,
    audit_action: &'static str,
    journal: Option<EventKind>,
) -> Transition {
    Transition { from, event, to, audit_action, journal }
}

/// Every allowed move. A (state, event) pair that is neither here nor in
/// `NO_OPS` is refused.
#[rustfmt::skip]
pub const TRANSITIONS: &[Transition] = &[
    // Before the money: the citizen pays, is declined and retries, or gives up.
    row(S::Created,           E::IntentCreated,      S::AwaitingPayment,   "card_payment.intent_created", None),
    row(S::Created,           E::QuoteExpired,       S::Expired,           "card_payment.expired", None),
    row(S::AwaitingPayment,   E::AttemptFailed,      S::AwaitingPayment,   "card_payment.attempt_failed", None),
    row(S::AwaitingPayment,   E::ProviderProcessing, S::Processing,        "card_payment.processing", None),
    row(S::AwaitingPayment,   E::ProviderCanceled,   S::Canceled,          "card_payment.canceled", None),
    row(S::AwaitingPayment,   E::QuoteExpired,       S::Expired,           "card_payment.expired", None),
    // An attempt under way is not expired: the quote holds until the provider answers.
    row(S::Processing,        E::AttemptFailed,      S::AwaitingPayment,   "card_payment.attempt_failed", None),
    row(S::Processing,        E::ProviderCanceled,   S::Canceled,          "card_payment.canceled", None),

    // The provider's success is always applied; after a cancel or an expiry it is late.
    row(S::Created,           E::ProviderSucceeded,  S::Succeeded,         "card_payment.succeeded", Some(J::CardPaymentSucceeded)),
    row(S::AwaitingPayment,   E::ProviderSucceeded,  S::Succeeded,         "card_payment.succeeded", Some(J::CardPaymentSucceeded)),
    row(S::Processing,        E::ProviderSucceeded,  S::Succeeded,         "card_payment.succeeded", Some(J::CardPaymentSucceeded)),
    row(S::Canceled,          E::ProviderSucceeded,  S::Succeeded,         "card_payment.succeeded_late", Some(J::CardPaymentSucceeded)),
    row(S::Expired,           E::ProviderSucceeded,  S::Succeeded,         "card_payment.succeeded_late", Some(J::CardPaymentSucceeded)),

    // ... unless it is for another amount or currency: nothing is booked, officers see it.
    row(S::Created,           E::AmountMismatch,     S::Anomaly,           "card_payment.amount_mismatch", None),
    row(S::AwaitingPayment,   E::AmountMismatch,     S::Anomaly,           "card_payment.amount_mismatch", None),
    row(S::Processing,        E::AmountMismatch,     S::Anomaly,           "card_payment.amount_mismatch", None),
    row(S::Canceled,          E::AmountMismatch,     S::Anomaly,           "card_payment.amount_mismatch", None),
    row(S::Expired,           E::AmountMismatch,     S::Anomaly,           "card_payment.amount_mismatch", None),

    // Refunds, only of money we have (not while disputed, not once a dispute is lost).
    row(S::Succeeded,         E::RefundedPartly,     S::PartiallyRefunded, "card_payment.refunded_partly", Some(J::Refund)),
    row(S::Succeeded,         E::RefundedFully,      S::Refunded,          "card_payment.refunded", Some(J::Refund)),
    row(S::PartiallyRefunded, E::RefundedPartly,     S::PartiallyRefunded, "card_payment.refunded_partly", Some(J::Refund)),
    row(S::PartiallyRefunded, E::RefundedFully,      S::Refunded,          "card_payment.refunded", Some(J::Refund)),
    row(S::DisputeWon,        E::RefundedPartly,     S::PartiallyRefunded, "card_payment.refunded_partly", Some(J::Refund)),
    row(S::DisputeWon,        E::RefundedFully,      S::Refunded,          "card_payment.refunded", Some(J::Refund)),

    // Disputes: the provider withdraws the funds when one opens (even after a
    // refund: cardholders do that) and reinstates them only if it is won; a
    // lost one writes off what card clearing expected of the provider.
    row(S::Succeeded,         E::DisputeOpened,      S::Disputed,          "card_payment.dispute_opened", Some(J::Dispute)),
    row(S::PartiallyRefunded, E::DisputeOpened,      S::Disputed,          "card_payment.dispute_opened", Some(J::Dispute)),
    row(S::Refunded,          E::DisputeOpened,      S::Disputed,          "card_payment.dispute_opened", Some(J::Dispute)),
    row(S::Disputed,          E::DisputeWon,         S::DisputeWon,        "card_payment.dispute_won", Some(J::Reversal)),
    row(S::Disputed,          E::DisputeLost,        S::DisputeLost,       "card_payment.dispute_lost", Some(J::Dispute)),
];

/// Events that change nothing in a state, and are answered `AlreadyThere`:
/// webhooks are delivered at least once, and our own cancel of an expired
/// intent comes back as the provider's cancel. A success reported again after
/// the payment moved on (refunded, disputed, or an anomaly for officers) is
/// the same success, already applied.
#[rustfmt::skip]
pub const NO_OPS: &[(PaymentState, PaymentEventKind)] = &[
    (S::AwaitingPayment,   E::IntentCreated),
    (S::Processing,        E::ProviderProcessing),
    (S::Canceled,          E::ProviderCanceled),
    (S::Canceled,          E::QuoteExpired),
    (S::Expired,           E::QuoteExpired),
    (S::Expired,           E::ProviderCanceled),
    (S::Succeeded,         E::ProviderSucceeded),
    (S::PartiallyRefunded, E::ProviderSucceeded),
    (S::Refunded,          E::ProviderSucceeded),
    (S::Refunded,          E::RefundedFully),
    (S::Disputed,          E::ProviderSucceeded),
    (S::Disputed,          E::DisputeOpened),
    (S::DisputeWon,        E::ProviderSucceeded),
    (S::DisputeWon,        E::DisputeWon),
    (S::DisputeLost,       E::ProviderSucceeded),
    (S::DisputeLost,       E::DisputeLost),
    (S::Anomaly,           E::ProviderSucceeded),
    (S::Anomaly,           E::AmountMismatch),
];

/// What applying an event means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Move to `to`, write `audit_action`, post `journal` if any.
    Move(&'static Transition),
    /// Already applied (a redelivery): write nothing, post nothing.
    AlreadyThere,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Nothing changes. Out-of-order reports of earlier steps land here; the
    /// webhook handler still acknowledges them so the provider stops retrying.
    #[error("a {event:?} event is not allowed on a {} payment", from.as_str())]
    NotAllowed { from: PaymentState, event: PaymentEventKind },
}

/// The step `event` takes from `state`. Self-loops (a second decline, a second
/// partial refund) are moves: the state machine cannot tell them from
/// redeliveries, so the caller deduplicates by the provider's event id.
pub fn next(state: PaymentState, event: &PaymentEvent) -> Result<Step, TransitionError> {
    let kind = event.kind();
    if let Some(t) = TRANSITIONS.iter().find(|t| t.from == state && t.event == kind) {
        return Ok(Step::Move(t));
    }
    if NO_OPS.contains(&(state, kind)) {
        return Ok(Step::AlreadyThere);
    }
    Err(TransitionError::NotAllowed { from: state, event: kind })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// One sample event of each kind.
    fn sample(kind: PaymentEventKind) -> PaymentEvent {
        match kind {
            E::IntentCreated => PaymentEvent::IntentCreated,
            E::AttemptFailed => PaymentEvent::AttemptFailed { decline_code: "insufficient_funds".into() },
            E::ProviderProcessing => PaymentEvent::ProviderProcessing,
            E::ProviderSucceeded => PaymentEvent::ProviderSucceeded,
            E::ProviderCanceled => PaymentEvent::ProviderCanceled,
            E::QuoteExpired => PaymentEvent::QuoteExpired,
            E::RefundedPartly => PaymentEvent::RefundedPartly,
            E::RefundedFully => PaymentEvent::RefundedFully,
            E::DisputeOpened => PaymentEvent::DisputeOpened,
            E::DisputeWon => PaymentEvent::DisputeWon,
            E::DisputeLost => PaymentEvent::DisputeLost,
            E::AmountMismatch => PaymentEvent::provider_success(Cents::new(1234), "EUR", Cents::new(1234), "usd"),
        }
    }

    fn run(events: &[PaymentEvent]) -> Result<PaymentState, TransitionError> {
        let mut state = S::Created;
        for e in events {
            if let Step::Move(t) = next(state, e)? {
                state = t.to;
            }
        }
        Ok(state)
    }

    #[test]
    fn states_round_trip_as_snake_case() {
        for s in PaymentState::ALL {
            assert_eq!(PaymentState::parse(s.as_str()), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), serde_json::json!(s.as_str()));
        }
        assert_eq!(PaymentState::parse("Succeeded"), None);
        assert_eq!(PaymentState::parse(""), None);
    }

    #[test]
    fn every_row_is_reachable_from_created() {
        // Breadth-first over the table itself: every row's `from` must be
        // reachable, so no row documents a move that can never happen.
        let mut seen = HashSet::from([S::Created]);
        let mut frontier = vec![S::Created];
        while let Some(s) = frontier.pop() {
            for t in TRANSITIONS.iter().filter(|t| t.from == s) {
                assert_eq!(next(s, &sample(t.event)), Ok(Step::Move(t)));
                if seen.insert(t.to) {
                    frontier.push(t.to);
                }
            }
        }
        for t in TRANSITIONS {
            assert!(seen.contains(&t.from), "{t:?} is unreachable");
        }
        assert_eq!(seen.len(), PaymentState::ALL.len(), "a state nothing leads to");
    }

    #[test]
    fn every_pair_is_exactly_one_of_move_no_op_or_refused() {
        let mut moves = 0;
        let mut no_ops = 0;
        let mut refused = 0;
        for s in PaymentState::ALL {
            for k in PaymentEventKind::ALL {
                let rows = TRANSITIONS.iter().filter(|t| t.from == s && t.event == k).count();
                let in_no_ops = NO_OPS.contains(&(s, k));
                assert!(rows + usize::from(in_no_ops) <= 1, "{s:?} + {k:?} is listed twice");
                match next(s, &sample(k)) {
                    Ok(Step::Move(t)) => {
                        assert_eq!((t.from, t.event, rows), (s, k, 1));
                        moves += 1;
                    }
                    Ok(Step::AlreadyThere) => {
                        assert!(in_no_ops);
                        no_ops += 1;
                    }
                    Err(e) => {
                        assert_eq!((rows, in_no_ops), (0, false));
                        assert_eq!(e, TransitionError::NotAllowed { from: s, event: k });
                        refused += 1;
                    }
                }
            }
        }
        assert_eq!((moves, no_ops), (TRANSITIONS.len(), NO_OPS.len()));
        assert_eq!(moves + no_ops + refused, 12 * 12);
    }

    #[test]
    fn redelivering_the_event_that_led_here_changes_nothing() {
        for t in TRANSITIONS {
            let again = next(t.to, &sample(t.event)).unwrap();
            if t.from == t.to || TRANSITIONS.iter().any(|r| r.from == t.to && r.event == t.event) {
                // A second decline or partial refund is a new fact (deduplicated by event id).
                assert!(matches!(again, Step::Move(_)), "{t:?}");
            } else {
                assert_eq!(again, Step::AlreadyThere, "{t:?}");
            }
        }
    }

    #[test]
    fn a_success_is_applied_whatever_the_state_and_booked_once() {
        for s in PaymentState::ALL {
            match next(s, &PaymentEvent::ProviderSucceeded).unwrap() {
                Step::Move(t) => {
                    assert!(!s.has_succeeded() && s != S::Anomaly);
                    assert_eq!((t.to, t.journal), (S::Succeeded, Some(J::CardPaymentSucceeded)));
                }
                Step::AlreadyThere => assert!(s.has_succeeded() || s == S::Anomaly),
            }
        }
    }

    #[test]
    fn a_late_success_after_expiry_or_cancel_is_booked_and_audited_as_late() {
        let expired = run(&[PaymentEvent::IntentCreated, PaymentEvent::QuoteExpired]).unwrap();
        assert_eq!(expired, S::Expired);
        let Step::Move(t) = next(expired, &PaymentEvent::ProviderSucceeded).unwrap() else { panic!("no move") };
        assert_eq!(t.to, S::Succeeded);
        assert_eq!(t.journal.map(EventKind::as_str), Some("card_payment_succeeded"));
        assert_eq!(t.audit_action, "card_payment.succeeded_late");
        let Step::Move(t) = next(S::Canceled, &PaymentEvent::ProviderSucceeded).unwrap() else { panic!("no move") };
        assert_eq!((t.to, t.audit_action), (S::Succeeded, "card_payment.succeeded_late"));
    }

    #[test]
    fn duplicates_are_idempotent() {
        let paid = run(&[PaymentEvent::IntentCreated, PaymentEvent::ProviderSucceeded]).unwrap();
        assert_eq!(paid, S::Succeeded);
        assert_eq!(next(paid, &PaymentEvent::ProviderSucceeded), Ok(Step::AlreadyThere));
        // Redelivered after the payment moved on: still the same success.
        assert_eq!(next(S::Refunded, &PaymentEvent::ProviderSucceeded), Ok(Step::AlreadyThere));
        assert_eq!(next(S::Expired, &PaymentEvent::QuoteExpired), Ok(Step::AlreadyThere));
        // Our own cancel of an expired intent, echoed back by the provider.
        assert_eq!(next(S::Expired, &PaymentEvent::ProviderCanceled), Ok(Step::AlreadyThere));
        assert_eq!(run(&[PaymentEvent::IntentCreated, PaymentEvent::IntentCreated]), Ok(S::AwaitingPayment));
    }

    #[test]
    fn a_declined_attempt_leaves_the_payment_payable() {
        let declined = PaymentEvent::AttemptFailed { decline_code: "card_declined".into() };
        let s = run(&[PaymentEvent::IntentCreated, PaymentEvent::ProviderProcessing, declined.clone()]).unwrap();
        assert_eq!(s, S::AwaitingPayment);
        let Step::Move(t) = next(s, &declined).unwrap() else { panic!("no move") };
        assert_eq!((t.to, t.audit_action, t.journal), (S::AwaitingPayment, "card_payment.attempt_failed", None));
        assert_eq!(declined.audit_details(), serde_json::json!({ "decline_code": "card_declined" }));
        assert_eq!(run(&[PaymentEvent::IntentCreated, declined, PaymentEvent::ProviderSucceeded]), Ok(S::Succeeded));
    }

    #[test]
    fn refunds_and_disputes_only_after_success() {
        for s in PaymentState::ALL.into_iter().filter(|s| !s.has_succeeded()) {
            for e in [E::RefundedPartly, E::RefundedFully, E::DisputeOpened, E::DisputeWon, E::DisputeLost] {
                assert!(next(s, &sample(e)).is_err(), "{s:?} {e:?}");
            }
        }
        // Funds are withdrawn while disputed and gone once lost.
        for s in [S::Disputed, S::DisputeLost] {
            assert!(next(s, &PaymentEvent::RefundedPartly).is_err());
            assert!(next(s, &PaymentEvent::RefundedFully).is_err());
        }
        let s = run(&[
            PaymentEvent::IntentCreated,
            PaymentEvent::ProviderSucceeded,
            PaymentEvent::RefundedPartly,
            PaymentEvent::RefundedPartly,
            PaymentEvent::DisputeOpened,
            PaymentEvent::DisputeWon,
            PaymentEvent::RefundedFully,
        ]);
        assert_eq!(s, Ok(S::Refunded));
    }

    #[test]
    fn a_different_amount_or_currency_is_an_anomaly_that_books_nothing() {
        let same = PaymentEvent::provider_success(Cents::new(1073), "EUR", Cents::new(1073), "eur");
        assert_eq!(same, PaymentEvent::ProviderSucceeded);
        let less = PaymentEvent::provider_success(Cents::new(1073), "EUR", Cents::new(1000), "eur");
        assert_eq!(less.kind(), E::AmountMismatch);
        assert_eq!(less.audit_details()["reported"], "10.00");
        for s in [S::Created, S::AwaitingPayment, S::Processing, S::Canceled, S::Expired] {
            let Step::Move(t) = next(s, &less).unwrap() else { panic!("no move") };
            assert_eq!((t.to, t.journal), (S::Anomaly, None));
        }
        assert_eq!(next(S::Anomaly, &less), Ok(Step::AlreadyThere));
        // A mismatch after a success already booked is refused, not silently applied.
        assert!(next(S::Succeeded, &less).is_err());
    }

    #[test]
    fn money_moves_only_on_success_refund_and_dispute_rows() {
        for t in TRANSITIONS {
            let expected = match t.event {
                E::ProviderSucceeded => Some(J::CardPaymentSucceeded),
                E::RefundedPartly | E::RefundedFully => Some(J::Refund),
                E::DisputeOpened | E::DisputeLost => Some(J::Dispute),
                E::DisputeWon => Some(J::Reversal),
                _ => None,
            };
            assert_eq!(t.journal, expected, "{t:?}");
            assert!(t.audit_action.starts_with("card_payment."), "{t:?}");
        }
    }
}
