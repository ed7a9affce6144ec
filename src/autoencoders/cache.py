"""Trained runs stored by content hash: a hit skips training, a damaged entry is never trusted.

A run's key hashes everything that can change its result: the configuration (seed included),
the code of every project module the training imports, the dataset checksum, and the torch and
numpy versions.

The code counts by its meaning, not its bytes (fingerprint.py hashes each module's syntax tree
with comments, docstrings and formatting removed). So editing a comment or a docstring,
re-wrapping a line or adding a snippet marker (`# --8<--`) retrains nothing, while changing a
constant, an operator, a default, an argument or a name retrains every run that imports the
module (today every run imports the same four modules). results.json records each module's
fingerprint per definition, which is how `build_figures.py --explain` names what changed.

An entry is a directory `runs/<run_id>-<key>/` holding `model.pt` (a state dict, loaded with
weights_only=True) and `result.json` (the metrics and the sha256 of model.pt). It is assembled
in a temporary directory and renamed into place, so readers see all of it or nothing.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import uuid
from pathlib import Path

import numpy as np
import torch

from .data import DATASET_CHECKSUM
from .experiments import RunConfig
from .fingerprint import PACKAGE_DIR, combined_hash, fingerprint_file, imported_closure
from .train import RunResult

TRAINING_ENTRY = "train"  # the module whose import closure decides a run's result


class CacheError(RuntimeError):
    """The cache directory cannot be used (for instance, not writable)."""


def imported_modules(entry: str = TRAINING_ENTRY) -> list[str]:
    """The package modules `entry` imports, directly or through each other, found by reading their source."""
    return imported_closure([PACKAGE_DIR / f"{entry}.py"])


def source_fingerprints(modules: list[str] | None = None) -> dict[str, dict]:
    """Module name -> fingerprint (its meaning's hash and one per definition) of the training's modules."""
    return {name: fingerprint_file(PACKAGE_DIR / f"{name}.py") for name in modules or imported_modules()}


def source_hash(modules: list[str] | None = None) -> str:
    return combined_hash(source_fingerprints(modules))


def environment() -> dict:
    return {"dataset": DATASET_CHECKSUM, "torch": torch.__version__, "numpy": np.__version__}


def run_key(config: RunConfig, sources: str | None = None) -> str:
    """The content hash that names a run in the cache and in results.json."""
    payload = {"config": config.as_dict(), "source": sources or source_hash(), **environment()}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


class RunCache:
    def __init__(self, root: Path):
        self.root = Path(root) / "runs"

    def path(self, config: RunConfig, key: str) -> Path:
        return self.root / f"{config.run_id}-{key}"

    def load(self, config: RunConfig, key: str) -> tuple[RunResult | None, str | None]:
        """Return (result, None) on a hit, (None, None) on a miss, (None, reason) for a damaged entry.

        A damaged entry is moved out of the way so that the retrained run can take its place.
        """
        entry = self.path(config, key)
        if not entry.exists():
            return None, None
        try:
            record = json.loads((entry / "result.json").read_text())
            blob = (entry / "model.pt").read_bytes()
            if record.get("key") != key:
                raise ValueError("its key does not match its name")
            if hashlib.sha256(blob).hexdigest() != record.get("model_sha256"):
                raise ValueError("model.pt does not match its recorded sha256 (truncated or altered)")
            model = config.build_model()
            model.load_state_dict(torch.load(io.BytesIO(blob), weights_only=True))
            model.eval()
        except (OSError, ValueError, KeyError, RuntimeError, EOFError) as error:
            self._discard(entry)
            return None, f"{error.__class__.__name__}: {error}"
        return RunResult(config, model, record["metrics"]), None

    def store(self, result: RunResult, key: str) -> None:
        """Write an entry atomically. If another build stored the same run first, keep theirs."""
        entry = self.path(result.config, key)
        buffer = io.BytesIO()
        torch.save(result.model.state_dict(), buffer)
        blob = buffer.getvalue()
        record = {"key": key, "config": result.config.as_dict(), "model_sha256": hashlib.sha256(blob).hexdigest(),
                  "metrics": result.metrics}
        tmp = self.root / f".tmp-{entry.name}-{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir(parents=True)
            _write_synced(tmp / "model.pt", blob)
            _write_synced(tmp / "result.json", json.dumps(record, indent=1).encode())
            os.rename(tmp, entry)
        except FileExistsError:
            shutil.rmtree(tmp, ignore_errors=True)
        except OSError as error:
            shutil.rmtree(tmp, ignore_errors=True)
            if entry.is_dir() and (entry / "result.json").exists():
                return  # a concurrent build won the rename; its entry is complete
            raise CacheError(f"cannot write the cache at {self.root}: {error.strerror or error}") from None
        except BaseException:  # Ctrl-C mid-store: the half-built directory never becomes an entry
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _discard(self, entry: Path) -> None:
        trash = entry.with_name(f".trash-{entry.name}-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(entry, trash)
            shutil.rmtree(trash, ignore_errors=True)
        except OSError:
            pass


def _write_synced(path: Path, payload: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
