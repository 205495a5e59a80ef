//! What Countersign sends out, and how it proves it sent it.
//!
//! - [`webhook`]: deliveries signed with HMAC-SHA256 over a timestamp and
//!   the body, posted by [`webhook::OutboxWorker`] from the store's durable
//!   outbox with exponential backoff; at least once, with the event ID as
//!   the receiver's idempotency key.
//! - [`codes`]: one-time verification codes to a directory channel: email
//!   through the configured SMTP relay, or SMS/voice through an HTTP
//!   adapter. Codes are never stored in clear: they go out and only their
//!   hash stays.

pub mod codes;
pub mod webhook;

/// HMAC-SHA256 of `message` under `key`, lowercase hex.
pub fn hmac_hex(key: &[u8], message: &[u8]) -> String {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, key);
    data_encoding::HEXLOWER.encode(ring::hmac::sign(&key, message).as_ref())
}
