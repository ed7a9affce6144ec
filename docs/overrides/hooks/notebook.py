"""MkDocs hook: make the HTML of notebook pages behave like the rest of the site.

mkdocs-jupyter renders a notebook with nbconvert's template and bypasses MkDocs' Markdown
processing, which leaves two problems that this hook fixes in `on_page_content`:

1. nbconvert embeds a MathJax 2 loader: `<script src="">` (its CDN URL, blanked because the plugin
   passes no custom_mathjax_url) and a `text/x-mathjax-config` script that calls the MathJax 2 API.
   The site's equations are typeset at build time (hooks/math.py), so the block is dead weight, and
   worse: Material's instant navigation re-runs a new page's inline scripts as JavaScript, and
   `MathJax.Hub.Config` then throws. The block sits between two comments of the template.
2. Links between pages written as in Markdown, `[Part 3](part-3-experiments.md)`, work when the
   notebook is opened from docs/ in Jupyter, but MkDocs does not rewrite them on notebook pages.
   They are rewritten here to the target page's URL; a link to a missing page is a warning, so a
   strict build fails on it, as it would on a Markdown page.
3. nbconvert gives every plot the same alt text, "No description has been provided for this
   image". Each plotting cell of our notebooks carries its own in its metadata ("alt"), the key
   nbconvert's classic template reads; the k-th plot of the page gets the k-th cell's text. A
   plot whose cell has none is a warning, so a strict build fails on it.
4. Outside a checkout (in Colab, or downloaded), the notebook's first cell installs the package from
   `REPOSITORY` at `COMMIT`, which the committed notebook leaves empty: the copy the site serves for
   download gets the repository the site is built from (repo_url) and the commit (`with_source`,
   in `on_post_build`).
5. The page carried everything inline: 560 KB of JupyterLab's stylesheet (3,000 rules, for every
   widget JupyterLab has) and the plots as base64 PNG, 240 KB of HTML gzipped that a phone had to
   download and parse before it could show the first line. The stylesheets keep the rules that can
   match an element of the page (`used_css`), and each plot becomes a PNG file beside the page,
   named by its content, loaded lazily and sized by its width and height so that the page keeps
   its room (`plots_as_files`; the files are written into the site in `on_post_build`).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import os
import posixpath
import re
import struct
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.notebook")

MATHJAX2_BLOCK = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)
# nbconvert's placeholder, the same for every plot.
DEFAULT_ALT = 'alt="No description has been provided for this image"'
# href="some/page.md" or "page.md#anchor": relative (no scheme, not absolute), ending in .md
MARKDOWN_LINK = re.compile(r'href="(?P<path>[^":/#?][^":#?]*\.md)(?P<anchor>#[^"]*)?"')


def on_page_content(content: str, page, config, files, **kwargs) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return content
    content = _with_alt_texts(MATHJAX2_BLOCK.sub("", content), page)
    if os.environ.get("NOTEBOOK_FULL_CSS") != "1":  # tests/test_readers.py compares the page with and without
        content = prune_styles(content)
    content = plots_as_files(content, page)

    def rewrite(match: re.Match) -> str:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), match["path"]))
        file = files.get_file_from_path(target)
        if file is None or not file.is_documentation_page():
            log.warning("Notebook '%s' links to '%s', which is not a page of the site.",
                        page.file.src_uri, match["path"])
            return match.group(0)
        return f'href="{file.url_relative_to(page.file)}{match["anchor"] or ""}"'

    return MARKDOWN_LINK.sub(rewrite, content)


def _with_alt_texts(content: str, page) -> str:
    """Replace nbconvert's placeholder alt text, plot by plot, with the alt text of each plot's cell."""
    with open(page.file.abs_src_path, encoding="utf-8") as stream:
        cells = json.load(stream)["cells"]
    texts = [cell.get("metadata", {}).get("alt") for cell in cells if cell["cell_type"] == "code"
             for output in cell.get("outputs", []) if "image/png" in output.get("data", {})]
    pieces = content.split(DEFAULT_ALT)
    if len(pieces) - 1 != len(texts) or not all(texts):
        log.warning("Notebook '%s': every plotting cell needs an \"alt\" entry in its metadata "
                    "(%d plots, %d alt texts).", page.file.src_uri, len(pieces) - 1, sum(map(bool, texts)))
        return content
    return pieces[0] + "".join(f'alt="{html.escape(text)}"' + piece for text, piece in zip(texts, pieces[1:]))


# ------------------------------------------------------------------ the page's weight

STYLE = re.compile(r"(<style[^>]*>)(.*?)(</style>)", re.DOTALL)
CLASS_ATTRIBUTE = re.compile(r'\bclass="([^"]*)"')
CLASS = re.compile(r"\.(-?[_a-zA-Z][-_a-zA-Z0-9]*)")
# Pseudo-classes whose arguments need not match (":not(.x)" holds where no .x is) or may match an
# element the selector does not require: their classes are not required.
OPTIONAL = re.compile(r":(?:not|is|where|has)\((?:[^()]|\([^()]*\))*\)")


def _blocks(css: str) -> list[tuple[str, str]]:
    """Top-level (prelude, body) pairs of a stylesheet, bodies without their braces; a statement
    such as `@charset "UTF-8";` is a prelude with the body None. Comments are dropped, strings kept."""
    out, prelude, depth, start, i = [], [], 0, 0, 0
    while i < len(css):
        char = css[i]
        if css.startswith("/*", i):
            end = css.find("*/", i + 2)
            i = len(css) if end < 0 else end + 2
            continue
        if char in "\"'":
            end = i + 1
            while end < len(css) and css[end] != char:
                end += 2 if css[end] == "\\" else 1
            if depth == 0:
                prelude.append(css[i:end + 1])
            i = end + 1
            continue
        if char == "{":
            if depth == 0:
                start = i + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                out.append(("".join(prelude).strip(), css[start:i]))
                prelude = []
        elif char == ";" and depth == 0:
            out.append(("".join(prelude).strip(), None))
            prelude = []
        elif depth == 0:
            prelude.append(char)
        i += 1
    return out


# A selector that puts the document's root, <html> or <body> below another element matches nothing
# (the notebook's stylesheet is scoped by prefixing ".jupyter-wrapper " to JupyterLab's ":root" rules).
BELOW_ROOT = re.compile(r"\S\s+(?::root|html|body)\b")
# Custom properties of the notebook's stylesheet (JupyterLab's, and the colour scales it copies from
# Material Design); the theme's own variables are never dropped.
OWN_VARIABLE = re.compile(r"--(?:jp-[-\w]+|md-[a-z]+(?:-[a-z]+)*-A?\d+)")
# A custom property's declaration; its value may hold strings and brackets with ";" inside (data: URLs).
DECLARATION = re.compile(r"""(?P<name>--[-\w]+)\s*:(?:"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'"""
                         r"""|\((?:"[^"]*"|'[^']*'|\([^()]*\)|[^()"'])*\)|[^;{}()"'])*(?:;|(?=}))""")


