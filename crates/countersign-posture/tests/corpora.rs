//! The report corpora under `shared/corpora`, read unchanged:
//!
//! - parsedmarc's samples: every aggregate report (XML, gzip, zip, e-mail)
//!   parses, the broken ones with the recovery noted; the empty file is
//!   refused with a clear error; the same report as XML, gzip and zip reads
//!   the same; the failure reports (ARF, and an Exim plain-text one) and
//!   the SMTP TLS reports are recognised;
//! - Mail::DMARC's RUA fixtures (XML, gzip, and a zip whose entry has an
//!   empty name);
//! - mail-auth's report resources: aggregate reports compared field by field
//!   with their expected JSON, ARF and TLS-RPT likewise.
//!
//! Run with `cargo test -p countersign-posture --test corpora -- --nocapture`
//! for the pass-count tables.

use countersign_posture::{
    AggregateError, AggregateReader, ExtractError, ExtractLimits, FailureReport, Found,
    ReportHeader, ReportSummary, TlsReportSummary, extract,
};
use countersign_posture::{Aligned, AlignmentMode, Disposition, Policy, Record};
use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};

fn corpus(rel: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpora")
        .join(rel);
    assert!(
        path.exists(),
        "corpus `{rel}` is missing: expected it at {}",
        path.display()
    );
    path
}

fn files(rel: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(corpus(rel))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    out.sort();
    out
}

#[derive(Debug)]
#[allow(clippy::large_enum_variant)] // test data, never moved in bulk
enum Outcome {
    Aggregate {
        header: ReportHeader,
        records: Vec<Record>,
        summary: ReportSummary,
        via: Vec<&'static str>,
    },
    Failure(Box<FailureReport>),
    Tls(Box<TlsReportSummary>),
}

