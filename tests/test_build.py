"""build_figures.py end to end: a tiny complete build, the cache in action, --check, and bad input."""

import json
import shutil
import time

import pytest

from autoencoders.experiments import EXPERIMENTS, plan
from conftest import run_cli, smoke_args

SMOKE_RUNS = len(plan((0, 1)))  # the smoke build's seeds


def snapshot(root):
    """Every output file with its bytes and modification time."""
    return {p.relative_to(root): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- a complete tiny build

def test_smoke_build_writes_every_output(smoke_build):
    out = smoke_build / "out"
    results = json.loads((out / "results" / "results.json").read_text())
    runs = {r["run_id"]: r for r in results["runs"]}
    assert len(runs) == SMOKE_RUNS == 2 * len({c.name for c in EXPERIMENTS})  # two seeds of every experiment
    for run in runs.values():
        for field in ("name", "variant", "latent_dim", "seed", "epochs", "final_loss", "test_mse",
                      "test_mse_noisy", "train_seconds", "cache_hit", "key"):
            assert field in run, field
        assert len(run["history"]) == run["epochs"] == 2
        assert run["final_loss"] == run["history"][-1]
    prov = results["provenance"]
    for field in ("commit", "dirty", "source_hash", "dataset_checksum", "versions", "seeds"):
        assert field in prov
    assert set(prov["versions"]) >= {"torch", "numpy", "torchvision", "matplotlib"}
    table = (out / "results" / "table.md").read_text()
    assert "| Vanilla, d = 2 |" in table and "0.0401" in table  # published value beside ours
    numbers = json.loads((out / "results" / "numbers.json").read_text())
    assert numbers["vanilla-d2.final_loss.published"] == "0.0401"
    manifest = json.loads((out / "results" / "figures.json").read_text())
    assert manifest and all((out / e["png"]).is_file() for e in manifest.values())
    measured = json.loads((out / "results" / "features.json").read_text())
    assert measured["seeds"] == [0, 1] and "| Raw pixels | 784 |" in (out / "results" / "features.md").read_text()


def test_second_build_trains_nothing_and_changes_no_byte(smoke_build):
    out, cache = smoke_build / "out", smoke_build / "cache"
    before = snapshot(out)
    started = time.perf_counter()
    done = run_cli(*smoke_args(out, cache))
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert "trained 0 runs" in done.stdout and "rendered 0 figures" in done.stdout and "wrote 0 files" in done.stdout
    assert snapshot(out) == before
    assert elapsed < 10, f"a rebuild with nothing to do took {elapsed:.1f} s"


def test_progress_shows_cache_hits_and_a_timing_summary(smoke_build):
    done = run_cli(*[a for a in smoke_args(smoke_build / "out", smoke_build / "cache") if a != "--quiet"])
    assert done.returncode == 0
    assert "cached   vanilla-d2-s0" in done.stderr
    assert "figure   latent-map: up to date" in done.stderr
    assert done.stdout.splitlines()[-1].startswith("time: runs")


# ---------------------------------------------------------------- what invalidates what

def build_in(checkout, tmp_path):
    return run_cli(*smoke_args(tmp_path / "out", tmp_path / "cache"), cwd=checkout)


def test_editing_a_figure_recipe_rerenders_only_that_figure(checkout, tmp_path):
    assert build_in(checkout, tmp_path).returncode == 0
    recipe = checkout / "figures" / "latent_map.py"
    recipe.write_text(recipe.read_text() + "\nEDITED = True\n")  # code, not a comment: comments change no key
    started = time.perf_counter()
    done = build_in(checkout, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "trained 0 runs" in done.stdout and "rendered 1 figures" in done.stdout
    assert time.perf_counter() - started < 10


def test_editing_docs_retrains_nothing(checkout, tmp_path):
    assert build_in(checkout, tmp_path).returncode == 0
    (checkout / "docs" / "index.md").write_text("# edited\n")
    done = build_in(checkout, tmp_path)
    assert "trained 0 runs" in done.stdout and "rendered 0 figures" in done.stdout


def test_editing_code_a_run_imports_retrains_it(checkout, tmp_path):
    assert build_in(checkout, tmp_path).returncode == 0
    train = checkout / "src" / "autoencoders" / "train.py"
    train.write_text(train.read_text() + "\nEDITED = True\n")
    done = build_in(checkout, tmp_path)
    assert done.returncode == 0
    assert f"trained {SMOKE_RUNS} runs" in done.stdout


def test_a_run_trained_beside_others_equals_one_trained_alone(smoke_build, mnist):
    """The build trains runs in parallel worker processes; a run trained in this process, alone, must
    give exactly the same numbers (one thread per run: the core count cannot change the sums)."""
    import torch

    from autoencoders.cache import RunCache, run_key
    from autoencoders.train import train

    config = next(c for c in plan((0, 1), epochs=2, subset=256) if c.run_id == "conv-d32-s1")
    stored, _ = RunCache(smoke_build / "cache").load(config, run_key(config))
    threads = torch.get_num_threads()
    alone = {}
    try:
        for count in (1, 2):  # as if on a one-core and on a two-core machine
            torch.set_num_threads(count)
            alone[count] = train(config, mnist).metrics
            assert torch.get_num_threads() == count  # the caller's setting is restored
    finally:
        torch.set_num_threads(threads)
    for metrics in alone.values():
        assert metrics["history"] == stored.metrics["history"]
        assert metrics["test_mse"] == stored.metrics["test_mse"]


def test_force_retrains_and_only_limits_it(smoke_build, tmp_path):
    args = smoke_args(tmp_path / "out", smoke_build / "cache")
    done = run_cli(*args, "--force", "--only", "conv-d32")
    assert done.returncode == 0, done.stderr
    assert "trained 2 runs" in done.stdout  # conv-d32 at seeds 0 and 1


def test_only_a_figure_rerenders_it_without_training(smoke_build, tmp_path):
    done = run_cli(*smoke_args(tmp_path / "out", smoke_build / "cache"), "--only", "latent-map")
    assert done.returncode == 0, done.stderr
    assert "trained 0 runs" in done.stdout and "rendered 1 figures" in done.stdout


def test_only_refuses_to_train_what_it_was_not_asked_for(tmp_path, mnist):
    done = run_cli(*smoke_args(tmp_path / "out", tmp_path / "empty-cache"), "--only", "latent-map")
    assert done.returncode == 1
    assert "is not in the cache" in done.stderr


# ---------------------------------------------------------------- --check

def test_check_passes_on_the_committed_outputs():
    done = run_cli("--check")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "up to date" in done.stdout


def test_check_fails_after_a_change_to_the_models(checkout):
    assert run_cli("--check", cwd=checkout).returncode == 0
    models = checkout / "src" / "autoencoders" / "models.py"
    models.write_text(models.read_text().replace("nn.Linear(512, 256)", "nn.Linear(512, 255)", 1))
    done = run_cli("--check", cwd=checkout)
    assert done.returncode == 1
    assert "stale: run vanilla-d2-s0" in done.stdout


def test_check_fails_when_a_figure_or_table_is_edited(checkout):
    (checkout / "docs" / "results" / "table.md").write_text("| hand-edited |\n")
    png = next((checkout / "docs" / "figures").glob("*.png"))
    png.write_bytes(png.read_bytes()[:-10])
    done = run_cli("--check", cwd=checkout)
    assert done.returncode == 1
    assert "table.md does not match results.json" in done.stdout
    assert f"figure {png.stem}:" in done.stdout


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("args, message", [
    (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["--epochs", "-3"], "argument --epochs: expected a whole number >= 0, got '-3'"),
    (["--epochs", "zero"], "argument --epochs: expected a whole number >= 0, got 'zero'"),
    (["--subset", "0"], "argument --subset: expected a whole number >= 1, got 0"),
    (["--seeds", "1,1"], "argument --seeds: expected distinct comma-separated seeds"),
    (["--only", "vanilla-d3"], "--only: unknown name 'vanilla-d3'"),
])
def test_bad_input_gets_one_line_and_exit_status_2(args, message, tmp_path):
    done = run_cli(*args, "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert not (tmp_path / "out").exists() and not (tmp_path / "cache").exists()


def test_the_same_seeds_give_byte_identical_outputs(smoke_build, tmp_path):
    """Retraining from scratch (another, empty cache) reproduces every output byte for byte."""
    from autoencoders.outputs import stable_view

    out = tmp_path / "out"
    done = run_cli(*smoke_args(out, tmp_path / "cache"))
    assert done.returncode == 0 and f"trained {SMOKE_RUNS} runs" in done.stdout, done.stderr
    first, second = snapshot(smoke_build / "out"), snapshot(out)
    assert first.keys() == second.keys()
    for name in first:
        if name.name == "results.json":  # wall times and cache hits describe the build, not the results
            assert stable_view(json.loads(first[name][0])) == stable_view(json.loads(second[name][0]))
        elif name.name != "numbers.json":  # holds the total training time
            assert first[name][0] == second[name][0], name


def test_a_truncated_cache_entry_is_reported_and_retrained(smoke_build, tmp_path):
    cache = tmp_path / "cache"
    shutil.copytree(smoke_build / "cache", cache)
    model = next((cache / "runs").glob("vanilla-d2-s0-*")) / "model.pt"
    model.write_bytes(model.read_bytes()[:100])
    done = run_cli(*[a for a in smoke_args(tmp_path / "out", cache) if a != "--quiet"])
    assert done.returncode == 0, done.stderr
    assert "damaged  vanilla-d2-s0: cache entry rejected" in done.stderr and "retraining" in done.stderr
    assert f"trained 1 runs, reused {SMOKE_RUNS - 1}" in done.stdout
