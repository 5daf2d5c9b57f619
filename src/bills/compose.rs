//! Composing a party's notice from stored data: every open debt with its
//! amount as of the notice's "valid until" date and its EPC QR payload.

use chrono::NaiveDate;
use uuid::Uuid;

use super::{Notice, NoticeLine, render_notice};
use crate::debts::standings;
use crate::domain::epc::{EpcTransfer, epc_payload};
use crate::domain::iban::{Bic, Iban};
use crate::domain::lang::Lang;
use crate::domain::rf::RfReference;
use crate::domain::surcharge;
use crate::domain::tenant::{Tenant, TenantMode};
use crate::store::{Conn, Db, StoreError, debts, tenants};

#[derive(Debug, thiserror::Error)]
pub enum NoticeError {
    #[error("no such party")]
    NoParty,
    #[error("the party owes nothing")]
    NothingOwed,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot render the notice: {0}")]
    Render(String),
}

/// The notice of one party as of `today`, as PDF bytes.
pub async fn party_notice(db: &Db, tenant: &Tenant, party_id: Uuid, today: NaiveDate) -> Result<Vec<u8>, NoticeError> {
    let party = debts::party(db, tenant.id, party_id).await?.ok_or(NoticeError::NoParty)?;
    let records = debts::by_party(Conn::Db(db), tenant.id, party_id).await?;
    // Amounts hold until the first debt's surcharge month ends.
    let open_now = standings(Conn::Db(db), tenant, records.clone(), today).await?;
    let valid_until = open_now
        .iter()
        .filter(|s| s.balance.outstanding().is_positive())
        .map(|s| surcharge::valid_until(s.debt.due_on, today))
        .min()
        .ok_or(NoticeError::NothingOwed)?;
    let at_valid_until = standings(Conn::Db(db), tenant, records, valid_until).await?;
    let account =
        tenants::accounts(db, tenant.id).await?.into_iter().next().ok_or(NoticeError::Render("no account".into()))?;
    let iban = Iban::parse(&account.iban).map_err(|e| NoticeError::Render(e.to_string()))?;
    let bic = account.bic.as_deref().and_then(|b| Bic::parse(b).ok());
    let mut lines = Vec::new();
    for s in at_valid_until.into_iter().filter(|s| s.balance.outstanding().is_positive()) {
        let rf = RfReference::parse(&s.debt.rf).map_err(|e| NoticeError::Render(e.to_string()))?;
        let payload = epc_payload(&EpcTransfer {
            bic: bic.clone(),
            beneficiary: tenant.creditor_name.clone(),
            iban: iban.clone(),
            amount: s.balance.outstanding(),
            reference: rf.clone(),
        })
        .map_err(|e| NoticeError::Render(e.to_string()))?;
        lines.push(NoticeLine {
            rf,
            kind_label: s.kind.label(Lang::El).to_string(),
            fiscal_year: s.debt.fiscal_year,
            due_on: s.debt.due_on,
            principal: s.balance.principal_due(),
            surcharges: s.balance.surcharges_due(),
            amount: s.balance.outstanding(),
            epc_payload: payload,
        });
    }
    let notice = Notice {
        municipality_el: tenant.name_el.clone(),
        municipality_en: tenant.name_en.clone(),
        creditor_name: tenant.creditor_name.clone(),
        iban,
        party_name: party.name,
        party_address: party.address,
        notice_date: today,
        valid_until,
        lines,
        test_mode: tenant.mode == TenantMode::Test,
    };
    render_notice(&notice).map_err(|e| NoticeError::Render(e.to_string()))
}

/// Looks the tenant up and renders; for callers that hold only ids.
pub async fn notice_for(
    db: &Db,
    tenant_id: Uuid,
    party_id: Uuid,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<u8>, NoticeError> {
    let tenant = tenants::by_id(db, tenant_id).await?.ok_or(NoticeError::NoParty)?;
    party_notice(db, &tenant, party_id, tenant.local_date(now)).await
}
