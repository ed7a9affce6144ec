"""Test error against input noise for the vanilla and the denoising model (d = 32), with clipped noise
and with zero-mean noise, beside a denoiser trained on unclipped noise."""

import numpy as np
from _style import CONFIG_COLOURS, CONFIG_LABELS, REFERENCE_COLOUR, beside, figure, log_ticks, pixel_mse, seed_band

from autoencoders.measures import NOISE_LEVELS as SIGMAS
from autoencoders.measures import NOISE_SWEEP_IMAGES as IMAGES
from autoencoders.measures import noise_curve, noisy_test_images
from autoencoders.results import fmt
from autoencoders.render import Rendered

RUNS = ("vanilla-d32-s*", "denoising-d32-s*", "denoising-unclipped-d32-s*")
PAIR = ("vanilla-d32", "denoising-d32")
UNCLIPPED = "denoising-unclipped-d32"
MODELS = (*PAIR, UNCLIPPED)
LABELS = {**CONFIG_LABELS, UNCLIPPED: "Denoising, d = 32, trained unclipped"}
STYLES = {name: dict(marker="o", ms=4) for name in PAIR} | {UNCLIPPED: dict(marker="o", ms=4, mfc="white", ls="--")}
COLOURS = {**CONFIG_COLOURS, UNCLIPPED: CONFIG_COLOURS["denoising-d32"]}  # the same model, other training noise


def crossover(x: np.ndarray, a: np.ndarray, b: np.ndarray) -> float | None:
    """First x where curve b drops below curve a, by linear interpolation of their difference."""
    gap = b - a
    for i in np.flatnonzero((gap[:-1] > 0) & (gap[1:] <= 0)):
        return float(x[i] + (x[i + 1] - x[i]) * gap[i] / (gap[i] - gap[i + 1]))
    return None


