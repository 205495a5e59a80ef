#!/usr/bin/python3
"""False positives on real legitimate mail: runs `countersign analyze` over
../shared/corpora/ham-spamassassin-easy-ham-1 (2,500 messages from 2002
mailing lists and newsletters) and prints the share delivered, flagged,
held and quarantined, with the rules that fired.

    eval/ham.py [--bin target/release/countersign] [--directory eval/directory.json] [--show RULE]

The messages carry no envelope: the client is a documentation address,
MAIL FROM is the From address, and DNS answers NXDOMAIN for everything
(no SPF, DKIM or DMARC in 2002), so only content, impersonation and
policy are measured.
"""
import argparse
import email.utils
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "..", "shared", "corpora", "ham-spamassassin-easy-ham-1", "messages")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "countersign"))
    ap.add_argument("--directory", default=os.path.join(HERE, "directory.json"))
    ap.add_argument("--show", action="append", default=[], help="list the messages where RULE fired")
    ap.add_argument("--corpus", default=CORPUS)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="cs-ham-")
    zone = os.path.join(work, "empty.zone")
    with open(zone, "w") as f:
        f.write("$ORIGIN invalid.\n$TTL 300\n@ IN SOA ns.invalid. h.invalid. (1 3600 900 604800 300)\n")
    manifest = os.path.join(work, "manifest.jsonl")
    names = sorted(os.listdir(args.corpus))
    with open(manifest, "w") as out:
        for name in names:
            raw = open(os.path.join(args.corpus, name), "rb").read()
            if raw.startswith(b"From "):
                raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
            path = os.path.join(work, name)
            open(path, "wb").write(raw)
            head = raw.split(b"\n\n", 1)[0].decode("latin-1")
            msg = email.message_from_string(head + "\n\n")
            addr = email.utils.parseaddr(msg.get("From", ""))[1]
            out.write(json.dumps({"file": name, "ip": "192.0.2.25", "helo": "mail.example.org",
                                  "mail_from": addr if "@" in addr else ""}) + "\n")
    run = subprocess.run([args.bin, "analyze", "--zone", zone, "--directory", args.directory,
                          "--manifest", manifest, "--json", "--at", "2026-11-24T12:00:00Z"],
                         capture_output=True, text=True)
    if run.returncode not in (0, 1):
        sys.exit(run.stderr)
    verdicts = Counter()
    rules = Counter()
    shown = []
    n = 0
    for line in run.stdout.splitlines():
        o = json.loads(line)
        n += 1
        v = o.get("verdict", "error")
        verdicts[v] += 1
        for r in o.get("rules", []):
            rules[(v, r)] += 1
            if r in args.show:
                shown.append((o["file"], v, [f["summary"] + " " + f.get("evidence", "") for f in o.get("findings", [])
                                              if not f["signal"].startswith("auth.")]))
    print(f"ham messages: {n}")
    for v in ["deliver", "flag", "hold", "quarantine", "reject", "error"]:
        if verdicts[v]:
            print(f"  {v:10} {verdicts[v]:5} {verdicts[v] / n:.2%}")
    print("rules that fired (verdict, rule, messages):")
    for (v, r), c in sorted(rules.items(), key=lambda kv: -kv[1]):
        print(f"  {v:10} {r:40} {c}")
    for f, v, why in shown:
        print(f"{f} {v}: {why[:4]}")


if __name__ == "__main__":
    main()
