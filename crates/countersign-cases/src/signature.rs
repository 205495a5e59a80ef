//! Vendor identity by signature: a challenge bound to one case and its
//! request digest, signed by the vendor with its enrolled Ed25519 key as a
//! compact JWS (RFC 7515) with `alg: EdDSA` (RFC 8037).
//!
//! The signing input is the JWS one: `BASE64URL(header) "." BASE64URL(payload)`.
//! The payload is the challenge itself, so a signature can only ever answer
//! the challenge it was made for.

use countersign_directory::VendorKey;
use data_encoding::{BASE64, BASE64URL_NOPAD};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use serde::{Deserialize, Serialize};

/// The media type named in the JWS header.
pub const JWS_TYPE: &str = "countersign-challenge+jws";

/// What the vendor signs: the case, a random nonce, the digest of the
/// request, and when the challenge expires (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChallengePayload {
    /// The case ID.
    pub case: String,
    /// 256 random bits, base64url.
    pub nonce: String,
    /// SHA-256 of the request, hex.
    pub digest: String,
    /// Expiry, Unix seconds.
    pub exp: i64,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    alg: String,
    kid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum SignatureError {
    /// Not three base64url parts of JSON.
    #[error("not a compact JWS: {0}")]
    Malformed(String),
    /// Anything but EdDSA (`none`, HS256, ...) is refused.
    #[error("algorithm {0:?} refused: only EdDSA (Ed25519)")]
    Algorithm(String),
    /// The key ID is not a valid, unrevoked key of this case's vendor.
    #[error("key {0} is not a valid enrolled key of this vendor")]
    UnknownKey(String),
    /// The signature does not verify with the named key.
    #[error("the signature does not verify with key {0}")]
    BadSignature(String),
    /// The payload answers another challenge, case or request.
    #[error("the signed challenge does not match this case's challenge ({0})")]
    WrongChallenge(&'static str),
}

/// A new random nonce (256 bits, base64url).
pub fn new_nonce() -> String {
    BASE64URL_NOPAD.encode(&countersign_accounts::token::random_bytes::<32>())
}

/// Verifies `jws` against `keys` (the vendor's keys valid now) and returns
/// the payload and the key ID that signed it. The caller then checks the
/// payload against the open challenge.
pub fn verify(
    jws: &str,
    keys: &[&VendorKey],
) -> Result<(ChallengePayload, String), SignatureError> {
    let jws = jws.trim();
    if jws.len() > 8192 {
        return Err(SignatureError::Malformed("longer than 8 KiB".into()));
    }
    let mut parts = jws.split('.');
    let (Some(h64), Some(p64), Some(s64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(SignatureError::Malformed(
            "expected header.payload.signature".into(),
        ));
    };
    let decode = |what: &str, part: &str| {
        BASE64URL_NOPAD
            .decode(part.as_bytes())
            .map_err(|e| SignatureError::Malformed(format!("{what}: {e}")))
    };
    let header: Header = serde_json::from_slice(&decode("header", h64)?)
        .map_err(|e| SignatureError::Malformed(format!("header: {e}")))?;
    if header.alg != "EdDSA" {
        return Err(SignatureError::Algorithm(header.alg));
    }
    let key = keys
        .iter()
        .find(|k| k.key_id == header.kid)
        .ok_or_else(|| SignatureError::UnknownKey(header.kid.clone()))?;
    let public = BASE64
        .decode(key.public_key.as_bytes())
        .map_err(|_| SignatureError::UnknownKey(header.kid.clone()))?;
    let signature = decode("signature", s64)?;
    let signing_input = format!("{h64}.{p64}");
    UnparsedPublicKey::new(&ED25519, &public)
        .verify(signing_input.as_bytes(), &signature)
        .map_err(|_| SignatureError::BadSignature(header.kid.clone()))?;
    let payload: ChallengePayload = serde_json::from_slice(&decode("payload", p64)?)
        .map_err(|e| SignatureError::Malformed(format!("payload: {e}")))?;
    Ok((payload, header.kid))
}

/// A vendor's signing key: PKCS#8 (RFC 8410) Ed25519, kept by the vendor.
pub struct SigningKey {
    pair: Ed25519KeyPair,
    pkcs8: Vec<u8>,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// A new random key.
    pub fn generate() -> Result<Self, SignatureError> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
            .map_err(|_| SignatureError::Malformed("key generation failed".into()))?;
        Self::from_pkcs8(pkcs8.as_ref())
    }

    /// A key from its PKCS#8 bytes.
    pub fn from_pkcs8(pkcs8: &[u8]) -> Result<Self, SignatureError> {
        let pair = Ed25519KeyPair::from_pkcs8(pkcs8)
            .map_err(|e| SignatureError::Malformed(format!("not an Ed25519 PKCS#8 key: {e}")))?;
        Ok(Self {
            pair,
            pkcs8: pkcs8.to_vec(),
        })
    }

    /// The key file's text: a PEM `PRIVATE KEY` block.
    pub fn to_pem(&self) -> String {
        let b64 = BASE64.encode(&self.pkcs8);
        let mut out = String::from("-----BEGIN PRIVATE KEY-----\n");
        for chunk in b64.as_bytes().chunks(64) {
            out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
            out.push('\n');
        }
        out.push_str("-----END PRIVATE KEY-----\n");
        out
    }

    /// Reads the PEM text written by [`SigningKey::to_pem`] (or OpenSSL's
    /// `genpkey -algorithm ed25519`).
    pub fn from_pem(text: &str) -> Result<Self, SignatureError> {
        let body: String = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.starts_with("-----") && !l.is_empty())
            .collect();
        let der = BASE64
            .decode(body.as_bytes())
            .map_err(|e| SignatureError::Malformed(format!("key file: {e}")))?;
        Self::from_pkcs8(&der)
    }

    /// The public key, base64 (what the directory enrols).
    pub fn public_key_base64(&self) -> String {
        BASE64.encode(self.pair.public_key().as_ref())
    }

    /// The key ID the directory gives this key.
    pub fn key_id(&self) -> String {
        countersign_directory::key_id_for(self.pair.public_key().as_ref())
    }

    /// Signs a challenge: the compact JWS to hand back.
    pub fn sign(&self, payload: &ChallengePayload) -> String {
        let header = Header {
            alg: "EdDSA".into(),
            kid: self.key_id(),
            typ: Some(JWS_TYPE.into()),
        };
        let h64 = BASE64URL_NOPAD.encode(&serde_json::to_vec(&header).unwrap_or_default());
        let p64 = BASE64URL_NOPAD.encode(&serde_json::to_vec(payload).unwrap_or_default());
        let signing_input = format!("{h64}.{p64}");
        let sig = self.pair.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", BASE64URL_NOPAD.encode(sig.as_ref()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;

    fn enrolled(key: &SigningKey, vendor: &str) -> VendorKey {
        VendorKey {
            key_id: key.key_id(),
            vendor: vendor.into(),
            public_key: key.public_key_base64(),
            not_before: OffsetDateTime::UNIX_EPOCH,
            not_after: None,
            revoked_at: None,
            revoked_reason: None,
        }
    }

    fn payload() -> ChallengePayload {
        ChallengePayload {
            case: "c_1".into(),
            nonce: new_nonce(),
            digest: "ab".repeat(32),
            exp: 1_900_000_000,
        }
    }

    #[test]
    fn signed_challenges_verify_only_with_the_right_key() {
        let key = SigningKey::generate().unwrap();
        let other = SigningKey::generate().unwrap();
        let p = payload();
        let jws = key.sign(&p);
        let k = enrolled(&key, "acme");
        let o = enrolled(&other, "globex");
        assert_eq!(verify(&jws, &[&k]).unwrap(), (p.clone(), key.key_id()));
        assert!(matches!(
            verify(&jws, &[&o]),
            Err(SignatureError::UnknownKey(_))
        ));
        // Another key claiming the right key ID does not verify.
        let mut forged = other.sign(&p);
        let kid_header = jws.split('.').next().unwrap();
        forged = format!("{kid_header}.{}", forged.split_once('.').unwrap().1);
        assert!(matches!(
            verify(&forged, &[&k]),
            Err(SignatureError::BadSignature(_))
        ));
        // A tampered payload does not verify.
        let mut parts: Vec<&str> = jws.split('.').collect();
        let mut changed = p.clone();
        changed.case = "c_2".into();
        let p64 = BASE64URL_NOPAD.encode(&serde_json::to_vec(&changed).unwrap());
        parts[1] = &p64;
        assert!(matches!(
            verify(&parts.join("."), &[&k]),
            Err(SignatureError::BadSignature(_))
        ));
    }

    #[test]
    fn alg_none_and_garbage_are_refused() {
        let key = SigningKey::generate().unwrap();
        let k = enrolled(&key, "acme");
        let header = BASE64URL_NOPAD
            .encode(format!(r#"{{"alg":"none","kid":"{}"}}"#, key.key_id()).as_bytes());
        let body = BASE64URL_NOPAD.encode(&serde_json::to_vec(&payload()).unwrap());
        assert!(matches!(
            verify(&format!("{header}.{body}."), &[&k]),
            Err(SignatureError::Algorithm(_))
        ));
        assert!(matches!(
            verify("a.b", &[&k]),
            Err(SignatureError::Malformed(_))
        ));
        assert!(matches!(
            verify("!!.b.c", &[&k]),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn pem_round_trip() {
        let key = SigningKey::generate().unwrap();
        let again = SigningKey::from_pem(&key.to_pem()).unwrap();
        assert_eq!(again.key_id(), key.key_id());
        assert_eq!(again.public_key_base64(), key.public_key_base64());
    }
}
