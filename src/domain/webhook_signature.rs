//! Webhook signatures, Stripe's scheme: `t=<unix>,v1=<hex>[,v1=<hex>...]`
//! where each `v1` is HMAC-SHA256(secret, "<t>.<raw body>"). We verify
//! Stripe's deliveries with it and sign our own ledger webhooks the same way
//! (`Tameio-Signature`, DESIGN.md "Ledger").
//!
//! The body is the raw bytes as received: re-serialised JSON would not match.
//! A tenant may hold several secrets while rotating; there is never a fallback
//! secret (a shared default would let one tenant's sender sign for another).
//! The timestamp is checked against the wall clock the caller passes, not the
//! business clock, so a demo tenant living on another date still verifies.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Stripe's own libraries' default: five minutes either way.
pub const DEFAULT_TOLERANCE_S: i64 = 300;

/// More `v1` entries than anyone sends (Stripe sends one per live secret, two
/// while rotating): a bound on the work an unauthenticated header can ask for.
const MAX_SIGNATURES: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("signature header is malformed")]
    Malformed,
    #[error("signature header has no v1 signature")]
    NoV1,
    /// Positive: signed `age_s` seconds ago; negative: that far in the future.
    #[error("signature timestamp is {age_s} s away from now")]
    Stale { age_s: i64 },
    #[error("no signature matches any of the endpoint's secrets")]
    Mismatch,
    #[error("no webhook secret is configured for this endpoint")]
    NoSecrets,
}

struct Header {
    t: i64,
    v1: Vec<[u8; 32]>,
}

fn parse(header: &str) -> Result<Header, SignatureError> {
    let mut t = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        let (key, value) = item.trim().split_once('=').ok_or(SignatureError::Malformed)?;
        match key {
            "t" => {
                // Digits only: `i64::from_str` would also take "+1" and "-1".
                if t.is_some() || value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(SignatureError::Malformed);
                }
                t = Some(value.parse::<i64>().map_err(|_| SignatureError::Malformed)?);
            }
            "v1" => {
                if v1.len() == MAX_SIGNATURES {
                    return Err(SignatureError::Malformed);
                }
                let mut sig = [0u8; 32];
                hex::decode_to_slice(value, &mut sig).map_err(|_| SignatureError::Malformed)?;
                v1.push(sig);
            }
            // v0 (Stripe's test-mode legacy scheme) and future schemes: not ours to check.
            _ => {}
        }
    }
    let t = t.ok_or(SignatureError::Malformed)?;
    if v1.is_empty() {
        return Err(SignatureError::NoV1);
    }
    Ok(Header { t, v1 })
}

/// The MAC over `"<t>.<body>"`, ready to finalise or compare. HMAC takes keys
/// of any length (RFC 2104 hashes long ones), so the `hmac` crate's
/// `InvalidLength` cannot happen; the `Option` keeps a panic out of the code.
fn mac(secret: &str, t: i64, body: &[u8]) -> Option<HmacSha256> {
    let mut m = HmacSha256::new_from_slice(secret.as_bytes()).ok()?;
    m.update(t.to_string().as_bytes());
    m.update(b".");
    m.update(body);
    Some(m)
}

/// Checks a signature header over the raw `body`. Returns the signed
/// timestamp. The signature is checked before the age, so `Stale` only ever
/// describes a genuine delivery (a replay or a slow retry), not a forgery.
pub fn verify(
    header: &str,
    body: &[u8],
    secrets: &[&str],
    now_unix: i64,
    tolerance_s: i64,
) -> Result<i64, SignatureError> {
    // An empty key is one anyone can sign with: it counts as no secret at all.
    if secrets.iter().all(|s| s.is_empty()) {
        return Err(SignatureError::NoSecrets);
    }
    let h = parse(header)?;
    let matched = secrets.iter().filter(|s| !s.is_empty()).filter_map(|s| mac(s, h.t, body)).any(|m| {
        // `verify_slice` compares in constant time.
        h.v1.iter().any(|sig| m.clone().verify_slice(sig).is_ok())
    });
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    let age_s = now_unix.saturating_sub(h.t);
    if age_s.unsigned_abs() > tolerance_s.max(0).unsigned_abs() {
        return Err(SignatureError::Stale { age_s });
    }
    Ok(h.t)
}

