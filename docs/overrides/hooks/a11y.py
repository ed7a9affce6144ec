"""MkDocs hook: names and roles that Material's HTML lacks, so that screen readers can announce them.

- The search dialog (`<div class="md-search" role="dialog">`) has no accessible name; it gets the
  search field's placeholder, the theme's own translation of "Search".

Each fix is a replacement of a known piece of the theme's HTML; if the theme stops producing it, the
build fails with the page's name, rather than shipping a page without the fix.
"""

from __future__ import annotations

import html
import re

from mkdocs.exceptions import PluginError

SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'
PLACEHOLDER = re.compile(r'<input type="text" class="md-search__input"[^>]*\bplaceholder="([^"]*)"')


def on_post_page(output: str, page, config, **kwargs) -> str:
    if not any(name.split("/")[-1] == "search" for name in config["plugins"]):
        return output
    placeholder = PLACEHOLDER.search(output)
    if SEARCH_DIALOG not in output or not placeholder:
        raise PluginError(f"{page.file.src_uri}: the theme's search dialog has changed; "
                          "docs/overrides/hooks/a11y.py cannot give it a name")
    name = html.escape(html.unescape(placeholder[1]))
    return output.replace(SEARCH_DIALOG, SEARCH_DIALOG[:-1] + f' aria-label="{name}">', 1)
