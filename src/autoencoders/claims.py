"""The claim ledger: every claim the site judges, as data, with the rule that decides it on each seed.

A claim is an id, our one-line statement of it, the section of Part 3 that shows the evidence, a
measurement (a function of one seed's runs) and a rule on that measurement. The build evaluates every
claim on every seed and writes docs/results/claims.json plus the Markdown that Part 3 includes; the
verdict follows from how many seeds the claim holds in (VERDICTS), never from a sentence typed on a page.

To add a claim: append a Claim to CLAIMS, put its section's include on Part 3, rebuild.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import features, measures
from .data import training_subset
from .experiments import CONFIGURATIONS, LAMBDA_SWEEP, PUBLISHED_FINAL_LOSS, SWEEP_DIMS, sparse_name
from .results import SUMMARY_METRICS
from .train import RunResult

SCHEMA = 1

# The verdict vocabulary, and the rule that picks one: applied to the seeds a claim holds in.
VERDICTS = (
    ("Confirmed", "the claim holds in every seed", lambda held, total: held == total),
    ("Not supported", "it holds in none", lambda held, total: held == 0),
    ("Mixed", "it holds in some seeds but not in all", lambda held, total: True),
)


def verdict(held: int, total: int) -> str:
    return next(word for word, _, applies in VERDICTS if applies(held, total))


# ---------------------------------------------------------------- how values and rules read

FORMATS: dict[str, Callable[[float], str]] = {
    "ratio": lambda v: f"{v:.2f}×",
    "change": lambda v: f"{100 * v:+.1f}%",  # a relative change: -0.25 reads "-25.0%"
    "share": lambda v: f"{100 * v:.1f}%",
    "rank": lambda v: f"{v:.0f}",
    "sigma": lambda v: f"σ = {v:g}",
    "points": lambda v: f"{100 * v:+.1f} points",  # a difference of two shares or relative changes
}


@dataclass(frozen=True)
class Rule:
    """value OP threshold; "between" takes (low, high), both included."""

    op: str  # one of ">", ">=", "<", "<=", "between"
    threshold: float | tuple[float, float]

    def holds(self, value: float) -> bool:
        t = self.threshold
        return {">": lambda: value > t, ">=": lambda: value >= t, "<": lambda: value < t,
                "<=": lambda: value <= t, "between": lambda: t[0] <= value <= t[1]}[self.op]()

    def margin(self, value: float) -> float:
        """How far `value` lies inside the rule's region (negative: outside), in the value's units."""
        if self.op == "between":
            return min(value - self.threshold[0], self.threshold[1] - value)
        return value - self.threshold if self.op in (">", ">=") else self.threshold - value

    def describe(self, unit: str) -> str:
        f = FORMATS[unit]
        if self.op == "between":
            return f"between {f(self.threshold[0])} and {f(self.threshold[1])}"
        return {">": "above", ">=": "at least", "<": "below", "<=": "at most"}[self.op] + f" {f(self.threshold)}"


def above(t: float) -> Rule:
    return Rule(">", t)


def at_least(t: float) -> Rule:
    return Rule(">=", t)


def below(t: float) -> Rule:
    return Rule("<", t)


def at_most(t: float) -> Rule:
    return Rule("<=", t)


def between(low: float, high: float) -> Rule:
    return Rule("between", (low, high))


# ---------------------------------------------------------------- one seed's evidence

class MissingRun(KeyError):
    """A claim reads a configuration that was not trained at this seed: the seed does not count for it."""


class SeedRuns:
    """The runs of one seed and the test images: what a claim's measurement may look at."""

    def __init__(self, seed: int, runs: dict[str, RunResult], load_data, features_document: dict | None = None):
        self.seed = seed
        self._runs = {r.config.name: r for r in runs.values() if r.config.seed == seed}
        self._load_data = load_data
        self._features = features_document  # features.json, as the build evaluated it

    def run(self, name: str) -> RunResult:
        if name not in self._runs:
            raise MissingRun(name)
        return self._runs[name]

    def metric(self, name: str, key: str):
        """A recorded measurement of run `name`: a summary metric (outputs.SUMMARY_METRICS) or a raw one."""
        metrics = self.run(name).metrics
        return SUMMARY_METRICS[key](metrics) if key in SUMMARY_METRICS else metrics[key]

    @cached_property
    def config(self):
        return next(iter(self._runs.values())).config

    @cached_property
    def test_images(self):
        return self._load_data().test_images[:self.config.test_size]

    @cached_property
    def test_labels(self) -> np.ndarray:
        return self._load_data().test_labels[:self.config.test_size].numpy()

    @cached_property
    def noisy_test_images(self):
        return measures.noisy_test_images(self.test_images, self.config.noise_sigma)

    @cached_property
    def plane(self) -> np.ndarray:
        """The vanilla d = 2 model's codes of the test images."""
        return measures.encode(self.run("vanilla-d2").model, self.test_images)

    @cached_property
    def geometry(self) -> measures.ClassGeometry:
        return measures.class_geometry(self.plane, self.test_labels)

    @cached_property
    def pca_test_mse(self) -> np.ndarray:
        """PCA fitted on this seed's training images, scored on the test images, for d = 1 .. widest sweep width."""
        train = training_subset(self._load_data(), self.config.train_size, self.seed)
        flat = lambda x: x.reshape(len(x), -1).double().numpy()
        return measures.pca_test_mse(flat(train), flat(self.test_images), max(SWEEP_DIMS))

    def accuracy(self, name: str, measure: str) -> float:
        """A feature set's accuracy at this seed (features.py), e.g. accuracy("vanilla-d32", "probe.noisy")."""
        try:
            return features.accuracy(self._features, name, measure, self.seed)
        except KeyError:
            raise MissingRun(name) from None

    def abs_codes(self, name: str) -> np.ndarray:
        return np.abs(measures.encode(self.run(name).model, self.test_images))


