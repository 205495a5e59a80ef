//! SMTP ingress end to end, with real parts: the real `countersign serve`
//! process with its SMTP listener, a real SMTP client over loopback
//! (XCLIENT gives each message its original client, as Postfix in front
//! would), a real downstream SMTP sink, and the real store.
//!
//! - the evaluation corpus goes through: every accepted message arrives
//!   downstream with our headers or waits in quarantine, nothing else;
//! - SIGKILL at random moments while several sessions send: every message
//!   acknowledged with 250 is delivered or quarantined, none lost
//!   (`CRASH_MESSAGES` and `CRASH_KILLS` make it longer).

mod support;

use countersign_store::Store;
use serde_json::Value;
use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{BIN, Install, SmtpSink, repo};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader as TokioBufReader};
use tokio::net::TcpStream;

/// `countersign serve` with SMTP ingress, killed by PID when dropped.
struct Node {
    child: Child,
    smtp: String,
    base: String,
    log: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Node {
    fn start(install: &Install, smtp_port: u16, sink_port: u16, extra_toml: &str) -> Node {
        let config = install.dir.join("smtp.toml");
        std::fs::write(
            &config,
            format!(
                "authserv_id = \"mx.northwind-health.example\"\n\
                 [serve]\nlisten = \"127.0.0.1:0\"\n\
                 [smtp]\nlisten = \"127.0.0.1:{smtp_port}\"\nrelay = \"127.0.0.1:{sink_port}\"\n\
                 hostname = \"gw.northwind-health.example\"\nxclient_from = [\"127.0.0.1\"]\n\
                 spool_dir = \"spool\"\nrelay_retry = \"200ms\"\n{extra_toml}\n"
            ),
        )
        .unwrap();
        Self::start_with_config(install)
    }

    /// Starts with the `smtp.toml` already in the installation's folder.
    fn start_with_config(install: &Install) -> Node {
        Self::try_start_with_config(install)
            .unwrap_or_else(|log| panic!("server did not start:\n{log}"))
    }

    /// Restarts with the same configuration (and SMTP port) after a crash.
    /// While the server was down, the kernel may have lent that port to a
    /// client connection on loopback for a moment: try again, a bounded
    /// number of times.
    fn restart(install: &Install) -> Node {
        let mut last = String::new();
        for _ in 0..50 {
            match Self::try_start_with_config(install) {
                Ok(node) => return node,
                Err(log) if log.contains("Address already in use") => last = log,
                Err(log) => panic!("server did not restart:\n{log}"),
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the SMTP port stayed taken for 5 s:\n{last}")
    }

    /// Starts the server; on failure, returns its log.
    fn try_start_with_config(install: &Install) -> Result<Node, String> {
        let config = install.dir.join("smtp.toml");
        let log = install.dir.join(format!(
            "serve-{}.log",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        let mut child = Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .args(["serve", "--zone"])
            .arg(repo().join("eval/zone/eval.zone"))
            .env("COUNTERSIGN_DB", &install.db)
            .env("COUNTERSIGN_AUDIT_KEY", install.dir.join("audit.key"))
            .env("COUNTERSIGN_LOG", "info")
            .env_remove("COUNTERSIGN_CONFIG")
            .current_dir(&install.dir)
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start countersign serve");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut smtp = None;
        let mut base = None;
        for _ in 0..2 {
            let Some(line) = lines.next().and_then(Result::ok) else {
                let _ = child.wait();
                return Err(std::fs::read_to_string(&log).unwrap_or_default());
            };
            if let Some(addr) = line.strip_prefix("countersign serve: smtp on ") {
                smtp = Some(addr.to_owned());
            }
            if let Some(url) = line.strip_prefix("countersign serve: listening on ") {
                base = Some(url.to_owned());
            }
        }
        // Keep reading stdout so the server never writes to a closed pipe.
        std::thread::spawn(move || for _ in lines {});
        Ok(Node {
            child,
            smtp: smtp.expect("SMTP address"),
            base: base.expect("HTTP address"),
            log,
        })
    }

    fn kill9(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }

    fn stop(mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One SMTP client conversation on loopback.
struct Client {
    read: TokioBufReader<tokio::net::tcp::OwnedReadHalf>,
    write: tokio::net::tcp::OwnedWriteHalf,
}

impl Client {
    async fn connect(addr: &str) -> std::io::Result<Client> {
        let stream = TcpStream::connect(addr).await?;
        let (r, w) = stream.into_split();
        let mut c = Client {
            read: TokioBufReader::new(r),
            write: w,
        };
        let greeting = c.reply().await?;
        if !greeting.starts_with("220") {
            return Err(std::io::Error::other(greeting));
        }
        Ok(c)
    }

    /// A whole (multi-line) reply.
    async fn reply(&mut self) -> std::io::Result<String> {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            let n = tokio::time::timeout(Duration::from_secs(60), self.read.read_line(&mut line))
                .await
                .map_err(|_| std::io::Error::other("reply timeout"))??;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "closed",
                ));
            }
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return Ok(all);
            }
        }
    }

    async fn cmd(&mut self, line: &str) -> std::io::Result<String> {
        self.write
            .write_all(format!("{line}\r\n").as_bytes())
            .await?;
        self.reply().await
    }

    /// Sends one message as a client at `ip` with `helo`; the final reply.
    async fn send(
        &mut self,
        ip: &str,
        helo: &str,
        from: &str,
        rcpt: &str,
        raw: &[u8],
    ) -> std::io::Result<String> {
        let r = self.cmd("EHLO relay.test").await?;
        assert!(r.contains("XCLIENT"), "{r}");
        let r = self.cmd(&format!("XCLIENT ADDR={ip} HELO={helo}")).await?;
        assert!(r.starts_with("220"), "{r}");
        let r = self.cmd(&format!("EHLO {helo}")).await?;
        assert!(r.contains("PIPELINING") && r.contains("SIZE"), "{r}");
        // Pipelined, as real clients do.
        self.write
            .write_all(format!("MAIL FROM:<{from}>\r\nRCPT TO:<{rcpt}>\r\nDATA\r\n").as_bytes())
            .await?;
        for _ in 0..2 {
            let r = self.reply().await?;
            if !r.starts_with("250") {
                return Ok(r);
            }
        }
        let r = self.reply().await?;
        if !r.starts_with("354") {
            return Ok(r);
        }
        let mut data = Vec::with_capacity(raw.len() + 64);
        let text = raw;
        let mut start_of_line = true;
        for &b in text {
            if start_of_line && b == b'.' {
                data.push(b'.');
            }
            data.push(b);
            start_of_line = b == b'\n';
        }
        if !data.ends_with(b"\r\n") {
            data.extend_from_slice(b"\r\n");
        }
        data.extend_from_slice(b".\r\n");
        self.write.write_all(&data).await?;
        self.reply().await
    }
}

fn crlf(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 40);
    let mut prev = 0u8;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    out
}

fn manifest() -> Vec<Value> {
    std::fs::read_to_string(repo().join("eval/manifest.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A header field's value, unfolded (the sink keeps lines without CR).
fn header(data: &str, name: &str) -> Option<String> {
    let prefix = format!("{name}:");
    let mut lines = data.lines().take_while(|l| !l.is_empty()).peekable();
    while let Some(l) = lines.next() {
        if l.len() > prefix.len() && l[..prefix.len()].eq_ignore_ascii_case(&prefix) {
            let mut value = l[prefix.len()..].trim().to_owned();
            while let Some(next) = lines.peek().filter(|n| n.starts_with([' ', '\t'])) {
                value.push(' ');
                value.push_str(next.trim());
                lines.next();
            }
            return Some(value);
        }
    }
    None
}

async fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn corpus_through_smtp(install: Install) {
    install.load_directory();
    let sink = SmtpSink::start().await;
    let node = Node::start(&install, free_port(), sink.port, "");
    let mut accepted = 0;
    let mut replies = BTreeMap::new();
    let entries = manifest();
    let mut client = Client::connect(&node.smtp).await.unwrap();
    for line in &entries {
        let raw =
            crlf(&std::fs::read(repo().join("eval").join(line["file"].as_str().unwrap())).unwrap());
        let reply = client
            .send(
                line["ip"].as_str().unwrap(),
                line["helo"].as_str().unwrap(),
                line["mail_from"].as_str().unwrap(),
                line["rcpt"]
                    .as_str()
                    .unwrap_or("servicedesk@northwind-health.example"),
                &raw,
            )
            .await
            .unwrap();
        let code = reply[..3].to_owned();
        *replies.entry(code.clone()).or_insert(0) += 1;
        if code == "250" {
            accepted += 1;
        } else {
            assert!(reply.starts_with("550 5.7.1"), "{reply}");
        }
        let r = client.cmd("RSET").await.unwrap();
        assert!(r.starts_with("250"), "{r}");
    }
    assert!(client.cmd("QUIT").await.unwrap().starts_with("221"));
    let store = Store::open(&install.db).await.unwrap();
    let mut quarantined = 0;
    wait_for(
        "every accepted message recorded and relayed",
        Duration::from_secs(120),
        || {
            let relayed = sink.messages.lock().unwrap().len();
            let q = futures_block(store.quarantine(500)).unwrap().len();
            let counts = futures_block(store.relay_counts()).unwrap();
            quarantined = q;
            relayed + q == accepted && counts.pending == 0
        },
    )
    .await;
    let got = sink.messages.lock().unwrap().clone();
    let mut verdicts = BTreeMap::new();
    for (rcpt, data) in &got {
        assert_eq!(
            rcpt,
            &vec!["servicedesk@northwind-health.example".to_owned()]
        );
        let verdict = header(data, "X-Countersign-Verdict").expect("verdict header");
        let verdict = verdict.as_str();
        assert!(
            ["deliver", "flag", "hold"].contains(&verdict),
            "relayed a {verdict} message"
        );
        *verdicts.entry(verdict.to_owned()).or_insert(0) += 1;
        let ar = header(data, "Authentication-Results").expect("Authentication-Results");
        assert!(ar.starts_with("mx.northwind-health.example;"), "{ar}");
        assert!(
            header(data, "Received")
                .unwrap()
                .contains("gw.northwind-health.example")
        );
        if verdict == "hold" {
            assert!(header(data, "X-Countersign-Case").unwrap().starts_with("c"));
        } else {
            assert!(header(data, "X-Countersign-Case").is_none());
        }
        if verdict != "deliver" {
            assert!(header(data, "X-Countersign-Reasons").is_some(), "{data}");
        }
    }
    println!(
        "corpus over SMTP ({:?}): {} messages, replies {replies:?}, relayed {verdicts:?}, quarantined {quarantined}",
        store.backend(),
        entries.len()
    );
    assert!(
        verdicts.get("deliver").copied().unwrap_or(0) > 20,
        "{verdicts:?}"
    );
    assert!(
        verdicts.get("hold").copied().unwrap_or(0) > 10,
        "{verdicts:?}"
    );
    assert!(quarantined > 30, "{quarantined}");
    // Quarantined messages keep their content for review; an administrator
    // sees them through the API, releases one (relayed, tagged, audited)
    // and deletes another with a reason.
    for q in store.quarantine(500).await.unwrap() {
        assert!(q.size > 0);
    }
    let api = support::Api::new(&node.base);
    let otp = install.add_user("qadmin", &["security_admin"], None);
    let (admin, _) = api.set_up("qadmin", &otp, true).await;
    let otp = install.add_user("qanalyst", &["analyst"], None);
    let (analyst, _) = api.set_up("qanalyst", &otp, false).await;
    let listed = api
        .get("/api/v1/quarantine?limit=500", Some(&analyst))
        .await
        .ok();
    let listed = listed.as_array().unwrap().clone();
    assert_eq!(listed.len(), quarantined);
    let first = listed[0]["id"].as_str().unwrap().to_owned();
    let second = listed[1]["id"].as_str().unwrap().to_owned();
    api.post(
        &format!("/api/v1/quarantine/{first}/release"),
        Some(&analyst),
        serde_json::json!({"reason": "x"}),
    )
    .await
    .expect(403);
    let released = api
        .post(
            &format!("/api/v1/quarantine/{first}/release"),
            Some(&admin),
            serde_json::json!({"reason": "checked with the sender by phone"}),
        )
        .await
        .ok();
    assert!(released["relay_id"].as_str().unwrap().starts_with('r'));
    api.post(
        &format!("/api/v1/quarantine/{first}/release"),
        Some(&admin),
        serde_json::json!({"reason": "again"}),
    )
    .await
    .expect(409);
    api.post(
        &format!("/api/v1/quarantine/{second}/delete"),
        Some(&admin),
        serde_json::json!({"reason": "phishing, reported"}),
    )
    .await
    .expect(204);
    wait_for(
        "the released message downstream",
        Duration::from_secs(30),
        || sink.messages.lock().unwrap().len() == got.len() + 1,
    )
    .await;
    let last = sink.messages.lock().unwrap().last().unwrap().1.clone();
    assert_eq!(
        header(&last, "X-Countersign-Released-By").as_deref(),
        Some("qadmin")
    );
    assert!(header(&last, "X-Countersign-Verdict").is_some());
    assert_eq!(store.quarantine(500).await.unwrap().len(), quarantined - 2);
    assert!(store.message(&second).await.unwrap().unwrap().raw.is_none());
    let audit = store
        .audit_entries_about(&format!("message:{first}"))
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "message.quarantine.release")
    );
    let audit = store
        .audit_entries_about(&format!("message:{second}"))
        .await
        .unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "message.quarantine.delete")
    );
    assert!(node.stop(), "graceful stop");
    // Held-back messages that came through SMTP are sightings too: the stop
    // drained the correlation queue, and the corpus's repeated senders
    // formed campaigns of messages.
    let campaigns = store.campaigns(None, 100).await.unwrap();
    let of_messages = campaigns
        .iter()
        .filter(|c| {
            c.timeline
                .iter()
                .filter(|t| t.kind.as_str() == "message")
                .count()
                >= 2
        })
        .count();
    println!("campaigns of SMTP messages: {of_messages}");
    assert!(of_messages >= 1, "{} campaigns", campaigns.len());
    let out = install.ok(&["audit", "verify"]);
    assert!(
        out.contains("intact") || out.to_lowercase().contains("ok"),
        "{out}"
    );
}

