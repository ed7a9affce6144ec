"""The Play page in real Chromium: the in-page models equal PyTorch, and the three widgets do what they say.

Like tests/test_site.py, this needs the generated outputs (docs/assets/models/, docs/results/numbers.json)
that `./run.sh build` writes; it builds the site, serves it on 127.0.0.1 and refuses any other request.
The budget test reports bytes and times (tests/artifacts/widget-budget.json) and asserts only the bytes.
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest
import torch

from autoencoders import export
from site_helpers import REPO, SCREENSHOTS, TAKE_SCREENSHOTS, screenshot
from test_site import DESKTOP, PHONE, TIMEOUT_MS, open_page  # noqa: F401 (a fixture)

MODELS_DIR = REPO / "docs" / "assets" / "models"
INDEX = json.loads((MODELS_DIR / "index.json").read_text()) if (MODELS_DIR / "index.json").is_file() else None
BUDGET_BYTES = 2_500_000
pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def index():
    if INDEX is None:
        pytest.fail(f"{MODELS_DIR / 'index.json'} is missing: run ./run.sh build first")
    return INDEX


def exported(name: str) -> torch.nn.Module:
    """The PyTorch model with exactly the weights the page computes with."""
    spec = INDEX["models"][name]
    return export.load(spec, (MODELS_DIR / spec["file"]).read_bytes())


def exported_digits() -> tuple[np.ndarray, np.ndarray]:
    """The clean digits the widgets offer (float32 in [0, 1]) and their noise patterns, (k, 784) each."""
    digits, blob = INDEX["digits"], (MODELS_DIR / "digits.bin").read_bytes()
    count = digits["count"]
    pixels = np.frombuffer(blob, np.uint8, count * 784, digits["pixels"]).reshape(count, 784)
    noise = np.frombuffer(blob, "<f4", count * 784, digits["noise"]).reshape(count, 784)
    return pixels.astype(np.float32) / 255, noise


def widget(page, name: str):
    """The widget `name`, scrolled to and mounted with its models loaded."""
    root = page.locator(f'.ae-play[data-widget="{name}"]')
    root.evaluate("(node) => node.scrollIntoView({block: 'start'})")
    page.wait_for_function(f"""() => document.querySelector('.ae-play[data-widget="{name}"]')
                               .dataset.mounted === 'ready'""", timeout=TIMEOUT_MS)
    return root


def state(root) -> dict:
    return root.evaluate("(node) => JSON.parse(JSON.stringify(node.aeState))")


def pixels_of(canvas) -> np.ndarray:
    """A canvas's RGBA pixels as an (h, w, 4) array."""
    data = canvas.evaluate("""(c) => ({w: c.width, h: c.height,
                              rgba: Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)})""")
    return np.array(data["rgba"], dtype=np.uint8).reshape(data["h"], data["w"], 4)


def ink_of(canvas) -> np.ndarray:
    """A digit canvas as ink in [0, 1] (the widgets paint black ink on white)."""
    return 1 - pixels_of(canvas)[..., 0].reshape(-1) / 255


# ---------------------------------------------------------------- the Python reference of the drawing's preprocessing

def area_weights(n: int, m: int) -> np.ndarray:
    """(m, n): target i averages the source over [i n/m, (i+1) n/m), weighted by each source pixel's overlap."""
    ratio = n / m
    weights = np.zeros((m, n))
    for i in range(m):
        low, high = i * ratio, (i + 1) * ratio
        for j in range(math.floor(low), min(n, math.ceil(high))):
            weights[i, j] = max(0.0, min(high, j + 1) - max(low, j)) / ratio
    return weights


