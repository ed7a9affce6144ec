"""The four autoencoders of the series, and the controls that test what Part 3 says about them,
written to be read top to bottom.

Every model maps a batch of MNIST images of shape (B, 1, 28, 28), pixels in [0, 1],
to a reconstruction of the same shape, through a code z of `latent_dim` numbers:

    encode: image -> z        decode: z -> image        forward = decode(encode(.))

Each model also names the terms of its own training objective (`loss_terms`), so a
single training loop serves them all. The sections between `--8<--` markers are what
Part 2 of the site includes, so the page always shows this exact code.
"""

# --8<-- [start:imports]
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import parametrize

from .data import add_noise

IMAGE_SIDE = 28
N_PIXELS = IMAGE_SIDE * IMAGE_SIDE  # n = 784 inputs per image
# --8<-- [end:imports]


# --8<-- [start:base]
class Autoencoder(nn.Module):
    """What all the variants share: z = encoder(x), x_hat = decoder(z), MSE.

    A subclass only has to build `self.encoder` and `self.decoder`.
    """

    encoder: nn.Module
    decoder: nn.Module

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def loss_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        # The objective is the sum of these terms; the loop records each apart.
        # Mean squared error, averaged over pixels and over the batch.
        return {"reconstruction": F.mse_loss(self(x), x)}
# --8<-- [end:base]


# --8<-- [start:vanilla]
class VanillaAutoencoder(Autoencoder):
    """Fully connected: 784 -> 512 -> 256 -> d -> 256 -> 512 -> 784."""

    def __init__(self, latent_dim: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Flatten(),  # (B, 1, 28, 28) -> (B, 784)
            nn.Linear(N_PIXELS, 512),
            nn.ReLU(),
            nn.Linear(512, 256),
            nn.ReLU(),
            nn.Linear(256, latent_dim),  # no activation: z is any real vector
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 256),
            nn.ReLU(),
            nn.Linear(256, 512),
            nn.ReLU(),
            nn.Linear(512, N_PIXELS),
            nn.Sigmoid(),  # pixels live in [0, 1], and so must the output
            nn.Unflatten(1, (1, IMAGE_SIDE, IMAGE_SIDE)),
        )
# --8<-- [end:vanilla]


# --8<-- [start:denoising]
class DenoisingAutoencoder(VanillaAutoencoder):
    """The vanilla network, trained to undo noise; no noise at evaluation."""

    def __init__(
        self,
        latent_dim: int,
        noise_sigma: float = 0.3,
        noise_clip: bool = True,
    ):
        super().__init__(latent_dim)
        self.noise_sigma = noise_sigma
        self.noise_clip = noise_clip  # False: pixels may leave [0, 1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:  # fresh noise on every pass
            x = add_noise(x, self.noise_sigma, clip=self.noise_clip)
        return self.decode(self.encode(x))

    # loss_terms is inherited unchanged: F.mse_loss(self(x), x) compares the
    # reconstruction of the *noisy* input with the *clean* image x.
# --8<-- [end:denoising]


# --8<-- [start:sparse]
class SparseAutoencoder(VanillaAutoencoder):
    """The vanilla network plus an L1 penalty that pushes code units to 0."""

    def __init__(self, latent_dim: int, sparsity_weight: float = 1e-3):
        super().__init__(latent_dim)
        self.sparsity_weight = sparsity_weight  # lambda

    def loss_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        z = self.encode(x)
        # mean |z_k| over the batch *and* the d units, as in Part 1's formula.
        return {"reconstruction": F.mse_loss(self.decode(z), x),
                "penalty": self.sparsity_weight * z.abs().mean()}
# --8<-- [end:sparse]


# --8<-- [start:sparse-relu]
class ReLUSparseAutoencoder(SparseAutoencoder):
    """The sparse model with a ReLU on its code: a unit can be exactly 0.

    With z >= 0 the penalty lambda * mean(|z|) is lambda * mean(z), and a
    unit the encoder drives below zero costs nothing and carries nothing.
    """

    def __init__(self, latent_dim: int, sparsity_weight: float = 1e-3):
        super().__init__(latent_dim, sparsity_weight)
        self.encoder.append(nn.ReLU())