def _selectors(prelude: str) -> list[str]:
    """The selectors of a rule's selector list: split at its commas, not those inside :is(a, b),
    [attr="a,b"] or a string."""
    out, depth, quote, start = [], 0, "", 0
    for i, char in enumerate(prelude):
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            out.append(prelude[start:i])
            start = i + 1
    return out + [prelude[start:]]


def used_css(css: str, classes: set[str]) -> str:
    """The rules of `css` that can match an element of a page whose elements have `classes`: a
    selector is kept unless it requires a class that no element has, or puts the root below another
    element. At-rules that hold rules (@media, @supports, @layer) are pruned inside; others
    (@font-face, @keyframes, @charset) are kept."""
    kept = []
    for prelude, body in _blocks(css):
        if body is None:
            kept.append(prelude + ";")
        elif prelude.startswith("@"):
            if re.match(r"@(media|supports|layer|container)\b", prelude):
                inner = used_css(body, classes)
                if inner:
                    kept.append(f"{prelude}{{{inner}}}")
            else:
                kept.append(f"{prelude}{{{body}}}")
        else:
            selectors = [s for s in _selectors(prelude)
                         if set(CLASS.findall(OPTIONAL.sub("", s))) <= classes and not BELOW_ROOT.search(s)]
            if selectors:
                kept.append(f"{','.join(s.strip() for s in selectors)}{{{body}}}")
    return "".join(kept)


