//! End-to-end tests of `countersign dmarc`: the built binary on the report
//! corpora (unchanged), on reports made here, on a maildir, on a real IMAP
//! server (Dovecot on loopback, `scripts/dovecot.sh`), against SQLite and
//! PostgreSQL (`scripts/postgres.sh`), and DNS checks on zone files.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use support::report_xml;

struct Env {
    db: String,
    dir: PathBuf,
}

fn corpus(rel: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora")
        .join(rel);
    assert!(p.exists(), "missing corpus {}", p.display());
    p
}

fn samples(rel: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../samples")
        .join(rel)
        .display()
        .to_string()
}

impl Env {
    fn sqlite(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("cs-dmarc-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Env {
            db: dir.join("countersign.db").display().to_string(),
            dir,
        }
    }

    fn postgres(name: &str) -> Option<Self> {
        let Ok(base) = std::env::var("COUNTERSIGN_TEST_PG_URL") else {
            if std::env::var_os("CI").is_some() {
                panic!(
                    "COUNTERSIGN_TEST_PG_URL is not set but CI is: PostgreSQL tests must run in CI"
                );
            }
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("SKIPPED: PostgreSQL dmarc CLI test [{name}]\n").as_bytes(),
            );
            return None;
        };
        let db = format!("cs_dmarc_{name}_{}", std::process::id());
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let admin = countersign_store::Store::open(&base).await.unwrap();
            admin
                .execute_raw(&format!("DROP DATABASE IF EXISTS {db}"))
                .await
                .unwrap();
            admin
                .execute_raw(&format!("CREATE DATABASE {db}"))
                .await
                .unwrap();
            admin.close().await;
        });
        let (prefix, _) = base.rsplit_once('/').unwrap();
        let mut env = Self::sqlite(&format!("pg-{name}"));
        env.db = format!("{prefix}/{db}");
        Some(env)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_env(args, &[])
    }

    fn run_env(&self, args: &[&str], vars: &[(&str, &str)]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_countersign"));
        c.args(args)
            .env("COUNTERSIGN_DB", &self.db)
            .env("COUNTERSIGN_AUDIT_KEY", self.dir.join("audit.key"))
            .env_remove("COUNTERSIGN_ACTOR")
            .env_remove("COUNTERSIGN_IMAP_PASSWORD")
            .current_dir(&self.dir);
        for (k, v) in vars {
            c.env(k, v);
        }
        c.output().expect("run countersign")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "countersign {args:?} failed:\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn json_lines(&self, args: &[&str]) -> Vec<serde_json::Value> {
        self.ok(args)
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// A small aggregate report: `(ip, count, aligned)` records, for a day.
fn ingest_and_report(e: &Env) {
    // Every parsedmarc aggregate sample: stored, or a duplicate of one
    // stored (same reporter and report ID); none fails.
    let lines = e.json_lines(&[
        "dmarc",
        "ingest",
        "--json",
        corpus("dmarc-parsedmarc-samples/aggregate")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(lines.len(), 19);
    let count = |s: &str| lines.iter().filter(|l| l["status"] == s).count();
    assert_eq!(
        (count("stored"), count("duplicate"), count("error")),
        (17, 2, 0)
    );
    let large = lines
        .iter()
        .find(|l| l["file"].as_str().unwrap().contains("large-example"))
        .unwrap();
    assert_eq!(large["records"], 2286);
    let bad = lines
        .iter()
        .find(|l| l["file"].as_str().unwrap().ends_with("invalid_xml.xml"))
        .unwrap();
    assert!(
        bad["warnings"][0]
            .as_str()
            .unwrap()
            .contains("unescaped '<'"),
        "{bad}"
    );
    // Again: every report is a duplicate.
    let again = e.json_lines(&[
        "dmarc",
        "ingest",
        "--json",
        corpus("dmarc-parsedmarc-samples/aggregate")
            .to_str()
            .unwrap(),
    ]);
    assert!(
        again.iter().all(|l| l["status"] == "duplicate"),
        "{again:?}"
    );
    // Failure and TLS reports, and the Mail::DMARC fixtures.
    for dir in [
        "dmarc-parsedmarc-samples/failure",
        "dmarc-parsedmarc-samples/smtp_tls",
        "dmarc-rua-schema-and-fixtures-mail-dmarc",
    ] {
        let out = e.run(&["dmarc", "ingest", "--json", corpus(dir).to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        // The XSD and licence in the last folder are not reports.
        for line in stdout.lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let file = v["file"].as_str().unwrap();
            if file.ends_with(".xsd") || file.ends_with(".txt") || file.ends_with(".md") {
                assert_eq!(v["status"], "error");
            } else {
                assert_ne!(v["status"], "error", "{v}");
            }
        }
    }
    // The per-source view.
    let report = e.json_lines(&[
        "dmarc",
        "report",
        "--json",
        "--no-rdns",
        "--domain",
        "example.com",
        "--top",
        "3",
    ]);
    let domain = &report[0];
    assert_eq!(domain["type"], "domain");
    // 12 parsedmarc samples and the Mail::DMARC fixture are for example.com.
    assert_eq!(domain["reports"], 13, "{domain}");
    assert_eq!(domain["volume"]["records"], 2300, "{domain}");
    assert_eq!(domain["volume"]["messages"], 2429, "{domain}");
    assert_eq!(report[1]["type"], "source");
    assert_eq!(report[1]["source_ip"], "192.0.2.123");
    assert_eq!(report[1]["volume"]["dmarc_pass"], 123);
    assert_eq!(report.last().unwrap()["type"], "total");
    let failures = e.json_lines(&["dmarc", "report", "--json", "--kind", "failure"]);
    assert_eq!(failures.len(), 4, "5 samples, two the same report");
    let tls = e.json_lines(&["dmarc", "report", "--json", "--kind", "tls"]);
    assert_eq!(tls.len(), 4);
    // The audit log holds the ingests and verifies.
    let log = e.ok(&["audit", "log", "--limit", "500", "--json"]);
    assert!(log.contains("posture.report.ingest") && log.contains("posture.failure.ingest"));
    e.ok(&["audit", "verify"]);
}

#[test]
fn ingest_and_report_sqlite() {
    ingest_and_report(&Env::sqlite("ingest"));
}

#[test]
fn ingest_and_report_postgres() {
    if let Some(e) = Env::postgres("ingest") {
        ingest_and_report(&e);
    }
}

#[test]
fn broken_reports_name_the_file_and_store_nothing() {
    let e = Env::sqlite("broken");
    // The empty sample is refused by name.
    let out = e.run(&[
        "dmarc",
        "ingest",
        corpus("dmarc-parsedmarc-samples/empty.xml")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("empty.xml: the input is empty"), "{stderr}");
    // A report cut in its 3000th record: an error naming file and line, nothing kept.
    let records: Vec<(String, u64, bool)> = (0..5000)
        .map(|i| (format!("198.51.100.{}", i % 250), 1, true))
        .collect();
    let refs: Vec<(&str, u64, bool)> = records
        .iter()
        .map(|(a, b, c)| (a.as_str(), *b, *c))
        .collect();
    let xml = report_xml("cut.example", "cut-1", 0, &refs);
    let cut = &xml[..xml.match_indices("<record>").nth(3000).unwrap().0 + 40];
    std::fs::write(e.path("cut.xml"), cut).unwrap();
    let out = e.run(&["dmarc", "ingest", e.path("cut.xml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("cut.xml: line 1:") && stderr.contains("nothing of this report was stored"),
        "{stderr}"
    );
    let report = e.json_lines(&["dmarc", "report", "--json", "--no-rdns"]);
    assert_eq!(report.last().unwrap()["volume"]["records"], 0, "{report:?}");
    // The whole report then goes in.
    std::fs::write(e.path("whole.xml"), &xml).unwrap();
    e.ok(&["dmarc", "ingest", e.path("whole.xml").to_str().unwrap()]);
    let report = e.json_lines(&["dmarc", "report", "--json", "--no-rdns"]);
    assert_eq!(report.last().unwrap()["volume"]["records"], 5000);
    // --dry-run stores nothing.
    std::fs::write(
        e.path("other.xml"),
        report_xml("o.example", "o-1", 1, &[("192.0.2.1", 3, true)]),
    )
    .unwrap();
    let lines = e.json_lines(&[
        "dmarc",
        "ingest",
        "--json",
        "--dry-run",
        e.path("other.xml").to_str().unwrap(),
    ]);
    assert_eq!(lines[0]["status"], "parsed");
    let report = e.json_lines(&["dmarc", "report", "--json", "--no-rdns"]);
    assert_eq!(report.last().unwrap()["volume"]["records"], 5000);
    // A cut report between two good ones in one run (one transaction for
    // all three): the good ones are kept, nothing of the cut one.
    for (name, reporter, id, ip) in [
        ("good-1.xml", "g.example", "g-1", "192.0.2.7"),
        ("good-2.xml", "h.example", "h-1", "192.0.2.8"),
    ] {
        std::fs::write(e.path(name), report_xml(reporter, id, 2, &[(ip, 4, true)])).unwrap();
    }
    std::fs::write(e.path("cut-2.xml"), cut.replace("cut-1", "cut-2")).unwrap();
    let out = e.run(&[
        "dmarc",
        "ingest",
        "--json",
        e.path("good-1.xml").to_str().unwrap(),
        e.path("cut-2.xml").to_str().unwrap(),
        e.path("good-2.xml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let statuses: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["status"].to_string())
        .collect();
    assert_eq!(statuses, ["\"stored\"", "\"error\"", "\"stored\""]);
    let report = e.json_lines(&["dmarc", "report", "--json", "--no-rdns"]);
    assert_eq!(report.last().unwrap()["volume"]["records"], 5002);
    e.ok(&["audit", "verify"]);
}

#[test]
fn alerts_reach_the_audit_log_and_the_chart_is_drawn() {
    let e = Env::sqlite("alerts");
    for day in 0..28 {
        let x = report_xml(
            "a.example",
            &format!("b{day}"),
            day,
            &[("192.0.2.1", 100, true)],
        );
        std::fs::write(e.path(&format!("base{day}.xml")), x).unwrap();
    }
    let out = e.run(&["dmarc", "ingest", e.dir.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(!String::from_utf8_lossy(&out.stderr).contains("ALERT"));
    let x = report_xml(
        "a.example",
        "new-28",
        28,
        &[("192.0.2.1", 100, true), ("203.0.113.66", 80, false)],
    );
    std::fs::write(e.path("new.xml"), x).unwrap();
    let out = e.run(&["dmarc", "ingest", e.path("new.xml").to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("ALERT posture.alert.new_unaligned_source: new source 203.0.113.66 sent 80 message(s) as example.com"),
        "{stderr}"
    );
    assert!(
        stderr.contains("ALERT posture.alert.aligned_share_drop"),
        "{stderr}"
    );
    let log = e.ok(&["audit", "log", "--limit", "100", "--json"]);
    assert!(log.contains("posture.alert.new_unaligned_source"));
    e.ok(&["audit", "verify"]);
    // The chart: one bar per day.
    let svg = e.path("posture.svg");
    e.ok(&[
        "dmarc",
        "report",
        "--no-rdns",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg") && text.trim_end().ends_with("</svg>"));
    assert_eq!(text.matches("<g><title>").count(), 29);
}

#[test]
fn sources_are_named_by_reverse_dns_and_service() {
    let e = Env::sqlite("rdns");
    let x = report_xml(
        "r.example",
        "r-1",
        0,
        &[
            ("192.0.2.1", 40, true),
            ("192.0.2.10", 30, true),
            ("192.0.2.99", 5, false),
        ],
    );
    std::fs::write(e.path("r.xml"), x).unwrap();
    e.ok(&["dmarc", "ingest", e.path("r.xml").to_str().unwrap()]);
    let zone = samples("posture.zone");
    let lines = e.json_lines(&["dmarc", "report", "--json", "--zone", &zone]);
    let source = |ip: &str| {
        lines
            .iter()
            .find(|l| l["source_ip"] == ip)
            .unwrap_or_else(|| panic!("{ip} not in {lines:?}"))
            .clone()
    };
    let sg = source("192.0.2.1");
    assert_eq!(sg["ptr"], "o1.ptr1234.sendgrid.net.");
    assert_eq!(sg["service"], "SendGrid (Twilio)");
    assert_eq!(sg["service_evidence"], "ptr");
    assert_eq!(source("192.0.2.10")["ptr"], "mx1.helpdesk.example.");
    assert_eq!(source("192.0.2.99")["ptr"], serde_json::Value::Null);
    // Cached in the store: shown without asking DNS again.
    let lines = e.json_lines(&["dmarc", "report", "--json", "--no-rdns"]);
    let cached = lines
        .iter()
        .find(|l| l["source_ip"] == "192.0.2.1")
        .unwrap();
    assert_eq!(cached["ptr"], "o1.ptr1234.sendgrid.net.");
    let table = e.ok(&["dmarc", "report", "--no-rdns"]);
    assert!(
        table.contains("SendGrid (Twilio)") && table.contains("UNALIGNED"),
        "{table}"
    );
}

#[test]
fn checks_on_zone_files() {
    let e = Env::sqlite("check");
    let zone = samples("posture.zone");
    let sound = e.json_lines(&[
        "dmarc",
        "check",
        "helpdesk.example",
        "--selector",
        "s2048",
        "--zone",
        &zone,
        "--json",
    ]);
    assert_eq!(sound[0]["findings"], serde_json::json!([]), "{}", sound[0]);
    assert_eq!(sound[0]["dkim"][0]["bits"], 2048);
    let weak = e.json_lines(&[
        "dmarc",
        "check",
        "legacy.example",
        "--selector",
        "old,gone",
        "--zone",
        &zone,
        "--json",
    ]);
    let codes: Vec<&str> = weak[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    for want in [
        "spf.too_many_lookups",
        "dmarc.policy_none",
        "dmarc.external_unauthorised",
        "dkim.short_key",
        "dkim.revoked",
        "mx.missing",
    ] {
        assert!(codes.contains(&want), "{want} missing: {codes:?}");
    }
    assert_eq!(weak[0]["spf"]["lookups"], 11);
    let table = e.ok(&["dmarc", "check", "reseller.example", "--zone", &zone]);
    assert!(table.contains("publishes 2 SPF records"), "{table}");
    // The bundled samples' organisation.
    let acme = e.json_lines(&[
        "dmarc",
        "check",
        "acme.example",
        "--selector",
        "sel1",
        "--zone",
        &samples("samples.zone"),
        "--json",
    ]);
    assert_eq!(acme[0]["spf"]["all"], "-all");
}

fn eml(name: &str) -> Vec<u8> {
    std::fs::read(corpus(name)).unwrap()
}

#[test]
fn maildir_messages_are_marked_once_processed() {
    let e = Env::sqlite("maildir");
    let md = countersign_mailbox::Maildir::create(e.path("Maildir")).unwrap();
    md.deliver(&eml("dmarc-parsedmarc-samples/aggregate/twilight.eml"))
        .unwrap();
    md.deliver(&eml(
        "dmarc-parsedmarc-samples/failure/dmarc_ruf_report_linkedin.eml",
    ))
    .unwrap();
    md.deliver(&eml(
        "dmarc-parsedmarc-samples/smtp_tls/google.com_smtp_tls_report.eml",
    ))
    .unwrap();
    md.deliver(b"From: a@b.example\r\nSubject: hello\r\n\r\njust a note\r\n")
        .unwrap();
    // A dry run reads and changes nothing.
    let out = e.run(&[
        "dmarc",
        "ingest",
        "--dry-run",
        "--maildir",
        e.path("Maildir").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "the note is not a report");
    assert_eq!(md.unseen(10).unwrap().len(), 4);
    let out = e.run(&[
        "dmarc",
        "ingest",
        "--json",
        "--maildir",
        e.path("Maildir").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "one message is not a report");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k != "none").count(),
        3,
        "{lines:?}"
    );
    // Nothing unseen is left; the note is flagged for a person.
    assert!(md.unseen(10).unwrap().is_empty());
    let flagged: Vec<_> = std::fs::read_dir(e.path("Maildir/cur"))
        .unwrap()
        .map(|d| d.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(":2,FS"))
        .collect();
    assert_eq!(flagged.len(), 1);
    // A second run finds nothing to do.
    let out = e.run(&[
        "dmarc",
        "ingest",
        "--maildir",
        e.path("Maildir").to_str().unwrap(),
    ]);
    assert!(out.status.success());
}

#[test]
fn imap_ingest_against_dovecot() {
    let (Ok(url), Ok(password)) = (
        std::env::var("COUNTERSIGN_TEST_IMAP_URL"),
        std::env::var("COUNTERSIGN_TEST_IMAP_PASSWORD"),
    ) else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "COUNTERSIGN_TEST_IMAP_URL is not set but CI is: the IMAP test must run in CI (scripts/dovecot.sh)"
            );
        }
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            b"SKIPPED: IMAP ingest test (set COUNTERSIGN_TEST_IMAP_* via scripts/dovecot.sh)\n",
        );
        return;
    };
    let e = Env::sqlite("imap");
    let folder = format!("dmarc-cli-{}", std::process::id());
    let base = url.rsplit_once('/').unwrap().0.to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let cfg = countersign_mailbox::ImapConfig::from_url(&url, password.clone(), None).unwrap();
        let mut mb = countersign_mailbox::ImapMailbox::connect(cfg).await.unwrap();
        mb.create(&folder).await.unwrap();
        for name in [
            "dmarc-parsedmarc-samples/aggregate/Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml",
            "dmarc-parsedmarc-samples/aggregate/mimecast-weird-gzip.eml",
            "dmarc-parsedmarc-samples/failure/exim_plain_text_only_no_arf_part.eml",
        ] {
            mb.append(&folder, &eml(name)).await.unwrap();
        }
        mb.logout().await.unwrap();
    });
    let folder_url = format!("{base}/{folder}");
    // The password never goes on the command line.
    let pw_file = e.path("imap.password");
    std::fs::write(&pw_file, format!("{password}\n")).unwrap();
    let done = format!("{folder}-done");
    let out = e.run(&[
        "dmarc",
        "ingest",
        "--json",
        "--imap",
        &folder_url,
        "--imap-password-file",
        pw_file.to_str().unwrap(),
        "--move-to",
        &done,
    ]);
    assert!(
        out.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert!(lines.iter().all(|l| l["status"] == "stored"), "{lines:?}");
    assert!(
        lines[0]["file"]
            .as_str()
            .unwrap()
            .starts_with(&format!("imap:{folder}/"))
    );
    // The messages moved; a second run has nothing to read.
    let out = e.run_env(
        &["dmarc", "ingest", "--json", "--imap", &folder_url],
        &[("COUNTERSIGN_IMAP_PASSWORD", &password)],
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).trim().is_empty());
    rt.block_on(async {
        let cfg = countersign_mailbox::ImapConfig::from_url(&url, password.clone(), None).unwrap();
        let mut mb = countersign_mailbox::ImapMailbox::connect(cfg)
            .await
            .unwrap();
        assert_eq!(mb.count(&done).await.unwrap(), 3);
        assert_eq!(mb.count(&folder).await.unwrap(), 0);
        mb.logout().await.unwrap();
    });
}

#[test]
fn usage_errors() {
    let e = Env::sqlite("usage");
    let out = e.run(&["dmarc", "ingest"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to ingest"));
    let out = e.run(&["dmarc", "ingest", "--imap", "imap://u@192.0.2.1/INBOX"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("COUNTERSIGN_IMAP_PASSWORD") || stderr.contains("refused"),
        "{stderr}"
    );
    let out = e.run_env(
        &["dmarc", "ingest", "--imap", "imap://u@192.0.2.1/INBOX"],
        &[("COUNTERSIGN_IMAP_PASSWORD", "x")],
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("plain IMAP to 192.0.2.1 is refused"));
    let _ = Path::new("");
}
