#!/usr/bin/env python3
"""Benchmark: which CPU settings change the bytes a run produces, and what each costs, side by side.

    .venv/bin/python tests/benchmark_numerics.py               # 30 epochs, vanilla d = 32 and conv d = 32
    .venv/bin/python tests/benchmark_numerics.py --epochs 3    # a quick look
    .venv/bin/python tests/benchmark_numerics.py --repeats 3   # the settings in turn, three rounds; medians

Each setting trains the same runs (seed 0) in a fresh process whose environment holds that setting only
(the package's own pinning is bypassed: torch loads before it), on one thread. For every setting and model
it prints the weights' digest, whether those bytes equal the unpinned default's, the training time and
its ratio to the default's: a setting that changes the bytes on this machine is one the numbers depend
on here; the pinned row is what the build uses. This is a script, not a test: timings belong in
measurements, not in assertions.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from autoencoders.numerics import PINNED  # noqa: E402

THREADS = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
SETTINGS = {
    "default (unpinned)": {},
    "ATEN_CPU_CAPABILITY=avx2": {"ATEN_CPU_CAPABILITY": "avx2"},
    "ATEN_CPU_CAPABILITY=default": {"ATEN_CPU_CAPABILITY": "default"},
    "MKL_CBWR=AVX2": {"MKL_CBWR": "AVX2"},
    "MKL_CBWR=SSE4_2": {"MKL_CBWR": "SSE4_2"},
    "MKL_CBWR=COMPATIBLE": {"MKL_CBWR": "COMPATIBLE"},
    "ONEDNN_MAX_CPU_ISA=AVX2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "all pinned (the build)": dict(PINNED),
}
MODELS = ("vanilla-d32", "conv-d32")

CHILD = """
import json, sys, time
import torch  # before the package, so that its pinning leaves this environment as it is
sys.path.insert(0, {src!r})
import autoencoders
from dataclasses import replace
from autoencoders.data import load_mnist
from autoencoders.experiments import CONFIGS
from autoencoders.pipeline.store import weights_digest
from autoencoders.train import train
torch.set_num_threads(1)
data = load_mnist({cache!r})
found = {{"capability": torch.backends.cpu.get_cpu_capability()}}
for name in {models!r}:
    config = replace(CONFIGS[name], epochs={epochs})
    result = train.__wrapped__(config, data)  # the loop itself, without the check that the pins took effect
    found[name] = [weights_digest(result.model.state_dict())[:12], result.metrics["train_seconds"]]
print(json.dumps(found))
"""


def run(setting: dict, epochs: int) -> dict:
    base = {k: v for k, v in __import__("os").environ.items() if k not in PINNED}
    code = CHILD.format(src=str(REPO / "src"), cache=str(REPO / ".cache"), models=MODELS, epochs=epochs)
    done = subprocess.run([sys.executable, "-c", code], env={**base, **THREADS, **setting},
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    rounds = {name: [] for name in SETTINGS}
    for _ in range(args.repeats):  # the settings in turn, round after round: drift of the machine is shared
        for name, setting in SETTINGS.items():
            rounds[name].append(run(setting, args.epochs))
    default = rounds["default (unpinned)"]
    print(f"{args.epochs} epochs, seed 0, one thread; medians of {args.repeats} round(s); "
          f"CPU capability unpinned: {default[0]['capability']}")
    header = f"{'setting':<30} {'kernels':<8}" + "".join(f" | {m + ' bytes':<22} {'time':>7} {'ratio':>6}"
                                                       for m in MODELS)
    print(header)
    print("-" * len(header))
    for name, found in rounds.items():
        cells = []
        for model in MODELS:
            digest = found[0][model][0]
            same = "= default" if digest == default[0][model][0] else "other bytes"
            seconds = statistics.median(f[model][1] for f in found)
            ratio = seconds / statistics.median(f[model][1] for f in default)
            cells.append(f" | {digest[:8]} {same:<13} {seconds:6.1f}s {ratio:5.2f}x")
        print(f"{name:<30} {found[0]['capability']:<8}" + "".join(cells))


if __name__ == "__main__":
    main()
