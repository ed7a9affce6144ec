"""Does the L1 penalty make the sparse model's code sparse?"""

import numpy as np
import torch
from matplotlib.ticker import FuncFormatter
from _style import CONFIG_COLOURS, CONFIG_LABELS, encode, figure, panel_label

from autoencoders.measures import class_selectivity, live_units
from autoencoders.render import Rendered
from autoencoders.train import NEAR_ZERO_RELATIVE, near_zero

RUNS = ("vanilla-d32-s*", "sparse-d32-s*")
PAIR = ("vanilla-d32", "sparse-d32")
PROFILE_LIMIT = 1.5  # colour scale of (c), in units of each unit's standard deviation


def seed_bars(ax, values: dict, ylabel: str, scale: float = 1.0) -> None:
    """One bar per configuration at its mean over seeds, one dot per seed."""
    for i, name in enumerate(PAIR):
        v = np.asarray(values[name]) * scale
        ax.bar(i, v.mean(), width=0.6, color=CONFIG_COLOURS[name], alpha=0.45)
        ax.plot(np.full(len(v), i), v, "o", ms=3.5, color=CONFIG_COLOURS[name], mec="black", mew=0.5)
    ax.set_xticks(range(len(PAIR)), [CONFIG_LABELS[n].split(",")[0] for n in PAIR])
    ax.set_ylabel(ylabel)
    ax.set_xlim(-0.6, len(PAIR) - 0.4)


def relative_magnitude(z: np.ndarray) -> np.ndarray:
    """|z| of every entry over its own unit's 99th percentile of |z|: the scale that train.near_zero judges by."""
    scale = np.quantile(np.abs(z), 0.99, axis=0)
    return np.abs(z) / np.where(scale > 0, scale, 1.0)


