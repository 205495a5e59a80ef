//! What the end-to-end tests of `countersign serve` share: a directory set
//! up through the real CLI, the real server process on a loopback port, a
//! real SMTP listener that receives the codes, a real HTTP receiver for
//! webhooks, and a small API client.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};

pub const BIN: &str = env!("CARGO_BIN_EXE_countersign");

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cs-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// One installation: a database (SQLite file or PostgreSQL) and its key.
#[derive(Clone)]
pub struct Install {
    pub db: String,
    pub dir: PathBuf,
}

impl Install {
    pub fn sqlite(name: &str) -> Self {
        let dir = temp_dir(name);
        Self {
            db: dir.join("countersign.db").display().to_string(),
            dir,
        }
    }

    /// A fresh PostgreSQL database when `COUNTERSIGN_TEST_PG_URL` is set.
    pub fn postgres(name: &str) -> Option<Self> {
        let base = std::env::var("COUNTERSIGN_TEST_PG_URL").ok()?;
        let dir = temp_dir(&format!("pg-{name}"));
        let db_name = format!("cs_serve_{}_{}", name.replace('-', "_"), std::process::id());
        for sql in [
            format!("DROP DATABASE IF EXISTS {db_name}"),
            format!("CREATE DATABASE {db_name}"),
        ] {
            let admin = Command::new("psql")
                .arg(&base)
                .args(["-v", "ON_ERROR_STOP=1", "-qc", &sql])
                .output()
                .expect("psql");
            assert!(
                admin.status.success(),
                "{}",
                String::from_utf8_lossy(&admin.stderr)
            );
        }
        let (prefix, _) = base.rsplit_once('/').expect("database URL");
        Some(Self {
            db: format!("{prefix}/{db_name}"),
            dir,
        })
    }

    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .env("COUNTERSIGN_DB", &self.db)
            .env("COUNTERSIGN_AUDIT_KEY", self.dir.join("audit.key"))
            .env_remove("COUNTERSIGN_ACTOR")
            .env_remove("COUNTERSIGN_CONFIG")
            .current_dir(&self.dir)
            .output()
            .expect("run countersign")
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.cli(args);
        assert!(
            out.status.success(),
            "countersign {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// The evaluation directory (Northwind Health) in the store, through
    /// the real change control: two administrators, import, approval (which
    /// counts as a review). Corvid's only contact then leaves: a personnel
    /// change, so its review is due at once and it is not trusted.
    pub fn load_directory(&self) {
        let mut snap: Value = serde_json::from_str(
            &std::fs::read_to_string(repo().join("eval/directory.json")).unwrap(),
        )
        .unwrap();
        // The two administrators keep the directory role that lets them
        // approve changes.
        for s in snap["staff"].as_array_mut().unwrap() {
            if s["staff_id"] == "S-1002" || s["staff_id"] == "S-1008" {
                s["role"] = json!(countersign_directory_admin_role());
            }
        }
        let path = self.dir.join("directory.json");
        std::fs::write(&path, snap.to_string()).unwrap();
        for (id, name, email, phone) in [
            (
                "S-1002",
                "Daniel Okoye",
                "daniel.okoye@northwind-health.example",
                "+442079460102",
            ),
            (
                "S-1008",
                "Yusuf Demir",
                "yusuf.demir@northwind-health.example",
                "+442079460108",
            ),
        ] {
            self.ok(&[
                "directory",
                "init",
                "--org-name",
                "Northwind Health",
                "--org-domain",
                "northwind-health.example",
                "--org-domain",
                "nwh.example",
                "--staff-id",
                id,
                "--name",
                name,
                "--email",
                email,
                "--phone",
                phone,
            ]);
        }
        let out = self.ok(&[
            "directory",
            "import",
            "--format",
            "json",
            "--actor",
            "S-1002",
            "--reason",
            "initial load",
            "--json",
            path.to_str().unwrap(),
        ]);
        let id = request_id(&out);
        self.ok(&[
            "directory",
            "approve",
            &id,
            "--actor",
            "S-1008",
            "--reason",
            "checked",
        ]);
        self.ok(&[
            "directory",
            "set-status",
            "contact",
            "corvid/nadia.petrova@corvidnet.test",
            "departed",
            "--reason",
            "left Corvid",
            "--actor",
            "S-1002",
        ]);
    }

    /// Enrols a vendor key made by `countersign vendor keygen`; returns the key file.
    pub fn enrol_vendor_key(&self, vendor: &str, file: &str) -> PathBuf {
        let key = self.dir.join(file);
        let out = self.ok(&["vendor", "keygen", "--out", key.to_str().unwrap()]);
        let public = out
            .lines()
            .find_map(|l| l.strip_prefix("public key:"))
            .unwrap()
            .trim()
            .to_owned();
        let out = self.ok(&[
            "directory",
            "add",
            "key",
            "--vendor",
            vendor,
            "--public-key",
            &public,
            "--reason",
            "enrolment",
            "--actor",
            "S-1002",
            "--json",
        ]);
        let id = request_id(&out);
        self.ok(&[
            "directory",
            "approve",
            &id,
            "--actor",
            "S-1008",
            "--reason",
            "checked",
        ]);
        key
    }

    /// Creates an account from the host; returns its one-time password.
    pub fn add_user(&self, name: &str, roles: &[&str], staff: Option<&str>) -> String {
        self.add_person(name, roles, staff, None)
    }

    /// Creates an account tied to a staff or employee record; returns its
    /// one-time password.
    pub fn add_person(
        &self,
        name: &str,
        roles: &[&str],
        staff: Option<&str>,
        employee: Option<&str>,
    ) -> String {
        let mut args = vec!["user", "add", name, "--json"];
        if let Some(e) = employee {
            args.push("--employee-id");
            args.push(e);
        }
        for r in roles {
            args.push("--role");
            args.push(r);
        }
        if let Some(s) = staff {
            args.push("--staff-id");
            args.push(s);
        }
        let out: Value = serde_json::from_str(self.ok(&args).trim()).unwrap();
        out["one_time_password"].as_str().unwrap().to_owned()
    }
}

fn countersign_directory_admin_role() -> &'static str {
    "security-admin"
}

