"""MkDocs hook: highlighted code without the elements that draw nothing.

Pygments wraps every token of a listing in a <span> with the token's class. Two classes change
nothing on our pages: names (`n`), which Material colours with the code's own text colour (its
--md-code-hl-name-color is --md-code-fg-color, and extra.css does the same for the notebook's
cells), and whitespace (`w`). They were a third of the elements of Part 2, and every element is
styled and laid out each time the browser restyles the page. The text is unchanged, so are copying,
search and what a listing looks like.
"""

from __future__ import annotations

import re

BLOCK = re.compile(r"<pre\b[^>]*>.*?</pre>", re.DOTALL)
PLAIN = re.compile(r'<span class="(?:n|w)">([^<]*)</span>')


def unwrap(html: str) -> str:
    """`html` with the plain-text token spans of its <pre> blocks replaced by their text."""
    return BLOCK.sub(lambda block: PLAIN.sub(r"\1", block[0]), html)


def on_page_content(html: str, page, config, files, **kwargs) -> str:
    return unwrap(html)
