//! Our own domains' posture as the DMARC aggregate reports show it:
//! reports uploaded by administrators (or ingested by `countersign dmarc
//! ingest` into the same store), and who sends as us (administrators).

use countersign_accounts::Role;
use countersign_posture::alerts::AlertPolicy;
use countersign_posture::{ExtractLimits, ServiceCatalog, SourceReport};
use countersign_store::PostureQuery;
use countersign_store::posture::DomainSummary;
use serde::Serialize;
use std::sync::LazyLock;
use std::time::Duration;

use crate::posture_ingest::{self, IngestError, IngestOptions, Input, Outcome};
use crate::{Principal, ServiceError, Services};

/// The most sources one answer lists; the rest are counted, not named.
const MAX_SOURCES: usize = 10_000;
/// Sources given a reverse DNS name and a service in one answer.
const NAMED_SOURCES: usize = 50;
/// How long one answer may wait for reverse DNS; names not answered by
/// then are shown without one (and asked again next time).
const RDNS_DEADLINE: Duration = Duration::from_secs(2);
/// The largest report upload (compressed or not).
pub const MAX_UPLOAD_BYTES: usize = 32 * 1024 * 1024;

static CATALOG: LazyLock<ServiceCatalog> = LazyLock::new(ServiceCatalog::embedded);

/// What one upload did: a line per report found, and the alerts raised.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UploadResult {
    /// One per report (or one naming why none was read).
    #[schema(value_type = Vec<Object>)]
    pub reports: Vec<Outcome>,
    /// Alerts raised by what was stored (also in the audit log and, to
    /// subscribers, as webhooks).
    #[schema(value_type = Vec<Object>)]
    pub alerts: Vec<serde_json::Value>,
}

impl From<IngestError> for ServiceError {
    fn from(e: IngestError) -> Self {
        match e {
            IngestError::Store(e) => e.into(),
            other => ServiceError::Internal(format!("report ingest: {other}")),
        }
    }
}

impl Services {
    /// Our domains with reports, and their totals.
    pub async fn posture_domains(
        &self,
        principal: &Principal,
    ) -> Result<Vec<DomainSummary>, ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        Ok(self.inner.store.posture_domains().await?)
    }

    /// Who sends as `domain` (every domain when `None`), aligned or not,
    /// over the last `days` days (all reports when `None`).
    pub async fn posture_sources(
        &self,
        principal: &Principal,
        domain: Option<String>,
        days: Option<u32>,
    ) -> Result<SourceReport, ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        if let Some(d) = days
            && !(1..=3650).contains(&d)
        {
            return Err(ServiceError::Invalid {
                field: "days".into(),
                message: format!("{d} is not between 1 and 3650"),
            });
        }
        let query = PostureQuery {
            domain: domain.map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase()),
            since: days.map(|d| self.now().unix_timestamp() - i64::from(d) * 86_400),
            until: None,
        };
        let mut report = self
            .inner
            .store
            .posture_sources(&query, MAX_SOURCES)
            .await?;
        let resolver = self
            .inner
            .directory
            .current()
            .pipeline
            .authenticator()
            .resolver()
            .clone();
        crate::posture_dns::enrich_sources(
            &self.inner.store,
            Some(&resolver),
            &mut report,
            &CATALOG,
            NAMED_SOURCES,
            RDNS_DEADLINE,
        )
        .await?;
        Ok(report)
    }

    /// Reads and stores the DMARC aggregate, failure or TLS reports in one
    /// upload (XML, gzip, zip, JSON, or a mail message carrying them), the
    /// same way `countersign dmarc ingest` does; then raises alerts, which
    /// the outbox delivers to webhook subscribers.
    pub async fn ingest_posture_reports(
        &self,
        principal: &Principal,
        name: Option<String>,
        raw: Vec<u8>,
    ) -> Result<UploadResult, ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        if raw.is_empty() {
            return Err(ServiceError::invalid(
                "body",
                "an empty upload holds no report",
            ));
        }
        if raw.len() > MAX_UPLOAD_BYTES {
            return Err(ServiceError::invalid(
                "body",
                format!(
                    "{} bytes is more than the {MAX_UPLOAD_BYTES} allowed",
                    raw.len()
                ),
            ));
        }
        let origin = match name {
            Some(n) if !n.trim().is_empty() => format!("upload:{}", n.trim()),
            _ => "upload".to_owned(),
        };
        let options = IngestOptions {
            dry_run: false,
            actor: principal.actor(),
            alerts: Some(AlertPolicy::default()),
            limits: ExtractLimits::default(),
            seal: false,
        };
        let run = posture_ingest::ingest(
            Some(&self.inner.store),
            vec![Input::Message { origin, raw }],
            &options,
            |_, _| {},
        )
        .await?;
        if !run.alerts.is_empty() {
            self.inner.outbox_wake.notify_one();
        }
        Ok(UploadResult {
            reports: run.outcomes,
            alerts: run.alerts.iter().map(|a| a.details()).collect(),
        })
    }

    /// Aligned and unaligned volume per day over the last `days` days, for
    /// `domain` (every domain when `None`).
    pub async fn posture_timeline(
        &self,
        principal: &Principal,
        domain: Option<String>,
        days: u32,
    ) -> Result<Vec<countersign_posture::chart::Bucket>, ServiceError> {
        principal.require(&[Role::SecurityAdmin])?;
        if !(1..=366).contains(&days) {
            return Err(ServiceError::Invalid {
                field: "days".into(),
                message: format!("{days} is not between 1 and 366"),
            });
        }
        let query = PostureQuery {
            domain: domain.map(|d| d.trim().trim_end_matches('.').to_ascii_lowercase()),
            since: Some(self.now().unix_timestamp() - i64::from(days) * 86_400),
            until: None,
        };
        Ok(self.inner.store.posture_timeline(&query, 86_400).await?)
    }
}
