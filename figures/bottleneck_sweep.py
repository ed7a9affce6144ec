"""Figure 7: error against bottleneck width for the vanilla model, with PCA on the same images as a baseline."""

import numpy as np
from _style import CONFIG_COLOURS, REFERENCE_COLOUR, figure, log_ticks, panel_label

from autoencoders.data import training_subset
from autoencoders.experiments import PUBLISHED_FINAL_LOSS, SWEEP_DIMS
from autoencoders.outputs import fmt
from autoencoders.render import Rendered

NUMBER = 7
RUNS = tuple(f"vanilla-d{d}-s0" for d in SWEEP_DIMS)
COLOUR = CONFIG_COLOURS["vanilla-d32"]


# --8<-- [start:pca]
def pca_test_mse(train: np.ndarray, test: np.ndarray, max_dim: int) -> np.ndarray:
    """Test MSE of PCA fitted on `train`, reconstructing with the top d components plus the mean, d = 1..max_dim.

    Closed form: the error left after projecting the centred test images onto the leading eigenvectors of the
    training covariance. No clipping to [0, 1].
    """
    mean = train.mean(0)
    centred = train - mean
    _, vectors = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
    components = vectors[:, ::-1][:, :max_dim]
    test = test - mean
    explained = np.cumsum(((test @ components) ** 2).sum(0))
    return ((test ** 2).sum() - explained) / test.size
# --8<-- [end:pca]


