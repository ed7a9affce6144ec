"""Every output of the build, declared once: the files it writes, what it reads, the code that makes it.

    run <id>         a trained run, in the cache           reads nothing (code: the training loop, the model)
    results          results/results.json                   reads every run
    table, numbers   results/table.md, results/numbers.json reads results (numbers: and the figures' pages)
    features         results/features.json                  reads the runs of the compared models
    features-table   results/features.md                    reads features
    ledger           results/claims.json                    reads every run and features
    ledger-pages     results/ledger.md, results/claims/*.md reads ledger
    shapes           results/shapes.md                      reads nothing (code: the conv model)
    figure <name>    figures/<name>.png, <name>-phone.png   reads the runs its RUNS match (and features)
                     and extra files
    figure-pages     results/figures.json, results/figures/*.md   reads every figure and the pages' order

A target's key hashes the definitions its code reaches (keys.py), the digests of what it reads, and
its parameters (plain data: a run's configuration, the pinned numerics, library versions). Nothing here
imports torch, numpy or matplotlib: deciding what is stale reads the sources and the record only.
"""

from __future__ import annotations

import fnmatch
import functools
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from importlib.util import find_spec
from pathlib import Path

from .. import numerics
from ..experiments import COMPARED, CONFIGS, RECORDED, VARIANTS, RunConfig, plan
from .keys import PACKAGE, RECIPES, Source

P = PACKAGE  # module names below: f"{P}.train" is "autoencoders.train"


MAKER = f"{P}.pipeline.make"


def maker(kind: str) -> tuple[str, str]:
    """The method of make.Building that makes a kind of target: part of its code, like the functions it calls."""
    return MAKER, f"Building._make_{kind.replace('-', '_')}"


@dataclass(frozen=True)
class Target:
    name: str  # "run vanilla-d2-s0", "results", "figure latent-map"
    kind: str  # "run", "results", ..., "figure" (one of MAKERS in engine.py)
    code: tuple[tuple[str, str], ...]  # entry definitions: (module, name), or (module, "*") for a whole file
    reads: tuple[str, ...] = ()  # the targets whose digests enter this one's key
    params: dict = field(default_factory=dict, hash=False)  # plain data that enters the key
    files: tuple[str, ...] = ()  # what it writes, relative to the output directory (more may be recorded)
    exclude: tuple[str, ...] = ()  # definitions not followed (keyed by the target itself)
    config: RunConfig | None = None  # runs
    module: str | None = None  # figures: the recipe
    patterns: tuple[str, ...] = ()  # figures: their RUNS

    @property
    def label(self) -> str:
        return self.name.removeprefix("run ").removeprefix("figure ")

    def __post_init__(self):
        # As the record will hold them (tuples become lists), so that comparing the two finds only real changes.
        object.__setattr__(self, "params", json.loads(json.dumps(self.params)))
        if self.kind != "run":  # a run's maker is the training loop itself (and the store: keys.SCHEME)
            object.__setattr__(self, "code", (*self.code, maker(self.kind)))


# ---------------------------------------------------------------- versions, read without importing the libraries

@functools.lru_cache(maxsize=None)
def _version(package: str, file: str) -> str:
    spec = find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return "missing"
    text = (Path(spec.submodule_search_locations[0]) / file).read_text()
    return re.search(r"""^(?:__version__|version)\s*(?::[^=]*)?=\s*['"]([^'"]+)['"]""", text, re.M).group(1)


def versions() -> dict[str, str]:
    """Versions of everything that shapes the numbers; torch's names its build (e.g. +cu130)."""
    return {"python": ".".join(map(str, sys.version_info[:3])), "torch": _version("torch", "version.py"),
            "torchvision": _version("torchvision", "version.py"), "numpy": _version("numpy", "version.py")}


def matplotlib_version() -> str:
    return _version("matplotlib", "_version.py")


# ---------------------------------------------------------------- the declaration

def run_target(config: RunConfig, environment: dict, recorded: bool = False) -> Target:
    """A training run: the loop, the data it loads, its model's class (chosen by name through VARIANTS,
    so only its own entry of VARIANTS is in its key), its configuration, the numerics and versions;
    and the recorder, for the run whose training the Play page replays."""
    variant = VARIANTS[config.variant]
    code = ((f"{P}.train", "train"), (f"{P}.data", "load_mnist"), (f"{P}.models", variant.model))
    return Target(f"run {config.run_id}", "run",
                  code=code + (((f"{P}.replay", "Recorder"),) if recorded else ()),
                  exclude=(f"{P}.experiments:VARIANTS",),
                  params={"config": config.as_dict(), "variant": asdict(variant), **environment,
                          **({"recorded": True} if recorded else {})},
                  config=config)


def recipe_runs(source: Source, module: str) -> tuple[str, ...]:
    """A recipe's RUNS, evaluated from its source: literals, and names from autoencoders.experiments."""
    return source.runs_of(module, _evaluate_runs)


def _evaluate_runs(path: Path) -> tuple[str, ...]:
    import ast

    tree = ast.parse(path.read_text())
    statements = [s for s in tree.body if isinstance(s, ast.ImportFrom) and s.module == f"{P}.experiments"]
    runs = [s for s in tree.body if isinstance(s, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == "RUNS" for t in s.targets)]
    if not runs:
        raise ValueError(f"figures/{path.name}: no RUNS = (...) declaring the runs it reads")
    namespace: dict = {}
    try:
        exec(compile(ast.Module([*statements, runs[-1]], []), str(path), "exec"), namespace)
        patterns = tuple(namespace["RUNS"])
    except Exception as error:  # noqa: BLE001 - any failure is the recipe's, reported as such
        raise ValueError(f"figures/{path.name}: RUNS must be made of literals and names from "
                         f"autoencoders.experiments ({error.__class__.__name__}: {error})") from None
    if not all(isinstance(p, str) for p in patterns):
        raise ValueError(f"figures/{path.name}: RUNS must be a sequence of run-id patterns (strings)")
    return patterns


