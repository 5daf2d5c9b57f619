//! Bearer secrets (API keys, operator keys, session and URL tokens): generated
//! with 256 random bits, shown once, stored only as their SHA-256.

use data_encoding::BASE64URL_NOPAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// 32 random bytes in URL-safe base64 (43 characters): far above the 128 bits
/// every unauthenticated URL needs.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    BASE64URL_NOPAD.encode(&b)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A tenant API key names its tenant, so it is looked up by
/// (tenant, hash) like every other tenant row: `tmk_<tenant>_<secret>`.
pub fn new_tenant_key(tenant: Uuid) -> String {
    format!("tmk_{}_{}", tenant.simple(), random_token())
}

pub fn tenant_of_key(key: &str) -> Option<Uuid> {
    let rest = key.strip_prefix("tmk_")?;
    let (tenant, secret) = rest.split_once('_')?;
    if secret.len() != 43 {
        return None;
    }
    Uuid::try_parse(tenant).ok()
}

pub fn new_operator_key() -> String {
    format!("tmo_{}", random_token())
}

pub fn is_operator_key(key: &str) -> bool {
    key.strip_prefix("tmo_").is_some_and(|s| s.len() == 43)
}

/// Compares two secrets in constant time (CSRF tokens).
pub fn same_secret(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_keys_name_their_tenant_and_nothing_else_parses() {
        let t = Uuid::new_v4();
        let k = new_tenant_key(t);
        assert_eq!(tenant_of_key(&k), Some(t));
        assert_eq!(tenant_of_key(&k[..k.len() - 1]), None);
        assert_eq!(tenant_of_key("tmk_zz_x"), None);
        assert!(is_operator_key(&new_operator_key()));
        assert!(!is_operator_key(&k));
        assert_ne!(random_token(), random_token());
    }
}
