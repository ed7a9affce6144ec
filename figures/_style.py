"""Shared look of every figure: sizes for the content column, an opaque background, safe colours,
and the few plotting helpers that more than one recipe uses.

A figure's key covers the definitions of this file that its recipe uses: editing a helper re-renders
the figures that call it (and nothing else).
"""

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402

import numpy as np  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator  # noqa: E402

from autoencoders.data import training_indices  # noqa: E402
from autoencoders.experiments import COMPARED, CONFIGURATIONS  # noqa: E402
# Measurements live in the package, shared with the claim ledger; recipes import them from here too.
from autoencoders.measures import class_centroids, decode, encode, pixel_mse, reconstruct  # noqa: E402,F401
from autoencoders.experiments import label  # noqa: E402
from autoencoders.palette import DIGIT_COLOURS  # noqa: E402,F401  (in the package: the notebook uses them too)

# One colour per compared configuration (experiments.COMPARED, in its order), the same in every figure:
# Okabe-Ito's palette, black first (far from the conv model's vermilion), then the colours that stay
# apart with the common colour-vision deficiencies.
OKABE_ITO = ("#000000", "#0072B2", "#009E73", "#CC79A7", "#D55E00", "#E69F00", "#56B4E9", "#F0E442")
CONFIG_COLOURS = dict(zip((c.name for c in COMPARED), OKABE_ITO))
CONFIG_LABELS = {config.name: label(config) for config in CONFIGURATIONS}  # the table's names
FIVE = tuple(CONFIG_LABELS)
CONFIG_PROSE = {name: label.replace(",", "").lower() for name, label in CONFIG_LABELS.items()}  # "vanilla d = 2"
REFERENCE_COLOUR = "#333333"  # published values and closed-form baselines (PCA)

COLUMN_WIDTH = 7.2  # inches; at render.PNG_DPI = 200, 1440 px: about twice the ~690 px column, sharp on HiDPI screens
PHONE_WIDTH = 3.6  # inches, the phone variant: 720 px, about twice the 358 px column of a 390 px phone
# Each variant is about twice as many pixels wide as the column that shows it, so a point of type is about the
# same size in CSS px on both: 1.33 px in a 686 px column, 1.38 px in a 358 px one (1.27 px on a 360 px
# phone). No text is set smaller than SMALLEST points, 9.5 CSS px or more wherever a variant is shown
# (tests/test_figures.py measures what is drawn).
SMALLEST = 7.5
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


def figure(ctx, height: float, phone_height: float | None = None, width: float = COLUMN_WIDTH, **kwargs):
    """A new figure for the variant `ctx` draws, laid out with constrained layout: `width` x `height` inches
    for the content column, PHONE_WIDTH x `phone_height` (or `height`) for a phone."""
    size = (PHONE_WIDTH, phone_height or height) if ctx.phone else (width, height)
    return plt.figure(figsize=size, layout="constrained", **kwargs)


def beside(ctx, parent, count: int = 2, widths=None, heights=None, subfigures: bool = False, **shared):
    """`count` panels of `parent` (a figure or subfigure) side by side in the column, in relative `widths`;
    one above the other on a phone, in relative `heights`. Axes, or subfigures when `subfigures` is true,
    as a flat array in reading order; `shared` goes to subplots() (sharex, sharey)."""
    rows, columns = (count, 1) if ctx.phone else (1, count)
    ratios = {"height_ratios": heights} if ctx.phone else {"width_ratios": widths}
    if subfigures:
        return np.ravel(parent.subfigures(rows, columns, squeeze=False, **ratios))
    return np.ravel(parent.subplots(rows, columns, squeeze=False, **ratios, **shared))


def text_colour(background: str) -> str:
    """Black or white, whichever contrasts more with `background` (WCAG relative luminance)."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in to_rgb(background)]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "black" if (luminance + 0.05) / 0.05 > 1.05 / (luminance + 0.05) else "white"


# ---------------------------------------------------------------- digits

def training_set(ctx, run):
    """The images `run` trained on, (N, 1, 28, 28), and their labels: what the project's k-NN votes ask."""
    index = training_indices(ctx.data, run.config.train_size, run.config.seed)
    return ctx.data.train_images[index], ctx.data.train_labels[index].numpy()


def flat(images) -> np.ndarray:
    """Images as rows of float64 pixels, for the k-NN on pixels."""
    return np.asarray(images, dtype=np.float64).reshape(len(images), -1)


