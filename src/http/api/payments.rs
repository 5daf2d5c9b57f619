//! Quotes and card payments for API clients (a municipality's own portal, a
//! citizen service centre): quote debts, start the payment, follow it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use std::sync::{Arc, Mutex};

use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::app::AppState;
use crate::collect::card::{self, NewQuote, QuoteRequest};
use crate::collect::providers::CardProvider;
use crate::collect::refund::{self, RefundRequest};
use crate::collect::{credit, write_off};
use crate::domain::money::{ApiAmount, Cents};
use crate::domain::payment_state::PaymentState;
use crate::error::{AppError, AppResult, InternalError};
use crate::http::extract::TenantAuth;
use crate::http::idempotency::{self, IdemJson};
use crate::store::card_payments::CardPayment;
use crate::store::quotes::QuoteRecord;
use crate::store::refunds::RefundRecord;
use crate::store::{Conn, card_payments, quotes, receipts};

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteBody {
    pub party_id: Uuid,
    /// Only these debts of the party; omitted: every debt with something due.
    pub debts: Option<Vec<Uuid>>,
    /// A partial amount, e.g. "10.00"; omitted: everything due.
    #[schema(value_type = Option<String>)]
    pub amount: Option<ApiAmount>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuoteLineView {
    pub debt_id: Uuid,
    pub principal_due: String,
    pub surcharge_due: String,
    /// What this payment will put on the debt if nothing changes before it succeeds.
    pub pay_principal: String,
    pub pay_surcharge: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuoteView {
    pub id: Uuid,
    pub party_id: Uuid,
    /// Surcharges are locked as of this local date.
    pub as_of: chrono::NaiveDate,
    pub expires_at: chrono::DateTime<chrono::Utc>,
    pub amount: String,
    pub total_due: String,
    /// The surplus that would become the party's credit (zero unless every debt is paid).
    pub credit: String,
    pub lines: Vec<QuoteLineView>,
    /// The citizen's payment page for this quote (shown only when created).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_url: Option<String>,
}

fn quote_view(q: &QuoteRecord, pay_url: Option<String>) -> QuoteView {
    let c = |v: i64| Cents::new(v).to_api_string();
    let paid: i64 = q.lines.iter().map(|l| l.principal_pay_cents + l.surcharge_pay_cents).sum();
    QuoteView {
        id: q.id,
        party_id: q.party_id,
        as_of: q.as_of,
        expires_at: q.expires_at,
        amount: c(q.amount_cents),
        total_due: c(q.total_due_cents),
        credit: c(q.amount_cents - paid),
        lines: q
            .lines
            .iter()
            .map(|l| QuoteLineView {
                debt_id: l.debt_id,
                principal_due: c(l.principal_due_cents),
                surcharge_due: c(l.surcharge_due_cents),
                pay_principal: c(l.principal_pay_cents),
                pay_surcharge: c(l.surcharge_pay_cents),
            })
            .collect(),
        pay_url,
    }
}

/// A free-text field an officer must fill: trimmed, 1 to `max` characters.
fn required_text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let v = crate::platform::nfc(value.trim());
    if v.is_empty() || v.chars().count() > max {
        return Err(AppError::invalid(field, format!("must have 1 to {max} characters")));
    }
    Ok(v)
}

fn to_json<T: Serialize>(v: &T) -> AppResult<serde_json::Value> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(InternalError::Other(e.to_string())))
}

