//! The SMTP envelope a message arrived with: what SPF checks.

use std::net::IpAddr;

/// A malformed envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The client IP is not an IPv4 or IPv6 address.
    #[error("client IP {value:?} is not an IP address")]
    BadIp {
        /// The text given.
        value: String,
    },
    /// MAIL FROM is neither empty (the null sender) nor `local@domain`.
    #[error("MAIL FROM {value:?} is not an address (use an empty value for the null sender)")]
    BadMailFrom {
        /// The text given.
        value: String,
    },
}

/// The SMTP envelope of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The connecting client's address.
    pub client_ip: IpAddr,
    /// The HELO/EHLO name, as given (may be empty or an address literal).
    pub helo: String,
    /// The MAIL FROM address without angle brackets; empty for the null sender.
    pub mail_from: String,
}

impl Envelope {
    /// Validates and normalises an envelope given as text.
    pub fn parse(ip: &str, helo: &str, mail_from: &str) -> Result<Self, EnvelopeError> {
        let client_ip = ip.trim().parse().map_err(|_| EnvelopeError::BadIp {
            value: ip.to_string(),
        })?;
        let mail_from = mail_from
            .trim()
            .trim_start_matches('<')
            .trim_end_matches('>');
        // RFC 7208 section 4.3: an empty local-part means "postmaster", and a
        // domain that is not a valid name is SPF's `none`, not a usage error.
        let mail_from = match mail_from.strip_prefix('@') {
            Some(domain) if !domain.is_empty() => format!("postmaster@{domain}"),
            _ => mail_from.to_string(),
        };
        if !mail_from.is_empty() {
            match mail_from.rsplit_once('@') {
                Some((local, domain)) if !local.is_empty() && !domain.is_empty() => {}
                _ => {
                    return Err(EnvelopeError::BadMailFrom {
                        value: mail_from.to_string(),
                    });
                }
            }
        }
        Ok(Self {
            client_ip,
            helo: helo.trim().trim_end_matches('.').to_ascii_lowercase(),
            mail_from,
        })
    }

    /// The HELO name when it is a domain SPF can check (not empty, not an address literal).
    pub fn helo_domain(&self) -> Option<&str> {
        let helo = self.helo.as_str();
        let literal = helo.starts_with('[') || helo.parse::<IpAddr>().is_ok();
        (!helo.is_empty() && !literal && helo.contains('.')).then_some(helo)
    }

    /// The domain of MAIL FROM, lowercase; empty for the null sender.
    pub fn mail_from_domain(&self) -> &str {
        self.mail_from
            .rsplit_once('@')
            .map(|(_, domain)| domain)
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn null_sender_and_literals() {
        let env = Envelope::parse("192.0.2.1", "[192.0.2.1]", "<>").unwrap();
        assert_eq!(env.mail_from, "");
        assert_eq!(env.helo_domain(), None);
        assert!(Envelope::parse("300.1.1.1", "x.example", "").is_err());
        assert!(Envelope::parse("192.0.2.1", "x.example", "nobody").is_err());
        let env = Envelope::parse("192.0.2.1", "x.example", "@example.net").unwrap();
        assert_eq!(env.mail_from, "postmaster@example.net");
        let env = Envelope::parse("2001:db8::1", "MX.Example.", "a@b.example").unwrap();
        assert_eq!(env.helo_domain(), Some("mx.example"));
        assert_eq!(env.mail_from_domain(), "b.example");
    }
}
