"""What the vanilla d=2 decoder draws across the latent plane, and along straight paths."""

import numpy as np
from _style import decode, digit_rows, encode, figure, flat, panel_label, training_set
from matplotlib import patheffects

from autoencoders.measures import (CENTROID_PATHS, NEIGHBOURS, PATH_STEPS, centroid_paths, class_geometry,
                                   nearest_labels)
from autoencoders.render import Rendered

RUNS = ("vanilla-d2-s*",)
GRID = 15  # decoded points per axis
PATH_COLOUR = "#D55E00"
END_SIZE = 14  # points: the digit at each end of a path, in (a) and (b)
END_OFFSET = 11  # points between an end of a path in (a) and its digit
CLEARANCE = 24  # points between the centres of two end labels in (a), so that each is read with its own path
ROW_SIZE = 11
NOTE_SIZE = 10
WIDTH = 5.6  # inches
# The phone variant is not scaled up by the page: smaller type (still 9.5 CSS px or more), the same layout for
# (a), and in (b) each path's ends and step ratio over its row, so that its ten digits have the whole width.
PHONE = {"end": 11, "row": 9, "note": 8, "axis": 11, "ticks": 8}


def clear_offset(end: np.ndarray, away: np.ndarray, placed: list[np.ndarray], size: float = END_SIZE) -> np.ndarray:
    """Where, in points from its end, a path's end label of `size` points goes: straight on beyond the end,
    or, when that would overlap a label already placed (short paths between close centroids), turned as
    little as frees it."""
    reach, clearance = END_OFFSET * size / END_SIZE, CLEARANCE * size / END_SIZE
    for degrees in (0, 35, -35, 70, -70, 105, -105, 140, -140, 180):
        turn = np.radians(degrees)
        rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
        offset = reach * rotation @ away
        if all(np.linalg.norm(end + offset - other) >= clearance for other in placed):
            return offset
    return reach * away


