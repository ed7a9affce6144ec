"""The convolutional model's shape walk-through, as Part 2 shows it: one row per layer.

The shapes are not typed anywhere: a dummy batch runs through the layers of `ConvAutoencoder`
and each layer reports what it produced, so the table changes whenever the model does. It needs
no data and no training, and it is deterministic (the batch is zeros; only shapes are read).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .models import IMAGE_SIDE, ConvAutoencoder, count_parameters

LATENT_DIM = 32  # the width Part 2 and Part 3 use for the convolutional model


def describe(layer: nn.Module) -> str:
    """A short name for a layer that fits a phone-width table cell: "Conv2d 1→16, 3×3, stride 2"."""
    if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
        (k, _), (s, _) = layer.kernel_size, layer.stride
        return f"{type(layer).__name__} {layer.in_channels}→{layer.out_channels}, {k}×{k}, stride {s}"
    if isinstance(layer, nn.Linear):
        return f"Linear {layer.in_features:,}→{layer.out_features:,}"
    return type(layer).__name__


def walk(model: nn.Module) -> list[tuple[str, str, tuple[int, ...], int]]:
    """(part, layer, output shape without the batch axis, parameters) for every layer, input first."""
    x = torch.zeros(1, 1, IMAGE_SIDE, IMAGE_SIDE)
    rows = [("input", "image", tuple(x.shape[1:]), 0)]
    with torch.no_grad():
        for part, stack in (("encoder", model.encoder), ("decoder", model.decoder)):
            for layer in stack:
                x = layer(x)
                rows.append((part, describe(layer), tuple(x.shape[1:]), count_parameters(layer)))
    return rows


def shapes_markdown(latent_dim: int = LATENT_DIM) -> str:
    """The Markdown table that Part 2 includes (docs/results/shapes.md)."""
    model = ConvAutoencoder(latent_dim)
    lines = ["| Part | Layer | Output shape | Numbers per image | Parameters |",
             "|---|---|---|---:|---:|"]
    for part, layer, shape, parameters in walk(model):
        shown = "(B, " + ", ".join(map(str, shape)) + ")"
        lines.append(f"| {part} | {layer} | `{shown}` | {math.prod(shape):,} | {parameters:,} |")
    lines += ["", f"A batch of B images through `ConvAutoencoder({latent_dim})`, layer by layer; "
              f"{count_parameters(model):,} parameters in all. Computed by the build from the model itself."]
    return "\n".join(lines) + "\n"
