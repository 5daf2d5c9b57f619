//! The invariants of DESIGN.md, checked in SQL against stored data. Every
//! integration test runs them before it ends; later features add theirs here.

use uuid::Uuid;

use super::{Db, StoreResult, on_pool};

/// Every violated invariant of one tenant, in words; empty when all hold.
pub async fn check(db: &Db, tenant: Uuid) -> StoreResult<Vec<String>> {
    let mut out = Vec::new();

    const UNBALANCED: &str =
        "select event_seq, cast(sum(debit_cents) as bigint), cast(sum(credit_cents) as bigint) from journal_lines
        where tenant_id = $1 group by event_seq having sum(debit_cents) <> sum(credit_cents)";
    let rows: Vec<(i64, i64, i64)> = on_pool!(db, |p| sqlx::query_as(UNBALANCED).bind(tenant).fetch_all(p).await)?;
    for (seq, dr, cr) in rows {
        out.push(format!("journal event {seq}: debits {dr} != credits {cr}"));
    }

    const EMPTY_EVENTS: &str = "select count(*) from journal_events e where e.tenant_id = $1
        and (select count(*) from journal_lines l where l.tenant_id = e.tenant_id and l.event_seq = e.seq) < 2";
    let n: i64 = on_pool!(db, |p| sqlx::query_scalar(EMPTY_EVENTS).bind(tenant).fetch_one(p).await)?;
    if n > 0 {
        out.push(format!("{n} journal events have fewer than two lines"));
    }

    // Gapless numbering: the numbers are exactly 1..=counter.
    for (what, numbers, counter) in [
        (
            "journal",
            "select count(*), coalesce(min(seq), 1), coalesce(max(seq), 0) from journal_events where tenant_id = $1",
            "select coalesce(max(value), 0) from counters where tenant_id = $1 and name = 'journal'",
        ),
        (
            "audit",
            "select count(*), coalesce(min(seq), 1), coalesce(max(seq), 0) from audit_entries where tenant_id = $1",
            "select coalesce(max(seq), 0) from audit_heads where tenant_id = $1",
        ),
    ] {
        let (count, min, max): (i64, i64, i64) =
            on_pool!(db, |p| sqlx::query_as(numbers).bind(tenant).fetch_one(p).await)?;
        let top: i64 = on_pool!(db, |p| sqlx::query_scalar(counter).bind(tenant).fetch_one(p).await)?;
        if count != max || min != 1 && count > 0 || max != top {
            out.push(format!("{what} numbers are not gapless: {count} rows, from {min} to {max}, counter at {top}"));
        }
    }

    const NO_OUTBOX: &str = "select count(*) from journal_events e where e.tenant_id = $1 and not exists
        (select 1 from outbox o where o.tenant_id = e.tenant_id and o.event_seq = e.seq)";
    let n: i64 = on_pool!(db, |p| sqlx::query_scalar(NO_OUTBOX).bind(tenant).fetch_one(p).await)?;
    if n > 0 {
        out.push(format!("{n} journal events have no outbox row"));
    }

    // Invariant 1: what is paid on a debt is the sum of its allocations, never
    // negative, and its principal part never above the principal.
    const OVERPAID: &str = "select d.rf, d.principal_cents,
            cast(coalesce(sum(a.principal_cents), 0) as bigint), cast(coalesce(sum(a.surcharge_cents), 0) as bigint)
        from debts d left join allocations a on a.tenant_id = d.tenant_id and a.debt_id = d.id
        where d.tenant_id = $1 group by d.id, d.rf, d.principal_cents";
    let rows: Vec<(String, i64, i64, i64)> =
        on_pool!(db, |p| sqlx::query_as(OVERPAID).bind(tenant).fetch_all(p).await)?;
    for (rf, principal, principal_paid, surcharge_paid) in rows {
        if principal_paid < 0 || principal_paid > principal || surcharge_paid < 0 {
            out.push(format!(
                "debt {rf}: principal {principal}, principal paid {principal_paid}, surcharge paid {surcharge_paid}"
            ));
        }
    }

    // Invariant 2: a successful payment's amount, less what refunds gave
    // back and what open or lost disputes took, is its allocations plus the
    // credit it left.
    const PAYMENTS: &str = "select p.id, p.amount_cents,
            cast(coalesce((select sum(a.principal_cents + a.surcharge_cents) from allocations a
                where a.tenant_id = p.tenant_id and a.payment_id = p.id), 0) as bigint),
            cast(coalesce((select sum(c.amount_cents) from credit_movements c
                where c.tenant_id = p.tenant_id and c.payment_id = p.id), 0) as bigint),
            cast(coalesce((select sum(r.amount_cents) from refunds r
                where r.tenant_id = p.tenant_id and r.payment_id = p.id and r.status = 'succeeded'), 0) as bigint)
            + cast(coalesce((select sum(d.taken_cents) from disputes d
                where d.tenant_id = p.tenant_id and d.payment_id = p.id and d.status in ('open', 'lost')), 0) as bigint)
        from payments p where p.tenant_id = $1 and p.status in
            ('succeeded', 'partially_refunded', 'refunded', 'disputed', 'dispute_won', 'dispute_lost')";
    let rows: Vec<(uuid::Uuid, i64, i64, i64, i64)> =
        on_pool!(db, |p| sqlx::query_as(PAYMENTS).bind(tenant).fetch_all(p).await)?;
    for (id, amount, allocated, credit, refunded) in rows {
        if amount - refunded != allocated + credit || credit < 0 {
            out.push(format!(
                "payment {id}: amount {amount} - refunded or disputed {refunded} != allocated {allocated} + credit {credit}"
            ));
        }
    }

    // A payment that did not succeed moved no money.
    const IDLE: &str = "select count(*) from payments p where p.tenant_id = $1
        and p.status in ('created', 'awaiting_payment', 'processing', 'canceled', 'expired', 'anomaly')
        and (exists (select 1 from allocations a where a.tenant_id = p.tenant_id and a.payment_id = p.id)
          or exists (select 1 from credit_movements c where c.tenant_id = p.tenant_id and c.payment_id = p.id))";
    let idle: i64 = on_pool!(db, |p| sqlx::query_scalar(IDLE).bind(tenant).fetch_one(p).await)?;
    if idle > 0 {
        out.push(format!("{idle} payments that did not succeed have allocations or credit"));
    }

    // Receipts: gapless per series and year, one receipt per succeeded card payment.
    const RECEIPTS: &str = "select series, year, count(*), min(number), max(number) from receipts
        where tenant_id = $1 group by series, year";
    let rows: Vec<(String, i64, i64, i64, i64)> =
        on_pool!(db, |p| sqlx::query_as(RECEIPTS).bind(tenant).fetch_all(p).await)?;
    for (series, year, count, min, max) in rows {
        if min != 1 || max != count {
            out.push(format!("receipts {series}{year}: {count} numbers from {min} to {max}"));
        }
    }
    const UNRECEIPTED: &str = "select count(*) from payments p where p.tenant_id = $1 and p.channel = 'card'
        and p.status not in ('created', 'awaiting_payment', 'processing', 'canceled', 'expired', 'anomaly')
        and (select count(*) from receipts r
            where r.tenant_id = p.tenant_id and r.payment_id = p.id and r.kind = 'receipt') <> 1";
    let n: i64 = on_pool!(db, |p| sqlx::query_scalar(UNRECEIPTED).bind(tenant).fetch_one(p).await)?;
    if n > 0 {
        out.push(format!("{n} succeeded card payments do not have exactly one receipt"));
    }

    // The bulk tables have no foreign keys (see migration 0002): no orphans.
    const ORPHANS: &str = "select
        (select count(*) from debts d where d.tenant_id = $1 and not exists
            (select 1 from parties p where p.tenant_id = d.tenant_id and p.id = d.party_id)),
        (select count(*) from debts d where d.tenant_id = $1 and not exists
            (select 1 from debt_rolls r where r.tenant_id = d.tenant_id and r.id = d.roll_id)),
        (select count(*) from debts d where d.tenant_id = $1 and not exists
            (select 1 from rf_directory x where x.rf = d.rf and x.tenant_id = d.tenant_id and x.debt_id = d.id))";
    let (no_party, no_roll, no_directory): (i64, i64, i64) =
        on_pool!(db, |p| sqlx::query_as(ORPHANS).bind(tenant).fetch_one(p).await)?;
    if no_party + no_roll + no_directory > 0 {
        out.push(format!(
            "orphan debts: {no_party} without party, {no_roll} without roll, {no_directory} not in the RF directory"
        ));
    }

    let chain = super::audit::chain(db, tenant).await?;
    let head = super::audit::head(db, tenant).await?;
    for f in crate::domain::audit::verify_chain(&chain, head.as_ref().map(|(s, h)| (*s, h.as_str()))) {
        out.push(format!("audit chain: {f}"));
    }
    Ok(out)
}
