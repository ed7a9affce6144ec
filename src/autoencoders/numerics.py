"""The CPU code paths every number of the series is computed on, pinned, so that any x86-64 machine with
AVX2 computes the same bits.

PyTorch, MKL (its matrix products), oneDNN (its convolutions), OpenBLAS and NumPy each choose vectorised
kernels by the CPU they find, and kernels of different widths add in different orders: the same seed
then gives other numbers on another machine. Each library reads a setting that caps or fixes its
choice, once, when it loads; so `pin()` puts them into the environment before torch or numpy is
imported (the package does it on import), and every process the build starts inherits them.

Measured on one AMD machine with AVX-512 (a 30-epoch run, one thread; `tests/benchmark.py --numerics`):
- ATEN_CPU_CAPABILITY=avx2: the same bytes as AVX-512 for every model here, ~1.05x the time; "default"
  (no vectorisation) gives other bytes, so the capability is part of the numbers;
- MKL_CBWR: on this AMD CPU every branch but COMPATIBLE (AVX2, AVX512, even SSE4_2, which has no FMA)
  gives the default's bytes: MKL takes a vendor path of its own and ignores the branch. Only COMPATIBLE
  is honoured on every vendor, so only it can promise Intel and AMD the same sums; it costs ~2x on the
  fully connected models (their time is in matrix products) and ~1.1x on the convolutional one;
- ONEDNN_MAX_CPU_ISA=AVX2: other bytes for the convolutional model (oneDNN used AVX-512), ~1.4x its time;
- OPENBLAS_CORETYPE and NPY_DISABLE_CPU_FEATURES: no change here; NumPy's linear algebra (PCA) and its
  own SIMD loops choose by CPU too, so they are pinned at the AVX2 level as well, at no measurable cost.
One thread everywhere: a parallel sum splits its work by the number of threads, so the number of cores
would change the bits; the build runs processes side by side instead.
"""

from __future__ import annotations

import os
import sys

PINNED: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "avx2",  # PyTorch's own kernels: elementwise, reductions, the fused Adam step
    "MKL_CBWR": "COMPATIBLE",  # MKL's matrix products: one code path on every vendor
    "ONEDNN_MAX_CPU_ISA": "AVX2",  # oneDNN's convolutions
    "OPENBLAS_CORETYPE": "Haswell",  # NumPy's BLAS and LAPACK (PCA): the AVX2 kernels
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",  # NumPy's own loops: no AVX-512
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
}
THREADS = 1
CAPABILITY = "AVX2"  # what torch.backends.cpu.get_cpu_capability() reports once the cap took effect


class NumericsError(RuntimeError):
    """This process cannot compute the series' numbers: the message says why, in one line."""


def pin() -> bool:
    """Put PINNED into the environment, unless torch or numpy is loaded already (too late: they read it
    when they load). Returns whether the environment now holds the pinned settings."""
    if not any(module in sys.modules for module in ("torch", "numpy")):
        os.environ.update(PINNED)
    return unpinned() == []


def unpinned() -> list[str]:
    """The settings whose environment value is not the pinned one, as "NAME=value"."""
    return [f"{name}={os.environ.get(name, '(unset)')}" for name, value in PINNED.items()
            if os.environ.get(name) != value]


def verify() -> None:
    """Fail with one clear line unless this process computes on the pinned code paths."""
    import torch

    wrong = unpinned()
    if wrong:
        raise NumericsError(f"numerics not pinned ({', '.join(wrong)}): import autoencoders before torch and "
                            "numpy, or start from build_figures.py, so that the pinned settings apply")
    capability = torch.backends.cpu.get_cpu_capability()
    if capability != CAPABILITY:
        raise NumericsError(f"this CPU offers PyTorch {capability} kernels, not {CAPABILITY}: the series' "
                            f"numbers are defined on {CAPABILITY} code paths, which every x86-64 CPU since "
                            "2013-2015 has; on this one they would come out different")
    if torch.get_num_threads() != THREADS:
        torch.set_num_threads(THREADS)


def observed() -> dict[str, str]:
    """What this process actually computes with (after torch loaded): the build stores it with every run."""
    import torch

    return {**{name: os.environ.get(name, "(unset)") for name in PINNED},
            "threads": str(torch.get_num_threads()), "capability": torch.backends.cpu.get_cpu_capability()}


def settings() -> dict[str, str]:
    """What results.json records and every run's key includes."""
    return {**PINNED, "threads": str(THREADS), "capability": CAPABILITY}


def reproducible(function):
    """Run `function` on the pinned code paths and on THREADS threads (checked first, with one clear error
    if this process cannot), then give the caller back its own thread count."""
    import functools

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        import torch

        threads = torch.get_num_threads()
        verify()
        try:
            return function(*args, **kwargs)
        finally:
            torch.set_num_threads(threads)
    return wrapper
