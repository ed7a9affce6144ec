"""The documentation site: it builds strictly, and a real browser sees what a reader should see.

The browser tests serve the built site on 127.0.0.1 and drive Debian's Chromium through
Playwright. They need the generated files (docs/results/numbers.json, docs/results/table.md,
docs/figures/*.png) that `./run.sh build` writes. With SCREENSHOTS=1, screenshots of every page, light
and dark, desktop and phone, land in tests/artifacts/screenshots/ for a human to look at.
"""

from __future__ import annotations

import re
import struct
import textwrap
from urllib.parse import urlsplit

import pytest
import yaml

from site_helpers import (
    REPO, RESTICK, SCREENSHOTS, SHOT_HEIGHT, TAKE_SCREENSHOTS, UNSTICK, build_site, page_name, read_section,
    screenshot, screenshot_clips, site_pages, snippet_includes,
)

MARKDOWN_PAGES = ("index.md", "part-1-math.md", "part-2-code.md", "part-3-experiments.md")
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 30_000


# ---------------------------------------------------------------- the build

def test_build_is_strict_and_clean(build):
    destination, done = build
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout}\n{done.stderr}"
    assert (destination / "index.html").is_file()


def test_every_page_is_built_and_cites_the_current_version(site):
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    version, date = str(citation["version"]), str(citation["date-released"])
    for markdown in MARKDOWN_PAGES:
        path = "" if markdown == "index.md" else markdown.removesuffix(".md") + "/"
        html = (site / path / "index.html").read_text(encoding="utf-8")
        assert "Cite this" in html, f"{markdown}: no 'Cite this' block"
        assert version in html and date in html, f"{markdown}: citation does not show {version} / {date}"
        leftover = re.findall(r"\{\{\s*[A-Za-z0-9_.-]+\s*\}\}", html)
        assert not leftover, f"{markdown}: unreplaced tokens {leftover[:5]}"


def test_every_figure_carries_its_png_size_so_lazy_images_keep_their_room(site):
    """Without width and height, a lazy image takes no room until it loads, and the page jumps
    (a section link lands elsewhere, a tap lands on the wrong thing). A phone variant (a <picture>'s
    <source>) has proportions of its own, so it carries its own size."""
    figures = variants = 0
    for html_file in site.rglob("*.html"):
        for tag in re.findall(r"<(?:img|source)\b[^>]*>", html_file.read_text(encoding="utf-8")):
            src = re.search(r'\s(?:src|srcset)="([^"]+)"', tag)[1]
            if src.startswith("data:"):
                continue
            png = (html_file.parent / src).resolve()
            figures += tag.startswith("<img")
            variants += tag.startswith("<source")
            shown = re.search(r'\swidth="(\d+)"', tag), re.search(r'\sheight="(\d+)"', tag)
            assert all(shown), f"{html_file.relative_to(site)}: {src} has no width and height"
            assert tuple(int(m[1]) for m in shown) == struct.unpack(">II", png.read_bytes()[16:24]), \
                f"{html_file.relative_to(site)}: {src} is sized unlike its PNG"
    assert figures >= 14, f"only {figures} figures found in the site"
    assert variants >= 14, f"only {variants} figures of the site have a phone variant"


