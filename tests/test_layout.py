"""Pages that read well everywhere: measured in Chromium at a desktop (1280 px) and a phone (390 px) width.

Every page, the notebook included, is checked for what a reader would notice first: a page that scrolls
sideways, a code block, table, equation or figure that sticks out of the content column without showing
that it scrolls, a copy button lying over code, and figures that cannot be enlarged. The notebook page is
also held to the rest of the site's standards (column width, no prompt gutter, wrapping outputs, readable
dark-mode colours, alt text, a citation).
"""

from __future__ import annotations

import re
from collections import Counter
from html import unescape
from urllib.parse import urlsplit

import pytest
import yaml

from site_helpers import REPO, read_section, site_pages, snippet_includes

WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
TIMEOUT_MS = 30_000
WCAG_AA = 4.5  # minimum contrast ratio of normal-size text

# For each element that may be wider than the content column: is it inside a box that scrolls sideways
# and shows it (the scroll shadows of extra.css), and does that box itself fit the column?
# Returns one line per offender.
OVERFLOW_JS = """
() => {
  const column = document.querySelector(".md-content").getBoundingClientRect();
  const selectors = ["pre > code", "table", "img", "div.arithmatex", "mjx-container", ".jp-OutputArea-output pre",
                     ".md-typeset__scrollwrap", ".ae-flow"];
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const shows = (el) => getComputedStyle(el).backgroundImage.includes("gradient");
  const fits = (r) => r.left >= column.left - 1 && r.right <= column.right + 1;
  const name = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === "string"
      ? "." + el.className.trim().split(/\\s+/).join(".") : "");
  const problems = [];
  // Whatever scrolls sideways in the content must say so.
  for (const el of document.querySelectorAll(".md-content *")) {
    if (scrolls(el) && el.scrollWidth > el.clientWidth + 1 && !shows(el)) {
      problems.push(`${name(el)} scrolls sideways without a visible cue: "${el.textContent.slice(0, 60)}"`);
    }
  }
  for (const el of document.querySelectorAll(selectors.map((s) => ".md-content " + s).join(","))) {
    if (el.closest(".md-content__button")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || fits(r)) continue;
    let box = el.parentElement;
    while (box && !box.classList.contains("md-content") && !scrolls(box)) box = box.parentElement;
    if (!box || box.classList.contains("md-content")) {
      problems.push(`${name(el)} is ${Math.round(r.width)} px wide and sticks out of the ${Math.round(column.width)} px column`);
    } else if (!fits(box.getBoundingClientRect())) {
      problems.push(`${name(box)} around ${name(el)} is wider than the column`);
    } else if (!shows(box)) {
      problems.push(`${name(box)} scrolls ${name(el)} sideways without a visible cue`);
    }
  }
  return problems;
}
"""

# Rectangles of code text under the copy button of each code block: Material's, and the notebook's own.
COPY_BUTTON_JS = """
() => {
  const problems = [];
  const buttons = [...document.querySelectorAll(".md-content pre > .md-code__nav")]
    .map((nav) => [nav, nav.parentElement.querySelector(":scope > code")])
    .concat([...document.querySelectorAll(".md-content .zeroclipboard-container")]
    .map((copy) => [copy, copy.closest(".jp-InputArea-editor").querySelector("pre")]));
  for (const [nav, code] of buttons) {
    const button = nav.getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(code);
    for (const r of range.getClientRects()) {
      const overlap = Math.min(r.right, button.right) - Math.max(r.left, button.left) > 1
                   && Math.min(r.bottom, button.bottom) - Math.max(r.top, button.top) > 1;
      if (overlap) {
        problems.push(`the copy button covers code in "${code.textContent.slice(0, 60)}"`);
        break;
      }
    }
  }
  return problems;
}
"""

# Every word of the notebook's outputs on one line: outputs wrap at spaces, never inside a number.
SPLIT_WORDS_JS = """
() => {
  const split = [];
  for (const pre of document.querySelectorAll(".jp-OutputArea-output pre")) {
    const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const match of node.textContent.matchAll(/\\S+/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        if (range.getClientRects().length > 1) split.push(match[0]);
      }
    }
  }
  return split;
}
"""

