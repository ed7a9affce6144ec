"""Helpers for tests/test_site.py: build the site, serve it locally, read snippet sections."""

from __future__ import annotations

import functools
import gzip
import io
import os
import re
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
SCREENSHOTS = REPO / "tests" / "artifacts" / "screenshots"
# Screenshots for a human to look at are taken only when asked for (SCREENSHOTS=1): they are slow,
# and no test reads them.
TAKE_SCREENSHOTS = os.environ.get("SCREENSHOTS", "") not in ("", "0")

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
               addresses: dict[str, str] | None = None,
               environment: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`mkdocs build --strict` with the running interpreter (the project's venv); `environment` adds
    variables that the hooks read."""
    env = {key: value for key, value in os.environ.items() if key not in ADDRESS_VARIABLES}
    env.update(addresses or {}, **(environment or {}), NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(destination), "-f", str(config)],
        cwd=config.parent, env=env, capture_output=True, text=True, timeout=600,
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # keep pytest's output readable
        pass


# What a static host such as GitHub Pages sends gzipped (text, not PNGs or the models' int8 weights).
COMPRESSED = {".html", ".css", ".js", ".json", ".svg", ".xml", ".txt", ".ipynb", ".cff", ".map"}


class _HostHandler(_QuietHandler):
    """Serves the site under `prefix` (a project's Pages address, e.g. /autoencoders/), gzipped
    where the browser accepts it, answering 404.html for anything missing, as GitHub Pages does."""

    prefix = "/"
    gzip = False
    _packed: dict[Path, bytes] = {}

    def translate_path(self, path):
        path = urlsplit(path).path
        if not path.startswith(self.prefix):
            return str(Path(self.directory) / "does-not-exist")
        return super().translate_path("/" + path[len(self.prefix):])

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir() and self.path.split("?")[0].endswith("/"):
            path = path / "index.html"
        if (not self.gzip or not path.is_file() or path.suffix not in COMPRESSED
                or "gzip" not in self.headers.get("Accept-Encoding", "")):
            return super().send_head()
        body = self._packed.get(path)
        if body is None:
            body = self._packed[path] = gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")  # what GitHub Pages sends
        self.end_headers()
        return io.BytesIO(body)

    def send_error(self, code, message=None, explain=None):
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            return super().send_error(code, message, explain)
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def sites_to_measure(parser, given: list[Path], scratch: Path) -> list[Path]:
    """For the page reports: the built sites named on the command line (each checked), or, when none is
    named, the site built now into `scratch`. A bad site is `parser`'s one-line error."""
    for site in given:
        if not (site / "index.html").is_file():
            parser.error(f"{site} is not a built site (no index.html)")
    if given:
        return given
    site = scratch / "site"
    done = build_site(site)
    if done.returncode != 0:
        parser.exit(1, f"{parser.prog}: error: the site did not build:\n{done.stderr[-2000:]}\n")
    return [site]


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        # A browser that stops reading (a page left, an audit done) is no error of the site's.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def serve(directory: Path, prefix: str = "/", compress: bool = False, port: int = 0):
    """Serve `directory` on 127.0.0.1 (at a free port unless `port` is given), in a thread; yields the
    base URL. `prefix` serves it under a sub-path, `compress` gzips text as a Pages host does."""
    assert prefix.startswith("/") and prefix.endswith("/"), prefix
    if prefix == "/" and not compress:
        handler = functools.partial(_QuietHandler, directory=str(directory))
    else:
        host = type("Host", (_HostHandler,), {"prefix": prefix, "gzip": compress, "_packed": {}})
        handler = functools.partial(host, directory=str(directory))
    server = _QuietServer(("127.0.0.1", port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
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


# Screenshots are stitched from shots of the viewport, made SHOT_HEIGHT tall, never taken with
# Playwright's full_page: with a phone's emulation (is_mobile), Chromium's capture beyond the
# viewport hangs at random (in CI on Part 3 at 390 px; here most of that page's captures time out),
# while shots of the viewport come back in a fraction of a second, and stitched they equal a
# full-page capture pixel for pixel.
SHOT_HEIGHT = 8192
# Sticky elements (the header, the sidebars on a desktop) would be drawn again at the top of each
# shot; made static for the shots, they are drawn once, where a full-page capture draws them.
# Blocks skipped while off screen (content-visibility: auto, docs/overrides/hooks/offscreen.py) have
# an estimated height until they are drawn, and the shots would draw them, changing the page's height
# under the stitching: for the shots every block is drawn, as a reader who scrolls through sees it.
UNSTICK = """() => {
  const drawAll = document.createElement("style");
  drawAll.id = "screenshot-draw-all";
  drawAll.textContent = "[data-offscreen] { content-visibility: visible !important; }";
  document.head.append(drawAll);
  for (const node of document.querySelectorAll("*")) {
    if (getComputedStyle(node).position === "sticky") {
      node.style.setProperty("position", "static", "important");
      node.dataset.unstuck = "";
    }
  }
}"""
RESTICK = """() => {
  document.getElementById("screenshot-draw-all")?.remove();
  for (const node of document.querySelectorAll("[data-unstuck]")) {
    node.style.removeProperty("position");
    delete node.dataset.unstuck;
  }
}"""


def screenshot_clips(width: int, height: int, most: int = SHOT_HEIGHT) -> list[dict[str, int]]:
    """Regions, in page coordinates, that cover a width x height page top to bottom, none taller than `most`."""
    return [{"x": 0, "y": top, "width": width, "height": min(most, height - top)}
            for top in range(0, max(height, 1), most)]


def screenshot(page, stem: Path) -> list[Path]:
    """The whole page as stem.png, or as stem-1.png, stem-2.png, ... when it is taller than
    SHOT_HEIGHT. Returns the files written. The viewport and the sticky elements are restored
    afterwards, and the page is left scrolled to the top."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size
    page.evaluate(UNSTICK)
    height = page.evaluate("() => document.documentElement.scrollHeight")
    clips = screenshot_clips(viewport["width"], height)
    paths = [stem.with_name(stem.name + (f"-{number}" if len(clips) > 1 else "") + ".png")
             for number in range(1, len(clips) + 1)]
    for old in (stem.with_name(stem.name + ".png"), *stem.parent.glob(stem.name + "-[0-9]*.png")):
        old.unlink(missing_ok=True)  # an earlier run's pieces, which a page of another height would leave stale
    page.set_viewport_size({"width": viewport["width"], "height": min(SHOT_HEIGHT, height)})
    try:
        for path, clip in zip(paths, clips):
            # The last piece may start above the deepest scroll position: clip within the viewport.
            top = page.evaluate("(y) => { window.scrollTo(0, y); return window.scrollY; }", clip["y"])
            page.screenshot(path=path, clip={**clip, "y": clip["y"] - top})
    finally:
        page.set_viewport_size(viewport)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.evaluate(RESTICK)
    return paths


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
