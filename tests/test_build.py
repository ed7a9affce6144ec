"""build_figures.py end to end: a tiny complete build, what each kind of edit rebuilds, --only, --force, bad input."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from autoencoders.experiments import CONFIG_NAMES, plan
from autoencoders.pipeline.store import read_json
from conftest import REPO, SMOKE, run_cli, smoke_args, warm_copy

SMOKE_RUNS = len(plan(**SMOKE))


def snapshot(root):
    """Every output file with its bytes and modification time."""
    return {p.relative_to(root): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def record(out):
    return read_json(out / "results" / "build.json")["targets"]


# ---------------------------------------------------------------- a complete tiny build

def test_smoke_build_writes_every_output_and_records_what_made_it(smoke_build):
    out = smoke_build / "out"
    results = json.loads((out / "results" / "results.json").read_text())
    runs = {r["run_id"]: r for r in results["runs"]}
    assert len(runs) == SMOKE_RUNS == 2 * len(CONFIG_NAMES)  # two seeds of every configuration
    for run in runs.values():
        for field in ("name", "variant", "latent_dim", "seed", "epochs", "final_loss", "test_mse",
                      "test_mse_noisy", "train_seconds", "key", "digest"):
            assert field in run, field
        assert len(run["history"]) == run["epochs"] == 2
        assert run["final_loss"] == run["history"][-1]
    prov = results["provenance"]
    for field in ("commit", "dirty", "numerics", "versions", "seeds"):
        assert field in prov
    assert set(prov["versions"]) >= {"torch", "numpy", "torchvision", "python"}
    table = (out / "results" / "table.md").read_text()
    assert "| Vanilla, d = 2 |" in table and "0.0401" in table  # published value beside ours
    numbers = json.loads((out / "results" / "numbers.json").read_text())
    assert numbers["vanilla-d2.final_loss.published"] == "0.0401"
    manifest = json.loads((out / "results" / "figures.json").read_text())
    assert manifest and all((out / e["png"]).is_file() for e in manifest.values())
    assert sorted(e["number"] for e in manifest.values()) == list(range(1, len(manifest) + 1))
    measured = json.loads((out / "results" / "features.json").read_text())
    assert measured["seeds"] == [0, 1] and "| Raw pixels | 784 |" in (out / "results" / "features.md").read_text()
    # The record: every target, the digests it read, the files it wrote (as they are on disk).
    targets = record(out)
    assert {f"run {r}" for r in runs} <= targets.keys()
    assert {"results", "table", "numbers", "features", "ledger", "shapes", "figure-pages"} <= targets.keys()
    assert {f"figure {name}" for name in manifest} <= targets.keys()
    for name, entry in targets.items():
        for relative in entry["files"]:
            assert (out / relative).is_file(), (name, relative)
    assert targets["results"]["reads"] == {f"run {r}": runs[r]["digest"] for r in runs}


def test_second_build_trains_nothing_and_changes_no_byte(smoke_build):
    out, cache = smoke_build / "out", smoke_build / "cache"
    before = snapshot(out)
    done = run_cli(*smoke_args(out, cache))
    assert done.returncode == 0, done.stderr
    assert "trained 0 runs" in done.stdout and "rendered 0 figures" in done.stdout and "wrote 0 files" in done.stdout
    assert snapshot(out) == before


def test_deciding_that_nothing_is_stale_loads_no_library(smoke_build):
    """A no-op build and --check read fingerprints and JSON only: torch, numpy and matplotlib stay unloaded."""
    args = smoke_args(smoke_build / "out", smoke_build / "cache")
    for extra in ([], ["--check"], ["--explain"]):
        script = ("import runpy, sys\n"
                  f"sys.argv = {['build_figures.py', *args, *extra]!r}\n"
                  "try:\n    runpy.run_path('build_figures.py', run_name='__main__')\n"
                  "except SystemExit as done:\n    assert not done.code, done.code\n"
                  "print('LOADED', sorted(m for m in ('torch', 'numpy', 'matplotlib') if m in sys.modules))\n")
        done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        assert "LOADED []" in done.stdout, (extra, done.stdout)


def test_progress_shows_what_was_read_from_the_cache_and_a_timing_summary(smoke_build, tmp_path):
    out, cache = warm_copy(smoke_build, tmp_path)
    (out / "figures" / "latent-map.png").unlink()
    done = run_cli(*[a for a in smoke_args(out, cache) if a != "--quiet"])
    assert done.returncode == 0, done.stderr
    assert "cached   vanilla-d2-s0" in done.stderr and "made     figure latent-map" in done.stderr
    assert "rendered 1 figures" in done.stdout and done.stdout.splitlines()[-1].startswith("time: runs")


# ---------------------------------------------------------------- what invalidates what

@pytest.fixture
def warm(checkout, smoke_build, tmp_path):
    """A scratch checkout with a copy of the smoke build's outputs and cache."""
    out, cache = warm_copy(smoke_build, tmp_path)
    return checkout, out, cache


