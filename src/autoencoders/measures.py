"""Measurements of trained models: one definition of each, used by the figures that draw them and by the
claims (claims.py) that judge them on every seed.

Nothing here trains or writes files; everything is a pure function of models, images and labels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .data import noisy_test_images
from .models import Autoencoder
from .train import near_zero


# ---------------------------------------------------------------- running a model

@torch.no_grad()
def reconstruct(model: Autoencoder, images: torch.Tensor, batch: int = 2_000) -> torch.Tensor:
    """The model's output for `images`, in evaluation mode and in batches."""
    model.eval()
    return torch.cat([model(images[i:i + batch]) for i in range(0, len(images), batch)])


@torch.no_grad()
def encode(model: Autoencoder, images: torch.Tensor, batch: int = 2_000) -> np.ndarray:
    """The codes z of `images`, as a (N, d) array."""
    model.eval()
    return torch.cat([model.encode(images[i:i + batch]) for i in range(0, len(images), batch)]).numpy()


@torch.no_grad()
def decode(model: Autoencoder, codes: np.ndarray) -> np.ndarray:
    """Images (N, 28, 28) decoded from codes (N, d)."""
    model.eval()
    return model.decode(torch.as_tensor(codes, dtype=torch.float32)).reshape(len(codes), 28, 28).numpy()


