"""The notebook page (docs/notebook.ipynb): it runs, and the outputs the site shows are the ones it produces.

The site renders the notebook with its stored outputs (mkdocs-jupyter, execute: false), so stale or
hand-edited outputs would go unnoticed. These tests execute a copy of it once and compare every text
output of that fresh run with the stored one. Training on the CPU with a fixed seed is deterministic, so
the two must agree exactly. Image bytes are not compared (PNG encoders and fonts vary); the fresh run
must simply produce a plot.

The copy runs as it would in Colab or downloaded on its own: in a scratch folder without src/, in a
Python where the package is not installed, so that its first cell installs it, the way it would from
the site's repository, from a wheel built from this checkout (this machine has no GitHub access). That
Python sees the project's other packages (torch, ...) through a .pth file, not the project's own
installation of the package. Its first cell alone also runs in docs/, where it uses the checkout's src/.

After a deliberate change to the notebook or to the code it runs, store fresh outputs with

    .venv/bin/python tests/test_notebook.py --update
"""

from __future__ import annotations

import copy
import difflib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
# The package of this checkout, as tests/conftest.py arranges, also when this file runs as a script
# (--update): the kernels inherit this process's environment, and the package may set it up.
sys.path.insert(0, str(REPO / "src"))
from autoencoders.experiments import PUBLISHED_FINAL_LOSS  # noqa: E402

NOTEBOOK = REPO / "docs" / "notebook.ipynb"
UPDATE_COMMAND = ".venv/bin/python tests/test_notebook.py --update"
CELL_TIMEOUT = 600  # seconds; the training cell takes about a minute
CONFIG_NAME = "vanilla-d32"  # the configuration the notebook trains
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
# The one printed line that differs from run to run: wall-clock training time. Its value is
# replaced before outputs are compared; that it is printed at all is still checked.
VARIABLE_LINE = re.compile(r"^(training time: )\d+(?= s\b)", re.MULTILINE)

# One full-size training run (about a minute): marked like the other full-size runs, never skipped.
pytestmark = [pytest.mark.slow, pytest.mark.long]


def execute(notebook: nbformat.NotebookNode, allow_errors: bool, folder: Path = NOTEBOOK.parent,
            kernel: str = "python3") -> nbformat.NotebookNode:
    """Run a copy of `notebook` from scratch in `folder` (where its repository lookup starts) with the
    kernel `kernel` (by default ipykernel's: the interpreter running this file); return the copy."""
    fresh = copy.deepcopy(notebook)
    for cell in fresh.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    client = NotebookClient(
        fresh,
        kernel_name=kernel,
        timeout=CELL_TIMEOUT,
        allow_errors=allow_errors,
        record_timing=False,  # no timestamps in the stored notebook
        coalesce_streams=True,
        resources={"metadata": {"path": str(folder)}},
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


def notebook_hook():
    """docs/overrides/hooks/notebook.py, which fills in the first cell's REPOSITORY and COMMIT."""
    spec = importlib.util.spec_from_file_location("hook_notebook", REPO / "docs" / "overrides" / "hooks" / "notebook.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def outside_python(root: Path):
    """In `root`: a Python without the package (a Jupyter kernel named "outside", registered while the
    context lasts), a wheel of this checkout, and a folder with no checkout around it, with MNIST from
    the project cache. Yields (folder, wheel, python)."""
    source = root / "source"  # the files the package is built from, so that the checkout stays clean
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, source / name)
    shutil.copytree(REPO / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                           "--wheel-dir", str(root / "dist"), str(source)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    wheel = next((root / "dist").glob("autoencoders-*.whl"))
    env = root / "env"
    done = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    python = env / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # The project's packages (torch, ipykernel, pip, ...), as a plain path: the .pth files in it, among
    # them the project's own editable install of the package, are not read.
    (Path(site) / "project-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    kernels = root / "jupyter" / "kernels" / "outside"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "outside", "language": "python"}), encoding="utf-8")
    folder = root / "work"
    (folder / ".cache").mkdir(parents=True)
    (folder / ".cache" / "mnist").symlink_to(REPO / ".cache" / "mnist")  # fetched once, by the project
    saved = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(root / "jupyter") + (os.pathsep + saved if saved else "")
    try:
        yield folder, wheel, python
    finally:
        if saved is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = saved


def run_outside(notebook: nbformat.NotebookNode, allow_errors: bool, folder: Path, wheel: Path) -> nbformat.NotebookNode:
    """Execute `notebook` in `folder` with the "outside" kernel, its first cell pointed at `wheel` as the
    site's copy is pointed at the repository (the filled-in lines are restored in the result)."""
    pointed = copy.deepcopy(notebook)
    assert notebook_hook().with_source(pointed, str(wheel), "") == 2, "no REPOSITORY and COMMIT lines to fill in"
    fresh = execute(pointed, allow_errors=allow_errors, folder=folder, kernel="outside")
    for cell, original in zip(fresh.cells, notebook.cells):
        cell.source = original.source
    return fresh


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    with outside_python(tmp_path_factory.mktemp("outside")) as made:
        yield made


@pytest.fixture(scope="module")
def before_install(committed, outside, tmp_path_factory) -> dict[str, nbformat.NotebookNode]:
    """The first code cell alone, run by the Python without the package before anything installs it:
    in docs/ (a checkout), and in an empty folder with no repository named (not in Colab)."""
    first = copy.deepcopy(committed)
    first.cells = [next(cell for cell in first.cells if cell.cell_type == "code")]
    return {"checkout": execute(first, allow_errors=True, kernel="outside"),
            "nowhere": execute(first, allow_errors=True, folder=tmp_path_factory.mktemp("nowhere"), kernel="outside")}


@pytest.fixture(scope="module")
def fresh(committed, outside, before_install) -> nbformat.NotebookNode:
    """The one full execution of this test session, outside a checkout; errors are recorded as outputs
    and checked below."""
    folder, wheel, _ = outside
    return run_outside(committed, allow_errors=True, folder=folder, wheel=wheel)


def test_outside_a_checkout_the_first_cell_installs_the_package(outside, fresh):
    _, wheel, python = outside
    assert not errors(fresh), "\n".join(errors(fresh))
    where = subprocess.run([str(python), "-c", "import autoencoders, pathlib; print(autoencoders.__file__)"],
                           capture_output=True, text=True)
    assert where.returncode == 0 and str(REPO) not in where.stdout and "site-packages" in where.stdout, where


def test_in_a_checkout_the_first_cell_uses_its_source(committed, before_install):
    ran = before_install["checkout"]
    assert not errors(ran), "\n".join(errors(ran))
    printed = [text for _, text in text_outputs(ran)]
    assert printed and printed == [text for _, text in text_outputs(committed)][:len(printed)]


def test_without_a_checkout_or_a_repository_the_first_cell_says_what_to_do(before_install):
    message = "\n".join(errors(before_install["nowhere"]))
    assert "RuntimeError: Set REPOSITORY above to the address of the repository" in message, message


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
    """Execute docs/notebook.ipynb from scratch, outside a checkout as the tests do, and store it with its
    new outputs (atomically)."""
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="notebook-") as scratch, outside_python(Path(scratch)) as (folder, wheel, _):
        fresh = run_outside(nbformat.read(NOTEBOOK, as_version=4), allow_errors=False, folder=folder, wheel=wheel)
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
