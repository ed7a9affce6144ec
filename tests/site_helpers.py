"""Helpers for tests/test_site.py: build the site, serve it locally, read snippet sections."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "tests" / "artifacts" / "screenshots"

# Debian's Chromium; `playwright install` cannot download browsers on these machines.
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]

# `--8<-- "path:section"` inside a page; a section inside a source file.
INCLUDE = re.compile(r'^\s*-{1,}8<-{1,}\s+"(?P<path>[^":]+):(?P<section>[A-Za-z][-_0-9A-Za-z]*)"\s*$')
MARKER = re.compile(r"-{1,}8<-{1,}[ \t]+\[[ \t]*(?P<type>start|end)[ \t]*:[ \t]*(?P<name>[a-z][-_0-9a-z]*)[ \t]*\]",
                    re.IGNORECASE)


# mkdocs.yml reads the site's addresses from these; a build sees only those a test passes in.
ADDRESS_VARIABLES = ("SITE_URL", "REPO_URL", "EDIT_URI")


def build_site(destination: Path, config: Path = REPO / "mkdocs.yml",
               addresses: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` with the running interpreter (the project's venv)."""
    env = {key: value for key, value in os.environ.items() if key not in ADDRESS_VARIABLES}
    env.update(addresses or {}, NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(destination), "-f", str(config)],
        cwd=config.parent, env=env, capture_output=True, text=True, timeout=600,
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep pytest's output readable
        pass


@contextmanager
def serve(directory: Path):
    """Serve `directory` on 127.0.0.1 at a free port, in a thread; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def site_pages(site: Path) -> list[str]:
    """Every page of a built site as a URL path relative to the root: "", "part-1-math/", ..."""
    pages = []
    for index in sorted(site.rglob("index.html")):
        relative = index.parent.relative_to(site).as_posix()
        pages.append("" if relative == "." else relative + "/")
    return pages


def page_name(path: str) -> str:
    return path.strip("/").replace("/", "-") or "index"


def snippet_includes(markdown: Path) -> list[tuple[str, str]]:
    """(file, section) of every `--8<-- "file:section"` line of a page."""
    return [(m["path"], m["section"]) for line in markdown.read_text(encoding="utf-8").splitlines()
            if (m := INCLUDE.match(line))]


def read_section(path: Path, section: str) -> str:
    """The lines between `[start:section]` and `[end:section]`, without any marker lines,
    which is what pymdownx.snippets inserts into the page."""
    lines, inside, found = [], False, False
    for line in path.read_text(encoding="utf-8").splitlines():
        marker = MARKER.search(line)
        if marker and marker["name"] == section:
            if marker["type"] == "start":
                inside = found = True
                continue
            break
        if marker:
            continue  # markers of other sections are dropped too
        if inside:
            lines.append(line)
    if not found:
        raise LookupError(f"{path}: no section {section!r}")
    return "\n".join(lines)
