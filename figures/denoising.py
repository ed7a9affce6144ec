"""Ten noisy test digits, cleaned up by the denoising model and passed through the vanilla one."""

from _style import digit_rows, figure, one_per_class, pixel_mse, reconstruct

from autoencoders.measures import noisy_test_images
from autoencoders.results import fmt
from autoencoders.render import Rendered

RUNS = ("denoising-d32-s*", "vanilla-d32-s*")
NOTE_SIZE = 7.5
WINNER_BOX = dict(boxstyle="round,pad=0.15", fc="#FFE9A8", ec="none")  # the closer model's error, per digit


def render(ctx) -> Rendered:
    sigma = ctx.first("denoising-d32").config.noise_sigma
    seed = ctx.seeds[0]
    # The very noise of the evaluation: drawn for the whole test set with its fixed seed, then indexed.
    noisy_all = noisy_test_images(ctx.test_images, sigma)
    pick = one_per_class(ctx.test_labels)
    clean, noisy = ctx.test_images[pick], noisy_all[pick]
    outputs = {name: reconstruct(ctx.first(f"{name}-d32").model, noisy) for name in ("denoising", "vanilla")}
    errors = {name: pixel_mse(out, clean) for name, out in {"input": noisy, **outputs}.items()}

    # On a phone, two blocks of five digits: ten across would leave the errors no room.
    fig = figure(ctx, height=3.6, phone_height=5.6)
    rows = ("input", "denoising", "vanilla")
    grid = digit_rows(fig, [clean, noisy, outputs["denoising"], outputs["vanilla"]],
                      ["clean", f"noisy input\nσ = {sigma:g}", "denoising\nd = 32", "vanilla\nd = 32"],
                      notes=[None, *([f"{e:.4f}" for e in errors[k]] for k in rows)], wrap=5 if ctx.phone else None)
    # Per digit, the model whose output is closer to the clean image: its error in bold on a highlight.
    for column in range(len(pick)):
        winner = 2 if errors["denoising"][column] < errors["vanilla"][column] else 3
        for r in range(1, 4):
            grid[r][column].xaxis.label.set_fontsize(NOTE_SIZE)
        grid[winner][column].xaxis.label.set(fontweight="bold", bbox=WINNER_BOX)

    better = int(sum(errors["denoising"] < errors["vanilla"]))
    vanilla_worse = int(sum(errors["vanilla"] > errors["input"]))
    input_mse = pixel_mse(noisy_all, ctx.test_images).mean()  # doing nothing at all, over the test set
    numbers = {
        "fig.denoising.sigma": f"{sigma:g}",
        "fig.denoising.noisy_input_mse": fmt(input_mse),
        "fig.denoising.example_mse.denoising": fmt(errors["denoising"].mean()),
        "fig.denoising.example_mse.vanilla": fmt(errors["vanilla"].mean()),
        "fig.denoising.denoiser_wins": f"{better} of {len(pick)}",
        "fig.denoising.vanilla_worse_than_input": f"{vanilla_worse} of {len(pick)}",
    }
    alt = (f"Grid of {len(pick)} handwritten test digits, one per class, in four rows: the clean image; the same "
           f"image with Gaussian noise of standard deviation {sigma:g}; the denoising autoencoder's output for the "
           f"noisy image; and the vanilla autoencoder's output for it, each output with its error printed under it and the lower of the two models' errors highlighted. "
           f"Over these digits the denoiser's mean squared error is "
           f"{numbers['fig.denoising.example_mse.denoising']} against {numbers['fig.denoising.example_mse.vanilla']} "
           f"for the vanilla model, which is closer to the clean digit than the noisy input itself on only "
           f"{len(pick) - vanilla_worse} of {len(pick)}.")
    caption = (f"The first test image of each class with the noise of the evaluation (σ = {sigma:g}), and what the "
               f"denoising and the vanilla model (d = 32, seed {seed}) make of it. Under each image: its mean "
               f"squared error against the clean digit, the closer of the two models' highlighted (the denoiser on "
               f"{better} of {len(pick)}).")
    return Rendered(fig, alt, caption, numbers)
