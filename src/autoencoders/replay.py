"""The replay: how a real training run organises the 2-D code, recorded while it trains.

A `Recorder` is the `on_step` hook of `train.train`. At a few dozen moments of the run (every
step at first, further apart as the first epochs go by, then once per epoch) it encodes a fixed,
balanced sample of test images and keeps their codes with the run's loss. Recording changes
nothing in the run: it works under `torch.no_grad()`, in evaluation mode (so the denoiser draws no
noise from the global generator), restores training mode, and draws no random number at all.

`page_files` packs a recording for the Play page (int16 codes on a per-moment grid, with a small
JSON description) together with what the page needs to train the same model in the reader's
browser: the run's 5,000 training images, in the order `data.training_indices` draws them, and
the pixels of the test sample whose codes the page draws while it trains.

The build trains experiments.RECORDED at its lowest seed with a Recorder (the recorder's code is part
of that run's key); the recording travels with the run in the cache and is part of its digest, and
the recipe figures/training_replay.py turns it into the page's files and the static figure of Part 3.
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import replace

import numpy as np
import torch
import torch.nn.functional as F

from .data import MNIST, training_indices
from .experiments import CONFIGS, RECORDED, RunConfig
from .models import Autoencoder
from .palette import DIGIT_COLOURS
from .train import train

SAMPLE_PER_DIGIT = 120  # 1,200 test images: the clusters show, and 54 moments fit in 300 KB
LIVE_PER_DIGIT = 100  # the first 1,000 of them: what the page encodes while it trains
# Each gap between moments about this much longer than the one before, from one step apart at the
# start until a gap would exceed an epoch; from then on one moment per epoch. Measured on three
# seeds: the codes fall onto a line within about 20 steps and unfold into the plane over the
# next hundred; the later epochs refine what is there.
GROWTH = 1.18
DIRECTORY = "assets/replay"  # under docs/: the page's files
FORMAT = 1
CONFIG = CONFIGS[RECORDED]  # the configuration the page replays


def sample_indices(labels: torch.Tensor, per_digit: int = SAMPLE_PER_DIGIT) -> torch.Tensor:
    """Test images to follow: the first `per_digit` of each digit, interleaved 0, 1, ..., 9, 0, 1, ...

    No random choice, so nothing to seed. Interleaved, so that every prefix of ten is balanced too
    (the page trains with a prefix) and no digit is drawn entirely on top of the others.
    """
    ranked = []
    for digit in range(10):
        for rank, index in enumerate((labels == digit).nonzero()[:per_digit, 0].tolist()):
            ranked.append((rank, digit, index))
    return torch.tensor([index for _, _, index in sorted(ranked)], dtype=torch.int64)


def moments(steps_per_epoch: int, epochs: int) -> list[int]:
    """The optimiser steps after which to record (0: before the first), dense where the code forms.

    Every epoch's end is one; a step of the dense start is left out when an epoch's end lies
    within half its gap, and stands in for it.
    """
    total = epochs * steps_per_epoch
    ends = set(range(steps_per_epoch, total + 1, steps_per_epoch))
    steps, step = {0}, 1
    while step < total:
        following = max(step + 1, round(step * GROWTH))
        gap = following - step
        if gap > steps_per_epoch:
            break
        if all(2 * abs(step - end) >= gap for end in ends):
            steps.add(step)
        step = following
    return sorted(steps | ends)


def steps_per_epoch(config: RunConfig) -> int:
    return math.ceil(config.train_size / config.batch_size)  # the last batch may be smaller


class Recorder:
    """The `on_step` hook of `train.train` that records a replay; `recording` is what it kept."""

    def __init__(self, config: RunConfig, data: MNIST, per_digit: int = SAMPLE_PER_DIGIT):
        labels = data.test_labels[:config.test_size]
        self.indices = sample_indices(labels, per_digit)
        self.images = data.test_images[self.indices]
        self.labels = labels[self.indices]
        self.config = config
        self.steps_per_epoch = steps_per_epoch(config)
        self.steps = moments(self.steps_per_epoch, config.epochs)
        self._wanted = set(self.steps)
        self._codes, self._test_loss, self._train_loss, self._recorded = [], [], [], []
        self._since: list[float] = []  # batch losses since the last moment

    @torch.no_grad()
    def __call__(self, step: int, model: Autoencoder, loss: torch.Tensor | None) -> None:
        if loss is not None:
            self._since.append(loss.item())
        if step not in self._wanted:
            return
        training = model.training
        model.eval()  # the denoiser adds no noise, and so draws no random numbers
        try:
            z = model.encode(self.images)
            test_loss = F.mse_loss(model.decode(z), self.images).item()
        finally:
            model.train(training)
        self._recorded.append(step)
        self._codes.append(z.clone())
        self._test_loss.append(test_loss)
        # The mean batch loss since the previous moment: once moments are an epoch apart,
        # exactly that epoch's loss in the run's history.
        self._train_loss.append(sum(self._since) / len(self._since) if self._since else None)
        self._since = []

    @property
    def recording(self) -> dict:
        """Plain data and tensors: `torch.save`-able and loadable with `weights_only=True`."""
        return {
            "format": FORMAT,
            "run": self.config.run_id,
            "indices": self.indices.clone(),  # test images, by their index in the test set
            "labels": self.labels.to(torch.uint8),
            "steps_per_epoch": self.steps_per_epoch,
            "epochs": self.config.epochs,
            "steps": list(self._recorded),
            "train_loss": list(self._train_loss),
            "test_loss": list(self._test_loss),
            "codes": torch.stack(self._codes) if self._codes else torch.empty(0),  # (moments, images, d)
        }


def to_bytes(recording: dict) -> bytes:
    """A recording as a file's bytes, for a run's cache entry (torch.save of plain data and tensors)."""
    buffer = io.BytesIO()
    torch.save(recording, buffer)
    return buffer.getvalue()


def from_bytes(blob: bytes) -> dict:
    """The recording `to_bytes` wrote; loaded with weights_only=True, so it can run no code."""
    return torch.load(io.BytesIO(blob), weights_only=True)


def record(config: RunConfig, data: MNIST):
    """Train `config` with a Recorder: the RunResult, its `recording` filled."""
    return train(config, data, on_step=Recorder(config, data))


# ---------------------------------------------------------------- packing for the page

def view(codes: np.ndarray) -> dict:
    """A square window on a moment's codes, as the page's map frames them: the middle 99% of
    each axis (far outliers would leave the clusters tiny), with a margin, equal scales."""
    low, high = np.quantile(codes, 0.005, axis=0), np.quantile(codes, 0.995, axis=0)
    span = 1.15 * float(max(high - low))
    return {"centre": [_short(v) for v in (low + high) / 2], "span": _short(span) if span > 0 else 1.0}


def pack_codes(codes: np.ndarray) -> tuple[dict, bytes]:
    """One moment's (N, d) codes as int16 on a grid spanning their range on each axis:
    code = low + (value + 32767) * unit."""
    codes = np.asarray(codes, dtype=np.float64)
    low, high = codes.min(0), codes.max(0)
    low = np.array([_short(v) for v in low])
    unit = np.array([_short(v) for v in np.where(high > low, (high - low) / 65_534, 1.0)])
    values = np.clip(np.rint((codes - low) / unit - 32_767), -32_768, 32_767).astype("<i2")
    return {"low": low.tolist(), "unit": unit.tolist()}, values.tobytes()


def _rounded(value: float | None) -> float | None:
    return None if value is None else _short(value)


def _short(value: float) -> float:
    """Seven significant digits: what a float32 holds, and a short JSON number."""
    return float(f"{value:.7g}")


def unpack_codes(frame: dict, blob: bytes, offset: int, count: int, dims: int) -> np.ndarray:
    values = np.frombuffer(blob, "<i2", count * dims, offset).reshape(count, dims).astype(np.float64)
    return np.asarray(frame["low"]) + (values + 32_767) * np.asarray(frame["unit"])


def pack_replay(recording: dict) -> tuple[dict, bytes]:
    """(description, bytes): the labels (uint8), then every moment's codes (int16), 4-byte aligned."""
    codes = recording["codes"].numpy()
    moments_count, count, dims = codes.shape
    labels = recording["labels"].numpy().astype(np.uint8).tobytes()
    blob = bytearray(labels + b"\0" * (-len(labels) % 4))
    frames, per_frame = [], count * dims * 2
    spe = recording["steps_per_epoch"]
    for k in range(moments_count):
        grid, values = pack_codes(codes[k])
        step = recording["steps"][k]
        frames.append({"step": step, "epoch": round(step / spe, 4), "train_loss": _rounded(recording["train_loss"][k]),
                       "test_loss": _short(recording["test_loss"][k]), **grid, **view(codes[k])})
        blob.extend(values)
    per_digit = np.bincount(recording["labels"].numpy(), minlength=10).tolist()
    description = {"format": FORMAT, "run": recording["run"], "count": count, "dims": dims, "per_digit": per_digit,
                   "labels": 0, "codes": len(labels) + (-len(labels) % 4), "frame_bytes": per_frame,
                   "steps_per_epoch": spe, "epochs": recording["epochs"], "frames": frames}
    return description, bytes(blob)


