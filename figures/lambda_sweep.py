"""Testing the diagnosis of the L1 penalty: four decades of lambda, a top-k code, and the two fixes."""

import numpy as np
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, NullFormatter
from _style import CONFIG_COLOURS, beside, figure, log_ticks, panel_label

from autoencoders.experiments import LAMBDA_SWEEP, SPARSITY_WEIGHTS, TOPK, RunConfig
from autoencoders.render import Rendered
from autoencoders.train import NEAR_ZERO_RELATIVE

RUNS = ("sparse-d32-s*", "sparse-d32-lambda*-s*", "vanilla-d32-s*", "topk-d32-s*", "relu-d32-s*", "sparse-relu-d32-s*",
        "unit-norm-d32-s*", "sparse-unit-norm-d32-s*")
SWEEP_COLOUR = CONFIG_COLOURS["sparse-d32"]
VANILLA = "vanilla-d32"

# The bottom row: each fix beside the same model without its penalty (hollow bars), one colour per model.
FIXES = (
    ("vanilla-d32", "sparse-d32", "series'\ncode", CONFIG_COLOURS["sparse-d32"]),
    ("relu-d32", "sparse-relu-d32", "ReLU\ncode", "#56B4E9"),
    ("unit-norm-d32", "sparse-unit-norm-d32", "unit-norm\ndecoder", "#332288"),
)

# What each panel shows: a run's value, its axis label, and whether the axis is logarithmic.
PANELS = (
    ("test_mse", lambda r: r.metrics["test_mse"], "test MSE, clean input", False),
    ("scale", lambda r: r.metrics["latent"]["abs_mean"], "mean |z| (the code's scale)", True),
    ("near_zero", lambda r: 100 * r.metrics["latent"]["near_zero_fraction"], "near-zero entries (%)", False),
)


def fix_bars(ax, per_seed, key: str, value, ylabel: str) -> dict:
    """(d), (f): per fix, the unpenalised model (hollow) and the penalised one (filled), means with seed dots;
    the near-zero panel hatches the part that units dead on every test image account for."""
    means = {}
    for group, (control, penalised, _, colour) in enumerate(FIXES):
        for offset, name, filled in ((-0.2, control, False), (0.2, penalised, True)):
            values = per_seed(name, value)
            x = group + offset
            ax.bar(x, values.mean(), width=0.36, color=colour if filled else "white", edgecolor=colour, lw=1.2,
                   alpha=0.75 if filled else 1.0)
            if key == "near_zero":
                dead = per_seed(name, lambda r: 100 * r.metrics["latent"]["dead_units"] / r.config.latent_dim)
                ax.bar(x, dead.mean(), width=0.36, color="none", edgecolor="black", hatch="////", lw=0)
            ax.plot(np.full(len(values), x), values, "o", ms=2.5, color="black", alpha=0.7, mew=0)
            means[name] = float(values.mean())
    ax.set_xticks(range(len(FIXES)), [label for _, _, label, _ in FIXES], fontsize=7.5)
    ax.set_ylabel(ylabel)
    return means


def shrink_bars(ax, per_seed) -> dict:
    """(e): per fix, the code's scale with the penalty over its scale without, per seed (paired by seed)."""
    scale = lambda r: r.metrics["latent"]["abs_mean"]
    ratios = {}
    for group, (control, penalised, _, colour) in enumerate(FIXES):
        values = per_seed(penalised, scale) / per_seed(control, scale)
        ax.bar(group, values.mean(), width=0.5, color=colour, alpha=0.75, edgecolor=colour, lw=1.2)
        ax.plot(np.full(len(values), group), values, "o", ms=2.5, color="black", alpha=0.7, mew=0)
        ratios[penalised] = float(values.mean())
    ax.axhline(1, color="#999999", lw=0.8)
    ax.set_xticks(range(len(FIXES)), [label for _, _, label, _ in FIXES], fontsize=7.5)
    ax.set_ylabel("mean |z| with the penalty\n÷ mean |z| without")
    return ratios