#[derive(Debug, thiserror::Error)]
enum Error {
    #[error(transparent)]
    Extract(#[from] ExtractError),
    #[error(transparent)]
    Aggregate(#[from] AggregateError),
}

/// Everything in one file, or the error as the CLI would print it.
fn read(path: &Path) -> Result<Vec<Outcome>, String> {
    let file = File::open(path).unwrap();
    let mut out = Vec::new();
    let result = extract(
        BufReader::new(file),
        &ExtractLimits::default(),
        &mut |found: Found<'_>| -> Result<(), Error> {
            match found {
                Found::Aggregate { xml, via } => {
                    let mut reader = AggregateReader::new(xml);
                    let header = reader.header()?.clone();
                    let mut records = Vec::new();
                    while let Some(r) = reader.next_record()? {
                        records.push(r);
                    }
                    let summary = reader.finish()?;
                    out.push(Outcome::Aggregate {
                        header,
                        records,
                        summary,
                        via,
                    });
                }
                Found::Failure { report, .. } => out.push(Outcome::Failure(report)),
                Found::Tls { report, .. } => out.push(Outcome::Tls(report)),
            }
            Ok(())
        },
    );
    let name = path.file_name().unwrap().to_string_lossy();
    result.map_err(|e| format!("{name}: {e}"))?;
    Ok(out)
}

fn single_aggregate(path: &Path) -> (ReportHeader, Vec<Record>, ReportSummary) {
    let mut out = read(path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(out.len(), 1, "{}", path.display());
    match out.remove(0) {
        Outcome::Aggregate {
            header,
            records,
            summary,
            ..
        } => (header, records, summary),
        other => panic!(
            "{}: expected an aggregate report, got {other:?}",
            path.display()
        ),
    }
}

fn table(suite: &str, pass: usize, total: usize, failures: &[String]) {
    // A line of its own: the quiet test harness prints its dots before it.
    println!("\n{suite}: {pass}/{total} pass");
    for f in failures {
        println!("  FAIL {f}");
    }
}

#[test]
fn parsedmarc_aggregate_samples_all_parse() {
    let mut pass = 0;
    let mut failures = Vec::new();
    let all = files("dmarc-parsedmarc-samples/aggregate");
    for path in &all {
        match read(path) {
            Ok(found) => {
                let ok = found.iter().any(|o| {
                    matches!(o, Outcome::Aggregate { header, records, .. }
                        if !header.metadata.report_id.is_empty() && !records.is_empty())
                });
                if ok {
                    pass += 1;
                } else {
                    failures.push(format!(
                        "{}: no aggregate report with records",
                        path.display()
                    ));
                }
            }
            Err(e) => failures.push(e),
        }
    }
    table(
        "dmarc-parsedmarc-samples/aggregate",
        pass,
        all.len(),
        &failures,
    );
    assert!(failures.is_empty());
    assert_eq!(all.len(), 19, "the corpus has 19 aggregate samples");
}

#[test]
fn parsedmarc_spot_checks() {
    let dir = corpus("dmarc-parsedmarc-samples/aggregate");
    let (h, records, _) =
        single_aggregate(&dir.join("protection.outlook.com!example.com!1711756800!1711843200.xml"));
    assert_eq!(h.metadata.org_name, "Outlook.com");
    assert!(!records.is_empty());

    let found = read(&dir.join(
        "Report domain- borschow.com Submitter- google.com Report-ID- 949348866075514174.eml",
    ))
    .unwrap();
    match &found[0] {
        Outcome::Aggregate { header, via, .. } => {
            assert_eq!(header.metadata.org_name, "google.com");
            assert_eq!(header.metadata.report_id, "949348866075514174");
            assert_eq!(via, &["mail", "zip", "xml"]);
        }
        other => panic!("{other:?}"),
    }

    let (h, records, _) = single_aggregate(&dir.join("rfc9990-sample.xml"));
    assert!(h.dmarcbis);
    assert_eq!(h.policy.np, Some(Policy::None));
    assert_eq!(h.policy.testing, Some(false));
    assert_eq!(
        h.policy.discovery_method,
        Some(countersign_posture::DiscoveryMethod::Treewalk)
    );
    assert_eq!(records[0].disposition, Disposition::Pass);

    // Recovered, and the recovery is on record.
    let (h, records, summary) = single_aggregate(&dir.join("invalid_xml.xml"));
    assert_eq!(h.metadata.email, "<bad-xml@bad-xml.net>");
    assert_eq!(records[0].header_from, "bad<xml.net");
    assert!(
        summary
            .warnings
            .iter()
            .any(|w| w.message.contains("unescaped '<'"))
    );
    let (_, records, summary) = single_aggregate(&dir.join("invalid_utf_8.xml"));
    assert_eq!(records[0].header_from, "bad_byte\u{FFFD}");
    assert!(
        summary.warnings[0].message.contains("not UTF-8"),
        "{:?}",
        summary.warnings
    );

    let (_, records, summary) = single_aggregate(&dir.join("empty_reason.xml"));
    assert!(
        records[0].reasons.is_empty(),
        "an empty <reason> says nothing"
    );
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);

    let (h, records, summary) =
        single_aggregate(&dir.join("!large-example.com!1711897200!1711983600.xml"));
    assert_eq!(h.metadata.report_id, "example.com:1711897200");
    assert_eq!(records.len(), 2286);
    assert_eq!(summary.volume.records, 2286);
}

#[test]
fn upper_case_values_are_normalised() {
    let (_, records, summary) = single_aggregate(&corpus(
        "dmarc-parsedmarc-samples/aggregate_invalid/report_with_upper_cased_pass.xml",
    ));
    assert_eq!(records[0].dkim, Aligned::Pass);
    assert_eq!(records[0].spf, Aligned::Pass);
    assert_eq!(records[0].disposition, Disposition::None);
    assert_eq!(
        records[0].dkim_auth[0].result,
        countersign_posture::DkimResult::Pass
    );
    assert!(summary.warnings.is_empty());
    println!("\ndmarc-parsedmarc-samples/aggregate_invalid: 1/1 pass");
}

#[test]
fn empty_file_is_refused_with_its_name() {
    let e = read(&corpus("dmarc-parsedmarc-samples/empty.xml")).unwrap_err();
    assert_eq!(e, "empty.xml: the input is empty");
    println!("\ndmarc-parsedmarc-samples/empty.xml: 1/1 pass (refused: {e})");
}

#[test]
fn same_report_in_every_container_reads_the_same() {
    let dir = corpus("dmarc-parsedmarc-samples/extract_report");
    let plain = single_aggregate(&dir.join("nice-input.xml"));
    let mut pass = 1;
    for name in ["nice-input.xml.gz", "nice-input.xml.zip"] {
        let other = single_aggregate(&dir.join(name));
        assert_eq!(plain.0, other.0, "{name}");
        assert_eq!(plain.1, other.1, "{name}");
        pass += 1;
    }
    let changed = single_aggregate(&dir.join("changed-input.xml"));
    assert_ne!((plain.0, plain.1), (changed.0, changed.1));
    pass += 1;
    table("dmarc-parsedmarc-samples/extract_report", pass, 4, &[]);
}

#[test]
fn failure_reports_are_recognised() {
    let all = files("dmarc-parsedmarc-samples/failure");
    let mut pass = 0;
    let mut failures = Vec::new();
    for path in &all {
        match read(path) {
            Ok(found) => match found.as_slice() {
                [Outcome::Failure(r)] if r.feedback_type == "auth-failure" => pass += 1,
                other => failures.push(format!("{}: {other:?}", path.display())),
            },
            Err(e) => failures.push(e),
        }
    }
    table(
        "dmarc-parsedmarc-samples/failure",
        pass,
        all.len(),
        &failures,
    );
    assert!(failures.is_empty());

    let dir = corpus("dmarc-parsedmarc-samples/failure");
    let Outcome::Failure(exim) = read(&dir.join("exim_plain_text_only_no_arf_part.eml"))
        .unwrap()
        .remove(0)
    else {
        panic!()
    };
    assert!(exim.plain_text);
    assert_eq!(exim.source_ip, Some("203.0.113.68".parse().unwrap()));
    assert_eq!(exim.reported_domain.as_deref(), Some("example.com"));
    assert_eq!(
        exim.original_subject.as_deref(),
        Some("Payment from your account.")
    );

    let Outcome::Failure(li) = read(&dir.join("dmarc_ruf_report_linkedin.eml"))
        .unwrap()
        .remove(0)
    else {
        panic!()
    };
    let Outcome::Failure(li_crlf) = read(&dir.join("dmarc_ruf_report_linkedin.crlf.eml"))
        .unwrap()
        .remove(0)
    else {
        panic!()
    };
    assert!(!li.plain_text);
    assert!(li.source_ip.is_some());
    assert_eq!(li.source_ip, li_crlf.source_ip);
    assert_eq!(li.reported_domain, li_crlf.reported_domain);
}

#[test]
fn smtp_tls_reports_are_recognised() {
    let all = files("dmarc-parsedmarc-samples/smtp_tls");
    let mut pass = 0;
    let mut failures = Vec::new();
    for path in &all {
        match read(path) {
            Ok(found) => match found.as_slice() {
                [Outcome::Tls(r)] if !r.policies.is_empty() && r.begin > 0 => pass += 1,
                other => failures.push(format!("{}: {other:?}", path.display())),
            },
            Err(e) => failures.push(e),
        }
    }
    table(
        "dmarc-parsedmarc-samples/smtp_tls",
        pass,
        all.len(),
        &failures,
    );
    assert!(failures.is_empty());
    let Outcome::Tls(r) = read(&corpus("dmarc-parsedmarc-samples/smtp_tls/rfc8460.json"))
        .unwrap()
        .remove(0)
    else {
        panic!()
    };
    assert_eq!(r.organization, "Company-X");
    assert_eq!(r.totals(), (5326, 303));
}

#[test]
fn mail_dmarc_rua_fixtures() {
    let dir = corpus("dmarc-rua-schema-and-fixtures-mail-dmarc");
    let names = ["test_dmarc.xml", "test_dmarc.xml.gz", "test_dmarc.xml.zip"];
    let plain = single_aggregate(&dir.join(names[0]));
    assert_eq!(plain.0.metadata.org_name, "Test Sender");
    assert_eq!(plain.0.metadata.report_id, "1234567890");
    assert_eq!(plain.0.policy.domain, "example.com");
    assert_eq!(plain.0.policy.pct, Some(100));
    assert_eq!(plain.0.policy.adkim, Some(AlignmentMode::Relaxed));
    assert_eq!(plain.1.len(), 1);
    assert_eq!(plain.1[0].source_ip.to_string(), "1.2.3.4");
    assert_eq!(plain.1[0].dkim_auth[0].selector.as_deref(), Some("default"));
    let mut pass = 1;
    for name in &names[1..] {
        let other = single_aggregate(&dir.join(name));
        assert_eq!(plain.0, other.0, "{name}");
        assert_eq!(plain.1, other.1, "{name}");
        pass += 1;
    }
    table(
        "dmarc-rua-schema-and-fixtures-mail-dmarc",
        pass,
        names.len(),
        &[],
    );
}

/// mail-auth's expected JSON uses its own enum names; map ours onto them.
fn mode(m: Option<AlignmentMode>) -> &'static str {
    match m {
        Some(AlignmentMode::Relaxed) => "Relaxed",
        Some(AlignmentMode::Strict) => "Strict",
        _ => "Unspecified",
    }
}

