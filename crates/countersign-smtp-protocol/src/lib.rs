//! The server side of one SMTP session, without IO.
//!
//! The caller owns the connection: it hands received bytes to
//! [`Dialogue::receive`], asks [`Dialogue::step`] what happened, writes
//! [`Dialogue::take_output`] to the client, and acts on the [`Event`]
//! (read more, judge and spool a message, start TLS, close). Everything a
//! client can send is answered here, so the whole dialogue can be tested
//! and fuzzed with bytes alone; time (command and DATA time-outs) stays
//! with the caller, which reports it through [`Dialogue::timed_out`].
//!
//! Commands are parsed by smtp-proto and DATA is unstuffed by its
//! `DataReceiver`. The work one input can cause is bounded: a command line
//! is at most [`MAX_LINE`] bytes, a message at most the configured size
//! (the rest of an oversized DATA is read and dropped), and a session ends
//! after the configured number of bad commands.

use smtp_proto::request::receiver::DataReceiver;
use smtp_proto::{Error as ProtoError, Request};
use std::net::IpAddr;

/// Longest command line accepted (RFC 5321 allows 512; extensions more).
pub const MAX_LINE: usize = 4096;

/// What the dialogue needs to know about the installation.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Our host name (greeting, EHLO).
    pub hostname: String,
    /// Largest message (SIZE); past it, `552 5.3.4`.
    pub max_message_bytes: usize,
    /// Recipients per message; past it, `452 4.5.3`.
    pub max_recipients: usize,
    /// Bad commands before `421 4.7.0`.
    pub max_bad_commands: usize,
    /// STARTTLS is offered (a certificate is configured).
    pub tls_offered: bool,
    /// MAIL FROM is refused before STARTTLS.
    pub require_tls: bool,
}

/// A whole message, as the session received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The client's address (or the original client's, given by XCLIENT).
    pub client_ip: String,
    /// The client's reverse name, when XCLIENT gave one.
    pub client_name: Option<String>,
    /// EHLO/HELO name.
    pub helo: String,
    /// Envelope sender (empty for the null sender).
    pub mail_from: String,
    /// Envelope recipients.
    pub rcpt: Vec<String>,
    /// `ESMTP`, `ESMTPS`, `SMTP` or `SMTPS` (for the Received header).
    pub protocol: &'static str,
    /// The message, dot-unstuffed, CRLF line ends as sent.
    pub raw: Vec<u8>,
}

/// What the caller must do next. In every case, write
/// [`Dialogue::take_output`] first.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// Everything received has been answered: read more (within the
    /// command time-out, or the DATA one when [`Dialogue::in_data`]).
    NeedInput,
    /// End of DATA: judge or spool the message, then [`Dialogue::answer`].
    Message(Box<Transaction>),
    /// `220 Ready to start TLS` is in the output: write it, run the TLS
    /// handshake, then call [`Dialogue::tls_started`] (or end the session
    /// when it fails).
    StartTls,
    /// Write the output and close the connection.
    Close,
}

/// A limit a client ran into, for the caller's metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// Message larger than SIZE.
    Size,
    /// Too many recipients.
    Recipients,
    /// Too many bad commands.
    BadCommands,
    /// Command or DATA time-out.
    Timeout,
}

impl Limit {
    /// The metric label.
    pub fn as_str(self) -> &'static str {
        match self {
            Limit::Size => "size",
            Limit::Recipients => "recipients",
            Limit::BadCommands => "bad_commands",
            Limit::Timeout => "timeout",
        }
    }
}

/// The message being received.
struct Data {
    receiver: DataReceiver,
    message: Vec<u8>,
    too_big: bool,
}

/// One session's state.
pub struct Dialogue {
    rules: Rules,
    client_ip: String,
    client_name: Option<String>,
    helo: Option<String>,
    esmtp: bool,
    tls: bool,
    xclient_allowed: bool,
    mail_from: Option<String>,
    rcpt: Vec<String>,
    bad_commands: usize,
    data: Option<Data>,
    closed: bool,
    input: Vec<u8>,
    output: Vec<u8>,
    limits: Vec<Limit>,
}

/// What one command asks of the session loop.
enum Then {
    Continue,
    Close,
    StartTls,
}

