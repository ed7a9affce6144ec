"""Results as data: results.json, the Markdown results table and the key numbers the site includes.

Everything here is a pure function of the runs' metrics, so the same runs always give the same
bytes. A few fields describe the build rather than the science (wall times, the commit); they are
recorded, but the build never rewrites a file for them alone, so a rebuild leaves `git status` clean.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable

from .experiments import CONFIGURATIONS, PUBLISHED_FINAL_LOSS, RunConfig, label

SCHEMA = 2
# Fields that describe one build, not the results: a file is never rewritten for them alone.
VOLATILE_RUN_FIELDS = ("train_seconds",)
VOLATILE_PROVENANCE_FIELDS = ("commit", "dirty", "date", "build_seconds")


def stable_view(results: dict) -> dict:
    """`results` without the fields that describe the build rather than the science."""
    view = json.loads(json.dumps(results))
    for run in view.get("runs", []):
        for name in VOLATILE_RUN_FIELDS:
            run.pop(name, None)
    for name in VOLATILE_PROVENANCE_FIELDS:
        view.get("provenance", {}).pop(name, None)
    return view


# ---------------------------------------------------------------- results.json

RECORDED_METRICS = ("parameters", "final_loss", "final_terms", "train_mse", "test_mse", "test_mse_noisy",
                    "history", "latent", "train_seconds")


def run_record(config: RunConfig, key: str, digest: str, metrics: dict) -> dict:
    """One run in results.json: its configuration, its key and the digest of what it produced, its metrics."""
    return {"run_id": config.run_id, "key": key, "digest": digest, **config.as_dict(),
            **{name: metrics[name] for name in RECORDED_METRICS}}


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


def pm(stats: dict, seeds: int, digits: int = 4) -> str:
    """"mean ± std" over `seeds` seeds; one seed has no spread to show, only its value."""
    if seeds < 2:
        return f"{stats['mean']:.{digits}f}"
    # No-break spaces: "mean ± std" never wraps inside a narrow table cell.
    return f"{stats['mean']:.{digits}f}\u00a0±\u00a0{stats['std']:.{digits}f}"


def table_markdown(results: dict) -> str:
    """The results table of Part 3: ours (mean ± std over seeds, lowest seed) beside the published loss."""
    summary = results["summary"]
    seeds = sorted({seed for entry in summary.values() for seed in entry["seeds"]})
    first = seeds[0]
    lines = [
        f"| Configuration | Final training loss, mean ± std | Seed {first} | Published | "
        "Test MSE, clean input | Test MSE, noisy input (σ = 0.3) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for config in CONFIGURATIONS:
        if config.name not in summary:
            continue
        s = summary[config.name]
        n = len(s["seeds"])
        lines.append(
            f"| {label(config)} | {pm(s['final_loss'], n)} | {fmt(s['final_loss']['first'])} | "
            f"{fmt(s['final_loss']['published'])} | {pm(s['test_mse'], n)} | {pm(s['test_mse_noisy'], n)} |"
        )
    lines.append("")
    lines.append(f"Seeds {seed_list(seeds)}; {results['runs'][0]['epochs']} epochs on {results['runs'][0]['train_size']:,} "
                 f"training images; test metrics on {results['runs'][0]['test_size']:,} test images. "
                 "The sparse model's training loss includes its L1 term; test metrics never do.")
    return "\n".join(lines) + "\n"


def seed_list(seeds: list[int]) -> str:
    """"0–9" for a run of consecutive seeds, else "1, 3, 4"."""
    seeds = sorted(seeds)
    if len(seeds) > 2 and seeds == list(range(seeds[0], seeds[-1] + 1)):
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(map(str, seeds))


def key_numbers(results: dict, figure_numbers: dict[str, str]) -> dict[str, str]:
    """Flat key -> formatted string, for the site's {{ key }} tokens. Nothing is formatted on the site."""
    numbers: dict[str, str] = {}
    summary = results["summary"]
    for name, s in summary.items():
        for metric in SUMMARY_METRICS:
            numbers[f"{name}.{metric}.mean"] = fmt(s[metric]["mean"])
            numbers[f"{name}.{metric}.std"] = fmt(s[metric]["std"])
            numbers[f"{name}.{metric}.pm"] = pm(s[metric], len(s["seeds"]))
            numbers[f"{name}.{metric}.first"] = fmt(s[metric]["first"])
        numbers[f"{name}.final_loss.published"] = fmt(s["final_loss"]["published"])
        numbers[f"{name}.near_zero_fraction.pct"] = f"{100 * s['near_zero_fraction']['mean']:.0f}%"
    for run in results["runs"]:
        numbers[f"{run['name']}.parameters"] = f"{run['parameters']:,}"  # the same at every seed
    numbers.update(claims(summary))
    numbers.update(figure_numbers)
    prov = results["provenance"]
    numbers["seeds"] = seed_list(prov["seeds"])
    numbers["seeds.count"] = str(len(prov["seeds"]))
    numbers["seeds.first"] = str(min(prov["seeds"]))
    for config in CONFIGURATIONS:  # the published table's seeds (the sweeps may have fewer)
        if config.name in summary:
            numbers[f"{config.name}.seeds.count"] = str(len(summary[config.name]["seeds"]))
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
