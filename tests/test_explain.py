"""Keys on meaning, end to end: what edits leave --check clean, and what --explain and --dry-run say."""

import json
import re
import shutil
import statistics

import pytest

from autoencoders.experiments import plan

from conftest import REPO, run_cli, smoke_args
from rewrap import rewrap
from test_build import snapshot

CODE_COLUMN = 80  # characters of code that Part 2's code blocks show at 1280 px without scrolling


@pytest.fixture
def built(checkout, smoke_build, tmp_path):
    """A scratch checkout with up-to-date smoke outputs and cache (copies of the session's smoke build)."""
    shutil.copytree(smoke_build / "out", tmp_path / "out")
    shutil.copytree(smoke_build / "cache", tmp_path / "cache")
    return checkout


def cli(checkout, tmp_path, *args):
    return run_cli(*smoke_args(tmp_path / "out", tmp_path / "cache"), *args, cwd=checkout)


def edit(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def explained(done) -> dict[str, str]:
    """"run X" / "figure Y" -> its cause, from --explain's lines."""
    found = re.findall(r"^((?:run|figure) \S+) \([^)]*\): (.*)$", done.stdout, re.M)
    return dict(found)


def planned_runs(tmp_path) -> list[str]:
    return [r["run_id"] for r in json.loads((tmp_path / "out" / "results" / "results.json").read_text())["runs"]]


# ---------------------------------------------------------------- edits that mean nothing

@pytest.mark.parametrize("old, new", [
    ('"penalty": self.sparsity_weight * z.abs().mean()}', '"penalty": self.sparsity_weight * z.abs().mean()}  # x'),
    ('"""The vanilla network plus an L1 penalty', '"""A vanilla network with an L1 penalty'),
    ('"penalty": self.sparsity_weight * z.abs().mean()}',
     '"penalty": (self.sparsity_weight\n                            * z.abs().mean())}'),
], ids=["comment", "docstring", "re-wrapped line"])
def test_an_edit_that_changes_no_meaning_leaves_check_clean(built, tmp_path, old, new):
    edit(built / "src" / "autoencoders" / "models.py", old, new)
    done = cli(built, tmp_path, "--check", "--explain")
    assert done.returncode == 0, done.stdout
    assert done.stdout == "outputs are up to date\n"


def test_rewrapping_every_long_line_retrains_nothing_and_changes_no_output(built, tmp_path):
    package = built / "src" / "autoencoders"
    for path in package.glob("*.py"):
        wrapped, left = rewrap(path.read_text(), CODE_COLUMN)
        assert left == [] and max(len(line) for line in wrapped.splitlines()) <= CODE_COLUMN
        path.write_text(wrapped)
    before = snapshot(tmp_path / "out")
    done = cli(built, tmp_path)
    assert done.returncode == 0, done.stderr
    assert "trained 0 runs" in done.stdout and "rendered 0 figures" in done.stdout and "wrote 0 files" in done.stdout
    assert snapshot(tmp_path / "out") == before
    assert cli(built, tmp_path, "--check").returncode == 0


# ---------------------------------------------------------------- edits that mean something

@pytest.mark.parametrize("module, old, new, named", [
    ("models", "IMAGE_SIDE = 28", "IMAGE_SIDE = 27", "IMAGE_SIDE changed"),
    ("models", "nn.Sigmoid(),  # pixels", "nn.Hardsigmoid(),  # pixels", "VanillaAutoencoder.__init__ changed"),
    ("train", "lr=config.learning_rate, fused=True", "lr=config.learning_rate, eps=1e-6, fused=True",
     "train changed"),
], ids=["constant", "activation", "optimiser argument"])
def test_a_code_change_stales_every_run_that_imports_it_and_is_named(built, tmp_path, module, old, new, named):
    edit(built / "src" / "autoencoders" / f"{module}.py", old, new)
    done = cli(built, tmp_path, "--check", "--explain")
    assert done.returncode == 1
    causes = explained(done)
    runs = planned_runs(tmp_path)  # every run imports models.py and train.py
    assert {f"run {r}" for r in runs} == {k for k in causes if k.startswith("run ")}
    assert all(causes[f"run {r}"] == f"src/autoencoders/{module}.py: {named}" for r in runs)
    # Figures import the module too (through the measurements): the change is named, then the runs.
    for key, cause in causes.items():
        if key.startswith("figure "):
            assert cause.startswith(f"src/autoencoders/{module}.py: {named}; its runs changed: "), (key, cause)


def test_a_change_in_the_figure_code_stales_figures_only(built, tmp_path):
    from autoencoders.render import PNG_DPI

    edit(built / "src" / "autoencoders" / "render.py", f"PNG_DPI = {PNG_DPI}", f"PNG_DPI = {PNG_DPI // 2}")
    edit(built / "figures" / "latent_map.py", "NUMBER = 1", "NUMBER = 1  # a comment changes nothing")
    causes = explained(cli(built, tmp_path, "--explain"))
    assert not [k for k in causes if k.startswith("run ")]
    figures = [k for k in causes if k.startswith("figure ")]
    recipes = list((REPO / "figures").glob("[!_]*.py"))
    assert len(figures) == len(recipes)
    assert all(causes[f] == "src/autoencoders/render.py: PNG_DPI changed" for f in figures)


def test_a_recipe_change_stales_that_figure_only(built, tmp_path):
    recipe = built / "figures" / "latent_map.py"
    edit(recipe, "def render(", "SCALE = 2\n\n\ndef render(")
    assert explained(cli(built, tmp_path, "--explain")) == {"figure latent-map": "figures/latent_map.py: SCALE added"}


def test_explain_names_the_configuration_field_that_differs(built, tmp_path):
    done = cli(built, tmp_path, "--epochs", "3", "--explain")
    causes = explained(done)
    runs = planned_runs(tmp_path)
    assert all(causes[f"run {r}"] == "configuration: epochs 2 -> 3" for r in runs), done.stdout
    assert "run vanilla-d2-s0 (train)" in done.stdout  # no run of 3 epochs is in the cache


def test_explain_says_when_a_run_is_only_missing_from_the_cache(built, tmp_path):
    for entry in (tmp_path / "cache" / "runs").glob("conv-d32-s1-*"):
        shutil.rmtree(entry)
    assert explained(cli(built, tmp_path, "--explain")) == {"run conv-d32-s1": "not in the cache"}
    assert cli(built, tmp_path, "--check").returncode == 0  # the outputs themselves are still current


def test_explain_with_nothing_to_do(built, tmp_path):
    done = cli(built, tmp_path, "--explain")
    assert (done.returncode, done.stdout) == (0, "nothing to rebuild\n")


# ---------------------------------------------------------------- --dry-run

def test_dry_run_writes_nothing_and_estimates_from_recorded_times(built, tmp_path):
    edit(built / "src" / "autoencoders" / "models.py", "IMAGE_SIDE = 28", "IMAGE_SIDE = 27")
    before = snapshot(tmp_path)
    done = cli(built, tmp_path, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert snapshot(tmp_path) == before  # outputs and cache: no byte, no timestamp changed

    results = json.loads((tmp_path / "out" / "results" / "results.json").read_text())
    expected = {}
    for run in results["runs"]:  # the cache holds the same runs: each counts once
        same = [r["train_seconds"] for r in results["runs"] if r["name"] == run["name"]]
        expected[run["run_id"]] = statistics.median(same)
    estimates = dict(re.findall(r"^train +(\S+) +~([\d.]+) s", done.stdout, re.M))
    assert estimates.keys() == expected.keys()
    for run_id, seconds in estimates.items():
        assert float(seconds) == pytest.approx(expected[run_id], abs=0.051), run_id
    summary = re.search(rf"^would train {len(expected)} runs \(~(\d+) s(?:, ~(\d+) s on (\d+) cores)?\)",
                        done.stdout, re.M)
    assert float(summary[1]) == pytest.approx(sum(expected.values()), abs=0.51)
    if summary[2]:  # runs train side by side: the wall time lies between the longest run and the sum
        wall, cores = float(summary[2]), int(summary[3])
        assert max(expected.values()) - 0.51 <= wall <= sum(expected.values()) + 0.51
        assert wall >= sum(expected.values()) / cores - 0.51
    assert len(re.findall(r"^render ", done.stdout, re.M)) == len(list((REPO / "figures").glob("[!_]*.py")))


@pytest.mark.parametrize("seconds, workers, wall", [([5.0], 2, 5.0), ([1.0] * 4, 2, 2.0), ([3.0, 1.0, 1.0, 1.0], 2, 3.0),
                                                   ([1.0, 1.0, 3.0], 2, 4.0), ([2.0, 2.0, 2.0], 1, 6.0)])
def test_wall_time_hands_each_run_to_the_first_free_worker(seconds, workers, wall):
    from autoencoders.build import _wall_time

    assert _wall_time(seconds, workers) == wall


def test_dry_run_scales_by_epochs_and_images(built, tmp_path):
    done = cli(built, tmp_path, "--epochs", "4", "--dry-run")
    results = json.loads((tmp_path / "out" / "results" / "results.json").read_text())
    d2 = statistics.median(r["train_seconds"] for r in results["runs"] if r["name"] == "vanilla-d2")
    line = next(line for line in done.stdout.splitlines() if line.startswith("train   vanilla-d2-s0 "))
    assert float(re.search(r"~([\d.]+) s", line).group(1)) == pytest.approx(2 * d2, abs=0.051)
    assert "scaled by epochs and images" in line


@pytest.mark.parametrize("name, cause", [("torch", "torch {old} -> 9.9.9"),
                                         ("dataset", "the data checksum changed ({old:.12} -> 9.9.9)")])
def test_explain_names_a_version_or_data_checksum_that_moved(smoke_build, monkeypatch, name, cause):
    from autoencoders import build, cache

    real = cache.environment()
    moved = {**real, name: "9.9.9"}
    for module in (cache, build):  # run_key reads it from cache, the explanation from build
        monkeypatch.setattr(module, "environment", lambda: moved)
    options = build.Options(out=smoke_build / "out", cache_dir=smoke_build / "cache", seeds=(0, 1), epochs=2,
                            subset=256)
    runs = [line for line in build.explain(options) if line.startswith("run ")]
    assert len(runs) == len(plan((0, 1)))  # every run of the two seeds
    assert all(line.endswith(f"(train): {cause.format(old=real[name])}") for line in runs), runs[0]
