"""The build: plan the runs, take them from the cache or train them, write results, render figures.

One direction only: data -> models -> experiments -> training -> cache -> figures -> docs.
`build_figures.py` parses flags and shows progress; everything it does happens here.
"""

from __future__ import annotations

import functools
import hashlib
import json
import platform
from importlib import metadata
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import outputs
from .cache import RunCache, imported_modules, run_key, source_hash
from .data import DATASET_CHECKSUM, load_mnist
from .experiments import CONFIG_NAMES, DEFAULT_SEEDS, RunConfig, plan
from .outputs import json_bytes, write_if_changed
from .render import FigureContext, Recipe, discover, figure_key, png_bytes, snippet
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
            "numbers": r / "numbers.json", "shapes": r / "shapes.md"}


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
        "dataset_checksum": DATASET_CHECKSUM, "versions": versions(),
    }
    results = outputs.results_document(records, provenance)
    if not _write(files["results"], json_bytes(results), report, progress, same=outputs.same_results):
        results = json.loads(files["results"].read_text())  # the results of record stay as they were

    context = FigureContext(results, runs, data)
    manifest = _render_figures(recipes, keys, selected_figures, context, commit, options, report, progress)
    report.seconds["figures"] = time.perf_counter() - started - report.seconds["runs"]

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
    runs = {}
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
        elif not wanted:
            raise BuildError(f"run {config.run_id} is not in the cache; build it first "
                             f"(without --only, or with --only {config.name})")
        else:
            tick = time.perf_counter()
            result = train(config, data(), on_epoch=progress.training(config))
            cache.store(result, key)
            progress.trained(config, time.perf_counter() - tick)
            report.trained.append(config.run_id)
        runs[config.run_id] = result
    return runs


def _render_figures(recipes, keys, selected, context, commit, options, report, progress) -> dict:
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
        rendered = recipe.module.render(context)
        png = png_bytes(rendered.figure)
        _write(_png_path(options.out, recipe), png, report, progress)
        manifest[recipe.name] = {
            "number": recipe.number, "key": key, "png": f"figures/{recipe.name}.png",
            "png_sha256": hashlib.sha256(png).hexdigest(), "png_bytes": len(png),
            "recipe_sha256": hashlib.sha256(recipe.path.read_bytes()).hexdigest(),
            "runs": used, "commit": commit, "alt": rendered.alt, "caption": rendered.caption,
            "numbers": rendered.numbers,
        }
        _write(_snippet_path(options.out, recipe), _snippet_for(recipe, manifest[recipe.name]), report, progress)
        report.rendered.append(recipe.name)
        progress.figure(recipe.name, "rendered", time.perf_counter() - tick)
    if not _write(files["figures"], json_bytes(manifest), report, progress, same=_same_figures):
        manifest = _read_json(files["figures"])  # differs at most in the commits recorded
    return manifest


def _figure_state(recipe: Recipe, keys: dict[str, str], entry: dict | None, out: Path):
    """(the runs it reads with their keys, its key, whether its PNG on disk is that key's)."""
    used = {r: keys[r] for r in recipe.matching(list(keys))}
    key = figure_key(recipe, used)
    fresh = (entry is not None and entry["key"] == key and entry["number"] == recipe.number
             and _sha256_of(_png_path(out, recipe)) == entry["png_sha256"])
    return used, key, fresh


def _png_path(out: Path, recipe: Recipe) -> Path:
    return out / "figures" / f"{recipe.name}.png"


def _snippet_path(out: Path, recipe: Recipe) -> Path:
    return results_dir(out) / "figures" / f"{recipe.name}.md"


def _snippet_for(recipe: Recipe, entry: dict) -> bytes:
    return snippet(recipe.name, entry["alt"], entry["caption"], recipe.number).encode()


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
            problems.append(f"figure {recipe.name}: {_png_path(options.out, recipe)} is missing or differs from the manifest")
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


def _same_figures(old: bytes, new: bytes) -> bool:
    """Figure manifests that differ only in the commit each figure was rendered at."""
    try:
        strip = lambda doc: {k: {f: v for f, v in e.items() if f != "commit"} for k, e in json.loads(doc).items()}
        return strip(old) == strip(new)
    except (ValueError, AttributeError):
        return False


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
