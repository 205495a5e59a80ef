//! Field validation and normalisation, shared by every way records enter.

use crate::error::DirectoryError;
use data_encoding::{BASE64, HEXLOWER};

/// Lowercases and checks an identifier (vendor ID, staff ID, employee ID).
pub(crate) fn ident(field: &'static str, value: &str) -> Result<String, DirectoryError> {
    let v = value.trim();
    let ok = !v.is_empty()
        && v.len() <= 64
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if !ok {
        return Err(DirectoryError::invalid(
            field,
            value,
            "use 1-64 letters, digits, '-', '_' or '.'",
        ));
    }
    Ok(v.to_owned())
}

/// A non-empty display text.
pub(crate) fn text(field: &'static str, value: &str) -> Result<String, DirectoryError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(DirectoryError::invalid(field, value, "must not be empty"));
    }
    Ok(v.to_owned())
}

/// A domain name in lowercase ASCII (A-label) form.
pub(crate) fn domain(field: &'static str, value: &str) -> Result<String, DirectoryError> {
    let v = value.trim().trim_end_matches('.').to_ascii_lowercase();
    if !v.is_ascii() {
        return Err(DirectoryError::invalid(
            field,
            value,
            "use the ASCII (xn--) form of internationalised names",
        ));
    }
    let labels: Vec<&str> = v.split('.').collect();
    let ok = labels.len() >= 2
        && v.len() <= 253
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if !ok {
        return Err(DirectoryError::invalid(field, value, "not a domain name"));
    }
    Ok(v)
}

/// An email address: lowercased, with a valid domain.
pub(crate) fn email(field: &'static str, value: &str) -> Result<String, DirectoryError> {
    let v = value.trim().to_ascii_lowercase();
    let Some((local, dom)) = v.rsplit_once('@') else {
        return Err(DirectoryError::invalid(field, value, "missing '@'"));
    };
    if local.is_empty() || local.contains(char::is_whitespace) || local.contains('@') {
        return Err(DirectoryError::invalid(field, value, "bad local part"));
    }
    let dom =
        domain(field, dom).map_err(|_| DirectoryError::invalid(field, value, "bad domain"))?;
    Ok(format!("{local}@{dom}"))
}

/// A phone number normalised to E.164: `+` then 8 to 15 digits. Spaces,
/// dashes, dots and parentheses are dropped; anything else is refused,
/// because a callback to a mistyped number is a callback to a stranger.
pub(crate) fn phone(field: &'static str, value: &str) -> Result<String, DirectoryError> {
    let v: String = value
        .trim()
        .chars()
        .filter(|c| !" -.()".contains(*c))
        .collect();
    let digits = v.strip_prefix('+').unwrap_or("");
    if digits.len() < 8 || digits.len() > 15 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(DirectoryError::invalid(
            field,
            value,
            "use international form: '+', country code, 8 to 15 digits",
        ));
    }
    Ok(v)
}

/// A phone number in E.164 form (`+`, 8 to 15 digits), spaces and
/// punctuation removed; `None` when it is not one.
pub fn normalize_phone(value: &str) -> Option<String> {
    phone("phone", value).ok()
}

/// Decodes a base64 Ed25519 public key and returns it re-encoded canonically.
pub(crate) fn public_key(value: &str) -> Result<(String, Vec<u8>), DirectoryError> {
    let bytes = BASE64
        .decode(value.trim().as_bytes())
        .map_err(|e| DirectoryError::invalid("public key", value, e.to_string()))?;
    if bytes.len() != 32 {
        return Err(DirectoryError::invalid(
            "public key",
            value,
            "an Ed25519 public key is 32 bytes",
        ));
    }
    Ok((BASE64.encode(&bytes), bytes))
}

/// The key ID of an Ed25519 public key: first 16 hex digits of its SHA-256.
pub fn key_id_for(key_bytes: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, key_bytes);
    HEXLOWER.encode(&digest.as_ref()[..8])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalise_to_e164() {
        assert_eq!(
            phone("phone", "+44 (20) 7946-0018").unwrap(),
            "+442079460018"
        );
        assert!(phone("phone", "020 7946 0018").is_err());
        assert!(phone("phone", "+44 20 CALL ME").is_err());
    }

    #[test]
    fn emails_and_domains() {
        assert_eq!(
            email("email", " Bob@Example.COM ").unwrap(),
            "bob@example.com"
        );
        assert!(email("email", "bob.example.com").is_err());
        assert!(domain("domain", "exämple.com").is_err());
        assert!(domain("domain", "localhost").is_err());
        assert_eq!(domain("domain", "Example.com.").unwrap(), "example.com");
    }
}
