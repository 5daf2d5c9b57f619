//! Signing: a tenant's Ed25519 key and the function that turns a certificate
//! into a token.

use ed25519_dalek::Signer as _;
use uuid::Uuid;

use crate::payload::{self, Certificate, KeyId};
use crate::token::Token;

/// Why a certificate could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("certificate names tenant {cert_tenant} key {cert_key}, but the key is tenant {key_tenant} key {key_id}")]
    WrongKey { cert_tenant: Uuid, cert_key: KeyId, key_tenant: Uuid, key_id: KeyId },
    #[error("the encoded token is outside the allowed size")]
    Size,
}

/// A tenant's private signing key, tied to the (tenant, key id) it is published under.
pub struct SigningKey {
    tenant_id: Uuid,
    key_id: KeyId,
    inner: ed25519_dalek::SigningKey,
}

impl SigningKey {
    /// Builds the key from its 32-byte seed; the server keeps the seed secret
    /// and generates it from the operating system's random source.
    pub fn from_seed(tenant_id: Uuid, key_id: KeyId, seed: &[u8; 32]) -> Self {
        Self { tenant_id, key_id, inner: ed25519_dalek::SigningKey::from_bytes(seed) }
    }

    pub fn tenant_id(&self) -> Uuid {
        self.tenant_id
    }

    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The 32-byte public key to publish in the keys file.
    pub fn public_key(&self) -> [u8; 32] {
        self.inner.verifying_key().to_bytes()
    }
}

impl std::fmt::Debug for SigningKey {
    // The seed never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("tenant_id", &self.tenant_id)
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

/// Signs a certificate. The certificate must name the key's own tenant and
/// key id, since that is how a verifier will look the key up.
pub fn sign(cert: &Certificate, key: &SigningKey) -> Result<Token, SignError> {
    if cert.tenant_id != key.tenant_id || cert.key_id != key.key_id {
        return Err(SignError::WrongKey {
            cert_tenant: cert.tenant_id,
            cert_key: cert.key_id,
            key_tenant: key.tenant_id,
            key_id: key.key_id,
        });
    }
    sign_payload_bytes(payload::encode(cert), key)
}

/// Signs already encoded payload bytes as they are. Tests and test-vector
/// generation use it to build tokens that `sign` would refuse to make.
pub fn sign_payload_bytes(mut bytes: Vec<u8>, key: &SigningKey) -> Result<Token, SignError> {
    let signature = key.inner.sign(&bytes);
    bytes.extend_from_slice(&signature.to_bytes());
    Token::from_bytes(bytes).map_err(|_| SignError::Size)
}