def run_length(pixels: np.ndarray) -> bytes:
    """uint8 pixels, mostly 0, as bytes: a run of n zeros as the pair (0, n), n from 1 to 255; any
    other value as itself. About a quarter of MNIST's size, the same bytes on every machine (a
    general compressor's output may depend on its version), and a few lines to decode."""
    flat = np.asarray(pixels, dtype=np.uint8).reshape(-1)
    out = bytearray()
    zero = np.concatenate([[False], flat == 0, [False]])
    starts = np.flatnonzero(zero[1:] & ~zero[:-1])
    ends = np.flatnonzero(~zero[1:] & zero[:-1])
    position = 0
    for start, end in zip(starts.tolist(), ends.tolist()):
        out.extend(flat[position:start].tobytes())
        length = end - start
        while length:
            n = min(length, 255)
            out.extend((0, n))
            length -= n
        position = end
    out.extend(flat[position:].tobytes())
    return bytes(out)


def unrun_length(blob: bytes, size: int) -> np.ndarray:
    """The inverse of `run_length`: `size` uint8 pixels."""
    out, o, i, data = np.zeros(size, np.uint8), 0, 0, memoryview(blob)
    while i < len(data):
        if data[i] == 0:
            o += data[i + 1]
            i += 2
        else:
            out[o] = data[i]
            o += 1
            i += 1
    if o != size:
        raise ValueError(f"run-length data decodes to {o} pixels, expected {size}")
    return out