# ---------------------------------------------------------------- the measurements

FIVE = tuple(c.name for c in CONFIGURATIONS)  # the published table
D32 = tuple(c.name for c in CONFIGURATIONS if c.latent_dim == 32)


def ratio(a: str, b: str, key: str) -> Callable[[SeedRuns], float]:
    return lambda s: s.metric(a, key) / s.metric(b, key)


def change(a: str, b: str, key: str, key_b: str | None = None) -> Callable[[SeedRuns], float]:
    return lambda s: s.metric(a, key) / s.metric(b, key_b or key) - 1


def change_against_best_other(name: str, key: str) -> Callable[[SeedRuns], float]:
    """`name`'s value relative to the best (lowest) of the other d = 32 models; below 0 means it is the best."""
    return lambda s: s.metric(name, key) / min(s.metric(o, key) for o in D32 if o != name) - 1


def generalisation_gap_difference(s: SeedRuns) -> float:
    """The conv model's relative train-to-test gap minus the vanilla d = 32 model's (final weights, eval mode)."""
    gap = lambda n: s.metric(n, "test_mse") / s.metric(n, "train_mse") - 1
    return gap("conv-d32") - gap("vanilla-d32")


def worst_gap_to_published(s: SeedRuns) -> float:
    return max(abs(s.metric(n, "final_loss") / PUBLISHED_FINAL_LOSS[n] - 1) for n in FIVE)


def slowest_late_drop(s: SeedRuns, window: int = 5) -> float:
    """The smallest relative fall in loss per epoch over the last `window` epochs, across the five."""
    def drop(history):
        w = min(window, len(history) - 1)
        return 1 - (history[-1] / history[-1 - w]) ** (1 / w) if w else 0.0
    return min(drop(s.metric(n, "history")) for n in FIVE)


def path_unevenness(s: SeedRuns) -> float:
    paths = measures.centroid_paths(s.run("vanilla-d2").model, s.geometry, measures.CENTROID_PATHS,
                                    measures.PATH_STEPS)
    return max(p.unevenness for p in paths)


def centroids_in_own_class(s: SeedRuns) -> float:
    """The share of path ends (class centroids) whose nearest test codes mostly belong to their own class."""
    ends = sorted({d for pair in measures.CENTROID_PATHS for d in pair if d in s.geometry.digits})
    centre = dict(zip(s.geometry.digits, s.geometry.centroids))
    votes = measures.nearest_labels(s.plane, s.test_labels, np.stack([centre[d] for d in ends]),
                                    measures.NEIGHBOURS)
    return float(np.mean(votes == np.array(ends)))


def selectivity_change(name: str) -> Callable[[SeedRuns], float]:
    """How much more class-specific `name`'s code units are than the vanilla d = 32 code's (relative)."""
    def measure(s: SeedRuns) -> float:
        mine, vanilla = (measures.selectivity(s.abs_codes(n), s.test_labels) for n in (name, "vanilla-d32"))
        return mine / vanilla - 1
    return measure