/// Quotes debts of a party: what is due now on each (surcharges locked for
/// the tenant's window, 30 minutes by default) and how the amount will be
/// allocated. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/quotes", tag = "payments", request_body = QuoteBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "retries with the same key and body get the same quote")),
    responses((status = 201, body = QuoteView), (status = 409, body = crate::error::Problem),
        (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create_quote(
    State(st): State<AppState>,
    auth: TenantAuth,
    req: IdemJson<QuoteBody>,
) -> AppResult<Response> {
    let b = req.body;
    let request = QuoteRequest { party_id: b.party_id, debts: b.debts, amount: b.amount.map(Cents::from) };
    let planned: NewQuote = card::plan_quote(&st.db, &auth.tenant, st.clock.now(), &request).await?;
    let tenant = auth.tenant.clone();
    idempotency::run(
        &st,
        &auth.actor,
        req.key,
        Box::new(move |tx| {
            Box::pin(async move {
                card::save_quote(tx, &tenant, &planned).await?;
                let url = format!("/pay/{}.{}", tenant.id, planned.token);
                Ok((StatusCode::CREATED, to_json(&quote_view(&planned.quote, Some(url)))?))
            })
        }),
    )
    .await
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReceiptLink {
    /// e.g. "TEST-2026/000042".
    pub number: String,
    /// `receipt` or `cancellation`.
    pub kind: String,
    pub amount: String,
    /// The PDF, by an unguessable URL.
    pub url: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentView {
    pub id: Uuid,
    pub quote_id: Uuid,
    pub party_id: Uuid,
    /// `created`, `awaiting_payment`, `processing`, `succeeded`, `canceled`,
    /// `expired`, `partially_refunded`, `refunded`, `disputed`,
    /// `dispute_won`, `dispute_lost` or `anomaly`.
    pub status: String,
    pub amount: String,
    pub currency: String,
    pub provider: String,
    /// The provider's PaymentIntent id.
    pub intent_id: Option<String>,
    /// For the browser's card step (Stripe.js `confirmCardPayment`); only
    /// while the payment can still be paid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    pub receipts: Vec<ReceiptLink>,
    /// What can still be refunded (zero unless the payment succeeded); send
    /// it back as `expected_refundable` when refunding.
    pub refundable: String,
}

async fn payment_view(
    st: &AppState,
    tenant: Uuid,
    p: &CardPayment,
    client_secret: Option<String>,
) -> AppResult<PaymentView> {
    let found = receipts::of_payment(Conn::Db(&st.db), tenant, p.id).await?;
    let state = PaymentState::parse(&p.status).unwrap_or(PaymentState::Anomaly);
    let refundable =
        if matches!(state, PaymentState::Succeeded | PaymentState::PartiallyRefunded | PaymentState::DisputeWon) {
            refund::refundable(Conn::Db(&st.db), tenant, p).await?
        } else {
            Cents::ZERO
        };
    Ok(PaymentView {
        id: p.id,
        quote_id: p.quote_id,
        party_id: p.party_id,
        status: p.status.clone(),
        amount: Cents::new(p.amount_cents).to_api_string(),
        currency: p.currency.clone(),
        provider: p.provider.clone(),
        intent_id: p.provider_ref.clone(),
        client_secret: client_secret.filter(|_| PaymentState::parse(&p.status).is_some_and(PaymentState::is_pending)),
        receipts: found
            .into_iter()
            .map(|r| ReceiptLink {
                number: r.label(),
                kind: r.kind.clone(),
                amount: Cents::new(r.amount_cents).to_api_string(),
                url: format!("/receipts/{tenant}.{}", r.token),
            })
            .collect(),
        refundable: refundable.to_api_string(),
    })
}

/// Starts paying a quote: records the payment and creates the provider's
/// intent (its idempotency key is the payment id). Calling again returns the
/// same payment and intent. A quote past its window is refused.
#[utoipa::path(post, path = "/api/v1/quotes/{id}/payment", tag = "payments",
    params(("id" = Uuid, Path, description = "the quote")),
    responses((status = 201, body = PaymentView), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 503, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn start_payment(
    State(st): State<AppState>,
    auth: TenantAuth,
    Path(id): Path<Uuid>,
) -> AppResult<(StatusCode, Json<PaymentView>)> {
    let quote = quotes::by_id(Conn::Db(&st.db), auth.tenant.id, id).await?.ok_or(AppError::NotFound)?;
    let provider = CardProvider::for_tenant(&st.db, &auth.tenant).await.map_err(card::CardError::from)?;
    let started = card::start_payment(&st.db, &provider, &auth.tenant, st.clock.now(), &quote).await?;
    let view = payment_view(&st, auth.tenant.id, &started.payment, started.intent.client_secret.clone()).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// A payment as the provider confirms it now: reading it asks the provider.
#[utoipa::path(get, path = "/api/v1/payments/{id}", tag = "payments",
    params(("id" = Uuid, Path, description = "the payment")),
    responses((status = 200, body = PaymentView), (status = 404, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn get_payment(
    State(st): State<AppState>,
    auth: TenantAuth,
    Path(id): Path<Uuid>,
) -> AppResult<Json<PaymentView>> {
    let stored = card_payments::by_id(Conn::Db(&st.db), auth.tenant.id, id).await?.ok_or(AppError::NotFound)?;
    let provider = CardProvider::for_tenant(&st.db, &auth.tenant).await.map_err(card::CardError::from)?;
    let payment = match card::sync(&st.db, &provider, &auth.tenant, st.clock.now(), id).await {
        Ok(p) => p,
        // The provider is down: answer what we know.
        Err(card::CardError::Provider(e)) => {
            tracing::warn!(payment = %id, error = %e, "provider not reachable");
            stored
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Json(payment_view(&st, auth.tenant.id, &payment, None).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundBody {
    /// e.g. "4.00".
    #[schema(value_type = String)]
    pub amount: ApiAmount,
    /// The refundable amount the officer was shown; if it changed meanwhile
    /// the refund is refused with 412.
    #[schema(value_type = String)]
    pub expected_refundable: ApiAmount,
    pub reason: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RefundView {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: String,
    /// `pending` (the provider has not answered yet; retried), `succeeded` or `failed`.
    pub status: String,
    pub reason: String,
}

fn refund_view(r: &crate::store::refunds::RefundRecord) -> RefundView {
    RefundView {
        id: r.id,
        payment_id: r.payment_id,
        amount: Cents::new(r.amount_cents).to_api_string(),
        status: r.status.clone(),
        reason: r.reason.clone(),
    }
}

/// Refunds all or part of a card payment: unused credit first, then the
/// newest allocations, whose debts reopen. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/payments/{id}/refunds", tag = "payments", request_body = RefundBody,
    params(("id" = Uuid, Path, description = "the payment"),
        ("Idempotency-Key" = Option<String>, Header, description = "retries with the same key and body refund once")),
    responses((status = 201, body = RefundView), (status = 409, body = crate::error::Problem),
        (status = 412, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn create_refund(
    State(st): State<AppState>,
    auth: TenantAuth,
    Path(id): Path<Uuid>,
    req: IdemJson<RefundBody>,
) -> AppResult<Response> {
    let reason = required_text("reason", &req.body.reason, 500)?;
    let request = RefundRequest {
        payment_id: id,
        amount: req.body.amount.cents(),
        expected_refundable: req.body.expected_refundable.cents(),
        reason,
    };
    let reserved: Arc<Mutex<Option<RefundRecord>>> = Arc::default();
    let cell = reserved.clone();
    let (tenant, actor, now) = (auth.tenant.clone(), auth.actor.clone(), st.clock.now());
    let key = req.key.clone();
    let response = idempotency::run(
        &st,
        &auth.actor,
        req.key,
        Box::new(move |tx| {
            Box::pin(async move {
                let r = refund::reserve(tx, &tenant, now, &actor, &request).await?;
                let body = to_json(&refund_view(&r))?;
                if let Ok(mut c) = cell.lock() {
                    *c = Some(r);
                }
                Ok((StatusCode::CREATED, body))
            })
        }),
    )
    .await?;
    let Some(r) = reserved.lock().ok().and_then(|mut c| c.take()) else { return Ok(response) };
    let settled = refund::execute_now(&st.db, &auth.tenant, st.clock.now(), r).await?;
    let view = to_json(&refund_view(&settled))?;
    idempotency::restore(&st, &auth.actor, key, StatusCode::CREATED, &view).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WriteOffBody {
    pub reason: String,
    /// The number of the decision that authorises the write-off.
    pub decision: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WriteOffView {
    pub id: Uuid,
    pub debt_id: Uuid,
    pub principal: String,
    pub surcharge: String,
    pub written_on: chrono::NaiveDate,
}

/// Writes off what a debt has outstanding today, by an officer's decision.
/// Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/debts/{id}/write-off", tag = "payments", request_body = WriteOffBody,
    params(("id" = Uuid, Path, description = "the debt"),
        ("Idempotency-Key" = Option<String>, Header, description = "retries with the same key and body write off once")),
    responses((status = 201, body = WriteOffView), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn write_off_debt(
    State(st): State<AppState>,
    auth: TenantAuth,
    Path(id): Path<Uuid>,
    req: IdemJson<WriteOffBody>,
) -> AppResult<Response> {
    let reason = required_text("reason", &req.body.reason, 500)?;
    let decision = required_text("decision", &req.body.decision, 100)?;
    let request = write_off::WriteOffRequest { debt_id: id, reason, decision };
    // Read before the write transaction opens: never a second connection inside it.
    let codes = crate::store::tenants::revenue_codes(&st.db, auth.tenant.id).await?;
    let (tenant, actor, now) = (auth.tenant.clone(), auth.actor.clone(), st.clock.now());
    idempotency::run(
        &st,
        &auth.actor,
        req.key,
        Box::new(move |tx| {
            Box::pin(async move {
                let w = write_off::write_off(&codes, tx, &tenant, now, &actor, &request).await?;
                let view = WriteOffView {
                    id: w.id,
                    debt_id: w.debt_id,
                    principal: Cents::new(w.principal_cents).to_api_string(),
                    surcharge: Cents::new(w.surcharge_cents).to_api_string(),
                    written_on: w.written_on,
                };
                Ok((StatusCode::CREATED, to_json(&view)?))
            })
        }),
    )
    .await
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyCreditBody {}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreditAppliedView {
    pub party_id: Uuid,
    pub applied: String,
    pub credit_left: String,
}

/// Applies a party's credit (overpayments it left) to its open debts by the
/// tenant's policy, oldest debt first. Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/parties/{id}/apply-credit", tag = "payments", request_body = ApplyCreditBody,
    params(("id" = Uuid, Path, description = "the party"),
        ("Idempotency-Key" = Option<String>, Header, description = "retries with the same key apply it once")),
    responses((status = 201, body = CreditAppliedView), (status = 404, body = crate::error::Problem),
        (status = 409, body = crate::error::Problem)),
    security(("bearer" = [])))]
pub async fn apply_credit(
    State(st): State<AppState>,
    auth: TenantAuth,
    Path(id): Path<Uuid>,
    req: IdemJson<ApplyCreditBody>,
) -> AppResult<Response> {
    let codes = crate::store::tenants::revenue_codes(&st.db, auth.tenant.id).await?;
    let (tenant, actor, now) = (auth.tenant.clone(), auth.actor.clone(), st.clock.now());
    idempotency::run(
        &st,
        &auth.actor,
        req.key,
        Box::new(move |tx| {
            Box::pin(async move {
                crate::store::payments::lock_party(tx, tenant.id, id).await?;
                let done = credit::apply_credit_in(tx, &tenant, &codes, now, &actor, id).await?.ok_or_else(|| {
                    AppError::Conflict {
                        kind: "nothing-to-apply",
                        detail: "the party has no credit, or nothing is due".into(),
                    }
                })?;
                let view = CreditAppliedView {
                    party_id: id,
                    applied: done.applied.to_api_string(),
                    credit_left: done.credit_left.to_api_string(),
                };
                Ok((StatusCode::CREATED, to_json(&view)?))
            })
        }),
    )
    .await
}
