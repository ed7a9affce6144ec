"""MkDocs hook: everything on a page that points at the published site or at the repository.

The addresses (site_url, repo_url, edit_uri) are set in mkdocs.yml from the environment and may be
absent, e.g. in a local build. Everything derived from them is then left out, never replaced by a
placeholder:

- `on_config`: without repo_url, edit_uri is dropped (MkDocs would otherwise emit relative "edit"
  links into nowhere). The preview image for shared links (`extra.preview_figure`, a figure named in
  docs/results/figures.json) gets its absolute URL, alt text and size, or none without site_url.
- `on_page_markdown`: a code listing that is exactly one snippet include,
      ```python
      --8<-- "src/autoencoders/models.py:vanilla"
      ```
  gets the source file as its title, so pages need no hand-written titles; and every BibTeX block
  gets a `url` field with the page's address.
- `on_page_content`: with repo_url, each such title links to the lines of that section in the
  repository, at the commit the site is built from. Every image of the page that is a PNG of the
  docs gets that PNG's width and height, so the browser keeps room for a lazy image before it loads:
  the page does not jump as figures arrive, and a link to a section lands on that section. A figure
  with a phone variant (docs/results/figures.json lists it) becomes a <picture> whose <source>, sized
  too, offers that PNG to screens matching its media query: a phone downloads only its own variant.
  MkDocs rewrites the addresses of Markdown images only, so the <picture> is made here, from the
  rewritten <img>, rather than written into the figures' snippets.
- `on_post_build`: the site serves a copy of CITATION.cff that also carries the addresses
  (`url`, `repository-code`), which the committed file cannot know.
"""

from __future__ import annotations

import json
import posixpath
import re
import struct
import subprocess
from html import escape
from pathlib import Path

from mkdocs.exceptions import PluginError

# A fence whose whole body is one `--8<-- "path"` or `--8<-- "path:section"` line.
LISTING = re.compile(
    r'^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)\n'
    r'(?P=indent)-+8<-+[ \t]+"(?P<path>[^":\n]+)(?::(?P<section>[A-Za-z][-\w]*))?"[ \t]*\n'
    r'(?P=indent)(?P=fence)[ \t]*$',
    re.MULTILINE,
)
# The opening line of an entry inside a ```bibtex fence: `@misc{key,`.
BIBTEX_ENTRY = re.compile(r'^(?P<indent>[ \t]*)`{3,}bibtex[^\n]*\n(?P=indent)@\w+\{[^,\n]*,\n', re.MULTILINE)
FILENAME = re.compile(r'<span class="filename">(?P<title>[^<]*)</span>')
MARKER = re.compile(r"-+8<-+[ \t]+\[[ \t]*(?P<type>start|end)[ \t]*:[ \t]*(?P<name>[-\w]+)[ \t]*\]")
# An <img> whose src is a relative .png address (not data:, not another host, not already sized).
IMAGE = re.compile(r'<img(?![^>]*\swidth=)(?P<attributes>[^>]*?\ssrc="(?P<src>(?![a-z]+:|/)[^"#?]+\.png)"[^>]*?)\s*/?>')

_root = Path(".")  # the directory of mkdocs.yml, the base of snippet paths
_commit = "HEAD"  # GitHub resolves HEAD to the default branch when no commit is known
_listings: dict[str, list[tuple[str, str | None]]] = {}  # page -> (path, section) of each titled listing
_phone: dict[str, dict] = {}  # a figure's PNG (as docs/figures/...) -> its phone variant: {"png", "media", ...}


def _png_size(path: Path) -> tuple[int, int]:
    with path.open("rb") as png:
        header = png.read(24)  # signature, then the IHDR chunk: width and height come first
    if header[:8] != b"\x89PNG\r\n\x1a\n":
        raise PluginError(f"{path} is not a PNG file")
    return struct.unpack(">II", header[16:24])


