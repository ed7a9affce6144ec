"""Equations are typeset when the site is built (docs/overrides/hooks/math.py), never in the browser.

What a reader must get: on every page, as many typeset equations as the source has, in the same
order, with no raw TeX left in the text, drawn the same with JavaScript off; no MathJax runtime;
equations that are not Tab stops and keep a MathML copy for screen readers; search results free of
TeX; copying an equation gives its TeX. And for the build: a TeX error or a dangling \\eqref stops it
with a clear message, \\tag / \\label / \\eqref work across equations, and the cache makes a second
build start no Node and produce the same bytes.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import textwrap

import pytest

from site_helpers import REPO, build_site, serve
# The site, its build and the browser are the session's (tests/conftest.py).
from test_site import TIMEOUT_MS

HOOK = REPO / "docs" / "overrides" / "hooks" / "math.py"
PAGES = {"": "index.md", "part-1-math/": "part-1-math.md", "part-2-code/": "part-2-code.md",
         "part-3-experiments/": "part-3-experiments.md", "notebook/": "notebook.ipynb"}
BUILD_DATE = re.compile(rb"Build Date UTC : [^\n]*")
RAW_TEX = re.compile(r"\\[A-Za-z]{2,}|\\[()\[\]]|\$\$")


# ---------------------------------------------------------------- the source's equations

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+).*?^(?P=indent)(?P=fence)[ \t]*$", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"(`+).+?\1", re.DOTALL)
DISPLAY = re.compile(r"\$\$(.+?)\$\$|\\\[(.+?)\\\]", re.DOTALL)
# (inline math may wrap onto the next line of its paragraph, not across a blank line)
INLINE = re.compile(r"(?<![\\$])\$(?!\s)((?:[^$\n]|\n(?![ \t]*\n))+?)(?<![\s\\])\$(?!\d)|\\\((.+?)\\\)")


def source_equations(text: str) -> list[str]:
    """The TeX of every equation of a Markdown text, in order, found independently of the build:
    `$$...$$` / `\\[...\\]` and `$...$` / `\\(...\\)` outside code."""
    text = INLINE_CODE.sub("", FENCE.sub("", text))
    found = []
    for match in DISPLAY.finditer(text):
        found.append((match.start(), (match[1] or match[2]).strip()))
    text = DISPLAY.sub(lambda m: " " * len(m[0]), text)
    for match in INLINE.finditer(text):
        found.append((match.start(), (match[1] or match[2]).strip()))
    return [tex for _, tex in sorted(found)]


def page_source(name: str) -> str:
    path = REPO / "docs" / name
    if name.endswith(".ipynb"):
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        return "\n\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return path.read_text(encoding="utf-8")


def normalise(tex: str) -> str:
    return re.sub(r"\s+", " ", tex).strip()


# ---------------------------------------------------------------- what the browser sees

PAGE_REPORT = r"""
() => {
  const article = document.querySelector("article");
  const clone = article.cloneNode(true);
  clone.querySelectorAll("pre, code, script, style, .math-text, mjx-assistive-mml").forEach((e) => e.remove());
  const equations = [...article.querySelectorAll("[data-tex]")];
  return {
    text: clone.textContent,
    tex: equations.map((e) => e.dataset.tex.slice(2, -2)),
    // (an equation broken over lines for phones is also typeset on one line, shown where it fits)
    containers: article.querySelectorAll("mjx-container:not(.math-layout--one-line mjx-container)").length,
    // drawn at a visible size (equations inside a closed <details> are not rendered: skipped)
    invisible: equations.map((e) => e.querySelector("mjx-container > svg"))
      .filter((svg) => !svg || (svg.getClientRects().length > 0
        && (svg.getBoundingClientRect().width < 2 || svg.getBoundingClientRect().height < 2)))
      .length,
    // the page's shared glyph outlines take no room (an <svg> ignores the hidden attribute)
    glyphsShown: [...article.querySelectorAll("svg.mjx-glyphs")].filter((svg) => svg.getClientRects().length).length,
    glyphless: equations.filter((e) => !e.querySelector("svg path, svg use, svg rect")).map((e) => e.dataset.tex),
    // every shared glyph an equation uses is defined on the page
    dangling: [...article.querySelectorAll("mjx-container use")]
      .filter((u) => !document.getElementById(u.getAttribute("xlink:href").slice(1))).length,
    errors: article.querySelectorAll("[data-mml-node=merror]").length,
    withoutMathML: equations.filter((e) => !e.querySelector("mjx-assistive-mml > math")).length,
    svgNotHidden: [...article.querySelectorAll("mjx-container > svg")]
      .filter((svg) => svg.getAttribute("aria-hidden") !== "true").length,
    // anything in an equation that takes keyboard focus, apart from links (\eqref)
    tabStops: [...article.querySelectorAll("mjx-container, mjx-container *")]
      .filter((e) => e.tabIndex >= 0 && !e.closest("a")).length,
    scripts: [...document.scripts].map((s) => s.src).filter((src) => /mathjax|tex-svg/i.test(src)),
    runtime: typeof window.MathJax !== "undefined",
  };
}
"""


def open_page(browser, url: str, javascript: bool = True):
    """(context, page, errors): `errors` collects the page's uncaught JavaScript exceptions."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, java_script_enabled=javascript)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url, wait_until="load", timeout=TIMEOUT_MS)
    return context, page, errors


