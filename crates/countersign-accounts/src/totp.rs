//! TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step of clock
//! skew either way) with replay protection: the caller keeps the last step
//! accepted, and no code of that step or an earlier one passes again.

use totp_rs::{Algorithm, TOTP};

/// Seconds per step.
pub const STEP: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;

/// Why a TOTP code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TotpError {
    /// No code given where one is required.
    #[error("a TOTP code is required")]
    Missing,
    /// Not six digits.
    #[error("a TOTP code is 6 digits")]
    Malformed,
    /// Wrong, or outside the accepted time window.
    #[error("the TOTP code is wrong or expired")]
    Invalid,
    /// Valid, but its step was already used: a replayed or stale code.
    #[error("the TOTP code was already used; wait for the next one")]
    Replayed,
    /// The stored secret cannot be used.
    #[error("TOTP is not set up for this account")]
    NotEnrolled,
}

/// A new shared secret: 20 random bytes (160 bits, RFC 4226's recommendation).
pub fn new_secret() -> Vec<u8> {
    crate::token::random_bytes::<20>().to_vec()
}

fn totp(secret: &[u8], issuer: &str, account: &str) -> Result<TOTP, TotpError> {
    // The otpauth label forbids ':' in issuer and account name.
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP,
        secret.to_vec(),
        Some(issuer.replace(':', " ")),
        account.replace(':', " "),
    )
    .map_err(|_| TotpError::NotEnrolled)
}

/// The `otpauth://` URI an authenticator app enrols from.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> Result<String, TotpError> {
    Ok(totp(secret, issuer, account)?.get_url())
}

/// The secret in base32, for typing into an app by hand.
pub fn secret_base32(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// The code for `unix_time` (for tests and for people holding the secret).
pub fn code_at(secret: &[u8], unix_time: u64) -> Result<String, TotpError> {
    Ok(totp(secret, "countersign", "x")?.generate(unix_time))
}

/// Verifies `code` at `unix_time`: returns the step it belongs to, which
/// the caller must store as the new `last_step`. Steps at or before
/// `last_step` are refused as replays.
pub fn verify(secret: &[u8], code: &str, unix_time: u64, last_step: u64) -> Result<u64, TotpError> {
    let code = code.trim();
    if code.is_empty() {
        return Err(TotpError::Missing);
    }
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TotpError::Malformed);
    }
    let generator = totp(secret, "countersign", "x")?;
    let current = unix_time / STEP;
    let mut matched = None;
    // Every candidate is computed and compared, so timing does not tell
    // which step matched.
    for step in [current.saturating_sub(1), current, current + 1] {
        let expected = generator.generate(step * STEP);
        if crate::token::ct_eq(expected.as_bytes(), code.as_bytes()) {
            matched = Some(step);
        }
    }
    match matched {
        None => Err(TotpError::Invalid),
        Some(step) if step <= last_step => Err(TotpError::Replayed),
        Some(step) => Ok(step),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_vector() {
        // RFC 6238 appendix B, SHA-1 secret "12345678901234567890", T=59 -> 94287082 (8 digits);
        // the 6-digit code is its last six digits.
        let secret = b"12345678901234567890";
        assert_eq!(code_at(secret, 59).unwrap(), "287082");
        assert_eq!(code_at(secret, 1111111109).unwrap(), "081804");
    }

    #[test]
    fn codes_pass_once_within_skew() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&secret, now).unwrap();
        let step = verify(&secret, &code, now, 0).unwrap();
        assert_eq!(step, now / STEP);
        assert_eq!(verify(&secret, &code, now, step), Err(TotpError::Replayed));
        // One step of skew is accepted, two are not.
        assert!(verify(&secret, &code, now + STEP, 0).is_ok());
        assert_eq!(
            verify(&secret, &code, now + 3 * STEP, 0),
            Err(TotpError::Invalid)
        );
        assert_eq!(verify(&secret, "12345", now, 0), Err(TotpError::Malformed));
        assert_eq!(verify(&secret, "", now, 0), Err(TotpError::Missing));
        let uri = otpauth_uri(&secret, "Countersign", "dana").unwrap();
        assert!(uri.starts_with("otpauth://totp/"), "{uri}");
        assert!(uri.contains("secret="), "{uri}");
    }
}
