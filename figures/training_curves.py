"""Training loss per epoch of the five configurations, over seeds, against the published values."""

import numpy as np
from _style import (CONFIG_COLOURS, CONFIG_LABELS, CONFIG_PROSE, FIVE, REFERENCE_COLOUR, beside, figure,
                    log_ticks, panel_label, seed_band)
from matplotlib.lines import Line2D
from matplotlib.ticker import FormatStrFormatter, MaxNLocator

from autoencoders.experiments import PUBLISHED_FINAL_LOSS
from autoencoders.experiments import CONFIGURATIONS
from autoencoders.measures import LATE_EPOCHS, late_trend
from autoencoders.render import Rendered

RUNS = tuple(f"{c.name}-s*" for c in CONFIGURATIONS)  # the published table, every seed
ZOOM = 10  # epochs that panel (b) magnifies
CLOSE = 1.15  # configurations whose final mean losses differ by less than this factor share a panel-(b) axis


def render(ctx) -> Rendered:
    fig = figure(ctx, height=4.6, phone_height=6.6)
    left, right = beside(ctx, fig, 2, widths=[3, 2], heights=[3.9, 2.7], subfigures=True)
    ax = left.add_subplot()
    finals, within, drift, seeds, curves = {}, [], {}, 0, {}
    for name in FIVE:
        histories = np.array([r.metrics["history"] for r in ctx.runs_matching(f"{name}-s*")])
        curves[name] = histories
        seeds, epochs = histories.shape
        x = np.arange(1, epochs + 1)
        mean = seed_band(ax, x, histories, CONFIG_COLOURS[name], CONFIG_LABELS[name], lw=1.6)
        published = PUBLISHED_FINAL_LOSS[name]
        ax.plot(epochs + 0.6, published, marker="D", ms=6, color=CONFIG_COLOURS[name], mec="black", mew=0.7,
                clip_on=False, zorder=3)
        finals[name] = mean[-1]
        if histories[:, -1].min() <= published <= histories[:, -1].max():
            within.append(name)
        # How fast the loss still fell at the end (its trend over the last epochs, as the claims judge it),
        # per epoch, mean over seeds.
        drift[name] = -float(np.mean([late_trend(h, LATE_EPOCHS) for h in histories]))
    log_ticks(ax, "y", [0.01, 0.02, 0.03, 0.05, 0.1])
    ax.set_xlim(0.5, epochs + 1)
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (mean over the epoch's batches)")
    handles, labels = ax.get_legend_handles_labels()
    handles.append(Line2D([], [], ls="", marker="D", ms=6, color="white", mec=REFERENCE_COLOUR, mew=0.9))
    labels.append(f"published, epoch {epochs} (one run)")
    if ctx.phone:  # under the plot: in it, the legend would cover the curves
        left.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False, fontsize=7.5)
    else:
        ax.legend(handles, labels, loc="upper right", frameon=False)
    ax.grid(True, which="major", axis="y", color="#dddddd", lw=0.6)
    panel_label(ax, "a")

    # (b) The last epochs, magnified: configurations whose final losses are close share an axis, the
    # others get their own, each with a linear axis spanning only its curves and its published value.
    first = max(1, epochs - ZOOM + 1)
    x = np.arange(first, epochs + 1)
    groups = []
    for name in sorted(FIVE, key=finals.get, reverse=True):
        if groups and finals[groups[-1][-1]] / finals[name] < CLOSE:
            groups[-1].append(name)
        else:
            groups.append([name])
    zoom = right.subplots(len(groups), 1, sharex=True, squeeze=False)[:, 0]
    for axis, group in zip(zoom, groups):
        for name in group:
            late = curves[name][:, first - 1:]
            seed_band(axis, x, late, CONFIG_COLOURS[name], CONFIG_LABELS[name], lw=1.6)
            axis.plot(epochs + 0.6, PUBLISHED_FINAL_LOSS[name], marker="D", ms=6, color=CONFIG_COLOURS[name],
                      mec="black", mew=0.7, clip_on=False, zorder=3)
        axis.yaxis.set_major_locator(MaxNLocator(3))
        axis.yaxis.set_major_formatter(FormatStrFormatter("%g"))
        axis.tick_params(labelsize=8)
        axis.grid(True, axis="y", color="#eeeeee", lw=0.6)
        axis.set_xlim(first - 0.3, epochs + 1)
    zoom[-1].set_xlabel(f"epoch (last {len(x)})")
    zoom[-1].xaxis.set_major_locator(MaxNLocator(integer=True, nbins=5))
    panel_label(zoom[0], "b")

    gap = {n: finals[n] / PUBLISHED_FINAL_LOSS[n] - 1 for n in FIVE}
    widest = max(FIVE, key=lambda n: abs(gap[n]))
    fastest = max(FIVE, key=drift.get)
    flat = [CONFIG_PROSE[n] for n in FIVE if drift[n] <= 0]  # no longer falling over the last epochs
    outside = [CONFIG_PROSE[n] for n in FIVE if n not in within]
    numbers = {
        "fig.training_curves.band": f"min–max over {seeds} seeds",
        "fig.training_curves.published_within_seed_range": f"{len(within)} of {len(FIVE)}",
        "fig.training_curves.largest_gap_to_published": f"{100 * gap[widest]:+.1f}% ({CONFIG_PROSE[widest]})",
        **{f"fig.training_curves.last_epochs_drop.{n}": f"{100 * drift[n]:.1f}%" for n in FIVE},
        "fig.training_curves.fastest_late_drop": CONFIG_PROSE[fastest],
        "fig.training_curves.outside_seed_range": ", ".join(outside) or "none",
        "fig.training_curves.zoom_epochs": f"{first}–{epochs}",
    }
    alt = (f"Line chart on a logarithmic loss axis: training loss against epoch, 1 to {epochs}, for the five "
           f"autoencoder configurations, each a mean over {seeds} seeds with a shaded band from the lowest to the "
           f"highest seed, and a diamond at the end for the loss the original series published. From lowest to "
           f"highest final loss: {', '.join(CONFIG_PROSE[n] for n in sorted(FIVE, key=finals.get))}; the "
           f"diamonds sit within {100 * abs(gap[widest]):.1f}% of our epoch-{epochs} means. A second panel "
           f"magnifies epochs {first} to {epochs} on linear axes, one per group of configurations with close "
           f"losses, where " + (f"the curves of {', '.join(flat)} no longer fall at the end." if flat
                                else "every curve is still falling at the end."))
    caption = (f"(a) Training loss per epoch of the five configurations: lines are means over {seeds} seeds, bands "
               f"span the lowest to the highest seed, and diamonds mark the published final losses of single runs. "
               f"(b) The last {len(x)} epochs magnified, configurations with close losses sharing an axis.")
    return Rendered(fig, alt, caption, numbers)
