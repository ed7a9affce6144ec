"""The one loop over the declared targets (targets.py): every mode of build_figures.py is a walk of it.

`plan()` judges every target in order, as a build would: fresh, or stale and why, from the code's
fingerprints, the record of the last build (results/build.json) and the digests of what each target
reads. `--check` reports the stale ones, `--explain` says why, `--dry-run` adds what training would
cost, and `build()` makes them. A target whose input will be rebuilt is *pending*: a build makes it
only if that input's new digest differs from the recorded one, so runs that reproduce their recorded
bytes leave everything downstream as it is, and runs that do not re-derive all of it in the same build.

A build computes every output it makes in memory first and writes them at the end, the record last:
a failure or Ctrl-C on the way writes no output at all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..experiments import CONFIG_NAMES, CONFIGURATIONS
from .fingerprint import digest, first_change
from .keys import Source, code_hash, file_digest, split
from .store import Record, RunCache, StoreError, json_bytes, read_json, write_if_changed
from .targets import Target, declare, figure_name, figure_numbering

REPO_ROOT = Path(__file__).resolve().parents[3]
# What the results are made from: the last commit that changed these names the results.
BUILD_INPUTS = ("src", "figures", "build_figures.py", "pyproject.toml")


class UsageError(ValueError):
    """A flag value the build cannot act on (reported like an argparse error, exit status 2)."""


class BuildError(RuntimeError):
    """The build cannot go on; the message says why."""


@dataclass
class Options:
    out: Path = REPO_ROOT / "docs"
    cache_dir: Path = REPO_ROOT / ".cache"
    data_dir: Path | None = None
    figures_dir: Path = REPO_ROOT / "figures"
    repo: Path = REPO_ROOT  # where the pages (docs/*.md, mkdocs.yml) that number the figures are
    seeds: tuple[int, ...] | None = None  # None: each configuration's own seeds (experiments.py)
    epochs: int | None = None
    subset: int | None = None
    only: tuple[str, ...] = ()
    force: bool = False
    quick: bool = False  # the published table's configurations at their lowest seed, and the table only
    workers: int | None = None  # training processes side by side (None: one per core; 1: in this process)


# ---------------------------------------------------------------- judging

FRESH, STALE, PENDING = "fresh", "stale", "pending"


@dataclass
class Step:
    """One target as the plan sees it: its state, why, and what a build would do with it."""

    target: Target
    state: str  # FRESH, STALE (its own key or files changed) or PENDING (something it reads will be rebuilt)
    cause: str = ""
    key: str | None = None
    closure: dict[str, str] = field(default_factory=dict)
    action: str | None = None  # "train", "reuse", "make", "fail" or None


@dataclass
class Plan:
    options: Options
    source: Source
    record: Record
    targets: list[Target]
    steps: dict[str, Step]
    cache: RunCache

    def stale(self) -> list[Step]:
        return [s for s in self.steps.values() if s.state != FRESH]

    def acting(self) -> list[Step]:
        return [s for s in self.steps.values() if s.action]


def _selection(options: Options, recipes: list[str]) -> tuple[set[str] | None, set[str] | None]:
    """(configurations that may be trained, figures to render whatever their state); None means all / none."""
    figures = {figure_name(m) for m in recipes}
    unknown = [n for n in options.only if n not in CONFIG_NAMES and n not in figures]
    if unknown:
        raise UsageError(f"--only: unknown name {unknown[0]!r} (configurations: {', '.join(CONFIG_NAMES)}; "
                         f"figures: {', '.join(sorted(figures))})")
    if not options.only:
        return None, None
    return {n for n in options.only if n in CONFIG_NAMES}, ({n for n in options.only if n in figures} or None)


def target_key(target: Target, closure: dict[str, str], inputs: dict[str, str]) -> str:
    return digest({"kind": target.kind, "code": code_hash(closure), "reads": inputs, "params": target.params})[:20]


def plan(options: Options, digests: dict[str, str] | None = None) -> Plan:
    """Judge every target as a build would, without training, rendering or writing anything.

    `digests` gives targets' new digests where a build already knows them (after training)."""
    source = Source(options.figures_dir, Path(options.cache_dir) / "fingerprints.json")
    record = Record(Path(options.out) / "results" / "build.json")
    recipes = source.recipes()
    trainable, chosen = _selection(options, recipes)
    names = tuple(c.name for c in CONFIGURATIONS) if options.quick else None
    seeds = options.seeds if not options.quick else (options.seeds or (0,))
    numbering = figure_numbering(options.repo, [figure_name(m) for m in recipes])
    try:
        targets = declare(source, seeds, options.epochs, options.subset, names, numbering)
    except ValueError as error:
        raise BuildError(str(error)) from None
    cache = RunCache(options.cache_dir)
    steps: dict[str, Step] = {}
    known: dict[str, str | None] = {}  # target -> its digest as the build will find it (None: not yet known)
    for target in targets:
        step = _judge(target, source, record, known, options)
        if options.only:  # --only names what to (re)make: those runs with --force, those figures in any case
            forced = (target.kind == "run" and options.force and target.config.name in trainable) or (
                target.kind == "figure" and chosen is not None and target.label in chosen)
        else:
            forced = options.force
        if forced and step.state == FRESH:
            step.state, step.cause = STALE, "--only" if chosen and target.kind == "figure" else "--force"
        if digests and target.name in digests:
            known[target.name] = digests[target.name]
        elif step.state == FRESH:
            known[target.name] = record.get(target.name)["digest"]
        else:
            known[target.name] = None
        steps[target.name] = step
    _assign_actions(steps, cache, trainable, chosen, record)
    return Plan(options, source, record, targets, steps, cache)


