//! SMTP TLS reports (RFC 8460), read with mail-auth's TLS-RPT parser and
//! summarised for storage and display.

use mail_auth::report::tlsrpt::{PolicyType, TlsReport};
use serde::Serialize;

/// Why a TLS report was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsReportError {
    /// The JSON does not follow RFC 8460.
    #[error("not an RFC 8460 TLS report: {reason}")]
    Invalid {
        /// What the parser said.
        reason: String,
    },
}

/// One policy's results in a TLS report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TlsPolicyResult {
    /// `sts`, `tlsa` or `no-policy-found`.
    pub policy_type: String,
    /// The policy's domain.
    pub policy_domain: String,
    /// MX hosts the policy names.
    pub mx_hosts: Vec<String>,
    /// Sessions that negotiated TLS as the policy requires.
    pub successful_sessions: u64,
    /// Sessions that failed.
    pub failed_sessions: u64,
    /// Failure kinds with their session counts (`result-type`, count).
    pub failures: Vec<(String, u64)>,
}

/// A TLS report as stored: who, when, and each policy's results; the
/// complete report is kept as JSON beside it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TlsReportSummary {
    /// `organization-name`.
    pub organization: String,
    /// `report-id`.
    pub report_id: String,
    /// `contact-info`.
    pub contact: Option<String>,
    /// Start of the period, Unix seconds.
    pub begin: i64,
    /// End of the period, Unix seconds.
    pub end: i64,
    /// Per policy.
    pub policies: Vec<TlsPolicyResult>,
    /// The whole report, as parsed.
    pub report: serde_json::Value,
}

impl TlsReportSummary {
    /// Successful and failed sessions over every policy.
    pub fn totals(&self) -> (u64, u64) {
        self.policies.iter().fold((0, 0), |(s, f), p| {
            (s + p.successful_sessions, f + p.failed_sessions)
        })
    }
}

/// Parses RFC 8460 JSON (already decompressed).
///
/// One repair is made before mail-auth reads it: `mx-host` given as a
/// single string instead of a list, as in RFC 8460's own example (4.9).
pub fn parse_tls_json(json: &[u8]) -> Result<TlsReportSummary, TlsReportError> {
    let invalid = |reason: String| TlsReportError::Invalid { reason };
    let mut value: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| invalid(e.to_string()))?;
    if let Some(policies) = value.get_mut("policies").and_then(|p| p.as_array_mut()) {
        for p in policies {
            if let Some(mx) = p.pointer_mut("/policy/mx-host")
                && mx.is_string()
            {
                *mx = serde_json::Value::Array(vec![mx.take()]);
            }
        }
    }
    // mail-auth deserialises dates from borrowed text: hand it bytes again.
    let fixed = serde_json::to_vec(&value).map_err(|e| invalid(e.to_string()))?;
    let report = TlsReport::parse_json(&fixed).map_err(|e| {
        invalid(match e {
            mail_auth::report::Error::ReportParseError(r) => r,
            other => format!("{other:?}"),
        })
    })?;
    summarise(&report)
}

fn summarise(report: &TlsReport) -> Result<TlsReportSummary, TlsReportError> {
    let begin = report.date_range.start_datetime.to_timestamp();
    let end = report.date_range.end_datetime.to_timestamp();
    // mail-auth reads an unparsable date as the epoch; refuse it instead.
    if begin <= 0 || end <= 0 {
        return Err(TlsReportError::Invalid {
            reason: "date-range start-datetime or end-datetime is not an RFC 3339 time".into(),
        });
    }
    if report.report_id.trim().is_empty() {
        return Err(TlsReportError::Invalid {
            reason: "report-id is empty".into(),
        });
    }
    let policies = report
        .policies
        .iter()
        .map(|p| {
            let mut failures: Vec<(String, u64)> = Vec::new();
            for d in &p.failure_details {
                let kind = serde_json::to_value(d.result_type)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "other".into());
                match failures.iter_mut().find(|(k, _)| *k == kind) {
                    Some((_, n)) => *n += u64::from(d.failed_session_count),
                    None => failures.push((kind, u64::from(d.failed_session_count))),
                }
            }
            TlsPolicyResult {
                policy_type: match p.policy.policy_type {
                    PolicyType::Sts => "sts",
                    PolicyType::Tlsa => "tlsa",
                    PolicyType::NoPolicyFound => "no-policy-found",
                    PolicyType::Other => "other",
                }
                .into(),
                policy_domain: p.policy.policy_domain.to_ascii_lowercase(),
                mx_hosts: p.policy.mx_host.clone(),
                successful_sessions: u64::from(p.summary.total_success),
                failed_sessions: u64::from(p.summary.total_failure),
                failures,
            }
        })
        .collect();
    Ok(TlsReportSummary {
        organization: report.organization_name.clone().unwrap_or_default(),
        report_id: report.report_id.clone(),
        contact: report.contact_info.clone(),
        begin,
        end,
        policies,
        report: serde_json::to_value(report).unwrap_or(serde_json::Value::Null),
    })
}
