"""MkDocs hook: in-text citations link to the page's reference list.

A page with a `## References` section lists its sources, one per bullet, each starting with its
authors and year: "P. Vincent, H. Larochelle, ... (2008). Title ...". In `on_page_content` this hook

1. gives each entry an id made of its first author's surname and its year, `ref-vincent-2008`;
2. turns every citation in the prose into a link to that id, in both forms the pages use:
   narrative, "Vincent et al. (2008)", "Baldi and Hornik (1989)", "Tishby, Pereira and Bialek
   (1999)", and parenthetical, "(Song & Ermon, 2019; Ho et al., 2020)", one link per source.

The prose needs no markup, so pages are written as ordinary text. Text inside links, code, headings
and the reference list itself is left alone. A citation with no entry on its page fails the build,
naming the page and the citation, and so does an entry whose authors or year cannot be read or
whose id another entry already has.
"""

from __future__ import annotations

import html as html_lib
import re

from mkdocs.exceptions import PluginError

NAME = r"[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
# "Ho et al.", "Song &amp; Ermon", "Baldi and Hornik", "Tishby, Pereira and Bialek" (HTML-escaped text).
AUTHORS = rf"{NAME}(?:\s+et\s+al\.|(?:,\s+{NAME})*,?\s+(?:and|&amp;)\s+{NAME})?"
YEAR = r"(?:1[89]|20)\d\d[a-z]?"
CITATION = re.compile(
    rf"(?P<narrative>(?P<n_who>{AUTHORS})\s+\((?P<n_year>{YEAR})\))"
    rf"|(?P<p_who>{AUTHORS}),\s+(?P<p_year>{YEAR})(?=\s*[;)])"
)
REFERENCES = re.compile(r'(<h2 id="references"[^>]*>.*?</h2>\s*<([ou]l)>)(.*?)(</\2>)', re.DOTALL)
ENTRY = re.compile(r"<li>(.*?)</li>", re.DOTALL)
# An entry opens with initials and the first author's surname, and gives the year in parentheses.
ENTRY_AUTHOR = re.compile(rf"^\s*(?:[A-Z][a-z]?\.(?:-[A-Z]\.)?\s+)+(?P<surname>{NAME})")
ENTRY_YEAR = re.compile(rf"\((?P<year>{YEAR})\)")
TAG = re.compile(r"<(?P<close>/?)(?P<name>[A-Za-z][A-Za-z0-9]*)\b[^>]*>")
# Elements whose text is never a citation to link: links already, code, headings.
SKIP = {"a", "code", "pre", "script", "style", "h1", "h2", "h3", "h4", "h5", "h6"}


def _key(surname: str, year: str) -> str:
    return f"ref-{surname.lower()}-{year}"


def _plain(fragment: str) -> str:
    return html_lib.unescape(re.sub(r"<[^>]+>", "", fragment))


def _number_entries(items: str, page: str) -> tuple[str, dict[str, str]]:
    """Give each <li> of the reference list its id; returns the new list and id -> entry text."""
    entries: dict[str, str] = {}

    def number(match: re.Match) -> str:
        text = " ".join(_plain(match[1]).split())
        author, year = ENTRY_AUTHOR.match(text), ENTRY_YEAR.search(text)
        if not (author and year):
            raise PluginError(f"{page}: reference entry without 'Initials Surname ... (year)': {text[:80]!r}")
        key = _key(author["surname"], year["year"])
        if key in entries:
            raise PluginError(f"{page}: two reference entries would share the id {key!r}; "
                              "add a letter to the year of one, e.g. (2011a)")
        entries[key] = text
        return f'<li id="{key}">{match[1]}</li>'

    return ENTRY.sub(number, items), entries


def _outside_skipped_elements(html: str, change) -> str:
    """Apply `change` to every run of text that is not inside an element of SKIP."""
    out, position, skipping, depth = [], 0, None, 0
    for tag in TAG.finditer(html):
        text = html[position:tag.start()]
        out += [text if skipping else change(text), tag.group(0)]
        position = tag.end()
        name, closing = tag["name"].lower(), bool(tag["close"])
        if skipping:
            if name == skipping:
                depth += -1 if closing else 1
                if depth == 0:
                    skipping = None
        elif name in SKIP and not closing:
            skipping, depth = name, 1
    rest = html[position:]
    out.append(rest if skipping else change(rest))
    return "".join(out)


def on_page_content(html: str, page, config, files, **kwargs) -> str:
    name = page.file.src_uri
    entries: dict[str, str] = {}
    parts = REFERENCES.search(html)
    if parts:
        items, entries = _number_entries(parts[3], name)
        before, after = html[:parts.start()] + parts[1], parts[4] + html[parts.end():]
    else:
        before, items, after = html, "", ""
    missing: list[str] = []

    def link(match: re.Match) -> str:
        who, year = (match["n_who"], match["n_year"]) if match["narrative"] else (match["p_who"], match["p_year"])
        key = _key(who.split()[0].rstrip(","), year)
        if key not in entries:
            missing.append(" ".join(_plain(match.group(0)).split()))
            return match.group(0)
        title = html_lib.escape(entries[key], quote=True)
        return f'<a class="citation" href="#{key}" title="{title}">{match.group(0)}</a>'

    def change(text: str) -> str:
        return CITATION.sub(link, text)

    linked = _outside_skipped_elements(before, change) + items + _outside_skipped_elements(after, change)
    if missing:
        where = "its References section has no entry for them" if entries else "it has no References section"
        raise PluginError(f"{name}: citations without a reference entry ({where}): "
                          + "; ".join(dict.fromkeys(missing)))
    return linked