def test_citation_cff_is_complete():
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    assert citation["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "version", "date-released", "license", "abstract", "keywords"):
        assert citation.get(key), f"CITATION.cff: missing {key}"
    assert citation["type"] == "software"
    assert all("name" in a or "family-names" in a for a in citation["authors"])


def test_unknown_number_key_fails_the_build_clearly(tmp_path):
    """A typo in a {{ key }} must stop the build and say which page and which key."""
    (tmp_path / "docs" / "results").mkdir(parents=True)
    (tmp_path / "docs" / "results" / "numbers.json").write_text('{"seeds": "0, 1, 2"}', encoding="utf-8")
    (tmp_path / "docs" / "index.md").write_text("Seeds {{ seeds }}, loss {{ vanilla-d32.final_los.mean }}.\n")
    (tmp_path / "CITATION.cff").write_bytes((REPO / "CITATION.cff").read_bytes())
    (tmp_path / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: hook test
        hooks: [{REPO / "docs" / "overrides" / "hooks" / "numbers.py"}]
        """), encoding="utf-8")
    done = build_site(tmp_path / "site", tmp_path / "mkdocs.yml")
    assert done.returncode != 0
    assert "index.md" in done.stderr and "vanilla-d32.final_los.mean" in done.stderr, done.stderr

    # The same page with a valid key builds, and the value is substituted.
    (tmp_path / "docs" / "index.md").write_text("Seeds {{ seeds }}; version {{ citation.version }}.\n")
    done = build_site(tmp_path / "site", tmp_path / "mkdocs.yml")
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "Seeds 0, 1, 2; version " in html and "{{" not in html


# ---------------------------------------------------------------- the browser

class Watch:
    """Everything that went wrong while a browser context was open."""

    def __init__(self, context):
        self.problems: list[str] = []
        # Nothing may leave the machine: such requests are recorded and refused.
        context.route("**/*", self._guard)

    def _guard(self, route):
        url = urlsplit(route.request.url)
        if url.scheme in ("http", "https") and url.hostname not in ("127.0.0.1", "localhost"):
            self.problems.append(f"request leaving localhost: {route.request.url}")
            route.abort()
        else:
            route.continue_()

    def attach(self, page, label: str):
        def console(message):
            if message.type == "error":
                self.problems.append(f"{label}: console error: {message.text}")

        def response(resp):
            if resp.status >= 400:
                self.problems.append(f"{label}: HTTP {resp.status} for {resp.url}")

        page.on("console", console)
        page.on("pageerror", lambda error: self.problems.append(f"{label}: uncaught exception: {error}"))
        page.on("requestfailed", lambda request: self.problems.append(
            f"{label}: request failed: {request.url} ({request.failure})"))
        page.on("response", response)
        return page


@pytest.fixture
def open_page(browser, base_url):
    """open_page(path, setup=None, **context options) -> page, in a context of its own (`setup(context)` runs
    before the page opens); at the end, no console error and no request off the machine."""
    contexts, watches = [], []

    def opener(path: str = "play/", setup=None, **options):
        context = browser.new_context(**{"viewport": DESKTOP, "device_scale_factor": 1, **options})
        if setup is not None:
            setup(context)
        watch = Watch(context)
        contexts.append(context)
        watches.append(watch)
        page = watch.attach(context.new_page(), path)
        page.goto(base_url + path, wait_until="load", timeout=TIMEOUT_MS)
        return page

    yield opener
    for context in contexts:
        context.close()
    problems = [p for w in watches for p in w.problems]
    assert not problems, "\n".join(problems)


def wait_for_math(page) -> None:
    """The equations arrive typeset in the HTML (docs/overrides/hooks/math.py): nothing to wait for
    but the page itself."""
    page.wait_for_load_state("load", timeout=TIMEOUT_MS)


MATH_REPORT = r"""
() => {
  const article = document.querySelector("article") || document.body;
  const clone = article.cloneNode(true);
  clone.querySelectorAll("pre, code, mjx-container, script, style").forEach((e) => e.remove());
  const text = clone.textContent;
  return {
    raw: ["\\(", "\\[", "$$"].filter((d) => text.includes(d)),
    commands: (text.match(/\\[A-Za-z]{2,}/g) || []).slice(0, 5),
    containers: article.querySelectorAll("mjx-container").length,
    untypeset: [...article.querySelectorAll(".arithmatex")]
      .filter((e) => !e.querySelector("mjx-container")).map((e) => e.textContent.slice(0, 60)).slice(0, 5),
    errors: [...article.querySelectorAll("mjx-merror, [data-mjx-error]")]
      .map((e) => e.getAttribute("data-mjx-error") || e.textContent).slice(0, 5),
    // Typeset but drawn too small to see (CSS can collapse an equation's SVG); equations the
    // page does not render at all (e.g. in a closed <details>) are not counted.
    invisible: [...article.querySelectorAll("mjx-container > svg")]
      .filter((svg) => svg.parentElement.getClientRects().length > 0)
      .filter((svg) => { const box = svg.getBoundingClientRect(); return box.width < 2 || box.height < 2; })
      .map((svg) => svg.parentElement.closest(".arithmatex, p, li, td, div").textContent.slice(0, 60)).slice(0, 5),
  };
}
"""

IMAGE_REPORT = """
async () => {
  const images = [...document.querySelectorAll("img")];
  images.forEach((img) => { img.loading = "eager"; });  // lazy images count too
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  return images.filter((img) => !(img.complete && img.naturalWidth > 0)).map((img) => img.currentSrc || img.src);
}
"""


def check_math(page, label: str, has_math: bool) -> list[str]:
    report = page.evaluate(MATH_REPORT)
    problems = []
    if report["raw"] or report["commands"]:
        problems.append(f"{label}: raw TeX left in the text: {report['raw'] + report['commands']}")
    if report["untypeset"]:
        problems.append(f"{label}: equations not typeset: {report['untypeset']}")
    if report["errors"]:
        problems.append(f"{label}: MathJax errors: {report['errors']}")
    if report["invisible"]:
        problems.append(f"{label}: equations typeset but not visible: {report['invisible']}")
    if has_math and report["containers"] == 0:
        problems.append(f"{label}: the page has math but no typeset equation")
    return problems


def page_has_math(site, path: str) -> bool:
    html = (site / path / "index.html").read_text(encoding="utf-8")
    return 'class="arithmatex"' in html or "$$" in html or "\\(" in html


def png_height(path) -> int:
    """The height field of a PNG's IHDR chunk."""
    return struct.unpack(">I", path.read_bytes()[20:24])[0]


@pytest.mark.parametrize("height", [1, 8191, 8192, 8193, 38282])
def test_tall_pages_are_shot_in_pieces_that_cover_them(height):
    clips = screenshot_clips(390, height)
    assert all(0 < clip["height"] <= SHOT_HEIGHT and clip["width"] == 390 for clip in clips)
    assert [clip["y"] for clip in clips] == [sum(c["height"] for c in clips[:i]) for i in range(len(clips))]
    assert sum(clip["height"] for clip in clips) == height


@pytest.mark.browser
def test_every_page_renders_cleanly_in_light_and_dark_on_desktop_and_phone(browser, base_url, site):
    pages = site_pages(site)
    assert pages, "no page found in the built site"
    problems: list[str] = []
    links: dict[str, str] = {}  # every link into the site -> the first page that has it
    for scheme, material_scheme in (("light", "default"), ("dark", "slate")):
        for width, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
            context = browser.new_context(viewport=viewport, color_scheme=scheme, device_scale_factor=1,
                                          is_mobile=width == "phone", has_touch=width == "phone")
            watch = Watch(context)
            for path in pages:
                label = f"/{path} ({scheme}, {width})"
                page = watch.attach(context.new_page(), label)
                page.goto(base_url + path, wait_until="load", timeout=TIMEOUT_MS)
                wait_for_math(page)
                problems += check_math(page, label, page_has_math(site, path))
                broken = page.evaluate(IMAGE_REPORT)
                if broken:
                    problems.append(f"{label}: images not decoded: {broken}")
                for href in page.eval_on_selector_all("a[href]", "links => links.map((a) => a.href)"):
                    if href.startswith(base_url):  # checked below, once per distinct target
                        links.setdefault(href.split("#")[0], label)
                shown = page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")
                if shown != material_scheme:
                    problems.append(f"{label}: colour scheme {shown!r}, expected {material_scheme!r}")
                if TAKE_SCREENSHOTS:
                    page.evaluate(UNSTICK)  # measured as screenshot() shoots it: every block drawn
                    height = page.evaluate("() => document.documentElement.scrollHeight")
                    page.evaluate(RESTICK)
                    shots = screenshot(page, SCREENSHOTS / f"{page_name(path)}-{scheme}-{width}")
                    pieces = [png_height(shot) for shot in shots]
                    if sum(pieces) != height or max(pieces) > SHOT_HEIGHT:
                        problems.append(f"{label}: screenshots {pieces} px tall for a page of {height} px")
                page.close()
            context.close()
            problems += watch.problems
    # Links nobody clicked above: pages, the notebook's download button, links inside notebooks.
    context = browser.new_context()
    for href, label in sorted(links.items()):
        status = context.request.get(href).status
        if status != 200:
            problems.append(f"{label}: link to {href} answers HTTP {status}")
    context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.browser
def test_part_2_shows_the_current_source(browser, base_url):
    includes = snippet_includes(REPO / "docs" / "part-2-code.md")
    assert len(includes) >= 8, f"Part 2 should include the code through snippets; found {includes}"
    context = browser.new_context(viewport=DESKTOP)
    watch = Watch(context)
    page = watch.attach(context.new_page(), "/part-2-code/")
    page.goto(base_url + "part-2-code/", timeout=TIMEOUT_MS)
    blocks = [text.strip("\n") for text in page.eval_on_selector_all(
        "article pre > code", "codes => codes.map((c) => c.textContent)")]
    context.close()
    missing = [f"{path}:{section}" for path, section in includes
               if read_section(REPO / path, section).strip("\n") not in blocks]
    assert not missing, f"Part 2 does not show the current source of: {missing}"
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.browser
def test_search_finds_part_2_for_convtranspose2d(browser, base_url):
    context = browser.new_context(viewport=DESKTOP)
    watch = Watch(context)
    page = watch.attach(context.new_page(), "search")
    page.goto(base_url, timeout=TIMEOUT_MS)
    page.locator("input.md-search__input").click()
    page.keyboard.type("ConvTranspose2d")
    hit = page.locator(".md-search-result__item a[href*='part-2-code']").first
    hit.wait_for(state="attached", timeout=TIMEOUT_MS)
    context.close()
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.browser
def test_dark_mode_toggle_switches_and_switches_back(browser, base_url):
    context = browser.new_context(viewport=DESKTOP, color_scheme="light")
    watch = Watch(context)
    page = watch.attach(context.new_page(), "toggle")
    page.goto(base_url, timeout=TIMEOUT_MS)
    scheme = "() => document.body.getAttribute('data-md-color-scheme')"
    assert page.evaluate(scheme) == "default"
    toggle = page.locator("form[data-ae-palette] label:not([hidden])")
    toggle.click()
    page.wait_for_function(f"() => ({scheme})() === 'slate'", timeout=TIMEOUT_MS)
    toggle = page.locator("form[data-ae-palette] label:not([hidden])")
    toggle.click()
    page.wait_for_function(f"() => ({scheme})() === 'default'", timeout=TIMEOUT_MS)
    context.close()
    assert not watch.problems, "\n".join(watch.problems)


@pytest.mark.browser
def test_math_is_typeset_again_after_instant_navigation(browser, base_url, site):
    """Follow the footer's "next" links with Material's instant navigation, which swaps the page
    content without a reload; each new page must show its (build-time typeset) equations."""
    context = browser.new_context(viewport=DESKTOP)
    watch = Watch(context)
    # Instant navigation only follows links listed in sitemap.xml, whose URLs come from site_url.
    # Serve a sitemap for this local server so that the test does not depend on site_url.
    urls = "".join(f"<url><loc>{base_url}{path}</loc></url>" for path in site_pages(site))
    sitemap = f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    context.route("**/sitemap.xml", lambda route: route.fulfill(status=200, content_type="application/xml", body=sitemap))
    page = watch.attach(context.new_page(), "instant")
    page.goto(base_url, timeout=TIMEOUT_MS)
    wait_for_math(page)
    page.wait_for_load_state("networkidle")  # the sitemap has been read
    # Count Material's document$ emissions: one per page swap (the URL changes before the swap).
    page.evaluate("() => { window.__notReloaded = true; window.__swaps = 0; document$.subscribe(() => window.__swaps++) }")
    problems, visited = [], []
    while page.locator("a.md-footer__link--next").count():
        swaps = page.evaluate("() => window.__swaps")
        page.locator("a.md-footer__link--next").click()
        # (After a full reload __swaps is gone; the reload is then reported below, not as a timeout.)
        page.wait_for_function("(n) => window.__swaps === undefined ? document.readyState === 'complete'"
                               " : window.__swaps > n", arg=swaps, timeout=TIMEOUT_MS)
        wait_for_math(page)  # our hook subscribed first, so its typesetting pass is already queued
        path = page.url.removeprefix(base_url)
        visited.append(path)
        if not page.evaluate("() => window.__notReloaded === true"):
            problems.append(f"/{path}: a full page load, not an instant navigation")
        problems += check_math(page, f"/{path} (instant)", page_has_math(site, path))
    context.close()
    assert len(visited) >= 3, f"expected to walk through the parts, visited {visited}"
    assert not problems + watch.problems, "\n".join(problems + watch.problems)
