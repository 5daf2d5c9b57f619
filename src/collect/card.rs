//! Card payments, from the quote to the receipt.
//!
//! The order of work is what keeps every cent applied exactly once:
//! - a quote fixes the debts, what each owes as of the quote's date, and the
//!   amount; it holds for the tenant's window;
//! - pressing Pay writes the payment row first, then creates the provider's
//!   intent with the payment id as idempotency key (outside any transaction),
//!   then stores the intent id: a crash in between is repaired by the next
//!   press or the re-check, which creates the same intent again;
//! - the provider's state is read with a retrieve (never from a redirect or
//!   an unverified body), outside any transaction; then one transaction holds
//!   the party's lock, re-reads the payment's state, and takes the step the
//!   transition table allows, writing allocations, receipt, journal and audit
//!   together.

use chrono::{DateTime, Datelike, Duration, Utc};
use serde_json::json;
use uuid::Uuid;

use super::apply::{self, ApplyError, Booking, Channel};
use super::provider::{Intent, IntentStatus, NewIntent, ProviderError};
use super::providers::{CardProvider, SetupError};
use crate::debts::{DebtStanding, standings};
use crate::domain::actor::Actor;
use crate::domain::allocation::OpenDebt;
use crate::domain::money::Cents;
use crate::domain::payment_state::{self, PaymentEvent, PaymentEventKind, PaymentState, Step};
use crate::domain::quote::{self, QuoteError};
use crate::domain::secret::{random_token, sha256_hex};
use crate::domain::tenant::{Tenant, TenantMode};
use crate::store::card_payments::{self, CardPayment};
use crate::store::quotes::{self, QuoteLine, QuoteRecord};
use crate::store::receipts::{self, NewReceipt, ReceiptKind};
use crate::store::{Conn, Db, StoreError, Tx, audit, debts, payments, provider_events, tenants};

/// The provider cancels an intent still unconfirmed this long after its
/// quote ran out.
pub const CANCEL_GRACE: Duration = Duration::minutes(15);

/// Besides the cancel, pending payments are re-checked this long after they
/// were created.
pub const RECHECKS: [Duration; 3] = [Duration::minutes(5), Duration::hours(1), Duration::hours(24)];

