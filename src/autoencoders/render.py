"""What a figure recipe sees and returns: trained runs in, deterministic PNGs plus their alt text and caption out.

A recipe is a file `figures/<name>.py` that declares which runs it reads and renders them:

    RUNS = ("vanilla-d2-s*",)          # run ids, shell-style patterns ("*-d32-s*"); reads beyond them fail
    def render(ctx: FigureContext) -> Rendered: ...

The build calls `render` twice: once for the content column (`ctx.phone` false: figures/<name>.png)
and once for a phone (`ctx.phone` true: figures/<name>-phone.png, drawn half as wide, with its panels
stacked where side by side they would be cramped). The two differ in layout only: the same alt text,
caption, numbers and extra files, or the build stops. The site shows the phone variant to screens
at most PHONE_MEDIA wide (docs/overrides/hooks/links.py makes each figure a <picture>), so a phone
downloads only its own variant.

Files starting with "_" in figures/ are shared helpers. A figure's key covers the definitions its
recipe reaches (in the helpers and the package, pipeline/keys.py), the results of the runs its RUNS
match, and what else it read (the probes of the codes). Its number on the site follows the order in
which the pages include it; text refers to another figure as `{{ fig.<name>.number }}`.
Recipes never train: they read metrics and models that the build loaded from the cache.
"""

from __future__ import annotations

import fnmatch
import io
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .train import RunResult

PNG_DPI = 200
# Material's own phone-and-small-tablet breakpoint (719 px): below it the content column is the screen
# less 32 px (358 px on a 390 px phone), above it never narrower than 686 px.
PHONE_MEDIA = "(max-width: 44.9375em)"


@dataclass
class Rendered:
    figure: Figure  # matplotlib is imported only when a figure is rendered
    alt: str  # what a reader who cannot see the image needs to know
    caption: str  # shown under the figure; numbers in it come from the results
    numbers: dict[str, str] = field(default_factory=dict)  # extra key numbers for the site
    # Extra output files (path relative to the output directory -> bytes), e.g. models the site runs;
    # written, recorded and checked like the PNG.
    files: dict[str, bytes] = field(default_factory=dict)


class UndeclaredRun(LookupError):
    """A recipe read a run that its RUNS do not declare (or that the build did not make)."""


class FigureContext:
    """What a recipe may read: trained runs, the probes of the codes, and the test images, all at hand.

    The build hands each recipe a view limited to the runs its RUNS declare, so that a figure's key
    (which covers exactly those runs) covers everything the figure shows. `phone` says which of the
    figure's two variants to draw: the column's or the phone's."""

    def __init__(self, name: str, patterns: tuple[str, ...], runs: dict[str, RunResult], load_data, load_features,
                 phone: bool = False):
        self.name = name
        self.patterns = patterns
        self.phone = phone
        self._runs = {r: run for r, run in runs.items() if self._declared(r)}
        self._load_data = load_data
        self._load_features = load_features
        self.read_features = False  # whether the recipe looked at the probes: then they are in its key

    def _declared(self, run_id: str) -> bool:
        return any(fnmatch.fnmatchcase(run_id, p) for p in self.patterns)

    def run(self, run_id: str) -> RunResult:
        if not self._declared(run_id):
            raise UndeclaredRun(f"figure {self.name} reads run {run_id}, which its RUNS "
                                f"({', '.join(self.patterns)}) do not declare")
        if run_id not in self._runs:
            raise UndeclaredRun(f"figure {self.name} reads run {run_id}, which this build did not make "
                                f"(seeds: {', '.join(map(str, self.seeds))})")
        return self._runs[run_id]

    def runs_matching(self, pattern: str) -> list[RunResult]:
        """The declared runs matching `pattern`, by configuration name and then by seed."""
        found = [r for r in self._runs.values() if fnmatch.fnmatchcase(r.config.run_id, pattern)]
        return sorted(found, key=lambda r: (r.config.name, r.config.seed))

    @property
    def seeds(self) -> list[int]:
        """Every seed among the declared runs."""
        return sorted({r.config.seed for r in self._runs.values()})

    def common_seeds(self, *names: str) -> list[int]:
        """The seeds at which every configuration `names` has a run (configurations have their own seeds:
        a figure that puts several side by side, seed by seed, uses the seeds they share)."""
        having = [{r.config.seed for r in self._runs.values() if r.config.name == n} for n in names]
        return sorted(set.intersection(*having)) if having else []

    def first(self, name: str) -> RunResult:
        """The run of configuration `name` at its lowest seed built: what single-seed panels draw."""
        seeds = sorted(r.config.seed for r in self._runs.values() if r.config.name == name)
        return self.run(f"{name}-s{seeds[0] if seeds else 0}")

    @cached_property
    def features(self) -> dict:
        """features.json: the probes of the codes (features.py)."""
        self.read_features = True
        return self._load_features()

    @cached_property
    def data(self):
        return self._load_data()

    @property
    def test_size(self) -> int:
        return next(iter(self._runs.values())).config.test_size

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


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels, read from the PNG header."""
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def snippet(name: str, alt: str, caption: str, number: int) -> str:
    """Markdown that the pages include: the image with its alt text, then the numbered caption."""
    alt_text = " ".join(alt.split()).replace("[", "(").replace("]", ")")
    return (f"![{alt_text}](figures/{name}.png){{ loading=lazy }}\n"
            f"/// caption\n**Figure {number}.** {' '.join(caption.split())}\n///\n")
