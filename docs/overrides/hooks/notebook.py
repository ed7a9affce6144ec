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
"""

from __future__ import annotations

import logging
import posixpath
import re

log = logging.getLogger("mkdocs.hooks.notebook")

MATHJAX2_BLOCK = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.DOTALL)
# href="some/page.md" or "page.md#anchor": relative (no scheme, not absolute), ending in .md
MARKDOWN_LINK = re.compile(r'href="(?P<path>[^":/#?][^":#?]*\.md)(?P<anchor>#[^"]*)?"')


def on_page_content(html: str, page, config, files, **kwargs) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return html
    html = MATHJAX2_BLOCK.sub("", html)

    def rewrite(match: re.Match) -> str:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.src_uri), match["path"]))
        file = files.get_file_from_path(target)
        if file is None or not file.is_documentation_page():
            log.warning("Notebook '%s' links to '%s', which is not a page of the site.",
                        page.file.src_uri, match["path"])
            return match.group(0)
        return f'href="{file.url_relative_to(page.file)}{match["anchor"] or ""}"'

    return MARKDOWN_LINK.sub(rewrite, html)
