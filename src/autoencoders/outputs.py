"""Results as data: results.json, the Markdown results table and the key numbers the site includes.

Everything here is a pure function of the runs' metrics, so the same runs always give the same
bytes. A few fields describe the build rather than the science (wall times, cache hits, the
commit); they are recorded, but a file whose other content is unchanged is not rewritten
because of them, so a rebuild leaves `git status` clean.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from .experiments import CONFIGURATIONS, PUBLISHED_FINAL_LOSS, RunConfig

SCHEMA = 1
# Fields that describe one build, not the results; they never cause a rewrite on their own.
VOLATILE_RUN_FIELDS = ("train_seconds", "cache_hit")
VOLATILE_PROVENANCE_FIELDS = ("commit", "dirty", "date", "build_seconds")


class OutputError(RuntimeError):
    """An output file could not be written."""


# ---------------------------------------------------------------- writing files safely

def write_if_changed(path: Path, payload: bytes, same: Callable[[bytes, bytes], bool] | None = None) -> bool:
    """Atomically replace `path` with `payload` unless it already holds equivalent content.

    `same(old, new)` decides equivalence (default: equal bytes). Returns True when written.
    """
    path = Path(path)
    try:
        old = path.read_bytes()
    except FileNotFoundError:
        old = None
    except OSError as error:
        raise OutputError(f"cannot read {path}: {error.strerror}") from None
    if old is not None and (old == payload or (same is not None and same(old, payload))):
        return False
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)  # readers see the old file or the new one, never a part
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:  # Ctrl-C mid-write: leave no partial temporary file behind
        tmp.unlink(missing_ok=True)
        raise
    return True


def json_bytes(value) -> bytes:
    return (json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def stable_view(results: dict) -> dict:
    """`results` without the fields that describe the build rather than the science."""
    view = json.loads(json.dumps(results))
    for run in view.get("runs", []):
        for name in VOLATILE_RUN_FIELDS:
            run.pop(name, None)
    for name in VOLATILE_PROVENANCE_FIELDS:
        view.get("provenance", {}).pop(name, None)
    return view


def same_results(old: bytes, new: bytes) -> bool:
    """Equivalent results: the same science, and no better provenance to record.

    A record made from uncommitted inputs is replaced once the same results come from a clean tree.
    """
    try:
        old_doc, new_doc = json.loads(old), json.loads(new)
        new = new_doc["provenance"]
        upgrade = old_doc["provenance"].get("dirty") and not new.get("dirty") and new.get("commit") != "unknown"
        return stable_view(old_doc) == stable_view(new_doc) and not upgrade
    except (ValueError, KeyError, TypeError):
        return False  # a damaged file is always replaced


# ---------------------------------------------------------------- provenance

# What the results are made from. The outputs themselves (docs/) do not make a build "dirty".
BUILD_INPUTS = ("src", "figures", "build_figures.py", "pyproject.toml")


def git_state(repo: Path) -> tuple[str, bool]:
    """(the build commit, inputs differ from it) for the checkout at `repo`; ("unknown", False) outside git.

    The build commit is the last commit that changed the build's inputs: the code and configuration the
    results are computed from. Commits that only touch pages or generated outputs leave it unchanged, so
    the results, the figures and the pages all name one commit.
    """
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=True).stdout.strip()
    try:
        commit = git("log", "-1", "--format=%H", "--", *BUILD_INPUTS) or git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=normal", "--", *BUILD_INPUTS))
    except (OSError, subprocess.CalledProcessError):
        return "unknown", False
    return commit, dirty


def utc_today() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d")


# ---------------------------------------------------------------- results.json

def run_record(config: RunConfig, key: str, metrics: dict, cache_hit: bool) -> dict:
    return {
        "run_id": config.run_id,
        "key": key,
        **config.as_dict(),
        **{name: metrics[name] for name in
           ("parameters", "final_loss", "final_terms", "train_mse", "test_mse", "test_mse_noisy", "history",
            "latent", "train_seconds")},
        "cache_hit": cache_hit,
    }


# What the summary averages over seeds, read from one run's record.
SUMMARY_METRICS: dict[str, Callable[[dict], float]] = {
    "final_loss": lambda r: r["final_loss"],
    # The training loss without its penalty (equal to final_loss for every model but the sparse one).
    "final_reconstruction": lambda r: r["final_terms"]["reconstruction"],
    "train_mse": lambda r: r["train_mse"],
    "test_mse": lambda r: r["test_mse"],
    "test_mse_noisy": lambda r: r["test_mse_noisy"],
}


def summarise(runs: list[dict]) -> dict:
    """Per configuration: mean, std (over seeds), the lowest seed's value, and the published value."""
    by_name: dict[str, list[dict]] = {}
    for run in runs:
        by_name.setdefault(run["name"], []).append(run)
    summary = {}
    for config in CONFIGURATIONS:
        group = sorted(by_name.get(config.name, []), key=lambda r: r["seed"])
        if not group:
            continue
        entry = {"seeds": [r["seed"] for r in group]}
        for metric, value in SUMMARY_METRICS.items():
            values = [value(r) for r in group]
            entry[metric] = {
                "mean": statistics.fmean(values),
                "std": statistics.stdev(values) if len(values) > 1 else 0.0,
                "first": values[0],  # the lowest seed: the one the single-run figures draw
            }
        entry["final_loss"]["published"] = PUBLISHED_FINAL_LOSS[config.name]
        near_zero = [r["latent"]["near_zero_fraction"] for r in group]
        entry["near_zero_fraction"] = {"mean": statistics.fmean(near_zero),
                                       "std": statistics.stdev(near_zero) if len(near_zero) > 1 else 0.0}
        summary[config.name] = entry
    return summary


