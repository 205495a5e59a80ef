//! One SMTP session over TCP or TLS: the connection, the time-outs and
//! the verdict. What is said is decided by the IO-free `Dialogue` of
//! countersign-smtp-protocol.

use crate::metrics::limit_hit;
use crate::{Received, Shared};
use countersign_model::verdict::Action;
use countersign_smtp_protocol::{Dialogue, Event, Rules};
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// The connection, before or after STARTTLS.
pub(crate) enum Conn {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_flush(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Conn::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Conn::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Runs a session to its end: the dialogue (countersign-smtp-protocol)
/// answers the client; this side reads and writes the connection within
/// the time-outs, upgrades it to TLS, and judges or spools each message.
pub(crate) async fn run(shared: Arc<Shared>, stream: TcpStream, peer: IpAddr) {
    let xclient_allowed = shared.settings.xclient_from.contains(&peer);
    let s = &shared.settings;
    let rules = Rules {
        hostname: s.hostname.clone(),
        max_message_bytes: s.max_message_bytes,
        max_recipients: s.max_recipients,
        max_bad_commands: s.max_bad_commands,
        tls_offered: s.tls.is_some(),
        require_tls: s.require_tls,
    };
    let mut session = Session {
        dialogue: Dialogue::new(rules, peer, xclient_allowed),
        shared,
        conn: Some(Conn::Plain(stream)),
    };
    let _ = session.serve().await;
    // A closing reply (421, 221) may still wait to be written.
    let _ = session.flush().await;
    if let Some(mut conn) = session.conn.take() {
        let _ = conn.flush().await;
        let _ = conn.shutdown().await;
    }
}

/// The client went away, or the connection failed.
struct Gone;

struct Session {
    shared: Arc<Shared>,
    conn: Option<Conn>,
    dialogue: Dialogue,
}

impl Session {
    async fn serve(&mut self) -> Result<(), Gone> {
        let mut data_deadline: Option<Instant> = None;
        loop {
            let event = self.dialogue.step();
            for limit in self.dialogue.take_limits() {
                limit_hit(&self.shared.metrics, limit.as_str());
            }
            match event {
                Event::NeedInput => {
                    // Answer everything pipelined so far before waiting.
                    self.flush().await?;
                    let limit = if self.dialogue.in_data() {
                        let deadline = *data_deadline.get_or_insert_with(|| {
                            Instant::now() + self.shared.settings.data_timeout
                        });
                        deadline
                            .saturating_duration_since(Instant::now())
                            .min(self.shared.settings.command_timeout)
                    } else {
                        data_deadline = None;
                        self.shared.settings.command_timeout
                    };
                    if !self.fill(limit).await? {
                        self.dialogue.timed_out();
                    }
                }
                Event::Message(transaction) => {
                    data_deadline = None;
                    let ended = Instant::now();
                    let received = Received::from(*transaction);
                    let (code, esc, text) = self.accept(received).await;
                    self.shared
                        .metrics
                        .data_to_reply
                        .observe(ended.elapsed().as_secs_f64());
                    self.dialogue.answer(code, esc, &text);
                }
                Event::StartTls => {
                    self.flush().await?;
                    self.start_tls().await?;
                    self.dialogue.tls_started();
                }
                Event::Close => return Ok(()),
            }
        }
    }

    async fn flush(&mut self) -> Result<(), Gone> {
        if !self.dialogue.has_output() {
            return Ok(());
        }
        let out = self.dialogue.take_output();
        let conn = self.conn.as_mut().ok_or(Gone)?;
        conn.write_all(&out).await.map_err(|_| Gone)?;
        conn.flush().await.map_err(|_| Gone)?;
        Ok(())
    }

    /// Reads more bytes into the dialogue within `limit`; `false` when the
    /// time ran out.
    async fn fill(&mut self, limit: Duration) -> Result<bool, Gone> {
        let conn = self.conn.as_mut().ok_or(Gone)?;
        let mut chunk = [0u8; 16 * 1024];
        match tokio::time::timeout(limit, conn.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => Err(Gone),
            Ok(Ok(n)) => {
                self.dialogue.receive(&chunk[..n]);
                Ok(true)
            }
            Err(_) => Ok(false),
        }
    }

    async fn start_tls(&mut self) -> Result<(), Gone> {
        let tls = self.shared.settings.tls.clone().ok_or(Gone)?;
        let Some(Conn::Plain(tcp)) = self.conn.take() else {
            return Err(Gone);
        };
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        match tokio::time::timeout(self.shared.settings.command_timeout, acceptor.accept(tcp)).await
        {
            Ok(Ok(stream)) => {
                self.conn = Some(Conn::Tls(Box::new(stream)));
                Ok(())
            }
            _ => Err(Gone),
        }
    }

    /// The verdict (when it is ready in time and the policy rejects), or
    /// the message spooled durably: the reply to end of DATA.
    async fn accept(&self, ingress: Received) -> (u16, (u8, u8, u8), String) {
        let shared = &self.shared;
        let mut analysis = None;
        if shared.settings.reject {
            let incoming = ingress.incoming("smtp");
            match tokio::time::timeout(
                shared.settings.verdict_timeout,
                shared.services.analyze(&incoming),
            )
            .await
            {
                Ok(Ok(a)) => {
                    let rejected = a
                        .verdict
                        .as_ref()
                        .is_some_and(|v| v.verdict == Action::Reject);
                    if rejected {
                        let reason = a
                            .verdict
                            .as_ref()
                            .and_then(|v| v.reasons.first().cloned())
                            .unwrap_or_else(|| "Rejected by policy".into());
                        // Recorded (and audited) like any verdict; the
                        // sender is told, so nothing is spooled.
                        match shared
                            .services
                            .record_judged(incoming, a, Instant::now(), None, true)
                            .await
                        {
                            Ok(_) => {
                                shared.metrics.rejected.inc();
                                return (550, (5, 7, 1), one_line(&reason, 300));
                            }
                            Err(err) => {
                                tracing::warn!(%err, "recording a rejected message failed");
                                return (451, (4, 3, 0), "Temporary failure, try again".into());
                            }
                        }
                    }
                    analysis = Some(a);
                }
                Ok(Err(err)) => tracing::debug!(%err, "analysis refused the envelope"),
                Err(_) => limit_hit(&shared.metrics, "verdict_timeout"),
            }
        }
        match shared.spool_and_queue(ingress, analysis).await {
            Ok(queue_id) => (250, (2, 0, 0), format!("Queued as {queue_id}")),
            Err(crate::spool::SpoolError::Full { .. }) => {
                limit_hit(&shared.metrics, "spool_full");
                (452, (4, 3, 1), "Insufficient system storage".into())
            }
            Err(err) => {
                tracing::error!(%err, "spooling failed");
                (451, (4, 3, 0), "Temporary failure, try again".into())
            }
        }
    }
}

/// `text` on one line, at most `max` characters.
fn one_line(text: &str, max: usize) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(max)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_one_line() {
        assert_eq!(one_line("a\r\nb", 10), "a  b");
        assert_eq!(one_line("abcdef", 3), "abc");
    }
}