def scale_ratio(s: SeedRuns) -> float:
    return s.metric("sparse-d32", "latent")["abs_mean"] / s.metric("vanilla-d32", "latent")["abs_mean"]


def sweep_mse(s: SeedRuns) -> np.ndarray:
    return np.array([s.metric(f"vanilla-d{d}", "test_mse") for d in SWEEP_DIMS])


def worst_doubling(s: SeedRuns) -> float:
    """The largest factor by which doubling d changes the autoencoder's test error (below 1: it always falls)."""
    mse = sweep_mse(s)
    return float((mse[1:] / mse[:-1]).max())


def pca_over_autoencoder(d: int | None) -> Callable[[SeedRuns], float]:
    """PCA's test error over the autoencoder's at width d (None: the smallest ratio over the sweep)."""
    def measure(s: SeedRuns) -> float:
        ratios = s.pca_test_mse[np.array(SWEEP_DIMS) - 1] / sweep_mse(s)
        return float(ratios[SWEEP_DIMS.index(d)] if d is not None else ratios.min())
    return measure


def scale_steps(s: SeedRuns) -> float:
    """The largest factor by which a tenfold rise of lambda changes the code's mean |z| (below 1: it always shrinks)."""
    scales = [s.metric(c.name, "latent")["abs_mean"] for c in LAMBDA_SWEEP]
    return max(b / a for a, b in zip(scales, scales[1:]))


def accuracy_gain(a: str, b: str, measure: str) -> Callable[[SeedRuns], float]:
    """`a`'s accuracy minus `b`'s (a fraction: 0.02 is two percentage points)."""
    return lambda s: s.accuracy(a, measure) - s.accuracy(b, measure)


def smaller_noise_drop(a: str, b: str, classifier: str) -> Callable[[SeedRuns], float]:
    """How much less accuracy noise costs `a` than `b` (percentage points; above 0: `a` loses less)."""
    drop = lambda s, n: s.accuracy(n, f"{classifier}.clean") - s.accuracy(n, f"{classifier}.noisy")
    return lambda s: drop(s, b) - drop(s, a)


def displacement_change(s: SeedRuns) -> float:
    moved = {n: measures.code_displacement(s.run(n).model, s.test_images, s.noisy_test_images)
             for n in ("denoising-d32", "vanilla-d32")}
    return moved["denoising-d32"] / moved["vanilla-d32"] - 1


def denoiser_best_sigma(s: SeedRuns) -> float:
    curve = measures.noise_curve(s.run("denoising-d32").model, s.test_images, measures.NOISE_LEVELS,
                                 min(measures.NOISE_SWEEP_IMAGES, len(s.test_images)))
    return float(measures.NOISE_LEVELS[int(np.argmin(curve))])


def vanilla_against_doing_nothing(s: SeedRuns) -> float:
    """The vanilla model's error on noisy inputs relative to the noisy inputs' own error."""
    input_mse = measures.pixel_mse(s.noisy_test_images, s.test_images).mean()
    return s.metric("vanilla-d32", "test_mse_noisy") / input_mse - 1


# ---------------------------------------------------------------- the ledger

@dataclass(frozen=True)
class Claim:
    id: str
    source: str  # "original": a claim of the series we reproduce; "ours": one this site makes
    section: str  # the anchor on Part 3 where the evidence is shown
    statement: str  # our one-line statement, precise enough to be measured
    measure: Callable[[SeedRuns], float]
    rule: Rule
    unit: str  # a key of FORMATS


