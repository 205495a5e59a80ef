//! An IMAP mailbox through async-imap: over TLS (rustls with ring; system
//! roots or a given CA), or in plain text to a server on loopback only,
//! never sending a password in clear over a network.

use crate::MailboxError;
use async_imap::types::Fetch;
use futures_util::TryStreamExt;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

/// How to reach the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    /// IMAP over TLS (`imaps`), trusting the system's roots or this CA file.
    Tls {
        /// A PEM CA certificate to trust instead of the system's roots.
        ca: Option<PathBuf>,
    },
    /// Plain IMAP: refused unless every address of the host is loopback.
    PlainLoopback,
}

/// Where the mailbox is and who we are.
#[derive(Clone, PartialEq, Eq)]
pub struct ImapConfig {
    /// Server host name (checked against its certificate) or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// TLS or loopback plain.
    pub security: Security,
    /// Login name.
    pub user: String,
    /// Password.
    pub password: String,
    /// Mailbox to read (e.g. `INBOX`).
    pub mailbox: String,
    /// Time allowed for connecting and for each command.
    pub timeout: Duration,
}

impl fmt::Debug for ImapConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &"***")
            .field("mailbox", &self.mailbox)
            .finish()
    }
}

fn percent_decode(s: &str) -> Result<String, MailboxError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| MailboxError::BadUrl {
                    reason: format!("bad %-escape in {s:?}"),
                })?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| MailboxError::BadUrl {
        reason: format!("{s:?} is not UTF-8 once decoded"),
    })
}

impl ImapConfig {
    /// Reads `imaps://USER@HOST[:PORT][/MAILBOX]` (TLS, port 993) or
    /// `imap://USER@HOST[:PORT][/MAILBOX]` (plain, loopback only, port 143).
    /// `%40` and the like may escape characters in the user and mailbox.
    pub fn from_url(
        url: &str,
        password: String,
        ca: Option<PathBuf>,
    ) -> Result<Self, MailboxError> {
        let bad = |reason: &str| MailboxError::BadUrl {
            reason: reason.to_owned(),
        };
        let (security, rest, default_port) = if let Some(r) = url.strip_prefix("imaps://") {
            (Security::Tls { ca }, r, 993)
        } else if let Some(r) = url.strip_prefix("imap://") {
            (Security::PlainLoopback, r, 143)
        } else {
            return Err(bad(
                "the URL must start with imaps:// (or imap:// on loopback)",
            ));
        };
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (user, hostport) = authority
            .rsplit_once('@')
            .ok_or_else(|| bad("the URL must name the user: imaps://USER@HOST/MAILBOX"))?;
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => (
                h,
                p.parse::<u16>()
                    .map_err(|_| bad(&format!("{p:?} is not a port")))?,
            ),
            _ => (hostport, default_port),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || user.is_empty() {
            return Err(bad("the URL needs a user and a host"));
        }
        let mailbox = if path.is_empty() {
            "INBOX".to_owned()
        } else {
            percent_decode(path)?
        };
        Ok(Self {
            host: host.to_owned(),
            port,
            security,
            user: percent_decode(user)?,
            password,
            mailbox,
            timeout: Duration::from_secs(30),
        })
    }
}

/// The connection: TLS or (loopback) plain TCP.
enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl fmt::Debug for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stream::Plain(_) => "Stream::Plain",
            Stream::Tls(_) => "Stream::Tls",
        })
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

fn imap_err(context: &'static str) -> impl FnOnce(async_imap::error::Error) -> MailboxError {
    move |e| MailboxError::Imap {
        context,
        reason: e.to_string(),
    }
}

