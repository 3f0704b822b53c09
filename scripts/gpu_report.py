#!/usr/bin/env python3
"""Gathers the parts of `scripts/gpu-check.sh run` into OUT/gpu-report.json and OUT/gpu-report.md.

Reads OUT/parts/: host.json and build.json (the machine and the kit), and per part NAME its
exit status (NAME.status: an exit code, "timeout" or "skipped"), the reason of a skip
(NAME.reason), the example's run summary (NAME.json, written with --summary), its log
(NAME.log) and the GPU memory samples taken while it ran (NAME.mem, MiB, one per line).
Standard library only: it runs on the GPU machine's own python3.
"""
import argparse
import json
import os

PARTS = ["tch-none", "tch-hyperband", "tch-speed-cuda", "tch-speed-cpu", "tch-jobs-1", "tch-jobs-2", "tch-jobs-4", "burn-cuda"]


def read(path, parse=None):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None
    if not parse:
        return text.strip()
    try:
        return parse(text)
    except ValueError:  # a part killed while writing: reported as having no such file
        return None


def last_json_line(text):
    """The last line of `text` that is a JSON object (a log line may come first)."""
    lines = [l for l in text.splitlines() if l.startswith("{")]
    if not lines:
        raise ValueError("no JSON line")
    return json.loads(lines[-1])


def part(parts_dir, name):
    p = os.path.join(parts_dir, name)
    status = read(p + ".status") or "not run"
    named = {"0": "ok", "skipped": "skipped", "timeout": "timeout", "not run": "not run"}
    out = {"status": named.get(status, f"failed (exit {status})")}
    reason = read(p + ".reason")
    if reason:
        out["reason"] = reason
    summary = read(p + ".json", json.loads)
    if summary:
        out["summary"] = summary
    mem = read(p + ".mem")
    if mem:
        samples = [float(x) for x in mem.split() if x.replace(".", "", 1).isdigit()]
        if samples:
            out["gpu_memory_mib"] = {"before": samples[0], "peak": max(samples), "peak_over_before": max(samples) - samples[0]}
    log = read(p + ".log")
    if log and out["status"] != "ok":
        out["log_tail"] = log.splitlines()[-8:]
    if name == "burn-cuda" and read(p + ".cache"):
        out["autotune_cache"] = "carried from an earlier run"
    return out


def per_epoch(summary):
    """Seconds per epoch after warm-up, else over every epoch."""
    if not summary:
        return None
    return summary.get("steady_s_per_epoch") or summary.get("mean_s_per_epoch")


def ratio(a, b):
    return a / b if a and b else None


def figures(parts):
    s = {k: v.get("summary") for k, v in parts.items()}
    f = {}
    none, hb = s.get("tch-none"), s.get("tch-hyperband")
    if none and hb:
        f["pruning"] = {
            "trials": [none["trials"], hb["trials"]],
            "wall_s": [none["wall_s"], hb["wall_s"]],
            "epochs_trained": [none["epochs_trained"], hb["epochs_trained"]],
            "best_accuracy": [none.get("best_accuracy"), hb.get("best_accuracy")],
            "wall_time_saved": 1 - hb["wall_s"] / none["wall_s"] if none["wall_s"] else None,
        }
    gpu, cpu = per_epoch(s.get("tch-speed-cuda")), per_epoch(s.get("tch-speed-cpu"))
    if gpu or cpu:
        f["gpu_over_cpu"] = {"cuda_s_per_epoch": gpu, "cpu_s_per_epoch": cpu, "speedup": ratio(cpu, gpu)}
    scaling = []
    for j in (1, 2, 4):
        p = parts.get(f"tch-jobs-{j}", {})
        if p.get("summary"):
            scaling.append({"jobs": j, "trials": p["summary"]["trials"], "trials_per_minute": p["summary"]["trials_per_minute"],
                            "peak_gpu_memory_mib": (p.get("gpu_memory_mib") or {}).get("peak_over_before")})
    if scaling:
        f["jobs_scaling"] = scaling
    burn = s.get("burn-cuda")
    if burn:
        steady = burn.get("steady_s_per_epoch")
        first = burn.get("max_first_epoch_s")
        f["burn"] = {"first_epoch_s": first, "steady_s_per_epoch": steady,
                     "autotune_s": first - steady if first is not None and steady is not None else None,
                     "best_accuracy": burn.get("best_accuracy"), "trials": burn["trials"], "pruned": burn["pruned"]}
    return f


def fmt(x, spec=".3f"):
    return "-" if x is None else format(x, spec)


