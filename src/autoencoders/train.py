"""One training loop for every variant, and the held-out measurements taken after it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

from .data import MNIST, noisy_test_images, training_subset
from .experiments import RunConfig
from .models import Autoencoder, count_parameters
from .numerics import reproducible

EVAL_BATCH = 2_000
# An entry z_k counts as "near zero" when |z_k| is at most this fraction of unit k's own
# large values (the 99th percentile of |z_k| over the test images). Relative, because an
# L1 penalty can shrink the code's scale; per unit, because it can shrink each unit apart.
NEAR_ZERO_RELATIVE = 0.05


@dataclass
class RunResult:
    """What one run produced: the trained model and its measurements."""

    config: RunConfig
    model: Autoencoder
    metrics: dict = field(default_factory=dict)
    # What a recorder (replay.Recorder) passed as on_step saw during training, else None.
    recording: dict | None = None


# --8<-- [start:train-loop]
# on_step(steps taken, model, that step's batch loss): a look from outside.
StepHook = Callable[[int, Autoencoder, torch.Tensor | None], None]


@reproducible  # the same bits on any x86-64 CPU with AVX2, any number of cores
def train(
    config: RunConfig,
    data: MNIST,
    on_epoch: Callable[[int, float], None] | None = None,
    on_step: StepHook | None = None,
) -> RunResult:
    """Train `config` from scratch; return the model, losses and metrics.

    `on_step(step, model, loss)`, if given, is called once before the first
    step (step 0, loss None) and after every optimiser step with the number of
    steps taken and that step's batch loss. It may look at the model; it must
    not change it, and must leave it in training mode (replay.Recorder does).
    """
    torch.manual_seed(config.seed)  # initial weights and the denoiser's noise
    images = training_subset(data, config.train_size, config.seed)
    model = config.build_model()
    # fused=True: the same Adam update, in one kernel per step instead of many.
    optimiser = torch.optim.Adam(
        model.parameters(), lr=config.learning_rate, fused=True
    )
    order = torch.Generator().manual_seed(config.seed)  # batch order

    history, step = [], 0
    started = time.perf_counter()
    model.train()
    if on_step is not None:
        on_step(step, model, None)  # the starting point
    for epoch in range(config.epochs):
        permutation = torch.randperm(len(images), generator=order)
        totals, batches = {}, 0
        for start in range(0, len(images), config.batch_size):
            batch = images[permutation[start:start + config.batch_size]]
            terms = model.loss_terms(batch)  # with noise, L1 term, ...
            loss = sum(terms.values())
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            step += 1
            if on_step is not None:
                on_step(step, model, loss.detach())
            for name, value in terms.items():
                totals[name] = totals.get(name, 0.0) + value.detach()
            batches += 1
        # "Final loss" as the series defines it: an epoch's mean batch loss.
        epoch_terms = {k: v.item() / batches for k, v in totals.items()}
        history.append(sum(epoch_terms.values()))
        if on_epoch is not None:
            on_epoch(epoch + 1, history[-1])
    train_seconds = time.perf_counter() - started

    metrics = {
        "parameters": count_parameters(model),
        "history": history,
        "final_loss": history[-1],
        # The last epoch's loss term by term (sparse: reconstruction, penalty).
        "final_terms": epoch_terms,
        **evaluate(model, config, data),
        # The final weights on their own training images, in eval mode: the
        # partner of test_mse for the generalisation gap (final_loss averages
        # an epoch of moving weights, in train mode).
        "train_mse": reconstruction_error(model, images),
        "train_seconds": train_seconds,
    }
    # A recorder keeps what it saw (the codes of a replay); the run carries it.
    recording = getattr(on_step, "recording", None)
    return RunResult(config, model, metrics, recording)
# --8<-- [end:train-loop]


# --8<-- [start:evaluate]
@torch.no_grad()
def evaluate(model: Autoencoder, config: RunConfig, data: MNIST) -> dict:
    """Held-out measurements in eval mode: no training noise, no L1 term."""
    model.eval()
    clean = data.test_images[:config.test_size]
    noisy = noisy_test_images(clean, config.noise_sigma)
    codes, clean_error, noisy_error = [], 0.0, 0.0
    for start in range(0, len(clean), EVAL_BATCH):
        end = start + EVAL_BATCH
        x, x_noisy = clean[start:end], noisy[start:end]
        z = model.encode(x)
        codes.append(z)
        clean_error += F.mse_loss(model.decode(z), x, reduction="sum").item()
        # Noisy input, clean target: a denoiser's task, measured for all.
        noisy_error += F.mse_loss(model(x_noisy), x, reduction="sum").item()
    z = torch.cat(codes)
    return {
        "test_mse": clean_error / clean.numel(),
        "test_mse_noisy": noisy_error / clean.numel(),
        "latent": latent_statistics(z, data.test_labels[:config.test_size]),
    }


@torch.no_grad()
def reconstruction_error(model: Autoencoder, images: torch.Tensor) -> float:
    """Per-pixel MSE of `images` against their reconstructions (eval mode)."""
    model.eval()
    error = 0.0
    for start in range(0, len(images), EVAL_BATCH):
        x = images[start:start + EVAL_BATCH]
        error += F.mse_loss(model(x), x, reduction="sum").item()
    return error / images.numel()


def near_zero(z: torch.Tensor) -> torch.Tensor:
    """Which entries of the codes z (N, d) are near zero, unit by unit.

    Near zero: at most NEAR_ZERO_RELATIVE times the unit's 99th percentile
    of |z|. A unit that is 0 on every image is near zero throughout."""
    magnitude = z.abs()
    scale = torch.quantile(magnitude.double(), 0.99, dim=0).to(magnitude.dtype)
    return magnitude <= NEAR_ZERO_RELATIVE * scale


def latent_statistics(z: torch.Tensor, labels: torch.Tensor) -> dict:
    """How much of the code is in use: what the sparsity figures report."""
    magnitude = z.abs()
    # Tiny smoke runs may miss some classes.
    classes = [c for c in range(10) if (labels == c).any()]
    per_class = torch.stack([magnitude[labels == c].mean(0) for c in classes])
    return {
        "abs_mean": magnitude.mean().item(),
        "abs_p99": torch.quantile(magnitude.flatten().double(), 0.99).item(),
        "near_zero_fraction": near_zero(z).double().mean().item(),
        # Units that are 0 for every test image (ReLU and top-k codes can
        # starve one).
        "dead_units": int((magnitude.amax(0) == 0).sum()),
        "unit_abs_mean": magnitude.mean(0).tolist(),
        "class_unit_abs_mean": per_class.tolist(),
    }
# --8<-- [end:evaluate]
