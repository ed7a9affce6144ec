"""The claim ledger: rules decide verdicts on every seed, any seed set builds, and pages never type a verdict."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autoencoders import claims
from autoencoders.claims import above, at_least, at_most, below, between, verdict
from autoencoders.pipeline.keys import Source
from autoencoders.pipeline.targets import figure_name
from conftest import REPO, run_cli, smoke_args

DOCS = REPO / "docs"
VERDICT_WORDS = re.compile(r"\b(" + "|".join([w for w, _, _ in claims.VERDICTS] + ["Partly", "Misleading"]) + r")\b")


# ---------------------------------------------------------------- rules and verdicts

@pytest.mark.parametrize("rule, inside, outside", [
    (above(0.0), 0.01, -0.01), (at_least(1.2), 1.2, 1.19), (below(0.0), -0.01, 0.01), (at_most(-0.25), -0.25, -0.2),
    (between(2.56, 3.84), 3.84, 3.85), (between(-0.1, 0.1), -0.1, -0.11),
])
def test_a_rule_holds_inside_its_region_and_its_margin_says_how_far(rule, inside, outside):
    assert rule.holds(inside) and not rule.holds(outside)
    assert rule.margin(inside) >= 0 > rule.margin(outside)


def test_rules_read_in_the_units_of_their_claim():
    assert between(2.56, 3.84).describe("ratio") == "between 2.56× and 3.84×"
    assert at_most(-0.25).describe("change") == "at most -25.0%"
    assert above(0.5).describe("share") == "above 50.0%"


def test_the_verdict_follows_from_the_seeds_a_claim_holds_in():
    assert verdict(3, 3) == "Confirmed"
    assert verdict(0, 3) == "Not supported"
    assert verdict(1, 3) == verdict(2, 3) == "Mixed"


def test_claim_ids_are_unique_and_every_section_is_on_part_3():
    ids = [c.id for c in claims.CLAIMS]
    assert len(ids) == len(set(ids))
    page = (DOCS / "part-3-experiments.md").read_text()
    for section in {c.section for c in claims.CLAIMS}:
        assert f"{{ #{section} }}" in page, section
        assert f'--8<-- "docs/results/claims/{section}.md"' in page, section


# ---------------------------------------------------------------- the committed ledger

def test_the_committed_ledger_judges_every_claim_on_at_least_three_seeds():
    ledger = json.loads((DOCS / "results" / "claims.json").read_text())
    entries = {e["id"]: e for e in ledger["claims"]}
    assert set(entries) == {c.id for c in claims.CLAIMS}
    for e in entries.values():
        assert e["seeds_total"] >= 3 and len(e["values"]) == len(e["holds"]) == e["seeds_total"]
        assert e["seeds_holding"] == sum(e["holds"].values())
        assert e["verdict"] == verdict(e["seeds_holding"], e["seeds_total"])
        if e["verdict"] == "Confirmed":
            assert all(e["holds"].values()), e["id"]


def test_part_3_types_no_verdict_word_outside_generated_text():
    """Verdict words reach the pages only through included, generated fragments."""
    for page in sorted(DOCS.glob("*.md")):
        for number, line in enumerate(page.read_text().splitlines(), 1):
            found = VERDICT_WORDS.search(line)
            assert found is None, f"{page.name}:{number} types the verdict word {found.group(0)!r}: {line.strip()}"


# ---------------------------------------------------------------- any seed set builds

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


def test_a_recipe_reading_an_undeclared_run_fails_with_one_line(checkout, tmp_path):
    recipe = checkout / "figures" / "latent_map.py"
    text = recipe.read_text()
    recipe.write_text(text.replace('run = ctx.first("vanilla-d2")', 'run = ctx.first("vanilla-d32")'))
    done = run_cli(*smoke_args(tmp_path / "out", tmp_path / "cache"), cwd=checkout)
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
    return re.search(r"<strong>(.*?)</strong>", item).group(1)


def test_changing_one_rule_changes_the_verdict_on_the_built_page(tmp_path, mnist):
    repo = site_copy(tmp_path)
    source = repo / "src" / "autoencoders" / "claims.py"
    claim = 'ratio("vanilla-d2", "vanilla-d32", "final_loss"), {}, "ratio"'
    current = "between(2.56, 3.84)"
    assert claim.format(current) in source.read_text()
    for rule, expected in (("at_least(-1e9)", "Confirmed"), ("below(-1e9)", "Not supported")):
        source.write_text(source.read_text().replace(claim.format(current), claim.format(rule)))
        current = rule
        done = run_cli(*smoke_args(repo / "docs", tmp_path / "cache"), cwd=repo)
        assert done.returncode == 0, done.stderr
        assert verdict_on_page(repo, "wider-code") == expected


def test_check_fails_when_the_ledger_is_stale(checkout):
    source = checkout / "src" / "autoencoders" / "claims.py"
    source.write_text(source.read_text().replace("at_least(0.9)", "at_least(0.8)"))
    done = run_cli("--check", cwd=checkout)
    assert done.returncode == 1
    assert "stale: ledger: src/autoencoders/claims.py: CLAIMS changed" in done.stdout


def test_a_strict_rule_fails_on_its_threshold():
    assert not above(0.0).holds(0.0) and not below(0.0).holds(0.0)
    assert at_least(0.0).holds(0.0) and at_most(0.0).holds(0.0)