#[derive(Debug, thiserror::Error)]
pub enum CardError {
    #[error(transparent)]
    Quote(#[from] QuoteError),
    #[error("no such debt for this party")]
    UnknownDebt,
    #[error("not found")]
    NotFound,
    #[error("the quote expired; ask for a new one")]
    QuoteExpired,
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error(transparent)]
    Apply(#[from] ApplyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the citizen asked to pay for.
#[derive(Debug, Clone)]
pub struct QuoteRequest {
    pub party_id: Uuid,
    /// `None`: every debt of the party with something due.
    pub debts: Option<Vec<Uuid>>,
    /// `None`: everything due on those debts.
    pub amount: Option<Cents>,
}

/// A stored quote and the token of its page (shown once).
#[derive(Debug, Clone)]
pub struct NewQuote {
    pub quote: QuoteRecord,
    pub token: String,
}

/// Quotes and stores in one go (the citizen's page).
pub async fn create_quote(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    req: &QuoteRequest,
) -> Result<NewQuote, CardError> {
    let quote = plan_quote(db, tenant, now, req).await?;
    let mut tx = db.begin_write().await?;
    save_quote(&mut tx, tenant, &quote).await?;
    tx.commit().await?;
    Ok(quote)
}

/// Stores a planned quote in the caller's transaction.
pub async fn save_quote(tx: &mut Tx, tenant: &Tenant, q: &NewQuote) -> Result<(), CardError> {
    Ok(quotes::insert(tx, tenant.id, &q.quote, &sha256_hex(&q.token)).await?)
}

/// What is due on the chosen debts now, and how the amount would land;
/// nothing is written.
pub async fn plan_quote(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    req: &QuoteRequest,
) -> Result<NewQuote, CardError> {
    let records = debts::by_party(Conn::Db(db), tenant.id, req.party_id).await?;
    if records.is_empty() {
        // No such party here (or one without a single debt).
        return Err(CardError::NotFound);
    }
    if let Some(ids) = &req.debts
        && ids.iter().any(|id| !records.iter().any(|d| d.id == *id))
    {
        return Err(CardError::UnknownDebt);
    }
    let chosen: Vec<_> =
        records.into_iter().filter(|d| req.debts.as_ref().is_none_or(|ids| ids.contains(&d.id))).collect();
    let as_of = tenant.local_date(now);
    let open: Vec<OpenDebt> = standings(Conn::Db(db), tenant, chosen, as_of)
        .await?
        .iter()
        .filter(|s| s.balance.outstanding().is_positive())
        .map(DebtStanding::open_debt)
        .collect();
    let card = &tenant.policies.card;
    let plan = quote::quote(&open, req.amount, card.minimum, tenant.policies.allocation.split)?;
    let lines = plan
        .debts
        .iter()
        .map(|d| {
            let pay = plan.allocation.portions.iter().find(|p| p.debt_id == d.debt_id);
            QuoteLine {
                debt_id: d.debt_id,
                principal_due_cents: d.principal_due.get(),
                surcharge_due_cents: d.surcharge_due.get(),
                principal_pay_cents: pay.map_or(0, |p| p.principal.get()),
                surcharge_pay_cents: pay.map_or(0, |p| p.surcharge.get()),
            }
        })
        .collect();
    let now = crate::store::truncate_micros(now);
    let quote = QuoteRecord {
        id: Uuid::now_v7(),
        party_id: req.party_id,
        as_of,
        amount_cents: plan.amount.get(),
        total_due_cents: plan.total_due.get(),
        created_at: now,
        expires_at: now + Duration::minutes(i64::from(card.quote_minutes)),
        lines,
    };
    Ok(NewQuote { quote, token: random_token() })
}

/// The quote behind a page token.
pub async fn quote_by_token(db: &Db, tenant: &Tenant, token: &str) -> Result<QuoteRecord, CardError> {
    quotes::by_token(Conn::Db(db), tenant.id, &sha256_hex(token)).await?.ok_or(CardError::NotFound)
}

/// The payment with the provider's intent, ready for the browser.
#[derive(Debug, Clone)]
pub struct Started {
    pub payment: CardPayment,
    pub intent: Intent,
}

/// The first scheduled check after `now` for a payment created at `created`
/// whose quote runs out at `expires`.
pub fn next_check(created: DateTime<Utc>, expires: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut points: Vec<DateTime<Utc>> = RECHECKS.iter().map(|d| created + *d).collect();
    points.push(expires + CANCEL_GRACE);
    points.into_iter().filter(|p| *p > now).min()
}

/// Pay pressed: the payment row (once per quote), then the provider's intent.
/// Pressing again, or retrying after a crash, gives the same payment and intent.
pub async fn start_payment(
    db: &Db,
    provider: &CardProvider,
    tenant: &Tenant,
    now: DateTime<Utc>,
    quote: &QuoteRecord,
) -> Result<Started, CardError> {
    let payment = match card_payments::by_quote(db, tenant.id, quote.id).await? {
        Some(p) => p,
        None => {
            if now > quote.expires_at {
                return Err(CardError::QuoteExpired);
            }
            insert_payment(db, provider, tenant, now, quote).await?
        }
    };
    if let Some(id) = &payment.provider_ref {
        let intent = provider.retrieve_intent(id).await?;
        return Ok(Started { payment, intent });
    }
    // No intent yet (an earlier create failed): only inside the window, and
    // only for a payment still waiting for one.
    if now > quote.expires_at || payment.status != PaymentState::Created.as_str() {
        return Err(CardError::QuoteExpired);
    }
    let req = NewIntent {
        tenant_id: tenant.id,
        payment_id: payment.id,
        amount: Cents::new(payment.amount_cents),
        currency: payment.currency.clone(),
    };
    let intent = provider.create_intent(&req, now).await?;
    let payment = record_intent(db, tenant, now, payment.id, &intent.id).await?;
    if payment.status != PaymentState::AwaitingPayment.as_str() {
        // The payment expired while the intent was being created: the intent
        // is cancelled (a success that beats the cancel is still applied).
        if let Err(e) = provider.cancel_intent(&intent.id).await {
            tracing::warn!(payment = %payment.id, error = %e, "late intent not cancelled; the re-check will");
        }
        return Err(CardError::QuoteExpired);
    }
    Ok(Started { payment, intent })
}

async fn insert_payment(
    db: &Db,
    provider: &CardProvider,
    tenant: &Tenant,
    now: DateTime<Utc>,
    quote: &QuoteRecord,
) -> Result<CardPayment, CardError> {
    let now = crate::store::truncate_micros(now);
    let payment = CardPayment {
        id: Uuid::now_v7(),
        party_id: quote.party_id,
        quote_id: quote.id,
        status: PaymentState::Created.as_str().into(),
        amount_cents: quote.amount_cents,
        currency: "EUR".into(),
        provider: provider.name().into(),
        provider_ref: None,
        received_on: quote.as_of,
        created_at: now,
    };
    let first_check = next_check(now, quote.expires_at, now).unwrap_or(now);
    let mut tx = db.begin_write().await?;
    match card_payments::insert(&mut tx, tenant.id, &payment, tenant.mode == TenantMode::Live, first_check).await {
        // Another press won the race: use its payment.
        Err(StoreError::Conflict) => {
            drop(tx);
            return card_payments::by_quote(db, tenant.id, quote.id).await?.ok_or(CardError::NotFound);
        }
        other => other?,
    }
    let details = json!({ "quote": quote.id.to_string(), "amount": Cents::new(payment.amount_cents).to_api_string(),
        "provider": provider.name() });
    audit::append(&mut tx, tenant.id, now, &Actor::Public, "card_payment.created", &subject(payment.id), details)
        .await?;
    tx.commit().await?;
    Ok(payment)
}

fn subject(payment: Uuid) -> String {
    format!("payment:{payment}")
}

/// Stores the intent id and moves the payment to `awaiting_payment`.
async fn record_intent(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment: Uuid,
    intent_id: &str,
) -> Result<CardPayment, CardError> {
    let party = card_payments::by_id(Conn::Db(db), tenant.id, payment).await?.ok_or(CardError::NotFound)?.party_id;
    let mut tx = db.begin_write().await?;
    payments::lock_party(&mut tx, tenant.id, party).await?;
    let current = card_payments::by_id(Conn::Tx(&mut tx), tenant.id, payment).await?.ok_or(CardError::NotFound)?;
    // The intent is recorded whatever the state, so a late success is still
    // matched to its payment and applied.
    if current.provider_ref.is_none() {
        card_payments::set_provider_ref(&mut tx, tenant.id, payment, intent_id).await?;
    }
    take_step(&mut tx, tenant, now, &current, &PaymentEvent::IntentCreated, &Actor::System).await?;
    tx.commit().await?;
    card_payments::by_id(Conn::Db(db), tenant.id, payment).await?.ok_or(CardError::NotFound)
}

/// What the provider's view of an intent means for our payment, if anything.
/// A failed attempt is not read from a retrieve (it would be recorded at every
/// look); it comes from the provider's `payment_failed` event.
pub fn event_for(payment: &CardPayment, intent: &Intent) -> Option<PaymentEvent> {
    match intent.status {
        IntentStatus::Succeeded => Some(PaymentEvent::provider_success(
            Cents::new(payment.amount_cents),
            &payment.currency,
            intent.amount,
            &intent.currency,
        )),
        IntentStatus::Canceled => Some(PaymentEvent::ProviderCanceled),
        IntentStatus::Processing => Some(PaymentEvent::ProviderProcessing),
        _ => None,
    }
}

/// Asks the provider where the payment stands and applies it. Called by the
/// payment pages on every view, by the re-check worker and by the webhook
/// worker.
pub async fn sync(
    db: &Db,
    provider: &CardProvider,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment_id: Uuid,
) -> Result<CardPayment, CardError> {
    Ok(sync_with_intent(db, provider, tenant, now, payment_id).await?.0)
}

/// As [`sync`], with the intent the provider reported (none before there is one).
pub async fn sync_with_intent(
    db: &Db,
    provider: &CardProvider,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment_id: Uuid,
) -> Result<(CardPayment, Option<Intent>), CardError> {
    let payment = card_payments::by_id(Conn::Db(db), tenant.id, payment_id).await?.ok_or(CardError::NotFound)?;
    let Some(intent_id) = &payment.provider_ref else { return Ok((payment, None)) };
    let intent = provider.retrieve_intent(intent_id).await?;
    let payment = match event_for(&payment, &intent) {
        Some(event) => apply_event(db, tenant, now, payment_id, &event, None).await?,
        None => payment,
    };
    Ok((payment, Some(intent)))
}

/// One event for one payment; `provider_event` names the stored webhook it
/// came from, marked applied in the same transaction.
#[derive(Debug, Clone)]
pub struct PaymentUpdate<'a> {
    pub payment_id: Uuid,
    pub event: PaymentEvent,
    pub provider_event: Option<&'a str>,
}

/// Applies one event to a payment (see [`apply_events`]) and returns the
/// payment as it now stands.
pub async fn apply_event(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment_id: Uuid,
    event: &PaymentEvent,
    provider_event: Option<&str>,
) -> Result<CardPayment, CardError> {
    let update = PaymentUpdate { payment_id, event: event.clone(), provider_event };
    apply_events(db, tenant, now, std::slice::from_ref(&update)).await?;
    card_payments::by_id(Conn::Db(db), tenant.id, payment_id).await?.ok_or(CardError::NotFound)
}

/// Applies events to payments of one tenant, each of a different party, in
/// one transaction holding their parties' locks: stored events are marked
/// applied first (one another node applied already changes nothing), each
/// payment is re-read under the lock and takes the step the table allows,
/// and the moves, allocations, receipts, journal and audit entries of all of
/// them are written with one statement per table.
pub async fn apply_events(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    updates: &[PaymentUpdate<'_>],
) -> Result<(), CardError> {
    let ids: Vec<Uuid> = updates.iter().map(|u| u.payment_id).collect();
    let before = card_payments::by_ids(Conn::Db(db), tenant.id, &ids).await?;
    if before.len() != ids.iter().collect::<std::collections::HashSet<_>>().len() {
        return Err(CardError::NotFound);
    }
    let mut parties: Vec<Uuid> = before.iter().map(|p| p.party_id).collect();
    parties.sort_unstable();
    parties.dedup();
    if parties.len() != updates.len() {
        // Each payment is re-read once, before any of them moves.
        return Err(ApplyError::SamePartyTwice.into());
    }
    // Only a success books money; read its codes before the transaction opens.
    let success = |u: &PaymentUpdate| u.event.kind() == PaymentEventKind::ProviderSucceeded;
    let codes = if updates.iter().any(success) { tenants::revenue_codes(db, tenant.id).await? } else { Vec::new() };

    let mut tx = db.begin_write().await?;
    payments::lock_parties(&mut tx, tenant.id, &parties).await?;
    let stored: Vec<&str> = updates.iter().filter_map(|u| u.provider_event).collect();
    let finished = provider_events::finish_all(&mut tx, tenant.id, &stored, "applied", now).await?;
    let live: Vec<&PaymentUpdate> =
        updates.iter().filter(|u| u.provider_event.is_none_or(|id| finished.contains(id))).collect();
    // Re-read under the lock: the states may have moved since.
    let live_ids: Vec<Uuid> = live.iter().map(|u| u.payment_id).collect();
    let current = card_payments::by_ids(Conn::Tx(&mut tx), tenant.id, &live_ids).await?;
    let mut planned: Vec<(&PaymentUpdate, &CardPayment, Move)> = Vec::new();
    for u in live {
        let payment = current.iter().find(|p| p.id == u.payment_id).ok_or(CardError::NotFound)?;
        if let Some(m) = decide(tenant, now, payment, &u.event)? {
            planned.push((u, payment, m));
        }
    }
    let moved = move_all(&mut tx, tenant, planned.iter().map(|(_, p, m)| (p.id, m))).await?;
    let mut entries = Vec::new();
    let mut booked = Vec::new();
    for (u, payment, m) in planned.into_iter().filter(|(_, p, _)| moved.contains(&p.id)) {
        if success(u) {
            booked.push((payment, m.audit_action));
        } else {
            entries.push(move_entry(payment, &u.event, &m, &SYSTEM));
        }
    }
    entries.extend(book_successes(&mut tx, tenant, &codes, now, &booked).await?);
    audit::append_all(&mut tx, tenant.id, now, entries).await?;
    tx.commit().await?;
    Ok(())
}

static SYSTEM: Actor = Actor::System;

/// A step the transition table allows.
#[derive(Debug, Clone)]
struct Move {
    from: PaymentState,
    to: PaymentState,
    audit_action: &'static str,
    /// A success is received on the tenant's business date.
    received_on: Option<chrono::NaiveDate>,
}

/// The step `event` takes `payment` by the transition table, if any.
fn decide(
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment: &CardPayment,
    event: &PaymentEvent,
) -> Result<Option<Move>, CardError> {
    let state = PaymentState::parse(&payment.status)
        .ok_or_else(|| StoreError::Corrupt(format!("payment {} status {}", payment.id, payment.status)))?;
    let transition = match payment_state::next(state, event) {
        Ok(Step::Move(t)) => t,
        Ok(Step::AlreadyThere) => return Ok(None),
        Err(e) => {
            // An out-of-order report of an earlier step: nothing changes.
            tracing::info!(payment = %payment.id, error = %e, "payment event not applied");
            return Ok(None);
        }
    };
    let success = event.kind() == PaymentEventKind::ProviderSucceeded;
    Ok(Some(Move {
        from: state,
        to: transition.to,
        audit_action: transition.audit_action,
        received_on: success.then(|| tenant.local_date(now)),
    }))
}

/// Writes the moves (compare and set, one statement per kind of move);
/// returns the payments that moved. One another transaction moved first
/// (callers hold the party's lock, so this is a safety net) is left alone.
async fn move_all(
    tx: &mut Tx,
    tenant: &Tenant,
    moves: impl Iterator<Item = (Uuid, &Move)>,
) -> Result<std::collections::HashSet<Uuid>, CardError> {
    let mut groups: Vec<(PaymentState, PaymentState, Option<chrono::NaiveDate>, Vec<Uuid>)> = Vec::new();
    for (id, m) in moves {
        match groups.iter_mut().find(|g| (g.0, g.1, g.2) == (m.from, m.to, m.received_on)) {
            Some(g) => g.3.push(id),
            None => groups.push((m.from, m.to, m.received_on, vec![id])),
        }
    }
    let mut moved = std::collections::HashSet::new();
    for (from, to, received_on, ids) in groups {
        moved.extend(card_payments::set_statuses(tx, tenant.id, &ids, from.as_str(), to.as_str(), received_on).await?);
    }
    Ok(moved)
}

/// The audit entry of a move other than a success (whose entry carries the money).
fn move_entry<'a>(payment: &CardPayment, event: &PaymentEvent, m: &Move, actor: &'a Actor) -> audit::NewEntry<'a> {
    let mut details = event.audit_details();
    details["from"] = json!(m.from.as_str());
    details["to"] = json!(m.to.as_str());
    audit::NewEntry { actor, action: m.audit_action, subject: subject(payment.id), details }
}

