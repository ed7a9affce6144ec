"""The published figures: every recipe's two PNGs (the column's and the phone's) are there, readable, opaque,
not blank, described, reproducible, and set in type that reads where each is shown."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from autoencoders.pipeline.keys import Source
from autoencoders.render import PHONE_MEDIA
from test_build import warm  # noqa: F401  (a scratch checkout with the smoke build's outputs)
from autoencoders.pipeline.targets import figure_name, figure_numbering, recipe_runs

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
SOURCE = Source(REPO / "figures")
MODULES = {figure_name(m): m for m in SOURCE.recipes()}
NAMES = list(MODULES)
NUMBERS = figure_numbering(REPO, NAMES)
VARIANTS = {"column": "", "phone": "-phone"}  # a figure's PNGs: figures/<name><suffix>.png


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads((DOCS / "results" / "figures.json").read_text())


def pixels(name: str, variant: str = "column") -> tuple[Image.Image, np.ndarray]:
    image = Image.open(DOCS / "figures" / f"{name}{VARIANTS[variant]}.png")
    image.load()
    return image, np.asarray(image.convert("RGBA"), dtype=np.float64)


def test_every_figure_is_included_by_a_page_and_numbered_in_the_order_they_appear():
    from autoencoders.pipeline.targets import INCLUDE, page_order

    included = [n for page in page_order(REPO) for n in INCLUDE.findall(page.read_text())]
    assert set(NAMES) <= set(included), set(NAMES) - set(included)
    assert sorted(NUMBERS.values()) == list(range(1, len(NAMES) + 1))
    assert [n for n in dict.fromkeys(included) if n in NUMBERS] == sorted(NUMBERS, key=NUMBERS.get)
    assert "latent-map" in NAMES and len(NAMES) >= 8


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", NAMES)
def test_png_is_sized_for_its_column_and_small(name, variant):
    path = DOCS / "figures" / f"{name}{VARIANTS[variant]}.png"
    assert path.is_file(), f"{path} missing: run build_figures.py"
    assert path.stat().st_size < 500_000
    image, _ = pixels(name, variant)
    assert image.format == "PNG"
    if variant == "column":
        assert 800 <= image.width <= 2000 and 300 <= image.height <= 2000, image.size
    else:  # about twice the 358 px of a phone's column, and at most about a screen and a half tall there
        assert image.width == 720 and 300 <= image.height <= 2500, image.size


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", NAMES)
def test_png_is_opaque_and_not_blank(name, variant):
    image, rgba = pixels(name, variant)
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
    phone = entry["phone"]  # the same entry, numbers, alt text and caption: a variant is a layout
    assert phone["png"] == f"figures/{name}-phone.png" and phone["media"] == PHONE_MEDIA
    assert phone["png_sha256"] == hashlib.sha256((DOCS / phone["png"]).read_bytes()).hexdigest()
    assert (phone["width"], phone["height"]) == pixels(name, "phone")[0].size
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
def smoke_context(smoke_build, mnist):
    """The smoke build's runs, test images and probes, as the build hands them to recipes."""
    from conftest import smoke_runs

    features = json.loads((smoke_build / "out" / "results" / "features.json").read_text())
    return smoke_runs(smoke_build), lambda: mnist, lambda: features


