#!/usr/bin/env python3
"""Compare two sets of pruning runs (``optuna_baseline.py prune`` JSON files) with the
seed noise in view.

    python3 bench/prune_compare.py REF_DIR CAND_DIR [CAND_DIR ...] [--boot 2000]

For every ``prune_<pruner>_<sampler>_<problem>[_budgetN].json`` present in REF_DIR and in a
candidate directory, prints one markdown row: mean steps and median final regret of both,
a bootstrap estimate of how often the candidate spends fewer steps (means over resampled
seeds) and reaches a lower-or-equal median regret, and the steps at which the candidate's
median regret curve (best-so-far regret of each seed against the steps it consumed, a seed
that stopped keeping its final value) first reaches the reference's final median regret:
"steps for the same final regret". Needs numpy only.
"""
from __future__ import annotations

import argparse
import glob
import json
import os

import numpy as np


def load(path: str) -> list[dict]:
    with open(path) as f:
        return json.load(f)["runs"]


def regret_at(run: dict, steps: int) -> float:
    """Best-so-far regret of one seed after it consumed `steps` steps (inf before its first
    completed trial)."""
    cum = np.asarray(run["cum_steps"])
    curve = np.asarray(run["incumbent_regret_curve"], dtype=float)
    i = int(np.searchsorted(cum, steps, side="right")) - 1
    return float(curve[i]) if i >= 0 else float("inf")


def steps_to_reach(runs: list[dict], target: float, stride: int = 25) -> int | None:
    """Fewest steps (on a grid of `stride`) at which the median over seeds reaches `target`."""
    top = max(r["total_steps"] for r in runs)
    for s in range(stride, top + stride, stride):
        if np.median([regret_at(r, s) for r in runs]) <= target:
            return s
    return None


def summary(runs: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    steps = np.array([r["total_steps"] for r in runs], dtype=float)
    regret = np.array([r["incumbent_final_regret"] for r in runs], dtype=float)
    return steps, regret


def bootstrap(ref: list[dict], cand: list[dict], n: int, seed: int = 0) -> tuple[float, float]:
    """P(candidate mean steps < reference's), P(candidate median regret <= reference's)."""
    rng = np.random.default_rng(seed)
    (sa, ra), (sb, rb) = summary(ref), summary(cand)
    fewer = better = 0
    for _ in range(n):
        ia, ib = rng.integers(0, len(sa), len(sa)), rng.integers(0, len(sb), len(sb))
        fewer += sb[ib].mean() < sa[ia].mean()
        better += np.median(rb[ib]) <= np.median(ra[ia])
    return fewer / n, better / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("ref")
    ap.add_argument("cands", nargs="+")
    ap.add_argument("--boot", type=int, default=2000, help="bootstrap resamples")
    args = ap.parse_args()
    print("| run | ref steps / median regret | cand | cand steps / median regret "
          "| P(fewer steps) | P(regret <=) | cand steps to ref's final regret (ref: own) |")
    print("|---|---:|---|---:|---:|---:|---:|")
    for path in sorted(glob.glob(os.path.join(args.ref, "prune_*.json"))):
        name = os.path.basename(path)
        ref = load(path)
        sa, ra = summary(ref)
        target = float(np.median(ra))
        ref_reach = steps_to_reach(ref, target)
        for cdir in args.cands:
            cpath = os.path.join(cdir, name)
            if not os.path.exists(cpath):
                continue
            cand = load(cpath)
            sb, rb = summary(cand)
            fewer, better = bootstrap(ref, cand, args.boot)
            reach = steps_to_reach(cand, target)
            print(f"| {name[6:-5]} ({len(ref)}/{len(cand)} seeds) | {sa.mean():.0f} / {target:.4g} "
                  f"| {os.path.basename(os.path.normpath(cdir))} | {sb.mean():.0f} / {np.median(rb):.4g} "
                  f"| {fewer:.2f} | {better:.2f} | {reach if reach else 'not reached'} "
                  f"({ref_reach}) |")


if __name__ == "__main__":
    main()
