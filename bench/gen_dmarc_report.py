#!/usr/bin/env python3
"""Deterministic synthetic DMARC aggregate reports for the benchmark.

    gen_dmarc_report.py RECORDS OUT.xml [--seed N] [--domain example.com]

Writes one RFC 7489 aggregate report with RECORDS records shaped like real
ones (Google/Microsoft style: row, identifiers, DKIM and SPF results; a mix
of aligned mail, forwarded mail, and unaligned sources), the same bytes for
the same arguments. Standard library only.
"""
import argparse
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("records", type=int)
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=7489)
    ap.add_argument("--domain", default="example.com")
    args = ap.parse_args()
    rng = random.Random(args.seed + args.records)
    dom = args.domain
    begin = 1_700_000_000 + (args.records % 1000) * 86400
    end = begin + 86399
    services = [
        ("google.com", "20230601"), ("amazonses.com", "224i4yxa5dv7c2xz3womw6peuasteono"),
        ("sendgrid.net", "s1"), ("mailgun.org", "mg"), (dom, "s1"), (dom, "s2"),
    ]
    pool = max(16, args.records // 4)
    ips = []
    for i in range(pool):
        if i % 50 == 49:
            ips.append("2001:db8:%x::%x" % (rng.randrange(1 << 16), rng.randrange(1 << 16)))
        else:
            ips.append("%d.%d.%d.%d" % (rng.choice([192, 198, 203, 209, 34, 52, 74]),
                                        rng.randrange(256), rng.randrange(256), rng.randrange(1, 255)))
    out = []
    w = out.append
    w('<?xml version="1.0" encoding="UTF-8" ?>\n<feedback>\n')
    w("  <report_metadata>\n    <org_name>bench.example</org_name>\n"
      "    <email>noreply-dmarc@bench.example</email>\n"
      "    <report_id>bench-%d-%d</report_id>\n"
      "    <date_range>\n      <begin>%d</begin>\n      <end>%d</end>\n    </date_range>\n"
      "  </report_metadata>\n" % (args.records, args.seed, begin, end))
    w("  <policy_published>\n    <domain>%s</domain>\n    <adkim>r</adkim>\n    <aspf>r</aspf>\n"
      "    <p>quarantine</p>\n    <sp>quarantine</sp>\n    <pct>100</pct>\n  </policy_published>\n" % dom)
    for _ in range(args.records):
        ip = rng.choice(ips)
        count = rng.choice([1, 1, 1, 2, 3, 5, 8, 13, 40])
        kind = rng.random()
        reason = ""
        env_from = ""
        if kind < 0.72:  # our own mail, aligned
            dkim_eval, spf_eval, disp = "pass", "pass", "none"
            sd, sel = rng.choice(services[4:])
            dkim_res, spf_dom, spf_res = "pass", dom, "pass"
            env_from = "      <envelope_from>%s</envelope_from>\n" % dom
        elif kind < 0.85:  # a provider sending for us, DKIM aligned only
            dkim_eval, spf_eval, disp = "pass", "fail", "none"
            prov, sel = rng.choice(services[:4])
            sd = dom
            dkim_res, spf_dom, spf_res = "pass", "bounces." + prov, "pass"
            env_from = "      <envelope_from>bounces.%s</envelope_from>\n" % prov
        elif kind < 0.93:  # forwarded
            dkim_eval, spf_eval, disp = "fail", "fail", "none"
            sd, sel = dom, "s1"
            dkim_res, spf_dom, spf_res = "fail", "lists.example.org", "pass"
            reason = ("        <reason>\n          <type>forwarded</type>\n"
                      "          <comment>looks forwarded</comment>\n        </reason>\n")
        else:  # someone spoofing us
            dkim_eval, spf_eval = "fail", "fail"
            disp = rng.choice(["quarantine", "reject", "none"])
            sd, sel = "spoof%d.example.net" % rng.randrange(100), "x"
            dkim_res, spf_dom, spf_res = rng.choice(["fail", "none"]), "spoof.example.net", "softfail"
        w("  <record>\n    <row>\n      <source_ip>%s</source_ip>\n      <count>%d</count>\n"
          "      <policy_evaluated>\n        <disposition>%s</disposition>\n        <dkim>%s</dkim>\n"
          "        <spf>%s</spf>\n%s      </policy_evaluated>\n    </row>\n"
          "    <identifiers>\n%s      <header_from>%s</header_from>\n    </identifiers>\n"
          "    <auth_results>\n      <dkim>\n        <domain>%s</domain>\n        <selector>%s</selector>\n"
          "        <result>%s</result>\n      </dkim>\n      <spf>\n        <domain>%s</domain>\n"
          "        <scope>mfrom</scope>\n        <result>%s</result>\n      </spf>\n    </auth_results>\n"
          "  </record>\n" % (ip, count, disp, dkim_eval, spf_eval, reason, env_from, dom, sd, sel,
                              dkim_res, spf_dom, spf_res))
    w("</feedback>\n")
    with open(args.out, "w") as f:
        f.write("".join(out))


if __name__ == "__main__":
    main()
