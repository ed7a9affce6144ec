"""Publishing: the deploy workflow, the addresses, citing, sharing metadata and the 404 page.

The site is built twice: with placeholder addresses (SITE_URL under example.org, REPO_URL on
github.com, as the workflow would set them) and with none. The first must carry every link derived
from them, the second none of them, and both must build strictly.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from site_helpers import (
    REPO, SCREENSHOTS, TAKE_SCREENSHOTS, build_site, read_section, screenshot, serve, site_pages,
)

SITE_URL = "https://example.org/autoencoders/"
REPO_URL = "https://github.com/example-team/autoencoders"
WORKFLOW = REPO / ".github" / "workflows" / "pages.yml"
BIN = Path(sys.executable).parent  # the venv's bin: actionlint and cffconvert come from the test extras
PAGES = {"": "index.md", "part-1-math/": "part-1-math.md", "part-2-code/": "part-2-code.md",
         "part-3-experiments/": "part-3-experiments.md", "notebook/": "notebook.ipynb"}


def meta(page_html: str, name: str) -> str | None:
    """The content of <meta property|name="name">, unescaped; None when absent."""
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)"', page_html)
    return html.unescape(match[1]) if match else None


def hrefs(page_html: str) -> list[str]:
    return [html.unescape(h) for h in re.findall(r'\bhref="([^"]*)"', page_html)]


def bibtex(page_html: str) -> str:
    """The text of the page's BibTeX blocks, as a reader copies it (highlighting spans removed)."""
    blocks = re.findall(r'class="language-bibtex highlight"><pre>.*?<code>(.*?)</code>', page_html, re.DOTALL)
    return "\n".join(html.unescape(re.sub(r"<[^>]+>", "", block)) for block in blocks)


def git_commit() -> str:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                          check=True).stdout.strip()


def built(destination: Path, addresses: dict[str, str]) -> Path:
    done = build_site(destination, addresses=addresses)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stderr[-4000:]}"
    return destination


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    return built(tmp_path_factory.mktemp("published") / "site", {"SITE_URL": SITE_URL, "REPO_URL": REPO_URL})


@pytest.fixture(scope="module")
def local(site) -> Path:
    """The session's site (tests/conftest.py), which is built without addresses."""
    return site


