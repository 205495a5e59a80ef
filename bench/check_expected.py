#!/usr/bin/python3
"""Compares `countersign analyze --json` output with the `expected` block of
the peer harness's manifest (../shared/bench): SPF, DKIM, ARC and DMARC.

    countersign analyze --zone Z --manifest M --json > out.jsonl
    bench/check_expected.py M out.jsonl

Prints per-check match counts and the first mismatches; exits 1 on any.
"""
import json
import sys


def project(ours):
    return {
        "spf": ours["spf"]["result"],
        "spf_domain": ours["spf"]["domain"],
        "dkim": [(d["domain"], d["selector"], d["algorithm"], d["result"]) for d in ours["dkim"]],
        "arc": ours["arc"]["result"],
        "dmarc": ours["dmarc"]["result"],
        "dmarc_policy": ours["dmarc"]["policy"],
        "from_domain": ours["dmarc"]["from_domain"],
    }


def expected_of(line):
    e = line["expected"]
    return {
        "spf": e["spf"],
        "spf_domain": e["spf_domain"],
        "dkim": [(d["d"], d["s"], d["a"], d["result"]) for d in e["dkim"]],
        "arc": e["arc"],
        "dmarc": e["dmarc"],
        "dmarc_policy": e["dmarc_policy"],
        "from_domain": e["from_domain"],
    }


def main():
    manifest = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    ours = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
    if len(manifest) != len(ours):
        print(f"{len(ours)} results for {len(manifest)} manifest lines")
        return 1
    keys = ["spf", "spf_domain", "dkim", "arc", "dmarc", "dmarc_policy", "from_domain"]
    matched = {k: 0 for k in keys}
    mismatches = []
    for m, o in zip(manifest, ours):
        if o.get("file") != m["file"]:
            print(f"order differs: {o.get('file')} vs {m['file']}")
            return 1
        exp, got = expected_of(m), project(o)
        for k in keys:
            # The manifest lists signatures in header order, as we do.
            if exp[k] == got[k]:
                matched[k] += 1
            else:
                mismatches.append((m["file"], m.get("category"), k, exp[k], got[k]))
    n = len(manifest)
    print(" ".join(f"{k} {matched[k]}/{n}" for k in keys))
    for mm in mismatches[:20]:
        print("MISMATCH", *mm)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
