#!/usr/bin/python3
"""Scores `countersign lookalike --json` against labelled pairs
(`candidate<TAB>protected<TAB>yes|no<TAB>technique-or-note`).

    cut -f2 pairs.tsv | grep -v '^#' | sort -u > protect.txt
    grep -v '^#' pairs.tsv | cut -f1 > candidates.txt
    countersign lookalike --directory dir.json --protect-file protect.txt \
        --candidates candidates.txt --json > out.jsonl
    eval/score_pairs.py pairs.tsv out.jsonl [--misses]

Recall is by technique (the note's first words, scripts kept apart);
false positives are split into the protected party's own domains (which
no detector can tell from the directory alone) and unrelated ones.
"""
import json
import re
import sys
from collections import defaultdict


def technique(note):
    head = note.split(":")[0].split(";")[0].strip()
    m = re.match(r"homoglyph[^,]*, *(whole-script )?([A-Za-z-]+)", head)
    if m:
        return f"homoglyph {m.group(1) or ''}{m.group(2)}".strip()
    return head.split("(")[0].strip()


def main():
    pairs = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
    got = {}
    for line in open(sys.argv[2]):
        o = json.loads(line)
        got[o["candidate"]] = o
    rec = defaultdict(lambda: [0, 0])
    fp_own = [0, 0]
    fp_other = [0, 0]
    misses = []
    for cand, protected, label, note in pairs:
        o = got.get(cand, {})
        flagged = bool(o.get("lookalike"))
        if label == "yes":
            t = technique(note)
            rec[t][1] += 1
            rec[t][0] += flagged
            if not flagged:
                misses.append(("MISS", cand, protected, note))
        else:
            own = re.match(r"(brand|vendor|organisation)'s own", note) is not None
            bucket = fp_own if own else fp_other
            bucket[1] += 1
            bucket[0] += flagged
            if flagged:
                misses.append(("FP" + (" own" if own else ""), cand, o.get("target"), note))
    total = [sum(v[0] for v in rec.values()), sum(v[1] for v in rec.values())]
    print(f"recall: {total[0]}/{total[1]} = {total[0] / total[1]:.1%}")
    for t, (g, n) in sorted(rec.items(), key=lambda kv: -kv[1][1]):
        print(f"  {t:40} {g:3}/{n:<3} {g / n:.0%}")
    print(f"false positives, unrelated owners: {fp_other[0]}/{fp_other[1]} = {fp_other[0] / max(fp_other[1], 1):.1%}")
    print(f"flagged, protected party's own domains: {fp_own[0]}/{fp_own[1]} = {fp_own[0] / max(fp_own[1], 1):.1%}")
    if "--misses" in sys.argv:
        for m in misses:
            print(*m, sep="\t")


if __name__ == "__main__":
    main()