def visit(browser, url: str, javascript: bool) -> dict:
    context, page, errors = open_page(browser, url, javascript)
    report = page.evaluate(PAGE_REPORT)
    context.close()
    return {**report, "pageErrors": errors}


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("path", list(PAGES))
def test_every_equation_of_the_source_is_typeset_on_the_page(browser, base_url, path, javascript):
    expected = [normalise(tex) for tex in source_equations(page_source(PAGES[path]))]
    report = visit(browser, base_url + path, javascript)
    assert report["containers"] == len(expected) == len(report["tex"]), (
        f"/{path}: {report['containers']} typeset equations, {len(expected)} in {PAGES[path]}")
    assert [normalise(tex) for tex in report["tex"]] == expected, f"/{path}: equations differ from the source"
    raw = RAW_TEX.findall(report["text"])
    assert not raw, f"/{path}: raw TeX in the rendered text: {raw[:5]}"
    assert report["invisible"] == 0 and not report["glyphless"] and report["dangling"] == 0, (
        f"/{path}: equations not drawn: {report}")
    assert report["glyphsShown"] == 0, f"/{path}: the glyph definitions take room on the page"
    assert report["errors"] == 0, f"/{path}: MathJax error boxes on the page"
    assert report["withoutMathML"] == 0 and report["svgNotHidden"] == 0, f"/{path}: no accessible MathML"
    assert report["tabStops"] == 0, f"/{path}: {report['tabStops']} equations are Tab stops"
    assert not report["scripts"] and not report["runtime"], f"/{path}: the MathJax runtime is loaded"
    assert not report["pageErrors"], f"/{path}: JavaScript errors: {report['pageErrors']}"


def test_the_source_counter_sees_the_equations_of_part_1():
    """The independent counter above, on a known text: code and escaped dollars are not math."""
    text = textwrap.dedent(r"""
        Cost $x$ of \(y\) and \$5, `$not$`, then
        $$
        a = b
        $$
        ```python
        print("$z$")
        ```
    """)
    assert source_equations(text) == ["x", "y", "a = b"]
    assert len(source_equations(page_source("part-1-math.md"))) > 100


@pytest.mark.browser
@pytest.mark.parametrize("query", ["PCA", "denoising"])
def test_search_results_show_no_tex(browser, base_url, query):
    context, page, errors = open_page(browser, base_url + "part-1-math/")
    page.locator("input.md-search__input").click()
    page.keyboard.type(query)
    page.locator(".md-search-result__item").first.wait_for(state="attached", timeout=TIMEOUT_MS)
    # Show the results Material folds away ("N more on this page"), then read them all.
    for more in page.locator(".md-search-result__more summary").all():
        more.click()
    results = page.locator(".md-search-result").inner_text()
    context.close()
    assert not errors, errors
    assert query.lower() in results.lower(), results[:500]
    raw = RAW_TEX.findall(results) + re.findall(r"\\[A-Za-z{}_^]", results)
    assert not raw, f"search for {query!r} shows raw TeX: {raw[:5]}"


