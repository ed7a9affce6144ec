"""Lighthouse on every page of the built site, with issue 20's budgets (tests/lighthouse.py).

Slow (half a minute a page) and its timings depend on how busy the machine is, so it runs only when
asked: LIGHTHOUSE=1 .venv/bin/python -m pytest tests/test_lighthouse.py. The site is built for and
served under /autoencoders/, gzipped, as GitHub Pages serves it; each page gets the median of
LIGHTHOUSE_RUNS runs (default 3). Accessibility must be 100 on every run; performance, first
contentful paint, total blocking time, layout shift and bytes must meet the budgets in the median run.
"""

from __future__ import annotations

import os

import pytest

import lighthouse
from site_helpers import build_site, serve

pytestmark = [
    pytest.mark.slow,
    pytest.mark.browser,
    pytest.mark.skipif(os.environ.get("LIGHTHOUSE", "") in ("", "0"), reason="Lighthouse runs only with LIGHTHOUSE=1"),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not lighthouse.LIGHTHOUSE.is_file():
        pytest.fail(f"{lighthouse.LIGHTHOUSE} is missing: install the npm packages of package.json (npm ci)")
    port = lighthouse.free_port()
    site = tmp_path_factory.mktemp("lighthouse") / "site"
    done = build_site(site, addresses={"SITE_URL": f"http://127.0.0.1:{port}{lighthouse.PREFIX}"})
    assert done.returncode == 0, done.stderr[-2000:]
    with serve(site, prefix=lighthouse.PREFIX, compress=True, port=port) as base:
        yield base


@pytest.mark.parametrize("path", lighthouse.PAGES)
def test_the_page_meets_the_budgets(served, path):
    runs = int(os.environ.get("LIGHTHOUSE_RUNS", "3"))
    name = path.strip("/") or "index"
    tries = [lighthouse.audit(served + path, lighthouse.ARTIFACTS / f"{name}-{k}.json") for k in range(runs)]
    median = lighthouse.median_run(tries)
    failed = sorted({failure for run in tries for failure in run["failed"]})
    assert all(run["accessibility"] == 100 for run in tries) and not failed, failed
    assert not lighthouse.misses(median), f"/{path}: {lighthouse.line(median)}: {lighthouse.misses(median)}"