# WCAG contrast of every syntax-highlighted token of a page's code against its background.
CONTRAST_JS = """
() => {
  const rgb = (text) => text.match(/[\\d.]+/g).slice(0, 3).map(Number);
  const luminance = (c) => {
    const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const colour = getComputedStyle(el).backgroundColor;
      const alpha = colour.match(/[\\d.]+/g)[3];
      if (alpha === undefined || Number(alpha) > 0.5) return rgb(colour);
    }
    return [255, 255, 255];
  };
  const worst = [];
  for (const span of document.querySelectorAll(".md-content pre span")) {
    if (!span.textContent.trim()) continue;
    const [a, b] = [luminance(rgb(getComputedStyle(span).color)), luminance(background(span))];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    worst.push([ratio, span.className, span.textContent.slice(0, 20)]);
  }
  return worst.sort((x, y) => x[0] - y[0]).slice(0, 5);
}
"""


def open_page(browser, url: str, width: str, scheme: str = "light"):
    context = browser.new_context(viewport=WIDTHS[width], color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url, wait_until="load")
    # Equations change the layout: measure once MathJax has typeset the page (if it has any).
    page.wait_for_function("() => !window.MathJax || !MathJax.startup || !MathJax.startup.promise "
                           "|| MathJax.startup.promise.then(() => true)")
    page.wait_for_timeout(300)
    return context, page


def pages(site) -> list[str]:
    found = site_pages(site)
    assert "notebook/" in found and "part-2-code/" in found, found
    return found


@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_sticks_out_of_the_column_and_the_page_never_scrolls_sideways(site, browser, base_url, width):
    problems = []
    for path in pages(site):
        context, page = open_page(browser, base_url + path, width)
        sizes = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        if sizes[0] > sizes[1]:
            problems.append(f"/{path}: the page is {sizes[0]} px wide in a {sizes[1]} px window")
        problems += [f"/{path}: {p}" for p in page.evaluate(OVERFLOW_JS)]
        problems += [f"/{path}: {p}" for p in page.evaluate(COPY_BUTTON_JS)]
        context.close()
    assert not problems, f"at {WIDTHS[width]['width']} px:\n" + "\n".join(problems)


def test_the_code_part_2_includes_from_src_fits_the_desktop_column(site, browser, base_url):
    """Listings from src/autoencoders/ are wrapped to fit at 1280 px: no scrolling needed to read them.
    Each `--8<--` include of the page is found among its code blocks by its whole text (two sections
    may well begin with the same line, such as a decorator), as often as the page includes it."""
    from_src = Counter(read_section(REPO / path, section).strip()
                       for path, section in snippet_includes(REPO / "docs" / "part-2-code.md")
                       if path.startswith("src/"))
    assert from_src, "Part 2 includes nothing from src/"
    context, page = open_page(browser, base_url + "part-2-code/", "desktop")
    blocks = page.evaluate("""() => [...document.querySelectorAll(".md-content pre > code")].map((c) => [
        c.textContent.trim(), c.scrollWidth, c.clientWidth,
        Math.floor((c.clientWidth - parseFloat(getComputedStyle(c).paddingLeft)
                    - parseFloat(getComputedStyle(c).paddingRight)) / (() => {
          const s = document.createElement("span");
          s.textContent = "0".repeat(100);
          c.append(s);
          const width = s.getBoundingClientRect().width / 100;
          s.remove();
          return width;
        })())])""")
    context.close()
    listed = [b for b in blocks if b[0] in from_src]
    missing = from_src - Counter(b[0] for b in listed)
    assert not missing, (f"found {len(listed)} of the {from_src.total()} listings from src/; not shown as included:\n"
                         + "\n".join(text.splitlines()[0] for text in missing.elements()))
    wide = [f"{text.splitlines()[0]!r}: {scroll} px of text in a {client} px box" for text, scroll, client, _ in listed
            if scroll > client + 1]
    assert not wide, f"the column holds {listed[0][3]} characters of code; these listings need wrapping:\n" + "\n".join(wide)


ZOOM_STATE = """() => {
  const overlay = document.querySelector(".zoom-overlay");
  if (!overlay) return null;
  const img = overlay.querySelector(".zoom-stage img"), box = img.getBoundingClientRect();
  return { width: box.width, height: box.height, left: box.left, top: box.top, right: box.right, bottom: box.bottom,
           natural: img.naturalWidth, src: img.src, caption: overlay.querySelector(".zoom-caption").textContent.trim(),
           focused: document.activeElement.getAttribute("aria-label"), modal: overlay.getAttribute("aria-modal"),
           labelled: overlay.getAttribute("aria-label"), described: overlay.getAttribute("aria-describedby") };
}"""


