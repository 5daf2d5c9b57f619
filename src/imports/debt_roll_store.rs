//! Storing a parsed debt roll: compared with what is stored, then written in
//! one transaction, or refused whole with every problem named.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::debt_roll::{self, DebtRow, ParseOptions, Problem, Problems};
use crate::collect::credit;
use crate::domain::actor::Actor;
use crate::domain::rf::{RfPrefix, RfReference};
use crate::domain::tenant::Tenant;
use crate::store::debts::{self, NewDebt, NewParty, NewRoll};
use crate::store::{Db, StoreResult, Tx, audit, payments, tenants};

/// What an accepted file did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ImportSummary {
    /// The roll recorded for this file; `None` when nothing was new.
    pub roll_id: Option<Uuid>,
    pub rows: usize,
    pub debts_new: usize,
    pub debts_unchanged: usize,
    pub parties_new: usize,
    /// Things noticed that did not refuse the file (other spellings of a party).
    pub warnings: Vec<Problem>,
    pub warnings_total: usize,
}

#[derive(Debug)]
pub enum ImportOutcome {
    Imported(ImportSummary),
    /// Nothing was written; `total` may exceed the listed problems.
    Refused {
        problems: Vec<Problem>,
        total: usize,
    },
}

fn refused(p: Problems) -> ImportOutcome {
    ImportOutcome::Refused { problems: p.list, total: p.total }
}

