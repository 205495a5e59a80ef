#!/usr/bin/python3
"""Scores `countersign analyze --json` output against eval/manifest.jsonl.

    cd /work/main
    ./target/release/countersign analyze --zone eval/zone/eval.zone \\
        --manifest eval/manifest.jsonl --directory eval/directory.json --json > /tmp/eval.jsonl
    /usr/bin/python3 eval/score.py /tmp/eval.jsonl [--pairs] [--bin ./target/release/countersign]

Prints the verdict confusion matrix (expected x actual), per-category
accuracy, the controls check for held messages, the issue-4 targets, and
every mismatch with the findings behind it. With --pairs it also runs
`countersign lookalike --json` over eval/lookalike_pairs.tsv and prints
precision and recall. Exit status 1 when anything mismatches.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ["deliver", "flag", "hold", "quarantine", "reject"]


def load_manifest():
    with open(os.path.join(HERE, "manifest.jsonl")) as f:
        return [json.loads(l) for l in f if l.strip()]


def load_results(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            d = json.loads(line)
            out[d["file"]] = d
    return out


def messages(results_path):
    manifest = load_manifest()
    results = load_results(results_path)
    matrix = defaultdict(Counter)
    by_cat = defaultdict(Counter)
    mismatches = []
    control_bad = []
    missing = []
    for e in manifest:
        r = results.get(e["file"])
        if r is None:
            missing.append(e["file"])
            continue
        exp, act = e["expected_verdict"], r.get("verdict", "?")
        matrix[exp][act] += 1
        ok = exp == act
        if ok and exp == "hold":
            if list(r.get("required_controls", [])) != e.get("expected_controls"):
                control_bad.append((e, r))
                ok = False
        by_cat[e["category"]]["ok" if ok else "bad"] += 1
        if exp != act:
            mismatches.append((e, r))

    acts = [a for a in ORDER if any(matrix[x][a] for x in matrix)] + sorted(
        {a for x in matrix for a in matrix[x]} - set(ORDER))
    print(f"Messages: {len(manifest)}  (missing from output: {len(missing)})")
    print("\nConfusion matrix (rows expected, columns actual)")
    w = 11
    print("expected".ljust(w) + "".join(a.rjust(w) for a in acts) + "total".rjust(w))
    for x in ORDER:
        if x not in matrix:
            continue
        row = matrix[x]
        print(x.ljust(w) + "".join(str(row[a]).rjust(w) for a in acts) + str(sum(row.values())).rjust(w))
    total = sum(sum(r.values()) for r in matrix.values())
    agree = sum(matrix[x][x] for x in matrix)
    print(f"\nverdict agreement: {agree}/{total} = {agree / max(total, 1):.3f}")

    print("\nPer category (verdict and, for holds, controls)")
    for cat in sorted(by_cat):
        c = by_cat[cat]
        print(f"  {cat:28s} {c['ok']:3d}/{c['ok'] + c['bad']:3d}")

    # issue-4 targets
    vb = [(e, results.get(e["file"])) for e in manifest if e["category"] == "vendor_benign"]
    vb_q = [e["file"] for e, r in vb if r and r.get("verdict") in ("quarantine", "reject")]
    risky = [(e, results.get(e["file"])) for e in manifest
             if e["expected_verdict"] == "hold" and "one_time_code" in e.get("expected_controls", [])]
    not_held = [e["file"] for e, r in risky if r and r.get("verdict") not in ("hold", "quarantine", "reject")]
    print("\nTargets")
    print(f"  authentic approved-vendor benign messages quarantined/rejected: {len(vb_q)} of {len(vb)} {vb_q}")
    print(f"  high-risk requests not at least held: {len(not_held)} of {len(risky)} {not_held}")
    bad_threat = [e["file"] for e in manifest if e["expected_verdict"] == "quarantine"
                  and results.get(e["file"], {}).get("verdict") not in ("quarantine", "reject")]
    print(f"  expected-quarantine messages let through: {len(bad_threat)} of "
          f"{sum(1 for e in manifest if e['expected_verdict'] == 'quarantine')}")

    def show(e, r):
        sig = [f["signal"] for f in r.get("findings", [])]
        print(f"  {e['file']}  [{e['category']}, {e.get('lang', '?')}]")
        print(f"    expected {e['expected_verdict']} {e.get('expected_controls', '')}  "
              f"actual {r.get('verdict')} {r.get('required_controls', '')}")
        print(f"    note: {e['note']}")
        print(f"    signals: {', '.join(sig) or '-'}")
        for f in r.get("findings", []):
            if f["signal"].startswith(("request.", "lure.", "impersonation.", "auth.", "sender.vendor_un",
                                       "message.", "content.")) and f["signal"] not in ("request.any", "lure.any"):
                print(f"      {f['signal']}: {f.get('summary', '')} {('| ' + f['evidence']) if f.get('evidence') else ''}")

    print(f"\nVerdict mismatches: {len(mismatches)}")
    for e, r in mismatches:
        show(e, r)
    print(f"\nHeld with different controls: {len(control_bad)}")
    for e, r in control_bad:
        show(e, r)
    return not mismatches and not control_bad and not missing


def pairs(binary):
    rows = []
    with open(os.path.join(HERE, "lookalike_pairs.tsv")) as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            cand, prot, exp, note = line.rstrip("\n").split("\t")[:4]
            rows.append((cand, prot, exp, note))
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as t:
        t.write("\n".join(c for c, *_ in rows) + "\n")
        cand_file = t.name
    out = subprocess.run([binary, "lookalike", "--directory", os.path.join(HERE, "directory.json"),
                          "--candidates", cand_file, "--json"], capture_output=True, text=True)
    os.unlink(cand_file)
    if out.returncode not in (0, 1):
        print(out.stderr)
        return False
    got = {}
    for line in out.stdout.splitlines():
        if line.strip():
            d = json.loads(line)
            got[d["candidate"]] = d
    with open(os.path.join(HERE, "directory.json")) as f:
        snap = json.load(f)
    names = {}  # protected domain -> names that stand for the same identity
    for v in snap.get("vendors", []):
        for dom in v["domains"]:
            names[dom] = [dom, v["name"].lower()]
    for dom in snap.get("organisation", {}).get("domains", []):
        names[dom] = [dom, snap["organisation"]["name"].lower()]
    tp = fp = fn = tn = wrong_target = 0
    misses, false_alarms = [], []
    for cand, prot, exp, note in rows:
        d = got.get(cand) or {}
        hit = bool(d.get("lookalike"))
        if exp == "yes":
            if hit:
                tp += 1
                tgt = (d.get("target") or "").lower()
                if not any(n == tgt or n in (d.get("owner") or "").lower() for n in names.get(prot, [prot])):
                    wrong_target += 1
                    print(f"  OTHER TARGET  {cand}: expected {prot}, reported {tgt}")
            else:
                fn += 1
                misses.append((cand, prot, note))
        else:
            if hit:
                fp += 1
                false_alarms.append((cand, prot, note, d.get("target"), d.get("technique"), d.get("evidence")))
            else:
                tn += 1
    prec = tp / max(tp + fp, 1)
    rec = tp / max(tp + fn, 1)
    print(f"\nLookalike pairs: {len(rows)} ({tp + fn} yes, {fp + tn} no)")
    print(f"  TP {tp}  FN {fn}  FP {fp}  TN {tn}  (hits naming another target: {wrong_target})")
    print(f"  precision {prec:.3f}  recall {rec:.3f}  (issue-4 target: both >= 0.98)")
    for cand, prot, note in misses:
        print(f"  MISSED   {cand}  ({note}; imitates {prot})")
    for cand, prot, note, tgt, tech, ev in false_alarms:
        print(f"  FALSE+   {cand}  ({note}) -> reported as {tech} of {tgt}: {ev}")
    return fn == 0 and fp == 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results", help="output of countersign analyze --json over eval/manifest.jsonl")
    ap.add_argument("--pairs", action="store_true", help="also score eval/lookalike_pairs.tsv")
    ap.add_argument("--bin", default=os.path.join(HERE, "..", "target", "release", "countersign"))
    a = ap.parse_args()
    ok = messages(a.results)
    if a.pairs:
        ok = pairs(a.bin) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