def render(ctx) -> Rendered:
    count = min(IMAGES, ctx.test_size)
    clean = ctx.test_images[:count]
    fig = figure(ctx, height=3.9, phone_height=6.6)
    axes = beside(ctx, fig, 2, sharey=True)  # on a phone one above the other, each with its own y label
    training_sigma = ctx.first(PAIR[1]).config.noise_sigma
    shared = ctx.common_seeds(*MODELS)  # every model at the seeds they all have (the unclipped one has fewer)
    all_means = {}
    for ax, clip, letter in zip(axes, (True, False), "ab"):
        # One fixed noise pattern (the evaluation's), scaled by sigma; clipped to [0, 1] in (a), not in (b).
        curves = {name: np.array([noise_curve(r.model, ctx.test_images, SIGMAS, count, clip)
                                  for r in ctx.runs_matching(f"{name}-s*") if r.config.seed in shared])
                  for name in MODELS}
        # The noisy input itself, untouched.
        baseline = np.array([pixel_mse(noisy_test_images(ctx.test_images, float(s), clip)[:count], clean).mean()
                             for s in SIGMAS])
        means = {name: seed_band(ax, SIGMAS, curves[name], COLOURS[name], LABELS[name], **STYLES[name])
                 for name in MODELS}
        ax.plot(SIGMAS[1:], baseline[1:], ":", color=REFERENCE_COLOUR, lw=1.2, label="noisy input itself (no model)")
        ax.axvline(training_sigma, color="#999999", lw=0.8, ls="--")
        ax.text(training_sigma, 0.98, f" training noise\n σ = {training_sigma:g}", transform=ax.get_xaxis_transform(),
                va="top", ha="left", fontsize=7.5, color="#555555")
        log_ticks(ax, "y", [0.005, 0.01, 0.02, 0.05, 0.1, 0.2])
        ax.set_xlabel("input noise σ, " + ("clipped to [0, 1]" if clip else "zero-mean, not clipped"))
        ax.set_title(("(a) Gaussian noise, clipped" if clip else "(b) Gaussian noise, not clipped"), loc="left",
                     fontsize=9.5, fontweight="bold")
        all_means[clip] = (means, baseline)
    for ax in axes if ctx.phone else axes[:1]:
        ax.set_ylabel("test MSE against the clean image")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=1 if ctx.phone else 2, frameon=False)
    means, baseline = all_means[True]
    ax = axes[0]
    cross = crossover(SIGMAS, means[PAIR[0]], means[PAIR[1]])
    if cross is not None:
        level = np.interp(cross, SIGMAS, means[PAIR[0]])
        ax.plot(cross, level, "o", ms=9, mfc="none", mec="black", mew=1)
        # Down and to the right, under the curves: to the left it would run into the axis's tick labels.
        ax.annotate(f"crossover σ ≈ {cross:.2f}", (cross, level), xytext=(14, -44),
                    textcoords="offset points", ha="left", fontsize=8,
                    arrowprops=dict(arrowstyle="-", color="black", lw=0.7))
    unclipped = all_means[False][0][UNCLIPPED]

    v, d = (means[n] for n in PAIR)
    seeds = len(curves[PAIR[0]])
    at_training = int(np.argmin(np.abs(SIGMAS - training_sigma)))
    clean_cost = d[0] / v[0] - 1
    gain = 1 - d[at_training] / v[at_training]
    best = float(SIGMAS[np.argmin(d)])
    # From the smallest noise on, for how long does the vanilla model's output end further from the clean image
    # than the noisy input it was given?
    leading = int(np.cumprod(v[1:] > baseline[1:]).sum())
    worse_until = float(SIGMAS[leading]) if leading else None
    # Why clipping biases the noise: on a black pixel, clipped noise is max(0, e), of mean sigma / sqrt(2 pi).
    black = float((ctx.test_images == 0).double().mean())
    numbers = {
        "fig.noise_sweep.black_pixels": f"{100 * black:.0f}%",
        "fig.noise_sweep.clipped_noise_mean": f"{training_sigma / np.sqrt(2 * np.pi):.2f}",
        "fig.noise_sweep.unclipped_best_sigma": f"{float(SIGMAS[np.argmin(unclipped)]):g}",
        "fig.noise_sweep.crossover_sigma": f"{cross:.2f}" if cross is not None else "none",
        "fig.noise_sweep.clean_cost": f"{100 * clean_cost:+.0f}%",
        "fig.noise_sweep.gain_at_training_sigma": f"{100 * gain:.0f}%",
        "fig.noise_sweep.change_at_training_sigma": f"{-100 * gain:+.0f}%",
        "fig.noise_sweep.denoising_best_sigma": f"{best:g}",
        "fig.noise_sweep.images": f"{count:,}",
        "fig.noise_sweep.vanilla_worse_than_input_up_to": f"{worse_until:g}" if worse_until is not None else "none",
        **{f"fig.noise_sweep.mse_sigma0.{n}": fmt(means[n][0]) for n in PAIR},
        **{f"fig.noise_sweep.mse_sigma{SIGMAS[-1]:g}.{n}": fmt(means[n][-1]) for n in PAIR},
    }
    if cross is None:
        crossing = "the curves do not cross"
    elif (d[SIGMAS > cross] < v[SIGMAS > cross]).all():
        crossing = f"the denoiser is ahead from σ ≈ {cross:.2f} on"
    else:
        crossing = f"the denoiser first gets ahead at σ ≈ {cross:.2f}"
    at_noise = (f"at the training noise σ = {training_sigma:g} the denoiser's error is {abs(100 * gain):.0f}% "
                f"{'lower' if gain > 0 else 'higher'} than the vanilla model's")
    u_clipped = all_means[True][0][UNCLIPPED]
    alt = (f"Two line charts of test error (log scale) against input noise σ from 0 to {SIGMAS[-1]:g}, for the "
           f"vanilla and the denoising autoencoder (d = 32) and for a denoiser trained on unclipped noise, means over "
           f"{seeds} seeds with min–max bands, plus the error of the noisy input itself. (a) Noise clipped to "
           f"[0, 1]: on clean inputs the denoiser is {'worse' if clean_cost > 0 else 'better'} than the vanilla "
           f"model ({fmt(d[0])} against {fmt(v[0])}); {crossing}; {at_noise}. The denoiser trained unclipped scores "
           f"{fmt(u_clipped[0])} on clean inputs and {fmt(u_clipped[at_training])} at σ = {training_sigma:g}. "
           f"(b) Zero-mean noise, not clipped: the denoiser trained unclipped scores {fmt(unclipped[0])} on clean "
           f"inputs and {fmt(unclipped[at_training])} at σ = {training_sigma:g}; its error is lowest at "
           f"σ = {float(SIGMAS[np.argmin(unclipped)]):g}.")
    caption = (f"Test error of the d = 32 models when one fixed noise pattern, scaled by σ, is added to the first "
               f"{count:,} test images, (a) clipped to [0, 1] as in training, (b) not clipped; dashed, hollow: the "
               f"denoiser trained on unclipped noise. Means over {seeds} seeds, bands from the lowest to the highest "
               f"seed; dotted, the noisy input itself (from σ = {SIGMAS[1]:g}).")
    return Rendered(fig, alt, caption, numbers)