def mnist_style(ink: np.ndarray) -> np.ndarray:
    """Ink (h, w) in [0, 1] -> 784 pixels, as MNIST was made: the ink's bounding box scaled into a 20x20 box
    keeping its aspect ratio, then placed in 28x28 with its centre of mass at the centre (index 13.5)."""
    out = np.zeros((28, 28))
    rows, columns = np.nonzero(ink > 0)
    if not len(rows):
        return out.reshape(-1)
    box = ink[rows.min():rows.max() + 1, columns.min():columns.max() + 1]
    h, w = box.shape
    scale = 20 / max(w, h)
    tw, th = max(1, math.floor(w * scale + 0.5)), max(1, math.floor(h * scale + 0.5))
    small = area_weights(h, th) @ box @ area_weights(w, tw).T
    mass = small.sum()
    cx, cy = small.sum(0) @ np.arange(tw) / mass, small.sum(1) @ np.arange(th) / mass
    ox = min(28 - tw, max(0, math.floor(13.5 - cx + 0.5)))
    oy = min(28 - th, max(0, math.floor(13.5 - cy + 0.5)))
    out[oy:oy + th, ox:ox + tw] = np.clip(small, 0, 1)
    return out.reshape(-1)


def test_reference_preprocessing_of_a_square_fills_the_central_20x20_box():
    ink = np.zeros((280, 280))
    ink[30:130, 150:250] = 1
    expected = np.zeros((28, 28))
    expected[4:24, 4:24] = 1
    assert np.array_equal(mnist_style(ink), expected.reshape(-1))


# ---------------------------------------------------------------- the inference module

def test_encode_and_decode_equal_pytorch_with_the_exported_weights(open_page, index):
    page = open_page("part-3-experiments/")  # the module is on every page, not only on Play's
    rng = np.random.default_rng(0)
    for name, spec in index["models"].items():
        model = exported(name)
        pixels = rng.random((20, 784))
        codes = rng.normal(size=(20, spec["latent_dim"])) * 3
        js = page.evaluate("""async ([name, xs, zs]) => ({
            encoded: await Promise.all(xs.map((x) => autoencoders.encode(name, x))),
            decoded: await Promise.all(zs.map((z) => autoencoders.decode(name, z)))})""",
                           [name, pixels.tolist(), codes.tolist()])
        with torch.no_grad():
            encoded = model.encode(torch.tensor(pixels, dtype=torch.float32).view(20, 1, 28, 28)).numpy()
            decoded = model.decode(torch.tensor(codes, dtype=torch.float32)).reshape(20, 784).numpy()
        assert np.abs(np.array(js["encoded"]) - encoded).max() < 1e-4, name
        assert np.abs(np.array(js["decoded"]) - decoded).max() < 1e-4, name


def test_the_api_says_what_is_wrong(open_page):
    page = open_page("play/#console")
    unknown = page.evaluate("() => autoencoders.decode('vanilla-d3', [0, 0, 0]).catch((e) => e.message)")
    assert unknown.startswith('autoencoders: no model "vanilla-d3"; the site has ')
    short = page.evaluate("() => autoencoders.encode('vanilla-d2', [0.5, 0.5]).catch((e) => e.message)")
    assert short == "autoencoders.encode: expected 784 numbers, got 2"


# ---------------------------------------------------------------- the widgets

