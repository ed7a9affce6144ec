"""Testing the diagnosis of the L1 penalty, over four decades of lambda and with a top-k code."""

import numpy as np
from matplotlib.ticker import FuncFormatter
from _style import CONFIG_COLOURS, figure, log_ticks, panel_label

from autoencoders.experiments import LAMBDA_SWEEP, SPARSITY_WEIGHTS, TOPK
from autoencoders.render import Rendered
from autoencoders.train import NEAR_ZERO_RELATIVE

RUNS = ("sparse-d32-s*", "sparse-d32-lambda*-s*", "vanilla-d32-s*", "topk-d32-s*")
SWEEP_COLOUR = CONFIG_COLOURS["sparse-d32"]
VANILLA = "vanilla-d32"

# What each panel shows: a run's value, its axis label, and whether the axis is logarithmic.
PANELS = (
    ("test_mse", lambda r: r.metrics["test_mse"], "test MSE, clean input", False),
    ("scale", lambda r: r.metrics["latent"]["abs_mean"], "mean |z| (the code's scale)", True),
    ("near_zero", lambda r: 100 * r.metrics["latent"]["near_zero_fraction"], "near-zero entries (%)", False),
)


def render(ctx) -> Rendered:
    per_seed = lambda name, value: np.array([value(r) for r in ctx.runs_matching(f"{name}-s*")])
    seeds = len(ctx.seeds)
    fig = figure(height=2.9)
    axes = fig.subplots(1, len(PANELS))
    means = {}
    for letter, ax, (key, value, ylabel, logarithmic) in zip("abc", axes, PANELS):
        sweep = np.stack([per_seed(c.name, value) for c in LAMBDA_SWEEP])  # (lambdas, seeds)
        for i, weight in enumerate(SPARSITY_WEIGHTS):
            ax.plot(np.full(sweep.shape[1], weight), sweep[i], "o", ms=3, color=SWEEP_COLOUR, alpha=0.6, mew=0)
        ax.plot(SPARSITY_WEIGHTS, sweep.mean(1), "-o", ms=4, color=SWEEP_COLOUR, label="sparse, L1 weight λ")
        references = {VANILLA: (per_seed(VANILLA, value), CONFIG_COLOURS[VANILLA], "--", "vanilla (no penalty)"),
                      TOPK.name: (per_seed(TOPK.name, value), CONFIG_COLOURS[TOPK.name], ":", f"top-k, k = {TOPK.active_units}")}
        for name, (values, colour, style, label) in references.items():
            ax.axhline(values.mean(), color=colour, ls=style, lw=1.4, label=label)
            means[(key, name)] = float(values.mean())
        means.update({(key, w): float(m) for w, m in zip(SPARSITY_WEIGHTS, sweep.mean(1))})
        log_ticks(ax, "x", SPARSITY_WEIGHTS)
        if logarithmic:
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 0.01, not 10^-2
        elif key == "near_zero":
            ax.set_ylim(0, 100)
        ax.set_xlabel("λ")
        ax.set_ylabel(ylabel)
        panel_label(ax, letter)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, frameon=False)

    low, high = SPARSITY_WEIGHTS[0], SPARSITY_WEIGHTS[-1]
    fall = means[("scale", low)] / means[("scale", high)]
    numbers = {
        "fig.lambda_sweep.scale_fall": f"{fall:.0f}",
        **{f"fig.lambda_sweep.near_zero.{w:g}": f"{means[('near_zero', w)]:.0f}%" for w in SPARSITY_WEIGHTS},
        **{f"fig.lambda_sweep.test_mse.{w:g}": f"{means[('test_mse', w)]:.4f}" for w in SPARSITY_WEIGHTS},
        **{f"fig.lambda_sweep.scale.{w:g}": f"{means[('scale', w)]:.3g}" for w in SPARSITY_WEIGHTS},
        "fig.lambda_sweep.near_zero.topk": f"{means[('near_zero', TOPK.name)]:.0f}%",
        "fig.lambda_sweep.near_zero.vanilla": f"{means[('near_zero', VANILLA)]:.0f}%",
        "fig.lambda_sweep.test_mse.topk": f"{means[('test_mse', TOPK.name)]:.4f}",
        "fig.lambda_sweep.test_mse.vanilla": f"{means[('test_mse', VANILLA)]:.4f}",
    }
    alt = (f"Three panels against the L1 weight λ from {low:g} to {high:g} on a logarithmic axis, means over "
           f"{seeds} seeds with single seeds as dots; horizontal lines mark the vanilla model and the top-k model "
           f"with {TOPK.active_units} of 32 units active. (a) Clean test MSE: "
           f"{means[('test_mse', low)]:.4f} at λ = {low:g}, {means[('test_mse', high)]:.4f} at λ = {high:g}; "
           f"vanilla {means[('test_mse', VANILLA)]:.4f}, top-k {means[('test_mse', TOPK.name)]:.4f}. "
           f"(b) Mean |z|: it falls {fall:.0f}-fold across the sweep. (c) Near-zero entries: "
           f"{means[('near_zero', low)]:.0f}% at λ = {low:g}, {means[('near_zero', high)]:.0f}% at λ = {high:g}; "
           f"vanilla {means[('near_zero', VANILLA)]:.0f}%, top-k {means[('near_zero', TOPK.name)]:.0f}%.")
    caption = (f"The sparse model (d = 32) over four decades of λ, beside the vanilla model and a top-k code with "
               f"{TOPK.active_units} of 32 units active; means over {seeds} seeds, dots single seeds. Near zero: "
               f"|z| below {NEAR_ZERO_RELATIVE:g} × the run's 99th percentile of |z|.")
    return Rendered(fig, alt, caption, numbers)
