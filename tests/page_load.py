"""The main thread's work while each page loads, in Chromium, for built sites side by side.

    .venv/bin/python tests/page_load.py                     # build the site now and measure it
    .venv/bin/python tests/page_load.py OLD/ NEW/ --runs 7  # two built sites, loads interleaved

Each page is loaded in a phone's window (412 x 823, as Lighthouse's mobile preset) with the CPU
slowed down 4x, as Lighthouse simulates a mid-range phone, served gzipped under a sub-path like
GitHub Pages. Reported per page: the longest task and the blocking time (the sum of every task's
time beyond 50 ms) until two seconds after the load event, how many times and for how long the
browser recalculated styles and laid the page out (Chromium's own counters), and the layout shift.
Sites are measured in turn, load by load, so that a busy machine slows all of them alike; the
medians are printed, and the minimum of the blocking time, which is the least disturbed. A report,
not a test: it asserts nothing (tests/test_readers.py checks what can be checked without a clock).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

from site_helpers import CHROMIUM, CHROMIUM_ARGS, serve, site_pages, sites_to_measure

PHONE = {"viewport": {"width": 412, "height": 823}, "device_scale_factor": 1.75, "is_mobile": True, "has_touch": True}
SLOWDOWN = 4
SETTLE_MS = 2000
# Long tasks and layout shifts from the very start of the page (buffered observers).
OBSERVE = """
window.__load = { tasks: [], shift: 0 };
new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__load.tasks.push(e.duration); })
  .observe({ type: "longtask", buffered: true });
new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__load.shift += e.value; })
  .observe({ type: "layout-shift", buffered: true });
"""


def load(browser, url: str) -> dict[str, float]:
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.add_init_script(OBSERVE)
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    cdp.send("Emulation.setCPUThrottlingRate", {"rate": SLOWDOWN})
    page.goto(url, wait_until="load")
    page.wait_for_timeout(SETTLE_MS)
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    seen = page.evaluate("window.__load")
    context.close()
    return {
        "longest_ms": max(seen["tasks"], default=0),
        "blocking_ms": sum(max(0, t - 50) for t in seen["tasks"]),
        "styles": metrics["RecalcStyleCount"], "style_ms": 1000 * metrics["RecalcStyleDuration"],
        "layouts": metrics["LayoutCount"], "layout_ms": 1000 * metrics["LayoutDuration"],
        "shift": seen["shift"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sites", nargs="*", type=Path, help="built sites (default: build one now)")
    parser.add_argument("--runs", type=int, default=5, help="loads of each page of each site (default 5)")
    parser.add_argument("--pages", nargs="*", help="pages, as paths under the site (default: all)")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch, sync_playwright() as playwright:
        sites = sites_to_measure(parser, args.sites, Path(scratch))
        pages = args.pages or site_pages(sites[0])
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        results = {site: {page: [] for page in pages} for site in sites}
        servers = [serve(site, prefix="/autoencoders/", compress=True) for site in sites]
        bases = [server.__enter__() for server in servers]
        try:
            for _ in range(args.runs):
                for page in pages:
                    for site, base in zip(sites, bases):
                        results[site][page].append(load(browser, base + page))
        finally:
            for server in servers:
                server.__exit__(None, None, None)
            browser.close()

    print(f"Page loads at {SLOWDOWN}x CPU slowdown, phone window; medians of {args.runs} (blocking: median / least)")
    print(f"{'page':<22}{'site':<28}{'longest':>9}{'blocking':>15}{'styles':>13}{'layouts':>13}{'shift':>8}")
    for page in pages:
        for site in sites:
            runs = results[site][page]
            med = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
            least = min(run["blocking_ms"] for run in runs)
            print(f"{'/' + page:<22}{str(site)[-27:]:<28}{med['longest_ms']:7.0f}ms{med['blocking_ms']:7.0f} /{least:4.0f}ms"
                  f"{med['styles']:5.0f} {med['style_ms']:5.0f}ms{med['layouts']:5.0f} {med['layout_ms']:5.0f}ms"
                  f"{med['shift']:8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