@pytest.mark.browser
def test_copying_equations_gives_their_tex(browser, base_url):
    context, page, errors = open_page(browser, base_url + "part-1-math/")
    copy = """(select) => {
      const selection = document.getSelection();
      selection.removeAllRanges();
      const range = document.createRange();
      select(range);
      selection.addRange(range);
      const event = new ClipboardEvent("copy", {clipboardData: new DataTransfer(), bubbles: true, cancelable: true});
      document.activeElement.dispatchEvent(event);
      return event.clipboardData.getData("text/plain");
    }"""
    # A paragraph with inline equations: its text, with each equation as its TeX.
    paragraph = page.evaluate(f"""() => ({copy})((range) => {{
      const p = [...document.querySelectorAll("article p")].find((p) => p.querySelector("[data-tex]"));
      range.selectNodeContents(p);
    }})""")
    expected = page.evaluate("""() => {
      const p = [...document.querySelectorAll("article p")].find((p) => p.querySelector("[data-tex]"));
      const clone = p.cloneNode(true);
      clone.querySelectorAll("[data-tex]").forEach((e) => e.replaceWith(e.dataset.tex));
      return clone.textContent;
    }""")
    # A selection inside one display equation: that equation's TeX.
    display = page.evaluate(f"""() => ({copy})((range) =>
      range.selectNodeContents(document.querySelector("article div.arithmatex mjx-container svg")))""")
    first_display = page.evaluate("() => document.querySelector('article div.arithmatex').dataset.tex")
    context.close()
    assert not errors, errors
    assert normalise(paragraph) == normalise(expected) and "\\(" in paragraph, paragraph
    assert display == first_display and display.startswith("\\[") and "\\begin{aligned}" in display


# ---------------------------------------------------------------- the build

def load_hook():
    spec = importlib.util.spec_from_file_location("math_hook", HOOK)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


def test_search_text_is_readable():
    readable = load_hook().readable
    assert readable(r"\hat{\mathbf{x}} = g_\phi\big(f_\theta(\mathbf{x})\big)") == "x̂ = g_φ(f_θ(x))"
    assert readable(r"W_e = C\,U_d^{\top}") == "W_e = C U_d^⊤"
    assert readable(r"\frac{1}{Nn}\sum_{i=1}^{N} \lVert \mathbf{x}_i \rVert^2") == "1/(Nn)∑_i=1^N ‖ x_i ‖^2"
    assert readable(r"\mathbb{R}^n\to\mathbb{R}^d \tag{3}\label{eq:maps}") == "ℝ^n→ℝ^d (3)"


def write_site(root, page: str, theme: str = "mkdocs"):
    """A one-page site that uses the math hook the way mkdocs.yml does."""
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "index.md").write_text(page, encoding="utf-8")
    (root / "mkdocs.yml").write_text(textwrap.dedent(f"""\
        site_name: math hook test
        theme:
          name: {theme}
          features: [navigation.instant]
        markdown_extensions:
          - pymdownx.arithmatex:
              generic: true
        hooks: [{HOOK}]
        """), encoding="utf-8")
    return root / "mkdocs.yml"


NUMBERED = r"""
The loss is

$$
\mathcal{L} = \lVert \mathbf{x} - \hat{\mathbf{x}} \rVert^2 \tag{2} \label{eq:loss}
$$

and $\eqref{eq:loss}$ is minimised; so is \(\ref{eq:loss}\).
"""


def test_tags_labels_and_eqref_work_across_equations(tmp_path):
    config = write_site(tmp_path, NUMBERED)
    done = build_site(tmp_path / "site", config)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert html.count('id="mjx-eqn:eq:loss"') == 1  # the tag, as the target of the links
    assert html.count('<a class="math-ref" href="#mjx-eqn:eq:loss">') == 2  # \eqref and \ref link to it
    # no link inside an SVG, where Material's JavaScript cannot handle one (see the hook's finish())
    assert not [svg for svg in re.findall(r"<svg.*?</svg>", html, re.DOTALL) if "<a " in svg]
    assert "<mtext>(2)</mtext>" in html and "<mtext>2</mtext>" in html  # \eqref and \ref texts


@pytest.mark.browser
def test_following_an_eqref_link_scrolls_to_the_equation_without_errors(tmp_path, browser):
    """On a Material page with instant navigation: Material's JavaScript handles every link and
    every href attribute, and must not trip over anything the hook put into the page."""
    filler = "\n\n".join(f"Paragraph {i} of filler text." for i in range(60))
    config = write_site(tmp_path, NUMBERED + "\n\n" + filler + "\n\nBack to $\\eqref{eq:loss}$.\n", "material")
    done = build_site(tmp_path / "site", config)
    assert done.returncode == 0, done.stderr
    with serve(tmp_path / "site") as url:
        context, page, errors = open_page(browser, url)
        page.locator("a.math-ref").last.click()
        page.wait_for_function("() => location.hash.length > 1", timeout=TIMEOUT_MS)
        target = page.evaluate("() => decodeURIComponent(location.hash)")
        tag_top = page.evaluate("() => document.getElementById('mjx-eqn:eq:loss').getBoundingClientRect().top")
        context.close()
    assert not errors, errors
    assert target == "#mjx-eqn:eq:loss"
    assert 0 <= tag_top < 800  # the numbered equation is on screen


