"""Training in the reader's browser (docs/assets/javascripts/trainer.js) against PyTorch, in Chromium,
and the Play page's "Watch it learn" section: lazy, within its budget, and what it says it is.

The equivalence tests import trainer.js into a page and compare it with autoencoders.models and
torch.optim.Adam(fused=True) as train.py uses them. Throughput, the longest task on the page's
thread while it trains and the replay's first frame on a slow connection are measured and written
to tests/artifacts/ (trainer-*.json), never asserted: they are times of this machine.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from autoencoders import replay
from autoencoders.data import training_indices, training_subset
from autoencoders.models import VanillaAutoencoder
from site_helpers import REPO, RESTICK, SCREENSHOTS, TAKE_SCREENSHOTS, UNSTICK
from test_site import DESKTOP, PHONE, TIMEOUT_MS, Watch, open_page  # noqa: F401 (open_page: a fixture)

pytestmark = pytest.mark.browser
ARTIFACTS = SCREENSHOTS.parent
FILES = REPO / "docs" / "assets" / "replay"
INDEX = json.loads((FILES / "replay.json").read_text()) if (FILES / "replay.json").is_file() else None
FIGURES = json.loads((REPO / "docs" / "results" / "figures.json").read_text())
SEED = 0
TRAIN = {"train_size": replay.CONFIG.train_size, "batch_size": replay.CONFIG.batch_size}
STEPS = 50

# In the page: trainer.js as a module, and base64 <-> typed arrays for the bulk of the data.
PRELUDE = """
const T = await import(new URL("/assets/javascripts/trainer.js", location.origin).href);
const bytes = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const floats = (s) => new Float32Array(bytes(s).buffer);
const text = (array) => {
  const u8 = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
  let s = ""; for (let k = 0; k < u8.length; k += 32768) s += String.fromCharCode(...u8.subarray(k, k + 32768));
  return btoa(s);
};
const layersFrom = (blobs, sizes) => sizes.slice(0, -1).map((n, l) => ({ in: n, out: sizes[l + 1],
  weight: floats(blobs[2 * l]), bias: floats(blobs[2 * l + 1]) }));
