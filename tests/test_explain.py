"""Keys on meaning, per definition, end to end: what edits leave --check clean, and what --explain and --dry-run say."""

import json
import re
import shutil
import statistics

import pytest

from autoencoders.experiments import CONFIGS
from autoencoders.pipeline.keys import Source
from autoencoders.pipeline.targets import run_target
from conftest import REPO, SMOKE, run_cli, smoke_args, warm_copy
from rewrap import rewrap
from test_build import snapshot

CODE_COLUMN = 80  # characters of code that Part 2's code blocks show at 1280 px without scrolling


@pytest.fixture
def built(checkout, smoke_build, tmp_path):
    """A scratch checkout with up-to-date smoke outputs and cache (copies of the session's smoke build)."""
    warm_copy(smoke_build, tmp_path)
    return checkout


def cli(checkout, tmp_path, *args):
    return run_cli(*smoke_args(tmp_path / "out", tmp_path / "cache"), *args, cwd=checkout)


def edit(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def explained(done) -> dict[str, str]:
    """"run X" / "figure Y" / "ledger" -> its cause, from --explain's lines."""
    return dict(re.findall(r"^((?:run |figure )?[^\s:(]+) \([^)]*\): (.*)$", done.stdout, re.M))


def planned_runs(tmp_path) -> list[str]:
    return [r["run_id"] for r in json.loads((tmp_path / "out" / "results" / "results.json").read_text())["runs"]]


def reaching(checkout, definition: str) -> set[str]:
    """The runs whose key covers `definition` ("module:name"), in the scratch checkout's code."""
    source = Source(checkout / "figures", package_dir=checkout / "src" / "autoencoders")
    found = set()
    for config in CONFIGS.values():
        target = run_target(config, {})
        if definition in source.closure(target.code, target.exclude):
            found |= {f"run {config.name}-s{s}" for s in SMOKE["seeds"]}
    return found


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

@pytest.mark.parametrize("module, old, new, definition", [
    ("models", "IMAGE_SIDE = 28", "IMAGE_SIDE = 27", "IMAGE_SIDE"),
    ("models", "nn.Sigmoid(),  # pixels", "nn.Hardsigmoid(),  # pixels", "VanillaAutoencoder.__init__"),
    ("models", "nn.Conv2d(16, 32, kernel_size=3", "nn.Conv2d(16, 32, kernel_size=5", "ConvAutoencoder.__init__"),
    ("train", "lr=config.learning_rate, fused=True", "lr=config.learning_rate, eps=1e-6, fused=True", "train"),
], ids=["constant", "activation", "conv layer", "optimiser argument"])
def test_a_code_change_stales_exactly_the_runs_that_reach_it_and_names_it(built, tmp_path, module, old, new,
                                                                           definition):
    edit(built / "src" / "autoencoders" / f"{module}.py", old, new)
    done = cli(built, tmp_path, "--check", "--explain")
    assert done.returncode == 1
    causes = explained(done)
    stale = {k for k in causes if k.startswith("run ")}
    assert stale == reaching(built, f"autoencoders.{module}:{definition}") and stale
    assert all(causes[r] == f"src/autoencoders/{module}.py: {definition} changed" for r in stale)
    if definition == "ConvAutoencoder.__init__":
        assert stale == {f"run conv-d32-s{s}" for s in SMOKE["seeds"]}
    if definition == "train":
        assert stale == {f"run {r}" for r in planned_runs(tmp_path)}
    # What reads those runs waits for their new results; what reaches the code itself is stale anyway.
    for name, cause in causes.items():
        if not name.startswith("run "):
            assert "which will be rebuilt" in cause or cause.startswith(f"src/autoencoders/{module}.py"), (name, cause)


def test_a_change_in_the_figure_code_stales_figures_only(built, tmp_path):
    from autoencoders.render import PNG_DPI

    edit(built / "src" / "autoencoders" / "render.py", f"PNG_DPI = {PNG_DPI}", f"PNG_DPI = {PNG_DPI // 2}")
    edit(built / "figures" / "latent_map.py", 'RUNS = ("vanilla-d2-s*",)',
         'RUNS = ("vanilla-d2-s*",)  # a comment changes nothing')
    causes = explained(cli(built, tmp_path, "--explain"))
    figures = {k for k in causes if k.startswith("figure ")}
    assert figures == {f"figure {p.stem.replace('_', '-')}" for p in (REPO / "figures").glob("[!_]*.py")}
    assert all(causes[f] == "src/autoencoders/render.py: PNG_DPI changed" for f in figures)
    assert set(causes) == figures | {"figure-pages", "numbers"}  # which wait for the new pictures' entries


def test_a_recipe_change_stales_that_figure_only(built, tmp_path):
    recipe = built / "figures" / "latent_map.py"
    edit(recipe, "def render(", "SCALE = 2\n\n\ndef render(")
    causes = explained(cli(built, tmp_path, "--explain"))
    assert causes.pop("figure latent-map") == "figures/latent_map.py: SCALE added"
    assert set(causes) == {"figure-pages", "numbers"}


def test_a_claim_change_stales_the_ledger_and_its_pages_only(built, tmp_path):
    edit(built / "src" / "autoencoders" / "claims.py", "SCHEMA = 2", "SCHEMA = 7")
    done = cli(built, tmp_path, "--check", "--explain")
    causes = explained(done)
    assert causes.pop("ledger") == "src/autoencoders/claims.py: SCHEMA changed"
    assert set(causes) == {"ledger-pages"} and done.returncode == 1


def test_a_measure_change_stales_what_uses_that_measure(built, tmp_path):
    edit(built / "src" / "autoencoders" / "measures.py", "PATH_STEPS = 10", "PATH_STEPS = 11")
    causes = explained(cli(built, tmp_path, "--explain"))
    own = {k for k, v in causes.items() if v.startswith("src/autoencoders/measures.py: PATH_STEPS changed")}
    assert own == {"ledger", "figure manifold"}, causes
    assert not [k for k in causes if k.startswith("run ")]


def test_explain_names_the_configuration_field_that_differs(built, tmp_path):
    done = cli(built, tmp_path, "--epochs", "3", "--explain")
    causes = explained(done)
    runs = planned_runs(tmp_path)
    assert all(causes[f"run {r}"] == "configuration: epochs 2 -> 3" for r in runs), done.stdout
    assert "run vanilla-d2-s0 (train)" in done.stdout  # no run of 3 epochs is in the cache


def test_a_run_missing_from_the_cache_is_trained_only_when_something_reads_it(built, tmp_path):
    for entry in (tmp_path / "cache" / "runs").glob("conv-d32-s1-*"):
        shutil.rmtree(entry)
    assert cli(built, tmp_path, "--explain").stdout == "nothing to rebuild\n"
    assert cli(built, tmp_path, "--check").returncode == 0  # the outputs themselves are still current
    (tmp_path / "out" / "figures" / "reconstructions.png").unlink()
    causes = explained(cli(built, tmp_path, "--explain"))
    assert causes["run conv-d32-s1"] == "read by figure reconstructions, and not in the cache"
    assert causes["figure reconstructions"] == "figures/reconstructions.png is missing or differs from what was built"


def test_explain_with_nothing_to_do(built, tmp_path):
    done = cli(built, tmp_path, "--explain")
    assert (done.returncode, done.stdout) == (0, "nothing to rebuild\n")


def test_explain_names_a_version_or_a_pinned_setting_that_moved(smoke_build, monkeypatch):
    from autoencoders import numerics
    from autoencoders.pipeline import engine, targets
    from conftest import smoke_options

    real = targets.versions()
    monkeypatch.setattr(targets, "versions", lambda: {**real, "torch": "9.9.9"})
    monkeypatch.setattr(numerics, "PINNED", {**numerics.PINNED, "MKL_CBWR": "AVX2"})
    the_plan = engine.plan(smoke_options(smoke_build / "out", smoke_build / "cache"))
    runs = [s for s in the_plan.steps.values() if s.target.kind == "run"]
    assert all(s.state == "stale" for s in runs)
    assert runs[0].cause == ("numerics: MKL_CBWR 'COMPATIBLE' -> 'AVX2'; "
                             f"versions: torch {real['torch']!r} -> '9.9.9'")


# ---------------------------------------------------------------- --dry-run

def test_dry_run_writes_nothing_and_estimates_from_recorded_times(built, tmp_path):
    edit(built / "src" / "autoencoders" / "models.py", "IMAGE_SIDE = 28", "IMAGE_SIDE = 27")
    before = snapshot(tmp_path)
    done = cli(built, tmp_path, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert snapshot(tmp_path) == before  # outputs and cache: no byte, no timestamp changed

    results = json.loads((tmp_path / "out" / "results" / "results.json").read_text())
    stale = {r.removeprefix("run ") for r in reaching(built, "autoencoders.models:IMAGE_SIDE")}
    expected = {}
    for run in results["runs"]:  # the cache holds the same runs: each counts once
        if run["run_id"] in stale:
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
    assert re.search(r"^render  play$", done.stdout, re.M)  # its code reaches IMAGE_SIDE (through export.py)


@pytest.mark.parametrize("seconds, workers, wall", [([5.0], 2, 5.0), ([1.0] * 4, 2, 2.0), ([3.0, 1.0, 1.0, 1.0], 2, 3.0),
                                                   ([1.0, 1.0, 3.0], 2, 4.0), ([2.0, 2.0, 2.0], 1, 6.0)])
def test_wall_time_hands_each_run_to_the_first_free_worker(seconds, workers, wall):
    from autoencoders.pipeline.runs import wall_time

    assert wall_time(seconds, workers) == wall


def test_dry_run_scales_by_epochs_and_images(built, tmp_path):
    done = cli(built, tmp_path, "--epochs", "4", "--dry-run")
    results = json.loads((tmp_path / "out" / "results" / "results.json").read_text())
    d2 = statistics.median(r["train_seconds"] for r in results["runs"] if r["name"] == "vanilla-d2")
    line = next(line for line in done.stdout.splitlines() if line.startswith("train   vanilla-d2-s0 "))
    assert float(re.search(r"~([\d.]+) s", line).group(1)) == pytest.approx(2 * d2, abs=0.051)
    assert "scaled by epochs and images" in line