def build_in(checkout, out, cache, *extra):
    return run_cli(*smoke_args(out, cache), *extra, cwd=checkout)


def test_editing_a_figure_recipe_rerenders_only_that_figure(warm):
    checkout, out, cache = warm
    recipe = checkout / "figures" / "latent_map.py"
    recipe.write_text(recipe.read_text() + "\nEDITED = True\n")  # code, not a comment: comments change no key
    done = build_in(checkout, out, cache)
    assert done.returncode == 0, done.stderr
    assert "trained 0 runs" in done.stdout and "rendered 1 figures" in done.stdout


def test_editing_a_page_retrains_nothing_and_a_new_order_of_figures_renumbers_them(warm):
    checkout, out, cache = warm
    (checkout / "docs" / "index.md").write_text("# edited\n")
    done = build_in(checkout, out, cache)
    assert "trained 0 runs" in done.stdout and "rendered 0 figures" in done.stdout and "wrote 0 files" in done.stdout
    page = checkout / "docs" / "part-3-experiments.md"
    text = page.read_text()
    first, second = (f'--8<-- "docs/results/figures/{n}.md"' for n in ("latent-map", "denoising"))
    assert text.index(first) < text.index(second)
    page.write_text(text.replace(first, "@@").replace(second, first).replace("@@", second))
    done = build_in(checkout, out, cache)
    assert done.returncode == 0, done.stderr
    assert "trained 0 runs" in done.stdout and "rendered 0 figures" in done.stdout  # numbers, not pictures
    manifest = json.loads((out / "results" / "figures.json").read_text())
    assert (manifest["denoising"]["number"], manifest["latent-map"]["number"]) == (1, 2)
    assert "**Figure 1.**" in (out / "results" / "figures" / "denoising.md").read_text()
    assert json.loads((out / "results" / "numbers.json").read_text())["fig.denoising.number"] == "1"


def test_editing_one_model_retrains_its_runs_only(warm):
    checkout, out, cache = warm
    models = checkout / "src" / "autoencoders" / "models.py"
    models.write_text(models.read_text().replace("nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)",
                                                 'nn.Conv2d(1, 16, 3, stride=2, padding=1, padding_mode="replicate")'))
    done = build_in(checkout, out, cache)
    assert done.returncode == 0, done.stderr
    assert "trained 2 runs" in done.stdout  # conv-d32 at seeds 0 and 1, nothing else
    assert build_in(checkout, out, cache, "--check").returncode == 0


def test_editing_the_training_loop_retrains_every_run(warm):
    checkout, out, cache = warm
    train = checkout / "src" / "autoencoders" / "train.py"
    train.write_text(train.read_text().replace("EVAL_BATCH = 2_000", "EVAL_BATCH = 1_000", 1))
    done = build_in(checkout, out, cache, "--dry-run")
    assert f"would train {SMOKE_RUNS} runs" in done.stdout, done.stdout


def test_a_run_trained_beside_others_equals_one_trained_alone(smoke_build, mnist):
    """The build trains runs in parallel worker processes; a run trained in this process, alone, must
    give exactly the same numbers (one thread per run: the core count cannot change the sums)."""
    import torch

    from autoencoders.pipeline.engine import plan as judge
    from autoencoders.train import train
    from conftest import smoke_options

    config = next(c for c in plan(**SMOKE) if c.run_id == "conv-d32-s1")
    step = judge(smoke_options(smoke_build / "out", smoke_build / "cache")).steps["run conv-d32-s1"]
    stored = json.loads((smoke_build / "cache" / "runs" / f"conv-d32-s1-{step.key}" / "result.json").read_text())
    threads = torch.get_num_threads()
    try:
        for count in (1, 2):  # as if on a one-core and on a two-core machine
            torch.set_num_threads(count)
            alone = train(config, mnist).metrics
            assert torch.get_num_threads() == count  # the caller's setting is restored
            assert alone["history"] == stored["metrics"]["history"]
            assert alone["test_mse"] == stored["metrics"]["test_mse"]
    finally:
        torch.set_num_threads(threads)


def test_force_retrains_and_only_limits_it(smoke_build, tmp_path):
    out, cache = warm_copy(smoke_build, tmp_path)
    done = run_cli(*smoke_args(out, cache), "--force", "--only", "conv-d32")
    assert done.returncode == 0, done.stderr
    assert "trained 2 runs" in done.stdout  # conv-d32 at seeds 0 and 1
    assert "rendered 0 figures" in done.stdout  # the same bits again: nothing downstream changes


def test_only_a_figure_rerenders_it_without_training(smoke_build, tmp_path):
    out, cache = warm_copy(smoke_build, tmp_path)
    done = run_cli(*smoke_args(out, cache), "--only", "latent-map")
    assert done.returncode == 0, done.stderr
    assert "trained 0 runs" in done.stdout and "rendered 1 figures" in done.stdout