impl Dialogue {
    /// A new session from `client_ip`; the greeting is already in the
    /// output. `xclient_allowed` when the client is the trusted MTA in
    /// front (XCLIENT and XFORWARD are then honoured).
    pub fn new(rules: Rules, client_ip: IpAddr, xclient_allowed: bool) -> Self {
        let mut d = Self {
            rules,
            client_ip: client_ip.to_string(),
            client_name: None,
            helo: None,
            esmtp: false,
            tls: false,
            xclient_allowed,
            mail_from: None,
            rcpt: Vec::new(),
            bad_commands: 0,
            data: None,
            closed: false,
            input: Vec::with_capacity(8192),
            output: Vec::with_capacity(1024),
            limits: Vec::new(),
        };
        d.greet();
        d
    }

    /// Bytes received from the client.
    pub fn receive(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
    }

    /// The replies to write to the client (empties the buffer).
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.output)
    }

    /// Whether replies wait to be written.
    pub fn has_output(&self) -> bool {
        !self.output.is_empty()
    }

    /// Limits hit since the last call.
    pub fn take_limits(&mut self) -> Vec<Limit> {
        std::mem::take(&mut self.limits)
    }

    /// Whether a DATA transfer is under way (its time-out applies).
    pub fn in_data(&self) -> bool {
        self.data.is_some()
    }

    /// Answers as much of the input as possible; says what to do next.
    pub fn step(&mut self) -> Event {
        loop {
            if self.closed {
                return Event::Close;
            }
            if self.data.is_some() {
                match self.receive_data() {
                    Some(event) => return event,
                    None => continue,
                }
            }
            let Some(end) = self.input.iter().position(|&b| b == b'\n') else {
                if self.input.len() > MAX_LINE {
                    self.input.clear();
                    self.reply(500, (5, 5, 2), "Line too long");
                    self.bad();
                    continue;
                }
                return Event::NeedInput;
            };
            let line: Vec<u8> = self.input.drain(..=end).collect();
            if line.len() > MAX_LINE {
                self.reply(500, (5, 5, 2), "Line too long");
                self.bad();
                continue;
            }
            match self.command(&line) {
                Then::Continue => {}
                Then::Close => {
                    self.closed = true;
                    return Event::Close;
                }
                Then::StartTls => return Event::StartTls,
            }
        }
    }

    /// The reply to the message last given by [`Event::Message`].
    pub fn answer(&mut self, code: u16, esc: (u8, u8, u8), text: &str) {
        self.reply(code, esc, text);
    }

    /// The TLS handshake succeeded: the session starts over (RFC 3207).
    pub fn tls_started(&mut self) {
        self.tls = true;
        self.helo = None;
        self.reset();
    }

    /// The client was silent past the time-out: `421`, then close.
    pub fn timed_out(&mut self) {
        self.limits.push(Limit::Timeout);
        let text = if self.data.is_some() {
            "DATA timeout, closing connection"
        } else {
            "Timeout, closing connection"
        };
        self.data = None;
        self.reply(421, (4, 4, 2), text);
        self.closed = true;
    }

    fn greet(&mut self) {
        let greeting = format!("220 {} ESMTP Countersign\r\n", self.rules.hostname);
        self.output.extend_from_slice(greeting.as_bytes());
    }

    fn reply(&mut self, code: u16, esc: (u8, u8, u8), text: &str) {
        let _ = smtp_proto::Response::new(code, esc.0, esc.1, esc.2, text).write(&mut self.output);
    }

    /// Counts a bad command; past the limit the session ends.
    fn bad(&mut self) {
        self.bad_commands += 1;
        if self.bad_commands > self.rules.max_bad_commands {
            self.limits.push(Limit::BadCommands);
            self.reply(421, (4, 7, 0), "Too many errors, closing connection");
            self.closed = true;
        }
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.rcpt.clear();
    }

    /// Feeds buffered input to the DATA receiver: the event when the
    /// message ended, `None` when the session goes on reading commands.
    fn receive_data(&mut self) -> Option<Event> {
        let max = self.rules.max_message_bytes;
        let data = self.data.as_mut()?;
        let mut iter = self.input.iter();
        let complete = data.receiver.ingest(&mut iter, &mut data.message);
        let consumed = self.input.len() - iter.as_slice().len();
        self.input.drain(..consumed);
        if data.message.len() > max {
            data.too_big = true;
            // Keep reading to the end of DATA, storing nothing more.
            data.message.clear();
        }
        if !complete {
            return Some(Event::NeedInput);
        }
        let data = self.data.take()?;
        if data.too_big {
            self.limits.push(Limit::Size);
            self.reply(552, (5, 3, 4), "Message size exceeds fixed maximum");
            self.reset();
            return None;
        }
        let transaction = Transaction {
            client_ip: self.client_ip.clone(),
            client_name: self.client_name.clone(),
            helo: self.helo.clone().unwrap_or_default(),
            mail_from: self.mail_from.take().unwrap_or_default(),
            rcpt: std::mem::take(&mut self.rcpt),
            protocol: match (self.esmtp, self.tls) {
                (true, true) => "ESMTPS",
                (true, false) => "ESMTP",
                (false, true) => "SMTPS",
                (false, false) => "SMTP",
            },
            raw: data.message,
        };
        Some(Event::Message(Box::new(transaction)))
    }

    /// Handles one command line.
    fn command(&mut self, line: &[u8]) -> Then {
        if line.len() >= 8 && line[..8].eq_ignore_ascii_case(b"XCLIENT ") {
            self.xclient(&line[8..], false);
            return Then::Continue;
        }
        if line.len() >= 9 && line[..9].eq_ignore_ascii_case(b"XFORWARD ") {
            self.xclient(&line[9..], true);
            return Then::Continue;
        }
        let request = match Request::parse(&mut line.iter()) {
            Ok(r) => r.into_owned(),
            Err(e) => {
                match e {
                    ProtoError::UnknownCommand => {
                        self.reply(500, (5, 5, 1), "Command unrecognized")
                    }
                    ProtoError::InvalidSenderAddress => {
                        self.reply(501, (5, 1, 7), "Bad sender address syntax")
                    }
                    ProtoError::InvalidRecipientAddress => {
                        self.reply(501, (5, 1, 3), "Bad recipient address syntax")
                    }
                    ProtoError::UnsupportedParameter { param } => self.reply(
                        555,
                        (5, 5, 4),
                        &format!("Unsupported parameter {}", echo(&param)),
                    ),
                    ProtoError::InvalidParameter { param } => {
                        self.reply(501, (5, 5, 4), &format!("Invalid parameter {param}"))
                    }
                    _ => self.reply(501, (5, 5, 2), "Syntax error"),
                }
                self.bad();
                return Then::Continue;
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
                let line = format!("250 {}\r\n", self.rules.hostname);
                self.output.extend_from_slice(line.as_bytes());
            }
            Request::StartTls => {
                if !self.rules.tls_offered {
                    self.reply(502, (5, 5, 1), "STARTTLS not available");
                } else if self.tls {
                    self.reply(503, (5, 5, 1), "Already in TLS");
                } else if !self.input.is_empty() {
                    // Nothing may be pipelined after STARTTLS (RFC 3207).
                    self.reply(503, (5, 5, 1), "Pipelined commands after STARTTLS");
                    self.input.clear();
                } else {
                    self.reply(220, (2, 0, 0), "Ready to start TLS");
                    return Then::StartTls;
                }
            }
            Request::Mail { from } => {
                if self.helo.is_none() {
                    self.reply(503, (5, 5, 1), "Send EHLO or HELO first");
                    self.bad();
                } else if self.mail_from.is_some() {
                    self.reply(503, (5, 5, 1), "Sender already given");
                    self.bad();
                } else if self.rules.require_tls && !self.tls {
                    self.reply(530, (5, 7, 0), "Must issue a STARTTLS command first");
                } else if from.size > self.rules.max_message_bytes {
                    self.limits.push(Limit::Size);
                    self.reply(552, (5, 3, 4), "Message size exceeds fixed maximum");
                } else {
                    self.mail_from = Some(from.address);
                    self.reply(250, (2, 1, 0), "Sender OK");
                }
            }
            Request::Rcpt { to } => {
                if self.mail_from.is_none() {
                    self.reply(503, (5, 5, 1), "Send MAIL FROM first");
                    self.bad();
                } else if self.rcpt.len() >= self.rules.max_recipients {
                    self.limits.push(Limit::Recipients);
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
                    self.bad();
                } else if self.rcpt.is_empty() {
                    self.reply(554, (5, 5, 1), "No valid recipients");
                } else {
                    self.reply(354, (2, 0, 0), "End data with <CR><LF>.<CR><LF>");
                    self.data = Some(Data {
                        receiver: DataReceiver::new(),
                        message: Vec::with_capacity(16 * 1024),
                        too_big: false,
                    });
                }
            }
            Request::Bdat { .. } => self.reply(502, (5, 5, 1), "CHUNKING not offered"),
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
                return Then::Close;
            }
            Request::Help { .. } => self.reply(214, (2, 0, 0), "See RFC 5321"),
            _ => {
                self.reply(502, (5, 5, 1), "Command not implemented");
                self.bad();
            }
        }
        Then::Continue
    }

    fn ehlo(&mut self) {
        let r = &self.rules;
        let mut lines = vec![
            r.hostname.clone(),
            "PIPELINING".into(),
            format!("SIZE {}", r.max_message_bytes),
            "8BITMIME".into(),
            "SMTPUTF8".into(),
            "ENHANCEDSTATUSCODES".into(),
        ];
        if r.tls_offered && !self.tls {
            lines.push("STARTTLS".into());
        }
        if self.xclient_allowed {
            lines.push("XCLIENT NAME ADDR PROTO HELO".into());
            lines.push("XFORWARD NAME ADDR PROTO HELO SOURCE".into());
        }
        let last = lines.len() - 1;
        for (i, l) in lines.iter().enumerate() {
            let sep = if i == last { ' ' } else { '-' };
            self.output
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
            self.bad();
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
        self.greet();
    }
}