"""


def b64(array: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(array).tobytes()).decode()


def unb64(text: str, dtype=np.float32) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text), dtype)


def initial_model(seed: int = SEED) -> VanillaAutoencoder:
    torch.manual_seed(seed)  # as train.py draws the initial weights
    return VanillaAutoencoder(2)


def parameters(model) -> list[np.ndarray]:
    return [p.detach().numpy().astype(np.float32).reshape(-1) for p in model.parameters()]


def relative(mine: np.ndarray, theirs: np.ndarray, norm=np.inf) -> float:
    """|mine - theirs| / |theirs| over a whole tensor (largest element, or root of the sum of squares)."""
    return float(np.linalg.norm(mine - theirs, norm) / np.linalg.norm(theirs, norm))


@pytest.fixture(scope="module")
def page(browser, base_url):  # noqa: F811
    context = browser.new_context(viewport=DESKTOP)
    watch = Watch(context)
    page = watch.attach(context.new_page(), "trainer")
    page.goto(base_url + "part-3-experiments/", wait_until="load", timeout=TIMEOUT_MS)  # any page of the site
    yield page
    context.close()
    assert not watch.problems, "\n".join(watch.problems)


def js(page, body: str, argument=None):
    return page.evaluate(f"async (argument) => {{ {PRELUDE} {body} }}", argument)


# ---------------------------------------------------------------- the numerics, against PyTorch

def test_generator_batch_order_and_initial_weights_are_pytorchs(page):
    # The batch order of every epoch: randperm draws from the generator epoch after epoch.
    for seed in (0, 1, 2, 2026):
        got = js(page, """const g = new T.TorchGenerator(argument.seed);
                          return [0, 1, 2].map(() => Array.from(T.randperm(argument.n, g)));""",
                 {"seed": seed, "n": 5_000})
        generator = torch.Generator().manual_seed(seed)
        assert got == [torch.randperm(5_000, generator=generator).tolist() for _ in range(3)], seed
    # And the 5,000 of 60,000 images a run draws (data.training_indices).
    got = js(page, "return Array.from(T.randperm(60000, new T.TorchGenerator(3)).subarray(0, 5000));")
    assert got == torch.randperm(60_000, generator=torch.Generator().manual_seed(3))[:5_000].tolist()
    # Bit for bit, every weight and bias of nn.Linear's default initialisation.
    for seed in (0, 7):
        blobs = js(page, """return T.initialLayers(argument).flatMap((l) => [text(l.weight), text(l.bias)]);""", seed)
        for mine, theirs in zip(blobs, parameters(initial_model(seed))):
            assert np.array_equal(unb64(mine), theirs), seed


def test_the_shipped_training_images_are_the_runs(page, mnist):
    """train-s<seed>.bin decodes, in the page, to the images training_subset gives that seed."""
    for seed, entry in INDEX["training"]["seeds"].items():
        got = js(page, """const r = await fetch(new URL("/assets/replay/" + argument.file, location.origin));
                          const images = T.toFloat(T.unrunLength(new Uint8Array(await r.arrayBuffer()), argument.size));
                          return text(images);""", {"file": entry["file"], "size": TRAIN["train_size"] * 784})
        expected = training_subset(mnist, TRAIN["train_size"], int(seed)).numpy().reshape(-1)
        assert np.array_equal(unb64(got), expected), seed


def test_loss_and_every_gradient_equal_pytorchs(page, mnist):
    model = initial_model()
    images = training_subset(mnist, TRAIN["train_size"], SEED)
    order = torch.randperm(TRAIN["train_size"], generator=torch.Generator().manual_seed(SEED))
    batches = {"first batch": order[:128], "an epoch's last batch (8 images)": order[-8:]}
    report = {}
    for name, batch in batches.items():
        model.zero_grad(set_to_none=True)
        loss = model.loss_terms(images[batch])["reconstruction"]
        loss.backward()
        got = js(page, """const net = new T.Autoencoder(layersFrom(argument.layers, T.widths()));
                          const images = floats(argument.images);
                          const loss = net.lossAndGradients(images, Int32Array.from(argument.batch.map((_, k) => k)));
                          return {loss, grads: net.grads.flatMap((g) => [text(g.weight), text(g.bias)])};""",
                 {"layers": [b64(p) for p in parameters(model)], "images": b64(images[batch].numpy()),
                  "batch": batch.tolist()})
        errors = {"loss": abs(got["loss"] - loss.item()) / loss.item()}
        for k, (mine, p) in enumerate(zip(got["grads"], model.parameters())):
            name_k = f"layer {k // 2} {'weight' if k % 2 == 0 else 'bias'}"
            errors[name_k] = relative(unb64(mine), p.grad.numpy().reshape(-1))
        report[name] = errors
        assert max(errors.values()) <= 1e-5, (name, errors)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "trainer-gradients.json").write_text(json.dumps(report, indent=1) + "\n")


def pytorch_steps(mnist, steps: int, **adam) -> tuple[list[np.ndarray], list[float]]:
    """`steps` steps of train.py's loop (its batch order and loss) with torch.optim.Adam(**adam), on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = initial_model()
        images = training_subset(mnist, TRAIN["train_size"], SEED)
        optimizer = torch.optim.Adam(model.parameters(), lr=replay.CONFIG.learning_rate, **adam)
        order, losses = torch.Generator().manual_seed(SEED), []
        while len(losses) < steps:
            permutation = torch.randperm(len(images), generator=order)
            for start in range(0, len(images), TRAIN["batch_size"]):
                if len(losses) == steps:
                    break
                loss = model.loss_terms(images[permutation[start:start + TRAIN["batch_size"]]])["reconstruction"]
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                losses.append(loss.item())
        return parameters(model), losses
    finally:
        torch.set_num_threads(threads)


