#!/usr/bin/env python3
"""Benchmark: our training path against the loop most PyTorch tutorials write, side by side.

    .venv/bin/python tests/benchmark.py                # 30 epochs, the five configurations, seed 0
    .venv/bin/python tests/benchmark.py --epochs 5     # a quick look; the ratio is what counts
    .venv/bin/python tests/benchmark.py --repeats 3    # alternate the two sides, report medians

Each side runs in its own fresh process (so peak memory is its own), on the same MNIST files,
the same five configurations and the same seed:
  reference  torchvision.datasets.MNIST + ToTensor, Subset, DataLoader(batch_size=128,
             shuffle=True), default Adam, the loss written out in the loop;
  ours       autoencoders.train.train, cold (no cache), data loaded by autoencoders.data.
It prints both times, their ratio, each side's peak memory, and the final losses of both,
which must agree within seed noise (the two sides draw different subsets and orders).
This is a script, not a test: timings belong in measurements, not in assertions.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
CACHE = REPO / ".cache"


def reference(epochs: int) -> dict:
    """The way most tutorials write it: per-image transforms and a DataLoader."""
    import torch
    from torch import nn
    from torch.utils.data import DataLoader, Subset
    from torchvision import datasets, transforms

    from autoencoders.data import load_mnist
    from autoencoders.experiments import CONFIGURATIONS

    load_mnist(CACHE)  # make sure the verified files exist; not timed below
    started = time.perf_counter()
    losses = {}
    for config in CONFIGURATIONS:
        torch.manual_seed(config.seed)
        train_set = datasets.MNIST(str(CACHE / "mnist"), train=True, download=False,
                                   transform=transforms.ToTensor())
        indices = torch.randperm(len(train_set))[:config.train_size].tolist()
        loader = DataLoader(Subset(train_set, indices), batch_size=config.batch_size, shuffle=True)
        model = config.build_model()
        optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
        criterion = nn.MSELoss()
        model.train()
        for _ in range(epochs):
            total = 0.0
            for images, _ in loader:
                if config.variant == "sparse":
                    z = model.encode(images)
                    loss = criterion(model.decode(z), images) + config.sparsity_weight * z.abs().mean()
                else:
                    loss = criterion(model(images), images)  # the denoiser adds its noise itself
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item()
            final = total / len(loader)
        test_set = datasets.MNIST(str(CACHE / "mnist"), train=False, download=False,
                                  transform=transforms.ToTensor())
        model.eval()
        with torch.no_grad():
            error = sum(criterion(model(x), x).item() * len(x) for x, _ in DataLoader(test_set, batch_size=1000))
        losses[config.name] = {"final_loss": final, "test_mse": error / len(test_set)}
    return {"seconds": time.perf_counter() - started, "losses": losses}


def ours(epochs: int) -> dict:
    from dataclasses import replace

    from autoencoders.data import load_mnist
    from autoencoders.experiments import CONFIGURATIONS
    from autoencoders.train import train

    started = time.perf_counter()
    data = load_mnist(CACHE)
    losses = {}
    for config in CONFIGURATIONS:
        metrics = train(replace(config, epochs=epochs), data).metrics
        losses[config.name] = {"final_loss": metrics["final_loss"], "test_mse": metrics["test_mse"]}
    return {"seconds": time.perf_counter() - started, "losses": losses}


def side(name: str, epochs: int) -> dict:
    """Run one side in a fresh interpreter and return its timing, losses and peak memory."""
    done = subprocess.run([sys.executable, __file__, "--side", name, "--epochs", str(epochs)],
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--side", choices=("reference", "ours"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.side:
        result = (reference if args.side == "reference" else ours)(args.epochs)
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    runs = {"reference": [], "ours": []}
    for repeat in range(args.repeats):  # alternate, so drift in machine speed hits both sides
        for name in runs:
            runs[name].append(side(name, args.epochs))
            print(f"  run {repeat + 1}/{args.repeats} {name:<9} {runs[name][-1]['seconds']:7.1f} s", flush=True)
    ratios = [o["seconds"] / r["seconds"] for o, r in zip(runs["ours"], runs["reference"])]
    print(f"\nfive configurations, seed 0, {args.epochs} epochs, {args.repeats} repeat(s), median of each:")
    for name, results in runs.items():
        print(f"  {name:<9} {statistics.median(x['seconds'] for x in results):7.1f} s   "
              f"peak memory {max(x['peak_mb'] for x in results):6.0f} MB")
    print(f"  ratio ours / reference: {statistics.median(ratios):.3f} (per repeat: "
          f"{', '.join(f'{r:.3f}' for r in ratios)})")
    print("\nfinal training loss (test MSE), last repeat:")
    print(f"  {'configuration':<15} {'reference':>18} {'ours':>18}")
    for config in runs["ours"][-1]["losses"]:
        r, o = runs["reference"][-1]["losses"][config], runs["ours"][-1]["losses"][config]
        print(f"  {config:<15} {r['final_loss']:.4f} ({r['test_mse']:.4f})  {o['final_loss']:.4f} ({o['test_mse']:.4f})")


if __name__ == "__main__":
    main()