/// Longest piece of client input repeated in a reply.
const MAX_ECHO: usize = 64;

/// Client input as a reply may repeat it: printable ASCII only (the rest
/// escaped), at most [`MAX_ECHO`] characters, so a reply stays one short
/// line whatever was sent.
fn echo(text: &str) -> String {
    let mut out: String = text.escape_default().take(MAX_ECHO).collect();
    if text.escape_default().nth(MAX_ECHO).is_some() {
        out.push_str("...");
    }
    out
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

/// Runs a whole client transcript through a dialogue, as a server would:
/// every message is answered `250`, a STARTTLS handshake is taken to
/// succeed. Returns the server's output and the messages received. Used by
/// the tests and the fuzz target; `chunk` splits the input the way reads
/// from a socket would.
pub fn replay(
    rules: Rules,
    xclient_allowed: bool,
    transcript: &[u8],
    chunk: usize,
) -> (Vec<u8>, Vec<Transaction>) {
    let mut d = Dialogue::new(rules, IpAddr::from([192, 0, 2, 1]), xclient_allowed);
    let mut out = Vec::new();
    let mut messages = Vec::new();
    let mut chunks = transcript.chunks(chunk.max(1));
    loop {
        let event = d.step();
        out.extend(d.take_output());
        match event {
            Event::NeedInput => match chunks.next() {
                Some(bytes) => d.receive(bytes),
                None => break,
            },
            Event::Message(t) => {
                messages.push(*t);
                d.answer(250, (2, 0, 0), "Queued");
            }
            Event::StartTls => d.tls_started(),
            Event::Close => break,
        }
    }
    (out, messages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            hostname: "mx.test".into(),
            max_message_bytes: 1000,
            max_recipients: 2,
            max_bad_commands: 3,
            tls_offered: true,
            require_tls: false,
        }
    }

    fn codes(out: &[u8]) -> Vec<String> {
        String::from_utf8_lossy(out)
            .lines()
            .filter(|l| l.len() > 3 && l.as_bytes()[3] == b' ')
            .map(|l| l[..3].to_owned())
            .collect()
    }

    #[test]
    fn a_pipelined_session_in_any_chunking() {
        let session = b"EHLO client.test\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\n\
            Subject: hi\r\n\r\n..dot line\r\nbody\r\n.\r\nQUIT\r\n";
        for chunk in [1, 3, 7, 64, 4096] {
            let (out, msgs) = replay(rules(), false, session, chunk);
            assert_eq!(
                codes(&out),
                ["220", "250", "250", "250", "354", "250", "221"],
                "chunk {chunk}"
            );
            assert_eq!(msgs.len(), 1);
            assert_eq!(msgs[0].mail_from, "a@x.test");
            assert_eq!(msgs[0].rcpt, ["b@y.test"]);
            assert_eq!(msgs[0].protocol, "ESMTP");
            assert_eq!(msgs[0].raw, b"Subject: hi\r\n\r\n.dot line\r\nbody\r\n");
        }
    }

    #[test]
    fn limits_are_answered() {
        let session = b"HELO c\r\nMAIL FROM:<a@x.test> SIZE=5000\r\nMAIL FROM:<a@x.test>\r\n\
            RCPT TO:<1@y.test>\r\nRCPT TO:<2@y.test>\r\nRCPT TO:<3@y.test>\r\nDATA\r\n";
        let mut d = Dialogue::new(rules(), IpAddr::from([192, 0, 2, 9]), false);
        d.receive(session);
        let mut big = vec![b'a'; 1500];
        big.extend_from_slice(b"\r\n.\r\n");
        d.receive(&big);
        assert_eq!(d.step(), Event::NeedInput);
        let out = d.take_output();
        assert_eq!(
            codes(&out),
            [
                "220", "250", "552", "250", "250", "250", "452", "354", "552"
            ]
        );
        assert_eq!(
            d.take_limits(),
            [Limit::Size, Limit::Recipients, Limit::Size]
        );
    }

    #[test]
    fn too_many_bad_commands_close_the_session() {
        let (out, _) = replay(rules(), false, b"X\r\nY\r\nZ\r\nW\r\nNOOP\r\n", 100);
        assert_eq!(codes(&out), ["220", "500", "500", "500", "500", "421"]);
    }

    #[test]
    fn xclient_only_from_the_trusted_mta() {
        let s = b"EHLO pf\r\nXCLIENT ADDR=203.0.113.5 NAME=mail.example HELO=orig.example\r\n\
            EHLO orig.example\r\nMAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nDATA\r\nx\r\n.\r\n";
        let (_, msgs) = replay(rules(), true, s, 50);
        assert_eq!(msgs[0].client_ip, "203.0.113.5");
        assert_eq!(msgs[0].client_name.as_deref(), Some("mail.example"));
        let (out, msgs) = replay(rules(), false, s, 50);
        assert!(String::from_utf8_lossy(&out).contains("550 5.7.0"));
        assert_eq!(msgs[0].client_ip, "192.0.2.1");
    }

    #[test]
    fn starttls_refuses_pipelined_commands_and_starts_over() {
        let (out, _) = replay(
            rules(),
            false,
            b"EHLO c\r\nSTARTTLS\r\nMAIL FROM:<a@b>\r\n",
            100,
        );
        assert!(String::from_utf8_lossy(&out).contains("503 5.5.1 Pipelined"));
        let mut d = Dialogue::new(rules(), IpAddr::from([192, 0, 2, 9]), false);
        d.receive(b"EHLO c\r\nSTARTTLS\r\n");
        assert_eq!(d.step(), Event::StartTls);
        assert!(
            String::from_utf8_lossy(&d.take_output()).ends_with("220 2.0.0 Ready to start TLS\r\n")
        );
        d.tls_started();
        // After TLS, MAIL before EHLO is refused: the session started over.
        d.receive(b"MAIL FROM:<a@b.test>\r\n");
        assert_eq!(d.step(), Event::NeedInput);
        assert!(String::from_utf8_lossy(&d.take_output()).contains("503 5.5.1 Send EHLO"));
        d.receive(b"EHLO c\r\nMAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\nx\r\n.\r\n");
        let Event::Message(t) = d.step() else {
            panic!("no message")
        };
        assert_eq!(t.protocol, "ESMTPS");
    }

    #[test]
    fn a_long_line_is_refused_without_growing() {
        let mut s = vec![b'A'; MAX_LINE * 2];
        s.extend_from_slice(b"\r\nQUIT\r\n");
        let (out, _) = replay(rules(), false, &s, 1024);
        assert!(codes(&out).contains(&"500".to_owned()));
        assert_eq!(codes(&out).last().map(String::as_str), Some("221"));
    }

    #[test]
    fn replies_repeat_little_of_the_client() {
        let long = format!("MAIL FROM:<a@b.test> X{}=\u{e9}\r\n", "Y".repeat(3000));
        let (out, _) = replay(rules(), false, format!("EHLO c\r\n{long}").as_bytes(), 4096);
        let last = String::from_utf8_lossy(&out)
            .lines()
            .last()
            .unwrap()
            .to_owned();
        assert!(
            last.starts_with("555 5.5.4 Unsupported parameter"),
            "{last}"
        );
        assert!(last.len() < 120 && last.is_ascii(), "{last}");
    }

    #[test]
    fn xtext() {
        assert_eq!(xtext_decode("a+2Bb"), "a+b");
        assert_eq!(xtext_decode("plain"), "plain");
        assert_eq!(xtext_decode("end+"), "end+");
        assert_eq!(xtext_decode("[UNAVAILABLE]"), "[UNAVAILABLE]");
    }
}
