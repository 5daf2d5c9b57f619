//! The printed verification report: every signed field, then the verdict.

use std::fmt::Write as _;

use crate::fields::Scope;
use crate::keys::KeyStatus;
use crate::verify::{Verdict, Verification};

/// What `tameio verify` prints and how it exits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub verification: Verification,
    /// The revocation list's publication day, when it states one.
    pub revocations_as_of: Option<chrono::NaiveDate>,
}

impl Report {
    pub fn verdict(&self) -> Verdict {
        self.verification.verdict
    }

    pub fn exit_code(&self) -> i32 {
        self.verification.verdict.exit_code()
    }

    /// The report in English, one `label: value` per line, ending with the
    /// verdict. Signed fields are shown only when the signature verified, so an
    /// altered token never has its claims printed as if they were signed.
    pub fn render(&self) -> String {
        let v = &self.verification;
        let mut out = String::new();
        if let Some(c) = &v.certificate {
            let _ = writeln!(out, "signed fields:");
            line(&mut out, "certificate id", &c.id.short_form());
            line(&mut out, "municipality", c.tenant_name.as_str());
            line(&mut out, "tenant id", &c.tenant_id.to_string());
            line(&mut out, "key id", &c.key_id.to_string());
            line(&mut out, "holder", c.holder_name.as_str());
            line(&mut out, "holder tax id", &c.holder_tax_id.to_string());
            let purpose = format!("{} ({})", c.purpose.english(), c.purpose.greek());
            line(&mut out, "purpose", &purpose);
            let scope = match &c.scope {
                Scope::AllDebts => "all debts".to_owned(),
                Scope::Property(p) => format!("property {}", p.as_str()),
            };
            line(&mut out, "scope", &scope);
            line(&mut out, "issued on", &c.validity.issued_on().to_string());
            line(&mut out, "valid until", &c.validity.valid_until().to_string());
            line(&mut out, "serial number", &c.serial_label());
        } else if let Some(h) = &v.claimed {
            let _ = writeln!(out, "unverified claims (not signed by a published key):");
            line(&mut out, "tenant id", &h.tenant_id.to_string());
            line(&mut out, "key id", &h.key_id.to_string());
        }
        if let Some(k) = &v.key {
            let status = match k.status {
                KeyStatus::Active => "active",
                KeyStatus::Retired => "retired",
                KeyStatus::Compromised => "compromised",
            };
            let until = k.signing_window.until.map_or_else(|| "open".to_owned(), |d| d.to_string());
            let text = format!("{status}, signs {} to {until}", k.signing_window.from);
            line(&mut out, "key status", &text);
        }
        line(&mut out, "checked on", &v.now.to_string());
        let revocation = match (v.revocation_checked, self.revocations_as_of) {
            (false, _) => "revocation not checked (no revocation list given)".to_owned(),
            (true, Some(d)) => format!("checked against the list as of {d}"),
            (true, None) => "checked against the given list".to_owned(),
        };
        line(&mut out, "revocation", &revocation);
        if let Some(reason) = &v.reason {
            line(&mut out, "reason", reason);
        }
        let _ = writeln!(out, "verdict: {}", v.verdict);
        out
    }
}

fn line(out: &mut String, label: &str, value: &str) {
    let _ = writeln!(out, "  {:<16}{value}", format!("{label}:"));
}