def test_latent_explorer_follows_drag_and_arrow_keys(open_page, index):
    page = open_page()
    root = widget(page, "latent")
    digit, strip = root.locator("canvas.ae-digit--large"), root.locator(".ae-strip canvas")
    start, before = state(root), ink_of(digit)
    decoder = exported(index["widgets"]["latent"]["models"][0])
    with torch.no_grad():  # the large digit is the decoder's output at point A, to the grey level
        expected = decoder.decode(torch.tensor([start["A"]], dtype=torch.float32)).reshape(-1).numpy()
    assert np.abs(before - expected).max() <= 1 / 255 + 1e-6

    box = root.locator("canvas.ae-map").bounding_box()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.8 * box["width"], box["y"] + 0.25 * box["height"], steps=5)
    page.mouse.up()
    dragged = state(root)
    assert dragged["A"] != start["A"] and dragged["B"] == start["B"]
    assert dragged["A"][0] > start["A"][0] or dragged["A"][1] > start["A"][1]
    assert np.abs(ink_of(digit) - before).max() > 0.1, "the drawn digit did not change with the drag"

    page.mouse.move(box["x"] + box["width"] + 40, box["y"] + box["height"] / 2)  # off the map: no hover preview
    after_drag, first_step = ink_of(digit), ink_of(strip.first)
    root.locator("canvas.ae-map").focus()
    for key in ("b", "ArrowLeft", "ArrowLeft", "ArrowDown"):
        page.keyboard.press(key)
    moved = state(root)
    assert moved["active"] == "B" and moved["A"] == dragged["A"]
    assert moved["B"][0] < start["B"][0] and moved["B"][1] < start["B"][1]
    assert np.array_equal(ink_of(strip.first), first_step)  # A did not move, nor did the strip's first digit
    with torch.no_grad():  # the strip ends at B
        at_b = decoder.decode(torch.tensor([moved["B"]], dtype=torch.float32)).reshape(-1).numpy()
    assert np.abs(ink_of(strip.last) - at_b).max() <= 1 / 255 + 1e-6
    page.keyboard.press("a")
    page.keyboard.press("ArrowUp")
    assert state(root)["A"][1] > moved["A"][1]
    assert np.abs(ink_of(digit) - after_drag).max() > 0, "the arrow keys did not change the drawn digit"


def test_a_drawn_stroke_is_preprocessed_as_the_reference_placed_and_reconstructed(open_page, index):
    page = open_page()
    root = widget(page, "draw")
    map_canvas, pad = root.locator("canvas.ae-map"), root.locator("canvas.ae-pad")
    empty_map = pixels_of(map_canvas)
    box = pad.bounding_box()
    at = lambda u, v: (box["x"] + u * box["width"], box["y"] + v * box["height"])  # noqa: E731
    page.mouse.move(*at(0.3, 0.25))
    page.mouse.down()
    for u, v in ((0.7, 0.25), (0.55, 0.5), (0.45, 0.8)):  # a seven
        page.mouse.move(*at(u, v), steps=8)
    page.mouse.up()
    page.wait_for_function("""() => document.querySelector('.ae-play[data-widget="draw"]').aeState.code""")

    ink = np.array(pad.evaluate("""(c) => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data)
                                     .filter((_, k) => k % 4 === 3)"""), dtype=np.float64) / 255
    reference = mnist_style(ink.reshape(280, 280))
    drawn = state(root)
    assert reference.sum() > 10
    assert np.abs(np.array(drawn["input"]) - reference).max() < 1e-9

    # The marker: only a small patch of the map changed.
    changed = np.argwhere((pixels_of(map_canvas) != empty_map).any(-1))
    assert len(changed) > 20 and np.ptp(changed, 0).max() <= 30
    # The reconstructions are the exported models' answers to that very input.
    x = torch.tensor(reference, dtype=torch.float32).view(1, 1, 28, 28)
    canvases = root.locator(".ae-outputs canvas")
    assert np.abs(ink_of(canvases.nth(0)) - reference).max() <= 1 / 255 + 1e-6
    for k, name in enumerate(index["widgets"]["draw"]["models"]):
        with torch.no_grad():
            expected = exported(name)(x).reshape(-1).numpy()
        assert np.abs(ink_of(canvases.nth(k + 1)) - expected).max() <= 1 / 255 + 1e-6, name
    with torch.no_grad():
        code = exported(index["widgets"]["draw"]["models"][0]).encode(x).reshape(-1).numpy()
    assert np.abs(np.array(drawn["code"]) - code).max() < 1e-4

    root.get_by_role("button", name="Clear").click()
    assert state(root)["code"] is None and not any(state(root)["input"])