fn request_id(out: &str) -> String {
    let v: Value = serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"));
    v["change_request"]
        .as_i64()
        .or_else(|| v["request"].as_i64())
        .or_else(|| v["request_id"].as_i64())
        .unwrap_or_else(|| panic!("no request id in {out}"))
        .to_string()
}

/// A running `countersign serve`, killed (by its PID) when dropped.
pub struct Server {
    child: Child,
    pub base: String,
    pub stderr: PathBuf,
}

impl Server {
    /// Starts the server of `install` with a configuration (`[serve]` TOML
    /// lines) and extra flags; waits until it listens.
    pub fn start(install: &Install, serve_toml: &str, extra: &[&str]) -> Server {
        let config = install
            .dir
            .join(format!("countersign-{}.toml", rand_suffix()));
        std::fs::write(&config, format!("authserv_id = \"mx.northwind-health.example\"\n[serve]\nlisten = \"127.0.0.1:0\"\n{serve_toml}\n")).unwrap();
        let stderr = install.dir.join(format!("serve-{}.log", rand_suffix()));
        let mut child = Command::new(BIN)
            .arg("--config")
            .arg(&config)
            .args(["serve", "--zone"])
            .arg(repo().join("eval/zone/eval.zone"))
            .args(extra)
            .env("COUNTERSIGN_DB", &install.db)
            .env("COUNTERSIGN_AUDIT_KEY", install.dir.join("audit.key"))
            .env("COUNTERSIGN_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .expect("start countersign serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let base = line
            .trim()
            .strip_prefix("countersign serve: listening on ")
            .unwrap_or_else(|| {
                panic!(
                    "server did not start: {line:?}\n{}",
                    std::fs::read_to_string(&stderr).unwrap_or_default()
                )
            })
            .to_owned();
        Server {
            child,
            base,
            stderr,
        }
    }

    /// Stops with SIGTERM and waits; returns whether it exited cleanly.
    pub fn stop(mut self) -> bool {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn rand_suffix() -> String {
    countersign_accounts::token::random_id("x")
}

/// An HTTP client for one base URL.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    http: reqwest::Client,
}

/// An answer: status and JSON body (Null when empty).
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub content_type: String,
}

impl Answer {
    pub fn ok(self) -> Value {
        assert!(
            (200..300).contains(&self.status),
            "expected success, got {}: {}",
            self.status,
            self.body
        );
        self.body
    }

    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status, status, "unexpected answer: {}", self.body);
        self.body
    }
}

