//! Judging a message and recording the verdict: the shared path of the
//! HTTP API and SMTP ingress.
//!
//! Verdicts are recorded by one writer task per node that commits many
//! messages per transaction (group commit): a caller is answered only
//! after its message, its verdict, its case and their audit entries are
//! committed, but concurrent callers share the commit.

use crate::cases::{case_event_payload, new_event_id};
use crate::{ServiceError, Services, event, metrics::labels};
use countersign_auth::Envelope;
use countersign_cases::claim::resolve_sender;
use countersign_cases::{Case, Channel, NewCase, Origin, RequestSummary};
use countersign_model::auth::{
    ArcCheck, AuthReport, AuthResult, DmarcCheck, MessageDefect, SpfCheck,
};
use countersign_model::verdict::{Action, Verdict};
use countersign_pipeline::{Analysis, MessageSummary};
use countersign_store::{MessageRecord, NewRelay, RecordedMessage, Store};
use serde::Serialize;
use serde_json::json;
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::sync::{mpsc, oneshot};

/// A message as received, with its envelope.
#[derive(Debug, Clone)]
pub struct IncomingMessage {
    /// The message bytes (RFC 5322).
    pub raw: Vec<u8>,
    /// The connecting client's address.
    pub client_ip: String,
    /// HELO/EHLO name.
    pub helo: String,
    /// MAIL FROM (empty for the null sender).
    pub mail_from: String,
    /// RCPT TO addresses.
    pub rcpt: Vec<String>,
    /// `api` or `smtp`.
    pub source: &'static str,
    /// Who submitted it (audit actor).
    pub submitted_by: String,
}

impl IncomingMessage {
    /// A message that reached us without its envelope (forwarded to a
    /// report address, or posted with a report): SPF cannot pass, so only
    /// DKIM can make it pass DMARC; impersonation and request findings
    /// stand as they are.
    pub fn without_envelope(raw: Vec<u8>, source: &'static str, submitted_by: String) -> Self {
        Self {
            raw,
            client_ip: "0.0.0.0".into(),
            helo: String::new(),
            mail_from: String::new(),
            rcpt: Vec::new(),
            source,
            submitted_by,
        }
    }
}

/// The recorded verdict on a message.
#[derive(Debug, Clone)]
pub struct Judged {
    /// The recorded message.
    pub message_id: String,
    /// The case its verdict opened.
    pub case_id: Option<String>,
    /// Authentication and verdict.
    pub analysis: Analysis,
}

/// The API's answer: the verdict document of `analyze --json`, with the
/// record's IDs.
#[derive(Debug, Serialize)]
pub struct JudgedDocument<'a> {
    /// The recorded message.
    pub message_id: &'a str,
    /// The case opened, when the verdict is hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case_id: Option<&'a str>,
    /// Authentication results and verdict.
    #[serde(flatten)]
    pub document: countersign_pipeline::VerdictDocument<'a>,
}

impl Judged {
    /// The JSON document answered for this message.
    pub fn document(&self) -> JudgedDocument<'_> {
        JudgedDocument {
            message_id: &self.message_id,
            case_id: self.case_id.as_deref(),
            document: self.analysis.document(),
        }
    }

    /// The verdict (quarantine when the analysis could not run).
    pub fn action(&self) -> Action {
        self.analysis
            .verdict
            .as_ref()
            .map_or(Action::Quarantine, |v| v.verdict)
    }
}

