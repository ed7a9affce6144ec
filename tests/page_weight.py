"""What a reader downloads on a first visit of each page, gzipped, by kind of file.

    .venv/bin/python tests/page_weight.py                 # builds the site into a temporary directory
    .venv/bin/python tests/page_weight.py site/ OTHER/    # built sites, side by side (e.g. before/after)

Each page is opened in headless Chromium with an empty cache, in a 1280x800 window, and every
response until the network is idle is counted at the size gzip -6 gives it (what a server with
gzip on sends; our test server sends files uncompressed). Images the browser lazy-loads below the
fold are not requested, so they do not count; everything the page does request does, the search
index included (Material's search worker fetches it on load). A report, not a test: it asserts
nothing and prints a table, with the 400 KB budget as a column.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

from site_helpers import CHROMIUM, CHROMIUM_ARGS, serve, site_pages, sites_to_measure

BUDGET = 400 * 1024
KINDS = {".html": "html", ".css": "css", ".js": "js", ".json": "json", ".png": "img", ".svg": "img",
         ".jpg": "img", ".webp": "img", ".ico": "img", ".woff2": "font", ".woff": "font"}


def kind(url: str) -> str:
    path = urlsplit(url).path
    if path.endswith("/"):
        return "html"
    return KINDS.get(Path(path).suffix.lower(), "other")


def first_visit(browser, url: str) -> dict[str, int]:
    """kind -> gzipped bytes of everything the page requests on a visit with an empty cache."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    responses = []
    page.on("response", lambda response: responses.append(response))
    page.goto(url, wait_until="networkidle")
    sizes: dict[str, int] = defaultdict(int)
    for response in responses:
        try:
            body = response.body()
        except Exception:  # a redirect or an aborted request has no body
            continue
        sizes[kind(response.url)] += len(gzip.compress(body, compresslevel=6, mtime=0))
    context.close()
    return sizes


def measure(site: Path, browser) -> dict[str, dict[str, int]]:
    with serve(site) as base:
        return {path: first_visit(browser, base + path) for path in site_pages(site)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sites", nargs="*", type=Path, help="built sites to measure (default: build one now)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        sites = sites_to_measure(parser, args.sites, Path(scratch))
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        results = [measure(site, browser) for site in sites]
        browser.close()

    kinds = ["html", "css", "js", "json", "img", "font", "other"]
    for site, result in zip(sites, results):
        print(f"\n{site}: first visit, gzipped KB (1 KB = 1024 bytes)")
        print(f"{'page':<24}" + "".join(f"{k:>8}" for k in kinds) + f"{'total':>9}  budget 400 KB")
        for path, sizes in result.items():
            total = sum(sizes.values())
            print(f"{'/' + path:<24}" + "".join(f"{sizes.get(k, 0) / 1024:8.1f}" for k in kinds)
                  + f"{total / 1024:9.1f}  {'within' if total <= BUDGET else 'OVER'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