def as_bytes(images: torch.Tensor) -> np.ndarray:
    """Images in [0, 1] as the uint8 they were made from (MNIST's pixels are whole multiples of 1/255)."""
    pixels = np.rint(images.numpy().reshape(len(images), -1) * 255).astype(np.uint8)
    if not np.array_equal(pixels.astype(np.float32) / np.float32(255), images.numpy().reshape(len(images), -1)):
        raise ValueError("images are not whole multiples of 1/255: they cannot be shipped as bytes")
    return pixels


def page_files(recording: dict, data: MNIST, metrics: dict[int, dict],
               config: RunConfig = CONFIG) -> dict[str, bytes]:
    """Every file of the Play page's replay and training, by path under docs/.

    `metrics` maps each seed the page offers (the build's) to its run's metrics: the page shows
    the run's loss per epoch beside the reader's own training, which uses that seed's training
    images. (Not its training time: the files must not depend on how fast the machine was.)"""
    description, codes = pack_replay(recording)
    live = min(LIVE_PER_DIGIT * 10, description["count"])
    sample = run_length(as_bytes(data.test_images[recording["indices"][:live]]))
    files = {"replay.bin": codes, "sample.bin": sample}
    seeds = {}
    for seed, run in sorted(metrics.items()):
        images = data.train_images[training_indices(data, config.train_size, seed)]
        name = f"train-s{seed}.bin"
        files[name] = run_length(as_bytes(images))
        seeds[str(seed)] = {"file": name, "bytes": len(files[name]), "run": replace(config, seed=seed).run_id,
                            "history": [_short(v) for v in run["history"]]}
    training = {"architecture": "fully_connected", "latent_dim": config.latent_dim,
                "batch_size": config.batch_size, "epochs": config.epochs, "learning_rate": config.learning_rate,
                "train_size": config.train_size, "seeds": seeds,
                "sample": {"file": "sample.bin", "count": live, "bytes": len(sample)}}
    index = {"format": FORMAT, "colours": list(DIGIT_COLOURS),
             "replay": {"file": "replay.bin", "bytes": len(codes), **description}, "training": training}
    # Compact: the page reads it before its first frame.
    files["replay.json"] = (json.dumps(index, separators=(",", ":"), sort_keys=True) + "\n").encode()
    return {f"{DIRECTORY}/{name}": payload for name, payload in sorted(files.items())}