/// The analysis recorded when the pipeline itself failed on a message:
/// quarantined and kept, never dropped.
pub fn failed_analysis(reason: &str) -> Analysis {
    let none = |domain: &str| SpfCheck {
        result: AuthResult::TempError,
        domain: domain.to_owned(),
        identity: "mailfrom",
        explanation: None,
    };
    Analysis {
        report: AuthReport {
            spf: none(""),
            spf_helo: None,
            dkim: Vec::new(),
            arc: ArcCheck {
                result: AuthResult::None,
                instances: 0,
                sealers: Vec::new(),
                upstream_results: None,
                reason: None,
            },
            dmarc: DmarcCheck {
                result: AuthResult::TempError,
                policy: "none".into(),
                from_domain: String::new(),
                spf_aligned: false,
                dkim_aligned: false,
                reason: Some(reason.to_owned()),
            },
            dmarc_other_authors: Vec::new(),
            authentication_results: String::new(),
            errors: vec![MessageDefect::Unparsable {
                reason: reason.to_owned(),
            }],
        },
        verdict: Some(Verdict {
            verdict: Action::Quarantine,
            reasons: vec![format!(
                "The message could not be analysed ({reason}); it is kept for review"
            )],
            required_controls: Vec::new(),
            rules: vec!["analysis-failed".into()],
            findings: Vec::new(),
        }),
        summary: Some(MessageSummary::default()),
    }
}

impl Services {
    /// Judges a message, records it (with the case a hold opens) and
    /// answers once it is committed. A message held back (hold, quarantine,
    /// reject) is also a sighting, queued with it for campaign correlation.
    pub async fn judge_message(&self, incoming: IncomingMessage) -> Result<Judged, ServiceError> {
        self.judge(incoming, true).await
    }

    /// Judges and records a message; `gateway` when it arrived at the queue
    /// (a hold opens a case), not when an employee reported it.
    pub(crate) async fn judge(
        &self,
        incoming: IncomingMessage,
        gateway: bool,
    ) -> Result<Judged, ServiceError> {
        let started = Instant::now();
        let analysis = self.analyze(&incoming).await?;
        let judged = self
            .record_judged(incoming, analysis, started, None, gateway)
            .await?;
        // Without an envelope digest nothing is a duplicate.
        judged.ok_or_else(|| ServiceError::Conflict("message recorded already".into()))
    }

    /// Authenticates and judges a message against the current directory,
    /// recording nothing. A message the pipeline fails on is quarantined,
    /// never dropped.
    pub async fn analyze(&self, incoming: &IncomingMessage) -> Result<Analysis, ServiceError> {
        let envelope = Envelope::parse(&incoming.client_ip, &incoming.helo, &incoming.mail_from)
            .map_err(|e| ServiceError::invalid("envelope", e.to_string()))?;
        let current = self.inner.directory.current();
        Ok(
            match current
                .pipeline
                .analyze_isolated(&incoming.raw, &envelope)
                .await
            {
                Ok(analysis) => analysis,
                Err(err) => failed_analysis(&err.to_string()),
            },
        )
    }