def _judge(target: Target, source: Source, record: Record, known: dict, options: Options) -> Step:
    closure = source.closure(target.code, target.exclude)
    entry = record.get(target.name)
    pending = [r for r in target.reads if known.get(r) is None]
    if pending:
        more = f" and {len(pending) - 3} more" if len(pending) > 3 else ""
        waiting = f"reads {', '.join(_short(p) for p in pending[:3])}{more}, which will be rebuilt"
        own = _why(target, entry, record, closure, None, source) if entry else "never built"
        if entry is None or own:  # stale for its own reasons too: it will be made whatever its inputs give
            return Step(target, STALE, f"{own}; and it {waiting}", None, closure)
        return Step(target, PENDING, waiting, None, closure)
    inputs = {r: known[r] for r in target.reads}
    key = target_key(target, closure, inputs)
    if entry is None:
        return Step(target, STALE, "never built" if record.readable else "no record of the last build", key, closure)
    if entry["key"] != key:
        why = _why(target, entry, record, closure, inputs, source)
        return Step(target, STALE, why or "its key changed, but nothing it recorded did (the way keys are made "
                                          "changed)", key, closure)
    for relative, sha in entry.get("files", {}).items():
        if file_digest(Path(options.out) / relative) != sha:
            return Step(target, STALE, f"{relative} is missing or differs from what was built", key, closure)
    if (target.kind == "results" and entry.get("dirty") and Path(options.out).resolve() == (options.repo / "docs").resolve()
            and _git_state(options.repo)[1] is False):
        return Step(target, STALE, "it was built from uncommitted inputs, which are committed now", key, closure)
    return Step(target, FRESH, "", key, closure)


def _short(name: str) -> str:
    return name.removeprefix("run ")


def _why(target: Target, entry: dict, record: Record, closure: dict, inputs: dict | None, source: Source) -> str:
    """Why a target's key moved, for a reader: its parameters, its code, or (when `inputs` is given) what it
    read; "" when none of them did."""
    causes = []
    old = entry.get("params", {})
    for name, value in target.params.items():
        if old.get(name) == value:
            continue
        if isinstance(value, dict) and isinstance(old.get(name), dict):
            fields = [f"{k} {old[name].get(k)!r} -> {v!r}" for k, v in value.items() if old[name].get(k) != v]
            fields += [f"{k} {old[name][k]!r} -> (none)" for k in old[name] if k not in value]
            label = {"config": "configuration"}.get(name, name)
            causes.append(f"{label}: " + ", ".join(fields))
        else:
            causes.append(f"{name}: {old.get(name)!r} -> {value!r}")
    before = record.closure(entry)
    if before is None:
        causes.append("its code (the record keeps no definitions to compare with)")
    elif before != closure:
        causes += _code_changes(before, closure, source)
    if inputs is not None:
        changed = [r for r, d in inputs.items() if entry.get("reads", {}).get(r) != d]
        changed += [r for r in entry.get("reads", {}) if r not in inputs]
        if changed:
            more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
            what = "its runs changed" if all(r.startswith("run ") for r in changed) else "what it reads changed"
            causes.append(f"{what}: {', '.join(_short(r) for r in changed[:3])}{more}")
    return "; ".join(causes)