def pixel_mse(images, reference) -> np.ndarray:
    """Mean squared error per image, averaged over its pixels (the convention of the training loss)."""
    a, b = np.asarray(images, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    return ((a - b) ** 2).reshape(len(a), -1).mean(1)


def noise_curve(model: Autoencoder, test_images: torch.Tensor, sigmas, count: int, clip: bool = True) -> np.ndarray:
    """Mean test MSE against the clean image at each noise level, on the first `count` test images."""
    clean = test_images[:count]
    noisy = torch.cat([noisy_test_images(test_images, float(s), clip)[:count] for s in sigmas])
    return np.array([pixel_mse(out, clean).mean() for out in reconstruct(model, noisy).split(count)])


def late_trend(history, window: int) -> float:
    """A loss curve's trend over its last `window` epochs: the least-squares slope of log(loss) against the
    epoch, as a relative change per epoch (-0.01: falling 1% per epoch). A fit over several epochs rather
    than the ratio of two, so that the epoch-to-epoch jitter of a training-mode loss averages out."""
    logs = np.log(np.asarray(history, dtype=np.float64))[-window:]
    return float(np.expm1(np.polyfit(np.arange(len(logs)), logs, 1)[0])) if len(logs) > 1 else 0.0


# ---------------------------------------------------------------- the geometry of a code

@dataclass
class ClassGeometry:
    """Where the digit classes sit in a code: centroids, and centroid distances in units of the clusters' spread."""

    digits: list[int]
    centroids: np.ndarray  # (k, d)
    distance: np.ndarray  # (k, k), diagonal +inf

    def pairs(self) -> list[tuple[int, int]]:
        """Every pair of classes, closest first."""
        k = len(self.digits)
        pairs = [(a, b) for a in range(k) for b in range(a + 1, k)]
        pairs.sort(key=lambda p: self.distance[p])
        return [(self.digits[a], self.digits[b]) for a, b in pairs]

    def closeness(self, a: int, b: int) -> float:
        """How near classes a and b lie, relative to the rest: their centroid distance over the smallest
        distance from either of them to any third class. Below 1: each is the other's nearest class."""
        i, j = self.digits.index(a), self.digits.index(b)
        others = [k for k in range(len(self.digits)) if k not in (i, j)]
        return float(self.distance[i, j] / self.distance[[i, j]][:, others].min())

    def isolation(self) -> list[int]:
        """The classes from the most isolated (farthest from its nearest neighbour) to the least."""
        nearest = self.distance.min(1)
        return [self.digits[i] for i in np.argsort(-nearest, kind="stable")]

    def isolation_ratio(self, digit: int) -> float:
        """How far `digit` stands apart: its distance to its nearest class over the largest such
        distance among the other classes. Above 1: no class stands farther from its neighbours."""
        nearest = self.distance.min(1)
        i = self.digits.index(digit)
        return float(nearest[i] / np.delete(nearest, i).max())


def class_centroids(z: np.ndarray, labels: np.ndarray) -> tuple[list[int], np.ndarray]:
    """The digit classes present in `labels` and the mean code of each, as (classes, (k, d) array)."""
    digits = [d for d in range(10) if (labels == d).any()]
    return digits, np.stack([z[labels == d].mean(0) for d in digits])


def class_geometry(z: np.ndarray, labels: np.ndarray) -> ClassGeometry:
    digits, centroids = class_centroids(z, labels)
    spread = float(np.mean([np.linalg.norm(z[labels == d] - c, axis=1).mean() for d, c in zip(digits, centroids)]))
    distance = np.linalg.norm(centroids[:, None] - centroids[None], axis=-1) / spread
    np.fill_diagonal(distance, np.inf)
    return ClassGeometry(digits, centroids, distance)


def nearest_labels(z: np.ndarray, labels: np.ndarray, points: np.ndarray, k: int | None = None) -> np.ndarray:
    """The k-NN classifier of the whole project (k = NEIGHBOURS): for each point, the most common label
    among its k nearest codes in `z` (Euclidean distance; ties go to the smaller digit)."""
    k = min(k or NEIGHBOURS, len(z))
    # float32 ranks neighbours as well as float64 at a quarter of the cost (784 raw pixels are the
    # largest case); centring on the codes' mean keeps the squared norms, and their rounding, small.
    centre = np.asarray(z, dtype=np.float64).mean(0)
    as_tensor = lambda a: torch.as_tensor(np.asarray(a, dtype=np.float64) - centre, dtype=torch.float32)
    codes = as_tensor(z)
    norms = (codes ** 2).sum(1)
    votes = []
    for start in range(0, len(points), 1_000):
        chunk = as_tensor(points[start:start + 1_000])
        # |p - c|^2 without |p|^2, which is the same for every c: enough to rank p's neighbours.
        distance = norms - 2 * chunk @ codes.T
        index = distance.topk(k, largest=False).indices.numpy()
        counts = (labels[index][..., None] == np.arange(10)).sum(1)  # (points, 10): votes per digit
        votes.append(counts.argmax(1))
    return np.concatenate(votes)


def knn_accuracy_by_class(train: np.ndarray, train_labels: np.ndarray, test: np.ndarray,
                          test_labels: np.ndarray) -> dict[int, float]:
    """Per digit class: the share of its test codes that the k-NN classifier, fitted on the training codes,
    reads as that class."""
    right = nearest_labels(train, train_labels, test) == test_labels
    return {d: float(right[test_labels == d].mean()) for d in range(10) if (test_labels == d).any()}


# ---------------------------------------------------------------- straight paths through a 2-D code

@dataclass
class Path:
    ends: tuple[int, int]
    images: np.ndarray  # (steps, 28, 28)
    unevenness: float  # largest step over the mean step (RMS pixel change between neighbours); 1 = even
    span: float  # RMS pixel difference between the two ends


def centroid_paths(model: Autoencoder, geometry: ClassGeometry, pairs, steps: int) -> list[Path]:
    """Decode `steps` evenly spaced points on the straight line between two class centroids, per pair."""
    centre = dict(zip(geometry.digits, geometry.centroids))
    t = np.linspace(0, 1, steps)[:, None]
    paths = []
    for a, b in pairs:
        if a not in centre or b not in centre:
            continue
        images = decode(model, (1 - t) * centre[a] + t * centre[b])
        step = np.sqrt((np.diff(images, axis=0) ** 2).mean((1, 2)))
        span = float(np.sqrt(((images[-1] - images[0]) ** 2).mean()))
        paths.append(Path((a, b), images, float(step.max() / step.mean()), span))
    return paths


# ---------------------------------------------------------------- baselines and code statistics

# --8<-- [start:pca]
def principal_components(
    train: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """The mean of `train` and its `count` leading principal directions,
    as columns of a (features, count) array, most variance first."""
    mean = train.mean(0)
    centred = train - mean
    _, vectors = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
    return mean, vectors[:, ::-1][:, :count]


def pca_test_mse(
    train: np.ndarray, test: np.ndarray, max_dim: int
) -> np.ndarray:
    """Test MSE of PCA fitted on `train`, for d = 1 .. max_dim components.

    Closed form: reconstruct with the top d components plus the mean, i.e.
    the error left after projecting the centred test images onto the leading
    eigenvectors of the training covariance. No clipping to [0, 1].
    """
    mean, components = principal_components(train, max_dim)
    test = test - mean
    explained = np.cumsum(((test @ components) ** 2).sum(0))
    return ((test ** 2).sum() - explained) / test.size
# --8<-- [end:pca]


def class_profiles(z_abs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean |z| per digit class (rows) and code unit (columns)."""
    return np.stack([z_abs[labels == d].mean(0) for d in range(10) if (labels == d).any()])


def live_units(z: np.ndarray) -> np.ndarray:
    """Which code units vary at all over these codes (a ReLU or top-k code can leave a unit at 0)."""
    return np.asarray(z).std(0) > 0


def class_selectivity(z: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per live code unit, the share of its variance that the digit class explains (the correlation
    ratio eta^2): 0 when every class has the same mean, 1 when the unit is constant within each class.
    Centred by construction and blind to the unit's scale; a unit used by a handful of images
    explains little of anything, however one-sided its few values."""
    z = np.asarray(z, dtype=np.float64)[:, live_units(z)]
    centred = z - z.mean(0)
    between = sum((labels == d).sum() * centred[labels == d].mean(0) ** 2 for d in range(10) if (labels == d).any())
    return between / (centred ** 2).sum(0)


def near_zero_ablation(model: Autoencoder, images: torch.Tensor) -> float:
    """What the "near-zero" entries of the code carry: the test MSE once they are set to exactly 0,
    relative to the MSE of the intact code (0.01: one per cent more error)."""
    with torch.no_grad():
        model.eval()
        z = torch.as_tensor(encode(model, images))
        ablated = z.masked_fill(near_zero(z), 0.0)
        target = images.reshape(len(images), -1).double().numpy()
        mse = lambda codes: pixel_mse(decode(model, codes.numpy()).reshape(len(images), -1), target).mean()
        return float(mse(ablated) / mse(z) - 1)


def principal_cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The cosines of the principal angles between the column spaces of `a` and `b` (both (n, d)),
    largest first: all 1 when the two span the same subspace, whatever bases they use."""
    qa, _ = np.linalg.qr(np.asarray(a, dtype=np.float64))
    qb, _ = np.linalg.qr(np.asarray(b, dtype=np.float64))
    return np.clip(np.linalg.svd(qa.T @ qb, compute_uv=False), 0.0, 1.0)


def code_displacement(model: Autoencoder, clean: torch.Tensor, noisy: torch.Tensor) -> float:
    """How far noise moves the code, relative to how far codes of different images lie apart:
    mean |z(noisy) - z(clean)| over mean |z(clean) - mean code|. Scale-free, so models compare."""
    z, z_noisy = encode(model, clean), encode(model, noisy)
    return float(np.linalg.norm(z_noisy - z, axis=1).mean() / np.linalg.norm(z - z.mean(0), axis=1).mean())


# ---------------------------------------------------------------- settings shared by figures and claims

CENTROID_PATHS = ((4, 9), (3, 5), (1, 7), (0, 6), (2, 8))  # from-to digit classes of the straight paths
PATH_STEPS = 10  # images per path, both ends included
LATE_EPOCHS = 10  # the window over which the end of training is judged (late_trend)
# The one k-NN protocol of the project: every k-NN vote (the probes of the codes, the classes' own regions
# of the 2-D code, what a decoded image is read as) asks the k nearest codes (or images) of the run's
# own training images, never the test images themselves.
NEIGHBOURS = 5
NOISE_LEVELS = np.round(np.arange(0, 0.71, 0.1), 2)  # σ of the noise sweep
NOISE_SWEEP_IMAGES = 1_000  # the first test images: stable means, and 8 levels x 6 models stay cheap
