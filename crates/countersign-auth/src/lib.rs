//! Authenticates an inbound message: SPF (RFC 7208), every DKIM signature
//! (RFC 6376, RSA and Ed25519), ARC (RFC 8617) and DMARC (RFC 7489, with the
//! DNS tree walk of its successor for the organisational domain), and writes
//! the RFC 8601 Authentication-Results value.
//!
//! The protocols are mail-auth's; this crate decides what to ask it, turns its
//! outputs into [`countersign_model::auth`] terms, and records what is wrong
//! with the message itself as [`MessageDefect`]s. Authentication never fails:
//! a message that cannot be read is a report full of defects, so policy can
//! quarantine it and nothing is lost.

mod defects;
mod envelope;
mod mapping;

pub use defects::{HeaderLimits, scan_headers};
pub use envelope::{Envelope, EnvelopeError};

use countersign_dns::resolver::{DnsResolver, LookupBudget};
use countersign_model::auth::{AuthReport, AuthResult, DmarcCheck, MessageDefect, SpfCheck};
use countersign_model::bounds::{
    BoundHit, MAX_AUTHOR_DOMAINS, MAX_DKIM_SIGNATURES, MAX_DNS_LOOKUPS, WorkBound,
};
use mail_auth::dmarc::verify::DmarcParameters;
use mail_auth::spf::verify::SpfParameters;
use mail_auth::{AuthenticatedMessage, AuthenticationResults, SpfOutput};
use std::collections::HashSet;
use std::sync::Arc;

/// Checks messages through one shared resolver; cheap to share across tasks.
#[derive(Clone)]
pub struct Authenticator {
    resolver: Arc<DnsResolver>,
    authserv_id: Arc<str>,
    limits: HeaderLimits,
    /// Unix time signatures are judged at; `None` reads the clock.
    at: Option<u64>,
}

impl Authenticator {
    /// An authenticator that names itself `authserv_id` in Authentication-Results.
    pub fn new(resolver: Arc<DnsResolver>, authserv_id: &str) -> Self {
        Self {
            resolver,
            authserv_id: Arc::from(authserv_id.to_ascii_lowercase()),
            limits: HeaderLimits::default(),
            at: None,
        }
    }

