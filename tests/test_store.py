"""The run cache and the writes: an entry is all or nothing, a damaged one is never trusted, its digest is its content."""

import json

import pytest

from autoencoders.experiments import RunConfig
from autoencoders.pipeline import store
from autoencoders.pipeline.store import RunCache, StoreError, run_digest, weights_digest, write_atomically
from autoencoders.train import train

TINY = RunConfig("vanilla-d2", "vanilla", latent_dim=2, epochs=1, train_size=64, test_size=32)
KEY = "0123456789abcdef0123"


@pytest.fixture
def stored(tmp_path, mnist):
    cache = RunCache(tmp_path)
    result = train(TINY, mnist)
    record = cache.store(result, KEY)
    return cache, record, result


def test_a_stored_run_comes_back_identical_with_its_digest(stored):
    cache, record, result = stored
    loaded, damage = cache.load(TINY, KEY)
    assert damage is None
    assert loaded.metrics == result.metrics
    for name, tensor in result.model.state_dict().items():
        assert (loaded.model.state_dict()[name] == tensor).all()
    assert record["digest"] == run_digest(weights_digest(result.model.state_dict()), result.metrics)
    assert cache.record(TINY.run_id, KEY) == json.loads((cache.path(TINY.run_id, KEY) / "result.json").read_text())


def test_the_digest_is_the_weights_and_metrics_not_their_timing(stored):
    _, record, result = stored
    weights = weights_digest(result.model.state_dict())
    assert run_digest(weights, {**result.metrics, "train_seconds": 1e9}) == record["digest"]
    assert run_digest(weights, {**result.metrics, "test_mse": 0.5}) != record["digest"]
    changed = {k: v.clone() for k, v in result.model.state_dict().items()}
    next(iter(changed.values())).view(-1)[0] += 1e-6
    assert weights_digest(changed) != weights


def test_a_miss_is_not_damage(tmp_path):
    assert RunCache(tmp_path).load(TINY, KEY) == (None, None)
    assert RunCache(tmp_path).record(TINY.run_id, KEY) is None


@pytest.mark.parametrize("damage", ["truncate", "flip", "drop-json", "bad-json", "other-weights"])
def test_a_damaged_entry_is_reported_and_removed(stored, damage):
    cache, _, _ = stored
    entry = cache.path(TINY.run_id, KEY)
    model, result_json = entry / "model.pt", entry / "result.json"
    if damage == "truncate":
        model.write_bytes(model.read_bytes()[:1000])
    elif damage == "flip":
        blob = bytearray(model.read_bytes())
        blob[len(blob) // 2] ^= 1
        model.write_bytes(bytes(blob))
    elif damage == "drop-json":
        result_json.unlink()
    elif damage == "bad-json":
        result_json.write_text("{not json")
    else:  # metrics that do not belong to these weights, with a matching file hash: the digest tells
        record = json.loads(result_json.read_text())
        record["metrics"]["test_mse"] *= 2
        result_json.write_text(json.dumps(record))
    result, reason = cache.load(TINY, KEY)
    assert result is None and reason
    assert not entry.exists()  # moved away, so the retrained run can take its place


def test_storing_twice_keeps_the_first_complete_entry(stored):
    cache, record, result = stored
    assert cache.store(result, KEY) == record  # as a concurrent build would
    assert cache.load(TINY, KEY)[1] is None
    assert [p.name for p in cache.root.iterdir()] == [cache.path(TINY.run_id, KEY).name]


def test_a_recording_travels_with_its_run_and_enters_its_digest(tmp_path, mnist):
    import torch

    cache = RunCache(tmp_path)
    result = train(TINY, mnist)
    result.recording = {"codes": torch.arange(6, dtype=torch.int16).reshape(3, 2), "loss": [None, 0.25], "steps": [0, 1]}
    record = cache.store(result, KEY)
    loaded, damage = cache.load(TINY, KEY)
    assert damage is None and sorted(loaded.recording) == ["codes", "loss", "steps"]
    assert (loaded.recording["codes"] == result.recording["codes"]).all()
    plain = run_digest(weights_digest(result.model.state_dict()), result.metrics)
    assert record["digest"] != plain
    again = RunCache(tmp_path / "again").store(result, KEY)
    assert again["recording_sha256"] == record["recording_sha256"], "the archive's bytes depend on its content only"


def test_an_unusable_cache_directory_is_a_clear_error(tmp_path, stored):
    _, _, result = stored
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    with pytest.raises(StoreError, match="cannot write the cache"):
        RunCache(blocked).store(result, KEY)


def test_an_atomic_write_leaves_the_old_file_or_the_new_one(tmp_path, monkeypatch):
    path = tmp_path / "out.json"
    write_atomically(path, b"old")

    def fail(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(store.os, "replace", fail)
    with pytest.raises(StoreError, match="cannot write .*out.json: No space left on device"):
        write_atomically(path, b"new")
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["out.json"]
