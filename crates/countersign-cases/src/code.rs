//! One-time verification codes: random, short enough to read over the
//! phone, stored only as an Argon2id hash, compared in constant time by the
//! hash verification, bound to one case and used at most once.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// Digits in a code.
pub const CODE_DIGITS: usize = 8;

/// Argon2id tuned for codes: each guess costs a few milliseconds of work
/// and 8 MiB, so a stolen hash of a code that expires in minutes cannot
/// be searched in time, while a verification stays cheap for the server.
fn hasher() -> Argon2<'static> {
    let params = Params::new(8 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A fresh random code of [`CODE_DIGITS`] digits (uniform: rejection sampling).
pub fn generate() -> String {
    loop {
        let bytes = countersign_accounts::token::random_bytes::<4>();
        let n = u32::from_be_bytes(bytes);
        // Reject the top sliver so every code is equally likely.
        if n < 4_200_000_000 {
            return format!("{:08}", n % 100_000_000);
        }
    }
}

/// The hash stored for `code`.
pub fn hash(code: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher()
        .hash_password(code.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
}

/// Whether `given` (spaces and dashes ignored) matches the stored hash.
pub fn verify(stored: &str, given: &str) -> bool {
    let given: String = given
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if given.len() != CODE_DIGITS || !given.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher().verify_password(given.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// `dana@bluepeak.example` -> `d***@bluepeak.example`; `+15555550141` ->
/// `+1******0141`: enough for the analyst to say where the code went,
/// nothing an onlooker can use.
pub fn mask(destination: &str) -> String {
    if let Some((local, domain)) = destination.split_once('@') {
        let first: String = local.chars().take(1).collect();
        return format!("{first}***@{domain}");
    }
    let chars: Vec<char> = destination.chars().collect();
    if chars.len() <= 6 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..2].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 6))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_hash_and_verify() {
        let code = generate();
        assert_eq!(code.len(), CODE_DIGITS);
        let stored = hash(&code);
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify(&stored, &code));
        let spaced = format!("{} {}", &code[..4], &code[4..]);
        assert!(verify(&stored, &spaced));
        let wrong = if code == "00000000" {
            "11111111"
        } else {
            "00000000"
        };
        assert!(!verify(&stored, wrong));
        assert!(!verify(&stored, "123"));
        assert!(!verify("garbage", &code));
        assert_ne!(generate(), generate());
    }

    #[test]
    fn destinations_are_masked() {
        assert_eq!(mask("dana@bluepeak.example"), "d***@bluepeak.example");
        assert_eq!(mask("+15555550141"), "+1******0141");
    }
}
