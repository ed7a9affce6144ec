"""Figure 4: training loss per epoch of the five configurations, over seeds, against the published values."""

import numpy as np
from _style import (CONFIG_COLOURS, CONFIG_LABELS, CONFIG_PROSE, FIVE, REFERENCE_COLOUR, figure, log_ticks,
                    seed_band)
from matplotlib.lines import Line2D

from autoencoders.experiments import PUBLISHED_FINAL_LOSS
from autoencoders.render import Rendered

NUMBER = 4
RUNS = ("vanilla-d2-s*", "*-d32-s*")  # the five configurations at every seed; the sweep (d = 4..64) is not read


def render(ctx) -> Rendered:
    fig = figure(height=4.2)
    ax = fig.add_subplot()
    finals, within, drift, seeds = {}, [], {}, 0
    for name in FIVE:
        histories = np.array([r.metrics["history"] for r in ctx.runs_matching(f"{name}-s*")])
        seeds, epochs = histories.shape
        x = np.arange(1, epochs + 1)
        mean = seed_band(ax, x, histories, CONFIG_COLOURS[name], CONFIG_LABELS[name], lw=1.6)
        published = PUBLISHED_FINAL_LOSS[name]
        ax.plot(epochs + 0.6, published, marker="D", ms=6, color=CONFIG_COLOURS[name], mec="black", mew=0.7,
                clip_on=False, zorder=3)
        finals[name] = mean[-1]
        if histories[:, -1].min() <= published <= histories[:, -1].max():
            within.append(name)
        # How much the loss still fell per epoch over the last (up to) five epochs, relative, mean over seeds.
        window = min(5, epochs - 1)
        drift[name] = 1 - (mean[-1] / mean[-1 - window]) ** (1 / window) if window else 0.0
    log_ticks(ax, "y", [0.01, 0.02, 0.03, 0.05, 0.1])
    ax.set_xlim(0.5, epochs + 1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (mean over the epoch's batches)")
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], ls="", marker="D", ms=6, color="white", mec=REFERENCE_COLOUR, mew=0.9))
    labels.append(f"published, epoch {epochs} (one run)")
    ax.legend(handles, labels, loc="upper right", frameon=False)
    ax.grid(True, which="major", axis="y", color="#dddddd", lw=0.6)

    gap = {n: finals[n] / PUBLISHED_FINAL_LOSS[n] - 1 for n in FIVE}
    widest = max(FIVE, key=lambda n: abs(gap[n]))
    slowest = max(FIVE, key=drift.get)
    numbers = {
        "fig.training_curves.band": f"min–max over {seeds} seeds",
        "fig.training_curves.published_within_seed_range": f"{len(within)} of {len(FIVE)}",
        "fig.training_curves.largest_gap_to_published": f"{100 * gap[widest]:+.1f}% ({CONFIG_PROSE[widest]})",
        **{f"fig.training_curves.last_epochs_drop.{n}": f"{100 * drift[n]:.1f}%" for n in FIVE},
    }
    outside = [CONFIG_PROSE[n] for n in FIVE if n not in within]
    alt = (f"Line chart on a logarithmic loss axis: training loss against epoch, 1 to {epochs}, for the five "
           f"autoencoder configurations, each a mean over {seeds} seeds with a shaded band from the lowest to the "
           f"highest seed, and a diamond at the end for the loss the original series published. From lowest to "
           f"highest final loss: {', '.join(CONFIG_PROSE[n] for n in sorted(FIVE, key=finals.get))}; the "
           f"diamonds sit within {100 * abs(gap[widest]):.1f}% of our epoch-{epochs} means.")
    caption = (f"Training loss (mean over each epoch's batches; for the denoiser on noisy inputs, for the sparse "
               f"model including the L1 term) of the five configurations: lines are means over {seeds} seeds, "
               f"bands span the lowest to the highest seed. Diamonds: the published final losses of single unseeded "
               f"runs. Our epoch-{epochs} means differ from them by at most {100 * abs(gap[widest]):.1f}% "
               f"({CONFIG_PROSE[widest]}); {len(within)} of {len(FIVE)} published values lie inside our seed range"
               + (f" (outside: {', '.join(outside)})" if outside else "") + f". Over the last {window} epochs the loss "
               f"still fell by {100 * min(drift.values()):.1f}–{100 * max(drift.values()):.1f}% per epoch "
               f"(fastest: {CONFIG_PROSE[slowest]})"
               + (": none of the runs has converged yet." if min(drift.values()) > 0.002 else "."))
    return Rendered(fig, alt, caption, numbers)