def reads_features(source: Source, closure: dict[str, str], module: str) -> bool:
    """Whether a recipe looks at the probes (`ctx.features`), anywhere in the code it reaches."""
    return source.remember(f"features:{module}", lambda: _reads_features(source, closure))


def _reads_features(source: Source, closure: dict[str, str]) -> bool:
    for qualified in closure:
        owner, _, name = qualified.partition(":")
        info = source.module(owner)
        if any(used.endswith(".features") for used in info["uses"].get(name, [])):
            return True
    return False


def figure_name(module: str) -> str:
    return module.removeprefix(f"{RECIPES}.").replace("_", "-")


def declare(source: Source, seeds=None, epochs=None, subset=None, names=None, numbering=None) -> list[Target]:
    """Every target of a build, in an order in which each comes after everything it reads."""
    environment = {"numerics": numerics.settings(), "versions": versions()}
    configs = plan(seeds, epochs, subset, names)
    replayed = min((c.seed for c in configs if c.name == RECORDED), default=None)
    runs = [run_target(c, environment, recorded=(c.name, c.seed) == (RECORDED, replayed) and names is None)
            for c in configs]
    run_names = tuple(t.name for t in runs)
    run_ids = [t.config.run_id for t in runs]
    compared = {c.name for c in COMPARED}
    targets = [*runs]
    targets.append(Target("results", "results", code=((f"{P}.results", "results_document"),
                                                       (f"{P}.results", "run_record")),
                          reads=run_names, params=environment, files=("results/results.json",)))
    targets.append(Target("table", "table", code=((f"{P}.results", "table_markdown"),), reads=("results",),
                          files=("results/table.md",)))
    if names is None:  # a --quick build makes the table only
        targets.append(Target("features", "features", code=((f"{P}.features", "evaluate"),),
                              reads=tuple(t.name for t in runs if t.config.name in compared),
                              params=environment, files=("results/features.json",)))
        targets.append(Target("features-table", "features-table", code=((f"{P}.features", "table_markdown"),),
                              reads=("features",), files=("results/features.md",)))
        targets.append(Target("ledger", "ledger", code=((f"{P}.claims", "evaluate"), (f"{P}.claims", "CLAIMS")),
                              reads=(*run_names, "features"), params=environment, files=("results/claims.json",)))
        targets.append(Target("ledger-pages", "ledger-pages", code=((f"{P}.claims", "markdown_files"),),
                              reads=("ledger",)))
        targets.append(Target("shapes", "shapes", code=((f"{P}.shapes", "shapes_markdown"),),
                              params=environment, files=("results/shapes.md",)))
        figures = []
        for module in source.recipes():
            name = figure_name(module)
            patterns = recipe_runs(source, module)
            ids = set().union(*(fnmatch.filter(run_ids, p) for p in patterns)) if patterns else set()
            matched = tuple(t.name for t in runs if t.config.run_id in ids)
            code = ((module, "*"), (f"{P}.render", "png_bytes"), (f"{P}.render", "FigureContext"))
            extra = ("features",) if reads_features(source, source.closure(code), module) else ()
            figures.append(Target(f"figure {name}", "figure", code=code, reads=(*matched, *extra),
                                  params={"matplotlib": matplotlib_version(), **environment, "patterns": list(patterns)},
                                  files=(f"figures/{name}.png", f"figures/{name}-phone.png"), module=module,
                                  patterns=patterns))
        targets += figures
        targets.append(Target("figure-pages", "figure-pages", code=((f"{P}.render", "snippet"),),
                              reads=tuple(t.name for t in figures), params={"numbering": numbering or {}},
                              files=("results/figures.json",)))
    targets.append(Target("numbers", "numbers", code=((f"{P}.results", "key_numbers"),),
                          reads=("results",) + (("figure-pages",) if names is None else ()),
                          files=("results/numbers.json",)))
    return targets


# ---------------------------------------------------------------- figure numbers, from the pages

INCLUDE = re.compile(r"""--8<--\s+["']docs/results/figures/([a-z0-9-]+)\.md["']""")


def page_order(repo: Path) -> list[Path]:
    """The Markdown pages in the order of mkdocs.yml's nav (a flat list of "Title: file" entries)."""
    docs = repo / "docs"
    try:
        config = (repo / "mkdocs.yml").read_text()
    except OSError:
        return sorted(docs.glob("*.md"))
    nav = config.split("\nnav:", 1)[1] if "\nnav:" in config else ""
    files = re.findall(r"^\s+-\s+(?:.*?:\s+)?([\w./-]+\.md)\s*(?:#.*)?$", nav, re.M)
    return [docs / f for f in files if (docs / f).is_file()]


def figure_numbering(repo: Path, names: list[str]) -> dict[str, int]:
    """Figure name -> number: in the order the pages first include them; figures no page includes come
    last, by name, so that every figure has a number."""
    order: list[str] = []
    for page in page_order(repo):
        for name in INCLUDE.findall(page.read_text()):
            if name in names and name not in order:
                order.append(name)
    order += sorted(n for n in names if n not in order)
    return {name: number for number, name in enumerate(order, start=1)}


def configuration(name: str) -> RunConfig:
    return CONFIGS[name]
