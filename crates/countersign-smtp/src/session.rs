//! One SMTP session: commands parsed by smtp-proto, DATA unstuffed by its
//! `DataReceiver`, limits answered with the replies RFC 5321 and its
//! extensions give them.

use crate::metrics::limit_hit;
use crate::{Received, Shared};
use countersign_model::verdict::Action;
use smtp_proto::request::receiver::DataReceiver;
use smtp_proto::{Error as ProtoError, Request};
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::server::TlsStream;

/// Longest command line accepted (RFC 5321 allows 512; extensions more).
const MAX_LINE: usize = 4096;

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

/// Why a session ended early.
enum End {
    /// The client went away or the connection failed.
    Gone,
    /// We closed it (after a 421).
    Closed,
}

struct Session {
    shared: Arc<Shared>,
    conn: Option<Conn>,
    client_ip: String,
    client_name: Option<String>,
    helo: Option<String>,
    esmtp: bool,
    tls: bool,
    xclient_allowed: bool,
    mail_from: Option<String>,
    rcpt: Vec<String>,
    bad_commands: usize,
    buf: Vec<u8>,
    out: Vec<u8>,
}

/// Runs a session to its end.
pub(crate) async fn run(shared: Arc<Shared>, stream: TcpStream, peer: IpAddr) {
    let xclient_allowed = shared.settings.xclient_from.contains(&peer);
    let mut session = Session {
        client_ip: peer.to_string(),
        shared,
        conn: Some(Conn::Plain(stream)),
        client_name: None,
        helo: None,
        esmtp: false,
        tls: false,
        xclient_allowed,
        mail_from: None,
        rcpt: Vec::new(),
        bad_commands: 0,
        buf: Vec::with_capacity(8192),
        out: Vec::with_capacity(1024),
    };
    let greeting = format!(
        "220 {} ESMTP Countersign\r\n",
        session.shared.settings.hostname
    );
    session.out.extend_from_slice(greeting.as_bytes());
    let _ = session.serve().await;
    // A closing reply (421) may still wait to be written.
    let _ = session.flush().await;
    if let Some(mut conn) = session.conn.take() {
        let _ = conn.flush().await;
        let _ = conn.shutdown().await;
    }
}

impl Session {
    fn reply(&mut self, code: u16, esc: (u8, u8, u8), text: &str) {
        let _ = smtp_proto::Response::new(code, esc.0, esc.1, esc.2, text).write(&mut self.out);
    }

    async fn flush(&mut self) -> Result<(), End> {
        if self.out.is_empty() {
            return Ok(());
        }
        let conn = self.conn.as_mut().ok_or(End::Gone)?;
        conn.write_all(&self.out).await.map_err(|_| End::Gone)?;
        conn.flush().await.map_err(|_| End::Gone)?;
        self.out.clear();
        Ok(())
    }