def test_fifty_adam_steps_equal_pytorchs(page, mnist):
    fused, fused_losses = pytorch_steps(mnist, STEPS, fused=True)  # as train.py
    got = js(page, """const r = await fetch(new URL("/assets/replay/train-s0.bin", location.origin));
                      const images = T.toFloat(T.unrunLength(new Uint8Array(await r.arrayBuffer()), argument.size));
                      const trainer = new T.Trainer(images, {seed: 0, layers: layersFrom(argument.layers, T.widths())});
                      const losses = Array.from({length: argument.steps}, () => trainer.step());
                      return {losses, params: trainer.net.layers.flatMap((l) => [text(l.weight), text(l.bias)])};""",
             {"layers": [b64(p) for p in parameters(initial_model())], "size": TRAIN["train_size"] * 784,
              "steps": STEPS})
    mine = [unb64(p) for p in got["params"]]
    losses = np.array(got["losses"])
    loss_error = float(np.max(np.abs(losses - fused_losses) / np.array(fused_losses)))
    l2 = [relative(a, b, 2) for a, b in zip(mine, fused)]
    # PyTorch against itself: its other Adam (foreach) against the fused one, for scale.
    foreach, _ = pytorch_steps(mnist, STEPS, foreach=True)
    def compare(ours, theirs):
        return {"L2 relative": [relative(a, b, 2) for a, b in zip(ours, theirs)],
                "max-element relative": [relative(a, b) for a, b in zip(ours, theirs)]}

    report = {"steps": STEPS, "loss, largest relative difference over the steps": loss_error,
              "parameters vs fused Adam, per tensor": compare(mine, fused),
              "parameters vs foreach Adam, per tensor": compare(mine, foreach),
              "PyTorch foreach vs fused, per tensor": compare(foreach, fused)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "trainer-adam.json").write_text(json.dumps(report, indent=1) + "\n")
    assert loss_error <= 1e-4, loss_error
    assert max(l2) <= 1e-4, l2


# ---------------------------------------------------------------- the page

LONG_TASKS = """window.__longTasks = [];
new PerformanceObserver((list) => { for (const e of list.getEntries()) __longTasks.push([e.startTime, e.duration]); })
  .observe({type: "longtask", buffered: true});"""


SECTION_FILES = ("replay.js", "replay.css", "trainer.js", "train-worker.js", "replay.json", "replay.bin", "sample.bin")


@pytest.fixture
def open_play(open_page, base_url, site):  # noqa: F811 (open_page: the imported fixture)
    """open_play(path, **context options) -> page, as open_page opens it, whose .fetched() gives this section's
    files the page (or its worker) fetched, with their sizes as served; long tasks are recorded."""

    def opener(path="play/", **options):
        urls = []

        def setup(context):
            context.add_init_script(LONG_TASKS)
            context.on("requestfinished", lambda request: urls.append(request.url))  # a worker's requests too

        def fetched() -> dict[str, int]:
            paths = {u.removeprefix(base_url).split("#")[0] for u in urls}
            return {Path(p).name: (site / p).stat().st_size for p in paths
                    if Path(p).name in SECTION_FILES or Path(p).name.startswith("train-s")}

        page = open_page(path, setup=setup, **options)
        page.fetched = fetched
        return page

    return opener


def until(page, name: str, condition: str, timeout: float = TIMEOUT_MS) -> None:
    """Wait until `condition` (JavaScript, about the widget's root node) holds."""
    page.wait_for_function(f"""() => document.querySelector('.ae-watch[data-watch="{name}"]').{condition}""",
                           timeout=timeout)


def reach(page, name: str):
    root = page.locator(f'.ae-watch[data-watch="{name}"]')
    root.evaluate("(node) => node.scrollIntoView({block: 'start'})")
    until(page, name, "dataset.mounted === 'ready'")
    return root


def state(root) -> dict:
    return root.evaluate("(node) => JSON.parse(JSON.stringify(node.aeState, (k, v) => k === 'codes' ? undefined : v))")


