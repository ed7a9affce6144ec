"""Shared look of every figure: sizes for the content column, an opaque background, safe colours.

Part of every figure's cache key: editing this file re-renders all figures (and nothing else).
"""

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402

# Paul Tol's "muted" scheme (distinguishable with the common colour-vision deficiencies) plus its
# pale grey, for the ten digit classes.
DIGIT_COLOURS = ("#332288", "#88CCEE", "#44AA99", "#117733", "#999933",
                 "#DDCC77", "#CC6677", "#882255", "#AA4499", "#777777")
# One colour per configuration, the same in every figure (Okabe-Ito).
CONFIG_COLOURS = {
    "vanilla-d2": "#E69F00",
    "vanilla-d32": "#0072B2",
    "denoising-d32": "#009E73",
    "sparse-d32": "#CC79A7",
    "conv-d32": "#D55E00",
}
CONFIG_LABELS = {
    "vanilla-d2": "Vanilla, d = 2",
    "vanilla-d32": "Vanilla, d = 32",
    "denoising-d32": "Denoising, d = 32",
    "sparse-d32": "Sparse, d = 32",
    "conv-d32": "Convolutional, d = 32",
}
FIVE = tuple(CONFIG_LABELS)

COLUMN_WIDTH = 7.2  # inches; at 150 dpi about 1080 px, sharp in a ~750 px column on a HiDPI laptop
BACKGROUND = "white"  # opaque, so the figure reads the same on Material's light and dark pages

plt.rcParams.update({
    "figure.facecolor": BACKGROUND,
    "axes.facecolor": BACKGROUND,
    "savefig.facecolor": BACKGROUND,
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "autoencoders",  # deterministic ids, should anyone save SVG
})


def figure(height: float, width: float = COLUMN_WIDTH, **kwargs):
    """A new figure sized for the content column, laid out with constrained layout."""
    return plt.figure(figsize=(width, height), layout="constrained", **kwargs)


def show_digit(ax, image, title: str | None = None, fontsize: float = 7) -> None:
    """One 28x28 image, black ink on white like the page, no axes."""
    ax.imshow(image.reshape(28, 28), cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title is not None:
        ax.set_title(title, fontsize=fontsize, pad=2)


def one_per_class(labels, count: int = 10) -> list[int]:
    """Indices of the first test image of each digit class 0..count-1: the same digits in every figure."""
    return [int((labels == digit).nonzero()[0]) for digit in range(count)]