CLAIMS: tuple[Claim, ...] = (
    Claim("wider-code", "original", "wider-code",
          "A 16× wider code (d = 2 to 32) lowers the final training loss about 3.2×, within 20%.",
          ratio("vanilla-d2", "vanilla-d32", "final_loss"), between(2.56, 3.84), "ratio"),
    Claim("wider-code-held-out", "ours", "wider-code",
          "On held-out images the wider code at least halves the test error.",
          ratio("vanilla-d2", "vanilla-d32", "test_mse"), at_least(2.0), "ratio"),
    Claim("classes-separate", "original", "latent-map",
          "Digit classes separate in the 2-D code: a 10-nearest-neighbour vote recovers at least 90% of labels.",
          lambda s: measures.knn_agreement(s.plane, s.test_labels), at_least(0.9), "share"),
    Claim("four-near-nine", "original", "latent-map",
          "4 lies near 9: theirs is one of the three closest pairs of class centroids.",
          lambda s: s.geometry.pair_rank(4, 9), Rule("between", (1, 3)), "rank"),
    Claim("three-near-five", "original", "latent-map",
          "3 lies near 5: theirs is one of the three closest pairs of class centroids.",
          lambda s: s.geometry.pair_rank(3, 5), Rule("between", (1, 3)), "rank"),
    Claim("one-apart", "original", "latent-map",
          "1 stands apart: its centroid is the farthest of all from its nearest neighbour (rank 1).",
          lambda s: s.geometry.isolation().index(1) + 1, at_most(1), "rank"),
    Claim("denoising-costs-training", "original", "denoising",
          "Denoising costs extra: the denoiser's final training loss is above the vanilla d = 32 model's.",
          change("denoising-d32", "vanilla-d32", "final_loss"), above(0.0), "change"),
    Claim("denoising-costs-clean", "ours", "denoising",
          "On clean test images the denoiser's error is above the vanilla d = 32 model's.",
          change("denoising-d32", "vanilla-d32", "test_mse"), above(0.0), "change"),
    Claim("denoising-best-on-noise", "ours", "denoising",
          "On noisy test images (σ = 0.3) the denoiser has the lowest error of the d = 32 models.",
          change_against_best_other("denoising-d32", "test_mse_noisy"), below(0.0), "change"),
    Claim("vanilla-no-denoiser", "ours", "denoising",
          "At σ = 0.3 the vanilla d = 32 model's output is further from the clean image than its noisy input.",
          vanilla_against_doing_nothing, above(0.0), "change"),
    Claim("conv-wins", "original", "convolutions",
          "Convolutions win: the conv model's final training loss is at least 25% below vanilla d = 32's.",
          change("conv-d32", "vanilla-d32", "final_loss"), at_most(-0.25), "change"),
    Claim("conv-best-clean", "ours", "convolutions",
          "On clean test images the conv model has the lowest error of the d = 32 models.",
          change_against_best_other("conv-d32", "test_mse"), below(0.0), "change"),
    Claim("conv-lead-survives-noise", "ours", "convolutions",
          "The conv model's lead survives noise: on noisy test images its error is below vanilla d = 32's.",
          change("conv-d32", "vanilla-d32", "test_mse_noisy"), below(0.0), "change"),
    Claim("conv-smaller-gap", "ours", "convolutions",
          "The conv model generalises better: its test error exceeds its training error by less than vanilla's does.",
          generalisation_gap_difference, below(0.0), "points"),
    Claim("sparse-close", "original", "convolutions",
          "The sparse model reconstructs about as well as vanilla d = 32: clean test error within 10%.",
          change("sparse-d32", "vanilla-d32", "test_mse"), between(-0.1, 0.1), "change"),
    Claim("denoising-close", "original", "convolutions",
          "The denoising model reconstructs about as well as vanilla d = 32: clean test error within 10%.",
          change("denoising-d32", "vanilla-d32", "test_mse"), between(-0.1, 0.1), "change"),
    Claim("published-losses", "original", "training-curves",
          "The published final losses reproduce: each of the five within 5% of its published value.",
          worst_gap_to_published, at_most(0.05), "share"),
    Claim("not-converged", "ours", "training-curves",
          "No run has converged at 30 epochs: each loss still falls at least 0.2% per epoch over the last five.",
          slowest_late_drop, at_least(0.002), "share"),
    Claim("smooth-paths", "original", "paths",
          "Straight paths between class centroids decode smoothly: no step exceeds twice the path's mean step.",
          path_unevenness, at_most(2.0), "ratio"),
    Claim("paths-join-classes", "ours", "paths",
          "Each path runs from one digit to the other: every centroid lies among codes of its own class.",
          centroids_in_own_class, at_least(1.0), "share"),
    Claim("curved-plane", "original", "paths",
          "The 2-D layout supports the manifold hypothesis: a curved 2-D code beats the best flat one (PCA) by 20%.",
          pca_over_autoencoder(2), at_least(1.2), "ratio"),
    Claim("sparsity-free", "original", "sparsity",
          "Sparsity is nearly free at λ = 10⁻³: the sparse model's clean test error is at most 5% above vanilla's.",
          change("sparse-d32", "vanilla-d32", "test_mse"), at_most(0.05), "change"),
    Claim("sparse-reconstruction", "ours", "sparsity",
          "Without its penalty, the sparse model's final training reconstruction error is below vanilla's loss.",
          change("sparse-d32", "vanilla-d32", "final_reconstruction", "final_loss"), below(0.0), "change"),
    Claim("most-units-zero", "original", "sparsity",
          "Most code units end up near zero: over half of the sparse code's entries are near zero.",
          lambda s: s.metric("sparse-d32", "latent")["near_zero_fraction"], above(0.5), "share"),
    Claim("sparse-specific", "original", "sparsity",
          "The penalty makes units more specific: their class selectivity rises by at least 10% over vanilla's.",
          selectivity_change("sparse-d32"), at_least(0.1), "change"),
    Claim("sparse-rescales", "ours", "sparsity",
          "The penalty shrinks the code's scale instead: its mean |z| is under half of the vanilla code's.",
          scale_ratio, below(0.5), "ratio"),
    Claim("knee-dimension", "original", "knee",
          "The knee marks the data's intrinsic dimension: the autoencoder is never worse than PCA across the sweep.",
          pca_over_autoencoder(None), at_least(1.0), "ratio"),
    Claim("error-falls-with-width", "ours", "knee",
          "The autoencoder's test error falls with every doubling of d, up to d = 64.",
          worst_doubling, below(1.0), "ratio"),
    Claim("code-moves-less", "ours", "noise-sweep",
          "σ = 0.3 noise moves the denoiser's code less than the vanilla model's, relative to the codes' spread.",
          displacement_change, below(0.0), "change"),
    Claim("denoiser-tuned", "ours", "noise-sweep",
          "The denoiser does best at the noise level it was trained on (σ = 0.3), not on clean inputs.",
          denoiser_best_sigma, between(0.25, 0.35), "sigma"),
    Claim("robust-features", "original", "features",
          "Denoising learns noise-robust features: on σ = 0.3 noisy images a linear probe reads the digit "
          "from its code more accurately than from the vanilla d = 32 code.",
          accuracy_gain("denoising-d32", "vanilla-d32", "probe.noisy"), above(0.0), "points"),
    Claim("robust-features-knn", "ours", "features",
          "The same holds for nearest neighbours: on noisy images 5-NN on the denoiser's code beats 5-NN on "
          "the vanilla d = 32 code.",
          accuracy_gain("denoising-d32", "vanilla-d32", "knn.noisy"), above(0.0), "points"),
    Claim("noise-costs-denoiser-less", "ours", "features",
          "Noise costs the denoiser's code less: its linear probe loses fewer points from clean to noisy "
          "images than the vanilla d = 32 code's.",
          smaller_noise_drop("denoising-d32", "vanilla-d32", "probe"), above(0.0), "points"),
    Claim("code-beats-pca", "ours", "features",
          "The vanilla d = 32 code is a better feature than the 32 leading principal components: a linear "
          "probe on clean images is more accurate on it.",
          accuracy_gain("vanilla-d32", "pca-d32", "probe.clean"), above(0.0), "points"),
    Claim("code-keeps-digit", "ours", "features",
          "Compressing 784 pixels into 32 numbers keeps the digit: a linear probe on the vanilla d = 32 code is "
          "within 5 points of one on the raw pixels.",
          accuracy_gain("vanilla-d32", "pixels", "probe.clean"), at_least(-0.05), "points"),
    Claim("lambda-shrinks-scale", "ours", "lambda-sweep",
          "Every tenfold rise of λ, from 10⁻⁴ to 10⁻¹, shrinks the code: its mean |z| falls at each step.",
          scale_steps, below(1.0), "ratio"),
    Claim("lambda-not-sparse", "ours", "lambda-sweep",
          "Rescaling, not sparsity: even at λ = 10⁻¹ fewer than half of the code's entries are near zero.",
          lambda s: s.metric(sparse_name(1e-1), "latent")["near_zero_fraction"], below(0.5), "share"),
    Claim("lambda-nearly-free", "ours", "lambda-sweep",
          "Up to λ = 10⁻² the penalty costs little: the clean test error is at most 5% above λ = 10⁻⁴'s.",
          change(sparse_name(1e-2), sparse_name(1e-4), "test_mse"), at_most(0.05), "change"),
    Claim("topk-nearly-free", "ours", "lambda-sweep",
          "A code with 8 of its 32 units active reconstructs nearly as well: the top-k model's clean test error "
          "is at most 10% above vanilla d = 32's.",
          change("topk-d32", "vanilla-d32", "test_mse"), at_most(0.1), "change"),
    Claim("topk-specific", "ours", "lambda-sweep",
          "Sparsity that cannot be dodged makes units specific: the top-k code's class selectivity is at least "
          "10% above vanilla's.",
          selectivity_change("topk-d32"), at_least(0.1), "change"),
)