def rendered(smoke_context, name: str, phone: bool = False):
    """(the recipe module, what it rendered, its context) for figure `name` over the smoke runs."""
    import importlib.util
    import sys

    from autoencoders.render import FigureContext

    runs, data, features = smoke_context
    path = SOURCE.path(MODULES[name])
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location(f"test_recipe_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    context = FigureContext(name, recipe_runs(SOURCE, MODULES[name]), runs, data, features, phone=phone)
    return module, module.render(context), context


# The narrowest column each variant is shown in, in CSS px (measured in Chromium: tests/test_layout.py checks
# them): the column's PNG from a 720 px window up (686 px at 960, where the contents sidebar appears; 688 at
# 1280); the phone's below, down to 328 px on a 360 px phone (358 on a 390 px one).
SHOWN_WIDTH = {"column": 686, "phone": 328}
READABLE_PX = 9  # no figure text smaller, in CSS px


def drawn_texts(figure) -> list[tuple[str, float, tuple[float, float, float, float] | None]]:
    """Every text the renderer draws, as it draws it: (text, size of its smallest glyph in points, its
    extent in pixels of the figure or None). Mathematical text counts by its smallest glyph (a subscript
    is 70% of its text's size); what is hidden, empty or outside the drawn artists is not drawn at all."""
    from matplotlib.mathtext import MathTextParser

    renderer = figure.canvas.get_renderer()
    drawn = []
    original = renderer.draw_text

    def draw_text(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        size = prop.get_size_in_points()
        if ismath and ismath != "TeX":
            size = min(glyph[1] for glyph in MathTextParser("path").parse(s, 72, prop).glyphs)
        extent = mtext.get_window_extent(renderer).extents if mtext is not None else None
        if s.strip():
            drawn.append((s, float(size), extent))
        return original(gc, x, y, s, prop, angle, ismath, mtext)

    renderer.draw_text = draw_text
    try:
        figure.draw(renderer)
    finally:
        del renderer.draw_text
    return drawn


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("name", NAMES)
def test_no_text_is_smaller_than_9_css_px_where_the_variant_is_shown(smoke_context, name, variant):
    """Measured on what the renderer draws, at the width at which the page shows the PNG; and none of it
    cut off at the figure's edge."""
    from autoencoders.render import PNG_DPI, png_bytes, png_size

    _, done, _ = rendered(smoke_context, name, phone=variant == "phone")
    figure = done.figure
    drawn = drawn_texts(figure)
    width, height = figure.canvas.get_width_height()
    css_px = SHOWN_WIDTH[variant] / (figure.get_figwidth() * 72)  # per point of type
    small = sorted({(f"{size * css_px:.1f} px", text) for text, size, _ in drawn if size * css_px < READABLE_PX})
    cut = [text for text, _, (x0, y0, x1, y1) in ((t, s, e) for t, s, e in drawn if e is not None)
           if x0 < -1 or y0 < -1 or x1 > width + 1 or y1 > height + 1]
    assert len(drawn) >= 5, f"{name}: hardly any text drawn ({drawn})"
    assert not small, (f"{name}, {variant}: text under {READABLE_PX} CSS px in a {SHOWN_WIDTH[variant]} px "
                       f"column: {small[:6]}")
    assert not cut, f"{name}, {variant}: text cut off at the figure's edge: {cut[:5]}"
    # The PNG is exactly as wide as the figure (no cropping), so the scale above is the page's.
    assert png_size(png_bytes(figure))[0] == round(figure.get_figwidth() * PNG_DPI)


def test_a_phone_variant_that_says_something_else_stops_the_build(warm, smoke_build):
    """The two variants of a figure differ in layout only: one alt text, caption and set of numbers."""
    from test_build import build_in

    checkout, out, cache = warm
    recipe = checkout / "figures" / "latent_map.py"
    recipe.write_text(recipe.read_text() + (
        "\n\n_column_render = render\n\n\ndef render(ctx):\n    done = _column_render(ctx)\n"
        "    done.caption += ' (on a phone)' if ctx.phone else ''\n    return done\n"))
    done = build_in(checkout, out, cache, "--only", "latent-map")
    assert done.returncode == 1, done.stdout
    assert done.stderr.strip() == ("build_figures.py: error: figure latent-map: the phone variant's caption differs "
                                   "from the column's; ctx.phone may change the layout only")
    for png in ("figures/latent-map.png", "figures/latent-map-phone.png"):  # and nothing was written
        assert (out / png).read_bytes() == (smoke_build / "out" / png).read_bytes(), png


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
        for suffix in VARIANTS.values():
            png = f"figures/{name}{suffix}.png"
            assert (out / png).read_bytes() == (smoke_build / "out" / png).read_bytes(), png
