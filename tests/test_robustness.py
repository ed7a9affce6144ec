"""Faults: Ctrl-C at any moment, two builds at once, an output directory that is read-only or full."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from conftest import REPO, run_cli, smoke_args, warm_copy


def snapshot(root):
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def assert_complete(root):
    """Every output parses (JSON) or decodes (PNG) and no temporary file is left behind."""
    import matplotlib.image

    for path in root.rglob("*"):
        assert ".tmp" not in path.name, f"left behind: {path}"
        if path.suffix == ".json":
            json.loads(path.read_text())
        elif path.suffix == ".png":
            assert matplotlib.image.imread(path).size > 0


@pytest.mark.slow
@pytest.mark.long
def test_ctrl_c_at_any_moment_leaves_old_or_new_files_and_the_next_run_continues(tmp_path, smoke_build):
    out, cache = warm_copy(smoke_build, tmp_path)
    new_args = [a if a != "2" else "3" for a in smoke_args(out, cache)]  # --epochs 3: every run and output changes
    old = snapshot(out)

    seen = []
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    for delay in (1.0, 6.0, 14.0, 22.0):
        build = subprocess.Popen([sys.executable, str(REPO / "build_figures.py"), *new_args], cwd=REPO, env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(delay)
        build.send_signal(signal.SIGINT)
        _, stderr = build.communicate(timeout=120)
        # 130: interrupted and said so. -SIGINT: the signal landed while the interpreter was already
        # shutting down after a finished build (Python restores the default handler then).
        assert build.returncode in (0, 130, -signal.SIGINT), stderr
        if build.returncode == 130:
            assert "interrupted" in stderr
        assert_complete(out)
        seen.append(snapshot(out))

    done = run_cli(*new_args)
    assert done.returncode == 0, done.stderr
    new = snapshot(out)
    assert_complete(out)
    for state in seen:
        for name, payload in state.items():
            assert payload in (old.get(name), new.get(name)), f"{name} is neither the old nor the new file"
    assert run_cli("--check", *new_args[1:]).returncode == 0  # the continued build is complete and fresh


@pytest.mark.slow
def test_two_builds_at_once_share_the_cache_safely(tmp_path, mnist):
    """Two builds train the same runs into one cache at the same time: each stores whole entries or finds
    the other's; both end with complete, identical results."""
    cache = tmp_path / "cache"
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    args = lambda out: ["--quick", *[a if a != "0,1" else "1" for a in smoke_args(out, cache)]]  # no seed 0
    builds = [subprocess.Popen([sys.executable, str(REPO / "build_figures.py"),
                                *args(tmp_path / f"out{i}")], cwd=REPO, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in (1, 2)]
    for build in builds:
        _, stderr = build.communicate(timeout=300)
        assert build.returncode == 0, stderr
    # Both outputs are complete and agree byte for byte on everything that describes the results.
    one, two = snapshot(tmp_path / "out1"), snapshot(tmp_path / "out2")
    assert one.keys() == two.keys()
    for name in one:
        if name.name not in ("results.json", "numbers.json", "build.json"):  # wall times differ
            assert one[name] == two[name], name
    # Every cache entry is whole: a third build reuses all of them.
    done = run_cli(*args(tmp_path / "out3"))
    assert "trained 0 runs" in done.stdout, done.stdout + done.stderr
    assert not list((cache / "runs").glob(".tmp-*"))


def run_with_tmpfs(options: str, out, cache):
    """Build into a fresh tmpfs mounted at `out` (in a private mount namespace, so no root needed).

    After the build, every file left in the mount is listed on stdout, prefixed "LEFT ".
    """
    command = " ".join([sys.executable, str(REPO / "build_figures.py"), "--quick", *map(str, smoke_args(out, cache))])
    script = (f"mount -t tmpfs -o {options} tmpfs {out} || exit 99; {command}; status=$?; "
              f"find {out} -type f -printf 'LEFT %P\\n'; exit $status")
    return subprocess.run(["unshare", "--map-root-user", "--mount", "sh", "-c", script], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("mount, error", [
    ("ro", "Read-only file system"),  # found before any work
    ("size=12k", "No space left on device"),  # room for the table, not for results.json: found when writing
])
def test_an_unwritable_output_directory_is_one_clear_error_and_no_partial_file(mount, error, tmp_path, smoke_build):
    _, cache = warm_copy(smoke_build, tmp_path)
    out = tmp_path / "tmpfs"
    out.mkdir()
    done = run_with_tmpfs(mount, out, cache)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot write" in lines[0] and error in lines[0], done.stderr
    left = [line[5:] for line in done.stdout.splitlines() if line.startswith("LEFT ")]
    assert not [name for name in left if ".tmp" in name], left  # no temporary file survives
