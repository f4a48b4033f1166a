#!/usr/bin/env python3
"""Prints the side-by-side table of the last `cargo bench` run.

Reads criterion's estimates (target/criterion/<group>/<bench>[/<input>]/new/)
and prints, per group and input, our time per operation next to each peer's
and the ratio ours / peer (below 1.0: we are faster).
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")
rows = {}
for est in sorted(root.glob("**/new/estimates.json")):
    parts = est.relative_to(root).parts[:-2]
    group, bench, inp = parts[0], parts[1], "/".join(parts[2:]) or "-"
    ns = json.loads(est.read_text())["mean"]["point_estimate"]
    rows.setdefault((group, inp), {})[bench] = ns

print(f"| {'operation':<22} | {'input':>8} | {'steadfast':>10} | {'peer':<9} | {'peer time':>10} | {'ours/peer':>9} |")
print(f"|{'-'*24}|{'-'*10}:|{'-'*11}:|{'-'*11}|{'-'*11}:|{'-'*10}:|")
def key(k):
    g, i = k
    return (g, int(i) if i.isdigit() else 0)
for (group, inp) in sorted(rows, key=key):
    benches = rows[(group, inp)]
    ours = benches.get("steadfast")
    for peer, ns in sorted(benches.items()):
        if peer == "steadfast" or ours is None:
            continue
        print(f"| {group:<22} | {inp:>8} | {ours:>8.1f}ns | {peer:<9} | {ns:>8.1f}ns | {ours/ns:>9.2f} |")