def read(site: Path, path: str) -> str:
    return (site / path / "index.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the workflow

def test_the_workflow_passes_actionlint():
    done = subprocess.run([str(BIN / "actionlint"), "-no-color", str(WORKFLOW)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_really_checks_the_workflow(tmp_path):
    """A misspelt input must be reported, or the test above proves nothing."""
    broken = tmp_path / "pages.yml"
    broken.write_text(WORKFLOW.read_text(encoding="utf-8").replace("python-version:", "python-versoin:"))
    done = subprocess.run([str(BIN / "actionlint"), "-no-color", str(broken)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "python-versoin" in done.stdout


def test_the_workflow_runs_the_readme_commands_and_nothing_else():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as a boolean
    assert triggers["push"]["branches"] == ["main"] and "pull_request" in triggers
    jobs = workflow["jobs"]
    runs = {name: [step["run"] for step in job["steps"] if "run" in step] for name, job in jobs.items()}
    assert runs["test"] == ["./run.sh test"]
    assert jobs["test"]["if"] == "github.event_name == 'pull_request'"
    assert runs["deploy"] == ["./run.sh setup", ".venv/bin/python build_figures.py --check",
                              ".venv/bin/mkdocs build --strict"]
    uses = [step["uses"].split("@")[0] for step in jobs["deploy"]["steps"] if "uses" in step]
    assert uses == ["actions/checkout", "actions/setup-python", "actions/configure-pages",
                    "actions/upload-pages-artifact", "actions/deploy-pages"]
    build = next(step for step in jobs["deploy"]["steps"] if step.get("run", "").startswith(".venv/bin/mkdocs"))
    assert build["env"]["SITE_URL"] == "${{ steps.pages.outputs.base_url }}"
    assert build["env"]["REPO_URL"] == "${{ github.server_url }}/${{ github.repository }}"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for command in ("./run.sh setup", "./run.sh test", "build_figures.py --check", "mkdocs build --strict"):
        assert command in readme, f"the README does not mention {command!r}"


# ---------------------------------------------------------------- citing and the version

def cffconvert(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "cffconvert"), "--validate", "-i", str(path)], capture_output=True,
                          text=True, timeout=120)


def test_citation_cff_passes_the_validator():
    done = cffconvert(REPO / "CITATION.cff")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "valid according to schema version 1.2.0" in done.stdout


def test_the_validator_rejects_a_broken_citation_cff(tmp_path):
    broken = tmp_path / "CITATION.cff"
    broken.write_text((REPO / "CITATION.cff").read_text(encoding="utf-8")
                      .replace("date-released: ", "date-released: around "), encoding="utf-8")
    done = cffconvert(broken)
    assert done.returncode != 0
    assert "date-released" in done.stdout + done.stderr


def test_one_version_number_everywhere(published):
    version = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text(encoding="utf-8"))
    newest = re.search(r"^## (\S+) \((\d{4}-\d{2}-\d{2})\)$", (REPO / "CHANGELOG.md").read_text(encoding="utf-8"),
                       re.MULTILINE)
    assert newest, "CHANGELOG.md: no '## VERSION (YYYY-MM-DD)' heading"
    assert citation["version"] == version == newest[1]
    assert str(citation["date-released"]) == newest[2]
    for path, source in PAGES.items():
        if source.endswith(".md"):
            assert f'version = "{version}"' in bibtex(read(published, path)), f"{source}: BibTeX without {version}"


def test_bibtex_carries_the_page_url(published, local):
    for path, source in PAGES.items():
        if source.endswith(".md"):
            assert f'url     = "{SITE_URL}{path}",' in bibtex(read(published, path)), f"{source}: no BibTeX url"
            assert "url" not in bibtex(read(local, path)), f"{source}: BibTeX url without SITE_URL"


def test_the_site_serves_citation_cff_with_its_addresses(published, local):
    served = published / "CITATION.cff"
    data = yaml.safe_load(served.read_text(encoding="utf-8"))
    assert data["url"] == SITE_URL and data["repository-code"] == REPO_URL
    done = cffconvert(served)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (local / "CITATION.cff").read_bytes() == (REPO / "CITATION.cff").read_bytes()


# ---------------------------------------------------------------- references and citations

REFERENCE_PAGES = ("part-1-math/", "part-3-experiments/")


def test_in_text_citations_link_to_their_reference_entry(published):
    for path in REFERENCE_PAGES:
        page = read(published, path)
        entries = dict(re.findall(r'<li id="(ref-[^"]+)">(.*?)</li>', page, re.DOTALL))
        assert entries, f"{path}: reference entries without ids"
        for key, entry in entries.items():
            text = html.unescape(re.sub(r"<[^>]+>", "", entry))
            surname, year = key.split("-")[1:]
            assert re.search(rf"\b{surname}\b", text, re.IGNORECASE) and f"({year})" in text, (key, text)
        citations = re.findall(r'<a class="citation" href="#(ref-[^"]+)"[^>]*>(.*?)</a>', page)
        assert citations, f"{path}: no citation linked"
        for key, shown in citations:
            assert key in entries, f"{path}: citation {shown!r} links to a missing entry {key}"
            assert key.split("-")[1] in shown.lower() and key.split("-")[2] in shown
        # No citation is left unlinked in the article's prose (links, code and the list itself aside).
        article = re.search(r"<article.*?</article>", page, re.DOTALL)[0]
        prose = re.sub(r"<(a|pre|code)\b.*?</\1>|<li id=\"ref-.*?</li>", "", article, flags=re.DOTALL)
        prose = " ".join(html.unescape(re.sub(r"<[^>]+>", "", prose)).split())
        unlinked = re.findall(r"[A-Z][a-z]+(?: et al\.)? \((?:19|20)\d\d\)|[A-Z][a-z]+(?: et al\.)?, (?:19|20)\d\d[;)]",
                              prose)
        assert not unlinked, f"{path}: citations without a link: {unlinked}"


def test_doi_and_arxiv_links_match_their_identifiers(published):
    for path in REFERENCE_PAGES:
        page = read(published, path)
        entries = re.findall(r'<li id="ref-[^"]+">(.*?)</li>', page, re.DOTALL)
        unlinked = [entry[:60] for entry in entries if '<a href="https://' not in entry]
        # Only the contractive autoencoder paper (ICML 2011) has neither a DOI nor an arXiv id.
        assert len(unlinked) <= 1, f"{path}: entries without a link: {unlinked}"
        links = re.findall(r'<a href="(https://(?:doi\.org|arxiv\.org/abs)/[^"]+)">([^<]+)</a>', page)
        assert len(links) >= 8, f"{path}: too few DOI/arXiv links: {links}"
        for href, text in links:
            kind, _, identifier = text.partition(":")
            base = {"doi": "https://doi.org/", "arXiv": "https://arxiv.org/abs/"}[kind]
            assert html.unescape(href) == base + identifier, (href, text)


def citation_site(tmp_path: Path, prose: str) -> subprocess.CompletedProcess:
    (tmp_path / "docs").mkdir(exist_ok=True)
    (tmp_path / "docs" / "page.md").write_text(
        f"# A page\n\n{prose}\n\n## References\n\n"
        "- P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol (2008). Denoising autoencoders.\n",
        encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        f"site_name: citation test\nhooks: [{REPO / 'docs' / 'overrides' / 'hooks' / 'citations.py'}]\n",
        encoding="utf-8")
    return build_site(tmp_path / "site", tmp_path / "mkdocs.yml")


def test_a_citation_without_an_entry_fails_the_build_by_name(tmp_path):
    done = citation_site(tmp_path, "As Vincent et al. (2008) and (Ho et al., 2020; Song & Ermon, 2019) showed.")
    assert done.returncode != 0
    assert "page.md: citations without a reference entry" in done.stderr
    assert "Ho et al., 2020; Song & Ermon, 2019" in html.unescape(done.stderr)
    done = citation_site(tmp_path, "As Vincent et al. (2008) showed, and `Ho et al. (2020)` in code is not a citation.")
    assert done.returncode == 0, done.stderr
    page = (tmp_path / "site" / "page" / "index.html").read_text(encoding="utf-8")
    assert '<a class="citation" href="#ref-vincent-2008"' in page and '<li id="ref-vincent-2008">' in page


# ---------------------------------------------------------------- links derived from the addresses

def test_every_page_has_canonical_link_sharing_metadata_and_source_links(published):
    for path, source in PAGES.items():
        page = read(published, path)
        url = SITE_URL + path
        assert f'<link rel="canonical" href="{url}">' in page, source
        assert meta(page, "og:url") == url, source
        assert meta(page, "og:title") and meta(page, "twitter:title") == meta(page, "og:title"), source
        assert meta(page, "og:description") and len(meta(page, "og:description")) > 40, source
        assert meta(page, "og:image") == SITE_URL + "figures/latent-map.png", source
        assert meta(page, "twitter:card") == "summary_large_image", source
        assert meta(page, "og:image:alt"), source
        links = hrefs(page)
        assert f"{REPO_URL}/edit/main/docs/{source}" in links, f"{source}: no 'edit this page'"
        assert f"{REPO_URL}/raw/main/docs/{source}" in links, f"{source}: no 'view source'"
    image = published / "figures" / "latent-map.png"
    width, height = int(meta(read(published, ""), "og:image:width")), int(meta(read(published, ""), "og:image:height"))
    assert image.read_bytes()[16:24] == width.to_bytes(4, "big") + height.to_bytes(4, "big")
    class Untagged(yaml.SafeLoader):  # mkdocs.yml's !ENV and !!python tags, read as null
        pass

    Untagged.add_multi_constructor("", lambda loader, suffix, node: None)
    config = yaml.load((REPO / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Untagged)
    site_description = " ".join(config["site_description"].split())
    for path, source in PAGES.items():
        front = re.match(r"---\n(.*?)\n---\n", (REPO / "docs" / source).read_text(encoding="utf-8"), re.DOTALL)
        expected = (yaml.safe_load(front[1]) if front else {}).get("description", site_description)
        assert " ".join(meta(read(published, path), "og:description").split()) == expected, source
    assert REPO_URL in hrefs(read(published, "")), "no link to the repository in the header"


def test_the_sitemap_lists_every_page(published, local):
    sitemap = (published / "sitemap.xml").read_text(encoding="utf-8")
    assert sorted(re.findall(r"<loc>([^<]+)</loc>", sitemap)) == sorted(SITE_URL + p for p in site_pages(published))
    assert "<url>" not in (local / "sitemap.xml").read_text(encoding="utf-8")


def test_listings_name_their_source_file_and_link_to_its_lines(published, local):
    commit = git_commit()
    page = read(published, "part-2-code/")
    titled = re.findall(r'<span class="filename"><a href="([^"]+)"[^>]*>([^<]+)</a></span>', page)
    includes = re.findall(r'^\s*--8<-- "(src/[^":]+):([-\w]+)"', (REPO / "docs" / "part-2-code.md").read_text(
        encoding="utf-8"), re.MULTILINE)
    assert len(titled) == len(includes) >= 8
    for (href, title), (path, section) in zip(titled, includes):
        assert title == path
        match = re.fullmatch(rf"{re.escape(REPO_URL)}/blob/{commit}/{re.escape(path)}#L(\d+)-L(\d+)", href)
        assert match, href
        lines = (REPO / path).read_text(encoding="utf-8").splitlines()[int(match[1]) - 1:int(match[2])]
        assert "\n".join(lines) == read_section(REPO / path, section), f"{href} is not section {section}"
    # Without REPO_URL the file is still named, without a link.
    plain = re.findall(r'<span class="filename">([^<]+)</span>', read(local, "part-2-code/"))
    assert plain == [path for path, _ in includes]


def test_the_notebook_page_links_to_colab_and_downloads_itself(published, local):
    page = read(published, "notebook/")
    colab = "https://colab.research.google.com/github/example-team/autoencoders/blob/main/docs/notebook.ipynb"
    assert colab in hrefs(page)
    assert "notebook.ipynb" in hrefs(page) and (published / "notebook" / "notebook.ipynb").is_file()
    assert not any("colab" in h for h in hrefs(read(local, "notebook/")))


def test_without_addresses_no_derived_or_placeholder_link_is_emitted(local):
    for path, source in PAGES.items():
        page = read(local, path)
        assert 'rel="canonical"' not in page, source
        for name in ("og:url", "og:image", "twitter:image"):
            assert meta(page, name) is None, f"{source}: {name} without SITE_URL"
        assert meta(page, "og:title") and meta(page, "og:description"), source
        assert meta(page, "twitter:card") == "summary", source
        for href in hrefs(page):
            parts = urlsplit(href)
            assert href and "None" not in href and not re.search(r"//example\.(org|com)\b", href), \
                f"{source}: placeholder link {href!r}"
            assert parts.scheme in ("", "https", "http"), f"{source}: link {href!r}"
            assert "/edit/" not in href and "/raw/" not in href, f"{source}: source link {href!r} without REPO_URL"


@pytest.mark.parametrize("variable", ["SITE_URL", "REPO_URL"])
def test_an_address_without_a_scheme_is_refused_clearly(tmp_path, variable):
    done = build_site(tmp_path / "site", addresses={variable: "example.org/autoencoders"})
    assert done.returncode == 1
    assert f"Config value '{variable.lower()}': The URL isn't valid" in done.stderr
    assert not (tmp_path / "site").exists()


def test_every_page_shows_the_date_of_its_last_commit(published):
    for path, source in PAGES.items():
        date = subprocess.run(["git", "log", "-1", "--format=%cs", "--", f"docs/{source}"], cwd=REPO,
                              capture_output=True, text=True, check=True).stdout.strip()
        footer = re.search(r'<aside class="md-source-file">(.*?)</aside>', read(published, path), re.DOTALL)
        assert footer and date in footer[1], f"{source}: last-updated date {date} not shown"


def test_without_git_history_the_site_still_builds_without_dates(tmp_path):
    """A tarball of the repository has no .git: the dates are left out, nothing fails."""
    copy = tmp_path / "tree"
    for name in ("docs", "src", "figures"):
        shutil.copytree(REPO / name, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("mkdocs.yml", "CITATION.cff"):
        shutil.copy2(REPO / name, copy / name)
    (copy / "node_modules").symlink_to(REPO / "node_modules")  # MathJax, which typesets the equations
    done = build_site(tmp_path / "site", copy / "mkdocs.yml", {"SITE_URL": SITE_URL, "REPO_URL": REPO_URL})
    assert done.returncode == 0, done.stderr[-4000:]
    page = (tmp_path / "site" / "part-1-math" / "index.html").read_text(encoding="utf-8")
    assert 'class="md-source-file"' not in page
    assert f"{REPO_URL}/blob/HEAD/" in (tmp_path / "site" / "part-2-code" / "index.html").read_text(encoding="utf-8")


# ---------------------------------------------------------------- ./run.sh serve

def fake_tree(tmp_path: Path, check_status: int) -> tuple[Path, Path]:
    """A copy of run.sh with a ready .venv whose python and mkdocs only log their arguments."""
    tree, log = tmp_path / "tree", tmp_path / "calls.log"
    (tree / ".venv" / "bin").mkdir(parents=True)
    (tree / "run.sh").write_bytes((REPO / "run.sh").read_bytes())
    (tree / "run.sh").chmod(0o755)
    (tree / "pyproject.toml").write_text("")
    for name, status in (("python", f'case "$*" in *--check*) exit {check_status};; esac'), ("mkdocs", "")):
        tool = tree / ".venv" / "bin" / name
        tool.write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n{status}\n')
        tool.chmod(0o755)
    (tree / "package-lock.json").write_text("")
    (tree / "node_modules").mkdir()
    for stamp, source in ((".venv/.installed", "pyproject.toml"), ("node_modules/.installed", "package-lock.json")):
        (tree / stamp).write_text("")
        os.utime(tree / stamp, (os.path.getmtime(tree / source) + 10,) * 2)  # newer: no reinstall
    return tree, log


@pytest.mark.parametrize("stale", [False, True])
def test_serve_builds_only_when_stale_then_serves(tmp_path, stale):
    tree, log = fake_tree(tmp_path, check_status=1 if stale else 0)
    done = subprocess.run([str(tree / "run.sh"), "serve", "--dev-addr", "127.0.0.1:8123"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    expected = ["python build_figures.py --check"] + (["python build_figures.py"] if stale else []) + [
        "mkdocs serve --dev-addr 127.0.0.1:8123"]
    assert log.read_text().splitlines() == expected


# ---------------------------------------------------------------- the 404 page under a sub-path

PREFIX = "/autoencoders/"


@pytest.mark.browser
def test_the_404_page_is_styled_under_a_sub_path(published, browser):
    """Served as GitHub Pages serves a project site: under a sub-path, with 404.html for what is missing."""
    with serve(published, prefix=PREFIX) as base:
        for scheme, viewport in (("light", {"width": 1280, "height": 800}), ("dark", {"width": 390, "height": 844})):
            context = browser.new_context(viewport=viewport, color_scheme=scheme)
            # Nothing leaves the machine (Material would ask GitHub for the repository's stars).
            context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
            local = []
            page = context.new_page()
            page.on("response", lambda r: local.append((r.url, r.status)) if r.url.startswith(base) else None)
            response = page.goto(base + "no/such/page/", wait_until="load")
            assert response.status == 404
            assert "Page not found" in page.inner_text("article")
            home = page.eval_on_selector("article a", "a => a.href")  # resolved against the page
            assert home.rstrip(".") == base and context.request.get(home).status == 200, home
            styles = [(url, status) for url, status in local if url.endswith(".css")]
            assert any("/assets/stylesheets/main." in url for url, _ in styles), local
            assert all(status == 200 for _, status in styles), styles
            # Material's stylesheet is applied: the header has the theme's colour, not the browser default.
            header = page.evaluate("() => getComputedStyle(document.querySelector('.md-header')).backgroundColor")
            assert header not in ("rgba(0, 0, 0, 0)", "transparent"), header
            if TAKE_SCREENSHOTS:
                screenshot(page, SCREENSHOTS / f"404-subpath-{scheme}")
            context.close()


def test_the_downloadable_notebook_installs_from_the_sites_repository(published, local):
    """The site's copy of the notebook names the repository and the commit it is built from, which its
    first cell installs the package from outside a checkout; without addresses it names none."""
    served = json.loads((published / "notebook" / "notebook.ipynb").read_text(encoding="utf-8"))
    source = "".join("".join(cell["source"]) for cell in served["cells"] if cell["cell_type"] == "code")
    assert f'REPOSITORY = "{REPO_URL}"' in source and f'COMMIT = "{git_commit()}"' in source
    unnamed = (local / "notebook" / "notebook.ipynb").read_text(encoding="utf-8")
    assert 'REPOSITORY = \\"\\"' in unnamed and 'COMMIT = \\"\\"' in unnamed
