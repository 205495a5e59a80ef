//! End-to-end tests of `countersign directory` and `countersign audit`: the
//! built binary against a fresh SQLite file, and against PostgreSQL when
//! `COUNTERSIGN_TEST_PG_URL` is set (see `scripts/postgres.sh`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Env {
    db: String,
    dir: PathBuf,
}

impl Env {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_countersign"))
            .args(args)
            .env("COUNTERSIGN_DB", &self.db)
            .env("COUNTERSIGN_AUDIT_KEY", self.dir.join("audit.key"))
            .env_remove("COUNTERSIGN_ACTOR")
            .output()
            .expect("run countersign")
    }

    /// Runs and expects success; returns stdout.
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

    /// Runs and expects failure; returns stderr.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            !out.status.success(),
            "countersign {args:?} unexpectedly succeeded: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    fn write(&self, name: &str, text: &str) -> String {
        let p = self.dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    /// Everything an observer could see: the snapshot, the requests and the log length.
    fn state(&self) -> (String, String, String) {
        let snap = self.ok(&["directory", "export", "--format", "json"]);
        let snap: serde_json::Value = serde_json::from_str(&snap).unwrap();
        let mut snap = snap;
        snap.as_object_mut().unwrap().remove("exported_at");
        let reqs = self.ok(&["directory", "list", "requests", "--json"]);
        let log = self.ok(&["audit", "log", "--limit", "1", "--json"]);
        (snap.to_string(), reqs, log)
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("cs-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sqlite(name: &str) -> Env {
    let dir = temp_dir(&format!("sqlite-{name}"));
    Env {
        db: dir.join("countersign.db").display().to_string(),
        dir,
    }
}

fn postgres(name: &str) -> Option<Env> {
    let Ok(base) = std::env::var("COUNTERSIGN_TEST_PG_URL") else {
        if std::env::var_os("CI").is_some() {
            panic!(
                "COUNTERSIGN_TEST_PG_URL is not set but CI is: PostgreSQL tests must run in CI (see scripts/postgres.sh)"
            );
        }
        // Written straight to stderr, past the test harness's capture, so the
        // skip is visible even though the test passes.
        let _ = std::io::Write::write_all(
            &mut std::io::stderr(),
            format!("SKIPPED: PostgreSQL tests (set COUNTERSIGN_TEST_PG_URL, see scripts/postgres.sh) [{name}]\n").as_bytes(),
        );
        return None;
    };
    let db = format!("cs_cli_{name}_{}", std::process::id());
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
    Some(Env {
        db: format!("{prefix}/{db}"),
        dir: temp_dir(&format!("pg-{name}")),
    })
}

fn bootstrap(e: &Env) {
    e.ok(&[
        "directory",
        "init",
        "--org-name",
        "Example",
        "--org-domain",
        "example.com",
        "--staff-id",
        "A1",
        "--name",
        "Alice Admin",
        "--email",
        "alice@example.com",
        "--phone",
        "+44 20 7946 0001",
    ]);
    e.ok(&[
        "directory",
        "init",
        "--staff-id",
        "A2",
        "--name",
        "Bob Admin",
        "--email",
        "bob@example.com",
        "--phone",
        "+44 20 7946 0002",
    ]);
    e.ok(&[
        "directory",
        "--actor",
        "A1",
        "add",
        "vendor",
        "--id",
        "acme",
        "--name",
        "Acme Corp",
        "--domain",
        "acme.example",
        "--privileged",
        "--relationship-manager",
        "A1",
        "--reason",
        "new MSP",
    ]);
    e.ok(&[
        "directory",
        "--actor",
        "A2",
        "approve",
        "1",
        "--reason",
        "contract checked",
    ]);
}

fn full_flow(e: &Env) {
    bootstrap(e);
    let err = e.fails(&[
        "directory",
        "init",
        "--staff-id",
        "A3",
        "--name",
        "C",
        "--email",
        "c@example.com",
        "--phone",
        "+44 20 7946 0003",
    ]);
    assert!(err.contains("bootstrap refused"), "{err}");
    // A change approved by its own author is refused and changes nothing.
    e.ok(&[
        "directory",
        "--actor",
        "A2",
        "add",
        "staff",
        "--staff-id",
        "S1",
        "--name",
        "Sam Analyst",
        "--email",
        "sam@example.com",
        "--phone",
        "+44 20 7946 0100",
        "--role",
        "analyst",
        "--photo",
        "https://intranet.example.com/sam.jpg",
        "--reason",
        "new hire",
    ]);
    let before = e.state();
    let err = e.fails(&[
        "directory",
        "--actor",
        "A2",
        "approve",
        "2",
        "--reason",
        "mine",
    ]);
    assert!(
        err.contains("cannot be approved by its own author A2"),
        "{err}"
    );
    assert_eq!(e.state(), before);
    e.ok(&[
        "directory",
        "--actor",
        "A1",
        "approve",
        "2",
        "--reason",
        "HR confirmed",
    ]);
    // Bulk CSV import becomes one pending request; pending numbers are not used.
    let csv = e.write(
        "contacts.csv",
        "vendor,name,email,phones,role\nacme,Vera Vendor,vera@acme.example,+1 555 010 0200,account manager\nacme,Ned,ned@acme.example,+1 555 010 0201;+1 555 010 0202,engineer\n",
    );
    let out = e.ok(&[
        "directory",
        "--actor",
        "S1",
        "import",
        "--format",
        "csv",
        "--kind",
        "contacts",
        &csv,
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = v["change_request"].as_i64().unwrap().to_string();
    assert_eq!(v["changes"], 2);
    let err = e.fails(&["directory", "callback-numbers", "acme"]);
    assert!(err.contains("no active contact"), "{err}");
    e.ok(&[
        "directory",
        "--actor",
        "A1",
        "approve",
        &id,
        "--reason",
        "verified with vendor",
    ]);
    let out = e.ok(&["directory", "callback-numbers", "acme", "--json"]);
    let nums: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(nums.as_array().unwrap().len(), 3);
    // Tables on request, JSON for scripts.
    let table = e.ok(&["directory", "list", "staff"]);
    assert!(table.starts_with("STAFF ID"), "{table}");
    assert!(table.contains("Sam Analyst"));
    // Review, overdue (none), personnel change makes the review due at once.
    e.ok(&["directory", "overdue"]);
    e.ok(&[
        "directory",
        "--actor",
        "A1",
        "set-status",
        "contact",
        "acme/ned@acme.example",
        "departed",
        "--reason",
        "left Acme",
    ]);
    let out = e.run(&["directory", "overdue", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"acme\""));
    let err = e.fails(&["directory", "callback-numbers", "acme"]);
    assert!(err.contains("review overdue"), "{err}");
    e.ok(&[
        "directory",
        "--actor",
        "A1",
        "review",
        "acme",
        "--notes",
        "contacts re-confirmed",
    ]);
    e.ok(&["directory", "overdue"]);
    // Export, re-import into a fresh database: nothing to do after approval.
    let snap_path = e.dir.join("snapshot.json").display().to_string();
    e.ok(&[
        "directory",
        "export",
        "--format",
        "json",
        "--output",
        &snap_path,
    ]);
    let out = e.ok(&[
        "directory",
        "--actor",
        "A1",
        "import",
        "--format",
        "json",
        &snap_path,
    ]);
    assert!(out.contains("nothing to import"), "{out}");
    // The audit log is intact, exports as JSON lines, and names every act.
    let out = e.ok(&["audit", "verify"]);
    assert!(out.contains("audit log intact"), "{out}");
    let lines = e.ok(&["audit", "export"]);
    let entries: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(entries.iter().any(|x| x["action"] == "change.approve"
        && x["actor"] == "A1"
        && x["details"]["reason"] == "HR confirmed"));
    assert!(
        entries
            .iter()
            .any(|x| x["action"] == "directory.review" && x["subject"] == "vendor:acme")
    );
    assert!(
        entries
            .iter()
            .any(|x| x["action"] == "directory.status" && x["details"]["reason"] == "left Acme")
    );
    assert_eq!(entries.last().unwrap()["seq"], entries.len());
    let pk = e.ok(&["audit", "public-key"]);
    let pk = pk.split_whitespace().next().unwrap();
    e.ok(&["audit", "verify", "--public-key", pk]);
}

fn bad_input(e: &Env) {
    bootstrap(e);
    let before = e.state();
    let malformed = e.write("bad.csv", "vendor,name,email,phones\nacme,A,a@acme.example,+15550100200\nacme,\"B,b@acme.example,+15550100201\n");
    let err = e.fails(&[
        "directory",
        "--actor",
        "A1",
        "import",
        "--format",
        "csv",
        "--kind",
        "contacts",
        &malformed,
    ]);
    assert!(
        err.contains("import rejected") && err.contains("line 3"),
        "{err}"
    );
    let unknown = e.write("unknown.csv", "vendor,name,email,phones\nacme,A,a@acme.example,+15550100200\nnosuch,B,b@nosuch.example,+15550100201\n");
    let err = e.fails(&[
        "directory",
        "--actor",
        "A1",
        "import",
        "--format",
        "csv",
        "--kind",
        "contacts",
        &unknown,
    ]);
    assert!(
        err.contains("line 3, field vendor: unknown vendor \"nosuch\""),
        "{err}"
    );
    let typo = e.write("typo.csv", "vendor,name,emial,phones\n");
    let err = e.fails(&[
        "directory",
        "--actor",
        "A1",
        "import",
        "--format",
        "csv",
        "--kind",
        "contacts",
        &typo,
    ]);
    assert!(err.contains("line 1: unknown column \"emial\""), "{err}");
    let err = e.fails(&[
        "directory",
        "--actor",
        "A1",
        "add",
        "contact",
        "--vendor",
        "nosuch",
        "--name",
        "X",
        "--email",
        "x@nosuch.example",
        "--phone",
        "+15550100200",
        "--reason",
        "x",
    ]);
    assert!(err.contains("unknown vendor \"nosuch\""), "{err}");
    let err = e.fails(&[
        "directory",
        "--actor",
        "A1",
        "add",
        "staff",
        "--staff-id",
        "A2",
        "--name",
        "Dup",
        "--email",
        "d@example.com",
        "--phone",
        "+442079460009",
        "--role",
        "analyst",
        "--reason",
        "x",
    ]);
    assert!(err.contains("duplicate staff ID \"A2\""), "{err}");
    let err = e.fails(&[
        "directory",
        "--actor",
        "mallory",
        "add",
        "forwarder",
        "--domain",
        "lists.example.org",
        "--reason",
        "x",
    ]);
    assert!(err.contains("unknown actor \"mallory\""), "{err}");
    let bad_json = e.write(
        "bad.json",
        "{\n  \"format\": \"countersign-directory/1\",\n  \"vendors\": [ { \"id\": \"x\" }\n}\n",
    );
    let err = e.fails(&[
        "directory",
        "--actor",
        "A1",
        "import",
        "--format",
        "json",
        &bad_json,
    ]);
    assert!(err.contains("line "), "{err}");
    assert_eq!(e.state(), before, "bad input changed something");
}

fn tamper(e: &Env) {
    bootstrap(e);
    e.ok(&["audit", "verify"]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let store = countersign_store::Store::open(&e.db).await.unwrap();
        let drop = if e.db.starts_with("postgres") {
            "DROP TRIGGER audit_entries_no_update ON audit_entries"
        } else {
            "DROP TRIGGER audit_entries_no_update"
        };
        store.execute_raw(drop).await.unwrap();
        store.execute_raw("UPDATE audit_entries SET details = '{\"reason\":\"nothing to see\"}' WHERE seq = 3").await.unwrap();
        store.close().await;
    });
    let out = e.run(&["audit", "verify"]);
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("BROKEN at entry 3"), "{err}");
}

fn key_file_is_private(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(dir.join("audit.key"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn sqlite_full_flow() {
    let e = sqlite("flow");
    full_flow(&e);
    key_file_is_private(&e.dir);
}

#[test]
fn sqlite_bad_input_changes_nothing() {
    bad_input(&sqlite("bad"));
}

#[test]
fn sqlite_tampering_is_reported() {
    tamper(&sqlite("tamper"));
}

#[test]
fn sqlite_database_created_on_first_use_at_default_path() {
    let dir = temp_dir("default-path");
    let out = Command::new(env!("CARGO_BIN_EXE_countersign"))
        .args(["directory", "list", "vendors", "--json"])
        .current_dir(&dir)
        .env_remove("COUNTERSIGN_DB")
        .env_remove("COUNTERSIGN_AUDIT_KEY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("countersign.db").exists());
    assert!(dir.join("countersign-audit.key").exists());
}

#[test]
fn postgres_full_flow() {
    if let Some(e) = postgres("flow") {
        full_flow(&e);
    }
}

#[test]
fn postgres_bad_input_changes_nothing() {
    if let Some(e) = postgres("bad") {
        bad_input(&e);
    }
}

#[test]
fn postgres_tampering_is_reported() {
    if let Some(e) = postgres("tamper") {
        tamper(&e);
    }
}