# --8<-- [end:sparse-relu]


# --8<-- [start:unit-norm]
class UnitNormColumns(nn.Module):
    """A weight, rewritten so that every column has length 1.

    Column j of a Linear layer's weight holds what input j adds to the
    layer's outputs; fixing its length leaves only its direction to learn.
    """

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return weight / weight.norm(dim=0, keepdim=True)


class ConstrainedSparseAutoencoder(SparseAutoencoder):
    """The sparse model whose decoder layers all have unit-norm columns.

    Shrinking the code by c can only be undone by a decoder layer that
    grows by 1/c; with every layer's columns held at length 1, none can,
    so the penalty can no longer be lowered for free.
    """

    def __init__(self, latent_dim: int, sparsity_weight: float = 1e-3):
        super().__init__(latent_dim, sparsity_weight)
        for layer in self.decoder:
            if isinstance(layer, nn.Linear):
                # The optimiser trains the raw weight; every forward pass
                # uses its normalised version.
                parametrize.register_parametrization(
                    layer, "weight", UnitNormColumns()
                )
# --8<-- [end:unit-norm]


# --8<-- [start:topk]
class TopKAutoencoder(VanillaAutoencoder):
    """The vanilla network whose code keeps only its k largest units.

    The k-sparse autoencoder of Makhzani & Frey (2013): sparsity by
    construction. Shrinking the code's scale, which lowers an L1 penalty
    at no cost to the reconstruction, changes nothing here: the same k
    units survive, and exactly d - k are zero.
    """

    def __init__(self, latent_dim: int, active_units: int = 8):
        super().__init__(latent_dim)
        self.active_units = active_units  # k

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        z = self.encoder(x)
        top = z.topk(self.active_units, dim=1)  # the k largest values
        # The other d - k units become exactly 0; the gradient reaches the
        # encoder through the k kept units only.
        return torch.zeros_like(z).scatter(1, top.indices, top.values)
# --8<-- [end:topk]


# --8<-- [start:linear]
class LinearAutoencoder(Autoencoder):
    """One linear map down and one back, 784 -> d -> 784, nothing else.

    The model whose optimum is known (Baldi & Hornik, 1989): its best
    decoder spans the subspace of the d leading principal components.
    Like PCA's reconstruction, its output is not squashed into [0, 1].
    """

    def __init__(self, latent_dim: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Flatten(), nn.Linear(N_PIXELS, latent_dim)
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, N_PIXELS),
            nn.Unflatten(1, (1, IMAGE_SIDE, IMAGE_SIDE)),
        )
# --8<-- [end:linear]


# --8<-- [start:conv]
class ConvAutoencoder(Autoencoder):
    """Two stride-2 convolutions down to 32x7x7, a linear map to z, back."""

    def __init__(self, latent_dim: int):
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(
            nn.Conv2d(1, 16, kernel_size=3, stride=2, padding=1),  # 28 -> 14
            nn.ReLU(),
            nn.Conv2d(16, 32, kernel_size=3, stride=2, padding=1),  # 14 -> 7
            nn.ReLU(),
            nn.Flatten(),  # 32 * 7 * 7 = 1568 features
            nn.Linear(32 * 7 * 7, latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 32 * 7 * 7),
            nn.Unflatten(1, (32, 7, 7)),
            # output_padding=1 settles a stride-2 transpose's ambiguity:
            # 7 -> 14, not 13; then 14 -> 28.
            nn.ConvTranspose2d(
                32, 16, 3, stride=2, padding=1, output_padding=1
            ),
            nn.ReLU(),
            nn.ConvTranspose2d(
                16, 1, 3, stride=2, padding=1, output_padding=1
            ),
            nn.Sigmoid(),
        )
# --8<-- [end:conv]


# --8<-- [start:parameters]
def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
# --8<-- [end:parameters]
