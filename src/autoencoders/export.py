"""Trained models as compact files that the site's pages run in the reader's browser.

A model is stored as one binary file of its weighted layers (Linear, Conv2d, ConvTranspose2d), in
order, each as int8 weights (PyTorch's weight tensor, row-major, its first dimension being the
rows), one float32 scale per row and float32 biases, all little-endian and 4-byte aligned; a JSON
description lists the layers (with the activations between them) and their byte offsets. Per-row
int8 quantisation keeps each row's largest weight exact to 1/254 of its size, and makes a model
four times smaller than float32. Flatten and Unflatten are not stored: the page keeps every
tensor flat, in PyTorch's (channel, row, column) order, and a convolution reads its input's
height and width from its length.

`load` rebuilds a PyTorch model from those bytes, with exactly the weights the browser computes
with: what the build measures and what the tests compare against is what the page ships.
Not imported by the training, so it is not part of any run's cache key.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .models import Autoencoder, ConvAutoencoder, VanillaAutoencoder

ALIGN = 4  # Float32Array views need 4-byte aligned offsets
OPS = {nn.Linear: "linear", nn.Conv2d: "conv2d", nn.ConvTranspose2d: "convtranspose2d",
       nn.ReLU: "relu", nn.Sigmoid: "sigmoid"}
ARCHITECTURES = {"fully_connected": VanillaAutoencoder, "convolutional": ConvAutoencoder}


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


def pack(model: Autoencoder) -> tuple[dict, bytes]:
    """(description, bytes) of an autoencoder, quantised."""
    architecture = next((name for name, kind in ARCHITECTURES.items() if isinstance(model, kind)), None)
    if architecture is None:
        raise TypeError(f"cannot export a {type(model).__name__}: not one of {', '.join(ARCHITECTURES)}")
    blob = bytearray()

    def put(array: np.ndarray) -> int:
        offset = len(blob)
        blob.extend(array.tobytes())
        blob.extend(b"\0" * (-len(blob) % ALIGN))
        return offset

    description = {"architecture": architecture, "latent_dim": model.latent_dim}
    for part in ("encoder", "decoder"):
        layers = []
        for layer in _layers(getattr(model, part)):
            op = _op(layer)
            if op not in OPS.values():
                raise TypeError(f"cannot export a {op} layer")
            entry = {"op": op}
            if hasattr(layer, "weight"):
                weight = layer.weight.detach().numpy()
                values, scale = quantise_rows(weight.reshape(len(weight), -1))
                entry |= {"rows": values.shape[0], "columns": values.shape[1], "weight": put(values),
                          "scale": put(scale.astype("<f4")), "bias": put(layer.bias.detach().numpy().astype("<f4"))}
            if isinstance(layer, nn.Linear):
                entry |= {"in": layer.in_features, "out": layer.out_features}
            elif isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
                entry |= {"in": layer.in_channels, "out": layer.out_channels, "kernel": layer.kernel_size[0],
                          "stride": layer.stride[0], "padding": layer.padding[0]}
                if isinstance(layer, nn.ConvTranspose2d):
                    entry["output_padding"] = layer.output_padding[0]
            layers.append(entry)
        description[part] = layers
    return description, bytes(blob)


def load(description: dict, blob: bytes) -> Autoencoder:
    """The PyTorch model that `pack` described, with the dequantised weights, in evaluation mode."""
    model = ARCHITECTURES[description["architecture"]](description["latent_dim"])
    for part in ("encoder", "decoder"):
        layers = _layers(getattr(model, part))
        if [_op(m) for m in layers] != [layer["op"] for layer in description[part]]:
            raise ValueError(f"the exported {part} does not have the layers of a {description['architecture']} model")
        for module, layer in zip(layers, description[part]):
            if "weight" not in layer:
                continue
            rows, columns = layer["rows"], layer["columns"]
            values = np.frombuffer(blob, np.int8, rows * columns, layer["weight"]).reshape(rows, columns)
            scale = np.frombuffer(blob, "<f4", rows, layer["scale"])
            with torch.no_grad():
                module.weight.copy_(torch.from_numpy(dequantise_rows(values, scale)).view_as(module.weight))
                module.bias.copy_(torch.from_numpy(np.frombuffer(blob, "<f4", layer["out"], layer["bias"]).copy()))
    return model.eval()


def _op(module: nn.Module) -> str:
    return OPS.get(type(module), type(module).__name__)


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
