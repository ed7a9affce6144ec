"""Figure 1: where the vanilla d=2 model puts each of the 10,000 test digits."""

import numpy as np
from _style import DIGIT_COLOURS, encode, figure, text_colour

from autoencoders.measures import class_geometry, own_region_share
from autoencoders.render import Rendered

NUMBER = 1
RUNS = ("vanilla-d2-s*",)
OWN_REGION = 0.9  # a class "holds its own region" when this share of its codes have mostly its own neighbours


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


def render(ctx) -> Rendered:
    run = ctx.first("vanilla-d2")
    z, labels = encode(run.model, ctx.test_images), ctx.test_labels.numpy()
    geometry = class_geometry(z, labels)
    digits, centroids = geometry.digits, geometry.centroids

    fig = figure(height=5.6)
    ax = fig.add_subplot()
    order = np.random.default_rng(0).permutation(len(z))  # no class is painted last over all others
    colours = np.array(DIGIT_COLOURS)[labels[order]]
    ax.scatter(z[order, 0], z[order, 1], c=colours, s=2.5, alpha=0.6, linewidths=0, rasterized=True)
    ax.set_aspect("equal")
    ax.autoscale_view()
    label_at = push_apart(centroids, 0.065 * max(np.ptp(ax.get_xlim()), np.ptp(ax.get_ylim())))
    for digit, centroid, at in zip(digits, centroids, label_at):
        moved = not np.allclose(centroid, at)
        if moved:  # a label pushed off its centroid points back to it; the dot marks the centroid itself
            ax.plot(*centroid, "o", ms=3, color="black")
        ax.annotate(str(digit), centroid, xytext=at, ha="center", va="center", fontsize=11, fontweight="bold",
                    color=text_colour(DIGIT_COLOURS[digit]),
                    bbox=dict(boxstyle="circle,pad=0.25", fc=DIGIT_COLOURS[digit], ec="black", lw=0.6),
                    arrowprops=dict(arrowstyle="-", color="black", lw=0.8, shrinkA=0, shrinkB=2) if moved else None)
    handles = [ax.scatter([], [], c=DIGIT_COLOURS[d], s=20, label=str(d)) for d in range(10)]
    ax.legend(handles=handles, title="digit", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")

    # Which classes sit closest? Distances between centroids, in units of the typical spread.
    closest = ", ".join(f"{a}–{b}" for a, b in geometry.pairs()[:3])
    far = geometry.isolation()[0]
    share = own_region_share(z, labels)
    own = [d for d, v in share.items() if v >= OWN_REGION]
    shared = [d for d, v in share.items() if v < OWN_REGION]
    seed = run.config.seed

    n = len(z)
    alt = (f"Scatter plot of {n:,} MNIST test digits encoded by the vanilla autoencoder with a two-dimensional "
           f"bottleneck, one dot per image coloured by its true digit, with each class's centroid labelled. "
           f"Classes form overlapping clusters; the closest centroid pairs are {closest}, and digit {far} "
           f"lies farthest from its nearest neighbour.")
    caption = (f"The 2-D code of the vanilla autoencoder (seed {seed}) for all {n:,} test images, coloured by digit label, "
               f"which the model never saw. Circled numbers are class centroids (a thin line joins a label to its "
               f"centroid, the black dot, where labels would overlap). The closest pairs of centroids, "
               f"relative to the clusters' spread, are {closest}; digit {far} stands most apart.")
    numbers = {"fig.latent_map.closest_pairs": closest, "fig.latent_map.most_isolated": str(far),
               "fig.latent_map.seed": str(seed),
               "fig.latent_map.own_region_share": f"{100 * OWN_REGION:.0f}%",
               "fig.latent_map.own_region_classes": ", ".join(map(str, own)) or "none",
               "fig.latent_map.shared_region_classes": ", ".join(map(str, shared)) or "none"}
    return Rendered(fig, alt, caption, numbers)