def _code_changes(before: dict[str, str], after: dict[str, str], source: Source) -> list[str]:
    """One cause per file: its first changed, added or removed definition (in the order of the source)."""
    files: dict[str, tuple[dict, dict]] = {}
    for qualified in before.keys() | after.keys():
        module, name = split(qualified)
        old, new = files.setdefault(module, ({}, {}))
        if qualified in before:
            old[name] = before[qualified]
        if qualified in after:
            new[name] = after[qualified]
    causes = []
    for module in sorted(files):
        old, new = files[module]
        if old == new:
            continue
        info = source.module(module)
        order = list(info["definitions"]) if info else []
        rank = lambda n: order.index(n) if n in order else len(order)  # noqa: E731
        shown = source.shown(module)
        if not old:
            causes.append(f"{shown} is new to the key")
        elif not new:
            causes.append(f"{shown} is no longer part of the key")
        else:
            o = {"scheme": 0, "definitions": dict(sorted(old.items(), key=lambda i: rank(i[0])))}
            n = {"scheme": 0, "definitions": dict(sorted(new.items(), key=lambda i: rank(i[0])))}
            causes.append(f"{shown}: {first_change(o, n)}")
    return causes


def _assign_actions(steps: dict[str, Step], cache: RunCache, trainable, chosen, record: Record) -> None:
    """What a build does with each target: runs are trained when stale, or when a target to be made
    reads them and the cache does not have them; other targets are made when stale or pending."""
    makes = {name for name, s in steps.items() if s.state != FRESH and s.target.kind != "run"
             and not (s.target.kind == "figure" and chosen is not None and s.target.label not in chosen)}
    needed = {r for name in makes for r in steps[name].target.reads if r.startswith("run ")}
    for name, step in steps.items():
        target = step.target
        if target.kind != "run":
            step.action = "make" if name in makes else None
            if step.action is None and step.state != FRESH:
                step.cause += " (not selected by --only)"
            continue
        may_train = trainable is None or target.config.name in trainable
        if step.state != FRESH:
            cached = step.key is not None and cache.has(target.config.run_id, step.key) and step.cause != "--force"
            step.action = "reuse" if cached else ("train" if may_train else "fail")
        elif name in needed:
            if cache.has(target.config.run_id, step.key):
                step.action = "load"
            else:
                step.action = "train" if may_train else "fail"
                step.cause = f"read by {_readers(steps, name, makes)}, and not in the cache"


def _readers(steps: dict[str, Step], run: str, makes: set[str]) -> str:
    readers = [s.target.name for s in steps.values() if s.target.name in makes and run in s.target.reads]
    return ", ".join(readers[:2]) + (f" and {len(readers) - 2} more" if len(readers) > 2 else "")


# ---------------------------------------------------------------- the modes that only read

def check(options: Options) -> list[str]:
    """Why the outputs under `options.out` are stale against the code, the data and each other; empty when fresh."""
    the_plan = plan(options)
    problems = [f"{s.target.name}: {s.cause}" for s in the_plan.stale()]
    results = read_json(Path(options.out) / "results" / "results.json")
    record = the_plan.record
    if results is not None:
        recorded = {f"run {r['run_id']}": r.get("digest") for r in results.get("runs", [])}
        for name, entry in sorted(record.targets.items()):  # made from the runs that results.json records?
            differing = [r for r, d in entry.get("reads", {}).items() if r in recorded and recorded[r] != d]
            if differing and name != "results":
                problems.append(f"{name}: made from other results of {_short(differing[0])} than results.json "
                                f"records" + (f" (and {len(differing) - 1} more runs)" if len(differing) > 1 else ""))
        if results.get("provenance", {}).get("dirty") and Path(options.out).resolve() == (options.repo / "docs").resolve():
            problems.append("results: results.json was built from uncommitted inputs; commit them and rebuild")
    the_plan.source.save()
    return problems


def explain(options: Options) -> list[str]:
    """One line per target a build would rebuild, saying why."""
    the_plan = plan(options)
    the_plan.source.save()
    return explain_lines(the_plan)


VERBS = {"train": "train", "reuse": "reuse from the cache", "load": "load from the cache", "make": "make",
         "fail": "not in the cache, and --only does not select it: the build would stop"}


def explain_lines(the_plan: Plan) -> list[str]:
    lines = []
    for step in the_plan.steps.values():
        if step.action in (None, "load"):
            continue
        verb = VERBS[step.action]
        if step.action == "make":
            verb = {"figure": "render"}.get(step.target.kind, "make")
            if step.state == PENDING:
                verb += " if what it reads changes"
        lines.append(f"{step.target.name} ({verb}): {step.cause}")
    return lines


# ---------------------------------------------------------------- provenance

def _git_state(repo: Path) -> tuple[str, bool | None]:
    """(the build commit, whether the build's inputs differ from it); ("unknown", None) outside git.

    The build commit is the last commit that changed the build's inputs: commits that only touch pages
    or generated outputs leave it unchanged, so the results, the figures and the pages name one commit."""
    import subprocess  # only when the commit is needed: it costs a no-op build more than its whole decision

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    try:
        commit = git("log", "-1", "--format=%H", "--", *BUILD_INPUTS) or git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=normal", "--", *BUILD_INPUTS))
    except (OSError, subprocess.CalledProcessError):
        return "unknown", None
    return commit, dirty


