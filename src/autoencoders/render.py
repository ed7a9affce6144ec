"""Figures from recipes: trained runs in, a deterministic PNG plus its alt text and caption out.

A recipe is a file `figures/<name>.py` that declares which runs it reads and renders them:

    NUMBER = 1                         # its figure number on the site
    RUNS = ("vanilla-d2-s*",)          # run ids, shell-style patterns ("*-d32-s*"); reads beyond them fail
    def render(ctx: FigureContext) -> Rendered: ...

Files starting with "_" in figures/ are shared helpers; they are part of every figure's key, with
this module and the package modules they import. Like a run's key, a figure's key counts code by
its meaning (fingerprint.py): comments, docstrings and line wraps re-render nothing.
Recipes never train: they read metrics and models that the build loaded from the cache.
"""

from __future__ import annotations

import fnmatch
import hashlib
import importlib.util
import io
import json
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from .data import DATASET_CHECKSUM, MNIST
from .fingerprint import PACKAGE, PACKAGE_DIR, combined_hash, fingerprint_file, imported_closure
from .train import RunResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PNG_DPI = 200


@dataclass
class Rendered:
    figure: Figure  # matplotlib is imported only when a figure is rendered
    alt: str  # what a reader who cannot see the image needs to know
    caption: str  # shown under the figure; numbers in it come from the results
    numbers: dict[str, str] = field(default_factory=dict)  # extra key numbers for the site
    # Extra output files (path relative to the output directory -> bytes), e.g. models the site runs;
    # written, recorded in the manifest and checked like the PNG.
    files: dict[str, bytes] = field(default_factory=dict)


@dataclass
class Recipe:
    name: str
    path: Path
    module: ModuleType

    @property
    def number(self) -> int:
        return self.module.NUMBER

    @property
    def patterns(self) -> tuple[str, ...]:
        return tuple(self.module.RUNS)

    def matching(self, run_ids: list[str]) -> list[str]:
        return [r for r in run_ids if any(fnmatch.fnmatchcase(r, p) for p in self.patterns)]

    def missing(self, run_ids: list[str]) -> list[str]:
        return [p for p in self.patterns if not fnmatch.filter(run_ids, p)]


def discover(figures_dir: Path) -> list[Recipe]:
    """Every recipe in `figures_dir`, in figure-number order."""
    recipes = []
    if str(figures_dir) not in sys.path:
        sys.path.insert(0, str(figures_dir))  # so that recipes can `import _style`
    for path in sorted(Path(figures_dir).glob("[!_]*.py")):
        spec = importlib.util.spec_from_file_location(f"figure_recipe_{path.stem.replace('-', '_')}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        recipes.append(Recipe(path.stem.replace("_", "-"), path, module))
    return sorted(recipes, key=lambda r: r.number)


def figure_inputs(recipe: Recipe) -> dict:
    """What a figure depends on besides its runs: the meaning (see fingerprint.py) of its recipe, of the
    shared helpers, of this module and of every package module they import (the measurements, the
    labels, ...), the matplotlib version and the dataset. The manifest records it."""
    import matplotlib

    files = [recipe.path, *sorted(recipe.path.parent.glob("_*.py"))]
    sources = {path.name: fingerprint_file(path) for path in files}
    for module in imported_closure([*files, Path(__file__)]):
        sources[f"{PACKAGE}/{module}.py"] = fingerprint_file(PACKAGE_DIR / f"{module}.py")
    return {"sources": sources, "matplotlib": matplotlib.__version__, "dataset": DATASET_CHECKSUM}


def figure_key(recipe: Recipe, run_keys: dict[str, str]) -> str:
    """Hash of everything a figure depends on: its inputs (figure_inputs) and the keys of its runs."""
    inputs = figure_inputs(recipe)
    payload = {"sources": combined_hash(inputs["sources"]), "matplotlib": inputs["matplotlib"],
               "dataset": inputs["dataset"], "runs": run_keys}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


class UndeclaredRun(LookupError):
    """A recipe read a run that its RUNS do not declare (or that the build did not make)."""


class FigureContext:
    """What a recipe may read: results, trained models, and the test images, all already at hand.

    The build hands each recipe a view limited to the runs its RUNS declare, so that a figure's key
    (which hashes exactly those runs) covers everything the figure shows.
    """

    def __init__(self, results: dict, runs: dict[str, RunResult], load_data, features: dict | None = None,
                 recipe: Recipe | None = None):
        self.results = results
        self.features = features  # features.json: probes of the codes (features.py)
        self._runs = runs
        self._load_data = load_data  # cached by the build: views share one loaded dataset
        self._recipe = recipe

    def for_recipe(self, recipe: Recipe) -> FigureContext:
        return FigureContext(self.results, self._runs, self._load_data, self.features, recipe)

    def _declared(self, run_id: str) -> bool:
        return self._recipe is None or any(fnmatch.fnmatchcase(run_id, p) for p in self._recipe.patterns)

    def run(self, run_id: str) -> RunResult:
        if not self._declared(run_id):
            raise UndeclaredRun(f"figure {self._recipe.name} reads run {run_id}, which its RUNS "
                                f"({', '.join(self._recipe.patterns)}) do not declare")
        if run_id not in self._runs:
            raise UndeclaredRun(f"figure {self._recipe.name if self._recipe else '?'} reads run {run_id}, "
                                f"which this build did not make (seeds: {', '.join(map(str, self.seeds))})")
        return self._runs[run_id]

    def runs_matching(self, pattern: str) -> list[RunResult]:
        """The declared runs matching `pattern`, by configuration name and then by seed."""
        found = [r for r in self._runs.values() if fnmatch.fnmatchcase(r.config.run_id, pattern)]
        for result in found:
            self.run(result.config.run_id)  # refuses an undeclared read
        return sorted(found, key=lambda r: (r.config.name, r.config.seed))

    @property
    def seeds(self) -> list[int]:
        return sorted(self.results["provenance"]["seeds"])

    def first(self, name: str) -> RunResult:
        """The run of configuration `name` at the lowest seed built: what single-seed panels draw."""
        return self.run(f"{name}-s{self.seeds[0]}")

    @cached_property
    def data(self) -> MNIST:
        return self._load_data()

    @property
    def test_size(self) -> int:
        return self.results["runs"][0]["test_size"]

    @property
    def test_images(self):
        return self.data.test_images[:self.test_size]

    @property
    def test_labels(self):
        return self.data.test_labels[:self.test_size]


def png_bytes(figure) -> bytes:
    """The figure as PNG bytes that depend on nothing but its content (no timestamp, no software tag)."""
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PNG_DPI, metadata={"Software": None},
                   facecolor=figure.get_facecolor())
    plt.close(figure)
    return buffer.getvalue()


def snippet(name: str, alt: str, caption: str, number: int) -> str:
    """Markdown that Part 3 includes: the image with its alt text, then the numbered caption."""
    alt_text = " ".join(alt.split()).replace("[", "(").replace("]", ")")
    return (f"![{alt_text}](figures/{name}.png){{ loading=lazy }}\n"
            f"/// caption\n**Figure {number}.** {' '.join(caption.split())}\n///\n")
