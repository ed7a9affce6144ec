"""Where the vanilla d=2 model puts each of the 10,000 test digits."""

import numpy as np
from _style import DIGIT_COLOURS, encode, figure, panel_label, text_colour, training_set

from autoencoders.measures import NEIGHBOURS, class_geometry, knn_accuracy_by_class
from autoencoders.render import Rendered

RUNS = ("vanilla-d2-s*",)
BINS = 120  # density grid per axis
BACKDROP = (0.99, 0.95, 0.8, 0.5)  # shares of all codes that the grey regions behind the classes enclose
BACKDROP_GREYS = ("#f5f5f5", "#ebebeb", "#dfdfdf", "#d0d0d0")
CORE = 0.6  # each class's contour encloses this share of its codes
OWN_REGION = 0.9  # a class "holds its own region" when k-NN on the training codes reads this share of its test codes


def push_apart(points: np.ndarray, gap: float, rounds: int = 100) -> np.ndarray:
    """Label positions near `points` but about `gap` apart at least (in equal-aspect data units)."""
    at = points.astype(float).copy()
    for _ in range(rounds):
        offset = at[:, None] - at[None]
        distance = np.linalg.norm(offset, axis=-1) + np.eye(len(at))
        push = np.clip(gap - distance, 0, None) / distance / 2  # each of a close pair moves half the overlap
        np.fill_diagonal(push, 0)
        if not push.any():
            break
        at += (push[..., None] * offset).sum(1)
    return at


def density(points: np.ndarray, extent, bins: int = BINS, blur: float = 2.5) -> np.ndarray:
    """A smoothed 2-D histogram of `points` over `extent` (x0, x1, y0, y1), rows along y, summing to 1."""
    counts, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=bins, range=[extent[2:], extent[:2]])
    offsets = np.arange(-3 * int(np.ceil(blur)), 3 * int(np.ceil(blur)) + 1)
    kernel = np.exp(-0.5 * (offsets / blur) ** 2)
    kernel /= kernel.sum()
    smooth = np.apply_along_axis(np.convolve, 0, counts, kernel, mode="same")
    smooth = np.apply_along_axis(np.convolve, 1, smooth, kernel, mode="same")
    return smooth / max(smooth.sum(), 1e-12)


def mass_level(grid: np.ndarray, share: float) -> float:
    """The density above which `share` of the grid's mass lies: the contour around a class's core."""
    values = np.sort(grid.ravel())[::-1]
    return float(values[min(np.searchsorted(np.cumsum(values), share), len(values) - 1)])


def backdrop(ax, xs, ys, grid) -> None:
    """Where all codes lie, as a few flat greys: the regions holding 50%, 80%, 95% and 99% of them."""
    levels = [mass_level(grid, share) for share in BACKDROP]
    ax.contourf(xs, ys, grid, levels=[*levels, grid.max() + 1], colors=BACKDROP_GREYS)
    ax.set_aspect("equal")