def test_noise_slider_at_the_training_sigma_reproduces_figure_2(open_page, index):
    page = open_page()
    root = widget(page, "noise")
    slider = root.locator("input[type=range]")
    sigma = index["digits"]["sigma"]
    clean, noise = exported_digits()
    noisy = np.clip(clean + np.float32(sigma) * noise, 0, 1)
    with torch.no_grad():
        outputs = {name: exported(name)(torch.from_numpy(noisy).view(-1, 1, 28, 28)).reshape(len(clean), -1).numpy()
                   for name in index["widgets"]["noise"]["models"]}
    expected = np.stack([((x - clean) ** 2).mean(1) for x in (noisy, *outputs.values())], axis=1)

    slider.fill("0.7")
    assert state(root)["sigma"] == 0.7
    slider.fill(str(sigma))
    shown = []
    for k in range(index["digits"]["count"]):
        root.locator(".ae-buttons--digits button").nth(k).click()
        current = state(root)
        assert current["digit"] == k and current["sigma"] == sigma
        shown.append(current["mse"])
        texts = root.locator(".ae-mse").all_inner_texts()
        assert texts == ["", *(f"MSE {v:.3f}" for v in current["mse"])]  # the clean digit has none
    shown = np.array(shown)
    assert np.abs(shown - expected).max() < 1e-6

    numbers = json.loads((REPO / "docs" / "results" / "numbers.json").read_text())
    assert numbers["fig.denoising.sigma"] == f"{sigma:g}"
    for column, name in ((1, "denoising"), (2, "vanilla")):  # figure 2's means over the ten digits, float32
        published = float(numbers[f"fig.denoising.example_mse.{name}"])
        assert abs(shown[:, column].mean() - published) <= 0.01 * published + 5e-5, name
    count = len(shown)
    assert numbers["fig.denoising.denoiser_wins"] == f"{int((shown[:, 1] < shown[:, 2]).sum())} of {count}"
    assert numbers["fig.denoising.vanilla_worse_than_input"] == f"{int((shown[:, 2] > shown[:, 0]).sum())} of {count}"


def test_without_javascript_each_widget_shows_its_static_figure(open_page):
    page = open_page(java_script_enabled=False)
    for name in ("latent", "draw", "noise"):
        root = page.locator(f'.ae-play[data-widget="{name}"]')
        root.locator(".ae-fallback img").scroll_into_view_if_needed()
        assert root.locator(".ae-fallback img").is_visible()
        assert root.locator("figcaption").first.inner_text().startswith("Figure ")


def test_widgets_work_by_touch_at_phone_width(open_page):
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
    root = widget(page, "latent")
    before = state(root)["A"]
    box = root.locator("canvas.ae-map").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    page.touchscreen.tap(box["x"] + 0.2 * box["width"], box["y"] + 0.8 * box["height"])
    assert state(root)["A"] != before
    root = widget(page, "draw")
    box = root.locator("canvas.ae-pad").bounding_box()
    page.touchscreen.tap(box["x"] + 0.5 * box["width"], box["y"] + 0.5 * box["height"])
    page.wait_for_function("""() => document.querySelector('.ae-play[data-widget="draw"]').aeState.code""")


def test_every_widget_mounts_light_and_dark_on_desktop_and_phone(open_page):
    """(With SCREENSHOTS=1, each state is also shot for a human to look at.)"""
    for scheme in ("light", "dark"):
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            page = open_page(viewport=viewport, color_scheme=scheme, is_mobile=width == "phone",
                             has_touch=width == "phone")
            for name in ("latent", "draw", "noise"):
                widget(page, name)
            page.locator('.ae-play[data-widget="draw"] .ae-buttons--digits button').nth(7).click()
            if TAKE_SCREENSHOTS:
                page.evaluate("() => window.scrollTo(0, 0)")
                screenshot(page, SCREENSHOTS / f"play-widgets-{scheme}-{width}")


# ---------------------------------------------------------------- budgets