    /// Records an analysed message (with the case a hold opens) and
    /// answers once it is committed. With `ingress` (SMTP), the envelope
    /// digest makes a message spooled twice a duplicate (`Ok(None)`, nothing
    /// written), and what to relay downstream is committed with the verdict.
    /// `gateway`: the message arrived at the queue, so a hold opens a case
    /// (an employee's report does not).
    pub async fn record_judged(
        &self,
        incoming: IncomingMessage,
        analysis: Analysis,
        started: Instant,
        ingress: Option<Ingress>,
        gateway: bool,
    ) -> Result<Option<Judged>, ServiceError> {
        let current = self.inner.directory.current();
        let now = self.now();
        let message_id = countersign_accounts::token::random_id("m");
        let digest_hex = countersign_cases::digest_hex(&incoming.raw);
        let verdict = analysis.verdict.as_ref();
        let action = verdict.map_or(Action::Quarantine, |v| v.verdict);
        let summary = analysis.summary.clone().unwrap_or_default();
        let mut audit = vec![event(
            now,
            &incoming.submitted_by,
            "message.verdict",
            format!("message:{message_id}"),
            json!({
                "source": incoming.source,
                "client_ip": incoming.client_ip,
                "mail_from": incoming.mail_from,
                "from": summary.from_address,
                "digest": digest_hex,
                "spf": analysis.report.spf.result,
                "dkim": analysis.report.dkim.iter().map(|d| format!("{}:{}", d.domain, d.result)).collect::<Vec<_>>(),
                "dmarc": analysis.report.dmarc.result,
                "verdict": action,
                "required_controls": verdict.map(|v| v.required_controls.clone()).unwrap_or_default(),
                "rules": verdict.map(|v| v.rules.clone()).unwrap_or_default(),
                "reasons": verdict.map(|v| v.reasons.clone()).unwrap_or_default(),
            }),
        )];
        let mut published = Vec::new();
        let case = match verdict {
            Some(v) if gateway && v.verdict == Action::Hold => {
                let claimed = resolve_sender(
                    &current.snapshot,
                    summary.from_address.as_deref(),
                    summary.from_name.as_deref(),
                );
                let kinds: Vec<String> = v
                    .findings
                    .iter()
                    .filter_map(|f| f.signal.strip_prefix("request."))
                    .filter(|k| *k != "any")
                    .map(str::to_owned)
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let (case, opened) = Case::open(
                    NewCase {
                        id: countersign_accounts::token::random_id("c"),
                        origin: Origin::Message {
                            message_id: message_id.clone(),
                        },
                        channel: Channel::Email,
                        claimed,
                        request: RequestSummary {
                            kinds,
                            summary: summary
                                .subject
                                .clone()
                                .unwrap_or_else(|| "(no subject)".into()),
                        },
                        request_digest: digest_hex.clone(),
                        reasons: v.reasons.clone(),
                        do_not_call: summary.phone_numbers.clone(),
                        controls: v.required_controls.clone(),
                    },
                    now,
                    self.inner.settings.case_lifetime,
                );
                audit.push(event(
                    now,
                    &incoming.submitted_by,
                    opened.kind.name(),
                    format!("case:{}", case.id),
                    json!({ "detail": opened.detail, "message": message_id, "controls": v.required_controls }),
                ));
                let event_id = new_event_id();
                published.push(countersign_store::PublishedEvent {
                    payload: case_event_payload(&event_id, opened.kind, &case, now),
                    event_id,
                    event_type: opened.kind.name().to_owned(),
                });
                Some(case)
            }
            _ => None,
        };
        let document = serde_json::to_string(&analysis.document()).unwrap_or_default();
        // Delivered mail goes on to the help desk; what is held back is
        // kept so it can be reviewed, released or investigated.
        let keep_raw = !matches!(action, Action::Deliver | Action::Flag);
        let record = RecordedMessage {
            message: MessageRecord {
                id: message_id.clone(),
                received_at: now,
                source: incoming.source.to_owned(),
                client_ip: incoming.client_ip.clone(),
                helo: incoming.helo.clone(),
                mail_from: incoming.mail_from.clone(),
                rcpt: incoming.rcpt.clone(),
                from_address: summary.from_address.clone(),
                subject: summary.subject.clone(),
                verdict: action.as_str().to_owned(),
                document,
                summary: serde_json::to_string(&summary).unwrap_or_default(),
                digest: data_encoding::HEXLOWER
                    .decode(digest_hex.as_bytes())
                    .unwrap_or_default(),
                raw: keep_raw.then(|| incoming.raw.clone()),
                case_id: case.as_ref().map(|c| c.id.clone()),
            },
            case: case.clone(),
            audit,
            published,
            envelope_digest: None,
            relay: None,
            sighting: None,
        };
        let judged = Judged {
            message_id,
            case_id: case.as_ref().map(|c| c.id.clone()),
            analysis,
        };
        let mut record = record;
        if gateway && keep_raw {
            record.sighting = self.message_sighting(&judged);
        }
        if let Some(ingress) = ingress {
            record.envelope_digest = Some(ingress.envelope_digest);
            record.relay = (ingress.relay)(&judged, &incoming);
        }
        if !self.inner.recorder.record(record).await? {
            return Ok(None);
        }
        let metrics = &self.inner.metrics;
        metrics
            .messages
            .get_or_create(&labels(&[
                ("verdict", action.as_str()),
                ("source", incoming.source),
            ]))
            .inc();
        if case.is_some() {
            metrics
                .case_events
                .get_or_create(&labels(&[("event", "case.opened")]))
                .inc();
        }
        metrics
            .judge_latency
            .observe(started.elapsed().as_secs_f64());
        Ok(Some(judged))
    }

