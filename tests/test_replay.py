"""The replay's recorder and packing: recording leaves a run's numbers untouched, and the page's files
decode to what was recorded, within their budget."""

from __future__ import annotations

import io
import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from autoencoders import replay
from autoencoders.data import training_indices
from autoencoders.experiments import RunConfig
from autoencoders.train import train

SHORT = dict(epochs=2, train_size=300, test_size=600)  # 3 steps an epoch, the last batch of 44 images


def weights(model: torch.nn.Module) -> bytes:
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("variant", ["vanilla", "denoising"])  # the denoiser draws from the global generator
def test_recording_leaves_the_run_byte_identical(mnist, variant):
    config = RunConfig(f"{variant}-d2", variant, latent_dim=2, seed=3, **SHORT)
    plain = train(config, mnist)
    modes = []
    recorder = replay.Recorder(config, mnist, per_digit=20)

    def watched(step, model, loss):
        recorder(step, model, loss)
        modes.append(model.training)  # what the recorder left behind

    recorded = train(config, mnist, on_step=watched)
    assert all(modes) and len(modes) == 1 + 2 * 3
    assert weights(recorded.model) == weights(plain.model)
    assert recorded.metrics["history"] == plain.metrics["history"]
    assert recorded.recording is None  # a plain function keeps nothing
    assert plain.recording is None
    assert train(config, mnist, on_step=recorder).recording is not None


def test_the_recording_holds_every_moment_and_loads_safely(mnist):
    config = RunConfig("vanilla-d2", "vanilla", latent_dim=2, seed=1, **SHORT)
    result = replay.record(config, mnist)
    recording = result.recording
    assert recording["steps"] == replay.moments(3, 2) == [0, 1, 2, 3, 4, 5, 6]
    assert recording["codes"].shape == (7, len(recording["labels"]), 2)
    assert recording["train_loss"][0] is None and all(v > 0 for v in recording["train_loss"][1:])
    # The last moment's codes are the trained model's codes of the sample.
    with torch.no_grad():
        final = result.model.encode(mnist.test_images[recording["indices"]])
    assert torch.equal(recording["codes"][-1], final)
    loaded = replay.from_bytes(replay.to_bytes(recording))
    assert loaded["steps"] == recording["steps"] and torch.equal(loaded["codes"], recording["codes"])
    assert replay.to_bytes(loaded) == replay.to_bytes(recording)


def test_moments_are_dense_at_the_start_then_one_per_epoch():
    steps = replay.moments(40, 30)
    assert 40 <= len(steps) <= 60
    assert steps[:10] == list(range(10))  # every step at first
    assert steps == sorted(set(steps)) and steps[-1] == 30 * 40
    assert set(range(40, 1201, 40)) <= set(steps)
    assert all(b - a <= 40 for a, b in zip(steps, steps[1:]))
    assert all(b - a == 40 for a, b in zip(steps, steps[1:]) if a >= 240)
    assert replay.moments(2, 1) == [0, 1, 2]


