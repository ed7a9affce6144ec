"""Figure 2: ten noisy test digits, cleaned up by the denoising model and passed through the vanilla one."""

from _style import digit_rows, figure, one_per_class, pixel_mse, reconstruct

from autoencoders.measures import noisy_test_images
from autoencoders.outputs import fmt
from autoencoders.render import Rendered

NUMBER = 2
RUNS = ("denoising-d32-s*", "vanilla-d32-s*")


def render(ctx) -> Rendered:
    sigma = ctx.first("denoising-d32").config.noise_std
    seed = ctx.seeds[0]
    # The very noise of the evaluation: drawn for the whole test set with its fixed seed, then indexed.
    noisy_all = noisy_test_images(ctx.test_images, sigma)
    pick = one_per_class(ctx.test_labels)
    clean, noisy = ctx.test_images[pick], noisy_all[pick]
    outputs = {name: reconstruct(ctx.first(f"{name}-d32").model, noisy) for name in ("denoising", "vanilla")}
    errors = {name: pixel_mse(out, clean) for name, out in {"input": noisy, **outputs}.items()}

    fig = figure(height=3.3)
    digit_rows(fig, [clean, noisy, outputs["denoising"], outputs["vanilla"]],
               ["clean", f"noisy input\nσ = {sigma:g}", "denoising\nd = 32", "vanilla\nd = 32"],
               notes=[None, *([f"{e:.3f}" for e in errors[k]] for k in ("input", "denoising", "vanilla"))])

    s = ctx.results["summary"]
    dn, va = s["denoising-d32"], s["vanilla-d32"]
    seeds = len(dn["seeds"])
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
    pm = lambda stats: f"{fmt(stats['mean'])} ± {fmt(stats['std'])}"
    flips = dn["test_mse"]["mean"] > va["test_mse"]["mean"]
    alt = (f"Grid of {len(pick)} handwritten test digits, one per class, in four rows: the clean image; the same "
           f"image with Gaussian noise of standard deviation {sigma:g}; the denoising autoencoder's output for the "
           f"noisy image; and the vanilla autoencoder's output for it, each output with its error printed under it. "
           f"Over these digits the denoiser's mean squared error is "
           f"{numbers['fig.denoising.example_mse.denoising']} against {numbers['fig.denoising.example_mse.vanilla']} "
           f"for the vanilla model, which is closer to the clean digit than the noisy input itself on only "
           f"{len(pick) - vanilla_worse} of {len(pick)}.")
    caption = (f"The first test image of each class, corrupted with the noise of the evaluation (σ = {sigma:g}, "
               f"the denoiser's training noise, pixels clipped to [0, 1]), then fed to the denoising and the "
               f"vanilla model (d = 32, seed {seed}). Small numbers: each image's mean squared error against the clean "
               f"digit. The denoiser is closer on {better} of {len(pick)}; the vanilla output is further from the "
               f"clean digit than its noisy input on {vanilla_worse} of {len(pick)}. Over all {len(noisy_all):,} test "
               f"images (noisy input alone: {fmt(input_mse)}) and {seeds} seeds, the denoiser scores "
               f"{pm(dn['test_mse_noisy'])} on noisy inputs against {pm(va['test_mse_noisy'])} for the vanilla model; "
               f"on clean inputs {'the order flips' if flips else 'it is ahead as well'}: {pm(dn['test_mse'])} "
               f"against {pm(va['test_mse'])}.")
    return Rendered(fig, alt, caption, numbers)