def results_document(runs: list[dict], provenance: dict) -> dict:
    return {"schema": SCHEMA, "provenance": provenance, "runs": runs, "summary": summarise(runs),
            "published_final_loss": PUBLISHED_FINAL_LOSS}


# ---------------------------------------------------------------- the table and the key numbers

def fmt(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def pm(stats: dict, digits: int = 4) -> str:
    # No-break spaces: "mean ± std" never wraps inside a narrow table cell.
    return f"{stats['mean']:.{digits}f}\u00a0±\u00a0{stats['std']:.{digits}f}"


def table_markdown(results: dict) -> str:
    """The results table of Part 3: ours (mean ± std over seeds, lowest seed) beside the published loss."""
    summary = results["summary"]
    first = min(results["provenance"]["seeds"])
    lines = [
        f"| Configuration | Final training loss, mean ± std | Seed {first} | Published | "
        "Test MSE, clean input | Test MSE, noisy input (σ = 0.3) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for config in CONFIGURATIONS:
        if config.name not in summary:
            continue
        s = summary[config.name]
        lines.append(
            f"| {label(config)} | {pm(s['final_loss'])} | {fmt(s['final_loss']['first'])} | "
            f"{fmt(s['final_loss']['published'])} | {pm(s['test_mse'])} | {pm(s['test_mse_noisy'])} |"
        )
    seeds = ", ".join(str(s) for s in results["provenance"]["seeds"])
    lines.append("")
    lines.append(f"Seeds {seeds}; {results['runs'][0]['epochs']} epochs on {results['runs'][0]['train_size']:,} "
                 f"training images; test metrics on {results['runs'][0]['test_size']:,} test images. "
                 "The sparse model's training loss includes its L1 term; test metrics never do.")
    return "\n".join(lines) + "\n"


VARIANT_NAMES = {"vanilla": "Vanilla", "denoising": "Denoising", "sparse": "Sparse", "topk": "Top-k",
                 "conv": "Convolutional"}


def label(config: RunConfig) -> str:
    """How the table, the figures and their captions name a configuration: "Vanilla, d = 32";
    a setting that differs from the series' is named too: "Sparse, d = 32, λ = 1e-2", "Top-k, d = 32, k = 8"."""
    name = f"{VARIANT_NAMES[config.variant]}, d = {config.latent_dim}"
    weight = config.sparsity_weight
    if config.variant == "sparse" and weight != RunConfig.sparsity_weight:
        return f"{name}, λ = {weight:.0e}".replace("e-0", "e-")
    if config.variant == "topk":
        return f"{name}, k = {config.active_units}"
    return name


def key_numbers(results: dict, figure_numbers: dict[str, str]) -> dict[str, str]:
    """Flat key -> formatted string, for the site's {{ key }} tokens. Nothing is formatted on the site."""
    numbers: dict[str, str] = {}
    summary = results["summary"]
    for name, s in summary.items():
        for metric in SUMMARY_METRICS:
            numbers[f"{name}.{metric}.mean"] = fmt(s[metric]["mean"])
            numbers[f"{name}.{metric}.std"] = fmt(s[metric]["std"])
            numbers[f"{name}.{metric}.pm"] = pm(s[metric])
            numbers[f"{name}.{metric}.first"] = fmt(s[metric]["first"])
        numbers[f"{name}.final_loss.published"] = fmt(s["final_loss"]["published"])
        numbers[f"{name}.near_zero_fraction.pct"] = f"{100 * s['near_zero_fraction']['mean']:.0f}%"
    for run in results["runs"]:
        numbers[f"{run['name']}.parameters"] = f"{run['parameters']:,}"  # the same at every seed
    numbers.update(claims(summary))
    numbers.update(figure_numbers)
    prov = results["provenance"]
    numbers["seeds"] = ", ".join(str(s) for s in prov["seeds"])
    numbers["seeds.count"] = str(len(prov["seeds"]))
    numbers["seeds.first"] = str(min(prov["seeds"]))
    numbers["runs"] = str(len(results["runs"]))
    numbers["epochs"] = str(results["runs"][0]["epochs"])
    numbers["build.commit"] = prov["commit"][:10] + (" (with uncommitted changes)" if prov["dirty"] else "")
    numbers["build.date"] = prov["date"]
    # Total training time of the runs, as measured when each was trained (a cache hit keeps its time).
    numbers["build.train_seconds"] = f"{sum(r['train_seconds'] for r in results['runs']):.0f}"
    numbers["versions.torch"] = prov["versions"]["torch"]
    return numbers


def claims(summary: dict) -> dict[str, str]:
    """The ratios behind the original's claims, ours beside the published ones."""
    out = {}

    def ratio(key: str, a: str, b: str, metric: str = "final_loss") -> None:
        if a in summary and b in summary:
            out[f"claims.{key}"] = f"{summary[a][metric]['mean'] / summary[b][metric]['mean']:.1f}×"
            if metric == "final_loss":
                out[f"claims.{key}.published"] = f"{PUBLISHED_FINAL_LOSS[a] / PUBLISHED_FINAL_LOSS[b]:.1f}×"

    def change(key: str, a: str, b: str, metric: str) -> None:
        if a in summary and b in summary:
            out[f"claims.{key}.{metric}"] = (
                f"{100 * (summary[a][metric]['mean'] / summary[b][metric]['mean'] - 1):+.0f}%")
            if metric == "final_loss":
                out[f"claims.{key}.published"] = f"{100 * (PUBLISHED_FINAL_LOSS[a] / PUBLISHED_FINAL_LOSS[b] - 1):+.0f}%"

    if "sparse-d32" in summary and "vanilla-d32" in summary:  # the sparse loss without its penalty
        out["claims.sparse_reconstruction_vs_vanilla"] = (
            f"{100 * (summary['sparse-d32']['final_reconstruction']['mean'] / summary['vanilla-d32']['final_loss']['mean'] - 1):+.0f}%")
    ratio("bottleneck_ratio", "vanilla-d2", "vanilla-d32")
    ratio("bottleneck_ratio.test_mse", "vanilla-d2", "vanilla-d32", "test_mse")
    for key, variant in (("conv_vs_vanilla", "conv-d32"), ("sparse_vs_vanilla", "sparse-d32"),
                         ("denoising_vs_vanilla", "denoising-d32")):
        for metric in ("final_loss", "test_mse", "test_mse_noisy"):
            change(key, variant, "vanilla-d32", metric)
    return out