def test_the_sample_is_balanced_interleaved_and_fixed(mnist):
    labels = mnist.test_labels
    indices = replay.sample_indices(labels)
    assert len(indices) == 10 * replay.SAMPLE_PER_DIGIT and len(set(indices.tolist())) == len(indices)
    assert labels[indices][:20].tolist() == list(range(10)) * 2
    for prefix in (10, 500, 1000):
        assert torch.bincount(labels[indices[:prefix]], minlength=10).tolist() == [prefix // 10] * 10
    first_zeros = (labels == 0).nonzero()[:replay.SAMPLE_PER_DIGIT, 0]
    assert torch.equal(indices[labels[indices] == 0], first_zeros)


def synthetic_recording(moments: int, count: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    scale = np.geomspace(0.05, 10, moments)[:, None, None]
    codes = rng.normal(size=(moments, count, 2)) * scale + rng.normal(size=(moments, 1, 2))
    return {"run": "vanilla-d2-s0", "indices": torch.arange(count), "labels": torch.arange(count) % 10,
            "steps_per_epoch": 40, "epochs": 30, "steps": list(range(moments)),
            "train_loss": [None] + [0.1] * (moments - 1), "test_loss": [0.2] * moments,
            "codes": torch.tensor(codes, dtype=torch.float32)}


def test_the_packed_replay_decodes_to_the_codes_within_its_budget():
    steps = replay.moments(replay.steps_per_epoch(replay.CONFIG), replay.CONFIG.epochs)
    recording = synthetic_recording(len(steps), 10 * replay.SAMPLE_PER_DIGIT)
    description, blob = replay.pack_replay(recording)
    assert len(blob) <= 300_000, f"{len(blob):,} bytes"
    count = description["count"]
    assert np.array_equal(np.frombuffer(blob, np.uint8, count, description["labels"]), np.arange(count) % 10)
    codes = recording["codes"].numpy()
    for k, frame in enumerate(description["frames"]):
        offset = description["codes"] + k * description["frame_bytes"]
        decoded = replay.unpack_codes(frame, blob, offset, count, 2)
        assert np.abs(decoded - codes[k]).max() <= 0.51 * max(frame["unit"]) + 1e-6 * np.abs(codes[k]).max()
        assert frame["step"] == k and frame["span"] > 0
    assert description["codes"] % 4 == 0  # an Int16Array view needs an even offset; 4 keeps it simple


@pytest.mark.parametrize("pixels", [
    np.zeros(1000, np.uint8), np.full(700, 255, np.uint8), np.array([], np.uint8),
    np.array([0] * 600 + [7] + [0] * 256 + [1, 2, 0], np.uint8),
    np.random.default_rng(0).choice([0, 0, 0, 0, 1, 128, 255], size=5000).astype(np.uint8),
])
def test_run_length_round_trips(pixels):
    blob = replay.run_length(pixels)
    assert np.array_equal(replay.unrun_length(blob, len(pixels)), pixels)
    if pixels.size:
        assert replay.unrun_length(blob, len(pixels)).dtype == np.uint8
    with pytest.raises(ValueError):
        replay.unrun_length(blob, len(pixels) + 1)


def test_page_files_are_deterministic_and_hold_each_seeds_training_images(mnist):
    config = replace(replay.CONFIG, **SHORT)
    recording = replay.record(config, mnist).recording
    metrics = {0: {"history": [0.1, 0.05], "train_seconds": 1.0}, 4: {"history": [0.2, 0.1], "train_seconds": 2.5}}
    slower = {seed: {**m, "train_seconds": 10 * m["train_seconds"]} for seed, m in metrics.items()}
    files = replay.page_files(recording, mnist, metrics, config)
    assert files == replay.page_files(recording, mnist, metrics, config)
    assert files == replay.page_files(recording, mnist, slower, config)  # whatever the machine's speed
    index = json.loads(files[f"{replay.DIRECTORY}/replay.json"])
    assert set(index["training"]["seeds"]) == {"0", "4"}
    for seed in (0, 4):
        entry = index["training"]["seeds"][str(seed)]
        blob = files[f"{replay.DIRECTORY}/{entry['file']}"]
        assert entry["bytes"] == len(blob) and entry["history"] == metrics[seed]["history"]
        pixels = replay.unrun_length(blob, config.train_size * 784).reshape(-1, 784)
        expected = mnist.train_images[training_indices(mnist, config.train_size, seed)].reshape(-1, 784)
        assert torch.equal(torch.from_numpy(pixels).float().div_(255), expected)  # as data.py scales them
    sample = index["training"]["sample"]
    pixels = replay.unrun_length(files[f"{replay.DIRECTORY}/sample.bin"], sample["count"] * 784)
    expected = mnist.test_images[recording["indices"][:sample["count"]]].reshape(-1)
    assert torch.equal(torch.from_numpy(pixels).float().div_(255), expected)
