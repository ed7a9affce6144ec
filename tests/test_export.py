"""The models the Play page runs: int8 export, its files in the build, and what quantisation costs.

The browser side (the JavaScript equals PyTorch on these files) is tested in tests/test_widgets.py.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest
import torch

from autoencoders import export
from autoencoders.pipeline.engine import BuildError
from autoencoders.pipeline.make import inside_outputs
from autoencoders.models import ConvAutoencoder, VanillaAutoencoder
from conftest import REPO, run_cli, smoke_args, warm_copy

DOCS = REPO / "docs"
MODELS_DIR = DOCS / "assets" / "models"
BUDGET_BYTES = 2_500_000  # weights and codes for any one widget


def test_quantised_weights_are_within_half_a_step_of_the_trained_ones():
    weight = torch.randn(64, 100, generator=torch.Generator().manual_seed(1)).numpy()
    weight[3] = 0  # a dead row must not divide by zero
    values, scale = export.quantise_rows(weight)
    assert values.dtype == np.int8 and scale.dtype == np.float32
    assert np.abs(values).max() == 127
    error = np.abs(export.dequantise_rows(values, scale) - weight)
    assert (error <= scale[:, None] / 2 * (1 + 1e-6)).all()
    assert (values[3] == 0).all() and scale[3] == 1


@pytest.mark.parametrize("model", [VanillaAutoencoder(3), ConvAutoencoder(8)], ids=["vanilla", "conv"])
def test_pack_and_load_round_trip_to_the_dequantised_weights(model):
    description, blob = export.pack(model)
    assert export.pack(model) == (description, blob)  # same model, same bytes
    loaded = export.load(description, blob)
    for (name, original), (_, copy) in zip(model.state_dict().items(), loaded.state_dict().items()):
        if name.endswith("weight"):
            values, scale = export.quantise_rows(original.numpy().reshape(len(original), -1))
            assert torch.equal(copy, torch.from_numpy(export.dequantise_rows(values, scale)).view_as(original))
        else:
            assert torch.equal(copy, original)
    ops = [m for m in (*model.encoder, *model.decoder) if not isinstance(m, (torch.nn.Flatten, torch.nn.Unflatten))]
    assert [layer["op"] for layer in description["encoder"] + description["decoder"]] == [
        type(m).__name__.lower() for m in ops]
    assert all(layer[k] % export.ALIGN == 0 for layer in description["encoder"] + description["decoder"]
               if "weight" in layer for k in ("weight", "scale", "bias"))


def test_only_the_two_architectures_are_exported():
    with pytest.raises(TypeError, match="cannot export a Linear: not one of fully_connected, convolutional"):
        export.pack(torch.nn.Linear(2, 2))


def test_codes_survive_the_int16_grid():
    codes = np.random.default_rng(0).normal(size=(500, 2)) * [3, 40]
    description, blob = export.pack_codes(codes)
    assert len(blob) == 500 * 2 * 2
    back = export.unpack_codes(description, blob)
    assert np.abs(back - codes).max() <= max(description["step"]) / 2 * (1 + 1e-9)


@pytest.mark.parametrize("relative", ["/tmp/escape.bin", "../escape.bin", "assets/../../escape.bin", ""])
def test_an_extra_file_may_not_leave_the_outputs(relative):
    with pytest.raises(BuildError, match="figure play: extra file .* must be a relative path inside the outputs"):
        inside_outputs("play", relative)


# ---------------------------------------------------------------- in a build

def test_smoke_build_writes_and_lists_the_exported_files(smoke_build):
    out = smoke_build / "out"
    entry = json.loads((out / "results" / "figures.json").read_text())["play"]
    assert {"assets/models/index.json", "assets/models/map.bin", "assets/models/digits.bin",
            "assets/models/vanilla-d2.bin"} <= set(entry["files"])
    for relative, sha256 in entry["files"].items():
        assert hashlib.sha256((out / relative).read_bytes()).hexdigest() == sha256
    index = json.loads((out / "assets" / "models" / "index.json").read_text())
    assert index["models"]["vanilla-d2"]["run"] == "vanilla-d2-s0"  # the lowest seed of 0 and 1


def test_exported_files_are_deterministic_and_checked(smoke_build, tmp_path):
    """Rendered again from the same runs: the same bytes; a damaged file makes --check fail, naming it."""
    out, cache = warm_copy(smoke_build, tmp_path)
    done = run_cli(*smoke_args(out, cache), "--only", "play")
    assert done.returncode == 0, done.stderr
    assert "rendered 1 figures" in done.stdout
    for path in sorted((smoke_build / "out" / "assets" / "models").iterdir()):
        assert (out / "assets" / "models" / path.name).read_bytes() == path.read_bytes(), path.name

    check = [*smoke_args(smoke_build / "out", smoke_build / "cache"), "--check"]
    assert run_cli(*check).returncode == 0
    damaged = smoke_build / "out" / "assets" / "models" / "vanilla-d32.bin"
    original = damaged.read_bytes()
    try:
        damaged.write_bytes(original[:-1] + bytes([original[-1] ^ 1]))
        done = run_cli(*check)
        assert done.returncode == 1
        assert "figure play: assets/models/vanilla-d32.bin is missing or differs from what was built" in done.stdout
    finally:
        damaged.write_bytes(original)


# ---------------------------------------------------------------- the committed outputs

def test_quantisation_changes_each_models_test_error_by_less_than_one_percent():
    numbers = json.loads((DOCS / "results" / "numbers.json").read_text())
    for name in ("vanilla-d2", "vanilla-d32", "denoising-d32"):
        change = float(numbers[f"fig.play.mse.{name}.change"].rstrip("%"))
        assert abs(change) < 1.0, f"{name}: int8 changes the test MSE by {change}%"
        int8, float32 = (float(numbers[f"fig.play.mse.{name}.{kind}"]) for kind in ("int8", "float32"))
        # The 4-digit numbers agree with the published change, within what rounding them to 4 digits allows.
        rounding = 100 * 0.00005 * (1 / int8 + 1 / float32) + 0.01
        assert abs(100 * (int8 / float32 - 1) - change) <= rounding


def test_each_widget_stays_within_its_byte_budget():
    index = json.loads((MODELS_DIR / "index.json").read_text())
    for widget, spec in index["widgets"].items():
        files = ["index.json", *(index["models"][m]["file"] for m in spec["models"]), *spec["files"]]
        size = sum((MODELS_DIR / f).stat().st_size for f in files)
        assert size <= BUDGET_BYTES, f"{widget}: {size:,} bytes"
        print(f"{widget}: {size:,} bytes")