    /// Overrides the header size limits.
    pub fn with_limits(mut self, limits: HeaderLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Judges signature expiry (DKIM `x=`, ARC) at `unix_seconds` instead of
    /// now: replays a past verdict, or checks a corpus signed long ago.
    pub fn at_time(mut self, unix_seconds: u64) -> Self {
        self.at = Some(unix_seconds);
        self
    }

    fn now(&self) -> u64 {
        self.at.unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        })
    }

    /// The resolver every check asks (shared with other DNS users, such
    /// as the posture checks, so they see the same answers and cache).
    pub fn resolver(&self) -> &Arc<DnsResolver> {
        &self.resolver
    }

    /// The authserv-id written into Authentication-Results.
    pub fn authserv_id(&self) -> &str {
        &self.authserv_id
    }

    /// SPF alone (RFC 7208 `check_host`) for an envelope: the MAIL FROM
    /// identity, or postmaster@HELO for the null sender, plus the HELO
    /// identity when the HELO name is a domain.
    pub async fn check_spf(&self, envelope: &Envelope) -> (SpfCheck, Option<SpfCheck>) {
        let budget = self.resolver.budget(MAX_DNS_LOOKUPS);
        self.spf_outputs(envelope, &budget).await.checks()
    }

    async fn spf_outputs(&self, envelope: &Envelope, budget: &LookupBudget<'_>) -> SpfOutputs {
        let resolver = &*self.resolver;
        let auth = resolver.authenticator();
        let host = &*self.authserv_id;
        let helo = envelope.helo_domain();
        let helo_output = match helo {
            Some(helo) => Some(
                auth.verify_spf(resolver.budgeted_parameters(
                    SpfParameters::verify_ehlo(envelope.client_ip, helo, host),
                    budget,
                ))
                .await,
            ),
            None => None,
        };
        let mail_from = if envelope.mail_from.is_empty() {
            None
        } else {
            Some(
                auth.verify_spf(resolver.budgeted_parameters(
                    SpfParameters::verify_mail_from(
                        envelope.client_ip,
                        helo.unwrap_or_default(),
                        host,
                        &envelope.mail_from,
                    ),
                    budget,
                ))
                .await,
            )
        };
        SpfOutputs {
            mail_from,
            helo: helo_output,
        }
    }

    /// Authenticates one message received with `envelope`.
    ///
    /// The work one message can cause is bounded ([`countersign_model::bounds`]):
    /// DNS lookups, DKIM signatures examined, author domains evaluated, ARC
    /// sets; each bound hit is reported as a [`MessageDefect::WorkBound`].
    pub async fn authenticate(&self, raw: &[u8], envelope: &Envelope) -> AuthReport {
        let budget = self.resolver.budget(MAX_DNS_LOOKUPS);
        let mut report = self.authenticate_within(raw, envelope, &budget).await;
        if budget.refused() > 0 {
            report.errors.push(MessageDefect::WorkBound(BoundHit::new(
                WorkBound::DnsLookups,
                budget.limit() + budget.refused(),
            )));
        }
        report
    }

    async fn authenticate_within(
        &self,
        raw: &[u8],
        envelope: &Envelope,
        budget: &LookupBudget<'_>,
    ) -> AuthReport {
        let scan = scan_headers(raw, &self.authserv_id, &self.limits);
        let mut errors = scan.defects;
        let resolver = &*self.resolver;
        let auth = resolver.authenticator();
        let host = &*self.authserv_id;

        let helo = envelope.helo_domain();
        let spf_outputs = self.spf_outputs(envelope, budget).await;
        let (spf_mail_from, spf_helo) = (&spf_outputs.mail_from, &spf_outputs.helo);
        // With the null sender, SPF's MAIL FROM identity is postmaster@HELO
        // (RFC 7208 section 2.4), and DMARC uses the HELO domain.
        let null_sender_without_helo = SpfOutput::new(String::new());
        let spf_for_dmarc = spf_mail_from
            .as_ref()
            .or(spf_helo.as_ref())
            .unwrap_or(&null_sender_without_helo);
        let spf_domain_for_dmarc = if envelope.mail_from.is_empty() {
            helo.unwrap_or_default()
        } else {
            envelope.mail_from_domain()
        };
        let (spf, spf_helo_check) = spf_outputs.checks();

        if let Some(hit) = BoundHit::check(WorkBound::ArcSets, scan.arc_sets) {
            // mail-auth fails such a chain without looking at it (RFC 8617).
            errors.push(MessageDefect::WorkBound(hit));
        }
        let Some(message) = AuthenticatedMessage::parse_bounded(raw, MAX_DKIM_SIGNATURES) else {
            if !errors
                .iter()
                .any(|d| matches!(d, MessageDefect::Unparsable { .. }))
            {
                errors.push(MessageDefect::Unparsable {
                    reason: "no header section found".into(),
                });
            }
            return AuthReport {
                authentication_results: format!(
                    "{host}; spf={} smtp.mailfrom={}",
                    spf.result, spf.domain
                ),
                spf,
                spf_helo: spf_helo_check,
                dkim: Vec::new(),
                arc: mapping::no_arc(),
                dmarc: mapping::no_dmarc(String::new()),
                dmarc_other_authors: Vec::new(),
                errors,
            };
        };

        if let Some(hit) = BoundHit::check(WorkBound::DkimSignatures, message.dkim_signatures_seen)
        {
            errors.push(MessageDefect::WorkBound(hit));
        }
        let dkim_outputs = mapping::normalise_dkim(
            auth.verify_dkim_at(resolver.budgeted_parameters(&message, budget), self.now())
                .await,
            &message,
        );
        let arc_output = auth
            .verify_arc_at(resolver.budgeted_parameters(&message, budget), self.now())
            .await;

        let (authors, distinct_authors) = author_domains(&message);
        if let Some(hit) = BoundHit::check(WorkBound::AuthorDomains, distinct_authors) {
            errors.push(MessageDefect::WorkBound(hit));
        }
        if authors.is_empty() && !errors.iter().any(is_from_defect) {
            errors.push(if scan.from_headers == 0 {
                MessageDefect::NoFrom
            } else {
                MessageDefect::UnparsableFrom {
                    value: scan.first_from_value.clone(),
                }
            });
        }
        let mut dmarc_checks: Vec<DmarcCheck> = Vec::with_capacity(authors.len().max(1));
        let mut dmarc_outputs = Vec::with_capacity(authors.len());
        if distinct_authors <= 1 {
            let out = auth
                .verify_dmarc(resolver.budgeted_parameters(
                    DmarcParameters::new(
                        &message,
                        &dkim_outputs,
                        spf_domain_for_dmarc,
                        spf_for_dmarc,
                    ),
                    budget,
                ))
                .await;
            let domain = authors
                .first()
                .map(|(domain, _)| domain.clone())
                .unwrap_or_default();
            dmarc_checks.push(mapping::dmarc(&out, domain));
            dmarc_outputs.push(out);
        } else {
            // mail-auth exempts multi-domain From headers from DMARC; we
            // evaluate each author domain on its own instead (the first
            // MAX_AUTHOR_DOMAINS of them), so that one spoofed co-author
            // cannot hide behind a legitimate one. Each evaluation sees the
            // message with that domain's first address as its only author.
            let mut template = message.clone();
            template.from = Vec::new();
            for (domain, address) in &authors {
                let mut single = template.clone();
                single.from.push(address.clone());
                let out = auth
                    .verify_dmarc(resolver.budgeted_parameters(
                        DmarcParameters::new(
                            &single,
                            &dkim_outputs,
                            spf_domain_for_dmarc,
                            spf_for_dmarc,
                        ),
                        budget,
                    ))
                    .await;
                dmarc_checks.push(mapping::dmarc(&out, domain.clone()));
                dmarc_outputs.push(out);
            }
        }

        let from_domain = authors
            .first()
            .map(|(domain, _)| domain.as_str())
            .unwrap_or_default();
        let mut header = AuthenticationResults::new(host)
            .with_dkim_results(&dkim_outputs, from_domain)
            .with_arc_result(&arc_output, envelope.client_ip);
        if let Some(out) = spf_helo {
            header = header.with_spf_ehlo_result(out, envelope.client_ip, helo.unwrap_or_default());
        }
        if let Some(out) = spf_mail_from {
            header = header.with_spf_mailfrom_result(
                out,
                envelope.client_ip,
                &envelope.mail_from,
                helo.unwrap_or_default(),
            );
        }
        for out in &dmarc_outputs {
            header = header.with_dmarc_result(out);
        }

        let dkim = mapping::dkim(&dkim_outputs, &message, raw);
        let arc = mapping::arc(&arc_output);
        let mut dmarc_checks = dmarc_checks.into_iter();
        let dmarc = dmarc_checks
            .next()
            .unwrap_or_else(|| mapping::no_dmarc(String::new()));
        AuthReport {
            spf,
            spf_helo: spf_helo_check,
            dkim,
            arc,
            dmarc,
            dmarc_other_authors: dmarc_checks.collect(),
            authentication_results: header.to_string(),
            errors,
        }
    }
}

