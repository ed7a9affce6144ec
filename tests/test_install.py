"""run.sh installs what the test suite needs on a machine that never had it.

The real proof is a fresh machine; these tests exercise the same shell code with `apt-get` replaced by
a stand-in that records its arguments, so the install path runs even where Chromium is present.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def fake_bin(tmp_path: Path, creates: Path | None) -> Path:
    """A PATH directory whose apt-get logs its arguments and, on install, creates `creates`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    make = f'touch "{creates}"; chmod +x "{creates}"' if creates else "true"
    script = f'#!/bin/sh\necho "$@" >> "{log}"\ncase "$*" in *install*) {make};; esac\n'
    for name in ("apt-get", "sudo"):
        (bin_dir / name).write_text(script if name == "apt-get" else '#!/bin/sh\n"$@"\n')
        (bin_dir / name).chmod(0o755)
    return bin_dir


def ensure_chromium(tmp_path: Path, chromium: Path, creates: Path | None):
    bin_dir = fake_bin(tmp_path, creates)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "CHROMIUM_PATH": str(chromium)}
    # A shell function named `chromium` once hid a missing browser: define one to prove it no longer does.
    script = f'chromium() {{ :; }}; source "{REPO / "run.sh"}"; ensure_chromium'
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    log = tmp_path / "apt.log"
    return done, (log.read_text().splitlines() if log.exists() else [])


def test_missing_chromium_is_installed(tmp_path):
    chromium = tmp_path / "chromium"  # absent
    done, calls = ensure_chromium(tmp_path, chromium, creates=chromium)
    assert done.returncode == 0, done.stderr
    assert calls == ["update -qq", "install -y -qq chromium"]
    assert chromium.exists()


def test_present_chromium_is_left_alone(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.write_text("")
    chromium.chmod(0o755)
    done, calls = ensure_chromium(tmp_path, chromium, creates=None)
    assert done.returncode == 0, done.stderr
    assert calls == []


def test_an_install_that_leaves_no_browser_fails_with_one_line(tmp_path):
    chromium = tmp_path / "chromium"
    done, calls = ensure_chromium(tmp_path, chromium, creates=None)
    assert done.returncode == 1
    assert calls[-1] == "install -y -qq chromium"
    assert done.stderr.strip() == f"run.sh: error: chromium was installed but {chromium} does not exist"


def test_sourcing_run_sh_runs_nothing(tmp_path):
    done = subprocess.run(["bash", "-c", f'source "{REPO / "run.sh"}"; echo sourced'], capture_output=True,
                          text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0 and done.stdout == "sourced\n", done.stderr
    assert not (tmp_path / ".venv").exists()