# ---------------------------------------------------------------- evaluation

def _round(value: float) -> float:
    return float(f"{value:.6g}")  # stable bytes in claims.json, far below any rule's resolution


def evaluate(claims: tuple[Claim, ...], runs: dict[str, RunResult], load_data, seeds: list[int],
             features_document: dict | None = None) -> list[dict]:
    """Every claim on every seed: per-seed values and verdicts, the effect beside the seed spread."""
    views = [SeedRuns(seed, runs, load_data, features_document) for seed in sorted(seeds)]
    entries = []
    for claim in claims:
        measured = {}
        for view in views:
            try:
                measured[view.seed] = float(claim.measure(view))
            except MissingRun:  # a run the claim needs was not trained at this seed
                continue
        seeds, values = list(measured), list(measured.values())
        holds = [claim.rule.holds(v) for v in values]
        margins = [claim.rule.margin(v) for v in values]
        spread = statistics.stdev(values) if len(values) > 1 else 0.0
        mean_margin = statistics.fmean(margins)
        entries.append({
            "id": claim.id, "source": claim.source, "section": claim.section, "statement": claim.statement,
            "rule": claim.rule.describe(claim.unit), "unit": claim.unit,
            "values": {str(s): _round(v) for s, v in zip(seeds, values)},
            "holds": {str(s): h for s, h in zip(seeds, holds)},
            "seeds_holding": sum(holds), "seeds_total": len(holds),
            "verdict": verdict(sum(holds), len(holds)),
            "mean": _round(statistics.fmean(values)), "std": _round(spread),
            # The effect: how far the mean lies inside (+) or outside (-) the rule, in units of the seed spread.
            "margin": _round(mean_margin),
            "margin_in_std": _round(mean_margin / spread) if spread > 0 else None,
        })
    return entries


