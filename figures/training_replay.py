"""The 2-D code of a fixed sample of test digits at eight moments of the vanilla d = 2 run.

The static counterpart of the Play page's replay, from the same recording (autoencoders.replay),
which the build makes while it trains the run of the lowest seed. This recipe also writes the
page's replay files: the recording packed as int16 codes, and the training images of every seed
for the page's own training.
"""

import numpy as np
from _style import DIGIT_COLOURS, SMALLEST, figure, text_colour

from autoencoders import replay
from autoencoders.render import Rendered

RUNS = ("vanilla-d2-s*",)
OFFERED = 3  # seeds the page lets the reader train (the lowest built): each brings its 5,000 images
# Where the panels look, in epochs: the start, the first steps, the end of the first epoch, the
# unfolding, then a few epochs apart; each is drawn at the recorded moment nearest to it.
TARGETS = (0, 0.2, 0.5, 1, 1.7, 3, 10, None)  # None: the end of the run
LINE = 0.1  # "on a line": the codes' spread along their second principal axis under this share of the first
PLANE = 0.3  # "in the plane": at least this share


def spread_ratio(codes: np.ndarray) -> float:
    """The codes' spread along their second principal axis relative to the first (0: a line)."""
    singular = np.linalg.svd(codes - codes.mean(0), compute_uv=False)
    return float(singular[1] / singular[0]) if singular[0] > 0 else 0.0


def render(ctx) -> Rendered:
    run = ctx.first("vanilla-d2")
    recording = run.recording
    if recording is None:
        raise RuntimeError(f"run {run.config.run_id} carries no recording: the build must train it with "
                           f"autoencoders.replay.Recorder as on_step (see replay.record)")
    codes, labels = recording["codes"].numpy(), recording["labels"].numpy()
    steps, losses = recording["steps"], recording["test_loss"]
    per_epoch = recording["steps_per_epoch"]
    chosen = []
    for target in TARGETS:
        step = steps[-1] if target is None else target * per_epoch
        nearest = min(range(len(steps)), key=lambda k: abs(steps[k] - step))
        if nearest not in chosen:
            chosen.append(nearest)

    # When the codes lie on a line, and when they spread over the plane again.
    ratios = [spread_ratio(c) for c in codes]
    flat = [k for k in range(1, len(steps)) if ratios[k] < LINE][:1]
    while flat and flat[-1] + 1 < len(steps) and ratios[flat[-1] + 1] < LINE:  # the first such stretch
        flat.append(flat[-1] + 1)
    spread = [k for k in range(flat[-1] + 1, len(steps)) if ratios[k] >= PLANE] if flat else []

    columns = 2 if ctx.phone else 4
    rows = -(-len(chosen) // columns)
    fig = figure(ctx, height=2.0 * rows + 0.55)
    panels, key = fig.subfigures(2, 1, height_ratios=[2.0 * rows, 0.55])
    axes = panels.subplots(rows, columns, squeeze=False).ravel()
    colours = np.array(DIGIT_COLOURS)[labels]
    for ax, k in zip(axes, chosen):
        window = replay.view(codes[k])
        (cx, cy), half = window["centre"], window["span"] / 2
        ax.scatter(codes[k, :, 0], codes[k, :, 1], s=2.5, c=colours, linewidths=0, alpha=0.85, rasterized=True)
        ax.set_xlim(cx - half, cx + half)
        ax.set_ylim(cy - half, cy + half)
        ax.set_aspect("equal")
        ax.locator_params(nbins=3)
        ax.tick_params(labelsize=SMALLEST, length=2, pad=1)
        when = f"epoch {steps[k] / per_epoch:.2g}" if steps[k] else "the start"
        ax.set_title(f"step {steps[k]:,} ({when})\nMSE {losses[k]:.4f}", fontsize=7.5, pad=3)
    for ax in axes[len(chosen):]:
        ax.set_visible(False)

    # The colour key, circled digits as in the latent map's figure.
    strip = key.add_subplot()
    strip.set_xlim(-0.5, 9.5)
    strip.set_ylim(-1, 1)
    strip.axis("off")
    strip.text(-0.9, 0, "digit", ha="right", va="center", fontsize=8)
    for digit in range(10):
        strip.text(digit, 0, str(digit), ha="center", va="center", fontsize=9, fontweight="bold",
                   color=text_colour(DIGIT_COLOURS[digit]),
                   bbox=dict(boxstyle="circle,pad=0.3", fc=DIGIT_COLOURS[digit], ec="black", lw=0.6))

    metrics = {r.config.seed: r.metrics for r in ctx.runs_matching("vanilla-d2-s*")[:OFFERED]}
    files = replay.page_files(recording, ctx.data, metrics, run.config)
    count, seed = len(labels), run.config.seed
    each = np.bincount(labels, minlength=10)
    per_digit = f"{each[0]} per digit" if (each == each[0]).all() else f"{each.min()} to {each.max()} per digit"
    shown = ", ".join(f"{steps[k]:,}" for k in chosen)
    if flat:
        phases = (f"From step {steps[flat[0]]:,} to {steps[flat[-1]]:,} the codes lie close to a line (spread across "
                  f"it under {100 * LINE:.0f}% of that along it)")
        phases += f"; by step {steps[spread[0]]:,} they fill the plane (over {100 * PLANE:.0f}%)." if spread else "."
    else:
        phases = f"At no recorded moment do the codes lie close to a line (spread across it under {100 * LINE:.0f}%)."
    alt = (f"{len(chosen)} scatter plots in a grid, each showing the two-dimensional codes of the same {count:,} MNIST "
           f"test digits, coloured by digit, under the vanilla autoencoder at one moment of its training: after "
           f"steps {shown}. Each panel has its own axes, since the codes' range grows as the model trains, and "
           f"gives the sample's reconstruction error at that moment, from {losses[chosen[0]]:.4f} at the start to "
           f"{losses[chosen[-1]]:.4f} at the end. {phases} A key below maps the ten colours to digits.")
    caption = (f"Vanilla d = 2 (seed {seed}) as it trains: the codes of {count:,} test images ({per_digit}) at "
               f"{len(chosen)} of {len(steps)} recorded moments, each on its own axes; MSE: their reconstruction "
               f"error then. {phases} The Play page animates them all.")
    numbers = {
        "fig.training_replay.seed": str(seed),
        "fig.training_replay.sample": f"{count:,}",
        "fig.training_replay.moments": str(len(steps)),
        "fig.training_replay.bytes": f"{len(files[f'{replay.DIRECTORY}/replay.bin']) / 1e3:.0f} KB",
    }
    return Rendered(fig, alt, caption, numbers, files)