def render(ctx) -> Rendered:
    # Every model at the seeds the whole sweep shares (the series' λ, and vanilla, have more).
    shared = ctx.common_seeds(*(c.name for c in LAMBDA_SWEEP))
    per_seed = lambda name, value: np.array([value(r) for r in ctx.runs_matching(f"{name}-s*")
                                             if r.config.seed in shared])
    seeds = len(shared)
    # On a phone, each row of three panels becomes a column of three.
    fig = figure(ctx, height=5.9, phone_height=10.4)
    top, bottom = fig.subfigures(2, 1, height_ratios=[5.4, 5.0] if ctx.phone else [3.1, 2.8])
    axes = beside(ctx, top, len(PANELS), sharex=True)
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
            ax.yaxis.set_minor_formatter(NullFormatter())
        elif key == "near_zero":
            ax.set_ylim(0, 100)
        ax.set_xlabel("λ" if ax is axes[-1] or not ctx.phone else "")
        ax.set_ylabel(ylabel)
        panel_label(ax, letter, ctx)
    handles, labels = axes[0].get_legend_handles_labels()
    top.legend(handles, labels, loc="outside lower center", ncols=2 if ctx.phone else 3, frameon=False)

    fixed = {}
    for letter, ax, (key, value, ylabel, _) in zip("def", beside(ctx, bottom, len(PANELS), sharex=True), PANELS):
        fixed[key] = shrink_bars(ax, per_seed) if key == "scale" else fix_bars(ax, per_seed, key, value, ylabel)
        if key == "near_zero":
            ax.set_ylim(0, 100)
        panel_label(ax, letter, ctx)
    bottom.legend([Patch(facecolor="white", edgecolor="black"), Patch(facecolor="#777777", edgecolor="black"),
                   Patch(facecolor="white", edgecolor="black", hatch="////")],
                  ["without the penalty", f"with it (λ = {RunConfig.sparsity_weight:g})", "units never active"],
                  loc="outside lower center", ncols=2 if ctx.phone else 3, frameon=False)

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
        **{f"fig.lambda_sweep.fix.{key}.{name}": (f"{m:.0f}%" if key == "near_zero" else f"{m:.3g}")
           for key, found in fixed.items() for name, m in found.items()},
    }
    fix_text = "; ".join(f"{label.replace(chr(10), ' ')}: near-zero {fixed['near_zero'][c]:.0f}% without the "
                         f"penalty and {fixed['near_zero'][p]:.0f}% with it, the code's scale "
                         f"{fixed['scale'][p]:.2f} times as large with it" for c, p, label, _ in FIXES)
    alt = (f"Six panels. Top row, against the L1 weight λ from {low:g} to {high:g} on a logarithmic axis, means over "
           f"{seeds} seeds with single seeds as dots; horizontal lines mark the vanilla model and the top-k model "
           f"with {TOPK.active_units} of 32 units active. (a) Clean test MSE: "
           f"{means[('test_mse', low)]:.4f} at λ = {low:g}, {means[('test_mse', high)]:.4f} at λ = {high:g}; "
           f"vanilla {means[('test_mse', VANILLA)]:.4f}, top-k {means[('test_mse', TOPK.name)]:.4f}. "
           f"(b) Mean |z|: it falls {fall:.0f}-fold across the sweep. (c) Near-zero entries: "
           f"{means[('near_zero', low)]:.0f}% at λ = {low:g}, {means[('near_zero', high)]:.0f}% at λ = {high:g}; "
           f"vanilla {means[('near_zero', VANILLA)]:.0f}%, top-k {means[('near_zero', TOPK.name)]:.0f}%. "
           f"Bottom row, bars for three models, each without and with the penalty at λ = "
           f"{RunConfig.sparsity_weight:g}: (d) clean test MSE, (e) the code's scale with the penalty over without, "
           f"(f) near-zero entries; {fix_text}.")
    caption = (f"(a)–(c) The sparse model (d = 32) over four decades of λ, beside the vanilla model and a top-k code "
               f"({TOPK.active_units} of 32 units active). (d)–(f) A ReLU code and a unit-norm decoder, each without "
               f"(hollow) and with (filled) the penalty at λ = {RunConfig.sparsity_weight:g}; hatched: units never "
               f"active. Means over {seeds} seeds, dots single seeds. Near zero: |z| at most "
               f"{NEAR_ZERO_RELATIVE:g} × its unit's 99th percentile.")
    return Rendered(fig, alt, caption, numbers)
