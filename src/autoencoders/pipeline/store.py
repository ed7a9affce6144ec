"""Where the build keeps things: files written atomically, trained runs by key, and the build's record.

- `write_atomically` is the one way anything is written: a temporary file beside the target, synced,
  then renamed over it, so a reader sees the old file or the new one, never a part.
- `RunCache` keeps a trained run as a directory `runs/<run_id>-<key>/` holding `model.pt` (a state
  dict, loaded with weights_only=True), `result.json` (metrics, the weights' sha256 and the run's
  digest) and any recording the run made. It is assembled in a temporary directory and renamed into
  place, so readers see all of it or nothing; a damaged entry is never trusted.
- `Record` is `results/build.json`: for every output, the key it was made with, the digests of what it
  read and of the files it wrote. `--check` and `--explain` compare the code with it; it is written last.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

from .fingerprint import digest

VOLATILE_METRICS = ("train_seconds",)  # describe the machine, not the run: in no digest


class StoreError(RuntimeError):
    """A file or the cache cannot be read or written; the message says which and why."""


def write_atomically(path: Path, payload: bytes) -> None:
    import uuid

    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise StoreError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:  # Ctrl-C mid-write: no temporary file is left behind
        tmp.unlink(missing_ok=True)
        raise


def write_if_changed(path: Path, payload: bytes) -> bool:
    """Replace `path` with `payload` unless it holds those bytes already; True when written. (Unchanged files
    keep their modification time: `mkdocs serve` rebuilds only for real changes.)"""
    try:
        if Path(path).read_bytes() == payload:
            return False
    except FileNotFoundError:
        pass
    except OSError as error:
        raise StoreError(f"cannot read {path}: {error.strerror}") from None
    write_atomically(path, payload)
    return True


def json_bytes(value) -> bytes:
    return (json.dumps(value, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def read_json(path: Path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------- trained runs

def weights_digest(state_dict) -> str:
    """sha256 of a model's weights: every tensor's name, type, shape and bytes, in order."""
    sha = hashlib.sha256()
    for name, tensor in state_dict.items():
        sha.update(f"{name}:{tensor.dtype}:{tuple(tensor.shape)}:".encode())
        sha.update(tensor.detach().contiguous().numpy().tobytes())
    return sha.hexdigest()


def run_digest(weights: str, metrics: dict, recording: str | None = None) -> str:
    """What a run produced, as one hash: its weights, its metrics (not their timing), its recording."""
    stable = {name: value for name, value in metrics.items() if name not in VOLATILE_METRICS}
    return digest({"weights": weights, "metrics": stable, "recording": recording})


class RunCache:
    def __init__(self, root: Path):
        self.root = Path(root) / "runs"

    def path(self, run_id: str, key: str) -> Path:
        return self.root / f"{run_id}-{key}"

    def has(self, run_id: str, key: str) -> bool:
        return (self.path(run_id, key) / "result.json").is_file()

    def record(self, run_id: str, key: str) -> dict | None:
        """The entry's result.json (metrics and digests) without loading the model; None when absent or unreadable."""
        record = read_json(self.path(run_id, key) / "result.json")
        return record if isinstance(record, dict) and record.get("key") == key else None

    def load(self, config, key: str):
        """Return (RunResult, None) on a hit, (None, None) on a miss, (None, reason) for a damaged entry.

        A damaged entry is moved out of the way so that the retrained run can take its place."""
        import torch

        from ..train import RunResult

        entry = self.path(config.run_id, key)
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
            recording = None
            if record.get("recording_sha256"):
                raw = (entry / "recording.pt").read_bytes()
                if hashlib.sha256(raw).hexdigest() != record["recording_sha256"]:
                    raise ValueError("recording.pt does not match its recorded sha256")
                recording = _replay().from_bytes(raw)
            if run_digest(weights_digest(model.state_dict()), record["metrics"],
                          recording_digest(recording) if recording is not None else None) != record.get("digest"):
                raise ValueError("its weights or metrics do not match its recorded digest")
        except (OSError, ValueError, KeyError, RuntimeError, EOFError) as error:
            self._discard(entry)
            return None, f"{error.__class__.__name__}: {error}"
        return RunResult(config, model, record["metrics"], recording), None

    def store(self, result, key: str) -> dict:
        """Write an entry atomically and return its record. If another build stored the same run first, keep theirs.

        The record says what the process that trained it computed with (numerics.observed), outside its digest."""
        import torch

        from ..numerics import observed

        import shutil
        import uuid

        entry = self.path(result.config.run_id, key)
        buffer = io.BytesIO()
        torch.save(result.model.state_dict(), buffer)
        blob = buffer.getvalue()
        recording = _replay().to_bytes(result.recording) if result.recording is not None else None
        recording_sha = hashlib.sha256(recording).hexdigest() if recording is not None else None
        content = recording_digest(result.recording) if result.recording is not None else None
        record = {"key": key, "config": result.config.as_dict(), "model_sha256": hashlib.sha256(blob).hexdigest(),
                  "recording_sha256": recording_sha, "metrics": result.metrics, "numerics": observed(),
                  "digest": run_digest(weights_digest(result.model.state_dict()), result.metrics, content)}
        tmp = self.root / f".tmp-{entry.name}-{uuid.uuid4().hex[:8]}"
        try:
            tmp.mkdir(parents=True)
            write_atomically(tmp / "model.pt", blob)
            if recording is not None:
                write_atomically(tmp / "recording.pt", recording)
            write_atomically(tmp / "result.json", json.dumps(record, indent=1).encode())
            os.rename(tmp, entry)
        except FileExistsError:
            shutil.rmtree(tmp, ignore_errors=True)
        except (OSError, StoreError) as error:
            shutil.rmtree(tmp, ignore_errors=True)
            if entry.is_dir() and (entry / "result.json").exists():
                return self.record(result.config.run_id, key) or record  # a concurrent build won the rename
            reason = error.strerror if isinstance(error, OSError) else str(error)
            raise StoreError(f"cannot write the cache at {self.root}: {reason or error}") from None
        except BaseException:  # Ctrl-C mid-store: the half-built directory never becomes an entry
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return record

    # ------------------------------------------------------------ outputs made but perhaps not yet written

    def _made_path(self, name: str, key: str) -> Path:
        return self.root.parent / "outputs" / f"{name.replace(' ', '-')}-{key}"

    def made(self, name: str, key: str):
        """What a build made for target `name` with `key` (make.Made), if one kept it; None otherwise."""
        from .make import Made

        entry = self._made_path(name, key)
        record = read_json(entry / "made.json")
        if not isinstance(record, dict) or record.get("key") != key:
            return None
        try:
            files = {relative: (entry / "files" / relative).read_bytes() for relative in record["files"]}
        except OSError:
            return None
        if any(hashlib.sha256(files[r]).hexdigest() != sha for r, sha in record["files"].items()):
            return None
        return Made(files, record["digest"], record["extra"], reused=True)

    def keep(self, name: str, key: str, made) -> None:
        """Keep what a build made (atomically, as a run is kept), so that a build that stops before writing
        its outputs does not make them again. A cache that cannot be written only costs time."""
        import shutil
        import uuid

        entry = self._made_path(name, key)
        if entry.exists():
            return
        tmp = entry.with_name(f".tmp-{entry.name}-{uuid.uuid4().hex[:8]}")
        try:
            for relative, payload in made.files.items():
                write_atomically(tmp / "files" / relative, payload)
            record = {"key": key, "digest": made.digest, "extra": made.extra,
                      "files": {r: hashlib.sha256(p).hexdigest() for r, p in made.files.items()}}
            write_atomically(tmp / "made.json", json.dumps(record).encode())
            os.rename(tmp, entry)
        except (OSError, StoreError):
            shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _discard(self, entry: Path) -> None:
        import shutil
        import uuid

        trash = entry.with_name(f".trash-{entry.name}-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(entry, trash)
            shutil.rmtree(trash, ignore_errors=True)
        except OSError:
            pass


def recording_digest(recording: dict) -> str:
    """What a recording holds, as one hash: its values, and its tensors' types, shapes and bytes (not the
    bytes of the file it is saved in, which a library may lay out otherwise)."""
    def plain(value):
        if hasattr(value, "numpy"):
            array = value.detach().contiguous().numpy()
            return {"tensor": [str(array.dtype), list(array.shape), hashlib.sha256(array.tobytes()).hexdigest()]}
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [plain(v) for v in value]
        return value
    return digest(plain(recording))


# ---------------------------------------------------------------- the build's record

class Record:
    """results/build.json: what every output was made from. Targets are named "run vanilla-d2-s0",
    "results", "figure latent-map", ...; code closures are stored once and shared by id."""

    SCHEMA = 1

    def __init__(self, path: Path):
        self.path = Path(path)
        data = read_json(self.path)
        valid = isinstance(data, dict) and data.get("schema") == self.SCHEMA
        self.targets: dict[str, dict] = dict(data["targets"]) if valid else {}
        self.closures: dict[str, dict[str, str]] = dict(data["closures"]) if valid else {}
        self.readable = valid

    def get(self, name: str) -> dict | None:
        return self.targets.get(name)

    def closure(self, entry: dict | None) -> dict[str, str] | None:
        return None if entry is None else self.closures.get(entry.get("code"))

    def put(self, name: str, entry: dict, closure: dict[str, str]) -> None:
        closure_id = digest(closure)[:16]
        self.closures[closure_id] = closure
        self.targets[name] = {**entry, "code": closure_id}

    def payload(self, keep: set[str]) -> bytes:
        """The file's bytes with the targets in `keep` only (outputs no longer planned are dropped)."""
        targets = {n: e for n, e in self.targets.items() if n in keep}
        closures = {c: self.closures[c] for c in sorted({e["code"] for e in targets.values()})}
        return json_bytes({"schema": self.SCHEMA, "targets": targets, "closures": closures})


def _replay():
    """The recording's file format (autoencoders.replay), imported only when a recording is read or written:
    the module loads torch, which deciding what is stale never needs."""
    from .. import replay

    return replay