@pytest.mark.parametrize("page, message", [
    (r"Before $\frac{1$ after.", r"index.md: \frac{1"),
    (r"An $\undefinedmacro{x}$ here.", r"Undefined control sequence \undefinedmacro"),
    (r"See $\eqref{eq:nowhere}$.", r"\label{eq:nowhere}, which no equation of the page defines"),
])
def test_bad_tex_stops_the_build_with_a_clear_message(tmp_path, page, message):
    config = write_site(tmp_path, page)
    done = build_site(tmp_path / "site", config)
    assert done.returncode != 0
    assert message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_warm_build_typesets_nothing_and_writes_the_same_bytes(tmp_path):
    config = write_site(tmp_path, NUMBERED + "\nAnd $x \\in [0,1]^n$, with $$a = b.$$\n")
    cold = build_site(tmp_path / "cold", config)
    warm = build_site(tmp_path / "warm", config)
    assert cold.returncode == 0 and warm.returncode == 0, cold.stderr + warm.stderr
    assert "math: 5 equations typeset by MathJax, 0 taken from" in cold.stderr, cold.stderr
    assert "math: 0 equations typeset by MathJax, 5 taken from" in warm.stderr, warm.stderr
    for name in ("index.html", "assets/stylesheets/mathjax-svg.css"):
        # MkDocs stamps the home page with the build's date and time: that line aside
        cold_bytes, warm_bytes = ((tmp_path / build / name).read_bytes() for build in ("cold", "warm"))
        assert BUILD_DATE.sub(b"", cold_bytes) == BUILD_DATE.sub(b"", warm_bytes), name
    # Another renderer version would be another key: the cache files are named by the key.
    assert len(list((tmp_path / ".cache" / "math").glob("*.html"))) == 5


def test_display_equations_of_the_notebook_are_not_put_inside_paragraphs(site):
    """nbconvert writes a display equation as a paragraph of its own, <p>$$...$$</p>; the typeset
    <div> replaces that paragraph (a <div> inside a <p> would be split off by the HTML parser)."""
    html = (site / "notebook" / "index.html").read_text(encoding="utf-8")
    assert html.count('<div class="arithmatex"') >= 1
    assert not re.search(r'<p>\s*<div class="arithmatex"', html)


def test_a_heading_with_math_shows_no_tex_in_the_table_of_contents(tmp_path):
    config = write_site(tmp_path, "# Title\n\n## The width $d$ of $\\mathbf{z}$\n\nText.\n")
    done = build_site(tmp_path / "site", config)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    outside_attributes = re.sub(r'data-tex="[^"]*"', "", html)
    assert "\\(" not in outside_attributes and "\\mathbf" not in outside_attributes
    assert "The width d of z" in html  # the contents entry


def test_an_equation_broken_for_phones_is_also_typeset_on_one_line(tmp_path):
    """An `aligned` block whose rows after the first start with `&\\quad` continues one line on the
    next: the hook typesets it on one line too (its \\tag kept, its \\label on the box that holds
    both, for \\eqref), with the one-line form's width; a row that starts otherwise is a step."""
    spec = importlib.util.spec_from_file_location("hook_math", HOOK)
    hook = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = hook  # (its dataclass looks its module up there)
    spec.loader.exec_module(hook)
    broken = r"\begin{aligned} a &= b + c\\ &\quad + d\\[2pt] &\quad - e. \end{aligned} \tag{5} \label{eq:five}"
    assert hook.one_line(broken) == r"a = b + c + d - e. \tag{5} "
    assert hook.one_line(r"\begin{aligned} a &= b\\ &= c \end{aligned}") is None  # two steps
    assert hook.one_line(r"a = b") is None
    config = write_site(tmp_path, "$$\n" + broken + "\n$$\n\nSee $\\eqref{eq:five}$.\n")
    done = build_site(tmp_path / "site", config)
    assert done.returncode == 0, done.stderr
    html = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    box = re.search(r'<div class="arithmatex"[^>]*>', html)[0]
    assert 'id="mjx-eqn:eq:five"' in box and re.search(r'data-wide="\d+"', box), box
    assert html.count('id="mjx-eqn:eq:five"') == 1
    assert html.count("math-layout--broken") == 1 and html.count("math-layout--one-line") == 1
