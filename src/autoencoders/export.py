"""Trained models as compact files that the site's pages run in the reader's browser.

A fully connected model is stored as one binary file of its Linear layers, in order, each as
int8 weights (out x in, row-major), one float32 scale per row and float32 biases, all little-endian
and 4-byte aligned; a JSON description lists the layers (with the activations between them) and
their byte offsets. Per-row int8 quantisation keeps each row's largest weight exact to 1/254 of
its size, and makes a model four times smaller than float32.

`load` rebuilds a PyTorch model from those bytes, with exactly the weights the browser computes
with: what the build measures and what the tests compare against is what the page ships.
Not imported by the training, so it is not part of any run's cache key.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .models import VanillaAutoencoder

ALIGN = 4  # Float32Array views need 4-byte aligned offsets
ACTIVATIONS = {nn.ReLU: "relu", nn.Sigmoid: "sigmoid"}
LAYERS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid}


def quantise_rows(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """int8 values and a float32 scale per row, with weight ≈ values * scale (largest |weight| -> ±127)."""
    weight = np.asarray(weight, dtype=np.float32)
    peak = np.abs(weight).max(axis=1)
    scale = np.where(peak > 0, peak / 127, 1).astype(np.float32)
    values = np.clip(np.rint(weight / scale[:, None]), -127, 127).astype(np.int8)
    return values, scale


def dequantise_rows(values: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """The float32 weights the page computes with (an int8 times a float32 is exact before rounding)."""
    return values.astype(np.float32) * scale[:, None]


def _layers(stack: nn.Sequential) -> list[nn.Module]:
    """The layers that compute; Flatten and Unflatten only reshape, and the export is flat already."""
    return [m for m in stack if not isinstance(m, (nn.Flatten, nn.Unflatten))]


def pack(model: VanillaAutoencoder) -> tuple[dict, bytes]:
    """(description, bytes) of a fully connected autoencoder, quantised."""
    if not isinstance(model, VanillaAutoencoder):
        raise TypeError(f"only fully connected autoencoders can be exported, not {type(model).__name__}")
    blob = bytearray()

    def put(array: np.ndarray) -> int:
        offset = len(blob)
        blob.extend(array.tobytes())
        blob.extend(b"\0" * (-len(blob) % ALIGN))
        return offset

    description = {"latent_dim": model.latent_dim}
    for part in ("encoder", "decoder"):
        layers = []
        for layer in _layers(getattr(model, part)):
            if isinstance(layer, nn.Linear):
                values, scale = quantise_rows(layer.weight.detach().numpy())
                layers.append({"op": "linear", "in": layer.in_features, "out": layer.out_features,
                               "weight": put(values), "scale": put(scale.astype("<f4")),
                               "bias": put(layer.bias.detach().numpy().astype("<f4"))})
            elif type(layer) in ACTIVATIONS:
                layers.append({"op": ACTIVATIONS[type(layer)]})
            else:
                raise TypeError(f"cannot export a {type(layer).__name__} layer")
        description[part] = layers
    return description, bytes(blob)


def load(description: dict, blob: bytes) -> VanillaAutoencoder:
    """The PyTorch model that `pack` described, with the dequantised weights, in evaluation mode."""
    model = VanillaAutoencoder(description["latent_dim"])
    for part in ("encoder", "decoder"):
        layers = _layers(getattr(model, part))
        if [_op(m) for m in layers] != [layer["op"] for layer in description[part]]:
            raise ValueError(f"the exported {part} does not have the layers of a fully connected autoencoder")
        for module, layer in zip(layers, description[part]):
            if layer["op"] != "linear":
                continue
            rows, columns = layer["out"], layer["in"]
            values = np.frombuffer(blob, np.int8, rows * columns, layer["weight"]).reshape(rows, columns)
            scale = np.frombuffer(blob, "<f4", rows, layer["scale"])
            with torch.no_grad():
                module.weight.copy_(torch.from_numpy(dequantise_rows(values, scale)))
                module.bias.copy_(torch.from_numpy(np.frombuffer(blob, "<f4", rows, layer["bias"]).copy()))
    return model.eval()


def _op(module: nn.Module) -> str:
    return "linear" if isinstance(module, nn.Linear) else ACTIVATIONS.get(type(module), type(module).__name__)


def pack_codes(codes: np.ndarray) -> tuple[dict, bytes]:
    """(N, d) codes as int16 on a per-dimension grid spanning their range: plenty for drawing a map."""
    codes = np.asarray(codes, dtype=np.float64)
    low, high = codes.min(0), codes.max(0)
    step = np.where(high > low, (high - low) / 65_534, 1.0)
    values = np.rint((codes - low) / step - 32_767).astype("<i2")
    return {"count": len(codes), "dims": codes.shape[1], "low": [float(v) for v in low],
            "step": [float(v) for v in step]}, values.tobytes()


def unpack_codes(description: dict, blob: bytes) -> np.ndarray:
    values = np.frombuffer(blob, "<i2").reshape(description["count"], description["dims"]).astype(np.float64)
    return np.asarray(description["low"]) + (values + 32_767) * np.asarray(description["step"])