def test_models_load_lazily_within_budget_and_the_times_are_reported(open_page, index):
    def requested(page) -> dict[str, int]:
        """The model files the page fetched, with the bytes each took on the wire."""
        return page.evaluate("""() => Object.fromEntries(performance.getEntriesByType('resource')
            .filter((e) => e.name.includes('/assets/models/'))
            .map((e) => [e.name.split('/').pop(), e.transferSize]))""")

    other = open_page("part-3-experiments/")
    other.wait_for_load_state("networkidle")
    assert requested(other) == {}, "a page without widgets loaded models"

    report = {"bytes": {}, "ms": {}}
    for name, spec in index["widgets"].items():
        # A short window, scrolled to one widget: only that widget comes into view.
        page = open_page("play/", viewport={"width": 1280, "height": 360})
        page.wait_for_load_state("networkidle")
        assert requested(page) == {}, "models were loaded before any widget came into view"
        widget(page, name)
        sizes = requested(page)
        expected = {"index.json", *(index["models"][m]["file"] for m in spec["models"]), *spec["files"]}
        assert set(sizes) == expected, name
        report["bytes"][name] = sum(sizes.values())
        assert report["bytes"][name] <= BUDGET_BYTES, f"{name}: {report['bytes'][name]:,} bytes"
        report["ms"][f"update.{name}"] = page.evaluate(UPDATE_TIMES[name])

    for model, spec in index["models"].items():
        report["ms"][f"decode.{model}"] = page.evaluate("""async ([name, d]) => {
            const z = new Array(d).fill(0.5);
            await autoencoders.decode(name, z);  // loaded before timing
            const start = performance.now();
            for (let k = 0; k < 200; k++) await autoencoders.decode(name, z);
            return (performance.now() - start) / 200; }""", [model, spec["latent_dim"]])
    report["ms"] = {k: round(v, 3) for k, v in report["ms"].items()}
    (SCREENSHOTS.parent).mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "widget-budget.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


# The median time of one full update of each widget, each started by what a reader does.
TIMING = """function timed(f) { const t = performance.now(); f(); return performance.now() - t; }
            function median(xs) { xs.sort((a, b) => a - b); return xs[xs.length >> 1]; }"""
UPDATE_TIMES = {name: f"() => {{ {TIMING} {body} }}" for name, body in {
    "latent": """const map = document.querySelector('.ae-play[data-widget="latent"] canvas.ae-map');
        return median(Array.from({length: 40}, (_, k) => timed(() => map.dispatchEvent(
            new KeyboardEvent('keydown', {key: k % 2 ? 'ArrowLeft' : 'ArrowRight', bubbles: true})))));""",
    "draw": """const buttons = document.querySelectorAll('.ae-play[data-widget="draw"] .ae-buttons--digits button');
        return median(Array.from({length: 20}, (_, k) => timed(() => buttons[k % buttons.length].click())));""",
    "noise": """const slider = document.querySelector('.ae-play[data-widget="noise"] input[type=range]');
        return median(Array.from({length: 40}, (_, k) => timed(() => {
            slider.value = String((k % 70) / 100); slider.dispatchEvent(new Event('input')); })));""",
}.items()}


# ---------------------------------------------------------------- the widgets for readers (issue 20)

def test_a_press_near_a_marker_grabs_the_nearest_one(open_page):
    page = open_page()
    root = widget(page, "latent")
    start = state(root)
    assert start["active"] == "A"
    box = root.locator("canvas.ae-map").bounding_box()
    scale = box["width"] / 480
    bx, by = root.evaluate("(node) => node.aeMapPoint(node.aeState.B)")
    page.mouse.move(box["x"] + bx * scale + 6, box["y"] + by * scale - 5)  # near B, not on its centre
    page.mouse.down()
    page.mouse.move(box["x"] + 0.3 * box["width"], box["y"] + 0.7 * box["height"], steps=6)
    page.mouse.up()
    moved = state(root)
    assert moved["active"] == "B" and moved["A"] == start["A"] and moved["B"] != start["B"], moved
    assert root.locator("button", has_text="Move B").get_attribute("aria-pressed") == "true"


