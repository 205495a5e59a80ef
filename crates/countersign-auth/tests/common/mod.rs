//! Shared plumbing for the conformance drivers: where the corpora live, how
//! a test zone becomes an offline resolver, and the pass-count tables.
//!
//! The corpora under `shared/corpora/` are other projects' files, read
//! unchanged. Every driver tallies its cases per suite and asserts at the end:
//! each applicable case passes, each exclusion is listed with its reason, and
//! an excluded case that starts passing is reported (so the table is pruned).

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use countersign_auth::{Authenticator, Envelope};
use countersign_dns::resolver::{DnsResolver, ResolverSettings};
use countersign_dns::zone::{RecordData, ZoneSet};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// authserv-id used by every driver (it is `%{r}` in SPF explanations).
pub const AUTHSERV_ID: &str = "countersign.test";

/// A known departure of one case from its suite: (test id, reason).
pub type Exclusion = (&'static str, &'static str);

/// The folder `shared/corpora/<rel>`, or a panic that says what is missing.
pub fn corpus(rel: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora")
        .join(rel);
    assert!(
        path.exists(),
        "conformance corpus `{rel}` is missing: expected it at {} \
         (the drivers read the shared corpora unchanged; check out `shared/` beside the repository)",
        path.display()
    );
    path
}

/// The bytes of `shared/corpora/<rel>`.
pub fn read(rel: &str) -> Vec<u8> {
    let path = corpus(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The text of `shared/corpora/<rel>` (must be UTF-8).
pub fn read_string(rel: &str) -> String {
    String::from_utf8(read(rel)).unwrap_or_else(|e| panic!("{rel} is not UTF-8: {e}"))
}

/// Sorted file names in `shared/corpora/<rel>` that end with `suffix`.
pub fn list(rel: &str, suffix: &str) -> Vec<String> {
    let dir = corpus(rel);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(suffix))
        .collect();
    names.sort();
    names
}

/// One TXT record holding `value`, cut into character-strings of at most 255 bytes.
pub fn txt(value: &[u8]) -> RecordData {
    RecordData::Txt(split_255(value))
}

/// `value` as character-strings of at most 255 bytes (one empty string for an empty value).
pub fn split_255(value: &[u8]) -> Vec<Vec<u8>> {
    if value.is_empty() {
        return vec![Vec::new()];
    }
    value.chunks(255).map(<[u8]>::to_vec).collect()
}

/// Resolver settings for offline runs: a short time-out so TIMEOUT cases finish fast.
pub fn settings() -> ResolverSettings {
    ResolverSettings {
        timeout: Duration::from_millis(300),
        attempts: 1,
        ..Default::default()
    }
}

/// An authenticator resolving through a loopback server for `zones`.
pub async fn authenticator(zones: ZoneSet) -> Authenticator {
    let resolver = DnsResolver::from_zones(zones, &settings())
        .await
        .expect("the loopback zone server starts");
    Authenticator::new(Arc::new(resolver), AUTHSERV_ID)
}

/// The envelope the DKIM and ARC drivers use: no HELO domain, null sender,
/// so SPF asks nothing and only the message is judged.
pub fn quiet_envelope() -> Envelope {
    Envelope::parse("192.0.2.1", "", "").expect("a valid envelope")
}

/// LF line ends to CRLF, leaving existing CRLF alone.
pub fn crlf(raw: &[u8]) -> Vec<u8> {
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

/// The reverse-mapping name of an address (`in-addr.arpa` / `ip6.arpa`).
pub fn reverse_name(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let mut name = String::with_capacity(72);
            for byte in v6.octets().iter().rev() {
                let _ = write!(name, "{:x}.{:x}.", byte & 0x0f, byte >> 4);
            }
            name.push_str("ip6.arpa");
            name
        }
    }
}

