"""Figure 1: where the vanilla d=2 model puts each of the 10,000 test digits."""

import numpy as np
import torch
from _style import DIGIT_COLOURS, figure

from autoencoders.render import Rendered

NUMBER = 1
RUNS = ("vanilla-d2-s0",)


def encode(ctx) -> tuple[np.ndarray, np.ndarray]:
    """Codes (N, 2) and labels (N,) of the test images under the seed-0 d=2 model."""
    model = ctx.run("vanilla-d2-s0").model.eval()
    with torch.no_grad():
        z = model.encode(ctx.test_images).numpy()
    return z, ctx.test_labels.numpy()


def render(ctx) -> Rendered:
    z, labels = encode(ctx)
    centroids = np.stack([z[labels == d].mean(0) for d in range(10)])

    fig = figure(height=6.0)
    ax = fig.add_subplot()
    order = np.random.default_rng(0).permutation(len(z))  # no class is painted last over all others
    colours = np.array(DIGIT_COLOURS)[labels[order]]
    ax.scatter(z[order, 0], z[order, 1], c=colours, s=2.5, alpha=0.6, linewidths=0, rasterized=True)
    for digit, (x, y) in enumerate(centroids):
        ax.annotate(str(digit), (x, y), ha="center", va="center", fontsize=11, fontweight="bold",
                    color="white", bbox=dict(boxstyle="circle,pad=0.25", fc=DIGIT_COLOURS[digit], ec="black", lw=0.6))
    handles = [ax.scatter([], [], c=DIGIT_COLOURS[d], s=20, label=str(d)) for d in range(10)]
    ax.legend(handles=handles, title="digit", loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.set_aspect("equal")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")

    # Which classes sit closest? Distances between centroids, in units of the typical spread.
    spread = float(np.mean([np.linalg.norm(z[labels == d] - centroids[d], axis=1).mean() for d in range(10)]))
    distance = np.linalg.norm(centroids[:, None] - centroids[None], axis=-1) / spread
    np.fill_diagonal(distance, np.inf)
    pairs = sorted({tuple(sorted((a, int(distance[a].argmin())))) for a in range(10)}, key=lambda p: distance[p])
    closest = ", ".join(f"{a}–{b}" for a, b in pairs[:3])
    far = int(np.argmax(np.min(distance, axis=1)))

    n = len(z)
    alt = (f"Scatter plot of {n:,} MNIST test digits encoded by the vanilla autoencoder with a two-dimensional "
           f"bottleneck, one dot per image coloured by its true digit, with each class's centroid labelled. "
           f"Classes form overlapping clusters; the closest centroid pairs are {closest}, and digit {far} "
           f"lies farthest from its nearest neighbour.")
    caption = (f"The 2-D code of the vanilla autoencoder (seed 0) for all {n:,} test images, coloured by digit label, "
               f"which the model never saw. Circled numbers are class centroids. The closest pairs of centroids, "
               f"relative to the clusters' spread, are {closest}; digit {far} stands most apart.")
    numbers = {"fig.latent_map.closest_pairs": closest, "fig.latent_map.most_isolated": str(far)}
    return Rendered(fig, alt, caption, numbers)
