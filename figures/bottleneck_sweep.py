"""Error against bottleneck width for the vanilla model, against PCA on the same images and a linear
autoencoder trained by the same loop; and how close that linear autoencoder comes to PCA's subspace."""

import numpy as np
from _style import CONFIG_COLOURS, REFERENCE_COLOUR, beside, figure, log_ticks, panel_label, seed_band

from autoencoders.data import training_subset
from autoencoders.experiments import PUBLISHED_FINAL_LOSS, SWEEP_DIMS
from autoencoders.measures import pca_test_mse, principal_components, principal_cosines
from autoencoders.results import fmt
from autoencoders.render import Rendered

RUNS = tuple(f"vanilla-d{d}-s*" for d in SWEEP_DIMS) + tuple(f"linear-d{d}-s*" for d in SWEEP_DIMS)
COLOUR = CONFIG_COLOURS["vanilla-d32"]
LINEAR_COLOUR = "#882255"  # wine (Tol): not one of the five's colours


def render(ctx) -> Rendered:
    # Rows: seeds; columns: widths. PCA is fitted on each seed's own training images.
    shared = ctx.common_seeds(*(f"{kind}-d{d}" for kind in ("vanilla", "linear") for d in SWEEP_DIMS))
    runs = [[ctx.run(f"vanilla-d{d}-s{seed}") for d in SWEEP_DIMS] for seed in shared]
    linear = [[ctx.run(f"linear-d{d}-s{seed}") for d in SWEEP_DIMS] for seed in shared]
    config = runs[0][0].config
    test = ctx.test_images.reshape(ctx.test_size, -1).double().numpy()
    dims = np.array(SWEEP_DIMS)
    train = {seed: training_subset(ctx.data, config.train_size, seed).reshape(config.train_size, -1).double().numpy()
             for seed in shared}
    pca_seeds = np.array([pca_test_mse(train[seed], test, int(dims.max())) for seed in shared])
    directions = {seed: principal_components(train[seed], int(dims.max()))[1] for seed in shared}
    # (c) The principal angles between each linear decoder's column space and PCA's subspace of its width.
    cosines = [[principal_cosines(r.model.decoder[0].weight.detach().double().numpy(),
                                  directions[seed][:, :r.config.latent_dim]) ** 2 for r in row]
               for seed, row in zip(shared, linear)]
    overlap = np.array([[c.mean() for c in row] for row in cosines])
    typical = np.array([[np.median(c) for c in row] for row in cosines])
    linear_seeds = np.array([[r.metrics["test_mse"] for r in row] for row in linear])
    ae_seeds = np.array([[r.metrics["test_mse"] for r in row] for row in runs])
    loss_seeds = np.array([[r.metrics["final_loss"] for r in row] for row in runs])
    pca, ae, loss = pca_seeds.mean(0), ae_seeds.mean(0), loss_seeds.mean(0)
    seeds = len(shared)
    published = {int(name.split("-d")[1]): v for name, v in PUBLISHED_FINAL_LOSS.items() if name.startswith("vanilla")}

    # On a phone the four panels one above the other, and (a)'s legend under it rather than over its curves.
    fig = figure(ctx, height=6.4, phone_height=11.2)
    top, bottom = fig.subfigures(2, 1, height_ratios=[6.4, 4.8] if ctx.phone else [3.6, 2.8])
    ax, ratio_ax = beside(ctx, top, 2, widths=[1.5, 1], heights=[1.45, 1])
    every = np.arange(1, len(pca) + 1)
    seed_band(ax, every, pca_seeds, REFERENCE_COLOUR, "PCA, test MSE (any d)", lw=1.2)
    ax.plot(dims, pca[dims - 1], "s", color=REFERENCE_COLOUR, ms=4)
    linear_mean = seed_band(ax, dims, linear_seeds, LINEAR_COLOUR, "linear autoencoder, test MSE", marker="^",
                            lw=1.2, ms=4)
    seed_band(ax, dims, ae_seeds, COLOUR, "autoencoder, test MSE", marker="o", lw=1.6)
    seed_band(ax, dims, loss_seeds, COLOUR, "autoencoder, final training loss", marker="o", mfc="white", ls="--",
              lw=1.2)
    ax.plot(list(published), list(published.values()), "D", ms=6, color="white", mec="black", mew=1,
            label="published final training loss")
    log_ticks(ax, "x", dims, base=2)
    log_ticks(ax, "y", [0.01, 0.02, 0.03, 0.05, 0.1])
    ax.set_xlim(1.6, dims.max() * 1.25)
    ax.set_xlabel("bottleneck width d")
    ax.set_ylabel("mean squared error per pixel")
    ax.legend(frameon=False, fontsize=7.5, **(dict(loc="upper center", bbox_to_anchor=(0.5, -0.2))
                                               if ctx.phone else dict(loc="lower left")))
    panel_label(ax, "a")

    # (b) What one more doubling of d buys: error at d divided by error at d/2. A knee would show as a jump to 1.
    pairs = dims[1:]
    ratio_ax.axhline(1, color="#999999", lw=0.8)
    seed_band(ratio_ax, pairs, ae_seeds[:, 1:] / ae_seeds[:, :-1], COLOUR, "autoencoder", marker="o", lw=1.6)
    seed_band(ratio_ax, pairs, pca_seeds[:, pairs - 1] / pca_seeds[:, pairs // 2 - 1], REFERENCE_COLOUR, "PCA",
              marker="s", lw=1.2)
    log_ticks(ratio_ax, "x", pairs, base=2)
    ratio_ax.set_xlim(pairs.min() / 1.3, pairs.max() * 1.3)
    ratio_ax.set_xlabel("bottleneck width d")
    ratio_ax.set_ylabel("test MSE at d ÷ test MSE at d/2")
    ratio_ax.legend(loc="lower left", frameon=False)
    panel_label(ratio_ax, "b")

    # (c) Baldi & Hornik's optimum is PCA's subspace: how much of it the linear decoder spans, width by width.
    sub_ax, gap_ax = beside(ctx, bottom, 2)
    sub_ax.axhline(1, color="#999999", lw=0.8)
    seed_band(sub_ax, dims, overlap, LINEAR_COLOUR, "mean over the principal angles", marker="^", lw=1.6)
    seed_band(sub_ax, dims, typical, LINEAR_COLOUR, "median over the principal angles", marker="v", lw=1.0, ls="--")
    log_ticks(sub_ax, "x", dims, base=2)
    sub_ax.set_ylim(0, 1.05)
    sub_ax.set_xlabel("bottleneck width d")
    sub_ax.set_ylabel("cos² of principal angles")
    sub_ax.legend(loc="lower right", frameon=False)
    panel_label(sub_ax, "c")
    # (d) What falls short of PCA: each model's test error over PCA's at the same width.
    gap_ax.axhline(1, color=REFERENCE_COLOUR, lw=1.0, label="PCA")
    seed_band(gap_ax, dims, ae_seeds / pca_seeds[:, dims - 1], COLOUR, "autoencoder", marker="o", lw=1.6)
    seed_band(gap_ax, dims, linear_seeds / pca_seeds[:, dims - 1], LINEAR_COLOUR, "linear autoencoder", marker="^",
              lw=1.2)
    log_ticks(gap_ax, "x", dims, base=2)
    gap_ax.set_xlabel("bottleneck width d")
    gap_ax.set_ylabel("test MSE ÷ PCA's at the same d")
    gap_ax.legend(loc="upper left", frameon=False)
    panel_label(gap_ax, "d")

    index = {d: i for i, d in enumerate(dims)}
    at = lambda d: (pca[d - 1], ae[index[d]])
    pca_better = [int(d) for d in dims if pca[d - 1] < ae[index[d]]]
    best = int(dims[np.argmin(ae)])
    numbers = {f"fig.bottleneck_sweep.{what}.d{d}": fmt(v) for d in (2, 32) if d in index
               for what, v in zip(("pca_mse", "ae_mse"), at(d))}
    numbers |= {f"fig.bottleneck_sweep.pca_over_ae.d{d}": f"{at(d)[0] / at(d)[1]:.2f}" for d in dims}
    numbers |= {
        "fig.bottleneck_sweep.ae_best_d": str(best),
        "fig.bottleneck_sweep.seeds": str(seeds),
        "fig.bottleneck_sweep.pca_better_from_d": str(pca_better[0]) if pca_better else "never",
        "fig.bottleneck_sweep.ae_last_doubling": f"{ae[-1] / ae[-2]:.2f}",
        "fig.bottleneck_sweep.pca_last_doubling": f"{pca[dims[-1] - 1] / pca[dims[-2] - 1]:.2f}",
        **{f"fig.bottleneck_sweep.linear_over_pca.d{d}": f"{linear_mean[index[d]] / pca[d - 1]:.2f}" for d in dims},
    }
    last = pca_better[-1] if pca_better else None
    crossing = (f"PCA is the better of the two at d = {', '.join(map(str, pca_better))} ("
                + (f"at d = {last}: " if len(pca_better) > 1 else "")
                + f"{fmt(pca[last - 1])} against {fmt(ae[index[last]])})" if pca_better
                else "PCA never catches up within the sweep")
    widths = " and ".join(map(str, sorted(published)))
    small = "beats" if ae[0] < pca[dims[0] - 1] else "trails"
    alt = (f"Four panels over bottleneck widths {', '.join(map(str, dims))}. (a) Test error of the vanilla "
           f"autoencoder, its final training loss, the published training losses at d = {widths}, and the test "
           f"error of PCA fitted to the same training images. The autoencoder {small} PCA at d = {dims[0]} "
           f"({fmt(ae[0])} against {fmt(pca[dims[0] - 1])}); {crossing}. (b) The factor by which each "
           f"doubling of d changes the test error; at the last doubling it is {ae[-1] / ae[-2]:.2f} for the "
           f"autoencoder and {pca[dims[-1] - 1] / pca[dims[-2] - 1]:.2f} for PCA. (c) For a linear autoencoder "
           f"trained the same way, the mean squared cosine of the principal angles between its decoder's columns "
           f"and PCA's subspace: {', '.join(f'{m:.2f} at d = {d}' for d, m in zip(dims, overlap.mean(0)))}; "
           f"the median squared cosine is {', '.join(f'{m:.2f}' for m in typical.mean(0))}. (d) Test error "
           f"over PCA's at the same width: the autoencoder's "
           f"{', '.join(f'{m:.2f}' for m in (ae_seeds / pca_seeds[:, dims - 1]).mean(0))}, the linear "
           f"autoencoder's {', '.join(f'{m:.2f}' for m in (linear_seeds / pca_seeds[:, dims - 1]).mean(0))}.")
    caption = (f"(a) Test MSE (solid) and final training loss (dashed; diamonds: published) of the vanilla "
               f"autoencoder, of PCA fitted to the same {config.train_size:,} training images, and of "
               f"a linear autoencoder trained by the same loop; (b) test MSE at d over that at d/2; (c) squared "
               f"cosines of the principal angles between the linear decoder and PCA's subspace; (d) test MSE over "
               f"PCA's. Means over {seeds} seeds; bands: seed range.")
    return Rendered(fig, alt, caption, numbers)