def show_digit(ax, image, title: str | None = None, fontsize: float = SMALLEST) -> None:
    """One 28x28 image, black ink on white like the page, no axes."""
    ax.imshow(np.asarray(image).reshape(28, 28), cmap="gray_r", vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title is not None:
        ax.set_title(title, fontsize=fontsize, pad=2)


def one_per_class(labels, count: int = 10) -> list[int]:
    """Indices of the first test image of each digit class 0..count-1: the same digits in every figure.

    Classes absent from `labels` (tiny smoke builds) are skipped.
    """
    return [int((labels == digit).nonzero()[0, 0]) for digit in range(count) if (labels == digit).any()]


def digit_rows(fig, rows, labels, notes=None, above: bool = False, wrap: int | None = None,
               label_size: float = 8) -> np.ndarray:
    """A grid of digits, one row per entry of `rows` (each (n, ...) images) with its label on the left, or,
    with `above`, over the row (which then has the whole width: a phone's layout). With `wrap`, rows
    longer than that continue in a second block of rows below the first, labelled again.

    `notes`, if given, holds per row a list of short strings (or None) printed under each image.
    Returns the axes as a (len(rows), n) array, row by row, whatever the layout.
    """
    count = len(rows[0])
    per_line = min(wrap or count, count)
    blocks = -(-count // per_line)
    if above:  # each line a subfigure, titled with its row's label
        lines = fig.subfigures(blocks * len(rows), 1, squeeze=False)[:, 0]
        axes = np.array([line.subplots(1, per_line, squeeze=False)[0] for line in lines])
        for index, line in enumerate(lines):
            line.suptitle(labels[index % len(rows)], x=0.01, ha="left", fontsize=label_size)
    else:  # each block a subfigure (or the figure itself), its rows labelled on the left
        parts = fig.subfigures(blocks, 1, squeeze=False)[:, 0] if blocks > 1 else [fig]
        axes = np.concatenate([part.subplots(len(rows), per_line, squeeze=False) for part in parts])
        for index, ax in enumerate(axes[:, 0]):
            ax.set_ylabel(labels[index % len(rows)], rotation=0, ha="right", va="center", fontsize=label_size,
                          labelpad=6)
    places = np.concatenate(list(axes.reshape(blocks, len(rows), per_line)), axis=1)  # block after block
    for ax in places[:, count:].ravel():  # the last block's unused places
        ax.set_visible(False)
    grid = places[:, :count]
    for r, images in enumerate(rows):
        for c, image in enumerate(images):
            show_digit(grid[r, c], image)
            if notes is not None and notes[r] is not None:
                grid[r, c].set_xlabel(notes[r][c], fontsize=SMALLEST, labelpad=1.5)
    return grid


# ---------------------------------------------------------------- curves

def seed_band(ax, x, curves, colour: str, label: str, **line) -> np.ndarray:
    """The mean over seeds (rows of `curves`) as a line, their min–max range as a shaded band."""
    curves = np.asarray(curves, dtype=np.float64)
    mean = curves.mean(0)
    ax.fill_between(x, curves.min(0), curves.max(0), color=colour, alpha=0.2, linewidth=0)
    ax.plot(x, mean, color=colour, label=label, **line)
    return mean


def log_ticks(ax, axis: str, values, base: float = 10) -> None:
    """A logarithmic `axis` ("x" or "y") with plain-number labels at `values` only."""
    getattr(ax, f"set_{axis}scale")("log", base=base)
    target = getattr(ax, f"{axis}axis")
    target.set_major_locator(FixedLocator(list(values)))
    target.set_major_formatter(FixedFormatter([f"{v:g}" for v in values]))
    target.set_minor_locator(NullLocator())


def panel_label(panel, letter: str, ctx=None) -> None:
    """"(a)", "(b)", ... in the top-left corner of an axes, outside its plotting area, or over a whole
    (sub)figure, for panels made of several axes. Given `ctx`, on a phone an axes' y label moves over the
    panel, beside its letter: stacked panels are short, and a long label would run into its neighbours."""
    if hasattr(panel, "suptitle"):
        panel.suptitle(f"({letter})", x=0.01, ha="left", fontsize=10, fontweight="bold")
        return
    panel.set_title(f"({letter})", loc="left", fontsize=10, fontweight="bold")
    if ctx is not None and ctx.phone and panel.get_ylabel():
        panel.set_title(" ".join(panel.get_ylabel().split()), loc="right", fontsize=9)
        panel.set_ylabel("")