def test_the_map_has_a_colour_key_centroid_labels_and_the_line_from_a_to_b(open_page, index):
    page = open_page()
    root = widget(page, "latent")
    colours = index["map"]["colours"]
    key = root.locator("ul.ae-key li")
    assert key.count() == len(colours) == 10
    assert key.all_inner_texts() == [str(d) for d in range(10)]
    swatches = root.evaluate("(node) => [...node.querySelectorAll('.ae-swatch')].map((s) => getComputedStyle(s).backgroundColor)")
    assert swatches == [f"rgb({int(c[1:3], 16)}, {int(c[3:5], 16)}, {int(c[5:7], 16)})" for c in colours]

    rgba = pixels_of(root.locator("canvas.ae-map"))
    centroids = state(root)["centroids"]
    assert sorted(c["digit"] for c in centroids) == list(range(10))
    markers = [root.evaluate("(node, w) => node.aeMapPoint(node.aeState[w])", which) for which in "AB"]
    for centroid in centroids:  # a ring of the class's colour around each centroid not under A or B
        x, y = root.evaluate("(node, z) => node.aeMapPoint(z)", centroid["z"])
        if min(math.hypot(x - mx, y - my) for mx, my in markers) < 30:
            continue
        ring = [rgba[round(y + 10 * math.sin(a)), round(x + 10 * math.cos(a)), :3].astype(int)
                for a in np.linspace(0, 2 * math.pi, 16, endpoint=False)]
        colour = np.array([int(colours[centroid["digit"]][i:i + 2], 16) for i in (1, 3, 5)])
        assert sum(np.abs(pixel - colour).max() <= 40 for pixel in ring) >= 8, centroid
    ink, gap = ink_along(rgba, *markers)
    assert ink >= 0.5 and gap <= 8, (f"no line from A to B: ink at {ink:.0%} of the path between the markers, "
                                     f"{gap} px in a row without any")