    /// Reads more bytes into the buffer within `limit`.
    async fn fill(&mut self, limit: Duration) -> Result<(), End> {
        let conn = self.conn.as_mut().ok_or(End::Gone)?;
        let mut chunk = [0u8; 16 * 1024];
        match tokio::time::timeout(limit, conn.read(&mut chunk)).await {
            Ok(Ok(0)) | Ok(Err(_)) => Err(End::Gone),
            Ok(Ok(n)) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(())
            }
            Err(_) => {
                limit_hit(&self.shared.metrics, "timeout");
                self.reply(421, (4, 4, 2), "Timeout, closing connection");
                let _ = self.flush().await;
                Err(End::Closed)
            }
        }
    }

    async fn serve(&mut self) -> Result<(), End> {
        loop {
            // Answer everything pipelined so far before waiting for more.
            let line = match self.buf.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    let line: Vec<u8> = self.buf.drain(..=i).collect();
                    if line.len() > MAX_LINE {
                        self.reply(500, (5, 5, 2), "Line too long");
                        self.bad()?;
                        continue;
                    }
                    line
                }
                None => {
                    if self.buf.len() > MAX_LINE {
                        self.buf.clear();
                        self.reply(500, (5, 5, 2), "Line too long");
                        self.bad()?;
                    }
                    self.flush().await?;
                    let limit = self.shared.settings.command_timeout;
                    self.fill(limit).await?;
                    continue;
                }
            };
            if !self.command(&line).await? {
                self.flush().await?;
                return Ok(());
            }
        }
    }

    /// Counts a bad command; past the limit the session ends.
    fn bad(&mut self) -> Result<(), End> {
        self.bad_commands += 1;
        if self.bad_commands > self.shared.settings.max_bad_commands {
            limit_hit(&self.shared.metrics, "bad_commands");
            self.reply(421, (4, 7, 0), "Too many errors, closing connection");
            return Err(End::Closed);
        }
        Ok(())
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.rcpt.clear();
    }

    /// Handles one command line; `false` ends the session.
    async fn command(&mut self, line: &[u8]) -> Result<bool, End> {
        if line.len() >= 8 && line[..8].eq_ignore_ascii_case(b"XCLIENT ") {
            self.xclient(&line[8..], false);
            return Ok(true);
        }
        if line.len() >= 9 && line[..9].eq_ignore_ascii_case(b"XFORWARD ") {
            self.xclient(&line[9..], true);
            return Ok(true);
        }
        let request = match Request::parse(&mut line.iter()) {
            Ok(r) => r.into_owned(),
            Err(ProtoError::UnknownCommand) => {
                self.reply(500, (5, 5, 1), "Command unrecognized");
                self.bad()?;
                return Ok(true);
            }
            Err(ProtoError::InvalidSenderAddress) => {
                self.reply(501, (5, 1, 7), "Bad sender address syntax");
                self.bad()?;
                return Ok(true);
            }
            Err(ProtoError::InvalidRecipientAddress) => {
                self.reply(501, (5, 1, 3), "Bad recipient address syntax");
                self.bad()?;
                return Ok(true);
            }
            Err(ProtoError::UnsupportedParameter { param }) => {
                self.reply(
                    555,
                    (5, 5, 4),
                    &format!("Unsupported parameter {}", param.escape_default()),
                );
                self.bad()?;
                return Ok(true);
            }
            Err(ProtoError::InvalidParameter { param }) => {
                self.reply(501, (5, 5, 4), &format!("Invalid parameter {param}"));
                self.bad()?;
                return Ok(true);
            }
            Err(_) => {
                self.reply(501, (5, 5, 2), "Syntax error");
                self.bad()?;
                return Ok(true);
            }
        };
        match request {
            Request::Ehlo { host } => {
                self.helo = Some(host);
                self.esmtp = true;
                self.reset();
                self.ehlo();
            }
            Request::Helo { host } => {
                self.helo = Some(host);
                self.esmtp = false;
                self.reset();
                let hostname = self.shared.settings.hostname.clone();
                self.out
                    .extend_from_slice(format!("250 {hostname}\r\n").as_bytes());
            }
            Request::StartTls => {
                let Some(tls) = self.shared.settings.tls.clone() else {
                    self.reply(502, (5, 5, 1), "STARTTLS not available");
                    return Ok(true);
                };
                if self.tls {
                    self.reply(503, (5, 5, 1), "Already in TLS");
                    return Ok(true);
                }
                if !self.buf.is_empty() {
                    // Nothing may be pipelined after STARTTLS (RFC 3207).
                    self.reply(503, (5, 5, 1), "Pipelined commands after STARTTLS");
                    self.buf.clear();
                    return Ok(true);
                }
                self.reply(220, (2, 0, 0), "Ready to start TLS");
                self.flush().await?;
                let Some(Conn::Plain(tcp)) = self.conn.take() else {
                    return Err(End::Gone);
                };
                let acceptor = tokio_rustls::TlsAcceptor::from(tls);
                match tokio::time::timeout(
                    self.shared.settings.command_timeout,
                    acceptor.accept(tcp),
                )
                .await
                {
                    Ok(Ok(stream)) => {
                        self.conn = Some(Conn::Tls(Box::new(stream)));
                        self.tls = true;
                        // RFC 3207: the session starts over.
                        self.helo = None;
                        self.reset();
                    }
                    _ => return Err(End::Gone),
                }
            }
            Request::Mail { from } => {
                if self.helo.is_none() {
                    self.reply(503, (5, 5, 1), "Send EHLO or HELO first");
                    self.bad()?;
                } else if self.mail_from.is_some() {
                    self.reply(503, (5, 5, 1), "Sender already given");
                    self.bad()?;
                } else if self.shared.settings.require_tls && !self.tls {
                    self.reply(530, (5, 7, 0), "Must issue a STARTTLS command first");
                } else if from.size > self.shared.settings.max_message_bytes {
                    limit_hit(&self.shared.metrics, "size");
                    self.reply(552, (5, 3, 4), "Message size exceeds fixed maximum");
                } else {
                    self.mail_from = Some(from.address);
                    self.reply(250, (2, 1, 0), "Sender OK");
                }
            }
            Request::Rcpt { to } => {
                if self.mail_from.is_none() {
                    self.reply(503, (5, 5, 1), "Send MAIL FROM first");
                    self.bad()?;
                } else if self.rcpt.len() >= self.shared.settings.max_recipients {
                    limit_hit(&self.shared.metrics, "recipients");
                    self.reply(452, (4, 5, 3), "Too many recipients");
                } else if to.address.is_empty() {
                    self.reply(501, (5, 1, 3), "Empty recipient");
                } else {
                    self.rcpt.push(to.address);
                    self.reply(250, (2, 1, 5), "Recipient OK");
                }
            }
            Request::Data => {
                if self.mail_from.is_none() {
                    self.reply(503, (5, 5, 1), "Send MAIL FROM first");
                    self.bad()?;
                } else if self.rcpt.is_empty() {
                    self.reply(554, (5, 5, 1), "No valid recipients");
                } else {
                    self.reply(354, (2, 0, 0), "End data with <CR><LF>.<CR><LF>");
                    self.flush().await?;
                    self.data().await?;
                }
            }
            Request::Bdat { .. } => {
                self.reply(502, (5, 5, 1), "CHUNKING not offered");
            }
            Request::Rset => {
                self.reset();
                self.reply(250, (2, 0, 0), "OK");
            }
            Request::Noop { .. } => self.reply(250, (2, 0, 0), "OK"),
            Request::Vrfy { .. } => {
                self.reply(252, (2, 5, 0), "Cannot verify, but will try delivery")
            }
            Request::Quit => {
                self.reply(221, (2, 0, 0), "Bye");
                return Ok(false);
            }
            Request::Help { .. } => self.reply(214, (2, 0, 0), "See RFC 5321"),
            _ => {
                self.reply(502, (5, 5, 1), "Command not implemented");
                self.bad()?;
            }
        }
        Ok(true)
    }

    fn ehlo(&mut self) {
        let s = &self.shared.settings;
        let mut lines = vec![
            s.hostname.clone(),
            "PIPELINING".into(),
            format!("SIZE {}", s.max_message_bytes),
            "8BITMIME".into(),
            "SMTPUTF8".into(),
            "ENHANCEDSTATUSCODES".into(),
        ];
        if s.tls.is_some() && !self.tls {
            lines.push("STARTTLS".into());
        }
        if self.xclient_allowed {
            lines.push("XCLIENT NAME ADDR PROTO HELO".into());
            lines.push("XFORWARD NAME ADDR PROTO HELO SOURCE".into());
        }
        let last = lines.len() - 1;
        for (i, l) in lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            self.out
                .extend_from_slice(format!("250{sep}{l}\r\n").as_bytes());
        }
    }

    /// XCLIENT and XFORWARD (Postfix): the original client, from a trusted
    /// MTA in front. XCLIENT starts the session over (220); XFORWARD
    /// (what Postfix's SMTP client sends with `smtp_send_xforward_command`)
    /// applies to the next transaction (250).
    fn xclient(&mut self, args: &[u8], forward: bool) {
        if !self.xclient_allowed {
            self.reply(550, (5, 7, 0), "XCLIENT/XFORWARD not permitted");
            let _ = self.bad();
            return;
        }
        if self.mail_from.is_some() {
            self.reply(503, (5, 5, 1), "XCLIENT not allowed in a mail transaction");
            return;
        }
        let text = String::from_utf8_lossy(args);
        let mut addr = None;
        let mut name = None;
        let mut helo = None;
        let mut proto = None;
        for attr in text.split_whitespace() {
            let Some((key, value)) = attr.split_once('=') else {
                self.reply(501, (5, 5, 4), "Bad XCLIENT attribute");
                return;
            };
            let value = xtext_decode(value);
            let unknown = value == "[UNAVAILABLE]" || value == "[TEMPUNAVAIL]";
            match key.to_ascii_uppercase().as_str() {
                "ADDR" if !unknown => {
                    let v = value.strip_prefix("IPV6:").unwrap_or(&value);
                    match v.parse::<IpAddr>() {
                        Ok(ip) => addr = Some(ip),
                        Err(_) => {
                            self.reply(501, (5, 5, 4), "Bad XCLIENT ADDR");
                            return;
                        }
                    }
                }
                "NAME" if !unknown => name = Some(value),
                "HELO" if !unknown => helo = Some(value),
                "PROTO" => proto = Some(value.to_ascii_uppercase()),
                "ADDR" | "NAME" | "HELO" | "PORT" | "LOGIN" | "DESTADDR" | "DESTPORT"
                | "SOURCE" | "IDENT" => {}
                _ => {
                    self.reply(501, (5, 5, 4), "Bad XCLIENT attribute");
                    return;
                }
            }
        }
        if let Some(ip) = addr {
            self.client_ip = ip.to_string();
        }
        if name.is_some() {
            self.client_name = name;
        }
        if forward {
            if helo.is_some() {
                self.helo = helo;
            }
            self.reply(250, (2, 0, 0), "Ok");
            return;
        }
        // The session starts over as if the original client had connected
        // (Postfix then sends EHLO or HELO again).
        self.reset();
        self.helo = helo;
        self.esmtp = proto.as_deref() != Some("SMTP");
        let greeting = format!(
            "220 {} ESMTP Countersign\r\n",
            self.shared.settings.hostname
        );
        self.out.extend_from_slice(greeting.as_bytes());
    }

    /// Receives DATA, then judges or spools it and answers.
    async fn data(&mut self) -> Result<(), End> {
        let max = self.shared.settings.max_message_bytes;
        let mut receiver = DataReceiver::new();
        let mut message = Vec::with_capacity(16 * 1024);
        let mut too_big = false;
        let deadline = Instant::now() + self.shared.settings.data_timeout;
        loop {
            let mut iter = self.buf.iter();
            let complete = receiver.ingest(&mut iter, &mut message);
            let consumed = self.buf.len() - iter.as_slice().len();
            self.buf.drain(..consumed);
            if message.len() > max {
                too_big = true;
                // Keep reading to the end of DATA, storing nothing more.
                message.clear();
            }
            if complete {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            let limit = left.min(self.shared.settings.command_timeout);
            if left.is_zero() {
                limit_hit(&self.shared.metrics, "timeout");
                self.reply(421, (4, 4, 2), "DATA timeout, closing connection");
                let _ = self.flush().await;
                return Err(End::Closed);
            }
            self.fill(limit).await?;
        }
        let ended = Instant::now();
        if too_big {
            limit_hit(&self.shared.metrics, "size");
            self.reply(552, (5, 3, 4), "Message size exceeds fixed maximum");
            self.reset();
            return Ok(());
        }
        let mail_from = self.mail_from.take().unwrap_or_default();
        let rcpt = std::mem::take(&mut self.rcpt);
        let ingress = Received {
            client_ip: self.client_ip.clone(),
            client_name: self.client_name.clone(),
            helo: self.helo.clone().unwrap_or_default(),
            mail_from,
            rcpt,
            protocol: match (self.esmtp, self.tls) {
                (true, true) => "ESMTPS",
                (true, false) => "ESMTP",
                (false, true) => "SMTPS",
                (false, false) => "SMTP",
            }
            .into(),
            raw: Arc::new(message),
        };
        let (code, esc, text) = self.accept(ingress).await;
        self.shared
            .metrics
            .data_to_reply
            .observe(ended.elapsed().as_secs_f64());
        self.reply(code, esc, &text);
        Ok(())
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

/// Decodes xtext (RFC 3461): `+XX` is a hex-encoded byte.
fn xtext_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'+'
            && i + 2 < bytes.len()
            && let Ok(hex) = std::str::from_utf8(&bytes[i + 1..i + 3])
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xtext() {
        assert_eq!(xtext_decode("a+2Bb"), "a+b");
        assert_eq!(xtext_decode("plain"), "plain");
        assert_eq!(xtext_decode("end+"), "end+");
        assert_eq!(xtext_decode("[UNAVAILABLE]"), "[UNAVAILABLE]");
    }

    #[test]
    fn replies_are_one_line() {
        assert_eq!(one_line("a\r\nb", 10), "a  b");
        assert_eq!(one_line("abcdef", 3), "abc");
    }
}
