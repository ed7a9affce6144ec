"""The notebook page (docs/notebook.ipynb): it runs, and the outputs the site shows are the ones it produces.

The site renders the notebook with its stored outputs (mkdocs-jupyter, execute: false), so stale or
hand-edited outputs would go unnoticed. These tests execute a copy of it once, from docs/ as a reader would,
and compare every text output of that fresh run with the stored one. Training on the CPU with a fixed
seed is deterministic, so the two must agree exactly. Image bytes are not compared (PNG encoders and
fonts vary); the fresh run must simply produce a plot.

After a deliberate change to the notebook or to the code it runs, store fresh outputs with

    .venv/bin/python tests/test_notebook.py --update
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from autoencoders.experiments import PUBLISHED_FINAL_LOSS

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "docs" / "notebook.ipynb"
UPDATE_COMMAND = ".venv/bin/python tests/test_notebook.py --update"
CELL_TIMEOUT = 600  # seconds; the training cell takes about a minute
CONFIG_NAME = "vanilla-d32"  # the configuration the notebook trains
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
# The one printed line that differs from run to run: wall-clock training time. Its value is
# replaced before outputs are compared; that it is printed at all is still checked.
VARIABLE_LINE = re.compile(r"^(training time: )\d+(?= s\b)", re.MULTILINE)

# One full-size training run (about a minute): marked like the other full-size runs, never skipped.
pytestmark = pytest.mark.slow


def execute(notebook: nbformat.NotebookNode, allow_errors: bool) -> nbformat.NotebookNode:
    """Run a copy of `notebook` from scratch in docs/ (where its repository lookup starts); return the copy."""
    fresh = copy.deepcopy(notebook)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        fresh,
        kernel_name="python3",  # ipykernel's spec: the interpreter running this file (the project's .venv)
        timeout=CELL_TIMEOUT,
        allow_errors=allow_errors,
        record_timing=False,  # no timestamps in the stored notebook
        coalesce_streams=True,
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    for cell in fresh.cells:
        cell.metadata.pop("execution", None)
    fresh.metadata["kernelspec"] = dict(KERNELSPEC)
    return fresh


def text_outputs(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """Every text a reader sees: streams (joined per cell and stream) and text/plain results, labelled by cell."""
    texts = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        streams: dict[str, str] = {}
        for output in cell.outputs:
            kind = output.output_type
            if kind == "stream":
                text = VARIABLE_LINE.sub(r"\g<1>(varies)", output.text)
                streams[output.name] = streams.get(output.name, "") + text
            elif kind in ("execute_result", "display_data") and "text/plain" in output.data:
                texts.append((f"cell {index} {kind}", output.data["text/plain"]))
            elif kind == "error":
                texts.append((f"cell {index} error", f"{output.ename}: {output.evalue}"))
        texts.extend((f"cell {index} {name}", text) for name, text in streams.items())
    return sorted(texts, key=lambda item: (int(item[0].split()[1]), item[0]))


def render(texts: list[tuple[str, str]]) -> list[str]:
    return [line for label, text in texts for line in [f"--- {label}", *text.splitlines()]]


def errors(notebook: nbformat.NotebookNode) -> list[str]:
    return [f"cell {index}: {output.ename}: {output.evalue}"
            for index, cell in enumerate(notebook.cells) if cell.cell_type == "code"
            for output in cell.outputs if output.output_type == "error"]


@pytest.fixture(scope="module")
def committed() -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOK, as_version=4)


@pytest.fixture(scope="module")
def fresh(committed) -> nbformat.NotebookNode:
    """The one execution of this test session; errors are recorded as outputs and checked below."""
    return execute(committed, allow_errors=True)


def test_the_notebook_runs_without_errors(fresh):
    assert not errors(fresh), "the notebook raised:\n" + "\n".join(errors(fresh))
    assert all(cell.execution_count for cell in fresh.cells if cell.cell_type == "code")


def test_the_stored_text_outputs_are_what_the_notebook_prints_today(committed, fresh):
    stored, today = text_outputs(committed), text_outputs(fresh)
    if stored != today:
        diff = "\n".join(difflib.unified_diff(render(stored), render(today), "stored in docs/notebook.ipynb",
                                              "fresh execution", lineterm=""))
        pytest.fail(
            "docs/notebook.ipynb shows outputs that a fresh execution no longer prints.\n"
            f"{diff}\n\n"
            "stored:\n" + "\n".join(render(stored)) + "\n\n"
            "fresh:\n" + "\n".join(render(today)) + "\n\n"
            f"If the change is intended, store fresh outputs with:  {UPDATE_COMMAND}",
            pytrace=False,
        )


def image_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code" and any(
        output.output_type in ("display_data", "execute_result") and "image/png" in output.data
        for output in cell.outputs)]


def test_the_fresh_run_draws_every_plot_with_alt_text(committed, fresh):
    """Reconstructions, the d = 2 scatter and the denoising grid; each plotting cell carries the
    alt text that the site gives its image (metadata "alt", read by docs/overrides/hooks/notebook.py)."""
    for notebook, which in ((committed, "stored"), (fresh, "fresh")):
        drawn = len(image_cells(notebook))
        assert drawn == 3, f"{which}: expected 3 plots (reconstructions, latent scatter, denoising), got {drawn}"
    for cell in image_cells(fresh):
        assert len(cell.metadata.get("alt", "")) > 40, f"a plotting cell has no alt text:\n{cell.source[:200]}"


def test_the_training_time_is_printed(fresh):
    printed = "\n".join(output.text for cell in fresh.cells if cell.cell_type == "code"
                        for output in cell.outputs if output.output_type == "stream")
    assert re.search(r"^training time: \d+ s for the three models$", printed, re.MULTILINE), printed


def test_the_final_loss_is_within_ten_percent_of_the_published_value(fresh):
    printed = "\n".join(text for _, text in text_outputs(fresh))
    match = re.search(r"final training loss:\s+(\d+\.\d+)\s+\(published: (\d+\.\d+)\)", printed)
    assert match, f"no 'final training loss: ... (published: ...)' line in the output:\n{printed}"
    ours, shown_published = float(match[1]), float(match[2])
    published = PUBLISHED_FINAL_LOSS[CONFIG_NAME]
    assert shown_published == published, "the published value shown must come from PUBLISHED_FINAL_LOSS"
    assert abs(ours / published - 1) <= 0.10, f"final loss {ours:.4f} vs published {published:.4f}"


def test_the_markdown_shows_typeset_math(committed):
    markdown = "\n".join(cell.source for cell in committed.cells if cell.cell_type == "markdown")
    assert re.search(r"\$\$.+?\$\$", markdown, re.DOTALL), "no display math ($$ ... $$) in the markdown"
    assert re.search(r"(?<!\$)\$[^$\n]+\$(?!\$)", markdown), "no inline math ($ ... $) in the markdown"


def test_the_stored_notebook_is_executed_and_clean(committed):
    code = [cell for cell in committed.cells if cell.cell_type == "code"]
    assert all(cell.outputs for cell in code), f"code cells without stored outputs: run {UPDATE_COMMAND}"
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1)), \
        f"cells were run out of order or by hand: run {UPDATE_COMMAND}"
    assert not any("execution" in cell.metadata for cell in committed.cells), "timestamps are stored"
    assert committed.metadata.get("kernelspec", {}).get("name") == KERNELSPEC["name"]
    assert not errors(committed)


def update() -> None:
    """Execute docs/notebook.ipynb from scratch and store it with its new outputs (atomically)."""
    started = time.perf_counter()
    fresh = execute(nbformat.read(NOTEBOOK, as_version=4), allow_errors=False)
    nbformat.validate(fresh)
    handle, temporary = tempfile.mkstemp(prefix=".notebook-", suffix=".ipynb", dir=NOTEBOOK.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            nbformat.write(fresh, stream)
        os.chmod(temporary, NOTEBOOK.stat().st_mode & 0o777)  # mkstemp's 0600 would replace the file's mode
        os.replace(temporary, NOTEBOOK)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    print(f"executed and stored {NOTEBOOK.relative_to(REPO)} in {time.perf_counter() - started:.0f} s:")
    print("\n".join(render(text_outputs(fresh))))


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(f"usage: {UPDATE_COMMAND}   (or run the tests with pytest)")
    update()