def render(ctx) -> Rendered:
    run = ctx.first("vanilla-d2")
    model, seed = run.model, run.config.seed
    z, labels = encode(model, ctx.test_images), ctx.test_labels.numpy()

    # (a) A regular grid over where the test codes lie (1st to 99th percentile on each axis).
    low, high = np.percentile(z, [1, 99], axis=0)
    xs, ys = np.linspace(low[0], high[0], GRID), np.linspace(high[1], low[1], GRID)  # top row: largest z2
    cells = decode(model, np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 2))
    # Grid points with no test code within half a grid step on both axes are drawn faded: the decoder is
    # extrapolating there.
    step = (high - low) / (GRID - 1)
    points = np.stack(np.meshgrid(xs, ys), -1).reshape(-1, 1, 2)
    occupied = (np.abs(z[None] - points) <= step / 2).all(-1).any(-1)
    cells = np.where(occupied[:, None, None], cells, 0.3 * cells)
    mosaic = cells.reshape(GRID, GRID, 28, 28).transpose(0, 2, 1, 3).reshape(GRID * 28, GRID * 28)

    # (b) Straight lines between class centroids, decoded; how even are the steps along each path?
    geometry = class_geometry(z, labels)
    digits, centroids = geometry.digits, geometry.centroids
    centre = dict(zip(digits, centroids))
    found = centroid_paths(model, geometry, CENTROID_PATHS, PATH_STEPS)
    pairs = [p.ends for p in found]
    paths = [p.images for p in found]
    unevenness = [p.unevenness for p in found]
    span = [p.span for p in found]
    # What each decoded image shows: the digit that the project's k-NN, on the pixels of the run's own
    # training images, reads in it.
    train_images, train_labels = training_set(ctx, run)
    read = lambda images: nearest_labels(flat(train_images), train_labels, flat(images)).tolist()
    near = [read(images) for images in paths]

    # Narrower than the column: the page scales it up to the column's width, with its type.
    fig = figure(ctx, height=7.6, phone_height=7.4, width=WIDTH)
    top, bottom = fig.subfigures(2, 1, height_ratios=[3.6, 3.8] if ctx.phone else [5.6, 4.0])
    end_size = PHONE["end"] if ctx.phone else END_SIZE
    ax = top.add_subplot()
    ax.imshow(mosaic, cmap="gray_r", vmin=0, vmax=1, interpolation="nearest", aspect="auto",
              extent=(low[0] - step[0] / 2, high[0] + step[0] / 2, low[1] - step[1] / 2, high[1] + step[1] / 2))
    ax.set_box_aspect(1)
    ax.set_xlabel("$z_1$", fontsize=PHONE["axis"] if ctx.phone else 12)
    ax.set_ylabel("$z_2$", fontsize=PHONE["axis"] if ctx.phone else 12)
    ax.tick_params(labelsize=PHONE["ticks"] if ctx.phone else 10)
    # Each end label sits END_OFFSET points beyond its end of the path, measured on the laid-out figure.
    fig.canvas.draw()
    at = {digit: ax.transData.transform(centre[digit]) * 72 / fig.dpi for digit in centre}  # in points
    stroke = [patheffects.withStroke(linewidth=3, foreground="white")]
    placed = []  # where the labels so far sit, in points
    for a, b in pairs:  # the paths of (b), drawn on the plane they cross, each end labelled with its digit
        ax.annotate("", centre[b], xytext=centre[a], arrowprops=dict(arrowstyle="-|>", color=PATH_COLOUR, lw=1.8,
                                                                    shrinkA=0, shrinkB=0, alpha=0.9))
        heading = (at[b] - at[a]) / max(np.linalg.norm(at[b] - at[a]), 1e-12)
        for digit, away in ((a, -heading), (b, heading)):
            offset = clear_offset(at[digit], away, placed, end_size)
            placed.append(at[digit] + offset)
            ax.annotate(str(digit), centre[digit], xytext=tuple(offset), textcoords="offset points",
                        ha="center", va="center", color=PATH_COLOUR, fontsize=end_size, fontweight="bold",
                        path_effects=stroke)
    panel_label(ax, "a")
    between = ", " if ctx.phone else "\n"
    grid = digit_rows(bottom, paths, [f"{a} → {b}{between}step ratio {u:.2f}" for (a, b), u in zip(pairs, unevenness)],
                      notes=[[str(d) for d in row] for row in near], above=ctx.phone,
                      label_size=PHONE["row"] if ctx.phone else ROW_SIZE)
    # Larger type than digit_rows' default, so that the rows stay legible when the page scales the figure
    # down; in the column, the end digits again at both ends of each row; labels met along a path that belong
    # to neither end class in bold vermilion.
    for (a, b), row, cells in zip(pairs, near, grid):
        if not ctx.phone:
            right = cells[-1].secondary_yaxis("right")
            right.set_yticks([])
            right.spines["right"].set_visible(False)
            right.set_ylabel(str(b), rotation=0, ha="left", va="center", fontsize=END_SIZE, fontweight="bold",
                             color=PATH_COLOUR, labelpad=4)
        for cell, digit in zip(cells, row):
            cell.xaxis.label.set(fontsize=PHONE["note"] if ctx.phone else NOTE_SIZE,
                                 **({} if digit in (a, b) else dict(fontweight="bold", color=PATH_COLOUR)))
    panel_label(bottom if ctx.phone else grid[0, 0], "b")  # on a phone, over the first row's label

    detours = {(a, b): [d for d in dict.fromkeys(row) if d not in (a, b)] for (a, b), row in zip(pairs, near)}
    via = "; ".join(f"{a}→{b}: {', '.join(map(str, d))}" for (a, b), d in detours.items() if d) or "none"
    # Does a path start and end at its digits? What its ends, the class centroids, decode to.
    ends = sorted({d for pair in pairs for d in pair})
    end_read = dict(zip(ends, read(decode(model, np.stack([centre[d] for d in ends])))))
    foreign = ", ".join(f"{d} (read as {o})" for d, o in end_read.items() if o != d) or "none"
    faded = int((~occupied).sum())
    worst = int(np.argmax(unevenness))
    flattest = int(np.argmin(span))
    numbers = {
        "fig.manifold.grid": f"{GRID} × {GRID}",
        "fig.manifold.empty_cells": f"{faded} of {GRID * GRID}",
        **{f"fig.manifold.step_ratio.{a}_{b}": f"{u:.2f}" for (a, b), u in zip(pairs, unevenness)},
        "fig.manifold.other_labels_on_paths": via,
        "fig.manifold.ends_read_as_other_digit": foreign,
        **{f"fig.manifold.end_to_end_rms.{a}_{b}": f"{s:.3f}" for (a, b), s in zip(pairs, span)},
        "fig.manifold.seed": str(seed),
        "fig.manifold.most_uneven_path": "{}→{}".format(*pairs[worst]),
        "fig.manifold.most_uneven_ratio": f"{unevenness[worst]:.2f}",
        "fig.manifold.flattest_path": "{}→{}".format(*pairs[flattest]),
        "fig.manifold.flattest_span": f"{span[flattest]:.3f}",
        "fig.manifold.other_spans": ", ".join(f"{s:.3f} ({a}→{b})" for i, ((a, b), s) in enumerate(zip(pairs, span))
                                              if i != flattest),
    }
    path_list = ", ".join(f"{a}→{b}" for a, b in pairs)
    alt = (f"Two panels. (a) A {GRID}-by-{GRID} mosaic of digits decoded from evenly spaced points of the vanilla "
           f"autoencoder's two-dimensional latent plane, spanning the 1st to 99th percentile of the test codes on "
           f"each axis; {faded} cells where no test code falls are drawn faded. (b) {len(pairs)} rows of {PATH_STEPS} "
           f"digits decoded along straight lines between class centroids ({path_list}). The largest step along a "
           f"path is at most {max(unevenness):.2f} times the mean step (path {pairs[worst][0]}→{pairs[worst][1]}); "
           f"the {pairs[flattest][0]} and {pairs[flattest][1]} centroids decode to nearly the same image "
           f"(root-mean-square pixel difference {span[flattest]:.3f}). Under each image is the digit that a "
           f"nearest-neighbour vote on the pixels of the training images reads in it; digits other than the two "
           f"ends read along the paths: {via}.")
    caption = (f"(a) The vanilla d = 2 decoder (seed {seed}) on a {GRID} × {GRID} grid over the test codes, faded where "
               f"no test code is near; arrows: the paths of (b). (b) {PATH_STEPS} decoded points on each straight path "
               f"between two class centroids; under each, the digit that the {NEIGHBOURS} nearest training images "
               f"(pixels) vote for (vermilion: neither end's).")
    return Rendered(fig, alt, caption, numbers)
