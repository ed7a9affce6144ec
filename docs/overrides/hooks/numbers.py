"""MkDocs hook: replace `{{ key }}` tokens in pages by generated numbers.

Pages never type a result by hand. They write `{{ vanilla-d32.final_loss.mean }}`, and this hook
substitutes the string stored under that key in docs/results/numbers.json, a flat JSON object
(key -> already formatted string) written by build_figures.py. Three more keys come from
CITATION.cff, the single source of the version and release date shown on the pages:
`citation.version`, `citation.date` and `citation.year`.

Rules, kept strict on purpose:
- a token is `{{`, optional spaces, a key made of [A-Za-z0-9_.-], optional spaces, `}}`;
  it is replaced everywhere in the page's Markdown, fenced code included (the BibTeX blocks
  rely on that). Anything else between double braces is left alone;
- an unknown key fails the build, naming the page and the key; so does a missing or damaged
  numbers.json, but only when a page actually uses one of its keys;
- replacement happens in `on_page_markdown`, i.e. before pymdownx.snippets runs: files included
  with `--8<--` are inserted verbatim, tokens in them are not replaced.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

from mkdocs.exceptions import PluginError

TOKEN = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")
NUMBERS_FILE = Path("results") / "numbers.json"  # relative to docs_dir
CITATION_FILE = "CITATION.cff"  # next to mkdocs.yml

# Filled by on_pre_build, once per build (mkdocs serve reloads the hook and rebuilds from scratch).
_numbers: dict[str, str] = {}
_numbers_problem: str | None = None  # why numbers.json is unusable, reported only if a page needs it
_citation: dict[str, str] = {}
_citation_problem: str | None = None


def _load_numbers(path: Path) -> tuple[dict[str, str], str | None]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, f"{path} does not exist yet; run `./run.sh build` (or build_figures.py) to generate it"
    except (OSError, ValueError) as error:
        return {}, f"{path} could not be read as JSON: {error}"
    if not isinstance(data, dict):
        return {}, f"{path} must hold a JSON object (key -> string), not {type(data).__name__}"
    bad = sorted(k for k, v in data.items() if not isinstance(v, str))
    if bad:
        return {}, f"{path}: values must be pre-formatted strings; not so for {', '.join(bad[:5])}"
    return data, None


def _load_citation(path: Path) -> tuple[dict[str, str], str | None]:
    # Two top-level lines are all we need; a regex avoids a YAML dependency in the hook.
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        return {}, f"{path} could not be read: {error}"
    version = re.search(r"""^version:\s*["']?([^"'\s#]+)""", text, re.MULTILINE)
    date = re.search(r"""^date-released:\s*["']?(\d{4}-\d{2}-\d{2})""", text, re.MULTILINE)
    if not (version and date):
        return {}, f"{path}: expected top-level `version:` and `date-released: YYYY-MM-DD` lines"
    return {
        "citation.version": version.group(1),
        "citation.date": date.group(1),
        "citation.year": date.group(1)[:4],
    }, None


def on_pre_build(config, **kwargs) -> None:
    global _numbers, _numbers_problem, _citation, _citation_problem
    _numbers, _numbers_problem = _load_numbers(Path(config["docs_dir"]) / NUMBERS_FILE)
    _citation, _citation_problem = _load_citation(Path(config["config_file_path"]).parent / CITATION_FILE)


def _source_lines(page, markdown: str, matches: list[re.Match]) -> list[int]:
    """Line numbers in the page's source file (front matter included) of each match."""
    try:
        source = page.file.content_string
    except (AttributeError, OSError, UnicodeDecodeError):
        source = markdown
    lines, seen = [], {}
    for match in matches:
        token = match.group(0)
        position = -1
        for _ in range(seen.get(token, 0) + 1):  # the k-th occurrence in the page is the k-th in the file
            position = source.find(token, position + 1)
        seen[token] = seen.get(token, 0) + 1
        if position < 0:  # not found verbatim: fall back to the position in the stripped Markdown
            source, position = markdown, match.start()
        lines.append(source.count("\n", 0, position) + 1)
    return lines


# A number that rounds to zero, "-0.00%" or "+0.0": its sign only tells from which side it was rounded.
SIGNED_ZERO = re.compile(r"[-+\u2212]0(?:\.0+)?(?:\s?%)?")


def unsigned_zero(value: str) -> str:
    """`value` as a page shows it: a rounded zero without a sign ("-0.00%" -> "0.00%")."""
    return value[1:] if SIGNED_ZERO.fullmatch(value) else value


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    unknown: list[re.Match] = []

    def replace(match: re.Match) -> str:
        key = match.group(1)
        if key in _citation:
            return _citation[key]
        if key in _numbers:
            return unsigned_zero(_numbers[key])
        unknown.append(match)
        return match.group(0)

    result = TOKEN.sub(replace, markdown)
    if not unknown:
        return result

    page_name = page.file.src_uri
    report: dict[str, list[str]] = {}  # reason -> ["page:line {{ key }}", ...]
    for match, line in zip(unknown, _source_lines(page, markdown, unknown)):
        key = match.group(1)
        if key.startswith("citation."):
            reason = _citation_problem or f"CITATION.cff provides only {', '.join(sorted(_citation))}"
        elif _numbers_problem:
            reason = _numbers_problem
        else:
            close = difflib.get_close_matches(key, _numbers, n=3)
            reason = f"not a key of docs/{NUMBERS_FILE.as_posix()}" + (
                f" (did you mean {', '.join(close)}?)" if close else "")
        report.setdefault(reason, []).append(f"{page_name}:{line}: {{{{ {key} }}}}")
    lines = [f"unknown number key(s) on page {page_name}:"]
    for reason, places in report.items():
        lines += [f"  {place}" for place in places] + [f"    -> {reason}"]
    raise PluginError("\n".join(lines))


# Notebook pages bypass on_page_markdown (mkdocs-jupyter renders them to HTML itself), so they get
# their "Cite this" block here, from the same CITATION.cff values as the Markdown pages'.
NOTEBOOK_CITATION = """@misc{{deconstructing_autoencoders_notebook,
  author  = "{{The Deconstructing Autoencoders team}}",
  title   = "{{Deconstructing Autoencoders from Scratch}}: {title} (notebook)",
  year    = "{year}",
  version = "{version}",
  date    = "{date}",
  note    = "Version {version}, released {date}"
}}"""


def on_page_content(content: str, page, config, files, **kwargs) -> str:
    if not page.file.src_uri.endswith(".ipynb"):
        return content
    if _citation_problem:
        raise PluginError(f"{page.file.src_uri}: no 'Cite this' block: {_citation_problem}")
    values = {key.removeprefix("citation."): value for key, value in _citation.items()}
    bibtex = NOTEBOOK_CITATION.format_map({**values, "title": _notebook_heading(page)})
    # Coloured as pymdownx.highlight colours the pages' BibTeX (the same Pygments classes).
    from pygments import highlight
    from pygments.formatters import HtmlFormatter
    from pygments.lexers import BibTeXLexer

    code = highlight(bibtex, BibTeXLexer(), HtmlFormatter(nowrap=True))
    return content + (
        '<h2 id="cite-this">Cite this<a class="headerlink" href="#cite-this" title="Permanent link">&para;</a></h2>'
        '<div class="admonition quote"><p class="admonition-title">Cite this notebook</p>'
        f'<div class="language-bibtex highlight"><pre><span></span><code>{code}</code></pre></div></div>'
    )


def _notebook_heading(page) -> str:
    """The notebook's own title: the first top-level heading of its Markdown cells."""
    notebook = json.loads(Path(page.file.abs_src_path).read_text(encoding="utf-8"))
    for cell in notebook["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise PluginError(f"{page.file.src_uri}: no top-level '# ' heading in its Markdown cells, to cite it by")