/// Runs a store future to completion from a sync closure (test helper).
fn futures_block<F: std::future::Future>(f: F) -> F::Output {
    tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_corpus_through_smtp_sqlite() {
    corpus_through_smtp(Install::sqlite("smtp-corpus")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eval_corpus_through_smtp_postgres() {
    let Some(install) = Install::postgres("smtp_corpus") else {
        eprintln!("COUNTERSIGN_TEST_PG_URL not set: PostgreSQL run skipped");
        return;
    };
    corpus_through_smtp(install).await;
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A tiny deterministic generator (xorshift) for kill moments.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_nothing_acknowledged_sqlite() {
    crash_test(Install::sqlite("smtp-crash")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_loses_nothing_acknowledged_postgres() {
    let Some(install) = Install::postgres("smtp_crash") else {
        eprintln!("COUNTERSIGN_TEST_PG_URL not set: PostgreSQL run skipped");
        return;
    };
    crash_test(install).await;
}

async fn crash_test(install: Install) {
    let total = env_usize("CRASH_MESSAGES", 300);
    let kills = env_usize("CRASH_KILLS", 5);
    let sessions = env_usize("CRASH_SESSIONS", 6);
    install.load_directory();
    let sink_port = free_port();
    let received = picky_sink(
        tokio::net::TcpListener::bind(("127.0.0.1", sink_port))
            .await
            .unwrap(),
    )
    .await;
    let port = free_port();
    let node = Arc::new(Mutex::new(Some(Node::start(&install, port, sink_port, ""))));
    let addr = format!("127.0.0.1:{port}");
    let entries = manifest();
    // One deliverable vendor message, tagged with a sequence number.
    let line = entries
        .iter()
        .find(|l| l["file"].as_str().unwrap().contains("001-"))
        .unwrap()
        .clone();
    let base =
        crlf(&std::fs::read(repo().join("eval").join(line["file"].as_str().unwrap())).unwrap());
    let acknowledged = Arc::new(Mutex::new(HashSet::new()));
    let next = Arc::new(Mutex::new(0usize));
    let mut tasks = Vec::new();
    for _ in 0..sessions {
        let (addr, base, line) = (addr.clone(), base.clone(), line.clone());
        let (acknowledged, next) = (acknowledged.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut pending: Option<usize> = None;
            let deadline = Instant::now() + Duration::from_secs(600);
            loop {
                assert!(Instant::now() < deadline, "crash test clients ran too long");
                let seq = match pending {
                    Some(s) => s,
                    None => {
                        let mut n = next.lock().unwrap();
                        if *n >= total {
                            return;
                        }
                        *n += 1;
                        *n - 1
                    }
                };
                pending = Some(seq);
                let Ok(mut c) = Client::connect(&addr).await else {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                let mut raw = format!("X-Test-Seq: {seq}\r\n").into_bytes();
                raw.extend_from_slice(&base);
                match c
                    .send(
                        line["ip"].as_str().unwrap(),
                        line["helo"].as_str().unwrap(),
                        line["mail_from"].as_str().unwrap(),
                        "servicedesk@northwind-health.example",
                        &raw,
                    )
                    .await
                {
                    Ok(r) if r.starts_with("250") => {
                        acknowledged.lock().unwrap().insert(seq);
                        pending = None;
                        let _ = c.cmd("QUIT").await;
                    }
                    // A temporary refusal or a lost connection: send again,
                    // as an MTA would.
                    _ => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        }));
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let kill_node = node.clone();
    let killer = {
        let install = install.clone();
        let next = next.clone();
        tokio::spawn(async move {
            for k in 0..kills {
                // Kill while messages are being sent: at a random point
                // of each stretch of the run.
                let stretch = total / (kills + 1);
                let at = k * stretch + (rng.next() as usize % stretch.max(1));
                while *next.lock().unwrap() < at {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                {
                    let mut guard = kill_node.lock().unwrap();
                    if let Some(n) = guard.as_mut() {
                        n.kill9();
                    }
                    *guard = None;
                }
                eprintln!(
                    "kill -9 #{} after {} messages",
                    k + 1,
                    *next.lock().unwrap()
                );
                tokio::time::sleep(Duration::from_millis(rng.next() % 300)).await;
                let fresh = Node::restart(&install);
                *kill_node.lock().unwrap() = Some(fresh);
            }
        })
    };
    killer.await.unwrap();
    for t in tasks {
        t.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert_eq!(acknowledged.len(), total);
    let store = Store::open(&install.db).await.unwrap();
    let seq_of =
        |data: &str| -> Option<usize> { header(data, "X-Test-Seq").and_then(|s| s.parse().ok()) };
    let mut delivered: BTreeMap<usize, usize> = BTreeMap::new();
    let mut quarantined: BTreeMap<usize, usize> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        delivered.clear();
        quarantined.clear();
        for (_, data) in received.lock().unwrap().iter() {
            if let Some(s) = seq_of(data) {
                *delivered.entry(s).or_default() += 1;
            }
        }
        for q in store.quarantine(500).await.unwrap() {
            let m = store.message(&q.id).await.unwrap().unwrap();
            if let Some(s) = seq_of(&String::from_utf8_lossy(
                m.raw.as_deref().unwrap_or_default(),
            )) {
                *quarantined.entry(s).or_default() += 1;
            }
        }
        let covered = acknowledged
            .iter()
            .filter(|s| delivered.contains_key(s) || quarantined.contains_key(s))
            .count();
        if covered == acknowledged.len() || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|s| !delivered.contains_key(s) && !quarantined.contains_key(s))
        .collect();
    let duplicated = delivered.values().filter(|&&n| n > 1).count()
        + quarantined
            .keys()
            .filter(|s| delivered.contains_key(s))
            .count();
    println!(
        "crash test ({:?}): {kills} kill -9, {sessions} sessions: acknowledged {}, delivered {}, quarantined {}, lost {}, duplicated {}",
        store.backend(),
        acknowledged.len(),
        delivered.len(),
        quarantined.len(),
        lost.len(),
        duplicated
    );
    let node = node.lock().unwrap().take().unwrap();
    let log = std::fs::read_to_string(&node.log).unwrap_or_default();
    assert!(lost.is_empty(), "lost {lost:?}\n{log}");
    // Recording is exactly once (digest); a delivery interrupted between
    // the downstream's 250 and our commit is sent again (at least once),
    // which can only happen to deliveries in flight at a kill.
    assert!(duplicated <= kills * 8, "duplicated {duplicated}");
    assert!(node.stop());
}

/// A downstream that refuses recipients named `nobody@...` (550 5.1.1)
/// and keeps what it accepts, only when its DATA was complete.
async fn picky_sink(listener: tokio::net::TcpListener) -> Arc<Mutex<Vec<support::Received>>> {
    let kept: Arc<Mutex<Vec<support::Received>>> = Arc::default();
    let store = kept.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let store = store.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = TokioBufReader::new(read).lines();
                let _ = write.write_all(b"220 picky.test ESMTP\r\n").await;
                let mut rcpt = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-picky.test\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("RCPT") {
                        if upper.contains("NOBODY@") {
                            b"550 5.1.1 no such user\r\n"
                        } else {
                            rcpt.push(
                                line[8..]
                                    .trim_matches(|c| c == '<' || c == '>' || c == ':')
                                    .to_owned(),
                            );
                            b"250 ok\r\n"
                        }
                    } else if upper.starts_with("DATA") {
                        let _ = write.write_all(b"354 go\r\n").await;
                        let mut data = String::new();
                        let mut complete = false;
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                complete = true;
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        // A message cut short (the sender died) is not
                        // received, as in a real MTA.
                        if !complete {
                            break;
                        }
                        store
                            .lock()
                            .unwrap()
                            .push((std::mem::take(&mut rcpt), data));
                        b"250 ok\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    kept
}

/// Downstream down: the message waits in the queue and is retried with
/// backoff until downstream answers. Downstream refusing a recipient: the
/// sender gets a delivery status notification, the null sender none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_then_bounces_to_the_sender() {
    let install = Install::sqlite("smtp-bounce");
    install.load_directory();
    let down_port = free_port();
    let node = Node::start(&install, free_port(), down_port, "");
    let line = manifest()
        .into_iter()
        .find(|l| l["file"].as_str().unwrap().contains("001-"))
        .unwrap();
    let raw =
        crlf(&std::fs::read(repo().join("eval").join(line["file"].as_str().unwrap())).unwrap());
    let ip = line["ip"].as_str().unwrap();
    let helo = line["helo"].as_str().unwrap();
    let from = line["mail_from"].as_str().unwrap();
    let mut c = Client::connect(&node.smtp).await.unwrap();
    let r = c
        .send(ip, helo, from, "servicedesk@northwind-health.example", &raw)
        .await
        .unwrap();
    assert!(r.starts_with("250"), "{r}");
    let store = Store::open(&install.db).await.unwrap();
    // Nothing listens downstream: attempts fail and are retried.
    wait_for("failed attempts", Duration::from_secs(30), || {
        let log = std::fs::read_to_string(&node.log).unwrap_or_default();
        log.matches("downstream failed; retrying").count() >= 2
    })
    .await;
    assert_eq!(store.relay_counts().await.unwrap().pending, 1);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", down_port))
        .await
        .unwrap();
    let kept = picky_sink(listener).await;
    wait_for(
        "delivery after downstream came back",
        Duration::from_secs(30),
        || kept.lock().unwrap().len() == 1,
    )
    .await;
    // A recipient downstream refuses: bounced to the sender.
    let mut c = Client::connect(&node.smtp).await.unwrap();
    let r = c
        .send(ip, helo, from, "nobody@northwind-health.example", &raw)
        .await
        .unwrap();
    assert!(r.starts_with("250"), "{r}");
    // The same from the null sender: no bounce.
    c.cmd("RSET").await.unwrap();
    let r = c
        .send(ip, helo, "", "nobody@northwind-health.example", &raw)
        .await
        .unwrap();
    assert!(r.starts_with("250"), "{r}");
    wait_for("the bounce", Duration::from_secs(30), || {
        futures_block(store.relay_counts()).unwrap().bounced == 2 && kept.lock().unwrap().len() == 2
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let kept = kept.lock().unwrap().clone();
    assert_eq!(
        kept.len(),
        2,
        "one delivery and one bounce, no bounce for <>"
    );
    let (to, dsn) = &kept[1];
    assert_eq!(to, &vec![from.to_owned()]);
    assert!(dsn.contains("report-type=delivery-status"), "{dsn}");
    assert!(dsn.contains("Final-Recipient: rfc822; nobody@northwind-health.example"));
    assert!(dsn.contains("Status: 5.1.1"), "{dsn}");
    assert!(node.stop());
}

/// Limits answer with their replies: SIZE, recipients, bad commands,
/// connections per address, idle time-out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_answer_with_their_replies() {
    let install = Install::sqlite("smtp-limits");
    install.load_directory();
    let sink = SmtpSink::start().await;
    let node = Node::start(
        &install,
        free_port(),
        sink.port,
        "max_message_bytes = 2000\nmax_recipients = 2\nmax_bad_commands = 3\n\
         max_connections_per_ip = 2\ncommand_timeout = \"2s\"\n",
    );
    let mut c = Client::connect(&node.smtp).await.unwrap();
    assert!(c.cmd("EHLO a.test").await.unwrap().contains("SIZE 2000"));
    assert!(
        c.cmd("MAIL FROM:<a@a.test> SIZE=5000")
            .await
            .unwrap()
            .starts_with("552 5.3.4")
    );
    assert!(
        c.cmd("MAIL FROM:<a@a.test>")
            .await
            .unwrap()
            .starts_with("250")
    );
    assert!(
        c.cmd("RCPT TO:<b@b.test>")
            .await
            .unwrap()
            .starts_with("250")
    );
    assert!(
        c.cmd("RCPT TO:<c@b.test>")
            .await
            .unwrap()
            .starts_with("250")
    );
    assert!(
        c.cmd("RCPT TO:<d@b.test>")
            .await
            .unwrap()
            .starts_with("452 4.5.3")
    );
    assert!(c.cmd("DATA").await.unwrap().starts_with("354"));
    let big = format!("Subject: big\r\n\r\n{}\r\n.\r\n", "x".repeat(3000));
    c.write.write_all(big.as_bytes()).await.unwrap();
    assert!(c.reply().await.unwrap().starts_with("552 5.3.4"));
    // A third session from the same address is refused at connect.
    let _second = Client::connect(&node.smtp).await.unwrap();
    let third = Client::connect(&node.smtp).await;
    assert!(third.is_err(), "third connection accepted");
    // Bad commands end the session.
    for _ in 0..4 {
        assert!(c.cmd("BOGUS").await.unwrap().starts_with("500"));
    }
    assert!(c.reply().await.unwrap().starts_with("421 4.7.0"));
    // An idle session is closed after the command time-out. The server
    // frees the closed session's slot just after its 421, so the connection
    // may be refused once or twice first (bounded).
    let mut idle = None;
    for _ in 0..50 {
        if let Ok(c) = Client::connect(&node.smtp).await {
            idle = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut idle = idle.expect("a slot frees once the closed session ends");
    let r = idle.reply().await.unwrap();
    assert!(r.starts_with("421 4.4.2"), "{r}");
    let metrics = reqwest::get(format!("{}/metrics", node.base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for limit in [
        "size",
        "recipients",
        "bad_commands",
        "connections_per_ip",
        "timeout",
    ] {
        assert!(
            metrics.contains(&format!(
                "countersign_smtp_limits_total{{limit=\"{limit}\"}}"
            )),
            "{limit} not counted:\n{metrics}"
        );
    }
    assert!(node.stop());
}

/// The policy may reject: 550 5.7.1 with the reason at end of DATA, the
/// verdict recorded, nothing spooled or quarantined.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_verdict_is_550_at_end_of_data() {
    let install = Install::sqlite("smtp-reject");
    install.load_directory();
    let mut policy =
        std::fs::read_to_string(repo().join("crates/countersign-policy/data/default-policy.toml"))
            .unwrap();
    policy.push_str(
        "\n[[rule]]\nname = \"refuse-forged-results\"\nwhen = [\"message.forged_auth_results\"]\n\
         verdict = \"reject\"\nreason = \"Forged Authentication-Results in our name\"\n",
    );
    let policy_path = install.dir.join("reject-policy.toml");
    std::fs::write(&policy_path, policy).unwrap();
    let sink = SmtpSink::start().await;
    let node = Node::start(&install, free_port(), sink.port, "");
    drop(node);
    let config = install.dir.join("smtp.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    // Same node, with the policy (top-level key, before the tables).
    let node = {
        std::fs::write(
            &config,
            format!("policy = \"{}\"\n{text}", policy_path.display()),
        )
        .unwrap();
        Node::start_with_config(&install)
    };
    let line = manifest()
        .into_iter()
        .find(|l| l["file"].as_str().unwrap().contains("001-"))
        .unwrap();
    let raw =
        crlf(&std::fs::read(repo().join("eval").join(line["file"].as_str().unwrap())).unwrap());
    let mut forged =
        b"Authentication-Results: mx.northwind-health.example; dmarc=pass\r\n".to_vec();
    forged.extend_from_slice(&raw);
    let ip = line["ip"].as_str().unwrap();
    let helo = line["helo"].as_str().unwrap();
    let from = line["mail_from"].as_str().unwrap();
    let mut c = Client::connect(&node.smtp).await.unwrap();
    let r = c
        .send(
            ip,
            helo,
            from,
            "servicedesk@northwind-health.example",
            &forged,
        )
        .await
        .unwrap();
    assert!(
        r.starts_with("550 5.7.1 Forged Authentication-Results"),
        "{r}"
    );
    c.cmd("RSET").await.unwrap();
    let r = c
        .send(ip, helo, from, "servicedesk@northwind-health.example", &raw)
        .await
        .unwrap();
    assert!(r.starts_with("250"), "{r}");
    wait_for(
        "the accepted one downstream",
        Duration::from_secs(30),
        || sink.messages.lock().unwrap().len() == 1,
    )
    .await;
    let store = Store::open(&install.db).await.unwrap();
    assert!(store.quarantine(10).await.unwrap().is_empty());
    assert!(node.stop());
}

/// STARTTLS with a configured certificate (rustls, ring): the session
/// starts over inside TLS, the message is accepted and relayed with
/// `ESMTPS` in its Received field; `require_tls` refuses mail before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starttls_then_mail() {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, ServerName};
    use tokio_rustls::rustls;
    let install = Install::sqlite("smtp-tls");
    install.load_directory();
    let (cert, key) = self_signed(&install.dir);
    let sink = SmtpSink::start().await;
    let node = Node::start(
        &install,
        free_port(),
        sink.port,
        &format!(
            "tls_cert = \"{}\"\ntls_key = \"{}\"\nrequire_tls = true\n",
            cert.display(),
            key.display()
        ),
    );
    let mut c = Client::connect(&node.smtp).await.unwrap();
    assert!(c.cmd("EHLO a.test").await.unwrap().contains("STARTTLS"));
    assert!(
        c.cmd("MAIL FROM:<a@a.test>")
            .await
            .unwrap()
            .starts_with("530 5.7.0")
    );
    assert!(c.cmd("STARTTLS").await.unwrap().starts_with("220"));
    let stream = c.read.into_inner().reunite(c.write).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for der in CertificateDer::pem_file_iter(&cert).unwrap() {
        roots.add(der.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let tls = tokio_rustls::TlsConnector::from(Arc::new(config))
        .connect(ServerName::try_from("gw.test").unwrap(), stream)
        .await
        .expect("TLS handshake");
    let (r, mut w) = tokio::io::split(tls);
    let mut r = TokioBufReader::new(r);
    let mut talk = async |line: &str| -> String {
        w.write_all(format!("{line}\r\n").as_bytes()).await.unwrap();
        let mut all = String::new();
        loop {
            let mut l = String::new();
            r.read_line(&mut l).await.unwrap();
            all.push_str(&l);
            if l.len() < 4 || l.as_bytes()[3] != b'-' {
                return all;
            }
        }
    };
    let ehlo = talk("EHLO a.test").await;
    assert!(
        ehlo.starts_with("250") && !ehlo.contains("STARTTLS"),
        "{ehlo}"
    );
    assert!(
        talk("MAIL FROM:<it@northwind-health.example>")
            .await
            .starts_with("250")
    );
    assert!(
        talk("RCPT TO:<servicedesk@northwind-health.example>")
            .await
            .starts_with("250")
    );
    assert!(talk("DATA").await.starts_with("354"));
    let r = talk("From: IT <it@northwind-health.example>\r\nSubject: tls\r\n\r\nhello\r\n.").await;
    assert!(r.starts_with("250"), "{r}");
    let store = Store::open(&install.db).await.unwrap();
    wait_for(
        "the message downstream or in quarantine",
        Duration::from_secs(30),
        || {
            sink.messages.lock().unwrap().len() + futures_block(store.quarantine(10)).unwrap().len()
                == 1
        },
    )
    .await;
    let rows = store.quarantine(10).await.unwrap();
    if let Some((_, data)) = sink.messages.lock().unwrap().first() {
        assert!(
            header(data, "Received").unwrap().contains("with ESMTPS"),
            "{data}"
        );
    } else {
        assert_eq!(rows.len(), 1);
    }
    assert!(node.stop());
}

/// A self-signed certificate for `gw.test` (openssl from Debian), as
/// (certificate, key) files in `dir`.
fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=gw.test",
        ])
        .args(["-addext", "subjectAltName=DNS:gw.test"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    (cert, key)
}

/// Relaying downstream over TLS: the downstream's certificate is checked
/// against the name configured and the CA the configuration trusts; a
/// certificate nobody vouches for is a failed delivery, retried and kept,
/// never a send in the clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_over_tls_checks_the_certificate() {
    let sink = SmtpSink::start().await;
    // The downstream: another Countersign that insists on STARTTLS.
    let down = Install::sqlite("relay-tls-down");
    down.load_directory();
    let (cert, key) = self_signed(&down.dir);
    let down_port = free_port();
    let downstream = Node::start(
        &down,
        down_port,
        sink.port,
        &format!(
            "tls_cert = \"{}\"\ntls_key = \"{}\"\nrequire_tls = true\n",
            cert.display(),
            key.display()
        ),
    );
    let line = manifest()
        .into_iter()
        .find(|l| l["file"].as_str().unwrap().contains("001-"))
        .unwrap();
    let raw =
        crlf(&std::fs::read(repo().join("eval").join(line["file"].as_str().unwrap())).unwrap());
    let send = async |node: &Node| {
        let mut c = Client::connect(&node.smtp).await.unwrap();
        let r = c
            .send(
                line["ip"].as_str().unwrap(),
                line["helo"].as_str().unwrap(),
                line["mail_from"].as_str().unwrap(),
                "servicedesk@northwind-health.example",
                &raw,
            )
            .await
            .unwrap();
        assert!(r.starts_with("250"), "{r}");
    };
    // A gateway that trusts the downstream's certificate delivers over TLS.
    let trusting = Install::sqlite("relay-tls-trusting");
    trusting.load_directory();
    let gateway = Node::start(
        &trusting,
        free_port(),
        down_port,
        &format!(
            "relay_tls = \"required\"\nrelay_tls_name = \"gw.test\"\nrelay_tls_ca = \"{}\"\n",
            cert.display()
        ),
    );
    send(&gateway).await;
    // The downstream refuses MAIL before STARTTLS, so what it holds came
    // over TLS. (It quarantines it: it sees the gateway, not the original
    // client, so SPF fails there.)
    let down_store = Store::open(&down.db).await.unwrap();
    wait_for(
        "the message at the downstream",
        Duration::from_secs(30),
        || futures_block(down_store.quarantine(10)).unwrap().len() == 1,
    )
    .await;
    let store = Store::open(&trusting.db).await.unwrap();
    assert_eq!(store.relay_counts().await.unwrap().delivered, 1);
    // One that does not know the certificate keeps the message pending.
    let doubting = Install::sqlite("relay-tls-doubting");
    doubting.load_directory();
    let wary = Node::start(
        &doubting,
        free_port(),
        down_port,
        "relay_tls = \"required\"\nrelay_tls_name = \"gw.test\"\n",
    );
    send(&wary).await;
    let store = Store::open(&doubting.db).await.unwrap();
    wait_for("a failed attempt", Duration::from_secs(30), || {
        std::fs::read_to_string(&wary.log).is_ok_and(|l| l.contains("downstream failed; retrying"))
    })
    .await;
    let counts = store.relay_counts().await.unwrap();
    assert_eq!((counts.pending, counts.delivered), (1, 0), "{counts:?}");
    assert_eq!(down_store.quarantine(10).await.unwrap().len(), 1);
    assert!(wary.stop());
    assert!(gateway.stop());
    assert!(downstream.stop());
}

/// XFORWARD, as Postfix's SMTP client sends it (`smtp_send_xforward_command
/// = yes`), gives the original client for the next transaction; from an
/// address not listed in `xclient_from` it is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xforward_gives_the_original_client() {
    let install = Install::sqlite("smtp-xforward");
    install.load_directory();
    let sink = SmtpSink::start().await;
    let node = Node::start(&install, free_port(), sink.port, "");
    let line = manifest()
        .into_iter()
        .find(|l| l["file"].as_str().unwrap().contains("001-"))
        .unwrap();
    let raw =
        crlf(&std::fs::read(repo().join("eval").join(line["file"].as_str().unwrap())).unwrap());
    let ip = line["ip"].as_str().unwrap();
    let helo = line["helo"].as_str().unwrap();
    let mut c = Client::connect(&node.smtp).await.unwrap();
    assert!(
        c.cmd("EHLO postfix.local")
            .await
            .unwrap()
            .contains("XFORWARD")
    );
    let r = c
        .cmd(&format!(
            "XFORWARD NAME=[UNAVAILABLE] ADDR={ip} HELO={helo} PROTO=ESMTP SOURCE=REMOTE"
        ))
        .await
        .unwrap();
    assert!(r.starts_with("250"), "{r}");
    assert!(
        c.cmd(&format!(
            "MAIL FROM:<{}>",
            line["mail_from"].as_str().unwrap()
        ))
        .await
        .unwrap()
        .starts_with("250")
    );
    assert!(
        c.cmd("RCPT TO:<servicedesk@northwind-health.example>")
            .await
            .unwrap()
            .starts_with("250")
    );
    assert!(c.cmd("DATA").await.unwrap().starts_with("354"));
    let mut data = raw.clone();
    data.extend_from_slice(b".\r\n");
    c.write.write_all(&data).await.unwrap();
    assert!(c.reply().await.unwrap().starts_with("250"));
    wait_for("the message downstream", Duration::from_secs(30), || {
        sink.messages.lock().unwrap().len() == 1
    })
    .await;
    let data = sink.messages.lock().unwrap()[0].1.clone();
    let received = header(&data, "Received").unwrap();
    assert!(
        received.contains(&format!("[{ip}]")) && received.contains(helo),
        "{received}"
    );
    // SPF was checked for the original client: the vendor's message passes.
    assert_eq!(
        header(&data, "X-Countersign-Verdict").as_deref(),
        Some("deliver"),
        "{data}"
    );
    assert!(node.stop());
}

/// Postfix from Debian's packages in front (`scripts/postfix.sh`, started
/// by `scripts/test.sh`): a client sends to Postfix, Postfix relays to
/// Countersign with XFORWARD, Countersign judges the original client's
/// message and relays it (or keeps it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postfix_in_front() {
    let (Ok(front), Ok(relay)) = (
        std::env::var("COUNTERSIGN_TEST_POSTFIX_PORT"),
        std::env::var("COUNTERSIGN_TEST_POSTFIX_RELAY_PORT"),
    ) else {
        eprintln!("COUNTERSIGN_TEST_POSTFIX_PORT not set (scripts/postfix.sh start): skipped");
        return;
    };
    let install = Install::sqlite("smtp-postfix");
    install.load_directory();
    let sink = SmtpSink::start().await;
    let node = Node::start(&install, relay.parse().unwrap(), sink.port, "");
    let line = manifest()
        .into_iter()
        .find(|l| l["file"].as_str().unwrap().contains("001-"))
        .unwrap();
    let raw =
        crlf(&std::fs::read(repo().join("eval").join(line["file"].as_str().unwrap())).unwrap());
    let helo = line["helo"].as_str().unwrap();
    let mut c = Client::connect(&format!("127.0.0.1:{front}"))
        .await
        .unwrap();
    assert!(
        c.cmd(&format!("EHLO {helo}"))
            .await
            .unwrap()
            .starts_with("250")
    );
    let r = c
        .cmd(&format!(
            "MAIL FROM:<{}>",
            line["mail_from"].as_str().unwrap()
        ))
        .await
        .unwrap();
    assert!(r.starts_with("250"), "{r}");
    let r = c
        .cmd("RCPT TO:<servicedesk@northwind-health.example>")
        .await
        .unwrap();
    assert!(r.starts_with("250"), "{r}");
    assert!(c.cmd("DATA").await.unwrap().starts_with("354"));
    let mut data = raw.clone();
    data.extend_from_slice(b".\r\n");
    c.write.write_all(&data).await.unwrap();
    let r = c.reply().await.unwrap();
    assert!(r.starts_with("250"), "Postfix: {r}");
    let _ = c.cmd("QUIT").await;
    let store = Store::open(&install.db).await.unwrap();
    wait_for(
        "the message through Postfix and Countersign",
        Duration::from_secs(60),
        || {
            sink.messages.lock().unwrap().len() + futures_block(store.quarantine(10)).unwrap().len()
                == 1
        },
    )
    .await;
    // Countersign saw the original client (XFORWARD), not Postfix.
    let seen = match sink.messages.lock().unwrap().first() {
        Some((_, data)) => header(data, "Received").unwrap(),
        None => {
            let id = futures_block(store.quarantine(10)).unwrap()[0].id.clone();
            futures_block(store.message(&id)).unwrap().unwrap().helo
        }
    };
    assert!(seen.contains(helo), "{seen}");
    assert!(node.stop());
}
