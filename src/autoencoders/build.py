"""The build: plan the runs, take them from the cache or train them, write results, render figures.

One direction only: data -> models -> experiments -> training -> cache -> figures -> docs.
`build_figures.py` parses flags and shows progress; everything it does happens here.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import json
import multiprocessing
import os
import platform
import statistics
from importlib import metadata
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from . import claims, features, outputs
from .cache import RunCache, environment, imported_modules, run_key, source_fingerprints, source_hash
from .data import DATASET_CHECKSUM, load_mnist
from .experiments import CONFIG_NAMES, DEFAULT_SEEDS, RunConfig, plan
from .fingerprint import PACKAGE, PACKAGE_DIR, combined_hash, first_change, fingerprint_file, imported_closure
from .outputs import json_bytes, write_if_changed
from .render import (FigureContext, Recipe, UndeclaredRun, discover, figure_inputs, figure_key, png_bytes,
                     snippet)
from .shapes import shapes_markdown
from .train import RunResult, train

REPO_ROOT = Path(__file__).resolve().parents[2]


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
    seeds: tuple[int, ...] = DEFAULT_SEEDS
    epochs: int | None = None
    subset: int | None = None
    only: tuple[str, ...] = ()
    force: bool = False


class Progress:
    """Hooks the CLI overrides to show what happens; the default stays silent."""

    def cache_hit(self, config: RunConfig) -> None: ...
    def cache_damaged(self, config: RunConfig, reason: str) -> None: ...
    def training(self, config: RunConfig):  # returns on_epoch(epoch, loss) or None
        return None
    def trained(self, config: RunConfig, seconds: float) -> None: ...
    def figure(self, name: str, status: str, seconds: float = 0.0) -> None: ...
    def wrote(self, path: Path) -> None: ...


@dataclass
class Report:
    trained: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    rendered: list[str] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


# ---------------------------------------------------------------- paths of the outputs

def results_dir(out: Path) -> Path:
    return out / "results"


def paths(out: Path) -> dict[str, Path]:
    r = results_dir(out)
    return {"results": r / "results.json", "figures": r / "figures.json", "table": r / "table.md",
            "numbers": r / "numbers.json", "claims": r / "claims.json", "ledger": r / "ledger.md",
            "shapes": r / "shapes.md", "features": r / "features.json", "features_table": r / "features.md"}


def claim_section_path(out: Path, section: str) -> Path:
    return results_dir(out) / "claims" / f"{section}.md"


# ---------------------------------------------------------------- the build

def build(options: Options, progress: Progress | None = None) -> Report:
    progress = progress or Progress()
    report, started = Report(), time.perf_counter()
    configs = plan(options.seeds, options.epochs, options.subset)
    recipes = discover(options.figures_dir)
    selected_runs, selected_figures = _selection(options.only, configs, recipes)
    sources = source_hash()
    keys = {c.run_id: run_key(c, sources) for c in configs}
    data = functools.cache(lambda: load_mnist(options.cache_dir, options.data_dir))  # only if needed

    runs = _train_or_load(configs, keys, selected_runs, options, data, report, progress)
    report.seconds["runs"] = time.perf_counter() - started

    # results.json is rewritten only when the science changed.
    files = paths(options.out)
    commit, dirty = outputs.git_state(REPO_ROOT)
    records = [outputs.run_record(c, keys[c.run_id], runs[c.run_id].metrics, c.run_id in report.cached)
               for c in configs]
    provenance = {
        "commit": commit, "dirty": dirty, "date": outputs.utc_today(),
        "build_seconds": round(time.perf_counter() - started, 1),
        "seeds": list(options.seeds), "source_hash": sources, "source_modules": imported_modules(),
        "source_fingerprints": source_fingerprints(),  # per definition, for --explain
        "dataset_checksum": DATASET_CHECKSUM, "versions": versions(),
    }
    results = outputs.results_document(records, provenance)
    if not _write(files["results"], json_bytes(results), report, progress, same=outputs.same_results):
        results = json.loads(files["results"].read_text())  # the results of record stay as they were

    # What the codes are good for (features.py): probes of every code, shared by a figure and the claims,
    # re-evaluated only when their code or runs changed.
    measured = _read_json(files["features"])
    key = features_key(configs, keys)
    if measured is None or measured.get("key") != key or options.force:
        tick = time.perf_counter()
        measured = {"key": key, **features.evaluate(runs, data, list(options.seeds))}
        _write(files["features"], json_bytes(measured), report, progress)
        progress.figure("features (probes of the codes)", "evaluated", time.perf_counter() - tick)
    _write(files["features_table"], features.table_markdown(measured).encode(), report, progress)

    context = FigureContext(results, runs, data, measured)
    manifest = _render_figures(recipes, keys, selected_figures, context, options, report, progress)
    report.seconds["figures"] = time.perf_counter() - started - report.seconds["runs"]

    # The claim ledger: every claim on every seed, re-evaluated only when its code or runs changed.
    ledger = _read_json(files["claims"])
    key = ledger_key(keys)
    if ledger is None or ledger.get("key") != key or options.force:
        tick = time.perf_counter()
        entries = claims.evaluate(claims.CLAIMS, runs, data, list(options.seeds), measured)
        ledger = {"schema": claims.SCHEMA, "key": key, "seeds": sorted(options.seeds), "claims": entries}
        _write(files["claims"], json_bytes(ledger), report, progress)
        progress.figure("claim ledger", "evaluated", time.perf_counter() - tick)
    for path, payload in ledger_files(ledger, options.out).items():
        _write(path, payload, report, progress)

    # What the pages include: the table and the key numbers.
    for name, payload in derived_files(results, manifest).items():
        _write(files[name], payload, report, progress)
    # Part 2's shape walk-through depends on the model code alone: no run, no training.
    _write(files["shapes"], shapes_markdown().encode(), report, progress)
    report.seconds["total"] = time.perf_counter() - started
    return report


def _train_or_load(configs, keys, selected, options, data, report, progress) -> dict[str, RunResult]:
    """Every planned run, from the cache when it holds a sound entry, trained otherwise."""
    cache = RunCache(options.cache_dir)
    runs, todo = {}, []
    for config in configs:
        key, wanted = keys[config.run_id], config.name in selected
        result = None
        if not (options.force and wanted):
            result, damage = cache.load(config, key)
            if damage:
                progress.cache_damaged(config, damage)
        if result is not None:
            progress.cache_hit(config)
            report.cached.append(config.run_id)
            runs[config.run_id] = result
        elif not wanted:
            raise BuildError(f"run {config.run_id} is not in the cache; build it first "
                             f"(without --only, or with --only {config.name})")
        else:
            todo.append(config)
    for config, result, seconds in _train_all(todo, keys, options, data, cache, progress):
        progress.trained(config, seconds)
        runs[config.run_id] = result
    report.trained += [c.run_id for c in todo]
    return runs


def _train_all(todo: list[RunConfig], keys, options, data, cache: RunCache, progress):
    """Train `todo` and store each run in the cache, as many at once as there are cores (each run uses
    one thread: train.TRAINING_THREADS); yields (config, result, seconds) as runs finish."""
    workers = min(len(todo), _cores())
    if workers <= 1:
        for config in todo:
            result, seconds = _train_and_store(config, data(), cache, keys[config.run_id], progress.training(config))
            yield config, result, seconds
        return
    data()  # downloaded and verified here, once, before the workers read it
    # "spawn": a forked child would inherit torch's thread pool in a state it cannot use.
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(options.cache_dir, options.data_dir))
    try:
        pending = {pool.submit(_train_in_worker, c, keys[c.run_id]): c for c in todo}
        for done in as_completed(pending):
            config, seconds = pending[done], done.result()
            result, damage = cache.load(config, keys[config.run_id])
            if result is None:
                raise BuildError(f"run {config.run_id} was trained, but its cache entry cannot be read: {damage}")
            yield config, result, seconds
    finally:  # on an error or Ctrl-C: runs not started are dropped, runs under way finish and are stored whole
        pool.shutdown(wait=True, cancel_futures=True)


def _cores() -> int:
    """The cores this process may use (on Linux, its affinity: a container's share, not the host's)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


