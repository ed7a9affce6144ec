"""The claim ledger: effects and their intervals decide verdicts, any seed set builds, and pages never type a
verdict."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autoencoders import claims
from autoencoders.claims import (CONFIRMED, CONTRADICTED, INCONCLUSIVE, Claim, Effect, Rule, above, at_least, at_most,
                                 below, between, combine, effect_text, t_interval, t_quantile)
from autoencoders.experiments import RunConfig
from autoencoders.pipeline.keys import Source
from autoencoders.pipeline.targets import figure_name
from autoencoders.train import RunResult
from conftest import REPO, run_cli, smoke_args, warm_copy

DOCS = REPO / "docs"
# The vocabulary, and the words it replaced: none may be typed on a page.
VERDICT_WORDS = re.compile(r"\b(" + "|".join([*claims.VERDICTS, "Not supported", "Mixed", "Partly", "Misleading"]) + r")\b")


# ---------------------------------------------------------------- the statistics

@pytest.mark.parametrize("df, expected", [  # two-sided 95% points of Student's t, as printed in every table
    (1, 12.7062047362), (2, 4.30265272975), (4, 2.77644510520), (9, 2.26215716280), (29, 2.04522964213),
])
def test_t_quantiles_are_exact(df, expected):
    assert t_quantile(0.95, df) == pytest.approx(expected, abs=1e-9)


def test_the_cauchy_case_has_half_its_mass_within_one():
    assert claims.t_coverage(1.0, 1) == pytest.approx(0.5, abs=1e-15)  # t with 1 df is Cauchy


def test_a_t_interval_is_the_mean_plus_minus_t_standard_errors():
    values = [1.0, 2.0, 3.0, 4.0, 5.0]
    low, high = t_interval(values)
    half = 2.7764451051977934 * math.sqrt(2.5) / math.sqrt(5)
    assert (low, high) == pytest.approx((3 - half, 3 + half))
    assert t_interval([1.0]) is None  # one seed: no interval, and no verdict but Inconclusive


# ---------------------------------------------------------------- rules and verdicts

@pytest.mark.parametrize("rule, interval, expected", [
    (above(0.0), (0.01, 0.2), CONFIRMED), (above(0.0), (-0.2, -0.01), CONTRADICTED), (above(0.0), (-0.1, 0.1), INCONCLUSIVE),
    (above(0.0), (0.0, 0.1), INCONCLUSIVE), (at_least(0.0), (0.0, 0.1), CONFIRMED), (above(0.0), (-0.1, 0.0), CONTRADICTED),
    (below(1.0), (0.5, 0.9), CONFIRMED), (below(1.0), (1.0, 1.2), CONTRADICTED), (at_most(-0.25), (-0.3, -0.2), INCONCLUSIVE),
    (between(2.56, 3.84), (3.0, 3.5), CONFIRMED), (between(2.56, 3.84), (3.9, 4.0), CONTRADICTED),
    (between(2.56, 3.84), (1.0, 2.0), CONTRADICTED), (between(2.56, 3.84), (3.5, 3.9), INCONCLUSIVE),
    (between(-0.1, 0.1), (-0.2, 0.2), INCONCLUSIVE), (above(0.0), None, INCONCLUSIVE),
])
def test_the_verdict_follows_from_where_the_interval_lies(rule, interval, expected):
    assert rule.judge(interval) == expected


def test_a_claim_of_several_effects_needs_every_one():
    assert combine([CONFIRMED, CONFIRMED]) == CONFIRMED
    assert combine([CONFIRMED, INCONCLUSIVE]) == INCONCLUSIVE
    assert combine([CONFIRMED, CONTRADICTED, INCONCLUSIVE]) == CONTRADICTED


def test_rules_read_in_the_units_of_their_claim():
    assert between(2.56, 3.84).describe("ratio") == "between 2.56× and 3.84×"
    assert at_most(-0.25).describe("change") == "at most \u221225%"
    assert above(0.5).describe("share") == "above 50%"
    assert above(0.0).describe("points") == "above 0 points"


def test_an_effect_reads_as_its_mean_and_interval_in_plain_units():
    entry = {"unit": "change", "mean": -0.34, "interval": [-0.36, -0.32], "op": "<", "threshold": 0.0,
             "verdict": CONFIRMED}
    assert effect_text(entry) == "\u221234% (\u221236 to \u221232%)"
    # A decided interval never rounds onto the threshold it clears: here one more decimal is needed.
    entry = {"unit": "change", "mean": -0.02, "interval": [-0.04, -0.00004], "op": "<", "threshold": 0.0,
             "verdict": CONFIRMED}
    assert effect_text(entry) == "\u22122.000% (\u22124.000 to \u22120.004%)"


def test_claim_ids_are_unique_and_every_section_is_on_part_3_with_its_heading():
    ids = [c.id for c in claims.CLAIMS]
    assert len(ids) == len(set(ids))
    page = (DOCS / "part-3-experiments.md").read_text()
    for section in {c.section for c in claims.CLAIMS}:
        assert f"### {claims.SECTIONS[section]} {{ #{section} }}" in page, section
        assert f'--8<-- "docs/results/claims/{section}.md"' in page, section
    assert 5 <= len(claims.FINDINGS) <= 8 and set(claims.FINDINGS) <= set(ids)


def test_a_claim_uses_the_seeds_at_which_all_of_its_runs_exist():
    def run(name, seed, value):
        return RunResult(RunConfig(name, "vanilla", 2, seed=seed), None, {"x": value})
    runs = {f"{n}-s{s}": run(n, s, v) for n, s, v in [("a", 0, 1.0), ("a", 1, 2.0), ("a", 2, 3.0),
                                                     ("b", 0, 1.0), ("b", 2, 1.0)]}
    ratio = Effect(lambda s: s.metric("a", "x") / s.metric("b", "x"), above(0.0), "ratio")
    only_a = Effect(lambda s: s.metric("a", "x"), above(0.0), "number")
    found = claims.evaluate((Claim("ab", "ours", "knee", "a over b", (ratio,)),
                             Claim("a", "ours", "knee", "a alone", (only_a,))), runs, None, [0, 1, 2])
    assert found[0]["seeds"] == [0, 2] and found[0]["values"] == {"0": 1.0, "2": 3.0}
    assert found[1]["seeds"] == [0, 1, 2]


def test_every_file_the_pages_include_comes_from_the_ledger():
    ledger = json.loads((DOCS / "results" / "claims.json").read_text())
    files = claims.markdown_files(ledger)
    assert {"method.md", "ledger.md", "findings.md"} <= set(files)
    assert {f"claims/{c.section}.md" for c in claims.CLAIMS} <= set(files)
    for relative, text in files.items():
        assert (DOCS / "results" / relative).read_text() == text, relative


# ---------------------------------------------------------------- the committed ledger

def test_the_committed_ledger_gives_every_claim_its_effect_interval_and_verdict():
    ledger = json.loads((DOCS / "results" / "claims.json").read_text())
    entries = {e["id"]: e for e in ledger["claims"]}
    assert set(entries) == {c.id for c in claims.CLAIMS}
    for e in entries.values():
        assert e["method"] and e["level"] == 0.95 and len(e["seeds"]) >= 2, e["id"]
        for key in ("values", "mean", "interval", "threshold", "verdict"):
            assert key in e, (e["id"], key)
        assert e["verdict"] == combine([effect["verdict"] for effect in e["effects"]]), e["id"]
        for effect in e["effects"]:
            assert list(map(int, effect["values"])) == e["seeds"], e["id"]
            values = list(effect["values"].values())
            low, high = t_interval(values)
            # The values are stored to 6 significant digits, the interval from the exact ones: the mean's
            # error is then up to about 1e-6 of the largest value, whatever the interval's own size.
            scale = max(map(abs, values))
            assert effect["interval"] == pytest.approx([low, high], rel=1e-5, abs=1e-5 * scale), e["id"]


def test_no_confirmed_or_contradicted_interval_crosses_its_threshold():
    ledger = json.loads((DOCS / "results" / "claims.json").read_text())
    for e in ledger["claims"]:
        for effect in e["effects"]:
            rule = Rule(effect["op"], tuple(effect["threshold"]) if effect["op"] == "between" else effect["threshold"])
            low, high = effect["interval"]
            if effect["verdict"] == CONFIRMED:
                assert rule.holds(low) and rule.holds(high), (e["id"], effect["name"])
            elif effect["verdict"] == CONTRADICTED:
                assert not any(rule.holds(v) for v in (low, (low + high) / 2, high)), (e["id"], effect["name"])
                for t in rule.thresholds():
                    assert not low <= t <= high or (rule.op in (">", "<") and t in (low, high)), (e["id"], effect["name"])
            else:
                assert effect["verdict"] == INCONCLUSIVE


def test_part_3_types_no_verdict_word_outside_generated_text():
    """Verdict words reach the pages only through included, generated fragments."""
    for page in sorted(DOCS.glob("*.md")):
        for number, line in enumerate(page.read_text().splitlines(), 1):
            found = VERDICT_WORDS.search(line)
            assert found is None, f"{page.name}:{number} types the verdict word {found.group(0)!r}: {line.strip()}"



def test_pages_refer_to_figures_by_their_computed_number():
    """Figures are numbered by the build in the order the pages show them; a typed "figure 2" would go
    stale the day one is added or moved."""
    typed = re.compile(r"\b[Ff]ig(?:ure|\.)s? \d")
    for page in sorted(DOCS.glob("*.md")):
        for number, line in enumerate(page.read_text().splitlines(), 1):
            found = typed.search(line)
            assert found is None, f"{page.name}:{number} types a figure number: {line.strip()}"


def test_generated_fragments_carry_only_whole_number_tokens():
    """A recipe writes a token as "{{ fig.x.number }}"; inside an f-string that takes four braces, and a
    token that lost two would reach the page as it is."""
    broken = re.compile(r"(?<!\{)\{ *fig\.|\bfig\.[\w.-]+ *\}(?!\})")
    for fragment in sorted((DOCS / "results").rglob("*.md")):
        found = broken.search(fragment.read_text())
        assert found is None, f"{fragment.relative_to(DOCS)} has a broken token near {found.group(0)!r}"


# ---------------------------------------------------------------- any seed set builds

@pytest.mark.slow
@pytest.mark.parametrize("seeds", ["1", "3,4"])
def test_a_build_without_seed_0_writes_figures_and_a_ledger(seeds, tmp_path, mnist):
    out = tmp_path / "out"
    args = [a if a != "0,1" else seeds for a in smoke_args(out, tmp_path / "cache")]
    args[args.index("--epochs") + 1] = "1"
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    ledger = json.loads((out / "results" / "claims.json").read_text())
    expected = [int(s) for s in seeds.split(",")]
    assert ledger["seeds"] == expected
    assert all(list(map(int, e["values"])) == expected for e in ledger["claims"])
    manifest = json.loads((out / "results" / "figures.json").read_text())
    recipes = {figure_name(m) for m in Source(REPO / "figures").recipes()}
    assert set(manifest) == recipes and all((out / e["png"]).is_file() for e in manifest.values())
    first = min(expected)
    assert f"seed {first}" in manifest["latent-map"]["caption"]
    assert "seed 0" not in manifest["latent-map"]["caption"]


def test_a_recipe_reading_an_undeclared_run_fails_with_one_line(checkout, smoke_build, tmp_path):
    out, cache = warm_copy(smoke_build, tmp_path)
    recipe = checkout / "figures" / "latent_map.py"
    text = recipe.read_text()
    assert text.count('run = ctx.first("vanilla-d2")') == 1
    recipe.write_text(text.replace('run = ctx.first("vanilla-d2")', 'run = ctx.first("vanilla-d32")'))
    done = run_cli(*smoke_args(out, cache), cwd=checkout)
    assert done.returncode == 1
    assert done.stderr.strip() == ("build_figures.py: error: figure latent-map reads run vanilla-d32-s0, "
                                   "which its RUNS (vanilla-d2-s*) do not declare")


# ---------------------------------------------------------------- a rule change reaches the page

def site_copy(tmp_path: Path) -> Path:
    """The code, pages and site configuration in a scratch directory."""
    dest = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in ("src", "figures", "docs"):
        shutil.copytree(REPO / name, dest / name, ignore=ignore)
    for name in ("build_figures.py", "mkdocs.yml", "CITATION.cff", "package.json"):
        shutil.copy2(REPO / name, dest / name)
    (dest / "node_modules").symlink_to(REPO / "node_modules")  # MathJax, for the site build
    return dest


def verdict_on_page(repo: Path, claim_id: str) -> str:
    site = repo / "site"
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(site)], cwd=repo,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stderr
    html = (site / "part-3-experiments" / "index.html").read_text()
    statement = next(c.statement for c in claims.CLAIMS if c.id == claim_id)
    item = next(li for li in re.findall(r"<li>(.*?)</li>", html, re.S) if statement.split(":")[0] in li)
    found = re.search(r'<span class="verdict verdict-(\w+)">.*?</span>', item, re.S)
    return found.group(1).capitalize()


def test_changing_one_rule_changes_the_verdict_on_the_built_page(smoke_build, tmp_path):
    repo = site_copy(tmp_path)
    _, cache = warm_copy(smoke_build, tmp_path)  # its runs: only the ledger and what shows it are made
    source = repo / "src" / "autoencoders" / "claims.py"
    claim = 'one(ratio("vanilla-d2", "vanilla-d32", "final_loss"), {}, "ratio")'
    current = "between(2.56, 3.84)"
    assert claim.format(current) in source.read_text()
    for rule, expected in (("at_least(-1e9)", CONFIRMED), ("below(-1e9)", CONTRADICTED)):
        source.write_text(source.read_text().replace(claim.format(current), claim.format(rule)))
        current = rule
        done = run_cli(*smoke_args(repo / "docs", cache), cwd=repo)
        assert done.returncode == 0, done.stderr
        assert verdict_on_page(repo, "wider-code") == expected


def test_check_fails_when_the_ledger_is_stale(checkout):
    source = checkout / "src" / "autoencoders" / "claims.py"
    source.write_text(source.read_text().replace("at_least(2.0)", "at_least(1.5)"))
    done = run_cli("--check", cwd=checkout)
    assert done.returncode == 1
    assert "stale: ledger: src/autoencoders/claims.py: CLAIMS changed" in done.stdout


def test_a_strict_rule_fails_on_its_threshold():
    assert not above(0.0).holds(0.0) and not below(0.0).holds(0.0)
    assert at_least(0.0).holds(0.0) and at_most(0.0).holds(0.0)