# ---------------------------------------------------------------- what the pages include

def rule_sentence() -> str:
    parts = [f"**{word}** when {meaning}" for word, meaning, _ in VERDICTS]
    return ("Each claim is measured on every seed, and its verdict follows from the seeds it holds in: "
            + "; ".join(parts[:-1]) + f"; **{VERDICTS[-1][0]}** when {VERDICTS[-1][1]}.")


def ledger_markdown(entries: list[dict]) -> str:
    lines = [rule_sentence(), "",
             "| Claim | From | Seeds holding | Verdict |", "|---|---|:---:|---|"]
    for e in entries:
        source = "the original" if e["source"] == "original" else "this site"
        statement = e["statement"].replace("|", "\\|")  # a bar would end the table cell
        lines.append(f"| [{statement}](#{e['section']}) | {source} | "
                     f"{e['seeds_holding']} of {e['seeds_total']} | **{e['verdict']}** |")
    return "\n".join(lines) + "\n"


def section_markdown(entries: list[dict]) -> str:
    """The verdicts of one section, as Part 3 shows them under its evidence."""
    blocks = []
    for e in entries:
        f = FORMATS[e["unit"]]
        values = ", ".join(f"{f(v)} (seed {s})" for s, v in e["values"].items())
        source = "The original's claim" if e["source"] == "original" else "Our claim"
        blocks.append(f"- **{e['verdict']}**, in {e['seeds_holding']} of {e['seeds_total']} seeds. "
                      f"{source}: {e['statement']} Measured: {values}; it holds when the value is "
                      f"{e['rule']}.")
    return "\n".join(blocks) + "\n"


def ledger_files(ledger: dict) -> dict[str, str]:
    """Every page fragment made from claims.json: path under results/ -> Markdown."""
    files = {"ledger.md": ledger_markdown(ledger["claims"])}
    for section, text in section_files(ledger["claims"]).items():
        files[f"claims/{section}.md"] = text
    return files


def section_files(entries: list[dict]) -> dict[str, str]:
    """Section anchor -> Markdown of its verdicts, in ledger order."""
    sections: dict[str, list[dict]] = {}
    for e in entries:
        sections.setdefault(e["section"], []).append(e)
    return {name: section_markdown(group) for name, group in sections.items()}