def markdown(report):
    host, build = report["host"] or {}, report["build"] or {}
    gpu, torch = host.get("gpu"), host.get("torch")
    lines = ["# GPU check" + (" (smoke)" if report["smoke"] else ""), ""]
    lines.append(f"- Machine: {host.get('hostname', '?')}, {host.get('cpus', '?')} CPUs")
    if gpu:
        lines.append(f"- GPU: {gpu['name']} ({gpu['memory']}), driver {gpu['driver']}, CUDA {gpu.get('cuda_driver_version')}")
    else:
        lines.append(f"- GPU: none ({host.get('gpu_error', 'unknown')})")
    if torch:
        lines.append(f"- libtorch (pip torch) {torch['version']}, CUDA {torch['cuda']}, CUDA available: {torch['cuda_available']}")
    else:
        lines.append(f"- libtorch: none ({host.get('torch_error', 'unknown')})")
    if build:
        crates = ", ".join(f"{k} {v}" for k, v in sorted(build.get("crates", {}).items()))
        lines.append(f"- Kit: commit {build.get('commit')}, built {build.get('built_at')}; {crates}")
    probe = report.get("burn_probe")
    if probe:
        text = json.dumps(probe)
        lines.append(f"- Burn CUDA probe: {text[:400]}{'...' if len(text) > 400 else ''} (whole in gpu-report.json)")
    lines += ["", f"Whole run: {report['seconds']} s.", "", "| part | status | device | trials (done/pruned/failed) | epochs | wall s | s/epoch first / then | best accuracy | peak GPU MiB |", "|---|---|---|---|---|---|---|---|---|"]
    for name, p in report["parts"].items():
        s = p.get("summary")
        mem = (p.get("gpu_memory_mib") or {}).get("peak_over_before")
        reason = p.get("reason") or ""
        status = p["status"] + (f": {reason[:160]}{'...' if len(reason) > 160 else ''}" if reason else "")
        if s:
            lines.append(f"| {name} | {status} | {s['device']} | {s['trials']} ({s['complete']}/{s['pruned']}/{s['failed']}) | {s['epochs_trained']} of {s['epochs_without_pruning']} | {s['wall_s']:.1f} | {fmt(s.get('first_epoch_s'))} / {fmt(s.get('steady_s_per_epoch'))} | {fmt(s.get('best_accuracy'), '.4f')} | {fmt(mem, '.0f')} |")
        else:
            lines.append(f"| {name} | {status} | - | - | - | - | - | - | {fmt(mem, '.0f')} |")
    f = report["figures"]
    lines += ["", "## Figures", ""]
    if "pruning" in f:
        p = f["pruning"]
        lines.append(f"- Hyperband against no pruning ({p['trials'][1]} and {p['trials'][0]} trials): wall time {p['wall_s'][1]:.1f} s vs {p['wall_s'][0]:.1f} s "
                     f"({fmt(p['wall_time_saved'] and 100 * p['wall_time_saved'], '.0f')} % saved), epochs {p['epochs_trained'][1]} vs {p['epochs_trained'][0]}, "
                     f"best accuracy {fmt(p['best_accuracy'][1], '.4f')} vs {fmt(p['best_accuracy'][0], '.4f')}")
    if "gpu_over_cpu" in f:
        g = f["gpu_over_cpu"]
        speedup = f"speed-up {g['speedup']:.1f}x" if g["speedup"] else "no speed-up: one side did not run"
        lines.append(f"- Seconds per epoch, same trial: CUDA {fmt(g['cuda_s_per_epoch'])} vs CPU {fmt(g['cpu_s_per_epoch'])} ({speedup})")
    for row in f.get("jobs_scaling", []):
        lines.append(f"- tch --jobs {row['jobs']}: {row['trials_per_minute']:.1f} trials/min ({row['trials']} trials), peak GPU memory {fmt(row['peak_gpu_memory_mib'], '.0f')} MiB")
    if "burn" in f:
        b = f["burn"]
        lines.append(f"- Burn CUDA: first epoch {fmt(b['first_epoch_s'], '.1f')} s, then {fmt(b['steady_s_per_epoch'])} s per epoch (autotune and warm-up {fmt(b['autotune_s'], '.1f')} s), "
                     f"{b['trials']} trials, {b['pruned']} pruned, best accuracy {fmt(b['best_accuracy'], '.4f')}")
    failed = [(n, p) for n, p in report["parts"].items() if p.get("log_tail") and p["status"] != "skipped"]
    for name, p in failed:
        lines += ["", f"### {name}: {p['status']}", "```"] + p["log_tail"] + ["```"]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("out")
    ap.add_argument("--smoke", type=int, default=0)
    ap.add_argument("--seconds", type=int, default=0)
    a = ap.parse_args()
    parts_dir = os.path.join(a.out, "parts")
    parts = {name: part(parts_dir, name) for name in PARTS}
    report = {
        "smoke": bool(a.smoke),
        "seconds": a.seconds,
        "host": read(os.path.join(parts_dir, "host.json"), json.loads),
        "build": read(os.path.join(parts_dir, "build.json"), json.loads),
        "burn_probe": read(os.path.join(parts_dir, "burn-probe.json"), last_json_line),
        "parts": parts,
    }
    report["figures"] = figures(parts)
    with open(os.path.join(a.out, "gpu-report.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(a.out, "gpu-report.md"), "w") as f:
        f.write(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