_worker: tuple = ()  # in a training worker: (MNIST, RunCache)


def _start_worker(cache_dir: Path, data_dir: Path | None) -> None:
    global _worker
    _worker = (load_mnist(cache_dir, data_dir), RunCache(cache_dir))


def _train_in_worker(config: RunConfig, key: str) -> float:
    return _train_and_store(config, *_worker, key)[1]


def _train_and_store(config: RunConfig, data, cache: RunCache, key: str, on_epoch=None) -> tuple[RunResult, float]:
    """Train one run and store it in the cache; with the seconds training took."""
    tick = time.perf_counter()
    result = train(config, data, on_epoch=on_epoch)
    seconds = time.perf_counter() - tick
    cache.store(result, key)
    return result, seconds


def _render_figures(recipes, keys, selected, context, options, report, progress) -> dict:
    """Re-render the figures whose recipe, helpers or runs changed (or those --only names)."""
    files = paths(options.out)
    # Entries of recipes that no longer exist are dropped; the others are kept or replaced.
    names = {r.name for r in recipes}
    manifest = {k: v for k, v in (_read_json(files["figures"]) or {}).items() if k in names}
    for recipe in recipes:
        tick = time.perf_counter()
        missing = recipe.missing(list(keys))
        if missing:
            progress.figure(recipe.name, f"skipped: needs runs {', '.join(missing)} that this build does not plan")
            continue
        used, key, fresh = _figure_state(recipe, keys, manifest.get(recipe.name), options.out)
        if selected is not None and recipe.name not in selected:
            if not fresh:  # --only names other figures: leave this one as it is
                progress.figure(recipe.name, "stale, not selected by --only")
            continue
        if fresh and not options.force and selected is None:
            progress.figure(recipe.name, "up to date")
            continue
        try:
            rendered = recipe.module.render(context.for_recipe(recipe))
        except UndeclaredRun as error:
            raise BuildError(str(error)) from None
        png = png_bytes(rendered.figure)
        _write(_png_path(options.out, recipe), png, report, progress)
        for relative, payload in rendered.files.items():
            _write(_extra_path(options.out, recipe, relative), payload, report, progress)
        manifest[recipe.name] = {
            "number": recipe.number, "key": key, "png": f"figures/{recipe.name}.png",
            "png_sha256": hashlib.sha256(png).hexdigest(), "png_bytes": len(png),
            "recipe_sha256": hashlib.sha256(recipe.path.read_bytes()).hexdigest(),
            "runs": used, "alt": rendered.alt, "caption": rendered.caption,
            "numbers": rendered.numbers, "inputs": figure_inputs(recipe),  # per definition, for --explain
            "files": {path: hashlib.sha256(payload).hexdigest() for path, payload in sorted(rendered.files.items())},
        }
        _write(_snippet_path(options.out, recipe), _snippet_for(recipe, manifest[recipe.name]), report, progress)
        report.rendered.append(recipe.name)
        progress.figure(recipe.name, "rendered", time.perf_counter() - tick)
    _write(files["figures"], json_bytes(manifest), report, progress)
    return manifest


