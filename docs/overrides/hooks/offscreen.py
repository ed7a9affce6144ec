"""MkDocs hook: mark the blocks of a page that the browser may skip while they are off screen.

extra.css gives every block marked `data-offscreen` `content-visibility: auto`: until the reader nears
it, the browser does not style, lay out or paint it, and Material's whole-page style passes while a
page loads cost what the first screens cost, not what the whole page costs. Which blocks:

- paragraphs, lists, display equations, admonitions and folded notes, where the cost lies (inline and
  display equations, highlighted code inside notes);
- not the first FIRST blocks of a page: a block is drawn at its estimated height in the first frame,
  and one on the first screen would push the page down when it gets its real height;
- not the last LAST: a skipped block's content may reach beyond its estimated height, and there it
  would lie over the footer, where contrast checkers look for its background;
- on notebook pages, the cells, by the same rules.

The marks are written here, once, rather than selected in CSS by position (:nth-child): a rule that
depends on a block's position makes the browser restyle every block of the page whenever one is
inserted, which Material does as the page loads (it wraps each table in a scrolling box).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

FIRST, LAST = 15, 7
CELLS_FIRST, CELLS_LAST = 5, 3
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
BLOCK = re.compile(r"(?:p|ul|ol|details)$")
BLOCK_CLASS = re.compile(r"\b(?:arithmatex|admonition)\b")
CELL = re.compile(r'<div\b[^>]*\bclass="jp-Cell\b[^"]*"')


class _TopLevel(HTMLParser):
    """The start offsets, tags and classes of the elements at the top level of a piece of HTML."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=False)
        self.lines = [0]
        for line in html.splitlines(keepends=True):
            self.lines.append(self.lines[-1] + len(line))
        self.depth, self.found = 0, []
        self.feed(html)
        self.close()

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.lines[line - 1] + column

    def handle_starttag(self, tag, attrs):
        if self.depth == 0:
            self.found.append((self._offset(), tag, dict(attrs).get("class") or ""))
        if tag not in VOID:
            self.depth += 1

    def handle_startendtag(self, tag, attrs):
        if self.depth == 0:
            self.found.append((self._offset(), tag, dict(attrs).get("class") or ""))

    def handle_endtag(self, tag):
        if tag not in VOID:
            self.depth = max(0, self.depth - 1)


def _marked(html: str, starts: list[int]) -> str:
    """`html` with ` data-offscreen` added to the start tags that begin at `starts`."""
    pieces, position = [], 0
    for start in starts:
        end = re.compile(r"<[\w-]+").match(html, start).end()
        pieces += [html[position:end], " data-offscreen"]
        position = end
    return "".join(pieces + [html[position:]])


def mark(html: str, notebook: bool = False) -> str:
    if notebook:
        cells = [m.start() for m in CELL.finditer(html)]
        return _marked(html, cells[CELLS_FIRST:len(cells) - CELLS_LAST])
    blocks = _TopLevel(html).found
    starts = [offset for k, (offset, tag, classes) in enumerate(blocks)
              if FIRST <= k < len(blocks) - LAST and (BLOCK.match(tag) or (tag == "div" and BLOCK_CLASS.search(classes)))]
    return _marked(html, starts)


def on_page_content(html: str, page, config, files, **kwargs) -> str:
    return mark(html, notebook=page.file.src_uri.endswith(".ipynb"))
