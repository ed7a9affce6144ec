"""What the codes are good for: a linear probe and nearest neighbours on frozen codes."""

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from _style import CONFIG_COLOURS, REFERENCE_COLOUR, beside, figure, panel_label

from autoencoders.features import set_label, table_order
from autoencoders.render import Rendered

RUNS = ()  # it draws features.json, which holds what it needs of the runs
# Top to bottom: the widest codes and their PCA baseline, the pixels, then the narrower codes.
ROWS = table_order(pixels_after_widest=True)
COLOURS = {**CONFIG_COLOURS, **{name: REFERENCE_COLOUR for name in ROWS if name.startswith("pca-")},
           "pixels": "#999999"}
CLASSIFIERS = (("probe", "linear probe"), ("knn", "{k}-nearest neighbours"))


def render(ctx) -> Rendered:
    document = ctx.features
    rows = [r for r in ROWS if r in document["sets"]]
    k = document["neighbours"]
    fig = figure(ctx, height=3.8, phone_height=6.8)
    axes = beside(ctx, fig, 2, sharey=True)  # on a phone one above the other, each with the features' names
    y = np.arange(len(rows))[::-1].astype(float)
    height = 0.38
    for letter, ax, (classifier, title) in zip("ab", axes, CLASSIFIERS):
        for row, name in zip(y, rows):
            entry, colour = document["sets"][name], COLOURS[name]
            for offset, condition, style in ((height / 2, "clean", {"alpha": 0.9}),
                                              (-height / 2, "noisy", {"alpha": 0.35, "hatch": "////"})):
                measure = entry[f"{classifier}.{condition}"]
                ax.barh(row + offset, 100 * measure["mean"], height=height, color=colour, edgecolor=colour,
                        lw=0.6, **style)
                values = [100 * v for v in measure["values"].values()]  # the seeds of this feature set
                ax.plot(values, np.full(len(values), row + offset), "|", color="black", ms=5, mew=0.8)
        ax.set_xlim(0, 100)
        ax.set_xlabel("test accuracy (%)")
        ax.set_title(title.format(k=k), fontsize=9)
        ax.grid(axis="x", color="#dddddd", lw=0.6)
        ax.set_axisbelow(True)
        panel_label(ax, letter)
    for ax in axes if ctx.phone else axes[:1]:
        ax.set_yticks(y, [set_label(n) for n in rows])
        ax.tick_params(axis="y", length=0)
    legend = [Patch(facecolor="#777777", edgecolor="#777777", alpha=0.9, label="clean input"),
              Patch(facecolor="#777777", edgecolor="#777777", alpha=0.35, hatch="////",
                    label="noisy input (σ = 0.3)"),
              Line2D([], [], ls="none", marker="|", color="black", ms=7, label="single seeds")]
    fig.legend(handles=legend, loc="outside lower center", ncols=2 if ctx.phone else 3, frameon=False)

    counts = sorted({len(document["sets"][n]["seeds"]) for n in rows})
    over = f"{counts[0]} seeds" if len(counts) == 1 else f"{counts[0]} to {counts[-1]} seeds, as each was trained"
    mean = lambda name, measure: 100 * document["sets"][name][measure]["mean"]
    numbers = {f"fig.probes.{name}.{m}": f"{mean(name, m):.1f}%" for name in rows
               for m in ("probe.clean", "probe.noisy", "knn.clean", "knn.noisy")}
    numbers["fig.probes.neighbours"] = str(k)
    described = "; ".join(f"{set_label(n)}: probe {mean(n, 'probe.clean'):.0f}% clean, "
                          f"{mean(n, 'probe.noisy'):.0f}% noisy; {k}-NN {mean(n, 'knn.clean'):.0f}% clean, "
                          f"{mean(n, 'knn.noisy'):.0f}% noisy" for n in rows)
    alt = (f"Two horizontal bar charts of digit-classification accuracy, (a) a linear probe and (b) {k}-nearest "
           f"neighbours, each fitted on frozen features of the training images and scored on clean and on noisy "
           f"test images; means over {over}. {described}.")
    caption = (f"How well a classifier reads the digit from each frozen code, PCA of the same width, and the raw "
               f"pixels: solid bars clean test images, hatched bars σ = 0.3 noise; means over {over}, "
               f"ticks single seeds.")
    return Rendered(fig, alt, caption, numbers)