/// Pass counts of one suite.
pub struct Tally {
    suite: String,
    exclusions: &'static [Exclusion],
    total: usize,
    passed: usize,
    seen: BTreeSet<String>,
    /// Excluded cases that failed as the table says: (id, reason, what happened).
    excluded: Vec<(String, &'static str, String)>,
    /// Excluded cases that pass now: prune them from the table.
    excluded_but_passing: Vec<String>,
    /// Cases counted as passing although the suite expects otherwise: (id, reason).
    departures: Vec<(String, String)>,
    departure_kind: &'static str,
    failures: Vec<String>,
    notes: Vec<String>,
}

impl Tally {
    /// A tally for `suite` with its exclusion table.
    pub fn new(suite: impl Into<String>, exclusions: &'static [Exclusion]) -> Self {
        Self {
            suite: suite.into(),
            exclusions,
            total: 0,
            passed: 0,
            seen: BTreeSet::new(),
            excluded: Vec::new(),
            excluded_but_passing: Vec::new(),
            departures: Vec::new(),
            departure_kind: "departures",
            failures: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// Names the departures in the printed line (e.g. "RFC 8301 departures").
    pub fn with_departure_kind(mut self, kind: &'static str) -> Self {
        self.departure_kind = kind;
        self
    }

    fn exclusion(&self, id: &str) -> Option<&'static str> {
        self.exclusions
            .iter()
            .find(|(excluded, _)| *excluded == id)
            .map(|(_, reason)| *reason)
    }

    /// Records one case; `detail` says what happened, for the failure list.
    pub fn check(&mut self, id: &str, ok: bool, detail: impl FnOnce() -> String) {
        self.total += 1;
        assert!(
            self.seen.insert(id.to_string()),
            "{}: duplicate case id {id}",
            self.suite
        );
        match (ok, self.exclusion(id)) {
            (true, None) => self.passed += 1,
            (true, Some(_)) => {
                self.passed += 1;
                self.excluded_but_passing.push(id.to_string());
            }
            (false, Some(reason)) => self.excluded.push((id.to_string(), reason, detail())),
            (false, None) => self.failures.push(format!("{id}: {}", detail())),
        }
    }

    /// Records a failed case even if it is excluded (its exclusion does not cover what happened).
    pub fn fail(&mut self, id: &str, detail: String) {
        self.total += 1;
        self.seen.insert(id.to_string());
        self.failures.push(format!("{id}: {detail}"));
    }

    /// Records a case that passes in our terms although the suite expects
    /// another result, for a stated reason (printed with the table).
    pub fn depart(&mut self, id: &str, ok: bool, reason: String, detail: impl FnOnce() -> String) {
        self.check(id, ok, detail);
        if ok {
            self.departures.push((id.to_string(), reason));
        }
    }

    /// An informational line printed under the suite's count.
    pub fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }

    /// The one-line summary, e.g. `rfc7208-tests.yml: 201/203 pass, 2 excluded`.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{}: {}/{} pass, {} excluded",
            self.suite,
            self.passed,
            self.total,
            self.excluded.len()
        );
        if !self.departures.is_empty() {
            let _ = write!(line, " ({} {})", self.departures.len(), self.departure_kind);
        }
        if !self.excluded_but_passing.is_empty() {
            let _ = write!(
                line,
                ", {} excluded but now passing",
                self.excluded_but_passing.len()
            );
        }
        if !self.failures.is_empty() {
            let _ = write!(line, ", {} FAILED", self.failures.len());
        }
        line
    }

    /// Everything wrong with this suite's run (empty when it holds).
    fn problems(&self) -> Vec<String> {
        let mut problems: Vec<String> = self
            .failures
            .iter()
            .map(|f| format!("{}: FAILED {f}", self.suite))
            .collect();
        for id in &self.excluded_but_passing {
            problems.push(format!(
                "{}: {id} is excluded but passes now: remove it from the exclusion table",
                self.suite
            ));
        }
        for (id, _) in self.exclusions {
            if !self.seen.contains(*id) {
                problems.push(format!(
                    "{}: exclusion {id} matches no case of this suite",
                    self.suite
                ));
            }
        }
        problems
    }

    fn print(&self) {
        println!("{}", self.line());
        for (id, reason, detail) in &self.excluded {
            println!("    excluded {id}: {reason}\n        got: {detail}");
        }
        for (id, reason) in &self.departures {
            println!("    {} {id}: {reason}", self.departure_kind);
        }
        for note in &self.notes {
            println!("    note: {note}");
        }
        for failure in &self.failures {
            println!("    FAILED {failure}");
        }
        for id in &self.excluded_but_passing {
            println!("    EXCLUDED BUT NOW PASSING {id}");
        }
    }
}

/// Prints the table of `tallies` under `title` and fails the test on any problem.
pub fn finish(title: &str, tallies: &[Tally]) {
    println!("== {title}");
    for tally in tallies {
        tally.print();
    }
    let problems: Vec<String> = tallies.iter().flat_map(Tally::problems).collect();
    assert!(
        problems.is_empty(),
        "{title}: {} problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// A mail-auth resource file: TXT records (`name value` per line), a blank
/// line, then the message. Returns an authenticator serving those records
/// and the message with CRLF line ends.
#[allow(dead_code)] // Each test binary uses its own subset of these helpers.
pub async fn records_then_message(path: &str) -> (Authenticator, Vec<u8>) {
    let text = read_string(path);
    let (dns, message) = text
        .split_once("\n\n")
        .expect("DNS lines, blank line, message");
    let mut zones = ZoneSet::new();
    for line in dns.lines() {
        if let Some((name, value)) = line.split_once(' ') {
            zones.insert(name, 300, txt(value.as_bytes()));
        }
    }
    (authenticator(zones).await, crlf(message.as_bytes()))
}
