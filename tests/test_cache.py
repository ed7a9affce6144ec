"""The run cache: keys cover everything that changes a result; damaged entries are never trusted."""

from dataclasses import replace

import pytest

from autoencoders import cache
from autoencoders.cache import RunCache, imported_modules, run_key, source_hash
from autoencoders.experiments import RunConfig
from autoencoders.train import train

TINY = RunConfig("vanilla-d2", "vanilla", latent_dim=2, epochs=1, train_size=64, test_size=32)


def test_the_training_closure_is_found_by_reading_imports():
    assert imported_modules() == ["data", "experiments", "models", "train"]


def test_key_changes_with_every_field_of_the_config():
    base = run_key(TINY)
    assert run_key(TINY) == base
    for change in ({"seed": 1}, {"epochs": 2}, {"latent_dim": 3}, {"learning_rate": 1e-4},
                   {"noise_std": 0.2}, {"sparsity_weight": 1e-2}, {"train_size": 65}):
        assert run_key(replace(TINY, **change)) != base, change


def test_key_changes_with_the_source_and_the_environment(monkeypatch):
    base = run_key(TINY)
    assert run_key(TINY, sources=source_hash() + "edit") != base
    monkeypatch.setattr(cache, "environment", lambda: {"dataset": "x", "torch": "0", "numpy": "0"})
    assert run_key(TINY) != base


@pytest.fixture
def stored(tmp_path, mnist):
    store = RunCache(tmp_path)
    result = train(TINY, mnist)
    key = run_key(TINY)
    store.store(result, key)
    return store, key, result


def test_a_stored_run_comes_back_identical(stored):
    store, key, result = stored
    loaded, damage = store.load(TINY, key)
    assert damage is None
    assert loaded.metrics == result.metrics
    for name, tensor in result.model.state_dict().items():
        assert (loaded.model.state_dict()[name] == tensor).all()


def test_a_miss_is_not_damage(tmp_path):
    assert RunCache(tmp_path).load(TINY, "0" * 20) == (None, None)


@pytest.mark.parametrize("damage", ["truncate", "flip", "drop-json", "bad-json"])
def test_a_damaged_entry_is_reported_and_removed(stored, damage):
    store, key, _ = stored
    entry = store.path(TINY, key)
    model = entry / "model.pt"
    if damage == "truncate":
        model.write_bytes(model.read_bytes()[:1000])
    elif damage == "flip":
        blob = bytearray(model.read_bytes())
        blob[len(blob) // 2] ^= 1
        model.write_bytes(bytes(blob))
    elif damage == "drop-json":
        (entry / "result.json").unlink()
    else:
        (entry / "result.json").write_text("{not json")
    result, reason = store.load(TINY, key)
    assert result is None and reason
    assert not entry.exists()  # moved away, so the retrained run can take its place


def test_storing_twice_keeps_the_first_complete_entry(stored):
    store, key, result = stored
    store.store(result, key)  # as a concurrent build would
    assert store.load(TINY, key)[1] is None
    assert [p.name for p in store.root.iterdir()] == [store.path(TINY, key).name]


def test_an_unusable_cache_directory_is_a_clear_error(tmp_path, stored):
    _, key, result = stored
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    with pytest.raises(cache.CacheError, match="cannot write the cache"):
        RunCache(blocked).store(result, key)
