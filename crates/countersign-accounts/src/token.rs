//! Bearer secrets: session tokens, API tokens, webhook secrets. Random
//! (256 bits from the operating system), shown once, stored only as a
//! SHA-256 digest: high-entropy secrets need no slow hash, and a database
//! reader cannot turn a digest back into a working token.

use ring::rand::{SecureRandom, SystemRandom};

/// `N` random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    // The system generator failing means the machine cannot do
    // cryptography at all; nothing sensible can continue.
    SystemRandom::new()
        .fill(&mut out)
        .expect("operating system random generator");
    out
}

/// A new token `"<prefix>_<52 base32 characters>"`; the prefix tells a
/// leaked token's kind at a glance (`cs_sess`, `cs_api`, ...).
pub fn random_token(prefix: &str) -> String {
    let bytes = random_bytes::<32>();
    format!(
        "{prefix}_{}",
        data_encoding::BASE32_NOPAD
            .encode(&bytes)
            .to_ascii_lowercase()
    )
}

/// A short random identifier (128 bits, base32), for records.
pub fn random_id(prefix: &str) -> String {
    let bytes = random_bytes::<16>();
    format!(
        "{prefix}_{}",
        data_encoding::BASE32_NOPAD
            .encode(&bytes)
            .to_ascii_lowercase()
    )
}

/// The digest a token is stored and looked up by.
pub fn digest(token: &str) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Constant-time equality of two byte strings.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_digests_stable() {
        let a = random_token("cs_api");
        let b = random_token("cs_api");
        assert_ne!(a, b);
        assert!(a.starts_with("cs_api_"));
        assert_eq!(a.len(), "cs_api_".len() + 52);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }
}
