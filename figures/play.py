"""The Play page's files: the models its widgets run, quantised to int8, and what that costs.

Besides its PNG this recipe writes, under assets/models/ in the site, the weights of the models the
widgets run (lowest seed built), the 2-D test codes of the map with their labels and colours, and
the clean test digits the widgets offer with the very noise pattern the denoising figure gives them.
"""

import json

import numpy as np
import torch
from _style import DIGIT_COLOURS, digit_rows, encode, figure, one_per_class, pixel_mse, reconstruct

from autoencoders import export
from autoencoders.measures import noisy_test_images
from autoencoders.results import fmt
from autoencoders.render import Rendered
from autoencoders.data import TEST_NOISE_SEED

RUNS = ("vanilla-d2-s*", "vanilla-d32-s*", "denoising-d32-s*", "conv-d32-s*")
EXPORTED = ("vanilla-d2", "vanilla-d32", "denoising-d32", "conv-d32")
MAP_MODEL = "vanilla-d2"
DIRECTORY = "assets/models"
# What each widget loads, for the page (which loads it lazily) and for the budget reported below.
WIDGETS = {
    "latent": {"models": ["vanilla-d2"], "files": ["map.bin"]},
    "draw": {"models": ["vanilla-d2", "vanilla-d32", "conv-d32"], "files": ["map.bin", "digits.bin"]},
    "noise": {"models": ["denoising-d32", "vanilla-d32"], "files": ["digits.bin"]},
}


def aligned(*arrays: np.ndarray) -> tuple[list[int], bytes]:
    """Arrays one after the other, each at a 4-byte aligned offset: (offsets, bytes)."""
    blob, offsets = bytearray(), []
    for array in arrays:
        offsets.append(len(blob))
        blob.extend(array.tobytes())
        blob.extend(b"\0" * (-len(blob) % export.ALIGN))
    return offsets, bytes(blob)