def _figure_state(recipe: Recipe, keys: dict[str, str], entry: dict | None, out: Path):
    """(the runs it reads with their keys, its key, whether its PNG on disk is that key's)."""
    used = {r: keys[r] for r in recipe.matching(list(keys))}
    key = figure_key(recipe, used)
    fresh = (entry is not None and entry["key"] == key and entry["number"] == recipe.number
             and _sha256_of(_png_path(out, recipe)) == entry["png_sha256"]
             and not _differing_files(out, recipe, entry))
    return used, key, fresh


def _differing_files(out: Path, recipe: Recipe, entry: dict) -> list[Path]:
    """The recipe's extra files that are missing or differ from the sha256 its manifest entry records."""
    return [path for relative, sha256 in entry.get("files", {}).items()
            if _sha256_of(path := _extra_path(out, recipe, relative)) != sha256]


def _extra_path(out: Path, recipe: Recipe, relative: str) -> Path:
    """Where an extra file of a recipe goes: under `out`, never outside it."""
    path = Path(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BuildError(f"figure {recipe.name}: extra file {relative!r} must be a relative path inside the outputs")
    return out / path


def _png_path(out: Path, recipe: Recipe) -> Path:
    return out / "figures" / f"{recipe.name}.png"


def _snippet_path(out: Path, recipe: Recipe) -> Path:
    return results_dir(out) / "figures" / f"{recipe.name}.md"


def _snippet_for(recipe: Recipe, entry: dict) -> bytes:
    return snippet(recipe.name, entry["alt"], entry["caption"], recipe.number).encode()


def _key(entry: str, run_keys: dict[str, str]) -> str:
    """Hash of what an output computed by package module `entry` depends on: the meaning of that module
    and of every package module it imports (fingerprint.py: a comment or a re-wrapped line changes
    nothing), the keys of the runs it reads, and the dataset."""
    sources = {m: fingerprint_file(PACKAGE_DIR / f"{m}.py") for m in imported_closure([PACKAGE_DIR / f"{entry}.py"])}
    payload = {"sources": combined_hash(sources), "runs": run_keys, "dataset": DATASET_CHECKSUM}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def ledger_key(run_keys: dict[str, str]) -> str:
    """The claim ledger's key: the claims, their measurements, the features, and every run."""
    return _key("claims", run_keys)


def features_key(configs: list[RunConfig], run_keys: dict[str, str]) -> str:
    """features.json's key: the probes' code and the runs whose codes they measure."""
    return _key("features", {c.run_id: run_keys[c.run_id] for c in configs if c.name in features.MODELS})


def ledger_files(ledger: dict, out: Path) -> dict[Path, bytes]:
    """Every Markdown file derived from claims.json (claims.markdown_files: the ledger, the verdicts of each
    section of Part 3, the findings): pure functions of it."""
    return {results_dir(out) / relative: text.encode() for relative, text in claims.markdown_files(ledger).items()}


def derived_files(results: dict, manifest: dict) -> dict[str, bytes]:
    """table.md and numbers.json: pure functions of results.json and the figure manifest."""
    figure_numbers = {k: v for entry in manifest.values() for k, v in entry.get("numbers", {}).items()}
    return {"table": outputs.table_markdown(results).encode(),
            "numbers": json_bytes(outputs.key_numbers(results, figure_numbers))}


# ---------------------------------------------------------------- --check

def check(options: Options) -> list[str]:
    """Why the outputs under `options.out` are stale against the code and data; empty when fresh."""
    problems = []
    files = paths(options.out)
    results, manifest = _read_json(files["results"]), _read_json(files["figures"])
    if results is None:
        return [f"{files['results']} is missing or unreadable"]
    if manifest is None:
        return [f"{files['figures']} is missing or unreadable"]
    configs = plan(tuple(results["provenance"]["seeds"]), options.epochs, options.subset)
    sources = source_hash()
    keys = {c.run_id: run_key(c, sources) for c in configs}
    recorded = {r["run_id"]: r["key"] for r in results["runs"]}
    for run_id, key in keys.items():
        if recorded.get(run_id) != key:
            problems.append(f"run {run_id}: results.json is stale (the code, configuration or versions changed)")
    for run_id in recorded.keys() - keys.keys():
        problems.append(f"run {run_id}: in results.json but no longer planned")
    for name, payload in derived_files(results, manifest).items():
        if not files[name].is_file() or files[name].read_bytes() != payload:
            problems.append(f"{files[name]} does not match results.json")
    if results["provenance"].get("dirty") and Path(options.out).resolve() == REPO_ROOT / "docs":
        problems.append(f"{files['results']} was built from uncommitted inputs; commit them and rebuild")
    ledger = _read_json(files["claims"])
    if ledger is None:
        problems.append(f"{files['claims']} is missing or unreadable")
    else:
        if ledger.get("key") != ledger_key(keys):
            problems.append("claim ledger: stale (the claims, the measurements or their runs changed)")
        for path, payload in ledger_files(ledger, options.out).items():
            if not path.is_file() or path.read_bytes() != payload:
                problems.append(f"claim ledger: {path} does not match claims.json")
    measured = _read_json(files["features"])
    if measured is None:
        problems.append(f"{files['features']} is missing or unreadable")
    else:
        if measured.get("key") != features_key(configs, keys):
            problems.append("features: stale (the probes' code or the runs they measure changed)")
        table = features.table_markdown(measured).encode()
        if not files["features_table"].is_file() or files["features_table"].read_bytes() != table:
            problems.append(f"features: {files['features_table']} does not match features.json")
    if not files["shapes"].is_file() or files["shapes"].read_bytes() != shapes_markdown().encode():
        problems.append(f"{files['shapes']} does not match the model code")
    for recipe in discover(options.figures_dir):
        entry = manifest.get(recipe.name)
        if entry is None:
            problems.append(f"figure {recipe.name}: never rendered")
            continue
        _, key, fresh = _figure_state(recipe, keys, entry, options.out)
        snippet_path = _snippet_path(options.out, recipe)
        if entry["key"] != key:
            problems.append(f"figure {recipe.name}: stale (its recipe, helpers or runs changed)")
        elif not fresh:
            differing = _differing_files(options.out, recipe, entry) or [_png_path(options.out, recipe)]
            problems.append(f"figure {recipe.name}: {differing[0]} is missing or differs from the manifest")
        elif not snippet_path.is_file() or snippet_path.read_bytes() != _snippet_for(recipe, entry):
            problems.append(f"figure {recipe.name}: {snippet_path} is missing or differs from the manifest")
    return problems


# ---------------------------------------------------------------- helpers

def versions() -> dict[str, str]:
    """Versions of everything that shapes the results (read from metadata: importing torchvision takes a second)."""
    import torch  # its __version__ names the build (e.g. +cu130), which metadata omits

    return {"python": platform.python_version(), "torch": torch.__version__,
            **{name: metadata.version(name) for name in ("torchvision", "numpy", "matplotlib")}}


def _selection(only: tuple[str, ...], configs: list[RunConfig], recipes: list[Recipe]) -> tuple[set, set | None]:
    """Which configurations may be trained, and which figures to render whatever their state.

    Without --only: every configuration, and figures only when stale (None). With --only naming
    figures: exactly those figures, rendered even when fresh, and no training at all.
    """
    figure_names = {r.name for r in recipes}
    unknown = [n for n in only if n not in CONFIG_NAMES and n not in figure_names]
    if unknown:
        raise UsageError(f"--only: unknown name {unknown[0]!r} (configurations: {', '.join(CONFIG_NAMES)}; "
                         f"figures: {', '.join(sorted(figure_names))})")
    if not only:
        return {c.name for c in configs}, None
    figures = {n for n in only if n in figure_names}
    return {n for n in only if n in CONFIG_NAMES}, (figures or None)


def _write(path: Path, payload: bytes, report: Report, progress: Progress, same=None) -> bool:
    written = write_if_changed(path, payload, same)
    if written:
        report.written.append(path)
        progress.wrote(path)
    return written


def _read_json(path: Path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def _sha256_of(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


# ---------------------------------------------------------------- --explain and --dry-run

# A key differs, yet everything the outputs recorded about it is unchanged: the key's own recipe moved.
UNEXPLAINED = "its key changed, but nothing the outputs recorded did (the way keys are computed changed)"


@dataclass
class Step:
    """What a build would do with one run or figure, and why; `action` is None when it has nothing to do."""

    kind: str  # "run" or "figure"
    name: str
    action: str | None  # "train", "reuse", "render", "fail" or None
    cause: str = ""
    config: RunConfig | None = None


def plan_steps(options: Options) -> list[Step]:
    """The build's decisions, made as build() makes them, without training, rendering or writing anything.

    Causes are found by comparing the current code, configurations and versions with what
    results.json and the figure manifest recorded when the outputs were built (their per-definition
    fingerprints). Those files are committed, so the explanation needs no cache and works in a
    fresh checkout; the cache only tells whether a run must be trained or can be reused.
    """
    configs = plan(options.seeds, options.epochs, options.subset)
    recipes = discover(options.figures_dir)
    selected_runs, selected_figures = _selection(options.only, configs, recipes)
    keys = {c.run_id: run_key(c) for c in configs}
    files = paths(options.out)
    results, manifest = _read_json(files["results"]) or {}, _read_json(files["figures"]) or {}
    records = {r["run_id"]: r for r in results.get("runs", [])}
    recorded = results.get("provenance", {})
    current = {"versions": environment(), "sources": source_fingerprints()}
    cache = RunCache(options.cache_dir)

    steps = []
    for config in configs:
        key, record = keys[config.run_id], records.get(config.run_id)
        cached = (cache.path(config, key) / "result.json").is_file()
        forced = options.force and config.name in selected_runs
        cause = "--force" if forced else _run_cause(config, key, record, recorded, current)
        if not cached and not cause:
            cause = "not in the cache"
        action = (None if not cause else "reuse" if cached and not forced
                  else "train" if config.name in selected_runs else "fail")
        steps.append(Step("run", config.run_id, action, cause, config))
    for recipe in recipes:
        if recipe.missing(list(keys)):
            continue  # the build skips it too
        entry = manifest.get(recipe.name)
        used, key, fresh = _figure_state(recipe, keys, entry, options.out)
        if selected_figures is not None:
            cause = "--only" if recipe.name in selected_figures else ""
        elif options.force:
            cause = "--force"
        else:
            cause = "" if fresh else _figure_cause(recipe, key, used, entry)
        steps.append(Step("figure", recipe.name, "render" if cause else None, cause))
    return steps


def explain(options: Options) -> list[str]:
    """One line per run and figure that a build would rebuild, saying why."""
    verbs = {"train": "train", "reuse": "reuse from the cache", "render": "render",
             "fail": "not in the cache, and --only does not select it: the build would stop"}
    return [f"{s.kind} {s.name} ({verbs[s.action]}): {s.cause}" for s in plan_steps(options) if s.action]


def dry_run(options: Options) -> list[str]:
    """What a build would train and render, with the training time estimated from earlier runs."""
    steps = [s for s in plan_steps(options) if s.action]
    history = _train_times(options)
    lines, known, unknown = [], [], 0
    for step in steps:
        if step.action == "train":
            seconds, basis = _estimate(step.config, history)
            if seconds is None:
                unknown += 1
                lines.append(f"train   {step.name:<18} time unknown ({basis})")
            else:
                known.append(seconds)
                lines.append(f"train   {step.name:<18} ~{seconds:.1f} s ({basis})")
        elif step.action == "fail":
            lines.append(f"fail    {step.name:<18} not in the cache and not selected by --only")
        elif step.action == "render":
            lines.append(f"render  {step.name}")
    count = lambda action: sum(s.action == action for s in steps)
    workers = min(len(known), _cores())
    wall = f", ~{_wall_time(known, workers):.0f} s on {workers} cores" if workers > 1 else ""
    time_note = f"~{sum(known):.0f} s{wall}" + (f", plus {unknown} of unknown time" if unknown else "")
    failing = "; the build would fail" if count("fail") else ""
    lines.append(f"would train {count('train')} runs ({time_note}), reuse {count('reuse')} changed runs "
                 f"from the cache, render {count('render')} figures{failing}")
    return lines


def _wall_time(seconds: list[float], workers: int) -> float:
    """How long runs of these durations take when handed, in order, each to the first of `workers`
    processes to be free: how _train_all schedules them."""
    free_at = [0.0] * max(workers, 1)  # a heap: when each worker is next free
    for duration in seconds:
        heapq.heapreplace(free_at, free_at[0] + duration)
    return max(free_at)


def _run_cause(config: RunConfig, key: str, record: dict | None, provenance: dict, current: dict) -> str:
    """Why `key` differs from the key results.json recorded for this run ("" when it does not).

    `provenance` is what results.json recorded for the whole build, `current` the versions and
    source fingerprints of this checkout."""
    if record is None:
        return "not in results.json"
    if record.get("key") == key:
        return ""
    causes = []
    fields = [f"{name} {record.get(name)!r} -> {value!r}" for name, value in config.as_dict().items()
              if record.get(name) != value]
    if fields:
        causes.append("configuration: " + ", ".join(fields))
    env, versions_then = current["versions"], provenance.get("versions", {})
    if provenance.get("dataset_checksum") != env["dataset"]:
        causes.append(f"the data checksum changed ({str(provenance.get('dataset_checksum'))[:12]} "
                      f"-> {env['dataset'][:12]})")
    causes += [f"{name} {versions_then.get(name)} -> {env[name]}" for name in ("torch", "numpy")
               if versions_then.get(name) != env[name]]
    then, now = provenance.get("source_fingerprints"), current["sources"]
    if then is None:
        causes.append("the code (results.json records no per-definition fingerprints to compare with)")
    else:
        causes += [_code_change(f"src/autoencoders/{name}.py", then.get(name), now.get(name))
                   for name in sorted(then.keys() | now.keys())
                   if (then.get(name) or {}).get("hash") != (now.get(name) or {}).get("hash")]
    return "; ".join(causes) or UNEXPLAINED


def _figure_cause(recipe: Recipe, key: str, used: dict[str, str], entry: dict | None) -> str:
    """Why a figure is stale against its manifest entry."""
    if entry is None:
        return "never rendered"
    if entry["number"] != recipe.number:
        return f"its figure number changed ({entry['number']} -> {recipe.number})"
    if entry["key"] == key:
        return "its PNG is missing or differs from the manifest"
    inputs, recorded = figure_inputs(recipe), entry.get("inputs")
    if recorded is None:
        return "its code, versions or runs (the manifest records no per-definition fingerprints to compare with)"
    causes = []
    for name in sorted(recorded["sources"].keys() | inputs["sources"].keys()):
        old, new = recorded["sources"].get(name), inputs["sources"].get(name)
        if (old or {}).get("hash") != (new or {}).get("hash"):
            shown = f"src/{name}" if name.startswith(f"{PACKAGE}/") else f"figures/{name}"
            causes.append(_code_change(shown, old, new))
    causes += [f"{field} {recorded[field]} -> {inputs[field]}" for field in ("matplotlib", "dataset")
               if recorded[field] != inputs[field]]
    runs = sorted(r for r in entry["runs"].keys() | used.keys() if entry["runs"].get(r) != used.get(r))
    if runs:
        more = f" and {len(runs) - 3} more" if len(runs) > 3 else ""
        causes.append("its runs changed: " + ", ".join(runs[:3]) + more)
    return "; ".join(causes) or UNEXPLAINED


def _code_change(path: str, old: dict | None, new: dict | None) -> str:
    if old is None:
        return f"{path} is new to the key"
    if new is None:
        return f"{path} is no longer part of the key"
    return f"{path}: {first_change(old, new)}"


def _train_times(options: Options) -> list[dict]:
    """Earlier runs' configurations and training times, from results.json and the cache (one per key)."""
    found = {}
    for record in (_read_json(paths(options.out)["results"]) or {}).get("runs", []):
        found[record["key"]] = record
    for path in sorted((options.cache_dir / "runs").glob("*/result.json")):
        record = _read_json(path)
        if record and "train_seconds" in record.get("metrics", {}):
            seconds = record["metrics"]["train_seconds"]
            found.setdefault(record["key"], {**record["config"], "train_seconds": seconds})
    return list(found.values())


def _estimate(config: RunConfig, history: list[dict]) -> tuple[float | None, str]:
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
