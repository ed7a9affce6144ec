"""Shared fixtures: the repository, MNIST (fetched once into the project cache), one smoke build for the
whole session, scratch copies of it and of the checkout, CLI runners, and the built site with the browser
that the site's tests drive (each made once per test session)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# The package of this checkout, whatever copy of it the virtual environment was installed from;
# importing it pins the numerics (numerics.py) before any test loads torch or numpy.
sys.path.insert(0, str(REPO / "src"))
import autoencoders  # noqa: E402,F401

CACHE = REPO / ".cache"  # the project cache: MNIST is fetched here once and reused by every test


def run_cli(*args: str, cwd: Path = REPO, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run build_figures.py (of the checkout at `cwd`) with this interpreter."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    return subprocess.run([sys.executable, str(cwd / "build_figures.py"), *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=timeout)


SMOKE = {"seeds": (0, 1), "epochs": 2, "subset": 256}  # a tiny but complete build: every configuration and figure


def smoke_args(out: Path, cache: Path) -> list[str]:
    """The smoke build's flags for build_figures.py."""
    return ["--quiet", "--seeds", "0,1", "--epochs", "2", "--subset", "256", "--out", str(out),
            "--cache-dir", str(cache), "--data-dir", str(CACHE / "mnist")]


def smoke_options(out: Path, cache: Path, **changes):
    """The smoke build's options for a build in this process (training in it too: no worker to start)."""
    from autoencoders.pipeline.engine import Options

    return Options(out=out, cache_dir=cache, data_dir=CACHE / "mnist", workers=1, **{**SMOKE, **changes})


@pytest.fixture(scope="session")
def mnist():
    from autoencoders.data import load_mnist

    return load_mnist(CACHE)


@pytest.fixture(scope="session")
def smoke_build(tmp_path_factory, mnist):
    """One smoke build for the whole session, made in this process; tests that change anything work on
    a copy (`warm_copy`)."""
    from autoencoders.pipeline.engine import build

    root = tmp_path_factory.mktemp("smoke")
    build(smoke_options(root / "out", root / "cache"))
    return root


def smoke_runs(smoke: Path) -> dict:
    """Every run of the smoke build, loaded from its cache: run id -> RunResult."""
    from autoencoders.pipeline.engine import plan

    the_plan = plan(smoke_options(smoke / "out", smoke / "cache"))
    runs = {}
    for step in the_plan.steps.values():
        if step.target.kind == "run":
            result, damage = the_plan.cache.load(step.target.config, step.key)
            assert result is not None, (step.target.name, damage)
            runs[step.target.config.run_id] = result
    return runs


def warm_copy(smoke: Path, dest: Path) -> tuple[Path, Path]:
    """(out, cache): a copy of the smoke outputs, and of its trained runs by hard links (entries are never
    changed in place: a test that damages one must replace the file, not write into it). The outputs the
    smoke build kept in its cache are left out, so that what a test's build must make, it makes."""
    shutil.copytree(smoke / "out", dest / "out")
    shutil.copytree(smoke / "cache", dest / "cache", copy_function=os.link, ignore=shutil.ignore_patterns("outputs"))
    return dest / "out", dest / "cache"


@pytest.fixture
def checkout(tmp_path, mnist) -> Path:
    """A scratch copy of the code, the pages and the committed outputs, safe to edit."""
    dest = tmp_path / "repo"
    dest.mkdir()
    for name in ("src", "figures", "build_figures.py", "mkdocs.yml"):
        source = REPO / name
        copy = shutil.copytree if source.is_dir() else shutil.copy2
        copy(source, dest / name, **({"ignore": shutil.ignore_patterns("__pycache__")} if source.is_dir() else {}))
    (dest / "docs").mkdir()
    for page in (REPO / "docs").glob("*.md"):  # the pages number the figures
        shutil.copy2(page, dest / "docs" / page.name)
    for name in ("results", "figures", "assets/models", "assets/replay"):  # assets/: what the Play page runs
        shutil.copytree(REPO / "docs" / name, dest / "docs" / name)
    return dest


# ---------------------------------------------------------------- the site and the browser, once per session

@pytest.fixture(scope="session")
def build(tmp_path_factory):
    """The site built once for the whole session (no addresses set); tests that need it fail (not skip)
    if it did not build. Returns (directory, the build's CompletedProcess)."""
    from site_helpers import build_site

    destination = tmp_path_factory.mktemp("site") / "site"
    return destination, build_site(destination)


@pytest.fixture(scope="session")
def site(build):
    destination, done = build
    if done.returncode != 0:
        pytest.fail("the site did not build (see test_build_is_strict_and_clean):\n" + done.stderr[-4000:])
    return destination


@pytest.fixture(scope="session")
def base_url(site):
    from site_helpers import serve

    with serve(site) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for every browser test of the session."""
    from site_helpers import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}. Install it (`apt-get install chromium`; "
                    "`./run.sh test` does this) or point CHROMIUM_PATH at a Chromium binary.")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        pytest.fail(f"Playwright is not installed in this environment: {error}")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# What puts a test outside the fast tier (`-m "not slow"`): the session's smoke build, the built site or the
# browser, whether the test asks for them itself or through another fixture.
BUILDS = frozenset({"smoke_build", "build", "site", "base_url", "browser"})


def pytest_collection_modifyitems(items):
    """A test that drives Chromium is a browser test whether or not its module says so (`-m browser` selects
    them all, `-m "not browser"` none); it, and every test that needs a build, is also slow."""
    for item in items:
        used = BUILDS.intersection(getattr(item, "fixturenames", ()))
        if used:
            item.add_marker(pytest.mark.slow)
        if "browser" in used:
            item.add_marker(pytest.mark.browser)
    # The longest first: handed out in this order, they run beside the short ones instead of after them.
    items.sort(key=lambda item: 0 if item.get_closest_marker("long") else 1)
