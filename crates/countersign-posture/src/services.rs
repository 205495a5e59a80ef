//! Naming the service behind a sending source, from a catalogue of known
//! providers' domains (`data/senders.toml`, embedded; extendable).

use serde::Deserialize;
use std::collections::HashMap;

const EMBEDDED: &str = include_str!("../data/senders.toml");

/// Why a catalogue was refused.
#[derive(Debug, thiserror::Error)]
#[error("sender catalogue {origin}: {reason}")]
pub struct CatalogError {
    /// Where it came from.
    pub origin: String,
    /// What was wrong (with its line).
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    service: Vec<Entry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    domains: Vec<String>,
}

/// Which evidence named the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Evidence {
    /// The source's reverse DNS name.
    Ptr,
    /// A DKIM signing domain of its mail.
    Dkim,
    /// Its SPF (MAIL FROM) domain.
    Spf,
}

/// Known services, indexed by domain.
#[derive(Debug, Clone)]
pub struct ServiceCatalog {
    names: Vec<String>,
    by_domain: HashMap<String, usize>,
}

impl ServiceCatalog {
    /// The catalogue shipped with Countersign.
    pub fn embedded() -> Self {
        let mut c = Self {
            names: Vec::new(),
            by_domain: HashMap::new(),
        };
        c.extend_from_toml(EMBEDDED, "embedded senders.toml")
            .expect("the embedded sender catalogue parses");
        c
    }

    /// Adds the services of a TOML catalogue (same format as the embedded
    /// one); a domain listed again is given to the later service.
    pub fn extend_from_toml(&mut self, text: &str, origin: &str) -> Result<(), CatalogError> {
        let file: File = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            });
            CatalogError {
                origin: origin.to_owned(),
                reason: format!("line {line}: {}", e.message()),
            }
        })?;
        for entry in file.service {
            let idx = self.names.len();
            self.names.push(entry.name);
            for d in entry.domains {
                let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
                if d.is_empty() || !d.contains('.') {
                    return Err(CatalogError {
                        origin: origin.to_owned(),
                        reason: format!("{:?} is not a domain name", d),
                    });
                }
                self.by_domain.insert(d, idx);
            }
        }
        Ok(())
    }

    /// Number of services.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The service a name belongs to (the name itself or a parent domain).
    pub fn service_of(&self, name: &str) -> Option<&str> {
        let name = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let mut rest = name.as_str();
        loop {
            if let Some(&i) = self.by_domain.get(rest) {
                return Some(&self.names[i]);
            }
            rest = rest.split_once('.')?.1;
            if !rest.contains('.') {
                return None;
            }
        }
    }

    /// Names a source from its reverse DNS name, then its DKIM signing
    /// domains, then its SPF domains.
    pub fn recognise<'a>(
        &self,
        ptr: Option<&str>,
        dkim_domains: impl IntoIterator<Item = &'a str>,
        spf_domains: impl IntoIterator<Item = &'a str>,
    ) -> Option<(&str, Evidence)> {
        if let Some(s) = ptr.and_then(|p| self.service_of(p)) {
            return Some((s, Evidence::Ptr));
        }
        for d in dkim_domains {
            if let Some(s) = self.service_of(d) {
                return Some((s, Evidence::Dkim));
            }
        }
        for d in spf_domains {
            if let Some(s) = self.service_of(d) {
                return Some((s, Evidence::Spf));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_catalogue_names_common_senders() {
        let c = ServiceCatalog::embedded();
        assert!(c.len() >= 30);
        assert_eq!(
            c.service_of("mail-db8eur05on2100.outbound.protection.outlook.com."),
            Some("Microsoft 365 / Outlook")
        );
        assert_eq!(
            c.service_of("o1.ptr1234.sendgrid.net"),
            Some("SendGrid (Twilio)")
        );
        assert_eq!(
            c.service_of("a8-31.smtp-out.amazonses.com"),
            Some("Amazon SES")
        );
        assert_eq!(c.service_of("example.com"), None);
        assert_eq!(c.service_of("com"), None);
        assert_eq!(c.service_of("notsendgrid.net"), None);
        let (name, why) = c
            .recognise(Some("unknown.example.net"), ["example.com", "mcsv.net"], [])
            .unwrap();
        assert_eq!((name, why), ("Mailchimp / Mandrill", Evidence::Dkim));
    }

    #[test]
    fn extensions_are_checked_and_win() {
        let mut c = ServiceCatalog::embedded();
        c.extend_from_toml(
            "[[service]]\nname = \"Our CRM\"\ndomains = [\"crm.example.net\", \"sendgrid.net\"]\n",
            "local",
        )
        .unwrap();
        assert_eq!(c.service_of("x.crm.example.net"), Some("Our CRM"));
        assert_eq!(c.service_of("sendgrid.net"), Some("Our CRM"));
        let e = c
            .extend_from_toml("[[service]]\nname = 1\n", "bad.toml")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("sender catalogue bad.toml: line 2"),
            "{e}"
        );
    }
}