/// Moves the payment if the table allows; writes the audit entry of every
/// move except a success, whose entry `book_successes` writes with the money.
/// Returns the audit action of the move, `None` when nothing changed.
pub(crate) async fn take_step(
    tx: &mut Tx,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment: &CardPayment,
    event: &PaymentEvent,
    actor: &Actor,
) -> Result<Option<&'static str>, CardError> {
    let Some(m) = decide(tenant, now, payment, event)? else { return Ok(None) };
    let moved = move_all(tx, tenant, std::iter::once((payment.id, &m))).await?;
    if moved.is_empty() {
        return Ok(None);
    }
    if event.kind() != PaymentEventKind::ProviderSucceeded {
        audit::append_all(tx, tenant.id, now, vec![move_entry(payment, event, &m, actor)]).await?;
    }
    Ok(Some(m.audit_action))
}

/// The receipt series of a tenant: test tenants number their own.
pub fn receipt_series(tenant: &Tenant) -> &'static str {
    match tenant.mode {
        TenantMode::Live => "",
        TenantMode::Test => "TEST-",
    }
}

/// Successes: each allocated at its quote's locked date over the quote's
/// debts (recomputed by policy if they changed since; any surplus is
/// credit), with its receipt and journal; returns their audit entries.
async fn book_successes(
    tx: &mut Tx,
    tenant: &Tenant,
    codes: &[crate::domain::tenant::RevenueCode],
    now: DateTime<Utc>,
    paid: &[(&CardPayment, &'static str)],
) -> Result<Vec<audit::NewEntry<'static>>, CardError> {
    if paid.is_empty() {
        return Ok(Vec::new());
    }
    let quote_ids: Vec<Uuid> = paid.iter().map(|(p, _)| p.quote_id).collect();
    let quotes = quotes::debts_of(Conn::Tx(tx), tenant.id, &quote_ids).await?;
    let today = tenant.local_date(now);
    let mut bookings = Vec::with_capacity(paid.len());
    for (payment, _) in paid {
        let (as_of, debt_ids) = quotes.get(&payment.quote_id).ok_or(CardError::NotFound)?;
        bookings.push(Booking {
            payment_id: payment.id,
            party_id: payment.party_id,
            channel: Channel::Card,
            amount: Cents::new(payment.amount_cents),
            as_of: *as_of,
            booked_on: today,
            debts: Some(debt_ids),
        });
    }
    let plans = apply::book_all(tx, tenant, codes, now, &bookings).await?;
    let tokens: Vec<String> = paid.iter().map(|_| random_token()).collect();
    let new_receipts: Vec<NewReceipt> = paid
        .iter()
        .zip(&tokens)
        .map(|((payment, _), token)| NewReceipt {
            payment_id: payment.id,
            kind: ReceiptKind::Receipt,
            series: receipt_series(tenant),
            year: today.year(),
            amount_cents: payment.amount_cents,
            cancels_id: None,
            refund_id: None,
            token,
        })
        .collect();
    let issued = receipts::issue_all(tx, tenant.id, &new_receipts, now).await?;
    let mut entries = Vec::with_capacity(paid.len());
    for (((payment, action), booking), (plan, receipt)) in paid.iter().zip(&bookings).zip(plans.iter().zip(&issued)) {
        let mut details = apply::applied_details(booking, plan, tenant);
        details["receipt"] = json!(receipt.label());
        details["quote"] = json!(payment.quote_id.to_string());
        entries.push(audit::NewEntry { actor: &SYSTEM, action, subject: subject(payment.id), details });
    }
    Ok(entries)
}

/// The re-check worker's step for one payment: ask the provider, cancel an
/// intent still unconfirmed past its quote's window and grace, and schedule
/// the next check.
pub async fn recheck(
    db: &Db,
    provider: &CardProvider,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment_id: Uuid,
) -> Result<CardPayment, CardError> {
    let payment = sync(db, provider, tenant, now, payment_id).await?;
    let quote = quotes::by_id(Conn::Db(db), tenant.id, payment.quote_id).await?.ok_or(CardError::NotFound)?;
    let pending = PaymentState::parse(&payment.status).is_some_and(PaymentState::is_pending);
    if pending && now >= quote.expires_at + CANCEL_GRACE {
        let payment = match &payment.provider_ref {
            // The provider's answer (canceled, or a success that beat the
            // cancel) is applied like any other.
            Some(intent) => {
                let intent = provider.cancel_intent(intent).await?;
                match event_for(&payment, &intent) {
                    Some(event) => apply_event(db, tenant, now, payment_id, &event, None).await?,
                    None => payment,
                }
            }
            None => apply_event(db, tenant, now, payment_id, &PaymentEvent::QuoteExpired, None).await?,
        };
        // The cancel point has passed: what is left are the fixed re-checks.
        let later = next_check(payment.created_at, quote.expires_at, now);
        card_payments::set_next_check(db, tenant.id, payment_id, later).await?;
        return Ok(payment);
    }
    let next = if pending { next_check(payment.created_at, quote.expires_at, now) } else { None };
    card_payments::set_next_check(db, tenant.id, payment_id, next).await?;
    Ok(payment)
}
