"""Every experiment of the series as plain data: one place to read and to change.

The variants, the configurations, their seeds and the groups that the figures and probes compare are
declared here and nowhere else. Nothing here imports torch: the build decides what is stale from this
file without loading a model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .models import Autoencoder


# --8<-- [start:variants]
@dataclass(frozen=True)
class Variant:
    """A kind of autoencoder: its class in models.py, the settings it takes
    (RunConfig fields, passed by the same name), and how pages name it."""

    model: str  # the class's name in models.py
    label: str  # "Convolutional"
    settings: tuple[str, ...] = ()
    symbol: str = ""  # how labels write the first setting, e.g. "λ"
    unless: tuple[str, str] = ("", "")  # (a flag, words named when it is off)


LAMBDA = ("sparsity_weight",)
VARIANTS: dict[str, Variant] = {
    "vanilla": Variant("VanillaAutoencoder", "Vanilla"),
    "denoising": Variant(
        "DenoisingAutoencoder", "Denoising", ("noise_sigma", "noise_clip"),
        "σ", unless=("noise_clip", "unclipped noise"),
    ),
    "sparse": Variant("SparseAutoencoder", "Sparse", LAMBDA, "λ"),
    "sparse-relu": Variant("ReLUSparseAutoencoder", "ReLU code", LAMBDA, "λ"),
    "sparse-unit-norm": Variant(
        "ConstrainedSparseAutoencoder", "Unit-norm decoder", LAMBDA, "λ"
    ),
    "topk": Variant("TopKAutoencoder", "Top-k", ("active_units",), "k"),
    "linear": Variant("LinearAutoencoder", "Linear"),
    "conv": Variant("ConvAutoencoder", "Convolutional"),
}
# --8<-- [end:variants]


# --8<-- [start:config]
@dataclass(frozen=True)
class RunConfig:
    """Everything that defines one training run; every field keys the cache."""

    name: str  # e.g. "vanilla-d32": variant and bottleneck width
    variant: str  # a key of VARIANTS
    latent_dim: int
    seed: int = 0  # training subset, initial weights, batch order, noise
    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 1e-3  # Adam, default betas
    train_size: int = 5_000  # images drawn from the 60,000 training images
    test_size: int = 10_000  # evaluation: the first `test_size` test images
    noise_sigma: float = 0.3  # σ: the denoiser's noise; every noisy test
    noise_clip: bool = True  # denoiser: clip its noisy inputs to [0, 1]
    sparsity_weight: float = 1e-3  # sparse variants: λ of the L1 term
    active_units: int = 8  # topk: k, the code units kept per image

    @property
    def run_id(self) -> str:
        return f"{self.name}-s{self.seed}"

    def build_model(self) -> Autoencoder:
        from . import models  # torch is loaded only when a model is built

        variant = VARIANTS[self.variant]
        settings = {name: getattr(self, name) for name in variant.settings}
        return getattr(models, variant.model)(self.latent_dim, **settings)

    def as_dict(self) -> dict:
        return asdict(self)
# --8<-- [end:config]


# --8<-- [start:configurations]
# The five configurations of the published table, and its final losses.
CONFIGURATIONS: tuple[RunConfig, ...] = (
    RunConfig("vanilla-d2", "vanilla", latent_dim=2),
    RunConfig("vanilla-d32", "vanilla", latent_dim=32),
    RunConfig("denoising-d32", "denoising", latent_dim=32),
    RunConfig("sparse-d32", "sparse", latent_dim=32),
    RunConfig("conv-d32", "conv", latent_dim=32),
)
PUBLISHED_FINAL_LOSS: dict[str, float] = {
    "vanilla-d2": 0.0401,
    "vanilla-d32": 0.0125,
    "denoising-d32": 0.0191,
    "sparse-d32": 0.0130,
    "conv-d32": 0.0083,
}


def sparse_name(weight: float) -> str:
    """The configuration's name: "sparse-d32" at the series' λ, else one
    that says λ, e.g. "sparse-d32-lambda1e-2"."""
    if weight == RunConfig.sparsity_weight:
        return "sparse-d32"
    mantissa, exponent = f"{weight:.0e}".split("e")
    return f"sparse-d32-lambda{mantissa}e{int(exponent)}"


# The vanilla model at every width of the sweep.
SWEEP_DIMS: tuple[int, ...] = (2, 4, 8, 16, 32, 64)
SWEEP: tuple[RunConfig, ...] = tuple(
    RunConfig(f"vanilla-d{d}", "vanilla", latent_dim=d) for d in SWEEP_DIMS
)

# Testing Part 3's diagnosis of the L1 penalty: the sparse model over four
# decades of λ (10^-3 is the series' own), and a code that is sparse by
# construction, with k = 8 of its 32 units active.
SPARSITY_WEIGHTS: tuple[float, ...] = (1e-4, 1e-3, 1e-2, 1e-1)
LAMBDA_SWEEP: tuple[RunConfig, ...] = tuple(
    RunConfig(sparse_name(w), "sparse", latent_dim=32, sparsity_weight=w)
    for w in SPARSITY_WEIGHTS
)
TOPK = RunConfig("topk-d32", "topk", latent_dim=32, active_units=8)

# A model whose optimum is known: the linear autoencoder at every width of the
# sweep, trained by the same loop, against PCA (Baldi & Hornik, 1989).
LINEAR_SWEEP: tuple[RunConfig, ...] = tuple(
    RunConfig(f"linear-d{d}", "linear", latent_dim=d) for d in SWEEP_DIMS
)

# The two fixes Part 3 proposes for the L1 penalty, each beside the same model
# without its penalty: a ReLU on the code (exact zeros become possible), and
# unit-norm columns in every decoder layer (the code's scale is held).
SPARSITY_FIXES: tuple[RunConfig, ...] = (
    RunConfig("relu-d32", "sparse-relu", latent_dim=32, sparsity_weight=0.0),
    RunConfig("sparse-relu-d32", "sparse-relu", latent_dim=32),
    RunConfig("unit-norm-d32", "sparse-unit-norm", latent_dim=32,
              sparsity_weight=0.0),
    RunConfig("sparse-unit-norm-d32", "sparse-unit-norm", latent_dim=32),
)

# The denoiser trained on zero-mean noise: is clipping what makes clean
# images hard for it?
UNCLIPPED = RunConfig("denoising-unclipped-d32", "denoising", latent_dim=32,
                      noise_clip=False)
# --8<-- [end:configurations]

# --8<-- [start:seeds]
# Seeds: enough for a confidence interval to decide. The published table's
# configurations carry the headline claims; every other one has five.
PUBLISHED_SEEDS: tuple[int, ...] = tuple(range(10))
SEEDS: tuple[int, ...] = tuple(range(5))
# --8<-- [end:seeds]

# The configuration whose training the Play page replays: the build records it at its lowest seed
# (replay.Recorder), and that run's key covers the recorder.
RECORDED = "vanilla-d2"

# The models the figures and the probes of the codes put side by side, in the order they are shown;
# their colours follow this order too (figures/_style.py).
COMPARED: tuple[RunConfig, ...] = CONFIGURATIONS + (TOPK,)

EXPERIMENTS: tuple[RunConfig, ...] = (CONFIGURATIONS + SWEEP + LAMBDA_SWEEP + (TOPK,) + LINEAR_SWEEP
                                      + SPARSITY_FIXES + (UNCLIPPED,))
CONFIG_NAMES: tuple[str, ...] = tuple(dict.fromkeys(c.name for c in EXPERIMENTS))
CONFIGS: dict[str, RunConfig] = {c.name: c for c in EXPERIMENTS}  # by name; the first declaration wins


def default_seeds(name: str) -> tuple[int, ...]:
    """The seeds a default build trains configuration `name` at."""
    return PUBLISHED_SEEDS if name in PUBLISHED_FINAL_LOSS else SEEDS


def plan(
    seeds: tuple[int, ...] | None = None,
    epochs: int | None = None,
    subset: int | None = None,
    names: tuple[str, ...] | None = None,
) -> list[RunConfig]:
    """All runs of a build: every configuration (or those `names`) at its seeds,
    or at `seeds` when given; each run once, in declaration order, then by seed."""
    overrides = {}
    if epochs is not None:
        overrides["epochs"] = epochs
    if subset is not None:
        overrides["train_size"] = min(subset, RunConfig.train_size)
        overrides["test_size"] = min(subset, RunConfig.test_size)
    chosen = [c for n, c in CONFIGS.items() if names is None or n in names]
    return [replace(c, seed=s, **overrides)
            for c in chosen for s in (seeds if seeds is not None else default_seeds(c.name))]


def label(config: RunConfig) -> str:
    """How tables, figures and captions name a configuration: "Vanilla, d = 32". A setting is named
    when it is not the series' own, or the variant is not one of the series': "Sparse, d = 32,
    λ = 1e-2", "Top-k, d = 32, k = 8", "Denoising, d = 32, unclipped noise"."""
    variant = VARIANTS[config.variant]
    name = f"{variant.label}, d = {config.latent_dim}"
    if variant.settings:
        field = variant.settings[0]
        value = getattr(config, field)
        the_series = any(c.variant == config.variant for c in CONFIGURATIONS)
        if value != getattr(RunConfig, field) or not the_series:
            shown = f"{value:.0e}".replace("e-0", "e-") if isinstance(value, float) and value else f"{value:g}"
            name += f", {variant.symbol} = {shown}"
    flag, words = variant.unless
    if flag and not getattr(config, flag):
        name += f", {words}"
    return name