def test_the_replay_loads_when_reached_and_steps_through_the_recorded_moments(open_play):
    page = open_play()
    page.wait_for_load_state("networkidle")
    assert page.fetched() == {}, "the section loaded before the reader reached it"
    deferred = "(images) => images.every((i) => i.getAttribute('src').startsWith('data:'))"
    assert page.locator(".ae-watch img").evaluate_all(deferred)
    root = reach(page, "replay")
    until(page, "replay", "dataset.frame === '0'")
    fetched = page.fetched()
    assert set(fetched) == {"replay.js", "replay.css", "replay.json", "replay.bin"}, fetched
    assert fetched["replay.bin"] <= 300_000
    moments = INDEX["replay"]["frames"]
    canvas = root.locator("canvas.ae-watch-map")
    first = canvas.screenshot()
    canvas.focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert state(root)["frame"] == 3
    page.keyboard.press("End")
    end = state(root)
    assert end["frame"] == len(moments) - 1 and end["loaded"] == len(moments)
    assert f"Step {moments[-1]['step']:,} of {moments[-1]['step']:,}" in root.locator(".ae-watch-readout").inner_text()
    page.wait_for_timeout(400)  # the move's animation
    assert canvas.screenshot() != first
    root.locator(".ae-watch-scrubber").fill("10")
    assert state(root)["frame"] == 10
    root.get_by_role("button", name="Play").click()
    until(page, "replay", "aeState.frame >= 12")
    root.get_by_role("button", name="Pause").click()
    assert not state(root)["playing"]


def test_the_replay_draws_what_was_recorded(open_play):
    """The page's codes of a moment are the packed recording's, decoded as Python decodes them."""
    page = open_play()
    root = reach(page, "replay")
    blob = (FILES / "replay.bin").read_bytes()
    description = INDEX["replay"]
    count = description["count"]
    for k in (0, 20, len(description["frames"]) - 1):
        root.locator(".ae-watch-scrubber").fill(str(k))
        until(page, "replay", f"dataset.frame === '{k}'")
        shown = np.array(root.evaluate("(node) => Array.from(node.aeCodes())")).reshape(count, 2)
        frame = description["frames"][k]
        expected = replay.unpack_codes(frame, blob, description["codes"] + k * description["frame_bytes"], count, 2)
        assert np.abs(shown - expected).max() <= 1e-6 * max(1.0, np.abs(expected).max()), k


