"""Shared fixtures: the repository, MNIST (fetched once into the project cache), and CLI runners."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The package of this checkout, whatever copy of it the virtual environment was installed from.
sys.path.insert(0, str(REPO / "src"))
CACHE = REPO / ".cache"  # the project cache: MNIST is fetched here once and reused by every test


def run_cli(*args: str, cwd: Path = REPO, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run build_figures.py (of the checkout at `cwd`) with this interpreter."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.run([sys.executable, str(cwd / "build_figures.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


def smoke_args(out: Path, cache: Path) -> list[str]:
    """A tiny but complete build: every configuration and figure, 2 epochs on 256 images."""
    return ["--quiet", "--seeds", "0,1", "--epochs", "2", "--subset", "256", "--out", str(out),
            "--cache-dir", str(cache), "--data-dir", str(CACHE / "mnist")]


@pytest.fixture(scope="session")
def mnist():
    from autoencoders.data import load_mnist

    return load_mnist(CACHE)


@pytest.fixture(scope="session")
def smoke_build(tmp_path_factory, mnist):
    """One smoke build shared by the tests that only read its outputs."""
    root = tmp_path_factory.mktemp("smoke")
    done = run_cli(*smoke_args(root / "out", root / "cache"))
    assert done.returncode == 0, done.stderr
    return root


@pytest.fixture
def checkout(tmp_path, mnist) -> Path:
    """A scratch copy of the code and committed outputs, safe to edit."""
    dest = tmp_path / "repo"
    dest.mkdir()
    for name in ("src", "figures", "build_figures.py"):
        source = REPO / name
        copy = shutil.copytree if source.is_dir() else shutil.copy2
        copy(source, dest / name, **({"ignore": shutil.ignore_patterns("__pycache__")} if source.is_dir() else {}))
    (dest / "docs").mkdir()
    for name in ("results", "figures", "assets/models"):  # assets/models: the files the Play page runs
        shutil.copytree(REPO / "docs" / name, dest / "docs" / name)
    return dest