fn policy(p: Option<Policy>) -> &'static str {
    match p {
        Some(Policy::None) => "None",
        Some(Policy::Quarantine) => "Quarantine",
        Some(Policy::Reject) => "Reject",
        _ => "Unspecified",
    }
}

fn camel(word: &str) -> String {
    match word {
        "temperror" => "TempError".into(),
        "permerror" => "PermError".into(),
        "softfail" => "SoftFail".into(),
        "mfrom" => "MailFrom".into(),
        w => {
            let mut c = w.chars();
            c.next()
                .map(|f| f.to_uppercase().chain(c).collect())
                .unwrap_or_default()
        }
    }
}

fn compare_with_expected(
    header: &ReportHeader,
    records: &[Record],
    want: &serde_json::Value,
) -> Vec<String> {
    let diffs = std::cell::RefCell::new(Vec::new());
    let check = |what: &str, got: String, want: &serde_json::Value| {
        let want = match want {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        if got != want {
            diffs
                .borrow_mut()
                .push(format!("{what}: got {got:?}, expected {want:?}"));
        }
    };
    let md = &want["report_metadata"];
    check(
        "org_name",
        header.metadata.org_name.clone(),
        &md["org_name"],
    );
    check("email", header.metadata.email.clone(), &md["email"]);
    check(
        "report_id",
        header.metadata.report_id.clone(),
        &md["report_id"],
    );
    check(
        "begin",
        header.metadata.begin.to_string(),
        &md["date_range"]["begin"],
    );
    check(
        "end",
        header.metadata.end.to_string(),
        &md["date_range"]["end"],
    );
    let pp = &want["policy_published"];
    check("domain", header.policy.domain.clone(), &pp["domain"]);
    check("adkim", mode(header.policy.adkim).into(), &pp["adkim"]);
    check("aspf", mode(header.policy.aspf).into(), &pp["aspf"]);
    check("p", policy(header.policy.p).into(), &pp["p"]);
    check("sp", policy(header.policy.sp).into(), &pp["sp"]);
    // Expectations written before DMARCbis have no `np` at all.
    let np_unspecified = serde_json::json!("Unspecified");
    let want_np = pp.get("np").unwrap_or(&np_unspecified);
    check("np", policy(header.policy.np).into(), want_np);
    let want_records = want["record"].as_array().unwrap();
    if want_records.len() != records.len() {
        diffs.borrow_mut().push(format!(
            "records: got {}, expected {}",
            records.len(),
            want_records.len()
        ));
        return diffs.into_inner();
    }
    for (i, (r, w)) in records.iter().zip(want_records).enumerate() {
        let row = &w["row"];
        check(
            &format!("record {i} source_ip"),
            r.source_ip.to_string(),
            &row["source_ip"],
        );
        check(
            &format!("record {i} count"),
            r.count.to_string(),
            &row["count"],
        );
        let pe = &row["policy_evaluated"];
        check(
            &format!("record {i} disposition"),
            camel(r.disposition.as_str()),
            &pe["disposition"],
        );
        check(
            &format!("record {i} dkim"),
            camel(r.dkim.as_str()),
            &pe["dkim"],
        );
        check(
            &format!("record {i} spf"),
            camel(r.spf.as_str()),
            &pe["spf"],
        );
        let ids = &w["identifiers"];
        check(
            &format!("record {i} header_from"),
            r.header_from.clone(),
            &ids["header_from"],
        );
        check(
            &format!("record {i} envelope_from"),
            r.envelope_from.clone().unwrap_or_default(),
            &ids["envelope_from"],
        );
        let auth = &w["auth_results"];
        let wd = auth["dkim"].as_array().unwrap();
        let ws = auth["spf"].as_array().unwrap();
        if wd.len() != r.dkim_auth.len() || ws.len() != r.spf_auth.len() {
            diffs
                .borrow_mut()
                .push(format!("record {i}: auth result counts differ"));
            continue;
        }
        for (d, wd) in r.dkim_auth.iter().zip(wd) {
            check(
                &format!("record {i} dkim domain"),
                d.domain.clone(),
                &wd["domain"],
            );
            check(
                &format!("record {i} dkim selector"),
                d.selector.clone().unwrap_or_default(),
                &wd["selector"],
            );
            check(
                &format!("record {i} dkim result"),
                camel(d.result.as_str()),
                &wd["result"],
            );
        }
        for (s, ws) in r.spf_auth.iter().zip(ws) {
            check(
                &format!("record {i} spf domain"),
                s.domain.clone(),
                &ws["domain"],
            );
            check(
                &format!("record {i} spf scope"),
                s.scope.map_or("Unspecified".into(), |x| camel(x.as_str())),
                &ws["scope"],
            );
            check(
                &format!("record {i} spf result"),
                camel(s.result.as_str()),
                &ws["result"],
            );
        }
    }
    diffs.into_inner()
}

#[test]
fn mail_auth_aggregate_resources_match_their_expected_json() {
    let dir = corpus("stalwartlabs-mail-auth/resources/dmarc-feedback");
    let mut total = 0;
    let mut pass = 0;
    let mut failures = Vec::new();
    for path in files("stalwartlabs-mail-auth/resources/dmarc-feedback") {
        let ext = path.extension().unwrap().to_string_lossy().to_string();
        if ext == "json" {
            continue;
        }
        total += 1;
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let want: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{stem}.json"))).unwrap())
                .unwrap();
        match read(&path) {
            Ok(mut found) if found.len() == 1 => match found.remove(0) {
                Outcome::Aggregate {
                    header, records, ..
                } => {
                    let diffs = compare_with_expected(&header, &records, &want);
                    if diffs.is_empty() {
                        pass += 1;
                    } else {
                        failures.push(format!("{stem}.{ext}: {}", diffs.join("; ")));
                    }
                }
                other => failures.push(format!("{stem}.{ext}: {other:?}")),
            },
            Ok(found) => failures.push(format!("{stem}.{ext}: {} reports", found.len())),
            Err(e) => failures.push(e),
        }
    }
    table(
        "stalwartlabs-mail-auth/dmarc-feedback",
        pass,
        total,
        &failures,
    );
    assert!(failures.is_empty());
    assert_eq!(total, 10);
}

#[test]
fn mail_auth_arf_resources_match_their_expected_json() {
    let dir = corpus("stalwartlabs-mail-auth/resources/arf");
    let mut total = 0;
    let mut pass = 0;
    let mut failures = Vec::new();
    for path in files("stalwartlabs-mail-auth/resources/arf") {
        if path.extension().unwrap() != "eml" {
            continue;
        }
        total += 1;
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let want: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{stem}.json"))).unwrap())
                .unwrap();
        let raw = std::fs::read(&path).unwrap();
        let Some(got) = countersign_posture::parse_failure(&raw) else {
            failures.push(format!("{stem}.eml: not recognised"));
            continue;
        };
        let mut diffs = Vec::new();
        let want_type = want["feedback_type"].as_str().unwrap().to_ascii_lowercase();
        let got_type = got.feedback_type.replace('-', "");
        if got_type != want_type {
            diffs.push(format!("feedback_type {got_type} vs {want_type}"));
        }
        let want_ip = want["source_ip"].as_str().map(str::to_owned);
        if got.source_ip.map(|i| i.to_string()) != want_ip {
            diffs.push(format!("source_ip {:?} vs {want_ip:?}", got.source_ip));
        }
        let want_domain = want["reported_domain"]
            .as_array()
            .and_then(|a| a.first())
            .and_then(|v| v.as_str())
            .map(str::to_ascii_lowercase);
        if got.reported_domain != want_domain {
            diffs.push(format!(
                "reported_domain {:?} vs {want_domain:?}",
                got.reported_domain
            ));
        }
        if got.incidents as u64 != want["incidents"].as_u64().unwrap() {
            diffs.push("incidents".into());
        }
        if diffs.is_empty() {
            pass += 1;
        } else {
            failures.push(format!("{stem}.eml: {}", diffs.join("; ")));
        }
    }
    table("stalwartlabs-mail-auth/arf", pass, total, &failures);
    assert!(failures.is_empty());
}

#[test]
fn mail_auth_tlsrpt_resources_match_their_expected_json() {
    let dir = corpus("stalwartlabs-mail-auth/resources/tlsrpt");
    let mut total = 0;
    let mut pass = 0;
    let mut failures = Vec::new();
    for path in files("stalwartlabs-mail-auth/resources/tlsrpt") {
        let stem = path.file_stem().unwrap().to_string_lossy().to_string();
        let expected = dir.join(format!("{stem}.json"));
        // rptNN.json is the expectation for rptNN.eml, and is itself a report.
        total += 1;
        let want: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&expected).unwrap()).unwrap();
        match read(&path) {
            Ok(found) => match found.as_slice() {
                [Outcome::Tls(r)] => {
                    let want_id = want["report-id"].as_str().unwrap_or_default();
                    let want_policies = want["policies"].as_array().map_or(0, Vec::len);
                    if r.report_id == want_id && r.policies.len() == want_policies {
                        pass += 1;
                    } else {
                        failures.push(format!("{}: differs from {stem}.json", path.display()));
                    }
                }
                other => failures.push(format!("{}: {other:?}", path.display())),
            },
            Err(e) => failures.push(e),
        }
    }
    table("stalwartlabs-mail-auth/tlsrpt", pass, total, &failures);
    assert!(failures.is_empty());
}