pub async fn import(
    db: &Db,
    tenant: &Tenant,
    now: DateTime<Utc>,
    actor: &Actor,
    file_name: &str,
    bytes: &[u8],
    opts: ParseOptions,
) -> StoreResult<ImportOutcome> {
    let (rows, mut warnings) = match debt_roll::parse(bytes, opts) {
        Ok(p) => (p.rows, p.warnings),
        Err(p) => return Ok(refused(p)),
    };
    let mut tx = db.begin_write().await?;
    debts::lock_tenant(&mut tx, tenant.id).await?;
    let stored_debts = debts::debt_hashes(&mut tx, tenant.id).await?;
    let stored_parties = debts::party_hashes(&mut tx, tenant.id).await?;

    let mut problems = Problems::default();
    let mut new_rows: Vec<&DebtRow> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut unchanged = 0usize;
    for r in &rows {
        if !seen.insert(&r.source_id) {
            continue; // an identical duplicate inside the file (parse checked it is identical)
        }
        match stored_debts.get(&r.source_id) {
            Some(h) if *h == r.content_hash() => unchanged += 1,
            Some(_) => problems.push(Problem::at(
                r.row,
                "source_id",
                "differs from the debt already stored under this source_id",
            )),
            None => new_rows.push(r),
        }
        match stored_parties.get(&r.party.source_id) {
            Some(p) if p.identity_hash != r.party.identity_hash() => problems.push(Problem::at(
                r.row,
                "party_source_id",
                "the party's tax id differs from the one already stored under this party_source_id",
            )),
            Some(p) if p.details_hash != r.party.details_hash() => warnings.push(Problem::at(
                r.row,
                "party_source_id",
                "the party's kind, name, address or e-mail differ from the stored ones, which are kept",
            )),
            _ => {}
        }
    }

    // Explicit RFs must be free on the whole platform.
    let explicit: Vec<&str> = new_rows.iter().filter_map(|r| r.rf.as_ref().map(|x| x.as_str())).collect();
    let taken = debts::taken_rfs(&mut tx, &explicit).await?;
    for r in &new_rows {
        if let Some(rf) = &r.rf
            && taken.contains(rf.as_str())
        {
            problems.push(Problem::at(r.row, "rf", "this RF is already used by another debt"));
        }
    }
    if !problems.is_empty() {
        // Dropping the transaction rolls it back: nothing is written.
        return Ok(refused(problems));
    }
    if new_rows.is_empty() {
        return Ok(ImportOutcome::Imported(ImportSummary {
            roll_id: None,
            rows: rows.len(),
            debts_new: 0,
            debts_unchanged: unchanged,
            parties_new: 0,
            warnings_total: warnings.total,
            warnings: warnings.list,
        }));
    }

    let mut party_ids: HashMap<&str, Uuid> = stored_parties.iter().map(|(s, p)| (s.as_str(), p.id)).collect();
    let mut new_parties = Vec::new();
    for r in &new_rows {
        if !party_ids.contains_key(r.party.source_id.as_str()) {
            let id = Uuid::now_v7();
            party_ids.insert(&r.party.source_id, id);
            new_parties.push(NewParty {
                id,
                source_id: r.party.source_id.clone(),
                kind: r.party.kind.as_str(),
                tax_country: r.party.tax_country.as_str(),
                tax_id: r.party.tax_id.as_ref().map(|t| t.as_str().to_string()),
                tax_id_flagged: r.party.tax_id.as_ref().is_some_and(|t| t.is_flagged()),
                name: r.party.name.clone(),
                address: r.party.address.clone(),
                email: r.party.email.clone(),
                identity_hash: r.party.identity_hash(),
                details_hash: r.party.details_hash(),
            });
        }
    }

    let mut used: HashSet<String> = explicit.iter().map(|s| s.to_string()).collect();
    let mut new_debts = new_debt_records(&new_rows, &party_ids, &tenant.rf_prefix, &mut used);
    // Generated references are checked against the platform's directory; the
    // rare one already taken (40 random bits) is drawn again.
    loop {
        let generated: Vec<&str> =
            new_rows.iter().zip(&new_debts).filter(|(r, _)| r.rf.is_none()).map(|(_, d)| d.rf.as_str()).collect();
        let taken = debts::taken_rfs(&mut tx, &generated).await?;
        if taken.is_empty() {
            break;
        }
        redraw(&mut new_debts, &taken, &tenant.rf_prefix, &mut used);
    }

    let roll_id = Uuid::now_v7();
    let sha = hex::encode(Sha256::digest(bytes));
    let label = actor.label();
    let roll = NewRoll {
        id: roll_id,
        file_sha256: &sha,
        file_name,
        rows_total: i64::try_from(rows.len()).unwrap_or(i64::MAX),
        rows_new: i64::try_from(new_debts.len()).unwrap_or(i64::MAX),
        actor: &label,
    };
    debts::insert_roll(&mut tx, tenant.id, &roll, now).await?;
    debts::insert_parties(&mut tx, tenant.id, &new_parties, now).await?;
    debts::insert_debts(&mut tx, tenant.id, roll_id, &new_debts, now).await?;
    let credit_applied = if tenant.policies.allocation.auto_apply_credit {
        apply_credit_to_new_debts(db, &mut tx, tenant, now, actor, &new_debts).await?
    } else {
        0
    };
    let summary = ImportSummary {
        roll_id: Some(roll_id),
        rows: rows.len(),
        debts_new: new_debts.len(),
        debts_unchanged: unchanged,
        parties_new: new_parties.len(),
        warnings_total: warnings.total,
        warnings: warnings.list,
    };
    let details = json!({
        "file_name": file_name,
        "file_sha256": sha,
        "rows": summary.rows,
        "debts_new": summary.debts_new,
        "debts_unchanged": summary.debts_unchanged,
        "parties_new": summary.parties_new,
        "warnings": summary.warnings_total,
        "parties_credit_applied": credit_applied,
    });
    audit::append(&mut tx, tenant.id, now, actor, "debt_roll.imported", &format!("debt_roll:{roll_id}"), details)
        .await?;
    tx.commit().await?;
    Ok(ImportOutcome::Imported(summary))
}

