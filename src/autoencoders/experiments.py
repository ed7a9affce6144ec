"""Every experiment of the series as plain data: one place to read and to change."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from .models import VARIANTS, Autoencoder


# --8<-- [start:config]
@dataclass(frozen=True)
class RunConfig:
    """Everything that defines one training run; every field keys the cache."""

    name: str  # e.g. "vanilla-d32": variant and bottleneck width
    variant: str  # a key of models.VARIANTS
    latent_dim: int
    seed: int = 0  # training subset, initial weights, batch order, noise
    epochs: int = 30
    batch_size: int = 128
    learning_rate: float = 1e-3  # Adam, default betas
    train_size: int = 5_000  # images drawn from the 60,000 training images
    test_size: int = 10_000  # evaluation: the first `test_size` test images
    noise_std: float = 0.3  # denoiser's training noise; every run's noisy test
    noise_clip: bool = True  # denoiser: clip its noisy inputs to [0, 1]
    sparsity_weight: float = 1e-3  # sparse variants: lambda of the L1 term
    active_units: int = 8  # topk: k, the code units kept per image

    @property
    def run_id(self) -> str:
        return f"{self.name}-s{self.seed}"

    def build_model(self) -> Autoencoder:
        # Each variant's own settings, if it has any.
        penalty = {"sparsity_weight": self.sparsity_weight}
        settings = {
            "denoising": {"noise_std": self.noise_std, "clip": self.noise_clip},
            "sparse": penalty,
            "sparse-relu": penalty,
            "sparse-unit-norm": penalty,
            "topk": {"active_units": self.active_units},
        }
        variant = VARIANTS[self.variant]
        return variant(self.latent_dim, **settings.get(self.variant, {}))

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
DEFAULT_SEEDS: tuple[int, ...] = (0, 1, 2)


def sparse_name(weight: float) -> str:
    """The configuration's name: "sparse-d32" at the series' lambda, else one
    that says lambda, e.g. "sparse-d32-lambda1e-2"."""
    if weight == RunConfig.sparsity_weight:
        return "sparse-d32"
    mantissa, exponent = f"{weight:.0e}".split("e")
    return f"sparse-d32-lambda{mantissa}e{int(exponent)}"

# The vanilla model at every width of the sweep, at every seed like the five.
SWEEP_DIMS: tuple[int, ...] = (2, 4, 8, 16, 32, 64)
SWEEP: tuple[RunConfig, ...] = tuple(
    RunConfig(f"vanilla-d{d}", "vanilla", latent_dim=d) for d in SWEEP_DIMS
)

# Testing Part 3's diagnosis of the L1 penalty: the sparse model over four
# decades of lambda (10^-3 is the series' own), and a code that is sparse by
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

EXPERIMENTS: tuple[RunConfig, ...] = (CONFIGURATIONS + SWEEP + LAMBDA_SWEEP + (TOPK,) + LINEAR_SWEEP
                                      + SPARSITY_FIXES + (UNCLIPPED,))
CONFIG_NAMES: tuple[str, ...] = tuple(dict.fromkeys(c.name for c in EXPERIMENTS))


def plan(
    seeds: tuple[int, ...] = DEFAULT_SEEDS,
    epochs: int | None = None,
    subset: int | None = None,
) -> list[RunConfig]:
    """All runs of a build: every experiment at every seed.

    Runs shared by two lists (vanilla d=2 and d=32, sparse at 1e-3) appear once.
    """
    runs = [replace(c, seed=s) for c in EXPERIMENTS for s in seeds]
    overrides = {}
    if epochs is not None:
        overrides["epochs"] = epochs
    if subset is not None:
        overrides["train_size"] = min(subset, RunConfig.train_size)
        overrides["test_size"] = min(subset, RunConfig.test_size)
    unique = {r.run_id: replace(r, **overrides) for r in runs}
    return list(unique.values())
