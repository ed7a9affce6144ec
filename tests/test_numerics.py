"""Pinned numerics: every process that computes the series' numbers runs on the AVX2 code paths, one thread,
whatever the machine or the user's shell; results.json and every run's key record it; a machine that cannot
gets one clear line."""

import json
import os
import subprocess
import sys

import pytest

from autoencoders import numerics
from conftest import REPO

PROBE = ("import autoencoders, torch, json, os\n"
         "print(json.dumps({'capability': torch.backends.cpu.get_cpu_capability(), 'threads': torch.get_num_threads(),"
         " 'env': {k: os.environ.get(k) for k in autoencoders.numerics.PINNED}}))\n")


def python(code: str, **env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in numerics.PINNED}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120,
                          env={**clean, "PYTHONPATH": str(REPO / "src"), **env})


def test_importing_the_package_pins_the_numerics_before_torch_loads_whatever_the_shell_says():
    done = python(PROBE, ATEN_CPU_CAPABILITY="default", MKL_CBWR="AUTO", OMP_NUM_THREADS="8")
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found == {"capability": "AVX2", "threads": 1, "env": numerics.PINNED}


def test_a_process_that_loaded_torch_first_is_refused_in_one_line():
    done = python("import torch\nimport autoencoders\nautoencoders.numerics.verify()\n")
    assert done.returncode == 1
    assert "NumericsError: numerics not pinned (ATEN_CPU_CAPABILITY=(unset)" in done.stderr.splitlines()[-1]


def test_a_cpu_without_avx2_gets_one_clear_line_not_other_numbers(tmp_path):
    script = ("import sys, runpy\nsys.path.insert(0, 'src')\nimport autoencoders, torch\n"
              "torch.backends.cpu.get_cpu_capability = lambda: 'DEFAULT'  # as on a CPU without AVX2\n"
              f"sys.argv = ['build_figures.py', '--quick', '--out', {str(tmp_path / 'out')!r}]\n"
              "runpy.run_path('build_figures.py', run_name='__main__')\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("build_figures.py: error: this CPU offers PyTorch DEFAULT "
                                                   "kernels, not AVX2"), done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_the_build_s_workers_train_on_the_pinned_code_paths_and_results_json_records_them(tmp_path, mnist):
    """Two runs trained side by side, each in a worker process the build starts (from a shell that asks for
    other settings): each cache entry records what its worker computed with."""
    cache, out = tmp_path / "cache", tmp_path / "out"
    shell = {k: v for k, v in os.environ.items() if k not in numerics.PINNED}
    done = subprocess.run([sys.executable, str(REPO / "build_figures.py"), "--quick", "--seeds", "0,1", "--epochs",
                           "1", "--subset", "64", "--out", str(out), "--cache-dir", str(cache), "--data-dir",
                           str(REPO / ".cache" / "mnist")], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**shell, "ATEN_CPU_CAPABILITY": "default", "MKL_CBWR": "AUTO", "OMP_NUM_THREADS": "4"})
    assert done.returncode == 0, done.stderr
    entries = [json.loads(p.read_text()) for p in sorted((cache / "runs").glob("*/result.json"))]
    assert len(entries) == 10
    for entry in entries:
        assert entry["numerics"] == {**numerics.PINNED, "threads": "1", "capability": "AVX2"}
    provenance = json.loads((out / "results" / "results.json").read_text())["provenance"]
    assert provenance["numerics"] == numerics.settings()


def test_every_run_key_covers_the_pinned_settings(monkeypatch):
    from autoencoders.pipeline import engine
    from conftest import smoke_options

    options = smoke_options(REPO / "docs", REPO / ".cache")
    before = {s.target.name: s.key for s in engine.plan(options).steps.values() if s.target.kind == "run"}
    monkeypatch.setattr(numerics, "PINNED", {**numerics.PINNED, "ONEDNN_MAX_CPU_ISA": "AVX512_CORE"})
    after = {s.target.name: s.key for s in engine.plan(options).steps.values() if s.target.kind == "run"}
    assert before.keys() == after.keys() and all(before[n] != after[n] for n in before)