BACKDROP_TAP = 24  # px: the smallest target WCAG 2.2 accepts for a pointer (2.5.8)

# The parts of the zoom view that are backdrop, largest first, each at least BACKDROP_TAP px each way:
# the stage around the image, and the bar beside its buttons. Each one's centre is checked to be the
# backdrop itself, not the image, a button or the caption drawn over it.
BACKDROP_JS = """() => {
  const overlay = document.querySelector(".zoom-overlay");
  const stage = overlay.querySelector(".zoom-stage"), bar = overlay.querySelector(".zoom-bar");
  const [s, i, b] = [stage, stage.querySelector("img"), bar].map((node) => node.getBoundingClientRect());
  const buttons = [...bar.querySelectorAll("button")].map((node) => node.getBoundingClientRect());
  const left = Math.min(...buttons.map((r) => r.left)), right = Math.max(...buttons.map((r) => r.right));
  const regions = [
    [s.left, s.top, s.right, Math.max(s.top, i.top)], [s.left, Math.min(s.bottom, i.bottom), s.right, s.bottom],
    [s.left, s.top, Math.max(s.left, i.left), s.bottom], [Math.min(s.right, i.right), s.top, s.right, s.bottom],
    [b.left, b.top, left, b.bottom], [right, b.top, b.right, b.bottom],
  ];
  return regions.map(([x0, y0, x1, y1]) => ({ centre: [(x0 + x1) / 2, (y0 + y1) / 2], size: [x1 - x0, y1 - y0] }))
    .filter(({ centre, size }) => Math.min(...size) >= %d
            && [overlay, stage, bar].includes(document.elementFromPoint(...centre)))
    .sort((p, q) => q.size[0] * q.size[1] - p.size[0] * p.size[1]);
}""" % BACKDROP_TAP


def pinch(page, center: tuple[float, float], start: float, end: float, steps: int = 8) -> None:
    """Two fingers on either side of `center`, moving from `start` to `end` px apart (Chromium's CDP)."""
    cdp = page.context.new_cdp_session(page)
    x, y = center

    def points(gap):
        return [{"x": x - gap / 2, "y": y, "id": 0}, {"x": x + gap / 2, "y": y, "id": 1}]

    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": points(start)})
    for k in range(1, steps + 1):
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": points(start + (end - start) * k / steps)})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_zoom_view_fits_the_screen_shows_the_caption_zooms_and_closes(site, browser, base_url, width):
    """A figure opens over the page fitted to the screen with its caption, in a modal dialog whose
    close button has the focus; "1:1" shows the PNG at full resolution (its own pixels), as a double
    tap does on a phone, and a pinch zooms in there; a click on the image leaves it open; the close
    button, Escape and a click on the backdrop close it, and the focus returns to the figure. There is
    always a backdrop a finger can hit: beside the image when it leaves room, else in the bar beside
    the buttons (a tall figure on a phone fills the stage from edge to edge)."""
    for path in ("part-1-math/", "part-3-experiments/", "notebook/"):
        context = browser.new_context(viewport=WIDTHS[width], is_mobile=width == "phone", has_touch=width == "phone")
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(base_url + path, wait_until="load")
        image = page.locator(".md-content img.zoomable").first
        image.scroll_into_view_if_needed()
        image.evaluate("(img) => img.decode()")  # figures load lazily
        source = image.evaluate("(img) => img.currentSrc || img.src")
        caption = image.evaluate("""(img) => (img.closest("figure")?.querySelector("figcaption")?.textContent
                                             ?? img.alt).trim()""")
        viewport = WIDTHS[width]
        for close in ("button", "Escape", "backdrop"):
            image.focus()
            page.keyboard.press("Enter")
            page.wait_for_function("() => document.querySelector('.zoom-overlay')?.dataset.zoom")
            shown = page.evaluate(ZOOM_STATE)
            assert shown["src"] == source and shown["caption"] == caption, f"/{path}: {shown}"
            assert shown["modal"] == "true" and shown["labelled"] and shown["described"], shown
            assert shown["focused"] == "Close", f"/{path}: the focus is on {shown['focused']!r}, not the close button"
            assert shown["left"] >= -1 and shown["right"] <= viewport["width"] + 1, f"/{path}: does not fit: {shown}"
            assert shown["top"] >= -1 and shown["bottom"] <= viewport["height"] + 1, f"/{path}: does not fit: {shown}"
            middle = ((shown["left"] + shown["right"]) / 2, (shown["top"] + shown["bottom"]) / 2)
            if close == "button":
                page.locator(".zoom-overlay").get_by_role("button", name="Full resolution", exact=True).click()
                full = page.evaluate(ZOOM_STATE)
                assert abs(full["width"] - full["natural"]) <= 1, f"/{path}: 1:1 shows {full['width']} px of {full['natural']}"
                page.locator(".zoom-overlay").get_by_role("button", name="Full resolution", exact=True).click()  # and back to the fitted view
                assert abs(page.evaluate(ZOOM_STATE)["width"] - shown["width"]) <= 1
                if width == "phone":
                    for _ in range(2):  # a double tap on the image shows it at full resolution, and back
                        page.touchscreen.tap(*middle)
                    tapped = page.evaluate(ZOOM_STATE)
                    assert tapped and abs(tapped["width"] - tapped["natural"]) <= 1, f"/{path}: double tap: {tapped}"
                    for _ in range(2):
                        page.touchscreen.tap(*middle)
                    assert abs(page.evaluate(ZOOM_STATE)["width"] - shown["width"]) <= 1
                    pinch(page, middle, 40, 200)
                    pinched = page.evaluate(ZOOM_STATE)
                    assert pinched["width"] > 2 * shown["width"], f"/{path}: a pinch did not zoom: {pinched}"
                page.locator(".zoom-overlay").get_by_role("button", name="Close", exact=True).click()
            elif close == "Escape":
                page.keyboard.press("Escape")
            else:
                page.mouse.click(*middle)
                assert page.evaluate(ZOOM_STATE) is not None, f"/{path}: a click on the image closed the zoom view"
                backdrop = page.evaluate(BACKDROP_JS)
                assert backdrop, f"/{path}: no backdrop of {BACKDROP_TAP} px to tap beside the image: {shown}"
                page.mouse.click(*backdrop[0]["centre"])
            assert page.evaluate(ZOOM_STATE) is None, f"/{path}: {close} did not close the zoom view"
            assert image.evaluate("(img) => img === document.activeElement"), f"/{path}: the focus did not return"
        context.close()


