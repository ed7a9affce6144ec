"""The runs a build needs: trained side by side (one process per core, one thread each), stored in the
cache, and handed to the outputs that read them; and what differs from the results on record."""

from __future__ import annotations

import functools
import heapq
import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from .store import RunCache, read_json

METRICS_COMPARED = ("final_loss", "train_mse", "test_mse", "test_mse_noisy")


def cores() -> int:
    """The cores this process may use (on Linux, its affinity: a container's share, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def wall_time(seconds: list[float], workers: int) -> float:
    """How long runs of these durations take when handed, in order, each to the first of `workers`
    processes to be free: how the build schedules them."""
    free_at = [0.0] * max(workers, 1)  # a heap: when each worker is next free
    for duration in seconds:
        heapq.heapreplace(free_at, free_at[0] + duration)
    return max(free_at)


class Runs:
    """The runs of one build, by target name ("run vanilla-d2-s0"): records (metrics and digests) and,
    when an output needs them, the trained models."""

    def __init__(self, plan, options, progress, report):
        self.plan = plan
        self.options = options
        self.progress = progress
        self.report = report
        self.cache: RunCache = plan.cache
        self.records: dict[str, dict] = {}  # target -> the cache entry's result.json
        self.loaded: dict[str, object] = {}  # target -> RunResult
        self.data = functools.cache(self._load_data)
        self.committed = read_json(Path(options.out) / "results" / "results.json") or {}

    def _load_data(self):
        from ..data import load_mnist

        return load_mnist(self.options.cache_dir, self.options.data_dir)

    def _step(self, name: str):
        return self.plan.steps[name]

    # ------------------------------------------------------------ before the outputs

    def prepare(self) -> None:
        """Train every run the plan trains, side by side; read the records of those it reuses or loads."""
        todo, hits = [], []
        for name, step in self.plan.steps.items():
            if step.target.kind != "run" or step.action is None:
                continue
            if step.action == "train":
                todo.append(step)
            else:
                record = self.cache.record(step.target.config.run_id, step.key)
                if record is None or "digest" not in record:
                    todo.append(step)  # unreadable: trained again
                else:
                    self.records[name] = record
                    hits.append(step)
        if todo:
            from ..numerics import verify

            verify()  # one clear line on a machine that cannot compute the series' numbers, before any work
        for step in hits:
            self.report.cached.append(step.target.label)
            self.progress.cache_hit(step.target.config)
        self._train(todo)

    def _train(self, steps: list) -> None:
        if not steps:
            return
        self.data()  # downloaded and verified here, once, before any worker reads it
        workers = min(len(steps), self.options.workers or cores())
        if workers <= 1:
            for step in steps:
                tick = time.perf_counter()
                record = _train_and_store(step.target.config, self.data(), self.cache, step.key,
                                          self.progress.training(step.target.config), _recorded(step))
                self._trained(step, record, time.perf_counter() - tick)
            return
        # "spawn": a forked child would inherit torch's thread pool in a state it cannot use.
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start_worker, initargs=(self.options.cache_dir, self.options.data_dir))
        try:
            pending = {pool.submit(_train_in_worker, s.target.config, s.key, _recorded(s)): s for s in steps}
            for done in as_completed(pending):
                record, seconds = done.result()
                self._trained(pending[done], record, seconds)
        finally:  # on an error or Ctrl-C: runs not started are dropped, runs under way finish and are stored whole
            pool.shutdown(wait=True, cancel_futures=True)

    def _trained(self, step, record: dict, seconds: float) -> None:
        self.records[step.target.name] = record
        self.report.trained.append(step.target.label)
        self.progress.trained(step.target.config, seconds)

    def digests(self) -> dict[str, str]:
        """The digests of the runs trained or read in this build."""
        return {name: record["digest"] for name, record in self.records.items()}

    # ------------------------------------------------------------ for the outputs

    def metrics(self, name: str, digest: str) -> dict:
        """A run's metrics: from this build, else from results.json when it records those very results,
        else from the cache (trained if absent)."""
        if name in self.records:
            return self.records[name]["metrics"]
        run_id = name.removeprefix("run ")
        for record in self.committed.get("runs", []):
            if record["run_id"] == run_id and record.get("digest") == digest:
                return record
        return self.record(name)["metrics"]

    def record(self, name: str) -> dict:
        if name not in self.records:
            step = self._step(name)
            record = self.cache.record(step.target.config.run_id, step.key)
            if record is None:
                self._train_on_demand(step)
            else:
                self.records[name] = record
        return self.records[name]

    def get(self, name: str):
        """The trained run (model and metrics), loaded from the cache on first use."""
        if name not in self.loaded:
            step = self._step(name)
            result, damage = self.cache.load(step.target.config, step.key)
            if damage:
                self.progress.cache_damaged(step.target.config, damage)
            if result is None:
                self._train_on_demand(step)
                result, damage = self.cache.load(step.target.config, step.key)
                if result is None:
                    from .engine import BuildError

                    raise BuildError(f"run {step.target.label} was trained, but its cache entry cannot be read: {damage}")
            self.loaded[name] = result
        return self.loaded[name]

    def _train_on_demand(self, step) -> None:
        trainable = not self.options.only or step.target.config.name in self.options.only
        if not trainable:
            from .engine import BuildError

            raise BuildError(f"run {step.target.label} is not in the cache; build it first "
                             f"(without --only, or with --only {step.target.config.name})")
        self._train([step])

    # ------------------------------------------------------------ what was reproduced

    def reproduction(self, ledger: dict | None) -> list[str]:
        """One line per configuration whose runs in this build (retrained, or read from the cache) differ from
        the results on record, with the largest relative change; how many retrained runs reproduced them
        byte for byte; and whether a verdict changed."""
        before = {r["run_id"]: r for r in self.committed.get("runs", [])}
        trained = set(self.report.trained)
        by_config: dict[str, list] = {}
        reproduced = 0
        for name, record in self.records.items():
            run_id = name.removeprefix("run ")
            old = before.get(run_id)
            if old is None:
                continue
            if old.get("digest") == record["digest"]:
                reproduced += run_id in trained
                continue
            changes = [(abs(record["metrics"][m] / old[m] - 1), m) for m in METRICS_COMPARED if old.get(m)]
            change, metric = max(changes) if changes else (0.0, "?")
            by_config.setdefault(record["config"]["name"], []).append((change, metric, record["config"]["seed"]))
        lines = []
        for config, found in sorted(by_config.items()):
            change, metric, seed = max(found)
            seeds = ", ".join(str(s) for s in sorted(f[2] for f in found))
            lines.append(f"differs  {config}: seed(s) {seeds} differ from results.json on record; "
                         f"largest change {100 * change:.2g}% ({metric}, seed {seed})")
        if reproduced:
            lines.append(f"reproduced  {reproduced} retrained run(s) match results.json on record byte for byte")
        if by_config and ledger is not None:
            old = read_json(Path(self.options.out) / "results" / "claims.json") or {}
            then = {c["id"]: c.get("verdict") for c in old.get("claims", [])}
            moved = [f"{c['id']} {then[c['id']]} -> {c['verdict']}" for c in ledger.get("claims", [])
                     if c["id"] in then and then[c["id"]] != c.get("verdict")]
            lines.append("verdicts changed: " + "; ".join(moved) if moved else "no verdict changed")
        return lines


# ---------------------------------------------------------------- training, in this process or a worker

_worker: tuple = ()  # in a training worker: (MNIST, RunCache)


def _start_worker(cache_dir: Path, data_dir: Path | None) -> None:
    global _worker
    from ..data import load_mnist

    _worker = (load_mnist(cache_dir, data_dir), RunCache(cache_dir))


def _recorded(step) -> bool:
    return bool(step.target.params.get("recorded"))


def _train_in_worker(config, key: str, recorded: bool) -> tuple[dict, float]:
    tick = time.perf_counter()
    record = _train_and_store(config, *_worker, key, recorded=recorded)
    return record, time.perf_counter() - tick


def _train_and_store(config, data, cache: RunCache, key: str, on_epoch=None, recorded: bool = False) -> dict:
    """Train one run (with the replay's recorder, when it is the run the Play page replays) and store it
    in the cache; returns the entry's record."""
    from ..train import train

    on_step = None
    if recorded:
        from ..replay import Recorder

        on_step = Recorder(config, data)
    return cache.store(train(config, data, on_epoch=on_epoch, on_step=on_step), key)