def _preview(config) -> dict | None:
    name = config.extra.get("preview_figure")
    if not name:
        return None
    docs = Path(config.docs_dir)
    png = docs / "figures" / f"{name}.png"
    try:
        alt = json.loads((docs / "results" / "figures.json").read_text(encoding="utf-8"))[name]["alt"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise PluginError(f"extra.preview_figure: no alt text for {name!r} in docs/results/figures.json "
                          f"({error!r}); run ./run.sh build") from None
    if not png.is_file():
        raise PluginError(f"extra.preview_figure: {png} does not exist; run ./run.sh build")
    width, height = _png_size(png)
    url = f"{config.site_url}figures/{name}.png" if config.site_url else None
    return {"url": url, "alt": alt, "width": width, "height": height}


def _phone_variants(config) -> dict[str, dict]:
    """The phone variants that docs/results/figures.json lists, by the PNG each stands in for; none for
    a manifest without them (outputs built before the variants existed)."""
    try:
        manifest = json.loads((Path(config.docs_dir) / "results" / "figures.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # _preview reports a missing manifest when the site needs it
    return {entry["png"]: entry["phone"] for entry in manifest.values()
            if isinstance(entry, dict) and isinstance(entry.get("phone"), dict)}


def on_config(config, **kwargs):
    global _root, _commit, _phone
    if not config.repo_url:
        config.edit_uri = None
    config.extra["preview"] = _preview(config)
    _phone = _phone_variants(config)
    _root = Path(config.config_file_path).parent
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=_root, capture_output=True, text=True)
        _commit = done.stdout.strip() if done.returncode == 0 else "HEAD"
    except OSError:  # no git on this machine
        _commit = "HEAD"
    config.extra["build_commit"] = _commit  # also for hooks/notebook.py
    _listings.clear()
    return config


def _section_lines(path: Path, section: str) -> tuple[int, int] | None:
    """First and last line (1-based) between the section's start and end markers."""
    start = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        marker = MARKER.search(line)
        if marker and marker["name"] == section:
            if marker["type"] == "start":
                start = number + 1
            elif start is not None:
                return start, number - 1
    return None


def _source_url(config, path: str, section: str | None) -> str:
    url = f"{config.repo_url.rstrip('/')}/blob/{_commit}/{path}"
    lines = _section_lines(_root / path, section) if section else None
    return f"{url}#L{lines[0]}-L{lines[1]}" if lines else url


def on_page_markdown(markdown: str, page, config, files, **kwargs) -> str:
    listings = _listings[page.file.src_uri] = []

    def title(match: re.Match) -> str:
        if "title=" in match["info"] or not (_root / match["path"]).is_file():
            return match.group(0)  # a title of its own, or not a file of the repository
        listings.append((match["path"], match["section"]))
        info = f'{match["info"].rstrip()} title="{match["path"]}"'
        return match.group(0).replace(match["fence"] + match["info"], match["fence"] + info, 1)

    markdown = LISTING.sub(title, markdown)
    if page.canonical_url:
        def url(match: re.Match) -> str:
            return f'{match.group(0)}{match["indent"]}  url     = "{page.canonical_url}",\n'

        markdown = BIBTEX_ENTRY.sub(url, markdown)
    return markdown


def _sized_images(html: str, page, files) -> str:
    def size(match: re.Match) -> str:
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page.file.dest_uri), match["src"]))
        file = files.get_file_from_path(target) if not target.startswith("..") else None
        if file is None:
            return match.group(0)  # not a file of the site: the strict build reports broken links
        width, height = _png_size(Path(file.abs_src_path))
        image = f'<img{match["attributes"]} width="{width}" height="{height}" />'
        phone = _phone.get(target)
        small = files.get_file_from_path(phone["png"]) if phone else None
        if small is None:
            return image
        # The phone's PNG, addressed from the page as the <img> addresses its own.
        srcset = posixpath.join(posixpath.dirname(match["src"]),
                                posixpath.relpath(phone["png"], posixpath.dirname(target) or "."))
        width, height = _png_size(Path(small.abs_src_path))
        return (f'<picture><source media="{escape(phone["media"])}" srcset="{escape(srcset)}" width="{width}" '
                f'height="{height}" />{image}</picture>')

    return IMAGE.sub(size, html)


def on_page_content(html: str, page, config, files, **kwargs) -> str:
    html = _sized_images(html, page, files)
    listings = iter(_listings.pop(page.file.src_uri, []))
    if not config.repo_url:
        return html
    expected = next(listings, None)

    def link(match: re.Match) -> str:
        nonlocal expected
        if expected is None or match["title"] != expected[0]:
            return match.group(0)
        href = _source_url(config, *expected)
        expected = next(listings, None)
        return (f'<span class="filename"><a href="{href}" title="This listing in the repository">'
                f'{match["title"]}</a></span>')

    return FILENAME.sub(link, html)


def on_post_build(config, **kwargs) -> None:
    source = _root / "CITATION.cff"
    if not source.is_file():
        return
    text = source.read_text(encoding="utf-8")
    for key, value in (("url", config.site_url), ("repository-code", config.repo_url)):
        if value and not re.search(rf"^{key}:", text, re.MULTILINE):
            text = text.rstrip("\n") + f'\n{key}: "{value}"\n'
    (Path(config.site_dir) / "CITATION.cff").write_text(text, encoding="utf-8")