# Every figure with a phone variant, as the page has it: what it asks for, what it loaded, how large it is.
PICTURES_JS = """() => [...document.querySelectorAll(".md-content picture")].map((picture) => {
  const image = picture.querySelector("img");
  const box = image.getBoundingClientRect();
  return {src: image.getAttribute("src"), loaded: image.complete && image.naturalWidth > 0 ? image.currentSrc : null,
          width: box.width, height: box.height, natural: [image.naturalWidth, image.naturalHeight]};
})"""


def pictures_after_loading(page) -> tuple[list[dict], list[dict]]:
    """The page's pictures before any is scrolled to, and after each has been scrolled to and decoded."""
    before = page.evaluate(PICTURES_JS)
    for image in page.locator(".md-content picture img").all():
        image.scroll_into_view_if_needed()
        image.evaluate("(img) => img.decode()")
    return before, page.evaluate(PICTURES_JS)


@pytest.mark.browser
@pytest.mark.parametrize("width", WIDTHS)
def test_each_screen_loads_only_its_own_variant_of_every_figure(site, browser, base_url, width):
    """A phone shows and downloads the phone's PNGs only, a desktop the column's only; each figure's box has
    the proportions of the PNG it will show before that arrives (no jump), and the box is no narrower than
    the column that tests/test_figures.py measures the type against."""
    from test_figures import SHOWN_WIDTH

    variant = "phone" if width == "phone" else "column"
    problems, shown = [], 0
    for path in ("part-1-math/", "part-3-experiments/", "play/"):  # on Play, the downloads only
        context = browser.new_context(viewport=WIDTHS[width])
        requested = []
        context.on("request", lambda request: requested.append(urlsplit(request.url).path))
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.goto(base_url + path, wait_until="load")
        before, after = pictures_after_loading(page) if path != "play/" else ([], [])  # widgets replace them
        context.close()
        assert after or path == "play/", f"/{path}: no <picture> on the page"
        shown += len(after)
        for early, late in zip(before, after):
            name = late["src"].rsplit("/", 1)[-1]
            if not (late["loaded"] or "").endswith(f"{name[:-4]}-phone.png" if variant == "phone" else name):
                problems.append(f"/{path}: {name}: showed {late['loaded']}")
            if abs(early["height"] - late["height"]) > 1:
                problems.append(f"/{path}: {name}: {early['height']:.0f} px tall before it loaded, "
                                f"{late['height']:.0f} px after")
            if late["width"] < SHOWN_WIDTH[variant]:
                problems.append(f"/{path}: {name}: shown {late['width']:.0f} px wide, under the "
                                f"{SHOWN_WIDTH[variant]} px its type is measured for")
        others = [p for p in requested if p.endswith(".png") and "/figures/" in p
                  and p.endswith("-phone.png") != (variant == "phone")]
        if others:
            problems.append(f"/{path}: also downloaded the other variant: {others[:3]}")
    assert not problems, f"at {WIDTHS[width]['width']} px:\n" + "\n".join(problems)
    assert shown >= 12  # Part 3 includes all but one figure, Part 1 one


