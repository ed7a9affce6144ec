"""What the codes are good for: how well a frozen code tells which digit an image shows.

"Denoising learns robust features" is a claim about features, so we measure features. For each
model, the code of every training image of its run (5,000) trains a classifier that never touches
the autoencoder's weights, and the classifier is scored on the codes of the 10,000 test images,
once clean and once with the evaluation's noise (σ = 0.3). Two classifiers:

- a linear probe: multinomial logistic regression on the code (centred, and divided by one overall
  spread), with scikit-learn's default L2 penalty (C = 1), fitted to convergence by L-BFGS in
  float64. About twenty lines of torch, so the dependencies stay the ones the rest of the project
  needs, and the objective is convex with a unique optimum: any correct solver gives the same answer;
- k nearest neighbours: the majority label of the k closest training codes, the one k-NN protocol
  of the project (measures.nearest_labels, k = measures.NEIGHBOURS).

Baselines with the same inputs: PCA with as many components as the code has units (fitted on the
same training images, no labels seen), and the 784 raw pixels. The build evaluates all of it once
per key and writes docs/results/features.json; the figure draws it and the claims judge it.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from . import measures
from .data import training_indices
from .experiments import COMPARED, CONFIGS, RunConfig, label

SCHEMA = 2
# The models whose codes are measured (experiments.COMPARED), and a PCA baseline for each of their widths.
PROBED = tuple(c.name for c in COMPARED)
PCA_DIMS = tuple(sorted({c.latent_dim for c in COMPARED}))
PROBE_C = 1.0  # inverse L2 strength, as scikit-learn's LogisticRegression(C=1.0) defines it
PROBE_MAX_ITER = 1_000
CONDITIONS = ("clean", "noisy")


# --8<-- [start:probe]
def linear_probe(
    train: np.ndarray, labels: np.ndarray, tests: list[np.ndarray]
) -> list[np.ndarray]:
    """Fit multinomial logistic regression on `train`; predict each of `tests`.

    Minimises mean cross-entropy + |W|^2 / (2 C n), the objective of
    scikit-learn's LogisticRegression(C=PROBE_C): its optimum is unique.
    """
    x = torch.as_tensor(train, dtype=torch.float64)
    # Centre, then divide by ONE number, the features' overall spread: the
    # code's scale (which an L1 penalty shrinks) stops mattering, and a
    # feature that barely varies (a border pixel) is not magnified.
    mean = x.mean(0)
    spread = (x - mean).pow(2).mean().sqrt()

    def scale(a):
        return (torch.as_tensor(a, dtype=torch.float64) - mean) / spread

    x, y = scale(train), torch.as_tensor(labels, dtype=torch.long)
    weights = torch.zeros(x.shape[1], 10, dtype=torch.float64)
    bias = torch.zeros(10, dtype=torch.float64)
    weights.requires_grad_()
    bias.requires_grad_()
    optimiser = torch.optim.LBFGS(
        [weights, bias], max_iter=PROBE_MAX_ITER, history_size=20,
        tolerance_grad=1e-6, tolerance_change=1e-12,
        line_search_fn="strong_wolfe",
    )

    def objective():
        optimiser.zero_grad()
        penalty = (weights**2).sum() / (2 * PROBE_C * len(x))  # no bias
        loss = F.cross_entropy(x @ weights + bias, y) + penalty
        loss.backward()
        return loss

    optimiser.step(objective)  # iterates until converged
    with torch.no_grad():
        return [(scale(t) @ weights + bias).argmax(1).numpy() for t in tests]
# --8<-- [end:probe]


def knn(train: np.ndarray, labels: np.ndarray, tests: list[np.ndarray]) -> list[np.ndarray]:
    return [measures.nearest_labels(train, labels, t) for t in tests]


CLASSIFIERS = {"probe": linear_probe, "knn": knn}


def scores(train: np.ndarray, train_labels: np.ndarray, tests: dict[str, np.ndarray],
           test_labels: np.ndarray) -> dict[str, dict[str, float]]:
    """classifier -> condition -> accuracy on the test set."""
    conditions = list(tests)
    return {name: {c: float((predicted == test_labels).mean())
                   for c, predicted in zip(conditions, classify(train, train_labels, list(tests.values())))}
            for name, classify in CLASSIFIERS.items()}


# ---------------------------------------------------------------- one seed's feature sets

def pca_projections(train: np.ndarray, dims: tuple[int, ...]) -> dict[int, Callable]:
    """Per width d: the map onto the d leading principal components of `train` (centred by its mean)."""
    mean, leading = measures.principal_components(train, max(dims))  # one decomposition for every d
    return {d: (lambda images, c=leading[:, :d]: (images - mean) @ c) for d in dims}


def seed_scores(seed: int, runs: dict, data, config: RunConfig) -> dict[str, dict]:
    """Feature set -> classifier -> condition -> accuracy, for one seed: every model of PROBED trained at
    this seed, and the baselines.

    `runs` maps configuration names to this seed's RunResult; `config` supplies the sizes and noise.
    """
    flat = lambda images: images.reshape(len(images), -1).double().numpy()
    index = training_indices(data, config.train_size, seed)  # the images the run trained on
    train_images, train_labels = data.train_images[index], data.train_labels[index].numpy()
    clean = data.test_images[:config.test_size]
    images = {"clean": clean, "noisy": measures.noisy_test_images(clean, config.noise_sigma)}
    labels = data.test_labels[:config.test_size].numpy()

    found = {}
    for name in (n for n in PROBED if n in runs):  # a configuration with fewer seeds is absent at the others
        model = runs[name].model
        found[name] = scores(measures.encode(model, train_images), train_labels,
                             {c: measures.encode(model, x) for c, x in images.items()}, labels)
    pixels_train, pixels = flat(train_images), {c: flat(x) for c, x in images.items()}
    for dim, project in pca_projections(pixels_train, PCA_DIMS).items():
        found[f"pca-d{dim}"] = scores(project(pixels_train), train_labels,
                                      {c: project(x) for c, x in pixels.items()}, labels)
    found["pixels"] = scores(pixels_train, train_labels, pixels, labels)
    return found


def evaluate(runs: dict, load_data, seeds: list[int]) -> dict:
    """Every feature set on every seed at which its run exists (the baselines: at every seed with a run of
    PROBED), with mean and std over those seeds: the body of features.json."""
    data = load_data()
    per_seed = {}
    for seed in sorted(seeds):
        mine = {r.config.name: r for r in runs.values() if r.config.seed == seed}
        present = [name for name in PROBED if name in mine]
        if present:
            per_seed[seed] = seed_scores(seed, mine, data, mine[present[0]].config)
    names = [n for n in (*PROBED, *(f"pca-d{d}" for d in PCA_DIMS), "pixels")
             if any(n in found for found in per_seed.values())]
    sets = {}
    for name in names:
        measured = [s for s in sorted(per_seed) if name in per_seed[s]]
        entry = {"dim": _dimension(name), "seeds": measured}
        for classifier in CLASSIFIERS:
            for condition in CONDITIONS:
                values = [per_seed[s][name][classifier][condition] for s in measured]
                entry[f"{classifier}.{condition}"] = {
                    "values": {str(s): round(v, 6) for s, v in zip(measured, values)},
                    "mean": round(statistics.fmean(values), 6),
                    "std": round(statistics.stdev(values), 6) if len(values) > 1 else 0.0,
                }
        sets[name] = entry
    return {"schema": SCHEMA, "seeds": sorted(per_seed), "neighbours": measures.NEIGHBOURS, "probe_c": PROBE_C,
            "sets": sets}


def _dimension(name: str) -> int:
    return 784 if name == "pixels" else int(name.split("-d")[1].split("-")[0])


# ---------------------------------------------------------------- what Part 3 includes

def accuracy(document: dict, name: str, measure: str, seed: int) -> float:
    """One seed's accuracy of feature set `name`; `measure` is e.g. "probe.noisy". A KeyError when the
    document has no such set or seed."""
    return document["sets"][name][measure]["values"][str(seed)]


def set_label(name: str) -> str:
    """"Vanilla, d = 32", "PCA, d = 32", "Raw pixels"."""
    if name == "pixels":
        return "Raw pixels"
    if name.startswith("pca-"):
        return f"PCA, d = {_dimension(name)}"
    return label(CONFIGS[name])


def table_order(pixels_after_widest: bool = False) -> tuple[str, ...]:
    """The rows of the table (narrowest codes first) or of the figure (widest first): each width's
    autoencoders, then the PCA of that width; the pixels last, or after the widest group."""
    groups = [[*(c.name for c in COMPARED if c.latent_dim == d), f"pca-d{d}"] for d in PCA_DIMS]
    if pixels_after_widest:
        groups = groups[::-1]
        return tuple([*groups[0], "pixels", *(n for g in groups[1:] for n in g)])
    return tuple([*(n for g in groups for n in g), "pixels"])


def table_markdown(document: dict) -> str:
    """Part 3's table: accuracy as mean ± std over seeds, per feature set, classifier and input."""
    header = ("| Features | Numbers per image | Linear probe, clean | Linear probe, noisy | "
              f"{document['neighbours']}-NN, clean | {document['neighbours']}-NN, noisy |")
    lines = [header, "|---|---:|---:|---:|---:|---:|"]
    for name in (n for n in table_order() if n in document["sets"]):
        entry = document["sets"][name]
        cells = [f"{100 * entry[m]['mean']:.1f}\u00a0±\u00a0{100 * entry[m]['std']:.1f}%"
                 for m in ("probe.clean", "probe.noisy", "knn.clean", "knn.noisy")]
        name_cell = set_label(name).replace(" = ", "\u00a0=\u00a0")  # "d = 32" never splits across lines
        lines.append(f"| {name_cell} | {entry['dim']} | " + " | ".join(cells) + " |")
    shown = [n for n in table_order() if n in document["sets"]]
    count = {n: len(document["sets"][n]["seeds"]) for n in shown}
    usual = max(sorted(set(count.values())), key=list(count.values()).count)  # most rows' number of seeds
    others = "; ".join(f"{count[n]} for {set_label(n)}" for n in shown if count[n] != usual)
    over = f"{usual} seeds" + (f" ({others})" if others else "")
    lines += ["", f"Accuracy on the test images, mean ± std over {over}; noisy inputs carry the evaluation's "
              "σ = 0.3 noise. Each classifier is fitted on the clean codes of its seed's training images."]
    return "\n".join(lines) + "\n"
