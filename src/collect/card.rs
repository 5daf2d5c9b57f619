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
use crate::store::receipts::{self, NewReceipt, ReceiptKind, ReceiptRecord};
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

/// Applies one event to a payment in one transaction holding the party's
/// lock; `provider_event` (a stored webhook) is marked applied in the same
/// transaction. Returns the payment as it now stands.
pub async fn apply_event(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment_id: Uuid,
    event: &PaymentEvent,
    provider_event: Option<&str>,
) -> Result<CardPayment, CardError> {
    let success = event.kind() == PaymentEventKind::ProviderSucceeded;
    // Only a success books money; read its codes before the transaction opens.
    let codes = if success { tenants::revenue_codes(db, tenant.id).await? } else { Vec::new() };
    let party = card_payments::by_id(Conn::Db(db), tenant.id, payment_id).await?.ok_or(CardError::NotFound)?.party_id;
    let mut tx = db.begin_write().await?;
    payments::lock_party(&mut tx, tenant.id, party).await?;
    // A stored event is marked first: if another node already applied it,
    // nothing here happens twice.
    if let Some(id) = provider_event
        && !provider_events::finish(&mut tx, tenant.id, id, "applied", now).await?
    {
        drop(tx);
        return card_payments::by_id(Conn::Db(db), tenant.id, payment_id).await?.ok_or(CardError::NotFound);
    }
    // Re-read under the lock: the state may have moved since.
    let payment = card_payments::by_id(Conn::Tx(&mut tx), tenant.id, payment_id).await?.ok_or(CardError::NotFound)?;
    if let Some(step) = take_step(&mut tx, tenant, now, &payment, event, &Actor::System).await?
        && success
    {
        book_success(&mut tx, tenant, &codes, now, &payment, step).await?;
    }
    tx.commit().await?;
    card_payments::by_id(Conn::Db(db), tenant.id, payment_id).await?.ok_or(CardError::NotFound)
}

/// Moves the payment if the table allows; writes the audit entry of every
/// move except a success, whose entry `book_success` writes with the money.
/// Returns the audit action of the move, `None` when nothing changed.
pub(crate) async fn take_step(
    tx: &mut Tx,
    tenant: &Tenant,
    now: DateTime<Utc>,
    payment: &CardPayment,
    event: &PaymentEvent,
    actor: &Actor,
) -> Result<Option<&'static str>, CardError> {
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
    let received_on =
        if event.kind() == PaymentEventKind::ProviderSucceeded { tenant.local_date(now) } else { payment.received_on };
    let moved =
        card_payments::set_status(tx, tenant.id, payment.id, state.as_str(), transition.to.as_str(), received_on)
            .await?;
    if !moved {
        // Another transaction moved it first (callers hold the party's lock,
        // so this is a safety net): nothing is written on a stale state.
        return Ok(None);
    }
    if event.kind() != PaymentEventKind::ProviderSucceeded {
        let mut details = event.audit_details();
        details["from"] = json!(state.as_str());
        details["to"] = json!(transition.to.as_str());
        audit::append(tx, tenant.id, now, actor, transition.audit_action, &subject(payment.id), details).await?;
    }
    Ok(Some(transition.audit_action))
}

/// The receipt series of a tenant: test tenants number their own.
pub fn receipt_series(tenant: &Tenant) -> &'static str {
    match tenant.mode {
        TenantMode::Live => "",
        TenantMode::Test => "TEST-",
    }
}

/// A success: allocate at the quote's locked date over the quote's debts
/// (recomputed by policy if they changed since; any surplus is credit),
/// issue the receipt, and write journal and audit.
async fn book_success(
    tx: &mut Tx,
    tenant: &Tenant,
    codes: &[crate::domain::tenant::RevenueCode],
    now: DateTime<Utc>,
    payment: &CardPayment,
    audit_action: &'static str,
) -> Result<ReceiptRecord, CardError> {
    let quote = quotes::by_id(Conn::Tx(tx), tenant.id, payment.quote_id).await?.ok_or(CardError::NotFound)?;
    let debt_ids: Vec<Uuid> = quote.lines.iter().map(|l| l.debt_id).collect();
    let today = tenant.local_date(now);
    let booking = Booking {
        payment_id: payment.id,
        party_id: payment.party_id,
        channel: Channel::Card,
        amount: Cents::new(payment.amount_cents),
        as_of: quote.as_of,
        booked_on: today,
        debts: Some(&debt_ids),
    };
    let plan = apply::book(tx, tenant, codes, now, &booking).await?;
    let token = random_token();
    let receipt = NewReceipt {
        payment_id: payment.id,
        kind: ReceiptKind::Receipt,
        series: receipt_series(tenant),
        year: today.year(),
        amount_cents: payment.amount_cents,
        cancels_id: None,
        refund_id: None,
        token: &token,
    };
    let receipt = receipts::issue(tx, tenant.id, &receipt, now).await?;
    let mut details = apply::applied_details(&booking, &plan, tenant);
    details["receipt"] = json!(receipt.label());
    details["quote"] = json!(quote.id.to_string());
    audit::append(tx, tenant.id, now, &Actor::System, audit_action, &subject(payment.id), details).await?;
    Ok(receipt)
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
