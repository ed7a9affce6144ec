"""One engine: build, --check, --explain and --dry-run agree on what is stale; outputs follow what their runs
produced, not their keys; a variant is added in one place; --verify and the reproduction report."""

import json
import re

import pytest

from conftest import REPO, SMOKE, run_cli, smoke_args, smoke_options, warm_copy


def edit(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1, (path.name, old)
    path.write_text(text.replace(old, new))


# Each kind of input, edited in a scratch copy: (file, old, new).
EDITS = {
    "a model": ("src/autoencoders/models.py", "nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1)",
                'nn.Conv2d(1, 16, 3, stride=2, padding=1, padding_mode="replicate")'),
    # Renaming a local variable changes the loop's key, not one bit of what it computes.
    "the loop": ("src/autoencoders/train.py", "history.append(sum(epoch_terms.values()))",
                 "total = sum(epoch_terms.values())\n        history.append(total)"),
    "a claim": ("src/autoencoders/claims.py", "SCHEMA = 2", "SCHEMA = 7"),
    "a measure": ("src/autoencoders/measures.py", "PATH_STEPS = 10", "PATH_STEPS = 11"),
    "a recipe": ("figures/latent_map.py", "def render(", "SCALE = 2\n\n\ndef render("),
    "a page": ("docs/part-3-experiments.md", None, None),  # the order of two figures: see below
}


def swap_two_figures(checkout):
    page = checkout / "docs" / "part-3-experiments.md"
    text = page.read_text()
    first, second = (f'--8<-- "docs/results/figures/{n}.md"' for n in ("latent-map", "denoising"))
    page.write_text(text.replace(first, "@@").replace(second, first).replace("@@", second))


def names(lines, pattern) -> dict[str, str]:
    return dict(re.findall(pattern, lines, re.M))


@pytest.mark.slow
@pytest.mark.parametrize("kind", EDITS)
def test_build_check_explain_and_dry_run_agree_on_what_is_stale_and_why(kind, checkout, smoke_build, tmp_path):
    out, cache = warm_copy(smoke_build, tmp_path)
    path, old, new = EDITS[kind]
    if old is None:
        swap_two_figures(checkout)
    else:
        edit(checkout / path, old, new)
    args = smoke_args(out, cache)
    check = run_cli(*args, "--check", cwd=checkout)
    explain = run_cli(*args, "--explain", cwd=checkout)
    dry = run_cli(*args, "--dry-run", cwd=checkout)
    assert check.returncode == 1 and explain.returncode == dry.returncode == 0, check.stderr + explain.stderr

    stale = names(check.stdout, r"^stale: ((?:run |figure )?[^\s:]+): (.*)$")
    explained = names(explain.stdout, r"^((?:run |figure )?[^\s:(]+) \([^)]*\): (.*)$")
    planned = {m[1]: m[0] for m in re.findall(r"^(train|render|make) +(\S+)", dry.stdout, re.M)}
    short = {k.removeprefix("run ").removeprefix("figure "): v for k, v in explained.items()}
    assert stale == explained, kind  # the same targets, for the same reasons
    assert planned.keys() == short.keys(), kind

    build = run_cli(*[a for a in args if a != "--quiet"], cwd=checkout)
    assert build.returncode == 0, build.stderr
    built = set(re.findall(r"^made +((?:run |figure )?[^\s:]+) in", build.stderr, re.M))
    built |= {f"run {r}" for r in re.findall(r"^trained +(\S+) in", build.stderr, re.M)}
    sure = {k for k, v in explained.items() if "which will be rebuilt" not in v or "; and it reads" in v}
    assert sure <= built <= explained.keys(), (kind, sure - built, built - explained.keys())
    assert run_cli(*args, "--check", cwd=checkout).returncode == 0
    if kind == "the loop":  # every run retrained, to the same bits: nothing downstream was made again
        assert built == {k for k in explained if k.startswith("run ")}
    if kind == "a claim":
        assert built == {"ledger", "ledger-pages"}


def replace_cached_weights(cache, run_id):
    """Give the cached run other (valid) weights, as a machine that computes other bits would."""
    import torch

    from autoencoders.pipeline.store import RunCache
    from autoencoders.experiments import plan

    config = next(c for c in plan(**SMOKE) if c.run_id == run_id)
    entry = next((cache / "runs").glob(f"{run_id}-*"))
    key = entry.name.removeprefix(f"{run_id}-")
    store = RunCache(cache)
    result, damage = store.load(config, key)
    assert damage is None
    with torch.no_grad():
        next(result.model.parameters()).add_(1e-3)
    import shutil

    shutil.rmtree(entry)
    store.store(result, key)


def test_outputs_follow_what_their_runs_produced_and_check_is_clean_only_after(smoke_build, tmp_path):
    """The record says run R produced digest D; the cache now holds other bits for R (another machine's).
    A build that reads R re-derives everything that reads it, in the same build, and nothing else."""
    from autoencoders.pipeline.engine import build, check

    out, cache = warm_copy(smoke_build, tmp_path)
    before = json.loads((out / "results" / "build.json").read_text())["targets"]
    replace_cached_weights(cache, "vanilla-d2-s0")
    (out / "figures" / "latent-map.png").unlink()  # one output that must be made, so the build reads the run
    assert check(smoke_options(out, cache))  # stale (a missing PNG) before...
    report = build(smoke_options(out, cache))
    after = json.loads((out / "results" / "build.json").read_text())["targets"]
    readers = {n for n, e in before.items() if "run vanilla-d2-s0" in e.get("reads", {})}
    downstream = readers | {n for n, e in before.items() if set(e.get("reads", {})) & readers}
    remade = {n for n in after if after[n]["key"] != before[n]["key"]}
    assert downstream <= remade  # everything that read the run, and what read those
    assert "figure sparsity" not in remade and "shapes" not in remade  # they never read that run
    assert after["run vanilla-d2-s0"]["digest"] != before["run vanilla-d2-s0"]["digest"]
    results = json.loads((out / "results" / "results.json").read_text())
    assert next(r for r in results["runs"] if r["run_id"] == "vanilla-d2-s0")["digest"] == \
        after["run vanilla-d2-s0"]["digest"]
    assert any(line.startswith("differs  vanilla-d2:") for line in report.reproduction), report.reproduction
    assert check(smoke_options(out, cache)) == []  # ...and clean after, with every output from the same runs


def test_check_names_an_output_made_from_other_run_results_than_results_json(smoke_build, tmp_path):
    from autoencoders.pipeline.engine import check

    out, cache = warm_copy(smoke_build, tmp_path)
    path = out / "results" / "build.json"
    recorded = json.loads(path.read_text())
    recorded["targets"]["figure latent-map"]["reads"]["run vanilla-d2-s0"] = "0" * 64
    path.write_text(json.dumps(recorded))
    problems = check(smoke_options(out, cache))
    assert ("figure latent-map: made from other results of vanilla-d2-s0 than results.json records"
            in problems), problems


def test_retrained_runs_that_match_the_record_are_reported_as_reproduced(smoke_build, tmp_path):
    from autoencoders.pipeline.engine import build

    out, cache = warm_copy(smoke_build, tmp_path)
    report = build(smoke_options(out, cache, force=True, only=("vanilla-d2",)))
    assert report.trained == ["vanilla-d2-s0", "vanilla-d2-s1"] and report.made == [] and report.written == []
    assert report.reproduction == ["reproduced  2 retrained run(s) match results.json on record byte for byte"]


def test_verify_retrains_a_sample_and_compares_bytes(smoke_build, tmp_path):
    out, cache = warm_copy(smoke_build, tmp_path)
    done = run_cli(*smoke_args(out, cache), "--check", "--verify", "2")
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.findall(r"^verified  (\S+): the same bytes as on record$", done.stdout, re.M) == \
        ["vanilla-d2-s0", "vanilla-d32-s0"]
    path = out / "results" / "build.json"
    recorded = json.loads(path.read_text())
    recorded["targets"]["run vanilla-d2-s0"]["digest"] = "0" * 64  # as if made on a machine that sums otherwise
    path.write_text(json.dumps(recorded))
    done = run_cli(*smoke_args(out, cache), "--verify", "1")
    assert done.returncode == 1 and "differs   vanilla-d2-s0: other bytes than on record" in done.stdout


VARIANT_MODEL = '''

# --8<-- [start:wide]
class WideAutoencoder(VanillaAutoencoder):
    """The vanilla network with a wider first layer."""

    def __init__(self, latent_dim: int):
        super().__init__(latent_dim)
        self.encoder[1] = nn.Linear(N_PIXELS, 640)
        self.encoder[3] = nn.Linear(640, 256)
# --8<-- [end:wide]
'''


def add_variant(checkout):
    """A new variant, in the two files the maintainers' guide names: its class, its registry entry and
    configuration (Part 2's section is the third, and builds nothing)."""
    models = checkout / "src" / "autoencoders" / "models.py"
    models.write_text(models.read_text() + VARIANT_MODEL)
    experiments = checkout / "src" / "autoencoders" / "experiments.py"
    edit(experiments, '    "conv": Variant("ConvAutoencoder", "Convolutional"),\n',
         '    "conv": Variant("ConvAutoencoder", "Convolutional"),\n    "wide": Variant("WideAutoencoder", "Wide"),\n')
    edit(experiments, "TOPK = RunConfig(", 'WIDE = RunConfig("wide-d32", "wide", latent_dim=32)\nTOPK = RunConfig(')
    edit(experiments, "COMPARED: tuple[RunConfig, ...] = CONFIGURATIONS + (TOPK,)",
         "COMPARED: tuple[RunConfig, ...] = CONFIGURATIONS + (TOPK, WIDE)")
    edit(experiments, "+ SPARSITY_FIXES + (UNCLIPPED,))", "+ SPARSITY_FIXES + (UNCLIPPED, WIDE))")


@pytest.mark.slow
def test_a_variant_added_in_one_place_trains_only_its_runs_and_joins_the_comparisons(checkout, smoke_build, tmp_path):
    out, cache = warm_copy(smoke_build, tmp_path)
    add_variant(checkout)
    args = smoke_args(out, cache)
    explained = run_cli(*args, "--explain", cwd=checkout).stdout
    assert set(re.findall(r"^run (\S+) \(train\)", explained, re.M)) == {"wide-d32-s0", "wide-d32-s1"}
    done = run_cli(*args, cwd=checkout)
    assert done.returncode == 0, done.stderr
    assert "trained 2 runs" in done.stdout
    features = json.loads((out / "results" / "features.json").read_text())
    assert "wide-d32" in features["sets"]  # probed, labelled, coloured and tabled by the registry alone
    assert "| Wide, d\u00a0=\u00a032 |" in (out / "results" / "features.md").read_text()
    assert run_cli(*args, "--check", cwd=checkout).returncode == 0


def test_a_build_that_fails_writes_nothing_and_the_next_one_reuses_what_it_made(smoke_build, tmp_path, monkeypatch):
    from autoencoders.pipeline import make
    from autoencoders.pipeline.engine import build

    out, cache = warm_copy(smoke_build, tmp_path)
    for name in ("latent-map", "manifold"):  # two figures to make: the second one fails
        (out / "figures" / f"{name}.png").unlink()
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    real = make.Building._make_figure

    def failing(self, target, inputs):
        if target.label == "manifold":
            raise RuntimeError("a recipe's bug")
        return real(self, target, inputs)
    monkeypatch.setattr(make.Building, "_make_figure", failing)
    with pytest.raises(RuntimeError, match="a recipe's bug"):
        build(smoke_options(out, cache))
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # not even the figure that was made
    monkeypatch.setattr(make.Building, "_make_figure", real)

    made = []
    monkeypatch.setattr(make.Building, "_make_figure", lambda self, t, i: made.append(t.label) or real(self, t, i))
    report = build(smoke_options(out, cache))
    assert made == ["manifold"] and sorted(report.rendered) == ["latent-map", "manifold"]  # latent-map: kept
