"""Figures from recipes: trained runs in, a deterministic PNG plus its alt text and caption out.

A recipe is a file `figures/<name>.py` that declares which runs it reads and renders them:

    NUMBER = 1                         # its figure number on the site
    RUNS = ("vanilla-d2-s0",)          # run ids, shell-style patterns allowed ("*-d32-s*")
    def render(ctx: FigureContext) -> Rendered: ...

Files starting with "_" in figures/ are shared helpers; they are part of every figure's key.
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
from .train import RunResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PNG_DPI = 150


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


def figure_key(recipe: Recipe, run_keys: dict[str, str]) -> str:
    """Hash of everything a figure depends on: its recipe, the shared helpers, this module, its runs."""
    import matplotlib

    digest = hashlib.sha256()
    for path in [recipe.path, *sorted(recipe.path.parent.glob("_*.py")), Path(__file__)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(json.dumps({"runs": run_keys, "matplotlib": matplotlib.__version__,
                              "dataset": DATASET_CHECKSUM}, sort_keys=True).encode())
    return digest.hexdigest()[:20]


class FigureContext:
    """What a recipe may read: results, trained models, and the test images, all already at hand."""

    def __init__(self, results: dict, runs: dict[str, RunResult], load_data):
        self.results = results
        self._runs = runs
        self._load_data = load_data

    def run(self, run_id: str) -> RunResult:
        return self._runs[run_id]

    def runs_matching(self, pattern: str) -> list[RunResult]:
        return [self._runs[r] for r in sorted(self._runs) if fnmatch.fnmatchcase(r, pattern)]

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