/// With the tenant's `auto_apply_credit` on, a party that has credit pays its
/// new debts with it, in the import's transaction (the tenant's lock is held,
/// then each party's). Returns how many parties' credit was applied.
async fn apply_credit_to_new_debts(
    db: &Db,
    tx: &mut Tx,
    tenant: &Tenant,
    now: DateTime<Utc>,
    actor: &Actor,
    new_debts: &[NewDebt],
) -> StoreResult<usize> {
    let with_credit = payments::parties_with_credit(tx, tenant.id).await?;
    let mut parties: Vec<Uuid> = new_debts.iter().map(|d| d.party_id).filter(|p| with_credit.contains(p)).collect();
    parties.sort_unstable();
    parties.dedup();
    let codes = tenants::revenue_codes(db, tenant.id).await?;
    let mut applied = 0;
    for party in parties {
        payments::lock_party(tx, tenant.id, party).await?;
        if credit::apply_credit_in(tx, tenant, &codes, now, actor, party).await?.is_some() {
            applied += 1;
        }
    }
    Ok(applied)
}

/// The rows to insert, with an RF generated where the row has none. Kept
/// synchronous: the thread-local RNG must not live across an `.await`.
fn new_debt_records(
    rows: &[&DebtRow],
    party_ids: &HashMap<&str, Uuid>,
    prefix: &RfPrefix,
    used: &mut HashSet<String>,
) -> Vec<NewDebt> {
    let mut rng = rand::rng();
    rows.iter()
        .map(|r| {
            let rf = match &r.rf {
                Some(rf) => rf.as_str().to_string(),
                None => loop {
                    let candidate = RfReference::generate(prefix, &mut rng).as_str().to_string();
                    if used.insert(candidate.clone()) {
                        break candidate;
                    }
                },
            };
            NewDebt {
                id: Uuid::now_v7(),
                party_id: party_ids.get(r.party.source_id.as_str()).copied().unwrap_or_default(),
                source_id: r.source_id.clone(),
                kind: r.kind.as_str(),
                fiscal_year: r.fiscal_year,
                revenue_code: r.revenue_code.clone(),
                property_id: r.property_id.clone(),
                description: r.description.clone(),
                principal_cents: r.principal.get(),
                assessed_on: r.assessed_on,
                due_on: r.due_on,
                rf,
                content_hash: r.content_hash(),
            }
        })
        .collect()
}

/// Draws a new reference for every debt whose generated one is taken.
fn redraw(debts: &mut [NewDebt], taken: &HashSet<String>, prefix: &RfPrefix, used: &mut HashSet<String>) {
    let mut rng = rand::rng();
    for d in debts.iter_mut().filter(|d| taken.contains(&d.rf)) {
        d.rf = loop {
            let candidate = RfReference::generate(prefix, &mut rng).as_str().to_string();
            if used.insert(candidate.clone()) {
                break candidate;
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_generated_reference_is_drawn_again() {
        let prefix = RfPrefix::parse("TST").unwrap();
        let debt = |rf: &str| NewDebt {
            id: Uuid::nil(),
            party_id: Uuid::nil(),
            source_id: "S".into(),
            kind: "water",
            fiscal_year: 2025,
            revenue_code: None,
            property_id: None,
            description: String::new(),
            principal_cents: 100,
            assessed_on: chrono::NaiveDate::MIN,
            due_on: chrono::NaiveDate::MIN,
            rf: rf.into(),
            content_hash: String::new(),
        };
        let mut debts = vec![debt("RF18539007547034"), debt("RF71TST123")];
        let taken: HashSet<String> = ["RF71TST123".to_string()].into();
        let mut used = HashSet::new();
        redraw(&mut debts, &taken, &prefix, &mut used);
        assert_eq!(debts[0].rf, "RF18539007547034");
        assert_ne!(debts[1].rf, "RF71TST123");
        let fresh = RfReference::parse(&debts[1].rf).unwrap();
        assert!(fresh.prefix_matches(&prefix) && used.contains(&debts[1].rf));
    }
}
