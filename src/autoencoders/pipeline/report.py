"""What a build would cost (`--dry-run`), and whether this machine reproduces the results on record (`--verify`)."""

from __future__ import annotations

import statistics
import tempfile
from dataclasses import replace
from pathlib import Path

from .engine import Options, Plan, plan
from .runs import METRICS_COMPARED, Runs, cores, wall_time
from .store import RunCache, read_json


def _history(options: Options) -> list[dict]:
    """Earlier runs' configurations and training times, from results.json and the cache (one per key)."""
    found = {}
    for record in (read_json(Path(options.out) / "results" / "results.json") or {}).get("runs", []):
        found[record["key"]] = record
    for path in sorted((Path(options.cache_dir) / "runs").glob("*/result.json")):
        record = read_json(path)
        if record and "train_seconds" in record.get("metrics", {}):
            found.setdefault(record["key"], {**record["config"], "train_seconds": record["metrics"]["train_seconds"]})
    return list(found.values())


def estimate(config, history: list[dict]) -> tuple[float | None, str]:
    """Median time of earlier runs of the same configuration (else the same variant), scaled by epochs
    and training images where those differ; with the basis of the estimate."""
    for label, similar in ((config.name, [h for h in history if h.get("name") == config.name]),
                           (config.variant, [h for h in history if h.get("variant") == config.variant])):
        if similar:
            exact = [h for h in similar if (h["epochs"], h["train_size"]) == (config.epochs, config.train_size)]
            scaled = [h["train_seconds"] * config.epochs / h["epochs"] * config.train_size / h["train_size"]
                      for h in exact or similar]
            how = "" if exact else ", scaled by epochs and images"
            basis = f"median of {len(scaled)} earlier {label} runs" if len(scaled) > 1 else f"one earlier {label} run"
            return statistics.median(scaled), basis + how
    return None, f"no earlier {config.variant} run recorded"


def dry_run(options: Options, the_plan: Plan | None = None) -> list[str]:
    """What a build would train, reuse and make, with the training time estimated from earlier runs."""
    the_plan = the_plan or plan(options)
    history = _history(options)
    lines, known, unknown = [], [], 0
    steps = the_plan.acting()
    for step in steps:
        target = step.target
        if step.action == "train":
            seconds, basis = estimate(target.config, history)
            if seconds is None:
                unknown += 1
                lines.append(f"train   {target.label:<18} time unknown ({basis})")
            else:
                known.append(seconds)
                lines.append(f"train   {target.label:<18} ~{seconds:.1f} s ({basis})")
        elif step.action == "fail":
            lines.append(f"fail    {target.label:<18} not in the cache and not selected by --only")
        elif step.action == "make":
            verb = "render" if target.kind == "figure" else "make"
            lines.append(f"{verb:<7} {target.label}" + (" (if what it reads changes)" if step.state == "pending" else ""))
    count = lambda action: sum(s.action == action for s in steps)  # noqa: E731
    figures = sum(s.action == "make" and s.target.kind == "figure" for s in steps)
    workers = min(len(known), cores())
    wall = f", ~{wall_time(known, workers):.0f} s on {workers} cores" if workers > 1 else ""
    time_note = f"~{sum(known):.0f} s{wall}" + (f", plus {unknown} of unknown time" if unknown else "")
    failing = "; the build would fail" if count("fail") else ""
    lines.append(f"would train {count('train')} runs ({time_note}), reuse {count('reuse') + count('load')} from the "
                 f"cache, render {figures} figures, make {count('make') - figures} other outputs{failing}")
    return lines


def verify_sample(the_plan: Plan, count: int) -> list:
    """`count` recorded runs to retrain, spread over the configurations: each one's lowest seed first."""
    steps = [s for s in the_plan.steps.values() if s.target.kind == "run" and the_plan.record.get(s.target.name)]
    by_seed = sorted(steps, key=lambda s: (sorted({x.target.config.seed for x in steps if
                                                    x.target.config.name == s.target.config.name})
                                           .index(s.target.config.seed), steps.index(s)))
    return by_seed[:count]


def verify(options: Options, count: int, progress) -> tuple[list[str], bool]:
    """Retrain `count` runs on record from scratch (into a scratch cache) and compare their bytes with the
    record: this machine reproduces the committed results only if every digest matches."""
    from .engine import Report

    the_plan = plan(options)
    sample = verify_sample(the_plan, count)
    if not sample:
        return ["no run on record to verify (results/build.json records none)"], False
    lines, same = [], True
    committed = {r["run_id"]: r for r in (read_json(Path(options.out) / "results" / "results.json") or {})
                 .get("runs", [])}
    from ..data import load_mnist

    load_mnist(options.cache_dir, options.data_dir)  # fetched (once) into the real cache, not the scratch one
    data_dir = options.data_dir or Path(options.cache_dir) / "mnist"
    with tempfile.TemporaryDirectory(prefix="verify-") as scratch:
        the_plan.cache = RunCache(Path(scratch))
        runs = Runs(the_plan, replace(options, cache_dir=Path(scratch), data_dir=data_dir), progress, Report())
        runs._train(sample)
        for step in sample:
            record = runs.records[step.target.name]
            recorded = the_plan.record.get(step.target.name)
            if record["digest"] == recorded["digest"] and step.key == recorded["key"]:
                lines.append(f"verified  {step.target.label}: the same bytes as on record")
                continue
            same = False
            old = committed.get(step.target.label, {})
            changes = [(abs(record["metrics"][m] / old[m] - 1), m) for m in METRICS_COMPARED if old.get(m)]
            change, metric = max(changes) if changes else (float("nan"), "?")
            lines.append(f"differs   {step.target.label}: other bytes than on record; largest change "
                         f"{100 * change:.2g}% ({metric})")
    return lines, same