def ink_along(rgba: np.ndarray, a, b, margin: float = 16, reach: int = 2) -> tuple[float, int]:
    """The map's line from A to B is black, dashed 6 px on and 4 px off, over a white halo. Walking the
    path one pixel at a time, clear of the markers (radius 12), a step has ink when a pixel within `reach`
    px across the path is dark (every channel below 100; points are drawn at 60% opacity, so one point
    never is). Returns the share of steps with ink and the longest run of steps without."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    length = float(np.hypot(*(b - a)))
    along = (b - a) / length
    across = np.array([-along[1], along[0]])
    dark = []
    for s in np.arange(margin, length - margin):
        points = [a + s * along + r * across for r in range(-reach, reach + 1)]
        dark.append(min(int(rgba[round(y), round(x), :3].max()) for x, y in points) < 100)
    assert dark, f"A and B are {length:.0f} px apart: no path between the markers to look at"
    runs, run = [0], 0
    for step in dark:
        run = 0 if step else run + 1
        runs.append(run)
    return sum(dark) / len(dark), max(runs)


def test_on_a_phone_each_widget_fits_one_screen_with_its_large_digit_large(open_page):
    page = open_page(viewport=PHONE, is_mobile=True, has_touch=True)
    screen = PHONE["height"] - 48  # below Material's header
    root = widget(page, "latent")
    stage = root.locator(".ae-stage").bounding_box()
    assert stage["height"] <= screen, stage
    assert root.locator("canvas.ae-digit--large").bounding_box()["width"] >= 140
    root = widget(page, "draw")
    boxes = [root.locator("canvas.ae-pad").bounding_box()] + [
        root.locator(".ae-outputs canvas").nth(k).bounding_box() for k in range(4)]
    top, bottom = min(b["y"] for b in boxes), max(b["y"] + b["height"] for b in boxes)
    assert bottom - top <= screen / 2, f"the pad and its reconstructions span {bottom - top} px"
    root = widget(page, "noise")
    panels = [root.locator(".ae-outputs canvas").nth(k).bounding_box() for k in range(4)]
    assert len({round(p["y"]) for p in panels}) == 1, "the four panels are not on one row"
    assert all(p["x"] + p["width"] <= PHONE["width"] for p in panels)


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_nothing_moves_when_a_widget_arrives(browser, base_url, width):
    """Each widget's box is as tall while play.js has not run (its room kept by CSS), while it waits for
    its models (built, blank) and once they have arrived, so that the page never jumps."""
    viewport = DESKTOP if width == "desktop" else PHONE
    heights = {}
    for stage in ("no script", "script"):
        context = browser.new_context(viewport=viewport, is_mobile=width == "phone", has_touch=width == "phone")
        if stage == "no script":
            context.route("**/play.js", lambda route: route.abort())
        page = context.new_page()
        page.goto(base_url + "play/", wait_until="load", timeout=TIMEOUT_MS)
        page.wait_for_timeout(200)
        measure = """() => [...document.querySelectorAll('.ae-play')].map((r) => r.getBoundingClientRect().height)"""
        heights[stage] = page.evaluate(measure)
        if stage == "script":
            assert page.evaluate("() => [...document.querySelectorAll('.ae-play')].map((r) => r.dataset.mounted)") == [
                "idle"] * 3
            for name in ("latent", "draw", "noise"):
                widget(page, name)
            heights["ready"] = page.evaluate(measure)
        context.close()
    assert len(heights["script"]) == 3
    for a, b in (("no script", "script"), ("script", "ready")):
        assert max(abs(x - y) for x, y in zip(heights[a], heights[b])) <= 1, heights


def test_a_widget_says_what_it_will_load_shows_its_progress_and_why_it_failed(browser, base_url):
    context = browser.new_context(viewport=DESKTOP)  # no Watch: this test makes requests fail on purpose
    page = context.new_page()
    page.goto(base_url + "play/", wait_until="load", timeout=TIMEOUT_MS)
    root = page.locator('.ae-play[data-widget="draw"]')
    status = root.locator(".ae-status")
    bytes_shown = root.get_attribute("data-bytes")
    assert bytes_shown and bytes_shown.endswith("MB")
    assert bytes_shown in status.inner_text() and "Load it now" in status.inner_text()
    assert root.locator(".ae-stage button:disabled").count() >= 11, "controls are usable before their models are here"
    requested = lambda: page.evaluate("""() => performance.getEntriesByType('resource')
        .filter((e) => e.name.includes('/assets/models/')).length""")  # noqa: E731
    assert requested() == 0

    page.context.route("**/assets/models/*.bin", lambda route: route.abort())
    root.get_by_role("button", name=re.compile("Load it now")).click()
    page.wait_for_function("""() => document.querySelector('.ae-play[data-widget="draw"]').dataset.mounted === 'failed'""")
    assert "could not be loaded" in status.inner_text()
    assert root.locator(".ae-fallback img").is_visible(), "the static figure is not shown when the widget fails"
    page.context.unroute("**/assets/models/*.bin")
    root.get_by_role("button", name="Try again").click()
    page.wait_for_function("""() => document.querySelector('.ae-play[data-widget="draw"]').dataset.mounted === 'ready'""")
    assert not status.is_visible() and root.locator(".ae-stage button:disabled").count() == 0
    context.close()


def test_a_widget_loads_when_its_address_asks_for_it(open_page):
    page = open_page("play/#noise")
    page.wait_for_function("""() => document.querySelector('.ae-play[data-widget="noise"]').dataset.mounted === 'ready'""")
    assert page.evaluate("() => [...document.querySelectorAll('.ae-play')].map((r) => r.dataset.mounted)")[:2] == [
        "idle", "idle"]


@pytest.mark.browser
def test_the_8_bit_table_shows_no_negative_zero(site):
    html = (site / "play" / "index.html").read_text(encoding="utf-8")
    table = html[html.index('id="quantisation"'):html.index('id="console"')]
    assert not re.search(r"[-\u2212+]0\.0+\s?%", re.sub(r"<[^>]+>", "", table)), "a signed zero in the 8-bit table"