fn tls_config(ca: Option<&PathBuf>) -> Result<rustls::ClientConfig, MailboxError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca {
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .map_err(|e| MailboxError::Tls {
                    reason: format!("cannot read CA file {}: {e}", path.display()),
                })?
                .collect::<Result<_, _>>()
                .map_err(|e| MailboxError::Tls {
                    reason: format!("CA file {}: {e}", path.display()),
                })?;
            if certs.is_empty() {
                return Err(MailboxError::Tls {
                    reason: format!("CA file {} holds no certificate", path.display()),
                });
            }
            for c in certs {
                roots.add(c).map_err(|e| MailboxError::Tls {
                    reason: format!("CA file {}: {e}", path.display()),
                })?;
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for c in found.certs {
                let _ = roots.add(c);
            }
            if roots.is_empty() {
                return Err(MailboxError::Tls {
                    reason: "no trusted root certificates on this system (give --imap-ca)".into(),
                });
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| MailboxError::Tls {
            reason: e.to_string(),
        })?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// An open, logged-in IMAP mailbox.
pub struct ImapMailbox {
    session: async_imap::Session<Stream>,
    config: ImapConfig,
    can_move: bool,
}

impl fmt::Debug for ImapMailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapMailbox")
            .field("config", &self.config)
            .finish()
    }
}

/// One fetched message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapMessage {
    /// Its UID in the mailbox.
    pub uid: u32,
    /// The raw message.
    pub raw: Vec<u8>,
}

async fn timed<T>(
    limit: Duration,
    what: &'static str,
    f: impl std::future::Future<Output = Result<T, MailboxError>>,
) -> Result<T, MailboxError> {
    tokio::time::timeout(limit, f)
        .await
        .map_err(|_| MailboxError::Timeout { what })?
}

