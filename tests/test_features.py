"""What the codes are good for: the probe and k-NN classifiers, the committed features.json and its table."""

from __future__ import annotations

import json

import numpy as np
import pytest

from autoencoders import features, measures
from autoencoders.experiments import CONFIGS, default_seeds
from conftest import REPO, run_cli

RESULTS = REPO / "docs" / "results"


def clusters(seed: int = 0, per_class: int = 60, dims: int = 6, spread: float = 0.3):
    """Ten Gaussian clusters, one per digit label, around well-separated centres; train and test draws."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(10, dims)) * 3
    labels = np.repeat(np.arange(10), per_class)
    draw = lambda: centres[labels] + spread * rng.normal(size=(len(labels), dims))
    return draw(), labels, draw()


def test_the_probe_reads_separable_classes_perfectly():
    train, labels, test = clusters()
    predicted, = features.linear_probe(train, labels, [test])
    assert (predicted == labels).mean() == 1.0


def test_the_probe_ignores_the_overall_scale_of_the_features():
    # An L1 penalty shrinks a code's scale; the probe must read a shrunk code exactly as well.
    train, labels, test = clusters(spread=1.5)  # overlapping: some test points are misread
    baseline, = features.linear_probe(train, labels, [test])
    assert 0.5 < (baseline == labels).mean() < 1.0
    scaled, = features.linear_probe(train / 100, labels, [test / 100])
    assert np.array_equal(scaled, baseline)


def test_noise_on_a_feature_that_never_varied_in_training_changes_nothing():
    # A border pixel is 0 in every training image: the probe gives it no weight, so noise there
    # at test time cannot move a prediction.
    train, labels, test = clusters(spread=1.5)
    padded = lambda a, column: np.hstack([a, column[:, None]])
    quiet, noisy = features.linear_probe(padded(train, np.zeros(len(train))), labels,
                                         [padded(test, np.zeros(len(test))),
                                          padded(test, np.random.default_rng(2).normal(size=len(test)) * 50)])
    assert np.array_equal(quiet, noisy)


def test_the_probe_is_deterministic():
    train, labels, test = clusters(spread=1.5)
    first, second = (features.linear_probe(train, labels, [test])[0] for _ in range(2))
    assert np.array_equal(first, second)


def test_nearest_neighbours_vote_and_break_ties_towards_the_smaller_digit():
    codes = np.array([[0.0], [1.0], [10.0], [11.0]])
    labels = np.array([3, 3, 7, 2])
    assert list(measures.nearest_labels(codes, labels, np.array([[0.4], [10.4]]), k=2)) == [3, 2]
    # One protocol: k defaults to the project's NEIGHBOURS, and k never exceeds the codes there are.
    assert measures.NEIGHBOURS == 5
    assert list(measures.nearest_labels(codes, labels, np.array([[5.0]]))) == [3]  # 4 votes: 3, 3, 7, 2


def test_scores_are_accuracies_per_classifier_and_condition():
    train, labels, test = clusters()
    found = features.scores(train, labels, {"clean": test, "noisy": test + 5.0 * np.random.default_rng(1)
                                            .normal(size=test.shape)}, labels)
    assert set(found) == {"probe", "knn"}
    for classifier in found.values():
        assert classifier["clean"] == 1.0
        assert 0.0 <= classifier["noisy"] < 1.0


# ---------------------------------------------------------------- the committed measurements

def test_features_json_covers_every_model_baseline_and_seed():
    document = json.loads((RESULTS / "features.json").read_text())
    every = sorted({s for n in features.PROBED for s in default_seeds(n)})
    assert document["seeds"] == every
    expected = {*features.PROBED, *(f"pca-d{d}" for d in features.PCA_DIMS), "pixels"}
    assert set(document["sets"]) == expected
    for name, entry in document["sets"].items():
        seeds = default_seeds(name) if name in CONFIGS else every  # a baseline at every seed of any model
        for classifier in features.CLASSIFIERS:
            for condition in features.CONDITIONS:
                values = entry[f"{classifier}.{condition}"]["values"]
                assert list(values) == [str(s) for s in entry["seeds"]], (name, classifier, condition)
                assert set(entry["seeds"]) <= set(document["seeds"])
                assert all(0.1 <= v <= 1.0 for v in values.values())  # better than chance, or a bug
    # The baselines are what they say: 784 pixels, PCA of the codes' widths.
    assert document["sets"]["pixels"]["dim"] == 784
    assert document["sets"]["pca-d32"]["dim"] == 32


@pytest.mark.parametrize("name", ["vanilla-d32", "pixels"])
def test_a_clean_linear_probe_on_mnist_reads_most_digits(name):
    # Any sensible probe on MNIST features reads well over 80% of clean test digits; far below
    # would mean misaligned labels (the training subset's labels must follow its images).
    entry = json.loads((RESULTS / "features.json").read_text())["sets"][name]
    assert entry["probe.clean"]["mean"] > 0.8


def test_the_table_is_generated_from_features_json():
    document = json.loads((RESULTS / "features.json").read_text())
    table = (RESULTS / "features.md").read_text()
    assert table == features.table_markdown(document)
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    names = [r.split("|")[1].strip().replace("\u00a0", " ") for r in rows]
    assert names == [features.set_label(n) for n in features.table_order() if n in document["sets"]]
    mean = 100 * document["sets"]["pixels"]["probe.noisy"]["mean"]
    assert f"{mean:.1f}\u00a0±" in rows[-1]


# ---------------------------------------------------------------- freshness

def test_check_fails_when_the_probes_change(checkout):
    source = checkout / "src" / "autoencoders" / "features.py"
    text = source.read_text()
    assert text.count("PROBE_C = 1.0") == 1
    source.write_text(text.replace("PROBE_C = 1.0", "PROBE_C = 2.0"))
    done = run_cli("--check", cwd=checkout)
    assert done.returncode == 1
    assert "stale: features: src/autoencoders/features.py: PROBE_C changed" in done.stdout
    # The claims and the probe figure read the probes: they wait for them.
    assert "stale: ledger: reads features, which will be rebuilt" in done.stdout
    assert "stale: figure probes: reads features, which will be rebuilt" in done.stdout


def test_a_measurement_a_figure_imports_is_part_of_its_key(checkout):
    source = checkout / "src" / "autoencoders" / "measures.py"
    source.write_text(source.read_text().replace("PATH_STEPS = 10", "PATH_STEPS = 12"))
    done = run_cli("--check", "--explain", cwd=checkout)
    assert done.returncode == 1
    assert "stale: figure manifold: src/autoencoders/measures.py: PATH_STEPS changed" in done.stdout
