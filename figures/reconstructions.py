"""The same ten test digits, reconstructed by each of the five configurations."""

from _style import CONFIG_LABELS, CONFIG_PROSE, FIVE, digit_rows, figure, one_per_class, pixel_mse, reconstruct

from autoencoders.results import fmt
from autoencoders.experiments import CONFIGURATIONS
from autoencoders.render import Rendered

RUNS = tuple(f"{c.name}-s*" for c in CONFIGURATIONS)  # the published table, every seed


def render(ctx) -> Rendered:
    pick = one_per_class(ctx.test_labels)
    originals = ctx.test_images[pick]
    rows, labels, mse = [originals], ["original"], {}
    for name in FIVE:
        run = ctx.first(name)
        mse[name] = run.metrics["test_mse"]
        rows.append(reconstruct(run.model, originals))
        labels.append(f"{CONFIG_LABELS[name]}, seed {run.config.seed}" + (": " if ctx.phone else "\n")
                      + f"test MSE {fmt(mse[name])}")
    shown = {name: pixel_mse(row, originals).mean() for name, row in zip(FIVE, rows[1:])}

    # On a phone each row's label goes over it, so that the digits have the whole width.
    fig = figure(ctx, height=4.6, phone_height=3.5)
    digit_rows(fig, rows, labels, above=ctx.phone)

    ranking = sorted(FIVE, key=mse.get)
    best, worst = ranking[0], ranking[-1]
    order = ", ".join(f"{CONFIG_PROSE[n]} ({fmt(mse[n])})" for n in ranking)
    numbers = {f"fig.reconstructions.shown_mse.{name}": fmt(shown[name]) for name in FIVE}
    numbers["fig.reconstructions.best"] = CONFIG_PROSE[best]
    numbers["fig.reconstructions.order"] = order
    n = ctx.test_size
    alt = (f"Grid of {len(pick)} handwritten test digits, one per class: the originals in the top row, then one row "
           f"per autoencoder with its reconstructions of the same digits. The row labels give each model's mean "
           f"squared error on the {n:,} test images: lowest for the {CONFIG_PROSE[best]} model ({fmt(mse[best])}), "
           f"highest for the {CONFIG_PROSE[worst]} model ({fmt(mse[worst])}).")
    caption = (f"The test digits of Figure {{{{ fig.denoising.number }}}}, without noise, reconstructed by the five configurations "
               f"(seed {ctx.seeds[0]}). Each row label gives that model's mean squared error over all {n:,} clean "
               f"test images.")
    return Rendered(fig, alt, caption, numbers)
