//! Composing a receipt or cancellation PDF from stored data.

use super::receipt_pdf::{ReceiptKindView, ReceiptLineView, ReceiptView, render_receipt};
use crate::domain::lang::Lang;
use crate::domain::money::Cents;
use crate::domain::tax_id::masked_digits;
use crate::domain::tenant::{Tenant, TenantMode};
use crate::store::receipts::{self, ReceiptRecord};
use crate::store::{Conn, Db, StoreError, card_payments, debts, payments};

#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    #[error("no such receipt")]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot render the receipt: {0}")]
    Render(String),
}

/// The receipt behind an unguessable token, as PDF bytes.
pub async fn receipt_pdf(db: &Db, tenant: &Tenant, token: &str, lang: Lang) -> Result<Vec<u8>, ReceiptError> {
    let r = receipts::by_token(db, tenant.id, token).await?.ok_or(ReceiptError::NotFound)?;
    let payment = card_payments::by_id(Conn::Db(db), tenant.id, r.payment_id).await?.ok_or(ReceiptError::NotFound)?;
    let party = debts::party(db, tenant.id, payment.party_id).await?.ok_or(ReceiptError::NotFound)?;
    let (kind, lines, credit, cancels_label) = if r.kind == "cancellation" {
        let cancelled = match r.cancels_id {
            Some(id) => receipts::of_payment(Conn::Db(db), tenant.id, payment.id)
                .await?
                .into_iter()
                .find(|x| x.id == id)
                .map(|x: ReceiptRecord| x.label()),
            None => None,
        };
        (ReceiptKindView::Cancellation, vec![], Cents::new(r.amount_cents), cancelled)
    } else {
        let lines = receipts::lines(db, tenant.id, payment.id)
            .await?
            .into_iter()
            .map(|l| ReceiptLineView {
                rf: l.rf,
                revenue_code: l.revenue_code.unwrap_or_default(),
                fiscal_year: l.fiscal_year,
                description: l.description,
                principal: Cents::new(l.principal_cents),
                surcharge: Cents::new(l.surcharge_cents),
            })
            .collect();
        let credit = payments::credit_left_by(db, tenant.id, payment.id).await?;
        (ReceiptKindView::Receipt, lines, Cents::new(credit), None)
    };
    let view = ReceiptView {
        lang,
        kind,
        test_mode: tenant.mode == TenantMode::Test,
        municipality: if lang == Lang::En { tenant.name_en.clone() } else { tenant.name_el.clone() },
        label: r.label(),
        issued_local: r.issued_at.with_timezone(&tenant.time_zone).naive_local(),
        payer_name: party.name,
        payer_tax_id_masked: party.tax_id.as_deref().map(masked_digits).unwrap_or_default(),
        channel: if payment.provider == "sandbox" { "sandbox" } else { "card" },
        lines,
        credit,
        total: Cents::new(r.amount_cents),
        cancels_label,
    };
    render_receipt(&view).map_err(|e| ReceiptError::Render(e.to_string()))
}
