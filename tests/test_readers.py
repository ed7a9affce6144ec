"""Readers (issue 20): pages that load light, read on a phone, and work with a keyboard or a screen reader.

Checked in Chromium against the site the session builds (tests/conftest.py), at a phone's width
(390 px) and a desktop's (1280 px), light and dark:
- the work a page's load costs: no whole-page restyle after the first, no layout shift;
- the weight of the notebook page, without changing what it looks like;
- axe-core (npm, pinned in package.json) finds no violation on any page;
- the zoom view, the contents, tables and equations on a phone, the Play page's widgets.
Lighthouse itself is slow and its timings depend on the machine: tests/lighthouse.py runs it, and
test_lighthouse.py does when asked (LIGHTHOUSE=1).
"""

from __future__ import annotations

import importlib.util
import re

import pytest

from site_helpers import REPO, build_site, serve

HOOKS = REPO / "docs" / "overrides" / "hooks"
TIMEOUT_MS = 30_000


def hook(name: str):
    """A hook module of docs/overrides/hooks, imported under a name of its own (math.py would shadow math)."""
    spec = importlib.util.spec_from_file_location(f"hook_{name}", HOOKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- the notebook page's weight

def test_the_notebook_stylesheet_keeps_every_rule_that_can_match_and_drops_the_rest():
    notebook = hook("notebook")
    css = (
        '@charset "UTF-8";'
        "/* a comment with { braces } */"
        ".w .used{color:red}"
        ".w .absent{color:blue}"
        ".w .used,.w .absent{margin:0}"
        ".w :is(.used:hover, .absent){padding:0}"  # a comma inside :is() is not a list separator
        ".w .used:not(.absent){top:0}"
        '.w [title="a,b{c}"]{left:0}'  # nor inside an attribute value, nor braces in a string
        ".w :root{--jp-dead: 1px}"  # the root below another element: never matches
        "@media (max-width: 10em){.w .absent{x:1}.w .used{x:2}}"
        "@media print{.w .absent{x:1}}"
        "@keyframes spin{from{opacity:0}to{opacity:1}}"
        ".w{--jp-read: url(\"data:image/svg+xml;charset=utf8,%3Csvg%3E\");--jp-unread: 2px;"
        "--md-red-50: #fff;--md-typeset-color: red;--jp-via: var(--md-blue-500);--md-blue-500: #00f}"
        ".w .used{background:var(--jp-read);border-color:var(--jp-via)}"
    )
    lean = notebook.unused_variables_dropped(notebook.used_css(css, {"w", "used"}))
    assert lean == (
        '@charset "UTF-8";'
        ".w .used{color:red}"
        ".w .used{margin:0}"
        ".w :is(.used:hover, .absent){padding:0}"
        ".w .used:not(.absent){top:0}"
        '.w [title="a,b{c}"]{left:0}'
        "@media (max-width: 10em){.w .used{x:2}}"
        "@keyframes spin{from{opacity:0}to{opacity:1}}"
        '.w{--jp-read: url("data:image/svg+xml;charset=utf8,%3Csvg%3E");'
        "--md-typeset-color: red;--jp-via: var(--md-blue-500);--md-blue-500: #00f}"
        ".w .used{background:var(--jp-read);border-color:var(--jp-via)}"
    )


# Every computed style of every element of the page's content (CSS properties, not the custom
# properties that hold values for them), one digest per element.
STYLES_JS = """
() => {
  const digest = (text) => { let h = 0; for (let i = 0; i < text.length; i++) h = (h * 31 + text.charCodeAt(i)) | 0; return h; };
  return [...document.querySelectorAll(".md-content *")].map((el) => {
    const style = getComputedStyle(el);
    const values = [...style].filter((name) => !name.startsWith("--")).sort()
      .map((name) => name + ":" + style.getPropertyValue(name)).join("\\n");
    return [el.tagName + "." + (typeof el.className === "string" ? el.className : ""), digest(values), values];
  });
}
"""


@pytest.mark.browser
def test_the_notebook_page_looks_the_same_with_its_stylesheets_pruned(site, browser, tmp_path):
    """Element by element, every computed style of the notebook's content equals that of a build whose
    notebook page keeps all of JupyterLab's stylesheet; and the pruned page is a fraction of it."""
    full = tmp_path / "site"
    done = build_site(full, environment={"NOTEBOOK_FULL_CSS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    pruned_html = (site / "notebook" / "index.html").read_bytes()
    full_html = (full / "notebook" / "index.html").read_bytes()
    assert len(pruned_html) < len(full_html) / 3, (len(pruned_html), len(full_html))
    seen = {}
    for name, root in (("pruned", site), ("full", full)):
        with serve(root) as base:
            for scheme in ("light", "dark"):
                context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
                page = context.new_page()
                page.goto(base + "notebook/", wait_until="load", timeout=TIMEOUT_MS)
                seen[name, scheme] = page.evaluate(STYLES_JS)
                context.close()
    for scheme in ("light", "dark"):
        pruned, complete = seen["pruned", scheme], seen["full", scheme]
        assert len(pruned) == len(complete) > 500
        differ = [(a[0], sorted(set(a[2].split("\n")) ^ set(b[2].split("\n")))[:6])
                  for a, b in zip(pruned, complete) if a[1] != b[1]]
        assert not differ, f"{scheme}: {len(differ)} elements styled differently, e.g. {differ[:3]}"


def test_the_notebook_plots_are_files_with_their_size_and_load_lazily(site):
    html = (site / "notebook" / "index.html").read_text(encoding="utf-8")
    assert "data:image/png" not in html
    plots = re.findall(r'<img src="(plot-[0-9a-f]{16}\.png)" width="(\d+)" height="(\d+)" loading="lazy"', html)
    assert len(plots) == 3, plots
    notebook = hook("notebook")
    for name, width, height in plots:
        assert notebook.png_size((site / "notebook" / name).read_bytes()) == (int(width), int(height))


# ---------------------------------------------------------------- axe-core on every page

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def axe_violations(page) -> list[str]:
    """axe-core's violations on the page as it is, one line per rule and element."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: install the npm packages of package.json (npm ci)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ["violations"] });
        return r.violations.map((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(" ")}: `
          + (n.failureSummary || "").replace(/\\s+/g, " ").slice(0, 220)));
    }""")
    return [line for lines in result for line in lines]


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_violation_on_any_page(site, browser, base_url, width, scheme):
    from site_helpers import site_pages

    problems = []
    context = browser.new_context(viewport=WIDTHS[width], color_scheme=scheme,
                                  is_mobile=width == "phone", has_touch=width == "phone")
    for path in site_pages(site):
        page = context.new_page()
        page.goto(base_url + path, wait_until="load", timeout=TIMEOUT_MS)
        page.wait_for_function("document.documentElement.dataset.scrollers === 'ready'", timeout=TIMEOUT_MS)
        problems += [f"/{path}: {line}" for line in axe_violations(page)]
        page.close()
    context.close()
    assert not problems, f"{len(problems)} violations at {width}, {scheme}:\n" + "\n".join(problems)