    /// A recorded message (analysts and administrators).
    pub async fn message(
        &self,
        principal: &crate::Principal,
        id: &str,
    ) -> Result<MessageRecord, ServiceError> {
        use countersign_accounts::Role;
        principal.require(&[Role::Analyst, Role::SecurityAdmin])?;
        self.inner
            .store
            .message(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("message {id}")))
    }
}

/// Builds what to relay downstream from the recorded verdict.
pub type RelayBuilder = Box<dyn FnOnce(&Judged, &IncomingMessage) -> Option<NewRelay> + Send>;

/// What SMTP ingress adds to recording a message.
pub struct Ingress {
    /// SHA-256 of envelope and content: a message already recorded with it
    /// is a duplicate.
    pub envelope_digest: Vec<u8>,
    /// What to relay downstream, given the recorded verdict (and the case
    /// a hold opened); committed in the same transaction.
    pub relay: RelayBuilder,
}

impl std::fmt::Debug for Ingress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ingress")
            .field(
                "envelope_digest",
                &data_encoding::HEXLOWER.encode(&self.envelope_digest),
            )
            .finish_non_exhaustive()
    }
}

type Job = (RecordedMessage, oneshot::Sender<Result<bool, String>>);

/// The per-node writer of verdicts (group commit).
pub(crate) struct Recorder {
    tx: Mutex<Option<mpsc::Sender<Job>>>,
    task: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// At most this many messages share one transaction.
const MAX_BATCH: usize = 512;

impl Recorder {
    pub(crate) fn start(
        store: Store,
        wake: Arc<tokio::sync::Notify>,
        correlate_wake: Arc<tokio::sync::Notify>,
    ) -> Self {
        let (tx, mut rx) = mpsc::channel::<Job>(4 * MAX_BATCH);
        let task = tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut jobs = vec![first];
                while jobs.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(job) => jobs.push(job),
                        Err(_) => break,
                    }
                }
                let any_events = jobs.iter().any(|(r, _)| !r.published.is_empty());
                let any_sightings = jobs.iter().any(|(r, _)| r.sighting.is_some());
                let (items, acks): (Vec<_>, Vec<_>) = jobs.into_iter().unzip();
                match store.record_messages(items).await {
                    Ok(recorded) => {
                        for (ack, new) in acks.into_iter().zip(recorded) {
                            let _ = ack.send(Ok(new));
                        }
                    }
                    Err(err) => {
                        tracing::error!(%err, "recording verdicts failed");
                        let err = err.to_string();
                        for ack in acks {
                            let _ = ack.send(Err(err.clone()));
                        }
                    }
                }
                if any_events {
                    wake.notify_one();
                }
                if any_sightings {
                    correlate_wake.notify_one();
                }
            }
        });
        Self {
            tx: Mutex::new(Some(tx)),
            task: tokio::sync::Mutex::new(Some(task)),
        }
    }

    /// Records one message; `false` when it was a duplicate.
    pub(crate) async fn record(&self, item: RecordedMessage) -> Result<bool, ServiceError> {
        let sender = self
            .tx
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .ok_or_else(|| ServiceError::Upstream("shutting down".into()))?;
        let (ack, done) = oneshot::channel();
        sender
            .send((item, ack))
            .await
            .map_err(|_| ServiceError::Upstream("shutting down".into()))?;
        match done.await {
            Ok(Ok(new)) => Ok(new),
            Ok(Err(err)) => Err(ServiceError::Upstream(format!(
                "the verdict could not be recorded: {err}"
            ))),
            Err(_) => Err(ServiceError::Upstream("shutting down".into())),
        }
    }

    /// Stops accepting, waits for everything queued to be committed.
    pub(crate) async fn close(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(task) = self.task.lock().await.take() {
            let _ = task.await;
        }
    }
}