@pytest.mark.browser
@pytest.mark.parametrize("window, variant", [(360, "phone"), (719, "phone"), (720, "column"), (960, "column")])
def test_the_variants_switch_where_the_column_stays_wide_enough_for_each(site, browser, base_url, window, variant):
    """Around the breakpoint and on the narrowest phones, the widths tests/test_figures.py assumes hold."""
    from test_figures import SHOWN_WIDTH

    context = browser.new_context(viewport={"width": window, "height": 800})
    page = context.new_page()
    page.goto(base_url + "part-3-experiments/", wait_until="load")
    image = page.locator(".md-content picture img").first
    image.scroll_into_view_if_needed()
    image.evaluate("(img) => img.decode()")
    loaded, shown = image.evaluate("(img) => [img.currentSrc, img.getBoundingClientRect().width]")
    context.close()
    assert loaded.endswith("-phone.png") == (variant == "phone"), f"{window} px: {loaded}"
    assert shown >= SHOWN_WIDTH[variant], f"{window} px: the {variant}'s figure is {shown:.0f} px wide"


def test_the_notebook_page_matches_the_rest_of_the_site(site, browser, base_url):
    widths = {}
    for path in ("part-1-math/", "notebook/"):
        context, page = open_page(browser, base_url + path, "desktop")
        widths[path] = page.evaluate("document.querySelector('.md-content__inner').getBoundingClientRect().width")
        context.close()
    assert abs(widths["notebook/"] - widths["part-1-math/"]) <= 1, f"column widths differ: {widths}"

    context, page = open_page(browser, base_url + "notebook/", "phone")
    prompts = page.evaluate("""() => [...document.querySelectorAll(".jp-InputPrompt, .jp-OutputPrompt")]
                                       .filter((p) => p.getBoundingClientRect().width > 0).length""")
    assert prompts == 0, f"{prompts} 'In [n]:' / output prompts take room at phone width"
    split = page.evaluate(SPLIT_WORDS_JS)
    assert not split, f"outputs break inside words or numbers at phone width: {split[:10]}"
    alts = page.evaluate("[...document.querySelectorAll('.jp-RenderedImage img')].map((img) => img.alt)")
    assert len(alts) == 3 and all(len(a) > 40 and "No description" not in a for a in alts), alts
    context.close()

    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    html = (site / "notebook" / "index.html").read_text(encoding="utf-8")
    assert re.search(r"<h2[^>]*>Cite this", html), "the notebook page has no 'Cite this' block"
    block = html[html.index("Cite this notebook"):]
    text = unescape(re.sub(r"<[^>]+>", "", block))  # the BibTeX is coloured: one span per token
    assert f'version = "{citation["version"]}"' in text and str(citation["date-released"]) in text
    assert 'title   = "{Deconstructing Autoencoders from Scratch}: Run it yourself' in text
    assert '<span class="nc">@misc</span>' in block, "the notebook's BibTeX is not coloured like the pages'"


@pytest.mark.parametrize("path", ["notebook/", "part-2-code/"])
def test_code_is_readable_in_dark_mode(site, browser, base_url, path):
    """The notebook's code cells and the Markdown pages' listings, each against its own background."""
    context, page = open_page(browser, base_url + path, "desktop", scheme="dark")
    assert page.evaluate("document.body.getAttribute('data-md-color-scheme')") == "slate"
    worst = page.evaluate(CONTRAST_JS)
    context.close()
    assert worst, f"/{path}: no highlighted code found"
    low = [f"{ratio:.2f} for {cls} {text!r}" for ratio, cls, text in worst if ratio < WCAG_AA]
    assert not low, f"/{path}: code below the WCAG AA contrast of {WCAG_AA}:1 in dark mode:\n" + "\n".join(low)
