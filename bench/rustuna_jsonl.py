#!/usr/bin/env python3
"""Rustuna (the Optuna team's Rust TPE, `pip install rustuna`) behind the JSON-lines
protocol of ../shared/bench, so it runs through the same harness as Optuna and `bo bench`:

    python3 ../shared/bench/optuna_baseline.py overhead --optimizer jsonl \
        --cmd "python3 bench/rustuna_jsonl.py" --label rustuna --sampler tpe --dims 10 ...

Samplers: tpe (multivariate), tpe-indep, random. Pruners: none (rustuna exports none).
Replies carry elapsed_us, the time spent inside rustuna for the request.
"""
import json
import sys
import time

import rustuna
from rustuna.samplers import RandomSampler, TPESampler
from rustuna.trial import TrialState


def main() -> None:
    study = None
    space = []
    trials = {}
    out = sys.stdout
    for line in sys.stdin:
        msg = json.loads(line)
        op = msg.get("op")
        t0 = time.perf_counter()
        try:
            if op == "init":
                if msg.get("pruner", "none") != "none":
                    raise ValueError("rustuna exposes no pruners")
                seed, name = msg["seed"], msg["sampler"]
                if name == "tpe":
                    sampler = TPESampler(seed=seed, multivariate=True)
                elif name == "tpe-indep":
                    sampler = TPESampler(seed=seed, multivariate=False)
                elif name == "random":
                    sampler = RandomSampler(seed=seed)
                else:
                    raise ValueError(f"unsupported sampler {name}")
                study = rustuna.create_study(sampler=sampler, direction=msg["direction"])
                space = msg["space"]
                reply = {"ok": True, "name": "rustuna", "version": "0.2.0", "protocol": 1}
            elif op == "ask":
                t = study.ask()
                params = {}
                for p in space:
                    if p["type"] == "float":
                        params[p["name"]] = t.suggest_float(p["name"], p["low"], p["high"],
                                                            step=p.get("step"), log=p["log"])
                    elif p["type"] == "int":
                        params[p["name"]] = t.suggest_int(p["name"], p["low"], p["high"],
                                                          step=p.get("step", 1), log=p["log"])
                    else:
                        params[p["name"]] = t.suggest_categorical(p["name"], p["choices"])
                trials[t.number] = t
                reply = {"ok": True, "trial_id": t.number, "params": params}
            elif op == "report":
                reply = {"ok": True, "should_prune": False}
            elif op == "tell":
                number = msg["trial_id"]
                trials.pop(number, None)
                state = msg.get("state", "complete")
                if state == "complete":
                    study.tell(number, msg["value"])
                elif state == "pruned":
                    study.tell(number, state=TrialState.PRUNED)
                else:
                    study.tell(number, state=TrialState.FAIL)
                reply = {"ok": True}
            elif op == "shutdown":
                out.write(json.dumps({"ok": True}) + "\n")
                out.flush()
                return
            else:
                raise ValueError(f"unknown op {op!r}")
            reply["elapsed_us"] = (time.perf_counter() - t0) * 1e6
        except Exception as e:  # reply, keep serving
            reply = {"ok": False, "error": f"{type(e).__name__}: {e}"}
        out.write(json.dumps(reply) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
