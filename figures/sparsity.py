"""Does the L1 penalty make the sparse model's code sparse?"""

import numpy as np
from _style import CONFIG_COLOURS, CONFIG_LABELS, encode, figure, panel_label

from autoencoders.measures import selectivity as measured_selectivity
from autoencoders.render import Rendered
from autoencoders.train import NEAR_ZERO_RELATIVE

RUNS = ("vanilla-d32-s*", "sparse-d32-s*")
PAIR = ("vanilla-d32", "sparse-d32")


def seed_bars(ax, values: dict, ylabel: str, scale: float = 1.0) -> None:
    """One bar per configuration at its mean over seeds, one dot per seed."""
    for i, name in enumerate(PAIR):
        v = np.asarray(values[name]) * scale
        ax.bar(i, v.mean(), width=0.6, color=CONFIG_COLOURS[name], alpha=0.45)
        ax.plot(np.full(len(v), i), v, "o", ms=3.5, color=CONFIG_COLOURS[name], mec="black", mew=0.5)
    ax.set_xticks(range(len(PAIR)), [CONFIG_LABELS[n].split(",")[0] for n in PAIR])
    ax.set_ylabel(ylabel)
    ax.set_xlim(-0.6, len(PAIR) - 0.4)


def render(ctx) -> Rendered:
    labels = ctx.test_labels.numpy()
    digits = [d for d in range(10) if (labels == d).any()]
    seed = ctx.seeds[0]  # panels (a) and (c) draw the lowest seed; (b) every seed
    z = {name: np.abs(encode(ctx.first(name).model, ctx.test_images)) for name in PAIR}
    stats = {name: [r.metrics["latent"] for r in ctx.runs_matching(f"{name}-s*")] for name in PAIR}
    collect = lambda key: {name: [s[key] for s in stats[name]] for name in PAIR}
    near_zero, scale, p99 = collect("near_zero_fraction"), collect("abs_mean"), collect("abs_p99")
    reference = {name: ctx.first(name).metrics["latent"]["abs_p99"] for name in PAIR}  # the seed drawn
    seeds = len(stats[PAIR[0]])

    fig = figure(height=6.6)
    top, bottom = fig.subfigures(2, 1, height_ratios=[2.7, 3.9])
    hist, bars_zero, bars_scale = top.subplots(1, 3, width_ratios=[2.6, 1, 1])

    # (a) |z| of every test image and unit, one seed, on a log axis: shape and scale at a glance.
    values = np.concatenate([v.ravel() for v in z.values()])
    bins = np.logspace(np.log10(max(np.percentile(values, 0.1), 1e-6)), np.log10(values.max()), 60)
    tallest = 0.0
    for name in PAIR:
        weights = np.full(z[name].size, 1 / z[name].size)
        counts, _, _ = hist.hist(z[name].ravel(), bins=bins, weights=weights, histtype="stepfilled", alpha=0.35,
                                 color=CONFIG_COLOURS[name])
        hist.hist(z[name].ravel(), bins=bins, weights=weights, histtype="step", color=CONFIG_COLOURS[name], lw=1.2,
                  label=CONFIG_LABELS[name])
        tallest = max(tallest, counts.max())
    for name in PAIR:
        hist.vlines(NEAR_ZERO_RELATIVE * reference[name], 0, 1.05 * tallest, color=CONFIG_COLOURS[name],
                    ls="--", lw=1)
    hist.plot([], [], ls="--", color="#555555", lw=1, label="near-zero threshold")
    hist.set_ylim(0, 1.5 * tallest)
    hist.set_xscale("log")
    hist.set_xlabel("|z| of one code unit for one test image")
    hist.set_ylabel("fraction of entries per bin")
    hist.legend(loc="upper left", frameon=False, ncols=2, fontsize=7.5)
    panel_label(hist, "a")

    # (b) Across seeds: how many entries are near zero, and how large the code is overall.
    seed_bars(bars_zero, near_zero, "near-zero entries (%)", 100)
    seed_bars(bars_scale, scale, "mean |z|")
    panel_label(bars_zero, "b")

    # (c) Mean |z| per unit and digit class, relative to the run's own 99th percentile of |z|.
    heat_axes = bottom.subplots(1, 2, sharey=True)
    profiles = {n: np.stack([z[n][labels == d].mean(0) for d in digits]) / reference[n] for n in PAIR}
    top_value = max(float(p.max()) for p in profiles.values())
    for ax, name in zip(heat_axes, PAIR):
        order = np.argsort(-profiles[name].mean(0), kind="stable")
        image = ax.imshow(profiles[name][:, order].T, aspect="auto", cmap="viridis", vmin=0, vmax=top_value,
                          interpolation="nearest")
        ax.set_xticks(range(len(digits)), [str(d) for d in digits])
        ax.set_xlabel("digit class")
        ax.set_title(CONFIG_LABELS[name], fontsize=9)
    heat_axes[0].set_ylabel("code unit (sorted by mean |z|)")
    panel_label(heat_axes[0], "c")
    bottom.colorbar(image, ax=heat_axes, label="mean |z| ÷ the run's 99th percentile of |z|", shrink=0.9)

    # Numbers: sparsity (near-zero share), scale, and how class-specific the units are.
    mean = lambda d, n: float(np.mean(d[n]))
    selectivity = {n: measured_selectivity(z[n], labels) for n in PAIR}
    quiet = {n: int((z[n].mean(0) < NEAR_ZERO_RELATIVE * reference[n]).sum()) for n in PAIR}
    v, s = PAIR
    shrink = mean(scale, s) / mean(scale, v)
    numbers = {
        **{f"fig.sparsity.near_zero.{n}": f"{100 * mean(near_zero, n):.1f}%" for n in PAIR},
        **{f"fig.sparsity.abs_mean.{n}": f"{mean(scale, n):.2f}" for n in PAIR},
        **{f"fig.sparsity.abs_p99.{n}": f"{mean(p99, n):.2f}" for n in PAIR},
        **{f"fig.sparsity.selectivity.{n}": f"{selectivity[n]:.2f}" for n in PAIR},
        **{f"fig.sparsity.quiet_units.{n}": f"{quiet[n]} of {z[n].shape[1]}" for n in PAIR},
        "fig.sparsity.scale_ratio": f"{shrink:.2f}",
        "fig.sparsity.threshold": f"{NEAR_ZERO_RELATIVE:g}",
    }
    median = {n: float(np.median(z[n])) for n in PAIR}
    used = "every unit is in use in both" if quiet[s] == quiet[v] == 0 else (
        f"units that stay near zero: {quiet[s]} (sparse), {quiet[v]} (vanilla)")
    alt = (f"Three panels comparing the codes of the vanilla and the sparse autoencoder (d = 32). (a) Histograms "
           f"of the absolute code values on a logarithmic axis; the sparse model's lies further left, median "
           f"{median[s]:.2f} against {median[v]:.2f}. (b) Bars over {seeds} seeds: near-zero entries are "
           f"{100 * mean(near_zero, v):.0f}% of the vanilla code and {100 * mean(near_zero, s):.0f}% of the sparse "
           f"one, while the mean absolute value drops from {mean(scale, v):.2f} to {mean(scale, s):.2f}. "
           f"(c) Two heatmaps of mean absolute activation per code unit and digit class; {used}.")
    caption = (f"Codes of the {ctx.test_size:,} test images under the vanilla and the sparse model (d = 32): (a) the "
               f"distribution of |z| (seed {seed}), dashed lines at the near-zero threshold; (b) the share of "
               f"near-zero entries and the scale of the code, means over {seeds} seeds with single seeds as dots; "
               f"(c) mean |z| per unit and class (seed {seed}), relative to the run's 99th percentile.")
    return Rendered(fig, alt, caption, numbers)
