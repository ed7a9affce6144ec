"""Keys count code by its meaning, per definition: comments, docstrings and line wraps change no fingerprint;
code does, and only in the keys of the outputs that reach it."""

import shutil

import pytest

from autoencoders.experiments import CONFIGS
from autoencoders.pipeline.fingerprint import fingerprint, first_change
from autoencoders.pipeline.keys import Source
from autoencoders.pipeline.targets import run_target
from conftest import REPO
from rewrap import rewrap

MODELS = (REPO / "src" / "autoencoders" / "models.py").read_text()
TRAIN = (REPO / "src" / "autoencoders" / "train.py").read_text()


def edit(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"the edit's anchor {old!r} is not unique in the file"
    return text.replace(old, new)


SAME_MEANING = {
    "a comment": lambda s: edit(s, '"penalty": self.sparsity_weight * z.abs().mean()}',
                                '"penalty": self.sparsity_weight * z.abs().mean()}  # changed'),
    "a docstring": lambda s: edit(s, '"""The vanilla network plus an L1 penalty',
                                  '"""A vanilla network with an L1 penalty'),
    "a new docstring": lambda s: edit(s, "    def loss_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:\n"
                                         "        z =",
                                      "    def loss_terms(self, x: torch.Tensor) -> dict[str, torch.Tensor]:\n"
                                      '        """Reconstruction and the weighted penalty."""\n        z ='),
    "snippet markers": lambda s: edit(s, "class SparseAutoencoder(", "# --8<-- [start:x]\nclass SparseAutoencoder("),
    "re-wrapped lines": lambda s: rewrap(s, 60)[0],
    "spaces and brackets": lambda s: edit(s, '"penalty": self.sparsity_weight * z.abs().mean()}',
                                          '"penalty": (self.sparsity_weight\n'
                                          "                            *z.abs().mean())}"),
}


@pytest.mark.parametrize("change", SAME_MEANING)
def test_changes_that_keep_the_meaning_keep_the_fingerprint(change):
    edited = SAME_MEANING[change](MODELS)
    assert edited != MODELS
    assert fingerprint(edited) == fingerprint(MODELS)


# Edits that change what the code does, and the definition --explain must name for each.
NEW_MEANING = [
    ("a constant", MODELS, "IMAGE_SIDE = 28", "IMAGE_SIDE = 27", "IMAGE_SIDE changed"),
    ("an activation", MODELS, "nn.Sigmoid(),  # pixels", "nn.Hardsigmoid(),  # pixels",
     "VanillaAutoencoder.__init__ changed"),
    ("a default", MODELS, "sparsity_weight: float = 1e-3):\n        super().__init__(latent_dim)\n",
     "sparsity_weight: float = 1e-2):\n        super().__init__(latent_dim)\n",
     "SparseAutoencoder.__init__ changed"),
    ("an operator", MODELS, "self.sparsity_weight * z.abs()", "self.sparsity_weight / z.abs()",
     "SparseAutoencoder.loss_terms changed"),
    ("an optimiser argument", TRAIN, "lr=config.learning_rate, fused=True", "lr=config.learning_rate, eps=1e-6",
     "train changed"),
    ("a number's type", MODELS, "IMAGE_SIDE = 28", "IMAGE_SIDE = 28.0", "IMAGE_SIDE changed"),
    ("a new function", MODELS, "\nclass SparseAutoencoder(",
     "\ndef helper():\n    return 1\n\n\nclass SparseAutoencoder(", "helper added"),
]


@pytest.mark.parametrize("change, source, old, new, named", NEW_MEANING, ids=[c[0] for c in NEW_MEANING])
def test_changes_of_meaning_change_the_fingerprint_and_are_named(change, source, old, new, named):
    before, after = fingerprint(source), fingerprint(edit(source, old, new))
    assert after["hash"] != before["hash"]
    assert first_change(before, after) == named


def test_a_removed_definition_is_named_and_a_reordering_changes_no_definition():
    without = fingerprint(edit(MODELS, "def count_parameters(", "def _count_parameters("))
    assert first_change(fingerprint(MODELS), without) == "_count_parameters added (and 1 more)"
    swapped, ordered = fingerprint("b = 2\na = 1\n"), fingerprint("a = 1\nb = 2\n")
    assert swapped["hash"] != ordered["hash"]  # the file's meaning as a whole...
    assert swapped["definitions"] == ordered["definitions"]  # ...but each definition means what it meant


def test_each_definition_lists_the_names_it_uses():
    found = fingerprint("import numpy as np\nfrom . import measures\nK = 3\n\n"
                        "def f(x):\n    return np.exp(x) + measures.encode(x) * K\n")
    assert set(found["uses"]["f"]) >= {"np.exp", "measures.encode", "K", "x"}
    assert found["imports"]["measures"] == [1, "", "measures"] and found["binds"]["K"] == "K"


# ---------------------------------------------------------------- closures: what a key covers

def run_closure(source: Source, name: str) -> dict[str, str]:
    target = run_target(CONFIGS[name], {})
    return source.closure(target.code, target.exclude)


def test_a_run_reaches_its_model_class_and_the_loop_not_the_other_models():
    source = Source(REPO / "figures")
    conv, vanilla = run_closure(source, "conv-d32"), run_closure(source, "vanilla-d32")
    assert "autoencoders.models:ConvAutoencoder.__init__" in conv
    assert "autoencoders.models:Autoencoder.loss_terms" in conv  # its base class, with every method
    assert not any("VanillaAutoencoder" in d or "DenoisingAutoencoder" in d for d in conv)
    assert not any("ConvAutoencoder" in d for d in vanilla)
    for closure in (conv, vanilla):
        assert {"autoencoders.train:train", "autoencoders.train:evaluate", "autoencoders.data:training_indices",
                "autoencoders.data:noisy_test_images", "autoencoders.numerics:reproducible",
                "autoencoders.experiments:RunConfig.build_model"} <= closure.keys()
        assert "autoencoders.experiments:VARIANTS" not in closure  # a run keys its own entry of the registry
        assert not any(d.startswith(("autoencoders.measures", "autoencoders.claims", "figures.")) for d in closure)
    assert "autoencoders.data:add_noise" in run_closure(source, "denoising-d32")


def test_a_recipe_reaches_the_helpers_it_calls_not_the_others():
    source = Source(REPO / "figures")
    closure = source.closure((("figures.latent_map", "*"),))
    assert "figures._style:figure" in closure and "figures._style:(module level)" in closure
    assert "figures._style:seed_band" not in closure  # a helper latent_map never calls
    assert "autoencoders.measures:class_geometry" in closure  # through the package, per definition
    assert not any(d.startswith("autoencoders.train:train") for d in closure)


@pytest.fixture
def package(tmp_path):
    copy = tmp_path / "autoencoders"
    shutil.copytree(REPO / "src" / "autoencoders", copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_an_edit_changes_the_closures_that_reach_it_only(package):
    before = {n: run_closure(Source(REPO / "figures", package_dir=package), n) for n in ("conv-d32", "vanilla-d32")}
    models = package / "models.py"
    models.write_text(edit(models.read_text(), "nn.Conv2d(16, 32, kernel_size=3", "nn.Conv2d(16, 32, kernel_size=5"))
    after = {n: run_closure(Source(REPO / "figures", package_dir=package), n) for n in before}
    assert after["vanilla-d32"] == before["vanilla-d32"]
    changed = [d for d in after["conv-d32"] if after["conv-d32"][d] != before["conv-d32"][d]]
    assert changed == ["autoencoders.models:ConvAutoencoder.__init__"]


def test_a_new_model_class_or_configuration_changes_no_existing_closure(package):
    source = Source(REPO / "figures", package_dir=package)
    before = {n: run_closure(source, n) for n in CONFIGS}
    (package / "models.py").write_text((package / "models.py").read_text() +
                                       "\n\nclass WideAutoencoder(VanillaAutoencoder):\n    pass\n")
    experiments = package / "experiments.py"
    experiments.write_text(experiments.read_text().replace(
        '    "conv": Variant("ConvAutoencoder", "Convolutional"),\n',
        '    "conv": Variant("ConvAutoencoder", "Convolutional"),\n    "wide": Variant("WideAutoencoder", "Wide"),\n'))
    source = Source(REPO / "figures", package_dir=package)
    assert {n: run_closure(source, n) for n in CONFIGS} == before


@pytest.mark.slow
def test_every_long_line_of_the_package_can_be_rewrapped_without_changing_its_meaning():
    for path in sorted((REPO / "src" / "autoencoders").glob("*.py")):  # the modules Part 2 shows
        source = path.read_text()
        wrapped, left = rewrap(source, 80)
        assert left == [] and max(len(line) for line in wrapped.splitlines()) <= 80, path.name
        assert fingerprint(wrapped) == fingerprint(source), path.name


def test_no_keyed_code_reads_its_own_docstrings_or_source():
    """Fingerprints drop docstrings and comments; code that read them at run time would escape its key."""
    keyed = [*(REPO / "src" / "autoencoders").glob("*.py"), *(REPO / "figures").glob("*.py")]  # not pipeline/
    for path in keyed:
        text = path.read_text()
        assert not [word for word in ("__doc__", "getsource", "getcomments") if word in text], path.name