def test_only_refuses_to_train_what_it_was_not_asked_for(smoke_build, tmp_path):
    out, _ = warm_copy(smoke_build, tmp_path)
    done = run_cli(*smoke_args(out, tmp_path / "empty-cache"), "--only", "latent-map")
    assert done.returncode == 1
    assert "is not in the cache" in done.stderr and len(done.stderr.strip().splitlines()) == 1


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
    assert "stale: run vanilla-d2-s0: src/autoencoders/models.py: VanillaAutoencoder.__init__ changed" in done.stdout
    assert "stale: run conv-d32-s0" not in done.stdout


def test_check_fails_when_a_figure_or_table_is_edited(checkout):
    (checkout / "docs" / "results" / "table.md").write_text("| hand-edited |\n")
    png = next((checkout / "docs" / "figures").glob("*.png"))
    png.write_bytes(png.read_bytes()[:-10])
    done = run_cli("--check", cwd=checkout)
    assert done.returncode == 1
    assert "stale: table: results/table.md is missing or differs from what was built" in done.stdout
    assert f"stale: figure {png.stem}: figures/{png.name} is missing or differs" in done.stdout


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("args, message", [
    (["--no-such-flag"], "unrecognized arguments: --no-such-flag"),
    (["--epochs", "-3"], "argument --epochs: expected a whole number >= 0, got '-3'"),
    (["--epochs", "zero"], "argument --epochs: expected a whole number >= 0, got 'zero'"),
    (["--subset", "0"], "argument --subset: expected a whole number >= 1, got 0"),
    (["--seeds", "1,1"], "argument --seeds: expected distinct comma-separated seeds"),
    (["--verify", "0"], "argument --verify: expected a whole number >= 1, got 0"),
    (["--only", "vanilla-d3"], "--only: unknown name 'vanilla-d3'"),
])
def test_bad_input_gets_one_line_and_exit_status_2(args, message, tmp_path):
    done = run_cli(*args, "--out", str(tmp_path / "out"), "--cache-dir", str(tmp_path / "cache"))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr
    assert not (tmp_path / "out").exists()


def test_the_same_seeds_give_byte_identical_outputs(smoke_build, tmp_path):
    """Retraining from scratch (another, empty cache) reproduces every output byte for byte."""
    from autoencoders.pipeline.engine import build
    from autoencoders.results import stable_view
    from conftest import smoke_options

    out = tmp_path / "out"
    report = build(smoke_options(out, tmp_path / "cache"))
    assert len(report.trained) == SMOKE_RUNS
    first, second = snapshot(smoke_build / "out"), snapshot(out)
    assert first.keys() == second.keys()
    for name in first:
        if name.name == "results.json":  # wall times describe the build, not the results
            assert stable_view(json.loads(first[name][0])) == stable_view(json.loads(second[name][0]))
        elif name.name == "build.json":  # records the bytes of those two files
            assert without_timings(first[name][0]) == without_timings(second[name][0])
        elif name.name != "numbers.json":  # holds the total training time
            assert first[name][0] == second[name][0], name


def without_timings(build_json: bytes) -> dict:
    """The record without the digests of results.json and numbers.json, whose bytes hold wall times."""
    targets = json.loads(build_json)["targets"]
    for name in ("results", "numbers"):
        targets[name].pop("files")
        targets[name].pop("digest") if name == "numbers" else None
    return targets


def test_a_damaged_cache_entry_is_reported_and_retrained(smoke_build, tmp_path):
    out, cache = warm_copy(smoke_build, tmp_path)
    model = next((cache / "runs").glob("vanilla-d2-s0-*")) / "model.pt"
    payload = model.read_bytes()[:100]
    model.unlink()  # a hard link to the session's cache: replace the file, never write into it
    model.write_bytes(payload)
    (out / "figures" / "latent-map.png").unlink()  # a figure that reads the run, so the build loads it
    done = run_cli(*[a for a in smoke_args(out, cache) if a != "--quiet"])
    assert done.returncode == 0, done.stderr
    assert "damaged  vanilla-d2-s0: cache entry rejected" in done.stderr and "retraining" in done.stderr
    assert "trained 1 runs" in done.stdout and "rendered 1 figures" in done.stdout


def test_figures_without_a_page_that_includes_them_come_last(tmp_path):
    from autoencoders.pipeline.targets import figure_numbering

    (tmp_path / "docs").mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: x\nnav:\n  - Home: index.md\n  - Two: two.md\n")
    (tmp_path / "docs" / "index.md").write_text('--8<-- "docs/results/figures/b.md"\n')
    (tmp_path / "docs" / "two.md").write_text('--8<-- "docs/results/figures/a.md"\n--8<-- "docs/results/figures/b.md"\n')
    assert figure_numbering(tmp_path, ["a", "b", "c"]) == {"b": 1, "a": 2, "c": 3}
