"""Code counts by its meaning: comments, docstrings and line wraps change no fingerprint; code does."""

import pytest

from autoencoders.cache import imported_modules
from autoencoders.fingerprint import fingerprint, first_change
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


def test_a_removed_definition_and_a_reordering_are_named():
    without = fingerprint(edit(MODELS, "def count_parameters(", "def _count_parameters("))
    assert first_change(fingerprint(MODELS), without) == "_count_parameters added (and 1 more)"
    swapped = "b = 2\na = 1\n"
    assert fingerprint(swapped)["hash"] != fingerprint("a = 1\nb = 2\n")["hash"]
    assert first_change(fingerprint("a = 1\nb = 2\n"), fingerprint(swapped)) == "the order of its statements changed"


def test_every_long_line_of_the_package_can_be_rewrapped_without_changing_its_meaning():
    for path in sorted((REPO / "src" / "autoencoders").glob("*.py")):
        source = path.read_text()
        wrapped, left = rewrap(source, 80)
        assert left == [] and max(len(line) for line in wrapped.splitlines()) <= 80, path.name
        assert fingerprint(wrapped) == fingerprint(source), path.name


def test_no_keyed_code_reads_its_own_docstrings_or_source():
    """Fingerprints drop docstrings and comments; code that read them at run time would escape its key."""
    package = REPO / "src" / "autoencoders"
    keyed = [*(package / f"{name}.py" for name in imported_modules()), package / "render.py",
             *(REPO / "figures").glob("*.py")]
    for path in keyed:
        text = path.read_text()
        assert not [word for word in ("__doc__", "getsource", "getcomments") if word in text], path.name
