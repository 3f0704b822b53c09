#!/usr/bin/env python3
"""Best-so-far regret curves (median over seeds, log scale) from bench-results JSON files,
written as a self-contained SVG with no plotting library.

    python3 bench/plot_curves.py bench-results/bo docs/bench/best_so_far.svg branin hartmann6
"""
import json
import math
import os
import sys

SAMPLERS = [("random", "#888888"), ("tpe", "#1f77b4"), ("cmaes", "#2ca02c"), ("gp", "#d62728")]


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def curves(folder, problem):
    out = {}
    for s, _ in SAMPLERS:
        path = os.path.join(folder, f"regret_{s}_{problem}.json")
        if not os.path.exists(path):
            continue
        runs = json.load(open(path))["runs"]
        n = min(len(r["regret"]) for r in runs)
        out[s] = [median([max(r["regret"][i], 1e-12) for r in runs]) for i in range(n)]
    return out


def panel(x0, problem, data, w=420, h=300):
    lo = min(min(c) for c in data.values())
    hi = max(max(c) for c in data.values())
    llo, lhi = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    n = max(len(c) for c in data.values())
    px = lambda i: x0 + 60 + (w - 80) * i / max(n - 1, 1)
    py = lambda v: 30 + (h - 70) * (lhi - math.log10(v)) / max(lhi - llo, 1)
    el = [f'<text x="{x0 + w / 2}" y="18" text-anchor="middle" font-size="14">{problem}</text>',
          f'<rect x="{x0 + 60}" y="30" width="{w - 80}" height="{h - 70}" fill="none" stroke="#000"/>']
    for e in range(llo, lhi + 1):
        y = py(10 ** e)
        el.append(f'<line x1="{x0 + 60}" x2="{x0 + w - 20}" y1="{y}" y2="{y}" stroke="#ddd"/>')
        el.append(f'<text x="{x0 + 55}" y="{y + 4}" text-anchor="end" font-size="10">1e{e}</text>')
    for t in range(0, n + 1, 20):
        x = px(max(t - 1, 0))
        el.append(f'<text x="{x}" y="{h - 25}" text-anchor="middle" font-size="10">{t}</text>')
    el.append(f'<text x="{x0 + w / 2}" y="{h - 8}" text-anchor="middle" font-size="11">trial</text>')
    el.append(f'<text x="{x0 + 14}" y="{h / 2}" font-size="11" transform="rotate(-90 {x0 + 14} {h / 2})"'
              f' text-anchor="middle">median best-so-far regret</text>')
    for s, color in SAMPLERS:
        if s in data:
            pts = " ".join(f"{px(i):.1f},{py(v):.1f}" for i, v in enumerate(data[s]))
            el.append(f'<polyline class="series" data-sampler="{s}" points="{pts}" fill="none" '
                      f'stroke="{color}" stroke-width="2"/>')
    return el


def main():
    folder, out, problems = sys.argv[1], sys.argv[2], sys.argv[3:]
    w, h = 420, 300
    body = []
    for k, p in enumerate(problems):
        body += panel(k * w, p, curves(folder, p), w, h)
    lx = len(problems) * w - 120
    for k, (s, color) in enumerate(SAMPLERS):
        body.append(f'<line x1="{lx}" x2="{lx + 20}" y1="{45 + 16 * k}" y2="{45 + 16 * k}" stroke="{color}" stroke-width="2"/>')
        body.append(f'<text x="{lx + 25}" y="{49 + 16 * k}" font-size="11">{s}</text>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{len(problems) * w}" height="{h}" '
           f'font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>' + "".join(body) + "</svg>\n")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    open(out, "w").write(svg)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
