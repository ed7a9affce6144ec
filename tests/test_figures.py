"""The published figures: every recipe's PNG is there, readable, opaque, not blank, described, and reproducible."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autoencoders.pipeline.keys import Source
from autoencoders.pipeline.targets import figure_name, figure_numbering, recipe_runs

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
SOURCE = Source(REPO / "figures")
MODULES = {figure_name(m): m for m in SOURCE.recipes()}
NAMES = list(MODULES)
NUMBERS = figure_numbering(REPO, NAMES)


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((DOCS / "results" / "figures.json").read_text())


def pixels(name: str) -> tuple[Image.Image, np.ndarray]:
    image = Image.open(DOCS / "figures" / f"{name}.png")
    image.load()
    return image, np.asarray(image.convert("RGBA"), dtype=np.float64)


def test_every_figure_is_included_by_a_page_and_numbered_in_the_order_they_appear():
    from autoencoders.pipeline.targets import INCLUDE, page_order

    included = [n for page in page_order(REPO) for n in INCLUDE.findall(page.read_text())]
    assert set(NAMES) <= set(included), set(NAMES) - set(included)
    assert sorted(NUMBERS.values()) == list(range(1, len(NAMES) + 1))
    assert [n for n in dict.fromkeys(included) if n in NUMBERS] == sorted(NUMBERS, key=NUMBERS.get)
    assert "latent-map" in NAMES and len(NAMES) >= 8


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
    entry = manifest[name]
    assert entry["number"] == NUMBERS[name]
    assert len(entry["alt"].split()) >= 15 and len(entry["caption"].split()) >= 15
    assert entry["png_sha256"] == hashlib.sha256((DOCS / entry["png"]).read_bytes()).hexdigest()
    stem = name.replace("-", "_")
    assert entry["numbers"] and all(k.startswith(f"fig.{stem}.") and v for k, v in entry["numbers"].items())
    snippet = (DOCS / "results" / "figures" / f"{name}.md").read_text()
    assert " ".join(entry["alt"].split()).replace("[", "(").replace("]", ")") in snippet
    assert f"**Figure {NUMBERS[name]}.**" in snippet and "{{" not in snippet
    assert f"figures/{name}.png" in snippet
    if name != "play":  # the Play page's record of its models is not read under a figure of Part 3
        assert len(entry["caption"].split()) <= 70, f"{name}: a caption says what is drawn; the text explains"


# ---------------------------------------------------------------- what single figures promise

@pytest.fixture(scope="module")
def smoke_context(smoke_build):
    """The smoke build's runs and test images, as the build hands them to recipes."""
    from conftest import CACHE, smoke_runs

    from autoencoders.data import load_mnist

    return smoke_runs(smoke_build), lambda: load_mnist(CACHE)


def rendered(smoke_context, name: str):
    """(the recipe module, what it rendered) for figure `name` over the smoke runs."""
    import importlib.util
    import sys

    from autoencoders.render import FigureContext

    runs, data = smoke_context
    path = SOURCE.path(MODULES[name])
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"test_recipe_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    context = FigureContext(name, recipe_runs(SOURCE, MODULES[name]), runs, data, lambda: {})
    return module, module.render(context), context


def texts(figure) -> list:
    """Every visible, non-empty text of a figure: titles, labels, tick labels, annotations."""
    from matplotlib.text import Text

    return [t for t in figure.findobj(Text) if t.get_visible() and t.get_text().strip()]


def test_latent_map_gives_each_digit_a_panel_of_its_own(smoke_context):
    _, done, ctx = rendered(smoke_context, "latent-map")
    overview, *small = done.figure.axes
    digits = sorted({int(d) for d in ctx.test_labels.tolist()})
    assert len(small) == 10
    assert [a.get_title() for a in small] == [str(d) for d in range(10)]
    assert len(overview.collections) >= len(digits) + 1  # the grey backdrop, then one contour per class


def test_denoising_marks_the_closer_model_on_every_digit(smoke_context):
    _, done, _ = rendered(smoke_context, "denoising")
    axes = done.figure.axes
    columns = len(axes) // 4
    for column in range(columns):
        marked = [row for row in (2, 3) if axes[row * columns + column].xaxis.label.get_bbox_patch() is not None]
        assert len(marked) == 1, f"digit {column}: the lower error of the two models is highlighted once"
        errors = [float(axes[row * columns + column].xaxis.label.get_text()) for row in (2, 3)]
        assert errors[marked[0] - 2] <= max(errors)
        assert all(len(axes[row * columns + column].xaxis.label.get_text().split(".")[1]) >= 4 for row in (1, 2, 3))


def test_training_curves_magnify_the_last_epochs(smoke_context):
    recipe, done, ctx = rendered(smoke_context, "training-curves")
    full, *zoom = done.figure.axes
    epochs = len(ctx.first("vanilla-d32").metrics["history"])
    first = max(1, epochs - recipe.ZOOM + 1)
    assert zoom, "a second panel magnifies the last epochs"
    assert all(a.get_xlim()[0] == pytest.approx(first - 0.3) for a in zoom)
    drawn = {line.get_color() for a in zoom for line in a.get_lines()}
    from _style import CONFIG_COLOURS, FIVE

    assert {CONFIG_COLOURS[n] for n in FIVE} <= drawn, "every configuration appears in the magnified panel"


def test_manifold_labels_both_ends_of_every_path_in_readable_type(smoke_context):
    recipe, done, _ = rendered(smoke_context, "manifold")
    plane = done.figure.axes[0]
    on_plane = [t.get_text() for t in plane.texts]
    for a, b in recipe.CENTROID_PATHS:
        assert str(a) in on_plane and str(b) in on_plane, f"arrow {a}→{b} lacks an end label"
    right_ends = [t.get_text() for t in texts(done.figure) if t.get_text().strip().isdigit()
                  and t.get_fontsize() >= recipe.END_SIZE]
    for a, b in recipe.CENTROID_PATHS:
        assert right_ends.count(str(b)) >= 2, f"{b}: labelled at the arrow's head and at its row's end"
    small = [(t.get_text(), t.get_fontsize()) for t in texts(done.figure) if t.get_fontsize() < 10]
    assert not small, f"text too small to read at column width: {small[:5]}"


def test_rendering_again_gives_identical_bytes(smoke_build, tmp_path):
    """Every figure, rendered again from the same runs (in another process), gives the same PNG byte for byte."""
    from conftest import run_cli, smoke_args, warm_copy

    out, cache = warm_copy(smoke_build, tmp_path)
    done = run_cli(*smoke_args(out, cache), "--only", ",".join(NAMES))
    assert done.returncode == 0, done.stderr
    assert "trained 0 runs" in done.stdout and f"rendered {len(NAMES)} figures" in done.stdout
    assert "wrote 0 files" in done.stdout
    for name in NAMES:
        assert (out / "figures" / f"{name}.png").read_bytes() == \
            (smoke_build / "out" / "figures" / f"{name}.png").read_bytes(), name