struct SpfOutputs {
    mail_from: Option<SpfOutput>,
    helo: Option<SpfOutput>,
}

impl SpfOutputs {
    /// The reported SPF result (MAIL FROM, else HELO) and the HELO result.
    fn checks(&self) -> (SpfCheck, Option<SpfCheck>) {
        let main = match (&self.mail_from, &self.helo) {
            (Some(out), _) => mapping::spf(out, "mailfrom"),
            (None, Some(out)) => mapping::spf(out, "helo"),
            // Null sender and no usable HELO: nothing to check.
            (None, None) => mapping::spf(&SpfOutput::new(String::new()), "helo"),
        };
        (
            main,
            self.helo.as_ref().map(|out| mapping::spf(out, "helo")),
        )
    }
}

fn is_from_defect(defect: &MessageDefect) -> bool {
    matches!(
        defect,
        MessageDefect::NoFrom | MessageDefect::UnparsableFrom { .. }
    )
}

/// The first [`MAX_AUTHOR_DOMAINS`] distinct author domains of the From
/// header(s), in order of appearance, each with its first address; and how
/// many distinct author domains there are in all. (mail-auth has lowercased
/// the addresses already.)
fn author_domains(message: &AuthenticatedMessage<'_>) -> (Vec<(String, String)>, usize) {
    let mut kept: Vec<(String, String)> = Vec::with_capacity(1);
    let mut seen: HashSet<&str> = HashSet::new();
    for address in &message.from {
        let domain = address
            .rsplit_once('@')
            .map(|(_, domain)| domain.trim_end_matches('.'))
            .unwrap_or_default();
        if domain.is_empty() || !seen.insert(domain) {
            continue;
        }
        if kept.len() < MAX_AUTHOR_DOMAINS {
            kept.push((domain.to_string(), address.clone()));
        }
    }
    (kept, seen.len())
}

/// True when every DMARC evaluation of the report passed.
pub fn dmarc_passed(report: &AuthReport) -> bool {
    report.dmarc_all().all(|d| d.result == AuthResult::Pass)
}
