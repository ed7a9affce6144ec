"""MkDocs hook: highlighted code as light as it can be for the browser.

1. Each listing's copy button is in the HTML (Material's markup and styles; reading.js copies). Material
   adds one itself when its content.code.copy feature is on, but it does so block by block as the page
   loads, measuring each block between two insertions: every insertion forced the browser to lay the
   page out again before the next measurement (on Part 2, twenty layouts and twenty restyles in one task).
2. The elements that draw nothing are left out:

   Pygments wraps every token of a listing in a <span> with the token's class. Two classes change
   nothing on our pages: names (`n`), which Material colours with the code's own text colour (its
   --md-code-hl-name-color is --md-code-fg-color, and extra.css does the same for the notebook's
   cells), and whitespace (`w`). They were a third of the elements of Part 2, and every element is
   styled and laid out each time the browser restyles the page. The text is unchanged, so are
   copying, search and what a listing looks like.
"""

from __future__ import annotations

import re

BLOCK = re.compile(r"<pre\b[^>]*>.*?</pre>", re.DOTALL)
PLAIN = re.compile(r'<span class="(?:n|w)">([^<]*)</span>')


# A listing's <pre> as pymdownx.highlight writes it: the empty span it puts first, then the code.
LISTING = re.compile(r'(<div class="[^"]*\bhighlight\b[^"]*">(?:<span class="filename">.*?</span>)?<pre\b[^>]*>'
                     r'(?:<span></span>)?)(<code\b)', re.DOTALL)
COPY = ('<div class="md-code__nav"><button type="button" class="md-code__button" data-md-type="copy" '
        'title="Copy to clipboard" aria-label="Copy to clipboard"></button></div>')


def unwrap(html: str) -> str:
    """`html` with the plain-text token spans of its <pre> blocks replaced by their text."""
    return BLOCK.sub(lambda block: PLAIN.sub(r"\1", block[0]), html)


def with_copy_buttons(html: str) -> str:
    """`html` with a copy button at the top of each highlighted listing."""
    return LISTING.sub(lambda m: m[1] + COPY + m[2], html)


def on_page_content(html: str, page, config, files, **kwargs) -> str:
    return with_copy_buttons(unwrap(html))
