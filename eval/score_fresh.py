#!/usr/bin/python3
"""Scores `countersign analyze --json` output against a fresh labelled set
(the format of eval/fresh/FORMAT.md: `requests`, `lures`,
`acceptable_verdicts`, optional `impersonates`).

    countersign analyze --zone S/zone/set.zone --directory S/directory.json \
        --manifest S/manifest.jsonl --json --at 2026-12-04T12:00:00Z > out.jsonl
    eval/score_fresh.py S/manifest.jsonl out.jsonl [--misses]

Prints: verdicts in the acceptable set (overall, by category), attacks held
or quarantined, honest mail flagged/held/quarantined, request and lure
recognition (message-level precision and recall, recall by kind), and
impersonation recall where labelled.
"""
import json
import sys
from collections import Counter, defaultdict

REQUEST = {
    "credentials": "credential_reset", "mfa": "mfa_reset", "access": "access_grant",
    "remote_access": "remote_access", "software_install": "software_install",
    "payment": "payment_change", "data_export": "data_export",
}
LURE = {
    "tech_support": "fake_tech_support", "patch": "urgent_patch", "reward": "reward_lure",
    "job_offer": "job_offer", "upgrade": "free_upgrade", "urgency": "urgency",
    "secrecy": "secrecy", "callback": "callback_bait", "scare": None,
}
STRICT = {"hold", "quarantine", "reject"}


def pr(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    return p, r


def main():
    manifest_path, output_path = sys.argv[1], sys.argv[2]
    show_misses = "--misses" in sys.argv
    labels = [json.loads(l) for l in open(manifest_path) if l.strip()]
    results = {}
    for line in open(output_path):
        o = json.loads(line)
        results[o["file"]] = o
    n = len(labels)
    ok = 0
    by_cat = defaultdict(lambda: [0, 0])
    attacks = attacks_stopped = 0
    honest = Counter()
    honest_n = 0
    req = Counter()
    req_kind = defaultdict(lambda: [0, 0])
    lure = Counter()
    lure_kind = defaultdict(lambda: [0, 0])
    imp = [0, 0]
    misses = []
    for lab in labels:
        out = results.get(lab["file"]) or {}
        verdict = out.get("verdict", "error")
        signals = {f["signal"] for f in out.get("findings", [])}
        acceptable = set(lab["acceptable_verdicts"])
        good = verdict in acceptable
        ok += good
        by_cat[lab["category"]][0] += good
        by_cat[lab["category"]][1] += 1
        if acceptable <= STRICT:
            attacks += 1
            attacks_stopped += verdict in STRICT
        if "deliver" in acceptable:
            honest_n += 1
            honest[verdict] += 1
        want_req = bool(lab.get("requests"))
        got_req = any(s.startswith("request.") for s in signals)
        req[(want_req, got_req)] += 1
        for k in lab.get("requests", []):
            req_kind[k][1] += 1
            req_kind[k][0] += f"request.{REQUEST[k]}" in signals
        want_lure = bool(lab.get("lures"))
        got_lure = any(s.startswith("lure.") for s in signals)
        lure[(want_lure, got_lure)] += 1
        for k in lab.get("lures", []):
            lure_kind[k][1] += 1
            if LURE.get(k):
                lure_kind[k][0] += f"lure.{LURE[k]}" in signals
            else:
                lure_kind[k][0] += got_lure
        if lab.get("impersonates"):
            imp[1] += 1
            imp[0] += any(s.startswith("impersonation.") or s == "auth.protected_domain_spoofed"
                          for s in signals)
        if not good:
            misses.append((lab, verdict, sorted(signals)))
    print(f"verdict in acceptable set: {ok}/{n} = {ok / n:.1%}")
    for cat, (g, t) in sorted(by_cat.items()):
        print(f"  {cat:32} {g:4}/{t:<4} {g / t:.0%}")
    if attacks:
        print(f"attacks held/quarantined/rejected: {attacks_stopped}/{attacks} = {attacks_stopped / attacks:.1%}")
    if honest_n:
        print(f"mail where deliver is acceptable: {honest_n}: " +
              ", ".join(f"{v} {c} ({c / honest_n:.1%})" for v, c in sorted(honest.items())))
    p, r = pr(req[(True, True)], req[(False, True)], req[(True, False)])
    print(f"high-risk request (any kind): precision {p:.1%} recall {r:.1%}")
    for k, (g, t) in sorted(req_kind.items()):
        print(f"  {k:18} recall {g}/{t} = {g / t:.0%}")
    p, r = pr(lure[(True, True)], lure[(False, True)], lure[(True, False)])
    print(f"lure (any kind): precision {p:.1%} recall {r:.1%}")
    for k, (g, t) in sorted(lure_kind.items()):
        print(f"  {k:18} recall {g}/{t} = {g / t:.0%}")
    if imp[1]:
        print(f"impersonation recognised (labelled impersonates): {imp[0]}/{imp[1]} = {imp[0] / imp[1]:.1%}")
    if show_misses:
        for lab, verdict, signals in misses:
            print(f"MISS {lab['file']} [{lab['category']}] got {verdict}, want {lab['acceptable_verdicts']}: "
                  f"{lab.get('note', '')[:110]} | {','.join(s for s in signals)[:160]}")


if __name__ == "__main__":
    main()