def render(ctx) -> Rendered:
    runs = {d: ctx.run(f"vanilla-d{d}-s0") for d in SWEEP_DIMS}
    config = runs[SWEEP_DIMS[0]].config
    train = training_subset(ctx.data, config.train_size, config.seed).reshape(config.train_size, -1)
    test = ctx.test_images.reshape(ctx.test_size, -1)
    dims = np.array(SWEEP_DIMS)
    pca = pca_test_mse(train.double().numpy(), test.double().numpy(), int(dims.max()))
    ae = np.array([runs[d].metrics["test_mse"] for d in dims])
    loss = np.array([runs[d].metrics["final_loss"] for d in dims])
    published = {int(name.split("-d")[1]): v for name, v in PUBLISHED_FINAL_LOSS.items() if name.startswith("vanilla")}

    fig = figure(height=3.6)
    ax, ratio_ax = fig.subplots(1, 2, width_ratios=[1.5, 1])
    every = np.arange(1, len(pca) + 1)
    ax.plot(every, pca, color=REFERENCE_COLOUR, lw=1.2, label="PCA, test MSE (any d)")
    ax.plot(dims, pca[dims - 1], "s", color=REFERENCE_COLOUR, ms=4)
    ax.plot(dims, ae, "o-", color=COLOUR, lw=1.6, label="autoencoder, test MSE")
    ax.plot(dims, loss, "o--", color=COLOUR, mfc="white", lw=1.2, label="autoencoder, final training loss")
    ax.plot(list(published), list(published.values()), "D", ms=6, color="white", mec="black", mew=1,
            label="published final training loss")
    log_ticks(ax, "x", dims, base=2)
    log_ticks(ax, "y", [0.01, 0.02, 0.03, 0.05])
    ax.set_xlim(1.6, dims.max() * 1.25)
    ax.set_xlabel("bottleneck width d")
    ax.set_ylabel("mean squared error per pixel")
    ax.legend(loc="lower left", frameon=False, fontsize=7.5)
    panel_label(ax, "a")

    # (b) What one more doubling of d buys: error at d divided by error at d/2. A knee would show as a jump to 1.
    pairs = dims[1:]
    ratio_ax.axhline(1, color="#999999", lw=0.8)
    ratio_ax.plot(pairs, ae[1:] / ae[:-1], "o-", color=COLOUR, lw=1.6, label="autoencoder")
    ratio_ax.plot(pairs, pca[pairs - 1] / pca[pairs // 2 - 1], "s-", color=REFERENCE_COLOUR, lw=1.2, label="PCA")
    log_ticks(ratio_ax, "x", pairs, base=2)
    ratio_ax.set_xlim(pairs.min() / 1.3, pairs.max() * 1.3)
    ratio_ax.set_xlabel("bottleneck width d")
    ratio_ax.set_ylabel("test MSE at d ÷ test MSE at d/2")
    ratio_ax.legend(loc="lower left", frameon=False)
    panel_label(ratio_ax, "b")

    index = {d: i for i, d in enumerate(dims)}
    at = lambda d: (pca[d - 1], ae[index[d]])
    pca_better = [int(d) for d in dims if pca[d - 1] < ae[index[d]]]
    best = int(dims[np.argmin(ae)])
    numbers = {f"fig.bottleneck_sweep.{what}.d{d}": fmt(v) for d in (2, 32) if d in index
               for what, v in zip(("pca_mse", "ae_mse"), at(d))}
    numbers |= {f"fig.bottleneck_sweep.pca_over_ae.d{d}": f"{at(d)[0] / at(d)[1]:.2f}" for d in dims}
    numbers |= {
        "fig.bottleneck_sweep.ae_best_d": str(best),
        "fig.bottleneck_sweep.pca_better_from_d": str(pca_better[0]) if pca_better else "never",
        "fig.bottleneck_sweep.ae_last_doubling": f"{ae[-1] / ae[-2]:.2f}",
        "fig.bottleneck_sweep.pca_last_doubling": f"{pca[dims[-1] - 1] / pca[dims[-2] - 1]:.2f}",
    }
    last = pca_better[-1] if pca_better else None
    crossing = (f"PCA is the better of the two at d = {', '.join(map(str, pca_better))} ("
                + (f"at d = {last}: " if len(pca_better) > 1 else "")
                + f"{fmt(pca[last - 1])} against {fmt(ae[index[last]])})" if pca_better
                else "PCA never catches up within the sweep")
    widths = " and ".join(map(str, sorted(published)))
    small = "beats" if ae[0] < pca[dims[0] - 1] else "trails"
    flattens = ae[-1] / ae[-2] > pca[dims[-1] - 1] / pca[dims[-2] - 1]
    alt = (f"Two log-scale panels over bottleneck widths {', '.join(map(str, dims))}. (a) Test error of the vanilla "
           f"autoencoder, its final training loss, the published training losses at d = {widths}, and the test "
           f"error of PCA fitted to the same training images. The autoencoder {small} PCA at d = {dims[0]} "
           f"({fmt(ae[0])} against {fmt(pca[dims[0] - 1])}); {crossing}. (b) The factor by which each "
           f"doubling of d changes the test error; at the last doubling it is {ae[-1] / ae[-2]:.2f} for the "
           f"autoencoder and {pca[dims[-1] - 1] / pca[dims[-2] - 1]:.2f} for PCA.")
    caption = (f"The vanilla autoencoder at each bottleneck width (seed 0), against PCA computed in closed form on "
               f"the same {config.train_size:,} training images and scored on the same {ctx.test_size:,} test "
               f"images (top-d components plus the mean, unclipped). (a) Test MSE (solid), final training loss "
               f"(dashed; diamonds: the published training losses at d = {widths}, not test errors). PCA's test MSE "
               f"over the autoencoder's: {numbers['fig.bottleneck_sweep.pca_over_ae.d2']} at d = 2, "
               f"{numbers['fig.bottleneck_sweep.pca_over_ae.d32']} at d = 32; {crossing}. At its optimum a linear "
               f"autoencoder spans the PCA subspace and reconstructs exactly like PCA"
               + (", so the gap at small d is what the nonlinearity buys" if small == "beats" else "")
               + f". (b) Test MSE "
               f"at d over test MSE at d/2. The autoencoder's error is lowest at d = {best}"
               + (f"; its last doubling changes the error by a factor {ae[-1] / ae[-2]:.2f}, PCA's by "
                  f"{pca[dims[-1] - 1] / pca[dims[-2] - 1]:.2f}. An autoencoder this size could approximate the "
                  f"linear projection, so where it falls behind PCA its bend marks what {config.epochs} epochs on "
                  f"{config.train_size:,} images can fit, not an intrinsic dimension of the digits."
                  if flattens and pca_better else "."))
    return Rendered(fig, alt, caption, numbers)