def render(ctx) -> Rendered:
    labels = ctx.test_labels.numpy()
    digits = [d for d in range(10) if (labels == d).any()]
    seed = ctx.seeds[0]  # panels (a) and (c) draw the lowest seed; (b) every seed
    z = {name: encode(ctx.first(name).model, ctx.test_images) for name in PAIR}
    stats = {name: [r.metrics["latent"] for r in ctx.runs_matching(f"{name}-s*")] for name in PAIR}
    collect = lambda key: {name: [s[key] for s in stats[name]] for name in PAIR}
    share, scale = collect("near_zero_fraction"), collect("abs_mean")
    seeds = len(stats[PAIR[0]])

    fig = figure(ctx, height=6.6, phone_height=8.6)
    if ctx.phone:  # the histogram on a row of its own, the two bar panels under it
        top, middle, bottom = fig.subfigures(3, 1, height_ratios=[2.6, 2.2, 3.8])
        hist = top.subplots()
        bars_zero, bars_scale = middle.subplots(1, 2)
    else:
        top, bottom = fig.subfigures(2, 1, height_ratios=[2.7, 3.9])
        hist, bars_zero, bars_scale = top.subplots(1, 3, width_ratios=[2.6, 1, 1])

    # (a) Every entry's |z| relative to its own unit's large values, one seed, on a log axis: one threshold for all.
    relative = {name: relative_magnitude(z[name]).ravel() for name in PAIR}
    positive = np.concatenate([v[v > 0] for v in relative.values()])
    bins = np.logspace(np.log10(max(np.percentile(positive, 0.1), 1e-6)), np.log10(positive.max()), 60)
    tallest = 0.0
    for name in PAIR:
        weights = np.full(relative[name].size, 1 / relative[name].size)
        counts, _, _ = hist.hist(relative[name], bins=bins, weights=weights, histtype="stepfilled", alpha=0.35,
                                 color=CONFIG_COLOURS[name])
        hist.hist(relative[name], bins=bins, weights=weights, histtype="step", color=CONFIG_COLOURS[name], lw=1.2,
                  label=CONFIG_LABELS[name])
        tallest = max(tallest, counts.max())
    hist.axvline(NEAR_ZERO_RELATIVE, color="#555555", ls="--", lw=1, label="near-zero threshold")
    hist.set_ylim(0, 1.5 * tallest)
    hist.set_xscale("log")
    hist.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 0.001, not a small 10 to the -3
    hist.set_xlabel("|z| ÷ its unit's 99th percentile of |z|")
    hist.set_ylabel("fraction of entries per bin")
    hist.legend(loc="upper left", frameon=False, ncols=2, fontsize=7.5)
    panel_label(hist, "a")

    # (b) Across seeds: how many entries are near zero, and how large the code is overall.
    seed_bars(bars_zero, share, "near-zero entries (%)", 100)
    seed_bars(bars_scale, scale, "mean |z|")
    panel_label(bars_zero, "b")

    # (c) Each unit's mean per digit class, centred and in units of its own standard deviation; units sorted
    # by how much of their variance the class explains (the selectivity of the claims).
    heat_axes = bottom.subplots(1, 2, sharey=True)
    selectivity = {n: class_selectivity(z[n], labels) for n in PAIR}
    for ax, name in zip(heat_axes, PAIR):
        used = z[name][:, live_units(z[name])]
        standard = (used - used.mean(0)) / used.std(0)
        profile = np.stack([standard[labels == d].mean(0) for d in digits])
        order = np.argsort(-selectivity[name], kind="stable")
        image = ax.imshow(profile[:, order].T, aspect="auto", cmap="PuOr_r", vmin=-PROFILE_LIMIT, vmax=PROFILE_LIMIT,
                          interpolation="nearest")
        ax.set_xticks(range(len(digits)), [str(d) for d in digits])
        ax.set_xlabel("digit class")
        ax.set_title(CONFIG_LABELS[name], fontsize=9)
    heat_axes[0].set_ylabel("code unit (most class-specific first)")
    panel_label(heat_axes[0], "c")
    scale_label = "unit's class mean, in standard deviations" if ctx.phone else \
        "class mean of the unit, in its standard deviations"
    bottom.colorbar(image, ax=heat_axes, label=scale_label, shrink=0.9,
                    extend="both", **({"location": "bottom", "aspect": 30} if ctx.phone else {}))

    mean = lambda d, n: float(np.mean(d[n]))
    near = {n: float(near_zero(torch.as_tensor(z[n])).double().mean()) for n in PAIR}  # the seed drawn
    v, s = PAIR
    numbers = {
        **{f"fig.sparsity.near_zero.{n}": f"{100 * mean(share, n):.1f}%" for n in PAIR},
        **{f"fig.sparsity.abs_mean.{n}": f"{mean(scale, n):.2f}" for n in PAIR},
        **{f"fig.sparsity.selectivity.{n}": f"{selectivity[n].mean():.2f}" for n in PAIR},
        "fig.sparsity.threshold": f"{NEAR_ZERO_RELATIVE:g}",
        "fig.sparsity.threshold_pct": f"{100 * NEAR_ZERO_RELATIVE:g}%",
        "fig.sparsity.seed": str(seed),
    }
    median = {n: float(np.median(relative[n])) for n in PAIR}
    alt = (f"Three panels comparing the codes of the vanilla and the sparse autoencoder (d = 32). (a) Histograms "
           f"of every code entry's size relative to its unit's 99th percentile, on a logarithmic axis, with the "
           f"near-zero threshold at {NEAR_ZERO_RELATIVE:g}; medians {median[v]:.2f} (vanilla) and {median[s]:.2f} "
           f"(sparse), and {100 * near[v]:.0f}% and {100 * near[s]:.0f}% of entries below the threshold in the seed "
           f"drawn. (b) Bars over {seeds} seeds: near-zero entries are {100 * mean(share, v):.0f}% of the vanilla "
           f"code and {100 * mean(share, s):.0f}% of the sparse one, while the mean absolute value drops from "
           f"{mean(scale, v):.2f} to {mean(scale, s):.2f}. (c) Two heatmaps of each unit's mean per digit class, "
           f"standardised; the digit class explains on average {selectivity[v].mean():.2f} of a unit's variance in "
           f"the vanilla code and {selectivity[s].mean():.2f} in the sparse one.")
    caption = (f"Codes of the {ctx.test_size:,} test images, vanilla and sparse model (d = 32): (a) each entry's |z| "
               f"over its unit's 99th percentile (seed {seed}), dashed at the near-zero threshold; (b) near-zero "
               f"entries and the code's scale, means over {seeds} seeds, dots single seeds; (c) each unit's class "
               f"means in its standard deviations (seed {seed}), most class-specific units first.")
    return Rendered(fig, alt, caption, numbers)
