"""The claim ledger: every claim the site judges, as data, with the effects that decide it.

A claim is an id, our one-line statement of it, the section of Part 3 that shows the evidence, and
one or more effects. An effect is a measurement (a function of one seed's runs, in the claim's own
units) and a rule on it: a threshold and the side of it the claim puts the effect on. The build
measures every effect on every seed at which the claim's runs exist, and the verdict follows from
the effect's mean over those seeds and its 95% confidence interval (VERDICTS), never from a
sentence typed on a page. `markdown_files` turns the result into everything the pages include.

To add a claim: append a Claim to CLAIMS (and its section to SECTIONS if it is new), put the
section's include on Part 3, rebuild.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from . import features, measures
from .data import training_indices
from .experiments import (CONFIGURATIONS, LINEAR_SWEEP, PUBLISHED_FINAL_LOSS, SPARSITY_WEIGHTS, SWEEP_DIMS,
                          sparse_name)
from .results import SUMMARY_METRICS
from .train import RunResult

SCHEMA = 2

# ---------------------------------------------------------------- the statistics of a verdict

LEVEL = 0.95  # the confidence of every interval on the site
METHOD = ("Student's t-interval over seeds, mean ± t·s/√n for n seeds with standard deviation s, t the exact "
          "two-sided 95% point of Student's t with n − 1 degrees of freedom; a seed's value compares models "
          "trained on that seed's images, so comparisons are paired")


def t_coverage(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with `df` (a whole number >= 1) degrees of freedom.

    The closed form for whole df (Abramowitz & Stegun 26.7.3): with θ = atan(t / √df), a finite sum
    of powers of cos θ, odd powers plus θ itself for odd df, even powers for even df."""
    theta = math.atan(t / math.sqrt(df))
    sin, cos2 = math.sin(theta), math.cos(theta) ** 2
    if df % 2 == 0:  # sin θ (1 + ½cos²θ + (1·3)/(2·4)cos⁴θ + ... up to cos^(df-2)θ)
        term = total = 1.0
        for k in range(1, df // 2):
            term *= cos2 * (2 * k - 1) / (2 * k)
            total += term
        return sin * total
    # (2/π)(θ + sin θ (cos θ + ⅔cos³θ + (2·4)/(3·5)cos⁵θ + ... up to cos^(df-2)θ))
    term, total = math.cos(theta), 0.0
    for k in range(1, (df - 1) // 2 + 1):
        total += term
        term *= cos2 * (2 * k) / (2 * k + 1)
    return 2 / math.pi * (theta + sin * total)


def t_quantile(level: float, df: int) -> float:
    """The t with P(|T| <= t) = level: a `level` interval's half-width in standard errors (bisection on
    t_coverage, to the last bit of a float)."""
    low, high = 0.0, 1.0
    while t_coverage(high, df) < level:
        high *= 2
    for _ in range(200):
        middle = (low + high) / 2
        low, high = (middle, high) if t_coverage(middle, df) < level else (low, middle)
    return (low + high) / 2


def t_interval(values: list[float], level: float = LEVEL) -> tuple[float, float] | None:
    """The `level` confidence interval for the mean of `values` (one per seed); None for fewer than two."""
    if len(values) < 2:
        return None
    mean, spread = statistics.fmean(values), statistics.stdev(values)
    half = t_quantile(level, len(values) - 1) * spread / math.sqrt(len(values))
    return mean - half, mean + half


# ---------------------------------------------------------------- rules, and the verdicts they give

CONFIRMED, CONTRADICTED, INCONCLUSIVE = "Confirmed", "Contradicted", "Inconclusive"
# The vocabulary, stated on the page: the word, when it applies, its icon (Material's, inlined as SVG) and
# the symbol that stands for it where no icon can go.
VERDICTS = {
    CONFIRMED: ("the whole interval lies on the claim's side of its threshold", "material-check-circle", "✓"),
    CONTRADICTED: ("the whole interval lies on the other side", "material-close-circle", "✗"),
    INCONCLUSIVE: ("the interval reaches both sides, or there are too few seeds to draw one",
                   "material-help-circle", "?"),
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

    def judge(self, interval: tuple[float, float] | None) -> str:
        """The verdict on an interval: inside the region, wholly outside it, or across its edge."""
        if interval is None:
            return INCONCLUSIVE
        low, high = interval
        if self.holds(low) and self.holds(high):  # the region is an interval: both ends in, all in
            return CONFIRMED
        if self.op == "between":
            outside = high < self.threshold[0] or low > self.threshold[1]
        else:
            outside = not self.holds(high if self.op in (">", ">=") else low)
        return CONTRADICTED if outside else INCONCLUSIVE

    def thresholds(self) -> tuple[float, ...]:
        return self.threshold if self.op == "between" else (self.threshold,)

    def describe(self, unit: str) -> str:
        t = [plain(v, unit) for v in self.thresholds()]
        if self.op == "between":
            return f"between {t[0]} and {t[1]}"
        return {">": "above", ">=": "at least", "<": "below", "<=": "at most"}[self.op] + f" {t[0]}"


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


# ---------------------------------------------------------------- how effects read

# unit -> (factor to its display scale, signed, suffix of a value, suffix of an interval): "change" -0.34
# reads "−34%", its interval "(−36 to −32%)"; "rate" -0.004 reads "−0.4% per epoch", its interval "(−0.5 to −0.3%)".
UNITS: dict[str, tuple[float, bool, str, str]] = {
    "ratio": (1, False, "×", "×"),
    "change": (100, True, "%", "%"),  # a relative change
    "share": (100, False, "%", "%"),
    "points": (100, True, " points", ""),  # a difference of two shares (percentage points)
    "rate": (100, True, "% per epoch", "%"),  # a relative change per epoch
    "number": (1, False, "", ""),
}


def _number(value: float, unit: str, decimals: int) -> str:
    scale, signed = UNITS[unit][:2]
    shown = round(value * scale, decimals) + 0.0  # + 0.0: no "-0"
    text = f"{shown:+.{decimals}f}" if signed and shown != 0 else f"{shown:.{decimals}f}"
    return text.replace("-", "\u2212")  # a minus sign, not a hyphen


def plain(value: float, unit: str) -> str:
    """A threshold as the page writes it: as few decimals as it needs ("−25%", "2.56×", "0.95")."""
    scaled = value * UNITS[unit][0]
    decimals = next((d for d in range(4) if abs(round(scaled, d) - scaled) < 1e-9), 2)
    return _number(value, unit, decimals) + UNITS[unit][2]


def _decimals(unit: str, mean: float, interval: tuple[float, float] | None, rule: Rule, verdict: str) -> int:
    """Enough decimals for the mean to show two significant digits and the interval's half-width one, and
    for a decided interval's ends never to round onto the threshold they clear."""
    scale = UNITS[unit][0]
    significant = lambda v, digits: digits - 1 - math.floor(math.log10(abs(v))) if v else 0
    decimals = min(3, max(0, significant(mean * scale, 2)))
    if interval is not None and interval[1] > interval[0]:
        decimals = max(decimals, min(3, max(0, significant((interval[1] - interval[0]) / 2 * scale, 1))))
    if interval is None:
        return decimals
    while verdict != INCONCLUSIVE and decimals < 5 and any(
            _number(end, unit, decimals) == _number(t, unit, decimals)
            for end in interval for t in rule.thresholds()):
        decimals += 1
    return decimals


def effect_text(entry: dict) -> str:
    """"−34% (−36 to −32%)": the mean over seeds and its interval, in the effect's units."""
    unit, interval = entry["unit"], entry["interval"]
    rule = Rule(entry["op"], tuple(entry["threshold"]) if entry["op"] == "between" else entry["threshold"])
    decimals = _decimals(unit, entry["mean"], interval, rule, entry["verdict"])
    mean = _number(entry["mean"], unit, decimals) + UNITS[unit][2]
    if interval is None:
        return f"{mean} (one seed: no interval)"
    low, high = (_number(v, unit, decimals) for v in interval)
    return f"{mean} ({low} to {high}{UNITS[unit][3]})"


# ---------------------------------------------------------------- one seed's evidence

class MissingRun(LookupError):
    """A claim needs a run (or a probe) that this build did not make at this seed."""


class SeedRuns:
    """The runs of one seed and the images they are judged on: what a claim's measurement may look at."""

    def __init__(self, seed: int, runs: dict[str, RunResult], load_data, features_document: dict | None = None):
        self.seed = seed
        self._runs = {r.config.name: r for r in runs.values() if r.config.seed == seed}
        self._load_data = load_data
        self._features = features_document  # features.json, as the build evaluated it
        self._codes: dict[str, np.ndarray] = {}
        self._curves: dict[tuple[str, bool], np.ndarray] = {}

    def run(self, name: str) -> RunResult:
        if name not in self._runs:
            raise MissingRun(f"{name}-s{self.seed}")
        return self._runs[name]

    def metric(self, name: str, key: str):
        """A recorded measurement of run `name`: a summary metric (results.SUMMARY_METRICS) or a raw one."""
        metrics = self.run(name).metrics
        return SUMMARY_METRICS[key](metrics) if key in SUMMARY_METRICS else metrics[key]

    @cached_property
    def config(self):
        return next(iter(self._runs.values())).config

    @cached_property
    def data(self):
        return self._load_data()

    @cached_property
    def test_images(self):
        return self.data.test_images[:self.config.test_size]

    @cached_property
    def test_labels(self) -> np.ndarray:
        return self.data.test_labels[:self.config.test_size].numpy()

    @cached_property
    def noisy_test_images(self):
        return measures.noisy_test_images(self.test_images, self.config.noise_sigma)

    @cached_property
    def _train_index(self):
        return training_indices(self.data, self.config.train_size, self.seed)  # the images the runs trained on

    @cached_property
    def train_pixels(self) -> np.ndarray:
        return self.data.train_images[self._train_index].reshape(len(self._train_index), -1).double().numpy()

    @cached_property
    def train_labels(self) -> np.ndarray:
        return self.data.train_labels[self._train_index].numpy()

    def codes(self, name: str) -> np.ndarray:
        """Run `name`'s codes of the test images."""
        if name not in self._codes:
            self._codes[name] = measures.encode(self.run(name).model, self.test_images)
        return self._codes[name]

    def noise_curve(self, name: str, clip: bool = True) -> np.ndarray:
        """Run `name`'s test error at each level of the noise sweep (measures.noise_curve), computed once."""
        if (name, clip) not in self._curves:
            self._curves[name, clip] = measures.noise_curve(
                self.run(name).model, self.test_images, measures.NOISE_LEVELS,
                min(measures.NOISE_SWEEP_IMAGES, len(self.test_images)), clip)
        return self._curves[name, clip]

    @cached_property
    def plane(self) -> np.ndarray:
        """The vanilla d = 2 model's codes of the test images."""
        return self.codes("vanilla-d2")

    @cached_property
    def geometry(self) -> measures.ClassGeometry:
        return measures.class_geometry(self.plane, self.test_labels)

    @cached_property
    def paths(self) -> dict[tuple[int, int], measures.Path]:
        found = measures.centroid_paths(self.run("vanilla-d2").model, self.geometry, measures.CENTROID_PATHS,
                                        measures.PATH_STEPS)
        return {p.ends: p for p in found}

    @cached_property
    def principal(self) -> np.ndarray:
        """The leading principal directions of this seed's training images, as columns (784, widest d)."""
        return measures.principal_components(self.train_pixels, max(SWEEP_DIMS))[1]

    @cached_property
    def pca_test_mse(self) -> np.ndarray:
        """PCA fitted on this seed's training images, scored on the test images, for d = 1 .. widest sweep width."""
        test = self.test_images.reshape(len(self.test_images), -1).double().numpy()
        return measures.pca_test_mse(self.train_pixels, test, max(SWEEP_DIMS))

    def accuracy(self, name: str, measure: str) -> float:
        """A feature set's accuracy at this seed (features.py), e.g. accuracy("vanilla-d32", "probe.noisy")."""
        try:
            return features.accuracy(self._features, name, measure, self.seed)
        except (KeyError, TypeError):
            raise MissingRun(f"the probes of {name} at seed {self.seed}") from None


# ---------------------------------------------------------------- the measurements

FIVE = tuple(c.name for c in CONFIGURATIONS)  # the published table
D32 = tuple(c.name for c in CONFIGURATIONS if c.latent_dim == 32)
NAMES = {"vanilla-d2": "vanilla d = 2", "vanilla-d32": "vanilla d = 32", "denoising-d32": "the denoiser",
         "sparse-d32": "the sparse model", "conv-d32": "the conv model", "pca-d32": "PCA d = 32"}
ROUNDING = 0.00005  # the published losses are given to four decimals: each is its value ± half a unit there


def ratio(a: str, b: str, key: str) -> Callable[[SeedRuns], float]:
    return lambda s: s.metric(a, key) / s.metric(b, key)


def change(a: str, b: str, key: str) -> Callable[[SeedRuns], float]:
    return lambda s: s.metric(a, key) / s.metric(b, key) - 1


def gap_to_published(name: str) -> Callable[[SeedRuns], float]:
    return lambda s: s.metric(name, "final_loss") / PUBLISHED_FINAL_LOSS[name] - 1


def reproduces(name: str, band: float = 0.05) -> Rule:
    """Within `band` of the published value, widened by the published value's rounding."""
    slack = band + ROUNDING / PUBLISHED_FINAL_LOSS[name]
    return between(-slack, slack)


def late_trend(name: str) -> Callable[[SeedRuns], float]:
    return lambda s: measures.late_trend(s.metric(name, "history"), measures.LATE_EPOCHS)


def path_unevenness(ends: tuple[int, int]) -> Callable[[SeedRuns], float]:
    def measure(s: SeedRuns) -> float:
        if ends not in s.paths:
            raise MissingRun(f"the path {ends[0]}→{ends[1]} at seed {s.seed}")
        return s.paths[ends].unevenness
    return measure


def ends_read_as_their_digit(s: SeedRuns) -> float:
    """The share of the paths' ends (class centroids) whose decoded image the project's k-NN, fitted on
    the run's training images (pixels), reads as the end's own digit."""
    ends = sorted({d for pair in measures.CENTROID_PATHS for d in pair if d in s.geometry.digits})
    centre = dict(zip(s.geometry.digits, s.geometry.centroids))
    images = measures.decode(s.run("vanilla-d2").model, np.stack([centre[d] for d in ends]))
    read = measures.nearest_labels(s.train_pixels, s.train_labels, images.reshape(len(ends), -1))
    return float(np.mean(read == np.array(ends)))


def against_pca(name: str, d: int) -> Callable[[SeedRuns], float]:
    """Run `name`'s test error relative to PCA's with the same number of components (below 0: better)."""
    return lambda s: s.metric(name, "test_mse") / s.pca_test_mse[d - 1] - 1


def doubling(d: int) -> Callable[[SeedRuns], float]:
    """By what factor doubling the vanilla model's width from d/2 to d changes its test error."""
    return lambda s: s.metric(f"vanilla-d{d}", "test_mse") / s.metric(f"vanilla-d{d // 2}", "test_mse")


def subspace_overlap(d: int) -> Callable[[SeedRuns], float]:
    """How much of PCA's d-dimensional subspace the linear autoencoder's decoder spans: the mean squared
    cosine of the principal angles between the two (1: the same subspace)."""
    def measure(s: SeedRuns) -> float:
        decoder = s.run(f"linear-d{d}").model.decoder[0].weight.detach().double().numpy()  # (784, d)
        return float(np.mean(measures.principal_cosines(decoder, s.principal[:, :d]) ** 2))
    return measure


def near_zero_share(name: str, live_only: bool = False) -> Callable[[SeedRuns], float]:
    """The share of run `name`'s code entries that are near zero (train.near_zero, unit by unit); with
    `live_only`, among the units that are not 0 for every test image."""
    def measure(s: SeedRuns) -> float:
        latent = s.metric(name, "latent")
        if not live_only:
            return latent["near_zero_fraction"]
        units, dead = len(latent["unit_abs_mean"]), latent["dead_units"]
        return (latent["near_zero_fraction"] * units - dead) / (units - dead)
    return measure


def scale_ratio(a: str, b: str) -> Callable[[SeedRuns], float]:
    """Run `a`'s code scale (mean |z|) over run `b`'s."""
    return lambda s: s.metric(a, "latent")["abs_mean"] / s.metric(b, "latent")["abs_mean"]


def share_difference(a: str, b: str) -> Callable[[SeedRuns], float]:
    """Run `a`'s near-zero share minus run `b`'s (a fraction: 0.02 is two percentage points)."""
    return lambda s: s.metric(a, "latent")["near_zero_fraction"] - s.metric(b, "latent")["near_zero_fraction"]


def dead_share(name: str) -> Callable[[SeedRuns], float]:
    """The share of run `name`'s code units that are 0 for every test image."""
    return lambda s: s.metric(name, "latent")["dead_units"] / len(s.metric(name, "latent")["unit_abs_mean"])


def ablation(name: str) -> Callable[[SeedRuns], float]:
    return lambda s: measures.near_zero_ablation(s.run(name).model, s.test_images)


def selectivity_change(name: str) -> Callable[[SeedRuns], float]:
    """How much more of its units' variance the digit class explains in `name`'s code than in the vanilla
    d = 32 code's (mean correlation ratio over the units in use, relative)."""
    def measure(s: SeedRuns) -> float:
        mine, vanilla = (measures.class_selectivity(s.codes(n), s.test_labels).mean() for n in (name, "vanilla-d32"))
        return float(mine / vanilla - 1)
    return measure


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


def error_at_sigma_against(name: str, sigma: float, other: float, clip: bool = True) -> Callable[[SeedRuns], float]:
    """Run `name`'s error at noise level `sigma` relative to its error at `other` (below 0: lower at sigma)."""
    levels = [float(v) for v in measures.NOISE_LEVELS]

    def measure(s: SeedRuns) -> float:
        curve = s.noise_curve(name, clip)
        return float(curve[levels.index(sigma)] / curve[levels.index(other)] - 1)
    return measure


def vanilla_against_doing_nothing(s: SeedRuns) -> float:
    """The vanilla model's error on noisy inputs relative to the noisy inputs' own error."""
    input_mse = measures.pixel_mse(s.noisy_test_images, s.test_images).mean()
    return s.metric("vanilla-d32", "test_mse_noisy") / input_mse - 1


# ---------------------------------------------------------------- the ledger

@dataclass(frozen=True)
class Effect:
    measure: Callable[[SeedRuns], float]
    rule: Rule
    unit: str  # a key of UNITS
    name: str = ""  # in a claim of several effects: which one this is ("vanilla, d = 2")


@dataclass(frozen=True)
class Claim:
    id: str
    source: str  # "original": a claim of the series we reproduce; "ours": one this site makes
    section: str  # the anchor on Part 3 where the evidence is shown (a key of SECTIONS)
    statement: str  # our one-line statement, precise enough to be measured
    effects: tuple[Effect, ...]  # all must hold: a claim of several effects states each of them


def one(measure: Callable[[SeedRuns], float], rule: Rule, unit: str) -> tuple[Effect, ...]:
    return (Effect(measure, rule, unit),)


# Part 3's sections that show evidence, in page order, with their headings.
SECTIONS: dict[str, str] = {
    "latent-map": "The two-dimensional code of the test set",
    "wider-code": "A wider code, a lower loss",
    "denoising": "Denoising: a cost, or a different task?",
    "convolutions": "Reconstructions, and the convolutional model",
    "training-curves": "One run, thirty epochs",
    "paths": "Straight paths through the code",
    "sparsity": "Sparsity: what the penalty does",
    "lambda-sweep": "Testing the diagnosis: four decades of λ, and a top-k code",
    "fixes": "Closing the escape: a ReLU code, a unit-norm decoder",
    "knee": "The error against the width of the code",
    "linear": "A linear autoencoder against PCA",
    "noise-sweep": "The denoiser at every noise level",
    "features": "What the codes are good for",
}

WIDEST = max(SWEEP_DIMS)
SIGMA = 0.3  # the denoiser's training noise, and the evaluation's
OTHER_SIGMAS = tuple(float(v) for v in measures.NOISE_LEVELS if float(v) != SIGMA)

CLAIMS: tuple[Claim, ...] = (
    # ------------------------------------------------ the two-dimensional code
    Claim("classes-separate", "original", "latent-map",
          "Digit classes separate in the 2-D code without labels: k-NN reads the digit from it more accurately "
          "than from the two leading principal components of the pixels.",
          one(accuracy_gain("vanilla-d2", "pca-d2", "knn.clean"), above(0.0), "points")),
    Claim("four-near-nine", "original", "latent-map",
          "4 lies near 9: their centroids are closer to each other than either is to any other class's.",
          one(lambda s: s.geometry.closeness(4, 9), below(1.0), "ratio")),
    Claim("three-near-five", "original", "latent-map",
          "3 lies near 5: their centroids are closer to each other than either is to any other class's.",
          one(lambda s: s.geometry.closeness(3, 5), below(1.0), "ratio")),
    Claim("one-apart", "original", "latent-map",
          "1 stands apart: its centroid is farther from its nearest neighbour's than any other class's is.",
          one(lambda s: s.geometry.isolation_ratio(1), above(1.0), "ratio")),
    # ------------------------------------------------ width
    Claim("wider-code", "original", "wider-code",
          "A 16× wider code (d = 2 to 32) lowers the final training loss about 3.2×, within 20%.",
          one(ratio("vanilla-d2", "vanilla-d32", "final_loss"), between(2.56, 3.84), "ratio")),
    Claim("wider-code-held-out", "ours", "wider-code",
          "On held-out images the wider code at least halves the test error.",
          one(ratio("vanilla-d2", "vanilla-d32", "test_mse"), at_least(2.0), "ratio")),
    # ------------------------------------------------ denoising
    Claim("denoising-costs-extra", "original", "denoising",
          "Denoising costs extra: on clean test images the denoiser's error is above the vanilla d = 32 model's.",
          one(change("denoising-d32", "vanilla-d32", "test_mse"), above(0.0), "change")),
    Claim("denoising-best-on-noise", "ours", "denoising",
          "On noisy test images (σ = 0.3) the denoiser has the lowest error of the d = 32 models.",
          tuple(Effect(change("denoising-d32", other, "test_mse_noisy"), below(0.0), "change", f"against {NAMES[other]}")
                for other in D32 if other != "denoising-d32")),
    Claim("vanilla-no-denoiser", "ours", "denoising",
          "At σ = 0.3 the vanilla d = 32 model's output is further from the clean image than its noisy input.",
          one(vanilla_against_doing_nothing, above(0.0), "change")),
    # ------------------------------------------------ reconstructions
    Claim("conv-wins", "original", "convolutions",
          "Convolutions win: the conv model's final training loss is at least 25% below vanilla d = 32's.",
          one(change("conv-d32", "vanilla-d32", "final_loss"), at_most(-0.25), "change")),
    Claim("conv-best-clean", "ours", "convolutions",
          "On clean test images the conv model has the lowest error of the d = 32 models.",
          tuple(Effect(change("conv-d32", other, "test_mse"), below(0.0), "change", f"against {NAMES[other]}")
                for other in D32 if other != "conv-d32")),
    Claim("conv-lead-survives-noise", "ours", "convolutions",
          "The conv model's lead survives noise: on noisy test images its error is below vanilla d = 32's.",
          one(change("conv-d32", "vanilla-d32", "test_mse_noisy"), below(0.0), "change")),
    Claim("conv-smaller-gap", "ours", "convolutions",
          "The conv model generalises better: its test error exceeds its training error by less than vanilla's does.",
          one(lambda s: (s.metric("conv-d32", "test_mse") / s.metric("conv-d32", "train_mse"))
              - (s.metric("vanilla-d32", "test_mse") / s.metric("vanilla-d32", "train_mse")), below(0.0), "points")),
    Claim("close-to-vanilla", "original", "convolutions",
          "The denoising and the sparse model reconstruct about as well as vanilla d = 32: each one's clean test "
          "error is within 10% of vanilla's.",
          tuple(Effect(change(name, "vanilla-d32", "test_mse"), between(-0.1, 0.1), "change", f"for {NAMES[name]}")
                for name in ("denoising-d32", "sparse-d32"))),
    # ------------------------------------------------ the training curves
    Claim("published-losses", "original", "training-curves",
          "The published final losses reproduce: each of the five is within 5% of our mean, once the published "
          "value's rounding to four decimals is allowed for.",
          tuple(Effect(gap_to_published(name), reproduces(name), "change", f"for {NAMES[name]}") for name in FIVE)),
    Claim("not-converged", "ours", "training-curves",
          "No run has converged at 30 epochs: over the last ten, every model's training loss still trends down "
          "(least-squares slope below zero).",
          tuple(Effect(late_trend(name), below(0.0), "rate", f"for {NAMES[name]}") for name in FIVE)),
    # ------------------------------------------------ paths
    Claim("smooth-paths", "original", "paths",
          "Straight paths between class centroids decode smoothly: no step exceeds twice the path's mean step.",
          tuple(Effect(path_unevenness(ends), at_most(2.0), "ratio", f"path {ends[0]} → {ends[1]}")
                for ends in measures.CENTROID_PATHS)),
    Claim("paths-join-classes", "ours", "paths",
          "Each path runs from one digit to the other: both of its ends decode to images that a k-NN on pixels "
          "reads as the end's own digit.",
          one(ends_read_as_their_digit, at_least(1.0), "share")),
    Claim("curved-plane", "original", "paths",
          "A curved 2-D code fits the digits better than a flat one: its test error is at least 20% below that "
          "of PCA with two components.",
          one(against_pca("vanilla-d2", 2), at_most(-0.2), "change")),
    # ------------------------------------------------ sparsity
    Claim("most-units-zero", "original", "sparsity",
          "Most code entries end up near zero: over half of the sparse code's entries are below 5% of their "
          "unit's large values.",
          one(near_zero_share("sparse-d32"), above(0.5), "share")),
    Claim("sparsity-free", "original", "sparsity",
          "Sparsity comes nearly free at λ = 10⁻³: most code entries are near zero, and the clean test error is "
          "at most 5% above vanilla's.",
          (Effect(near_zero_share("sparse-d32"), above(0.5), "share", "near-zero entries"),
           Effect(change("sparse-d32", "vanilla-d32", "test_mse"), at_most(0.05), "change", "cost in test error"))),
    Claim("near-zero-negligible", "ours", "sparsity",
          "What counts as near zero carries almost nothing: setting those entries of the sparse code to exactly "
          "zero raises its clean test error by less than 1%.",
          one(ablation("sparse-d32"), below(0.01), "change")),
    Claim("sparse-better", "ours", "sparsity",
          "The penalty even helps held-out reconstruction: the sparse model's clean test error is below vanilla "
          "d = 32's.",
          one(change("sparse-d32", "vanilla-d32", "test_mse"), below(0.0), "change")),
    Claim("sparse-specific", "original", "sparsity",
          "The penalty makes units more specific: the share of their variance that the digit class explains "
          "rises by at least 10% over vanilla's.",
          one(selectivity_change("sparse-d32"), at_least(0.1), "change")),
    Claim("sparse-rescales", "ours", "sparsity",
          "The penalty shrinks the code's scale instead: its mean |z| is under half of the vanilla code's.",
          one(scale_ratio("sparse-d32", "vanilla-d32"), below(0.5), "ratio")),
    # ------------------------------------------------ the lambda sweep and top-k
    Claim("rescaling-survives", "ours", "lambda-sweep",
          "The rescaling diagnosis survives four decades of λ: every tenfold rise shrinks the code, fewer than "
          "half of its entries are near zero even at λ = 10⁻¹, and up to λ = 10⁻² the clean test error stays "
          "within 5% of λ = 10⁻⁴'s.",
          tuple(Effect(scale_ratio(sparse_name(b), sparse_name(a)), below(1.0), "ratio",
                       f"scale from λ = {a:g} to {b:g}") for a, b in zip(SPARSITY_WEIGHTS, SPARSITY_WEIGHTS[1:]))
          + (Effect(near_zero_share(sparse_name(1e-1)), below(0.5), "share", "near-zero entries at λ = 0.1"),
             Effect(change(sparse_name(1e-2), sparse_name(1e-4), "test_mse"), at_most(0.05), "change",
                    "cost in test error from λ = 0.0001 to 0.01"))),
    Claim("topk-nearly-free", "ours", "lambda-sweep",
          "A code with 8 of its 32 units active reconstructs nearly as well: the top-k model's clean test error "
          "is at most 10% above vanilla d = 32's.",
          one(change("topk-d32", "vanilla-d32", "test_mse"), at_most(0.1), "change")),
    Claim("topk-beats-d8", "ours", "lambda-sweep",
          "Choosing which 8 of 32 units carry an image is worth more than 8 fixed numbers: the top-k code's "
          "clean test error is below vanilla d = 8's.",
          one(change("topk-d32", "vanilla-d8", "test_mse"), below(0.0), "change")),
    Claim("topk-dead-units", "ours", "lambda-sweep",
          "Top-k starves units: over a quarter of its 32 units are never among the 8 kept for any test image.",
          one(dead_share("topk-d32"), above(0.25), "share")),
    Claim("topk-specific", "ours", "lambda-sweep",
          "Sparsity that cannot be dodged makes units specific: in the top-k code the digit class explains at "
          "least 10% more of the units' variance than in vanilla's.",
          one(selectivity_change("topk-d32"), at_least(0.1), "change")),
    # ------------------------------------------------ the fixes
    Claim("relu-sparse", "ours", "fixes",
          "With a ReLU on the code, the penalty leaves most of the code at zero: over half of its entries are "
          "near zero.",
          one(near_zero_share("sparse-relu-d32"), above(0.5), "share")),
    Claim("relu-penalty-zeros", "ours", "fixes",
          "The penalty adds zeros to a ReLU code: more of its entries are near zero than without the penalty.",
          one(share_difference("sparse-relu-d32", "relu-d32"), above(0.0), "points")),
    Claim("relu-live-units-dense", "ours", "fixes",
          "But a ReLU code's zeros sit mostly in units that are never used: among the penalised code's live "
          "units, fewer than half of the entries are near zero.",
          one(near_zero_share("sparse-relu-d32", live_only=True), below(0.5), "share")),
    Claim("unit-norm-sparse", "ours", "fixes",
          "Unit-norm columns in every decoder layer make the penalty bite: over half of the constrained sparse "
          "code's entries are near zero.",
          one(near_zero_share("sparse-unit-norm-d32"), above(0.5), "share")),
    Claim("unit-norm-still-shrinks", "ours", "fixes",
          "Unit-norm columns do not close the escape: with the penalty, the constrained code's mean |z| is under "
          "half of the same constrained model's without it.",
          one(scale_ratio("sparse-unit-norm-d32", "unit-norm-d32"), below(0.5), "ratio")),
    # ------------------------------------------------ the knee
    Claim("knee-dimension", "original", "knee",
          f"The knee of the error-against-width curve marks the digits' intrinsic dimension: past the bend the "
          f"error is what the data leaves, so at d = {WIDEST} no model of that width, PCA included, does better.",
          one(against_pca(f"vanilla-d{WIDEST}", WIDEST), at_most(0.0), "change")),
    Claim("error-falls-with-width", "ours", "knee",
          f"The autoencoder's test error falls with every doubling of d, up to d = {WIDEST}.",
          tuple(Effect(doubling(d), below(1.0), "ratio", f"from d = {d // 2} to {d}") for d in SWEEP_DIMS[1:])),
    # ------------------------------------------------ the linear autoencoder
    Claim("linear-finds-subspace", "ours", "linear",
          "Trained by the same loop, a linear autoencoder finds PCA's subspace, as Baldi and Hornik's optimum "
          "says it should: at every width the mean squared cosine of the principal angles is at least 0.95.",
          tuple(Effect(subspace_overlap(c.latent_dim), at_least(0.95), "number", f"at d = {c.latent_dim}")
                for c in LINEAR_SWEEP)),
    Claim("linear-matches-pca", "ours", "linear",
          "Trained by the same loop, a linear autoencoder reaches PCA's test error: within 5% at every width.",
          tuple(Effect(against_pca(c.name, c.latent_dim), at_most(0.05), "change", f"at d = {c.latent_dim}")
                for c in LINEAR_SWEEP)),
    # ------------------------------------------------ the noise sweep
    Claim("code-moves-less", "ours", "noise-sweep",
          "σ = 0.3 noise moves the denoiser's code less than the vanilla model's, relative to the codes' spread.",
          one(displacement_change, below(0.0), "change")),
    Claim("denoiser-tuned", "ours", "noise-sweep",
          "The denoiser does best at the noise level it was trained on: its error at σ = 0.3 is below its error "
          "at every other level of the sweep, clean inputs included.",
          tuple(Effect(error_at_sigma_against("denoising-d32", SIGMA, sigma), below(0.0), "change",
                       f"against σ = {sigma:g}") for sigma in OTHER_SIGMAS)),
    Claim("clipping-explains", "ours", "noise-sweep",
          "Clipping is what makes clean images hard for the denoiser: trained and tested on unclipped noise, it "
          "does better on clean images than at σ = 0.3.",
          one(error_at_sigma_against("denoising-unclipped-d32", 0.0, SIGMA, clip=False), below(0.0), "change")),
    Claim("unclipped-no-clean-cost", "ours", "noise-sweep",
          "Without clipping most of the cost on clean images goes: the denoiser trained on unclipped noise keeps "
          "less than half of the series' denoiser's extra clean test error over vanilla d = 32.",
          one(lambda s: ((s.metric("denoising-unclipped-d32", "test_mse") - s.metric("vanilla-d32", "test_mse"))
                         / (s.metric("denoising-d32", "test_mse") - s.metric("vanilla-d32", "test_mse"))),
              below(0.5), "share")),
    # ------------------------------------------------ features
    Claim("robust-features", "original", "features",
          "Denoising learns noise-robust features: on σ = 0.3 noisy images a linear probe reads the digit from its "
          "code more accurately than from the vanilla d = 32 code, or from PCA's 32 components.",
          tuple(Effect(accuracy_gain("denoising-d32", other, "probe.noisy"), above(0.0), "points",
                       f"against {NAMES[other]}") for other in ("vanilla-d32", "pca-d32"))),
    Claim("robust-features-knn", "ours", "features",
          "The same holds for nearest neighbours: on noisy images k-NN reads the digit from the denoiser's code "
          "more accurately than from the vanilla d = 32 code, or from PCA's 32 components.",
          tuple(Effect(accuracy_gain("denoising-d32", other, "knn.noisy"), above(0.0), "points",
                       f"against {NAMES[other]}") for other in ("vanilla-d32", "pca-d32"))),
    Claim("noise-costs-denoiser-less", "ours", "features",
          "Noise costs the denoiser's code less: its linear probe loses fewer points from clean to noisy images "
          "than on the vanilla d = 32 code, or on PCA's 32 components.",
          tuple(Effect(smaller_noise_drop("denoising-d32", other, "probe"), above(0.0), "points",
                       f"against {NAMES[other]}") for other in ("vanilla-d32", "pca-d32"))),
    Claim("code-beats-pca", "ours", "features",
          "The vanilla d = 32 code is a better feature than the 32 leading principal components: a linear probe "
          "on clean images is more accurate on it.",
          one(accuracy_gain("vanilla-d32", "pca-d32", "probe.clean"), above(0.0), "points")),
    Claim("code-keeps-digit", "ours", "features",
          "Compressing 784 pixels into 32 numbers keeps the digit: a linear probe on the vanilla d = 32 code is "
          "within 5 points of one on the raw pixels.",
          one(accuracy_gain("vanilla-d32", "pixels", "probe.clean"), at_least(-0.05), "points")),
)

# What Part 3 and the hub lead with: claims whose verdicts, together, say what the experiments found.
FINDINGS: tuple[str, ...] = (
    "published-losses", "conv-best-clean", "clipping-explains", "robust-features", "most-units-zero",
    "unit-norm-sparse", "knee-dimension", "linear-finds-subspace",
)


# ---------------------------------------------------------------- evaluation

def _round(value: float) -> float:
    return float(f"{value:.6g}")  # stable bytes in claims.json, far below any interval's resolution


def _effect_entry(effect: Effect, seeds: list[int], values: list[float]) -> dict:
    interval = t_interval(values)
    verdict = effect.rule.judge(interval)
    return {
        "name": effect.name, "unit": effect.unit, "rule": effect.rule.describe(effect.unit), "op": effect.rule.op,
        "threshold": list(effect.rule.threshold) if effect.rule.op == "between" else effect.rule.threshold,
        "values": {str(s): _round(v) for s, v in zip(seeds, values)},
        "mean": _round(statistics.fmean(values)),
        "std": _round(statistics.stdev(values)) if len(values) > 1 else None,
        "interval": [_round(v) for v in interval] if interval else None,
        "verdict": verdict,
    }


def combine(verdicts: list[str]) -> str:
    """A claim of several effects holds when each does: Confirmed when every effect is, Contradicted as
    soon as one is, Inconclusive otherwise."""
    if all(v == CONFIRMED for v in verdicts):
        return CONFIRMED
    return CONTRADICTED if CONTRADICTED in verdicts else INCONCLUSIVE


def _deciding(effects: list[dict], verdict: str) -> int:
    """The effect that the claim's verdict rests on: of those sharing that verdict, the one nearest to
    failing it (Confirmed, Inconclusive), or the one farthest beyond its threshold (Contradicted)."""
    def key(e):  # margins of the interval's ends to the rule's region, in the effect's units
        rule = Rule(e["op"], tuple(e["threshold"]) if e["op"] == "between" else e["threshold"])
        margins = [rule.margin(v) for v in (e["interval"] or [e["mean"]])]
        return max(margins) if verdict == CONTRADICTED else min(margins)
    candidates = [i for i, e in enumerate(effects) if e["verdict"] == verdict] or list(range(len(effects)))
    return min(candidates, key=lambda i: key(effects[i]))


def evaluate(claims: tuple[Claim, ...], runs: dict[str, RunResult], load_data, seeds: list[int],
             features_document: dict | None = None) -> list[dict]:
    """Every claim on every seed at which all of its runs exist: per effect the per-seed values, their
    mean and its 95% t-interval, and the verdicts that follow."""
    views = [SeedRuns(seed, runs, load_data, features_document) for seed in sorted(seeds)]
    entries = []
    for claim in claims:
        measured: dict[int, list[float]] = {}
        for view in views:
            try:
                measured[view.seed] = [float(e.measure(view)) for e in claim.effects]
            except MissingRun:
                continue  # a seed at which one of the claim's runs was not built
        used = sorted(measured)
        if not used:
            continue  # none of its runs exist in this build (a partial build): no entry
        effects = [_effect_entry(e, used, [measured[s][i] for s in used]) for i, e in enumerate(claim.effects)]
        verdict = combine([e["verdict"] for e in effects])
        decided = effects[_deciding(effects, verdict)]
        entries.append({
            "id": claim.id, "source": claim.source, "section": claim.section, "statement": claim.statement,
            "seeds": used, "method": METHOD, "level": LEVEL, "verdict": verdict,
            # The effect the verdict rests on (the only one, for most claims), at the top level.
            **{k: decided[k] for k in ("values", "mean", "std", "interval", "unit", "rule", "op", "threshold")},
            "decided_by": decided["name"],
            "effects": effects,
        })
    return entries


# ---------------------------------------------------------------- what the pages include

def verdict_badge(verdict: str) -> str:
    """The verdict as the pages show it: an icon and the word, styled by verdicts.css."""
    icon = VERDICTS[verdict][1]
    return f'<span class="verdict verdict-{verdict.lower()}">:{icon}: {verdict}</span>'


def rule_sentence() -> str:
    words = [f"{verdict_badge(w)} when {VERDICTS[w][0]}" for w in VERDICTS]
    return ("A verdict comes from the mean of a claim's effect over the seeds at which its runs exist, and a 95% "
            "confidence interval for that mean: " + "; ".join(words) + ". The interval is " + METHOD + ". A claim "
            "that states several things at once gives each its own interval, and is Confirmed only when all of "
            "them are, Contradicted as soon as one is.")


def _source(entry: dict) -> str:
    return "The original's claim" if entry["source"] == "original" else "Our claim"


def _seeds(entry: dict) -> str:
    count = len(entry["seeds"])
    return f"{count} seed" + ("s" if count != 1 else "")


def _cell(text: str) -> str:
    return text.replace("|", "\\|")  # a bar would end a table cell


def _effect_line(effect: dict) -> str:
    return (f"{verdict_badge(effect['verdict'])} {effect['name']}: {effect_text(effect)}; it must be "
            f"{effect['rule']}")


def claim_markdown(entry: dict) -> str:
    """One claim as Part 3 shows it under its evidence: the verdict with the effect and its interval on the
    first line, then the claim; a claim of several effects lists them, each with its own verdict."""
    if len(entry["effects"]) > 1:
        lines = [f"- {verdict_badge(entry['verdict'])} {_seeds(entry)}<br>{_source(entry)}: {entry['statement']}"]
        return "\n".join(lines + [f"    - {_effect_line(e)}" for e in entry["effects"]])
    effect = entry["effects"][0]
    return (f"- {verdict_badge(entry['verdict'])} **{effect_text(effect)}**, {_seeds(entry)}<br>"
            f"{_source(entry)}: {entry['statement']} It holds when the effect is {effect['rule']}.")


def section_markdown(entries: list[dict]) -> str:
    """The verdicts of one section, as Part 3 shows them under its evidence."""
    return "\n".join(claim_markdown(e) for e in entries) + "\n"


def _headline_effect(entry: dict, bold: bool = False) -> str:
    """The effect a claim's verdict rests on, with its name when the claim has several: "−36% (−40 to −33%)
    against sparse"."""
    decided = next(e for e in entry["effects"] if e["name"] == entry["decided_by"])
    text = f"**{effect_text(decided)}**" if bold else effect_text(decided)
    return text + (f" {entry['decided_by']}" if len(entry["effects"]) > 1 else "")


def _counts(entries: list[dict]) -> str:
    found = [(w, sum(e["verdict"] == w for e in entries)) for w in VERDICTS]
    return ", ".join(f"{n} {w.lower()}" for w, n in found if n)


def ledger_markdown(entries: list[dict]) -> str:
    """Every claim grouped by section, one folded table per section."""
    lines = []
    sections = _by_section(entries)
    for section, group in sections.items():
        claims = f"{len(group)} claim" + ("s" if len(group) != 1 else "")
        lines += [f'??? verdicts "{SECTIONS[section]}: {claims}, {_counts(group)}"', "",
                  "    | Verdict | Claim | Effect (95% interval) |", "    |---|---|---|"]
        for e in group:
            origin = "the original" if e["source"] == "original" else "ours"
            lines.append(f"    | {verdict_badge(e['verdict'])} | [{_cell(e['statement'])}](#{e['section']}) "
                         f"({origin}) | {_cell(_headline_effect(e))}, {_seeds(e)} |")
        lines.append("")
    return "\n".join(lines)


def findings_markdown(entries: list[dict]) -> str:
    """What we found: the FINDINGS claims, each with its verdict, effect and interval, linked to its evidence."""
    found = {e["id"]: e for e in entries}
    lines = []
    for claim_id in FINDINGS:
        if claim_id not in found:
            continue
        e = found[claim_id]
        origin = "the original's claim" if e["source"] == "original" else "our claim"
        lines.append(f"- {verdict_badge(e['verdict'])} {_headline_effect(e, bold=True)}, {_seeds(e)}<br>"
                     f"{e['statement']} ({origin}; [evidence](part-3-experiments.md#{e['section']}))")
    return "\n".join(lines) + "\n"


def _by_section(entries: list[dict]) -> dict[str, list[dict]]:
    sections: dict[str, list[dict]] = {name: [] for name in SECTIONS}
    for e in entries:
        sections[e["section"]].append(e)
    return {name: group for name, group in sections.items() if group}


def markdown_files(ledger: dict) -> dict[str, str]:
    """Every Markdown file derived from claims.json, by path relative to docs/results/: how a verdict is
    decided, the ledger, one verdict fragment per section of Part 3, and the findings that Part 3 and the
    hub lead with."""
    entries = ledger["claims"]
    files = {"method.md": rule_sentence() + "\n", "ledger.md": ledger_markdown(entries),
             "findings.md": findings_markdown(entries)}
    for section, group in _by_section(entries).items():
        files[f"claims/{section}.md"] = section_markdown(group)
    return files