def unused_variables_dropped(css: str) -> str:
    """`css` without the declarations of its own custom properties (OWN_VARIABLE) that no var()
    reads, repeated until none is left (a variable may be read only by another unused one)."""
    while True:
        read = set(re.findall(r"var\(\s*(--[-\w]+)", css))
        lean = DECLARATION.sub(lambda m: m[0] if m["name"] in read or not OWN_VARIABLE.fullmatch(m["name"])
                               else "", css)
        if lean == css:
            return css
        css = lean


def prune_styles(content: str) -> str:
    """Every <style> of the page reduced to the rules that can match its elements."""
    classes = {name for attribute in CLASS_ATTRIBUTE.findall(content) for name in attribute.split()}
    # Classes that the theme's and mkdocs-jupyter's scripts give the notebook's elements later.
    classes |= {"md-clipboard", "md-icon", "focus-visible", "js-focus-visible", "jupyter-wrapper"}
    styles = [used_css(m[2], classes) for m in STYLE.finditer(content)]
    # Variables are read across the page's stylesheets: drop the unread ones from all of them at once.
    joined = unused_variables_dropped("\x00".join(styles)).split("\x00")
    pieces = iter(joined)
    return STYLE.sub(lambda m: m[1] + next(pieces) + m[3], content)


PLOT = re.compile(r'<img\s+(?P<before>[^>]*?)src="data:image/png;base64,(?P<data>[A-Za-z0-9+/=\s]+)"(?P<after>[^>]*)>')
_plots: dict[str, bytes] = {}  # site path -> PNG bytes, written by on_post_build


def png_size(data: bytes) -> tuple[int, int]:
    return struct.unpack(">II", data[16:24])


def plots_as_files(content: str, page) -> str:
    """Inline PNG plots -> files beside the page (plot-<digest>.png), lazy, with their size."""
    folder = posixpath.dirname(page.file.dest_uri)

    def replace(match: re.Match) -> str:
        data = base64.b64decode(match["data"])
        name = f"plot-{hashlib.sha256(data).hexdigest()[:16]}.png"
        _plots[posixpath.join(folder, name)] = data
        width, height = png_size(data)
        attributes = (match["before"] + match["after"]).strip().rstrip("/").strip()
        return (f'<img src="{name}" width="{width}" height="{height}" loading="lazy" decoding="async"'
                f'{" " + attributes if attributes else ""}>')

    return PLOT.sub(replace, content)


# The lines of the notebook's first cell that name where the package comes from.
SOURCE_LINE = re.compile(r'^(?P<name>REPOSITORY|COMMIT) = ""$', re.MULTILINE)


def with_source(notebook: dict, repository: str, commit: str) -> int:
    """Fill in `REPOSITORY = ""` and `COMMIT = ""` in the code cells of `notebook` (nbformat JSON);
    returns how many lines were filled in."""
    values, count = {"REPOSITORY": repository, "COMMIT": commit}, 0
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        filled, n = SOURCE_LINE.subn(lambda m: f'{m["name"]} = {json.dumps(values[m["name"]])}', source)
        if n:
            count += n  # (a file stores a cell's source as lines, nbformat in memory as one string)
            cell["source"] = filled if isinstance(cell["source"], str) else filled.splitlines(keepends=True)
    return count


def on_post_build(config, **kwargs) -> None:
    if config.repo_url:
        for served in Path(config["site_dir"]).rglob("*.ipynb"):
            notebook = json.loads(served.read_text(encoding="utf-8"))
            if with_source(notebook, config.repo_url.rstrip("/"), config.extra.get("build_commit", "HEAD")):
                served.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for path, data in _plots.items():
        target = Path(config["site_dir"]) / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.is_file() or target.read_bytes() != data:
            target.write_bytes(data)