/// The header value for `body` signed with `secret` at `t`. Cannot fail in
/// practice; if the MAC could not be keyed it returns "", which never verifies.
pub fn sign(body: &[u8], secret: &str, t: i64) -> String {
    match mac(secret, t, body) {
        Some(m) => format!("t={t},v1={}", hex::encode(m.finalize().into_bytes())),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpora/stripe-events/localstripe-captured");
    /// The secret localstripe signed these deliveries with (SOURCES.md).
    const SECRET: &str = "whsec_test_secret";
    const DELIVERIES: [&str; 5] = [
        "01_payment_intent.succeeded",
        "02_payment_intent.succeeded",
        "03_payment_intent.payment_failed",
        "04_payment_intent.succeeded",
        "05_balance.available",
    ];

    struct Delivery {
        header: String,
        body: Vec<u8>,
        t: i64,
    }

    fn delivery(name: &str) -> Delivery {
        let headers = std::fs::read_to_string(format!("{CORPUS}/{name}.headers.txt")).unwrap();
        assert!(headers.lines().any(|l| l == "SIGNATURE_VALID: True"), "{name}");
        let header =
            headers.lines().find_map(|l| l.strip_prefix("Stripe-Signature:")).map(|v| v.trim().to_owned()).unwrap();
        let body = std::fs::read(format!("{CORPUS}/{name}.json")).unwrap();
        let t = header.strip_prefix("t=").and_then(|r| r.split(',').next()).unwrap().parse().unwrap();
        Delivery { header, body, t }
    }

    fn all() -> Vec<Delivery> {
        DELIVERIES.iter().map(|n| delivery(n)).collect()
    }

    #[test]
    fn real_localstripe_deliveries_verify_at_their_own_time() {
        for d in all() {
            assert_eq!(verify(&d.header, &d.body, &[SECRET], d.t, DEFAULT_TOLERANCE_S), Ok(d.t));
            // Our signer writes exactly what localstripe sent.
            assert_eq!(sign(&d.body, SECRET, d.t), d.header);
        }
    }

    #[test]
    fn one_changed_body_byte_is_refused() {
        for d in all() {
            for i in [0, d.body.len() / 2, d.body.len() - 1] {
                let mut body = d.body.clone();
                body[i] ^= 0x01;
                assert_eq!(verify(&d.header, &body, &[SECRET], d.t, 300), Err(SignatureError::Mismatch));
            }
            // Trailing newline stripped, as a careless framework might.
            let trimmed = d.body.strip_suffix(b"\n").unwrap_or(&d.body[..d.body.len() - 1]);
            assert_eq!(verify(&d.header, trimmed, &[SECRET], d.t, 300), Err(SignatureError::Mismatch));
        }
    }

    #[test]
    fn a_changed_signature_or_timestamp_is_refused() {
        for d in all() {
            let flipped = flip_last_digit(&d.header);
            assert_eq!(verify(&flipped, &d.body, &[SECRET], d.t, 300), Err(SignatureError::Mismatch));
            // Same signature, claimed one second later: the timestamp is signed too.
            let later = d.header.replacen(&format!("t={}", d.t), &format!("t={}", d.t + 1), 1);
            assert_eq!(verify(&later, &d.body, &[SECRET], d.t, 300), Err(SignatureError::Mismatch));
        }
    }

    /// `s` with its last hex digit changed (still valid hex).
    fn flip_last_digit(s: &str) -> String {
        let mut s = s.to_owned();
        let last = s.pop().unwrap();
        s.push(if last == '0' { '1' } else { '0' });
        s
    }

    #[test]
    fn another_secret_is_refused_and_there_is_no_fallback() {
        let d = delivery(DELIVERIES[0]);
        assert_eq!(verify(&d.header, &d.body, &["whsec_other"], d.t, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(&d.header, &d.body, &["whsec_test_secreT"], d.t, 300), Err(SignatureError::Mismatch));
        assert_eq!(verify(&d.header, &d.body, &[], d.t, 300), Err(SignatureError::NoSecrets));
        assert_eq!(verify(&d.header, &d.body, &["", ""], d.t, 300), Err(SignatureError::NoSecrets));
    }

    #[test]
    fn rotation_accepts_the_right_secret_in_any_position() {
        for d in all() {
            assert_eq!(verify(&d.header, &d.body, &["whsec_old", SECRET], d.t, 300), Ok(d.t));
            assert_eq!(verify(&d.header, &d.body, &["", SECRET], d.t, 300), Ok(d.t));
            // Stripe signs with both secrets while rotating: one v1 per secret.
            let new = sign(&d.body, "whsec_new", d.t);
            let both = format!("{},{}", d.header, new.split_once(',').unwrap().1);
            assert_eq!(verify(&both, &d.body, &["whsec_new"], d.t, 300), Ok(d.t));
            assert_eq!(verify(&both, &d.body, &[SECRET], d.t, 300), Ok(d.t));
            assert_eq!(verify(&both, &d.body, &["whsec_gone"], d.t, 300), Err(SignatureError::Mismatch));
        }
    }

    #[test]
    fn too_old_and_too_far_in_the_future_are_refused() {
        for d in all() {
            let verify_at = |now| verify(&d.header, &d.body, &[SECRET], now, DEFAULT_TOLERANCE_S);
            assert_eq!(verify_at(d.t + 300), Ok(d.t));
            assert_eq!(verify_at(d.t - 300), Ok(d.t));
            assert_eq!(verify_at(d.t + 301), Err(SignatureError::Stale { age_s: 301 }));
            assert_eq!(verify_at(d.t - 301), Err(SignatureError::Stale { age_s: -301 }));
            assert_eq!(verify_at(i64::MIN), Err(SignatureError::Stale { age_s: i64::MIN }));
        }
        // A negative tolerance is no tolerance, not a wider one.
        let h = sign(b"{}", SECRET, 100);
        assert_eq!(verify(&h, b"{}", &[SECRET], 101, -5), Err(SignatureError::Stale { age_s: 1 }));
        assert_eq!(verify(&h, b"{}", &[SECRET], 100, -5), Ok(100));
    }

    #[test]
    fn malformed_headers_are_refused() {
        let good = "0".repeat(64);
        let cases: [(String, SignatureError); 14] = [
            (String::new(), SignatureError::Malformed),
            ("garbage".into(), SignatureError::Malformed),
            (format!("v1={good}"), SignatureError::Malformed),
            (format!("t=,v1={good}"), SignatureError::Malformed),
            (format!("t=+5,v1={good}"), SignatureError::Malformed),
            (format!("t=-5,v1={good}"), SignatureError::Malformed),
            (format!("t=99999999999999999999,v1={good}"), SignatureError::Malformed),
            (format!("t=1,t=2,v1={good}"), SignatureError::Malformed),
            (format!("t=1,v1={good},oops"), SignatureError::Malformed),
            ("t=1,v1=zz".into(), SignatureError::Malformed),
            (format!("t=1,v1={}", &good[..62]), SignatureError::Malformed),
            (format!("t=1{}", format!(",v1={good}").repeat(MAX_SIGNATURES + 1)), SignatureError::Malformed),
            ("t=1".into(), SignatureError::NoV1),
            (format!("t=1,v0={good}"), SignatureError::NoV1),
        ];
        for (header, err) in cases {
            assert_eq!(verify(&header, b"{}", &[SECRET], 1, 300), Err(err), "{header:?}");
        }
        // Unknown schemes beside v1 are ignored, spaces after commas tolerated.
        let h = sign(b"{}", SECRET, 7);
        let (t, v1) = h.split_once(',').unwrap();
        assert_eq!(verify(&format!("{t}, v0={good}, {v1}, v2=x"), b"{}", &[SECRET], 7, 300), Ok(7));
    }

    proptest! {
        #[test]
        fn garbage_headers_never_panic(header in "\\PC{0,120}", body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = verify(&header, &body, &[SECRET, "whsec_other"], 1_795_438_888, 300);
        }

        #[test]
        fn header_shaped_garbage_never_panics_nor_verifies(
            t in "[-+0-9]{0,22}",
            sigs in proptest::collection::vec("(v[0-9]=)?[0-9a-fA-F]{0,70}", 0..12),
            now in any::<i64>(),
        ) {
            let header = format!("t={t},{}", sigs.join(","));
            let refused = verify(&header, b"{}", &[SECRET], now, 300).is_err();
            prop_assert!(refused);
        }

        #[test]
        fn sign_then_verify_round_trips(
            body in proptest::collection::vec(any::<u8>(), 0..256),
            secret in "[ -~]{1,80}",
            t in 0i64..4_000_000_000,
        ) {
            let h = sign(&body, &secret, t);
            prop_assert_eq!(verify(&h, &body, &[&secret], t, 300), Ok(t));
            prop_assert_eq!(verify(&h, &body, &[&format!("{secret}x")], t, 300), Err(SignatureError::Mismatch));
        }
    }
}