def render(ctx) -> Rendered:
    images = ctx.test_images
    runs = {name: ctx.first(name) for name in EXPORTED}  # the lowest seed built
    files, models, quantised = {}, {}, {}
    for name, run in runs.items():
        description, blob = export.pack(run.model)
        quantised[name] = export.load(description, blob)  # exactly what the page computes with
        files[f"{name}.bin"] = blob
        models[name] = {"run": run.config.run_id, "file": f"{name}.bin", **description}

    # The map: codes of every test image by the quantised model, the very model that places a drawn digit.
    codes_description, codes = export.pack_codes(encode(quantised[MAP_MODEL], images))
    labels = ctx.test_labels.numpy().astype(np.uint8)
    (codes_at, labels_at), files["map.bin"] = aligned(np.frombuffer(codes, np.uint8), labels)
    map_description = {"model": MAP_MODEL, "codes": codes_at, "labels": labels_at, **codes_description,
                       "colours": list(DIGIT_COLOURS)}

    # The digits the widgets offer, and the denoising figure's noise for them: the evaluation's noise over the whole
    # test set (same generator, seed and shape as add_noise draws it), indexed; the page scales it by σ.
    sigma = runs["denoising-d32"].config.noise_sigma
    noise_all = torch.randn(images.shape, generator=torch.Generator().manual_seed(TEST_NOISE_SEED),
                            dtype=images.dtype)
    if not torch.equal((images + sigma * noise_all).clamp(0, 1), noisy_test_images(images, sigma)):
        raise RuntimeError("the exported noise does not reproduce add_noise: the denoising figure and the page would differ")
    pick = one_per_class(ctx.test_labels)
    pixels = np.rint(images[pick].numpy().reshape(len(pick), -1) * 255).astype(np.uint8)
    if not np.array_equal(pixels.astype(np.float32) / 255, images[pick].numpy().reshape(len(pick), -1)):
        raise RuntimeError("test images are not whole multiples of 1/255; they cannot be exported as bytes")
    (pixels_at, noise_at), files["digits.bin"] = aligned(pixels, noise_all[pick].numpy().astype("<f4"))
    digits = {"count": len(pick), "indices": pick, "labels": [int(ctx.test_labels[i]) for i in pick],
              "pixels": pixels_at, "noise": noise_at, "sigma": sigma, "noise_seed": TEST_NOISE_SEED}

    # What int8 costs: each model's test error with float32 and with the exported weights.
    error = {name: {kind: float(pixel_mse(reconstruct(model, images), images).mean())
                    for kind, model in (("float32", runs[name].model), ("int8", quantised[name]))}
             for name in EXPORTED}
    change = {name: e["int8"] / e["float32"] - 1 for name, e in error.items()}
    shown = images[pick]  # the figure: the widgets' digits
    rows = [shown, reconstruct(runs[MAP_MODEL].model, shown), *(reconstruct(quantised[m], shown) for m in EXPORTED)]
    pixel_gap = float((rows[1] - rows[2]).abs().max())  # float32 against int8, vanilla d = 2

    index = {"format": 1, "models": models, "map": map_description, "digits": digits, "widgets": WIDGETS}
    files["index.json"] = (json.dumps(index, indent=1, sort_keys=True) + "\n").encode()
    widget_bytes = {widget: len(files["index.json"]) + sum(len(files[f"{m}.bin"]) for m in spec["models"])
                    + sum(len(files[f]) for f in spec["files"]) for widget, spec in WIDGETS.items()}

    numbers = {
        "fig.play.images": f"{len(images):,}",
        "fig.play.sigma": f"{sigma:g}",
        "fig.play.pixel_gap": f"{pixel_gap:.3f}",
        "fig.play.max_mse_change": f"{100 * max(abs(c) for c in change.values()):.2f}%",
        **{f"fig.play.run.{name}": run.config.run_id for name, run in runs.items()},
        **{f"fig.play.mse.{name}.{kind}": fmt(e[kind]) for name, e in error.items() for kind in e},
        **{f"fig.play.mse.{name}.change": f"{100 * change[name]:+.2f}%" for name in EXPORTED},
        **{f"fig.play.bytes.{widget}": f"{size / 1e6:.2f} MB" for widget, size in widget_bytes.items()},
        "fig.play.bytes.models": f"{sum(len(files[f'{m}.bin']) for m in EXPORTED) / 1e6:.2f} MB",
    }

    # On a phone each row's label goes over it, so that the digits have the whole width.
    between = ", " if ctx.phone else "\n"
    labels_of = ["clean", f"vanilla d = 2{between}float32",
                 *(f"{m.replace('-d', ' d = ')}{between}int8" for m in EXPORTED)]
    fig = figure(ctx, height=5.0, phone_height=3.5)
    digit_rows(fig, rows, labels_of, above=ctx.phone)

    summary = "; ".join(f"{name.replace('-d', ' d = ')} {fmt(e['float32'])} → {fmt(e['int8'])} "
                        f"({100 * change[name]:+.2f}%)" for name, e in error.items())
    alt = (f"Grid of {len(pick)} handwritten test digits, one per class, in {len(rows)} rows: the clean image, the "
           f"vanilla d = 2 model's reconstruction with its trained float32 weights, then the reconstructions by "
           f"the {len(EXPORTED)} models the Play page runs, with int8 weights. The two vanilla d = 2 rows differ by at most "
           f"{pixel_gap:.3f} in any pixel (0 is white, 1 black). "
           f"Test errors, float32 then int8: {summary}.")
    caption = (f"The models the Play page runs in the browser, stored with 8-bit weights (one scale per row): "
               f"{', '.join(run.config.run_id for run in runs.values())}, {numbers['fig.play.bytes.models']} in "
               f"all. On the first test image of each class, vanilla d = 2's reconstructions with int8 and "
               f"with float32 weights (third and second rows) differ by at most {pixel_gap:.3f} in any pixel. "
               f"Mean squared error over the {len(images):,} test images, float32 then int8: {summary}.")
    files = {f"{DIRECTORY}/{name}": payload for name, payload in sorted(files.items())}
    return Rendered(fig, alt, caption, numbers, files)

