//! Passwords: Argon2id (RFC 9106) with the argon2 crate's defaults
//! (19 MiB, 2 passes, 1 lane: the OWASP recommendation), stored as PHC
//! strings so parameters can be raised later without breaking old hashes.

use crate::AccountError;
use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// The shortest password accepted.
pub const MIN_LENGTH: usize = 12;
/// The longest password accepted: bounds the hashing work one request causes.
pub const MAX_LENGTH: usize = 256;

/// Hashes `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, AccountError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Whether `password` matches `phc` (constant time in the digest comparison).
/// An unreadable stored hash never matches.
pub fn verify(phc: &str, password: &str) -> bool {
    if password.len() > MAX_LENGTH {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password nobody knows: verifying against it costs the
/// same as against a real one, so an unknown username takes as long to
/// refuse as a wrong password.
pub fn decoy_hash() -> &'static str {
    use std::sync::OnceLock;
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| {
        let random = crate::token::random_token("decoy");
        hash(&random).unwrap_or_default()
    })
}

/// Refuses passwords that are too short, too long, the username, or a
/// single repeated character.
pub fn check_strength(password: &str, username: &str) -> Result<(), AccountError> {
    let chars = password.chars().count();
    if chars < MIN_LENGTH {
        return Err(AccountError::WeakPassword("at least 12 characters"));
    }
    if password.len() > MAX_LENGTH {
        return Err(AccountError::WeakPassword("at most 256 bytes"));
    }
    if password.to_lowercase().contains(&username.to_lowercase()) && !username.is_empty() {
        return Err(AccountError::WeakPassword("must not contain the username"));
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Err(AccountError::WeakPassword("too few distinct characters"));
    }
    Ok(())
}

/// A one-time password for a new account or a reset: 20 characters from an
/// alphabet without look-alike letters, about 100 bits.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let bytes = crate::token::random_bytes::<20>();
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify(&a, "correct horse battery"));
        assert!(!verify(&a, "correct horse batterY"));
        assert!(!verify("not a hash", "x"));
        assert!(!verify(decoy_hash(), ""));
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_strength("short", "dana").is_err());
        assert!(check_strength("aaaaaaaaaaaaaaaa", "dana").is_err());
        assert!(check_strength("my name is dana!!", "dana").is_err());
        assert!(check_strength("violet-kettle-42-orbit", "dana").is_ok());
        let otp = one_time_password();
        assert_eq!(otp.len(), 20);
        assert!(check_strength(&otp, "dana").is_ok());
    }
}
