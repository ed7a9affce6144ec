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
"""

from __future__ import annotations

import html
import json
import logging
import posixpath
import re

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
