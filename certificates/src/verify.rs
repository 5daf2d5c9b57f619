//! Verification: signature first, over the bytes as received, then parsing,
//! then the key's status and window, revocation and dates.

use chrono::NaiveDate;

use crate::keys::{KeyRing, KeyStatus, PublishedKey, Revocations};
use crate::payload::{self, Certificate, Header};
use crate::token::Token;

/// The answer about one token. Exhaustive: callers match on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    GenuineAndValid,
    /// Genuine, but `now` is before the issue date (a clock set wrong, somewhere).
    NotYetValid,
    Expired,
    Revoked,
    /// Signed by a key since marked compromised: nothing it signed can be trusted.
    RevokedKeyCompromised,
    NotGenuine,
    Malformed,
}

impl Verdict {
    /// The words printed for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::GenuineAndValid => "genuine and valid",
            Verdict::NotYetValid => "not yet valid",
            Verdict::Expired => "expired",
            Verdict::Revoked => "revoked",
            Verdict::RevokedKeyCompromised => "revoked: key compromised",
            Verdict::NotGenuine => "not genuine",
            Verdict::Malformed => "malformed",
        }
    }

    /// Process exit code for `tameio verify`: 0 only for genuine and valid.
    pub fn exit_code(self) -> i32 {
        match self {
            Verdict::GenuineAndValid => 0,
            Verdict::NotYetValid | Verdict::Expired => 1,
            Verdict::Revoked | Verdict::RevokedKeyCompromised => 2,
            Verdict::NotGenuine => 3,
            Verdict::Malformed => 4,
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The key that verified a token, as the report shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyFacts {
    pub status: KeyStatus,
    pub signing_window: crate::keys::SigningWindow,
}

/// A verdict with what was learned on the way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub verdict: Verdict,
    /// Why, in one line, when the verdict is not "genuine and valid".
    pub reason: Option<String>,
    /// The signed fields; present only once the signature has verified.
    pub certificate: Option<Certificate>,
    /// The header as claimed by the token, whether or not it verified.
    pub claimed: Option<Header>,
    pub key: Option<KeyFacts>,
    /// False when no revocation list was given.
    pub revocation_checked: bool,
    pub now: NaiveDate,
}

impl Verification {
    pub(crate) fn malformed(reason: String, now: NaiveDate, revocation_checked: bool) -> Self {
        Self {
            verdict: Verdict::Malformed,
            reason: Some(reason),
            certificate: None,
            claimed: None,
            key: None,
            revocation_checked,
            now,
        }
    }

    fn with(mut self, verdict: Verdict, reason: impl Into<String>) -> Self {
        self.verdict = verdict;
        self.reason = Some(reason.into());
        self
    }
}

/// Verifies a token against the published keys and, if given, a revocation
/// list, as of the local date `now`.
pub fn verify(token: &Token, keys: &KeyRing, revocations: Option<&Revocations>, now: NaiveDate) -> Verification {
    let checked = revocations.is_some();
    let bytes = token.payload();
    let header = match payload::read_header(bytes) {
        Ok(h) => h,
        Err(e) => return Verification::malformed(e.to_string(), now, checked),
    };
    let mut out = Verification {
        verdict: Verdict::NotGenuine,
        reason: None,
        certificate: None,
        claimed: Some(header),
        key: None,
        revocation_checked: checked,
        now,
    };
    let Some(key) = keys.get(header.tenant_id, header.key_id) else {
        let reason = format!("no published key {} for tenant {}", header.key_id, header.tenant_id);
        return out.with(Verdict::NotGenuine, reason);
    };
    out.key = Some(KeyFacts { status: key.status, signing_window: key.signing_window });
    if !signature_holds(key, token) {
        return out.with(Verdict::NotGenuine, "the signature does not verify");
    }
    let cert = match payload::decode(bytes) {
        Ok(c) => c,
        Err(e) => {
            return out.with(Verdict::Malformed, format!("signed payload unreadable: {e}"));
        }
    };
    let issued_on = cert.validity.issued_on();
    let valid_until = cert.validity.valid_until();
    let revoked = revocations.is_some_and(|r| r.contains(&cert.id));
    out.certificate = Some(cert);
    if key.status == KeyStatus::Compromised {
        return out.with(Verdict::RevokedKeyCompromised, "the signing key is marked compromised");
    }
    if !key.signing_window.contains(issued_on) {
        return out
            .with(Verdict::NotGenuine, format!("the key was not valid for signing on the issue date {issued_on}"));
    }
    if revoked {
        return out.with(Verdict::Revoked, "the certificate is on the revocation list");
    }
    if now > valid_until {
        return out.with(Verdict::Expired, format!("validity ended on {valid_until}"));
    }
    if now < issued_on {
        return out.with(Verdict::NotYetValid, format!("issued on {issued_on}, after {now}"));
    }
    out.verdict = Verdict::GenuineAndValid;
    out
}

/// `verify_strict` rejects small-order keys and non-canonical signatures, so
/// no second byte string verifies under the same key and message.
fn signature_holds(key: &PublishedKey, token: &Token) -> bool {
    let signature = ed25519_dalek::Signature::from_bytes(&token.signature());
    key.verifying.verify_strict(token.payload(), &signature).is_ok()
}
