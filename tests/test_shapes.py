"""Part 2's shape walk-through (docs/results/shapes.md): computed from ConvAutoencoder, committed, checked."""

from __future__ import annotations

import math
import re
import shutil

from autoencoders.pipeline.engine import Options, check
from autoencoders.models import ConvAutoencoder, count_parameters
from autoencoders.shapes import shapes_markdown
from site_helpers import REPO

ROW = re.compile(r"^\| (?P<part>\w+) \| (?P<layer>[^|]+) \| `\(B, (?P<shape>[\d, ]+)\)` \| (?P<numbers>[\d,]+) \| "
                 r"(?P<parameters>[\d,]+) \|$")


def rows(markdown: str) -> list[dict]:
    return [m.groupdict() for line in markdown.splitlines() if (m := ROW.match(line))]


def as_int(text: str) -> int:
    return int(text.replace(",", ""))


def test_the_table_follows_a_batch_through_every_layer():
    model = ConvAutoencoder(32)
    table = rows(shapes_markdown())
    layers = list(model.encoder) + list(model.decoder)
    assert len(table) == 1 + len(layers), "one row for the input, then one per layer"
    shapes = [tuple(int(n) for n in row["shape"].split(", ")) for row in table]
    assert shapes[0] == shapes[-1] == (1, 28, 28)
    assert (32,) in shapes, "the code, (B, 32), is one of the rows"
    assert [row["part"] for row in table] == ["input"] + ["encoder"] * len(model.encoder) + ["decoder"] * len(model.decoder)
    for row, shape in zip(table, shapes):
        assert as_int(row["numbers"]) == math.prod(shape)
    assert [as_int(row["parameters"]) for row in table[1:]] == [count_parameters(layer) for layer in layers]
    assert sum(as_int(row["parameters"]) for row in table) == count_parameters(model)
    assert f"{count_parameters(model):,} parameters in all" in shapes_markdown()


def test_the_table_is_computed_from_the_model_not_typed():
    assert "`(B, 8)`" in shapes_markdown(latent_dim=8) and "`(B, 8)`" not in shapes_markdown()
    assert shapes_markdown() == shapes_markdown(), "deterministic"


def test_the_committed_table_is_current():
    assert (REPO / "docs" / "results" / "shapes.md").read_text(encoding="utf-8") == shapes_markdown()


def test_check_reports_an_edited_or_missing_table(tmp_path):
    out = tmp_path / "docs"
    for folder in ("results", "figures", "assets"):
        shutil.copytree(REPO / "docs" / folder, out / folder)
    shapes = out / "results" / "shapes.md"
    stale = "shapes: results/shapes.md is missing or differs from what was built"
    assert stale not in check(Options(out=out))
    shapes.write_text(shapes.read_text(encoding="utf-8").replace("(B, 32)", "(B, 31)"), encoding="utf-8")
    assert stale in check(Options(out=out))
    shapes.unlink()
    assert stale in check(Options(out=out))