def test_training_in_the_browser_follows_pytorch_and_the_times_are_reported(open_play, mnist):
    page = open_play("play/#train")
    reach(page, "replay")
    root = reach(page, "train")
    assert not any(name.startswith("train") or name == "sample.bin" for name in page.fetched())
    started = page.evaluate("() => performance.now()")
    root.get_by_role("button", name="Train").click()
    until(page, "train", "aeState.epochLosses.length >= 1", 180_000)
    root.get_by_role("button", name="Pause").click()
    stopped = page.evaluate("() => performance.now()")
    trained = state(root)
    fetched = page.fetched()
    seed = INDEX["training"]["seeds"][str(SEED)]
    assert {seed["file"], "sample.bin", "trainer.js", "train-worker.js"} <= set(fetched)

    # Its first epoch is PyTorch's first epoch, to float32 rounding (train.py's loop, one epoch).
    from autoencoders.train import train
    from dataclasses import replace as with_
    epoch = train(with_(replay.CONFIG, seed=SEED, epochs=1), mnist).metrics["history"][0]
    assert abs(trained["epochLosses"][0] - epoch) / epoch <= 1e-4, (trained["epochLosses"][0], epoch)
    assert trained["snapshots"] >= 2

    tasks = page.evaluate("() => window.__longTasks")
    during = [duration for start, duration in tasks if started <= start <= stopped]
    gaps = np.diff(trained["snapshotTimes"]).tolist()
    report = {
        "steps_per_second": round(trained["stepsPerSecond"], 2),
        "first_epoch_seconds": round(trained["firstEpochSeconds"], 2),
        "steps": trained["step"],
        "snapshots": trained["snapshots"],
        "longest_gap_between_map_updates_ms": round(max(gaps), 1) if gaps else None,
        "median_gap_between_map_updates_ms": round(float(np.median(gaps)), 1) if gaps else None,
        "long_tasks_while_training": len(during),
        "longest_task_while_training_ms": max(during, default=0.0),
        # What the page's own code took: the longest handling of one message from the worker, and
        # the longest animation frame of the map (a long task above them was someone else's).
        "longest_message_handling_ms": round(trained["longestUpdateMs"], 1),
        "longest_map_frame_ms": round(trained["longestFrameMs"], 1),
        "machine_load_average": [round(v, 2) for v in os.getloadavg()],
        "first_epoch_loss": {"browser": trained["epochLosses"][0], "pytorch": epoch},
        "bytes": {"replay": {n: fetched[n] for n in ("replay.js", "replay.css", "replay.json", "replay.bin")},
                  "train": {n: fetched[n] for n in ("trainer.js", "train-worker.js", seed["file"], "sample.bin")}},
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "trainer-throughput.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps(report, indent=1))


def test_the_first_frame_on_a_slow_connection_is_reported(open_play):
    """At 1.6 Mbit/s with 150 ms of latency (Lighthouse's mobile setting): the time from reaching the
    replay to its first frame, written to tests/artifacts/trainer-first-frame.json."""
    page = open_play()
    client = page.context.new_cdp_session(page)
    client.send("Network.enable")
    client.send("Network.setCacheDisabled", {"cacheDisabled": True})
    client.send("Network.emulateNetworkConditions", {
        "offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8})
    reached = page.evaluate("""() => { const node = document.querySelector('.ae-watch[data-watch="replay"]');
                                      node.scrollIntoView({block: 'start'}); return performance.now(); }""")
    until(page, "replay", "dataset.frame === '0'", 60_000)
    first = page.evaluate("() => document.querySelector('.ae-watch[data-watch=\"replay\"]').aeState.firstFrameAt")
    until(page, "replay", f"aeState.loaded === {len(INDEX['replay']['frames'])}", 60_000)
    everything = page.evaluate("() => performance.now()")
    report = {"connection": "1.6 Mbit/s down, 150 ms latency, no cache",
              "reached_to_first_frame_ms": round(first - reached),
              "reached_to_every_moment_ms": round(everything - reached)}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "trainer-first-frame.json").write_text(json.dumps(report, indent=1) + "\n")
    print(report)


def test_without_javascript_the_replay_shows_its_figure(open_play):
    page = open_play(java_script_enabled=False)
    root = page.locator('.ae-watch[data-watch="replay"]')
    root.locator(".ae-fallback img").scroll_into_view_if_needed()
    assert root.locator(".ae-fallback img").is_visible()
    assert root.locator("figcaption").first.inner_text().startswith(f"Figure {FIGURES['training-replay']['number']}.")
    assert "needs JavaScript" in page.locator('.ae-watch[data-watch="train"]').inner_text()


def test_light_and_dark_desktop_and_phone_the_widgets_fit_while_training(open_play):
    """Neither widget widens the page, before or while it trains, in any of the four looks; with
    SCREENSHOTS=1 it also trains longer and saves each widget's picture for a human to look at."""
    steps = 60 if TAKE_SCREENSHOTS else 10
    for scheme in ("light", "dark"):
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            phone = width == "phone"
            page = open_play(viewport=viewport, color_scheme=scheme, is_mobile=phone, has_touch=phone)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
            replay_root = reach(page, "replay")
            replay_root.locator(".ae-watch-scrubber").fill("24")
            train_root = reach(page, "train")
            train_root.get_by_role("button", name="Train").click()
            until(page, "train", f"aeState.step >= {steps}", 180_000)
            train_root.get_by_role("button", name="Pause").click()
            page.wait_for_timeout(400)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= viewport["width"]
            if not TAKE_SCREENSHOTS:
                continue
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.evaluate(UNSTICK)  # the header would be drawn over the widgets
            for name, root in (("replay", replay_root), ("train", train_root)):
                root.screenshot(path=str(SCREENSHOTS / f"play-watch-{name}-{scheme}-{width}.png"))
            page.evaluate(RESTICK)
