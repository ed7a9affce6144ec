"""The published figures: every recipe's PNG is there, readable, opaque, not blank, described, and reproducible."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autoencoders.render import discover

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
RECIPES = discover(REPO / "figures")
NAMES = [r.name for r in RECIPES]


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((DOCS / "results" / "figures.json").read_text())


def pixels(name: str) -> tuple[Image.Image, np.ndarray]:
    image = Image.open(DOCS / "figures" / f"{name}.png")
    image.load()
    return image, np.asarray(image.convert("RGBA"), dtype=np.float64)


def test_recipes_have_distinct_numbers_from_one():
    assert sorted(r.number for r in RECIPES) == list(range(1, len(RECIPES) + 1))
    assert "latent-map" in NAMES and len(RECIPES) >= 8


@pytest.mark.parametrize("name", NAMES)
def test_png_is_sized_for_the_column_and_small(name):
    path = DOCS / "figures" / f"{name}.png"
    assert path.is_file(), f"{path} missing: run build_figures.py"
    assert path.stat().st_size < 500_000
    image, _ = pixels(name)
    assert image.format == "PNG"
    assert 800 <= image.width <= 2000 and 300 <= image.height <= 2000, image.size


@pytest.mark.parametrize("name", NAMES)
def test_png_is_opaque_and_not_blank(name):
    image, rgba = pixels(name)
    assert (rgba[..., 3] == 255).all(), f"{name}: transparent pixels would vanish on the dark page"
    grey = rgba[..., :3].mean(-1)
    assert grey.std() > 10
    assert (grey < 235).mean() > 0.03, f"{name}: almost nothing but background"
    corners = [grey[0, 0], grey[0, -1], grey[-1, 0], grey[-1, -1]]
    assert min(corners) > 250, f"{name}: the background should be white"


@pytest.mark.parametrize("name", NAMES)
def test_manifest_and_snippet_describe_the_figure(name, manifest):
    recipe = next(r for r in RECIPES if r.name == name)
    entry = manifest[name]
    assert entry["number"] == recipe.number
    assert len(entry["alt"].split()) >= 15 and len(entry["caption"].split()) >= 15
    assert entry["png_sha256"] == hashlib.sha256((DOCS / entry["png"]).read_bytes()).hexdigest()
    stem = name.replace("-", "_")
    assert entry["numbers"] and all(k.startswith(f"fig.{stem}.") and v for k, v in entry["numbers"].items())
    snippet = (DOCS / "results" / "figures" / f"{name}.md").read_text()
    assert " ".join(entry["alt"].split()).replace("[", "(").replace("]", ")") in snippet
    assert f"**Figure {recipe.number}.**" in snippet
    assert f"figures/{name}.png" in snippet


def test_rendering_twice_gives_identical_bytes(smoke_build, tmp_path):
    """Every figure, rendered twice from the same runs, gives the same PNG byte for byte."""
    from conftest import run_cli, smoke_args

    outputs = []
    for attempt in ("first", "second"):
        out = tmp_path / attempt
        done = run_cli(*smoke_args(out, smoke_build / "cache"), "--only", ",".join(r.name for r in RECIPES))
        assert done.returncode == 0, done.stderr
        assert "trained 0 runs" in done.stdout
        outputs.append({r.name: (out / "figures" / f"{r.name}.png").read_bytes() for r in RECIPES})
    assert outputs[0] == outputs[1]
    # And the same bytes as the smoke build itself rendered.
    assert outputs[0] == {r.name: (smoke_build / "out" / "figures" / f"{r.name}.png").read_bytes() for r in RECIPES}