impl Api {
    pub fn new(base: &str) -> Self {
        Self {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
        }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        if body.len() > 64 * 1024 {
            // The server may refuse a large body before reading it and then
            // close the connection; it must not go back to the pool, where
            // the next request would find it closed.
            req = req.header("connection", "close");
        }
        if !body.is_empty() {
            req = req.body(body);
        }
        let resp = req.send().await.expect("request");
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = resp.bytes().await.unwrap();
        let body = if content_type.contains("json") && !bytes.is_empty() {
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        } else if bytes.is_empty() {
            Value::Null
        } else {
            Value::String(String::from_utf8_lossy(&bytes).into_owned())
        };
        Answer {
            status,
            body,
            content_type,
        }
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.send("GET", path, token, None, Vec::new()).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.send(
            "POST",
            path,
            token,
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Answer {
        self.send("DELETE", path, token, None, Vec::new()).await
    }

    /// Posts an evaluation message with its manifest envelope.
    pub async fn post_eval_message(&self, token: &str, file: &str) -> Value {
        let manifest = std::fs::read_to_string(repo().join("eval/manifest.jsonl")).unwrap();
        let line: Value = manifest
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .find(|l| l["file"].as_str().unwrap().ends_with(file))
            .unwrap_or_else(|| panic!("{file} not in the manifest"));
        let raw = std::fs::read(repo().join("eval").join(line["file"].as_str().unwrap())).unwrap();
        let query = format!(
            "/api/v1/messages?client_ip={}&helo={}&mail_from={}&rcpt={}",
            line["ip"].as_str().unwrap(),
            line["helo"].as_str().unwrap(),
            line["mail_from"].as_str().unwrap(),
            line["rcpt"]
                .as_str()
                .unwrap_or("servicedesk@northwind-health.example"),
        );
        self.send("POST", &query, Some(token), Some("message/rfc822"), raw)
            .await
            .ok()
    }

    /// Signs in an account created with a one-time password: changes the
    /// password and, when `totp`, enrols TOTP. Returns (session token, TOTP secret).
    pub async fn set_up(
        &self,
        user: &str,
        one_time: &str,
        totp: bool,
    ) -> (String, Option<Vec<u8>>) {
        let signed = self
            .post(
                "/api/v1/session",
                None,
                json!({"username": user, "password": one_time}),
            )
            .await
            .expect(201);
        let token = signed["token"].as_str().unwrap().to_owned();
        let password = password_of(user);
        self.post(
            "/api/v1/me/password",
            Some(&token),
            json!({"current_password": one_time, "new_password": password}),
        )
        .await
        .expect(204);
        let mut secret = None;
        if totp {
            let setup = self
                .post("/api/v1/me/totp", Some(&token), json!(null))
                .await
                .expect(201);
            let s = data_encoding::BASE32_NOPAD
                .decode(setup["secret_base32"].as_str().unwrap().as_bytes())
                .unwrap();
            self.post(
                "/api/v1/me/totp/confirm",
                Some(&token),
                json!({"code": code_now(&s, 0)}),
            )
            .await
            .expect(204);
            secret = Some(s);
        }
        (token, secret)
    }
}

/// The password `Api::set_up` gives an account.
pub fn password_of(user: &str) -> String {
    format!("Correct-Horse-Battery-{}", user.len() * 7)
}

/// The TOTP code `steps_ahead` 30-second steps from now.
pub fn code_now(secret: &[u8], steps_ahead: u64) -> String {
    let now = time::OffsetDateTime::now_utc().unix_timestamp() as u64;
    countersign_accounts::totp::code_at(secret, now + steps_ahead * 30).unwrap()
}

/// One message the sink received: its recipients and its data.
pub type Received = (Vec<String>, String);

/// A real SMTP listener on loopback that keeps every message it receives.
#[derive(Clone, Default)]
pub struct SmtpSink {
    pub messages: Arc<Mutex<Vec<Received>>>,
    pub port: u16,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = SmtpSink {
            messages: Arc::default(),
            port,
        };
        let store = sink.messages.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut lines = tokio::io::BufReader::new(read).lines();
                    let _ = write.write_all(b"220 sink.test ESMTP\r\n").await;
                    let mut rcpt = Vec::new();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") {
                            b"250-sink.test\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("HELO")
                            || upper.starts_with("MAIL")
                            || upper.starts_with("RSET")
                            || upper.starts_with("NOOP")
                        {
                            b"250 ok\r\n"
                        } else if upper.starts_with("RCPT") {
                            rcpt.push(
                                line[8..]
                                    .trim()
                                    .trim_matches(|c| c == '<' || c == '>' || c == ':')
                                    .to_owned(),
                            );
                            b"250 ok\r\n"
                        } else if upper.starts_with("DATA") {
                            let _ = write.write_all(b"354 go\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(l)) = lines.next_line().await {
                                if l == "." {
                                    break;
                                }
                                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                                data.push('\n');
                            }
                            store
                                .lock()
                                .unwrap()
                                .push((std::mem::take(&mut rcpt), data));
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            break;
                        } else {
                            b"502 not implemented\r\n"
                        };
                        if write.write_all(reply).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        sink
    }

    /// The code in the latest message to `to`, waiting up to 10 s.
    pub async fn code_for(&self, to: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some((_, body)) = self
                .messages
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|(rcpt, _)| rcpt.iter().any(|r| r.eq_ignore_ascii_case(to)))
            {
                let line = body
                    .lines()
                    .find(|l| l.contains("verification code is"))
                    .expect("code line");
                return line.chars().filter(|c| c.is_ascii_digit()).collect();
            }
            assert!(Instant::now() < deadline, "no code arrived for {to}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// One webhook delivery as received.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub event_id: String,
    pub event_type: String,
    pub signature: String,
    pub body: String,
}

/// A real HTTP receiver for webhooks on a fixed loopback port.
#[derive(Clone, Default)]
pub struct Receiver {
    pub deliveries: Arc<Mutex<Vec<Delivery>>>,
}

impl Receiver {
    /// A free loopback port (bound, then released).
    pub fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    /// Starts receiving on `port`; the task stops when `stop` is dropped.
    pub async fn start(&self, port: u16) -> tokio::sync::oneshot::Sender<()> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .unwrap();
        self.serve(listener)
    }

    /// Starts receiving on a port of the system's choosing, held from the
    /// start (no other process can take it between choice and bind), and
    /// says which.
    pub async fn start_anywhere(&self) -> (u16, tokio::sync::oneshot::Sender<()>) {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .unwrap();
        let port = listener.local_addr().unwrap().port();
        (port, self.serve(listener))
    }

    fn serve(&self, listener: tokio::net::TcpListener) -> tokio::sync::oneshot::Sender<()> {
        let store = self.deliveries.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
                let store = store.clone();
                async move {
                    let h = |n: &str| {
                        headers
                            .get(n)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    store.lock().unwrap().push(Delivery {
                        event_id: h("countersign-event-id"),
                        event_type: h("countersign-event-type"),
                        signature: h("countersign-signature"),
                        body,
                    });
                    axum::http::StatusCode::NO_CONTENT
                }
            }),
        );
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        tx
    }

    /// Waits until deliveries satisfy `done`, up to `secs`.
    pub async fn wait_for(&self, secs: u64, done: impl Fn(&[Delivery]) -> bool) -> Vec<Delivery> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let now = self.deliveries.lock().unwrap().clone();
            if done(&now) {
                return now;
            }
            assert!(
                Instant::now() < deadline,
                "webhook deliveries did not arrive: {:?}",
                now.iter().map(|d| &d.event_type).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A DMARC aggregate report for example.com from `reporter`, covering day
/// `day` after 2023-11-15: each record is (source IP, messages, aligned).
pub fn report_xml(reporter: &str, id: &str, day: i64, records: &[(&str, u64, bool)]) -> String {
    let begin = 1_700_006_400 + day * 86_400;
    let mut x = format!(
        "<?xml version=\"1.0\"?><feedback><report_metadata><org_name>{reporter}</org_name>\
         <email>dmarc@{reporter}</email><report_id>{id}</report_id><date_range><begin>{begin}</begin>\
         <end>{}</end></date_range></report_metadata><policy_published><domain>example.com</domain>\
         <p>reject</p></policy_published>",
        begin + 86_399
    );
    for (ip, count, aligned) in records {
        let r = if *aligned { "pass" } else { "fail" };
        x.push_str(&format!(
            "<record><row><source_ip>{ip}</source_ip><count>{count}</count><policy_evaluated>\
             <disposition>{}</disposition><dkim>{r}</dkim><spf>{r}</spf></policy_evaluated></row>\
             <identifiers><header_from>example.com</header_from></identifiers><auth_results>\
             <spf><domain>example.com</domain><result>{r}</result></spf></auth_results></record>",
            if *aligned { "none" } else { "reject" }
        ));
    }
    x.push_str("</feedback>");
    x
}