def render(ctx) -> Rendered:
    run = ctx.first("vanilla-d2")
    z, labels = encode(run.model, ctx.test_images), ctx.test_labels.numpy()
    geometry = class_geometry(z, labels)
    digits, centroids = geometry.digits, geometry.centroids
    seed = run.config.seed

    low, high = np.percentile(z, [0.2, 99.8], axis=0)
    pad = 0.04 * (high - low)
    extent = (low[0] - pad[0], high[0] + pad[0], low[1] - pad[1], high[1] + pad[1])
    everyone = density(z, extent)
    xs = np.linspace(extent[0], extent[1], BINS)
    ys = np.linspace(extent[2], extent[3], BINS)

    fig = figure(ctx, height=7.6, phone_height=5.1)
    top, bottom = fig.subfigures(2, 1, height_ratios=[3.3, 1.8] if ctx.phone else [4.9, 2.7])
    # (a) Every class as the contour around its densest CORE of codes, over the grey density of all codes.
    ax = top.add_subplot()
    backdrop(ax, xs, ys, everyone)
    for digit in digits:
        grid = density(z[labels == digit], extent)
        ax.contour(xs, ys, grid, levels=[mass_level(grid, CORE)], colors=[DIGIT_COLOURS[digit]], linewidths=2.2)
    ax.set_xlim(extent[:2])
    ax.set_ylim(extent[2:])
    # Label centres at least this share of the plane apart: more on a phone, where a label covers more of it.
    gap = 0.09 if ctx.phone else 0.065
    label_at = push_apart(centroids, gap * max(extent[1] - extent[0], extent[3] - extent[2]))
    for digit, centroid, at in zip(digits, centroids, label_at):
        moved = not np.allclose(centroid, at)
        if moved:  # a label pushed off its centroid points back to it; the dot marks the centroid itself
            ax.plot(*centroid, "o", ms=3, color="black")
        ax.annotate(str(digit), centroid, xytext=at, ha="center", va="center", fontsize=10 if ctx.phone else 12,
                    fontweight="bold",
                    color=text_colour(DIGIT_COLOURS[digit]),
                    bbox=dict(boxstyle="circle,pad=0.25", fc=DIGIT_COLOURS[digit], ec="black", lw=0.6),
                    arrowprops=dict(arrowstyle="-", color="black", lw=0.8, shrinkA=0, shrinkB=2) if moved else None)
    ax.set_xlabel("$z_1$", fontsize=11)
    ax.set_ylabel("$z_2$", fontsize=11)
    ax.tick_params(labelsize=9)
    panel_label(ax, "a")

    # (b) One small panel per class: its codes in its colour over the grey of all the others.
    cells = bottom.subplots(2, 5, sharex=True, sharey=True)
    for digit, small in zip(range(10), cells.ravel()):
        backdrop(small, xs, ys, everyone)
        mine = labels == digit
        small.scatter(z[mine, 0], z[mine, 1], s=1.5, color=DIGIT_COLOURS[digit], linewidths=0, rasterized=True)
        small.set_xlim(extent[:2])
        small.set_ylim(extent[2:])
        small.set_xticks([])
        small.set_yticks([])
        small.set_title(str(digit), fontsize=12, fontweight="bold", pad=2, color="black")
        for spine in small.spines.values():
            spine.set_visible(True)
            spine.set_color(DIGIT_COLOURS[digit])
            spine.set_linewidth(2)
    panel_label(cells[0, 0], "b")

    # Which classes sit closest? Distances between centroids, in units of the typical spread.
    closest = ", ".join(f"{a}–{b}" for a, b in geometry.pairs()[:3])
    far = geometry.isolation()[0]
    train_images, train_labels = training_set(ctx, run)
    share = knn_accuracy_by_class(encode(run.model, train_images), train_labels, z, labels)
    own = [d for d, v in share.items() if v >= OWN_REGION]
    shared = [d for d, v in share.items() if v < OWN_REGION]

    n = len(z)
    alt = (f"Two panels of the codes of {n:,} MNIST test digits under the vanilla autoencoder with a "
           f"two-dimensional bottleneck. (a) One coloured contour per digit class around its densest codes, with "
           f"each class's centroid labelled, over grey regions where the codes of all classes lie. (b) Ten small "
           f"copies of the plane, one per digit, each showing only that digit's codes as dots. "
           f"Classes form overlapping clusters; the closest centroid pairs are {closest}, and digit {far} "
           f"lies farthest from its nearest neighbour.")
    caption = (f"(a) The 2-D code of the vanilla autoencoder (seed {seed}) for all {n:,} test images: each coloured "
               f"contour encloses the densest {100 * CORE:.0f}% of one digit's codes, circled numbers mark the class "
               f"centroids, and the greys show where all codes lie. (b) Each digit's codes on their own, over the "
               f"same greys.")
    numbers = {"fig.latent_map.closest_pairs": closest, "fig.latent_map.most_isolated": str(far),
               "fig.latent_map.seed": str(seed),
               "fig.latent_map.core_share": f"{100 * CORE:.0f}%",
               "fig.latent_map.backdrop_shares": ", ".join(f"{100 * v:.0f}%" for v in sorted(BACKDROP)),
               "fig.latent_map.own_region_share": f"{100 * OWN_REGION:.0f}%",
               "fig.latent_map.neighbours": str(NEIGHBOURS),
               "fig.latent_map.own_region_classes": ", ".join(map(str, own)) or "none",
               "fig.latent_map.shared_region_classes": ", ".join(map(str, shared)) or "none"}
    return Rendered(fig, alt, caption, numbers)