def provenance(options: Options, started: float, seeds: list[int], environment: dict) -> dict:
    from datetime import datetime, timezone

    commit, dirty = _git_state(options.repo)
    return {"commit": commit, "dirty": bool(dirty), "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
            "build_seconds": round(time.perf_counter() - started, 1), "seeds": seeds, **environment}


# ---------------------------------------------------------------- building

@dataclass
class Report:
    trained: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    made: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)
    reproduction: list[str] = field(default_factory=list)  # what differs from the results on record


class Progress:
    """Hooks the CLI overrides to show what happens; the default stays silent."""

    def cache_hit(self, config) -> None: ...
    def cache_damaged(self, config, reason: str) -> None: ...
    def training(self, config):  # returns on_epoch(epoch, loss) or None
        return None
    def trained(self, config, seconds: float) -> None: ...
    def step(self, name: str, status: str, seconds: float = 0.0) -> None: ...
    def wrote(self, path: Path) -> None: ...


def build(options: Options, progress: Progress | None = None) -> Report:
    """Make every stale target; write what changed; record it. Returns what was done."""
    progress = progress or Progress()
    started = time.perf_counter()
    report = Report()
    first = plan(options)
    if not first.acting():  # nothing to do: no library is loaded, nothing is written
        first.source.save()
        report.seconds = {"runs": 0.0, "outputs": 0.0, "total": time.perf_counter() - started}
        return report
    from . import make, runs

    failing = [s for s in first.steps.values() if s.action == "fail"]
    if failing:
        config = failing[0].target.config
        raise BuildError(f"run {config.run_id} is not in the cache; build it first "
                         f"(without --only, or with --only {config.name})")
    _writable(Path(options.out) / "results")  # before any work: an hour of training must not end in "cannot write"
    loaded = runs.Runs(first, options, progress, report)
    loaded.prepare()  # trains what must be trained, side by side, and stores it in the cache
    report.seconds["runs"] = time.perf_counter() - started

    # Judge again with the digests the runs now have: what reads unchanged runs stays as it is.
    the_plan = plan(options, digests=loaded.digests())
    building = make.Building(the_plan, loaded, {}, started, progress)
    known: dict[str, str | None] = {}
    for target in the_plan.targets:
        step = the_plan.steps[target.name]
        if target.kind == "run":
            known[target.name] = building.settle_run(target, step)
            continue
        step = _rejudge(step, the_plan, known, options)
        if step.action != "make":
            entry = the_plan.record.get(target.name)
            known[target.name] = entry["digest"] if entry else None
            continue
        tick = time.perf_counter()
        inputs = {r: known[r] for r in target.reads}
        key = target_key(target, step.closure, inputs)
        made = building.make(target, inputs, key)
        building.put(target, key, inputs, step.closure, made)
        known[target.name] = made.digest
        (report.rendered if target.kind == "figure" else report.made).append(target.label)
        progress.step(target.name, "reused" if made.reused else "made", time.perf_counter() - tick)
    report.seconds["outputs"] = time.perf_counter() - started - report.seconds["runs"]
    report.reproduction = loaded.reproduction(building.documents.get("ledger"))
    building.commit(report)
    the_plan.source.save()
    report.seconds["total"] = time.perf_counter() - started
    return report


def _writable(folder: Path) -> None:
    """Fail now, in one line, if `folder` cannot be written (read-only or not ours); creates nothing."""
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    probe = existing / f".write-probe-{time.time_ns()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise StoreError(f"cannot write {folder}: {error.strerror or error}") from None


def _rejudge(step: Step, the_plan: Plan, known: dict[str, str], options: Options) -> Step:
    """A pending step, judged again now that what it reads has its digest of this build."""
    if step.state != PENDING or step.action != "make":
        return step
    again = _judge(step.target, the_plan.source, the_plan.record, known, options)
    again.action = "make" if again.state != FRESH else None
    return again


def write_outputs(out: Path, staged: dict[str, bytes], stale_files: list[str], report: Report) -> None:
    """Write every staged file that changed, then remove the generated files no target makes any longer."""
    for relative, payload in sorted(staged.items()):
        if write_if_changed(out / relative, payload):
            report.written.append(out / relative)
    for relative in stale_files:
        path = out / relative
        if path.is_file() and relative not in staged:
            path.unlink()
            report.removed.append(path)


__all__ = ["Options", "Plan", "Progress", "Report", "UsageError", "BuildError", "StoreError", "build", "check",
           "explain", "plan", "json_bytes"]
