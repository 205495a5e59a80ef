//! Our own domains' posture as the DMARC aggregate reports show it, read
//! from the store that `countersign dmarc ingest` fills (administrators).

use countersign_accounts::Role;
use countersign_posture::SourceReport;
use countersign_store::PostureQuery;
use countersign_store::posture::DomainSummary;

use crate::{Principal, ServiceError, Services};

/// The most sources one answer lists; the rest are counted, not named.
const MAX_SOURCES: usize = 10_000;

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
        Ok(self
            .inner
            .store
            .posture_sources(&query, MAX_SOURCES)
            .await?)
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