fn uid_set(uids: &[u32]) -> String {
    uids.iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

impl ImapMailbox {
    /// Connects, logs in and selects the mailbox.
    pub async fn connect(config: ImapConfig) -> Result<Self, MailboxError> {
        let t = config.timeout;
        let addrs: Vec<SocketAddr> = timed(t, "resolving the IMAP host", async {
            tokio::net::lookup_host((config.host.as_str(), config.port))
                .await
                .map(|a| a.collect())
                .map_err(|e| MailboxError::Connect {
                    host: config.host.clone(),
                    reason: e.to_string(),
                })
        })
        .await?;
        if addrs.is_empty() {
            return Err(MailboxError::Connect {
                host: config.host.clone(),
                reason: "no address".into(),
            });
        }
        if config.security == Security::PlainLoopback && !addrs.iter().all(|a| a.ip().is_loopback())
        {
            return Err(MailboxError::PlainOffLoopback {
                host: config.host.clone(),
            });
        }
        let tcp = timed(t, "connecting to the IMAP server", async {
            TcpStream::connect(&addrs[..])
                .await
                .map_err(|e| MailboxError::Connect {
                    host: config.host.clone(),
                    reason: e.to_string(),
                })
        })
        .await?;
        let stream = match &config.security {
            Security::PlainLoopback => Stream::Plain(tcp),
            Security::Tls { ca } => {
                let connector =
                    tokio_rustls::TlsConnector::from(Arc::new(tls_config(ca.as_ref())?));
                let name =
                    ServerName::try_from(config.host.clone()).map_err(|e| MailboxError::Tls {
                        reason: format!("{:?} is not a server name: {e}", config.host),
                    })?;
                let tls = timed(t, "the TLS handshake", async {
                    connector
                        .connect(name, tcp)
                        .await
                        .map_err(|e| MailboxError::Tls {
                            reason: e.to_string(),
                        })
                })
                .await?;
                Stream::Tls(Box::new(tls))
            }
        };
        let mut client = async_imap::Client::new(stream);
        timed(t, "the IMAP greeting", async {
            client
                .read_response()
                .await
                .map_err(|e| MailboxError::Connect {
                    host: config.host.clone(),
                    reason: e.to_string(),
                })?
                .ok_or_else(|| MailboxError::Connect {
                    host: config.host.clone(),
                    reason: "the server closed the connection before its greeting".into(),
                })
        })
        .await?;
        let mut session = timed(t, "logging in", async {
            client
                .login(&config.user, &config.password)
                .await
                .map_err(|(e, _)| MailboxError::Login {
                    user: config.user.clone(),
                    reason: e.to_string(),
                })
        })
        .await?;
        let can_move = timed(t, "CAPABILITY", async {
            session
                .capabilities()
                .await
                .map(|c| c.has_str("MOVE"))
                .map_err(imap_err("CAPABILITY"))
        })
        .await?;
        timed(t, "SELECT", async {
            session
                .select(&config.mailbox)
                .await
                .map_err(imap_err("SELECT"))
        })
        .await?;
        Ok(Self {
            session,
            config,
            can_move,
        })
    }

    /// The mailbox read.
    pub fn mailbox(&self) -> &str {
        &self.config.mailbox
    }

    /// UIDs of unseen messages, lowest first, at most `limit`.
    pub async fn unseen(&mut self, limit: usize) -> Result<Vec<u32>, MailboxError> {
        let t = self.config.timeout;
        let session = &mut self.session;
        let mut uids: Vec<u32> = timed(t, "SEARCH", async {
            session
                .uid_search("UNSEEN")
                .await
                .map(|s| s.into_iter().collect())
                .map_err(imap_err("UID SEARCH"))
        })
        .await?;
        uids.sort_unstable();
        uids.truncate(limit);
        Ok(uids)
    }

    /// Fetches the messages `uids` without marking them seen. Messages over
    /// `max_bytes` are not fetched; their UIDs come back in the second list.
    pub async fn fetch(
        &mut self,
        uids: &[u32],
        max_bytes: u64,
    ) -> Result<(Vec<ImapMessage>, Vec<u32>), MailboxError> {
        let t = self.config.timeout;
        let mut small = Vec::new();
        let mut large = Vec::new();
        for chunk in uids.chunks(100) {
            let session = &mut self.session;
            let sizes: Vec<Fetch> = timed(t, "FETCH sizes", async {
                session
                    .uid_fetch(uid_set(chunk), "(UID RFC822.SIZE)")
                    .await
                    .map_err(imap_err("UID FETCH"))?
                    .try_collect()
                    .await
                    .map_err(imap_err("UID FETCH"))
            })
            .await?;
            for f in sizes {
                match (f.uid, f.size) {
                    (Some(uid), Some(size)) if u64::from(size) <= max_bytes => small.push(uid),
                    (Some(uid), _) => large.push(uid),
                    _ => {}
                }
            }
        }
        small.sort_unstable();
        let mut out = Vec::with_capacity(small.len());
        for chunk in small.chunks(20) {
            let session = &mut self.session;
            let fetched: Vec<Fetch> = timed(t, "FETCH messages", async {
                session
                    .uid_fetch(uid_set(chunk), "(UID BODY.PEEK[])")
                    .await
                    .map_err(imap_err("UID FETCH"))?
                    .try_collect()
                    .await
                    .map_err(imap_err("UID FETCH"))
            })
            .await?;
            for f in fetched {
                if let (Some(uid), Some(body)) = (f.uid, f.body()) {
                    out.push(ImapMessage {
                        uid,
                        raw: body.to_vec(),
                    });
                }
            }
        }
        out.sort_by_key(|m| m.uid);
        Ok((out, large))
    }

    async fn store(&mut self, uids: &[u32], flags: &str) -> Result<(), MailboxError> {
        if uids.is_empty() {
            return Ok(());
        }
        let t = self.config.timeout;
        let session = &mut self.session;
        timed(t, "STORE", async {
            let _: Vec<Fetch> = session
                .uid_store(uid_set(uids), format!("+FLAGS.SILENT ({flags})"))
                .await
                .map_err(imap_err("UID STORE"))?
                .try_collect()
                .await
                .map_err(imap_err("UID STORE"))?;
            Ok(())
        })
        .await
    }

    /// Marks messages seen.
    pub async fn mark_seen(&mut self, uids: &[u32]) -> Result<(), MailboxError> {
        self.store(uids, "\\Seen").await
    }

    /// Marks messages seen and flagged: they could not be processed and
    /// should be looked at by a person.
    pub async fn mark_failed(&mut self, uids: &[u32]) -> Result<(), MailboxError> {
        self.store(uids, "\\Seen \\Flagged").await
    }

    /// Moves messages (marked seen) to `folder`, created if needed: MOVE
    /// when the server has it, else COPY, delete and expunge.
    pub async fn move_to(&mut self, uids: &[u32], folder: &str) -> Result<(), MailboxError> {
        if uids.is_empty() {
            return Ok(());
        }
        self.mark_seen(uids).await?;
        let t = self.config.timeout;
        let set = uid_set(uids);
        let can_move = self.can_move;
        let session = &mut self.session;
        timed(t, "moving messages", async {
            // An existing folder makes CREATE fail; that is fine.
            let _ = session.create(folder).await;
            if can_move {
                session
                    .uid_mv(&set, folder)
                    .await
                    .map_err(imap_err("UID MOVE"))?;
            } else {
                session
                    .uid_copy(&set, folder)
                    .await
                    .map_err(imap_err("UID COPY"))?;
                let _: Vec<Fetch> = session
                    .uid_store(&set, "+FLAGS.SILENT (\\Deleted)")
                    .await
                    .map_err(imap_err("UID STORE"))?
                    .try_collect()
                    .await
                    .map_err(imap_err("UID STORE"))?;
                let _: Vec<_> = session
                    .expunge()
                    .await
                    .map_err(imap_err("EXPUNGE"))?
                    .try_collect()
                    .await
                    .map_err(imap_err("EXPUNGE"))?;
            }
            Ok(())
        })
        .await
    }

    /// Appends a raw message to `folder` (tests, and tools that feed a
    /// mailbox).
    pub async fn append(&mut self, folder: &str, raw: &[u8]) -> Result<(), MailboxError> {
        let t = self.config.timeout;
        let session = &mut self.session;
        timed(t, "APPEND", async {
            session
                .append(folder, None, None, raw)
                .await
                .map_err(imap_err("APPEND"))
        })
        .await
    }

    /// Creates `folder` unless it exists.
    pub async fn create(&mut self, folder: &str) -> Result<(), MailboxError> {
        let t = self.config.timeout;
        let session = &mut self.session;
        timed(t, "CREATE", async {
            match session.create(folder).await {
                Ok(()) => Ok(()),
                Err(e) => {
                    // Exists already? Then STATUS works.
                    session
                        .status(folder, "(MESSAGES)")
                        .await
                        .map(|_| ())
                        .map_err(|_| imap_err("CREATE")(e))
                }
            }
        })
        .await
    }

    /// Number of messages in `folder` (STATUS), for tests and reports.
    pub async fn count(&mut self, folder: &str) -> Result<u32, MailboxError> {
        let t = self.config.timeout;
        let session = &mut self.session;
        timed(t, "STATUS", async {
            session
                .status(folder, "(MESSAGES)")
                .await
                .map(|m| m.exists)
                .map_err(imap_err("STATUS"))
        })
        .await
    }

    /// Logs out.
    pub async fn logout(mut self) -> Result<(), MailboxError> {
        let t = self.config.timeout;
        timed(t, "LOGOUT", async {
            self.session.logout().await.map_err(imap_err("LOGOUT"))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let c = ImapConfig::from_url(
            "imaps://dmarc%40example.com@mail.example.com/DMARC%20Reports",
            "pw".into(),
            None,
        )
        .unwrap();
        assert_eq!(c.user, "dmarc@example.com");
        assert_eq!((c.host.as_str(), c.port), ("mail.example.com", 993));
        assert_eq!(c.mailbox, "DMARC Reports");
        assert_eq!(c.security, Security::Tls { ca: None });
        assert!(!format!("{c:?}").contains("pw"));
        let c = ImapConfig::from_url("imap://u@127.0.0.1:1143", "pw".into(), None).unwrap();
        assert_eq!((c.port, c.mailbox.as_str()), (1143, "INBOX"));
        assert_eq!(c.security, Security::PlainLoopback);
        let c = ImapConfig::from_url("imaps://u@[::1]:9993/X", "pw".into(), None).unwrap();
        assert_eq!((c.host.as_str(), c.port), ("::1", 9993));
        for bad in [
            "http://u@h/",
            "imaps://host/INBOX",
            "imaps://u@h:x/",
            "imaps://u@h/%zz",
        ] {
            assert!(
                ImapConfig::from_url(bad, "pw".into(), None).is_err(),
                "{bad}"
            );
        }
    }

    #[tokio::test]
    async fn plain_imap_is_refused_off_loopback() {
        let c = ImapConfig::from_url("imap://u@192.0.2.1:143", "pw".into(), None).unwrap();
        let e = ImapMailbox::connect(c).await.unwrap_err();
        assert!(matches!(e, MailboxError::PlainOffLoopback { .. }), "{e}");
    }
}
