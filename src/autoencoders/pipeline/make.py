"""How each kind of target is made: the only place the build imports torch, numpy or matplotlib.

Every maker returns the files it makes (bytes, relative to the output directory) and the target's
digest; `Building` keeps them in memory until the end of the build, when `commit` writes the files
that changed and then the record.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .fingerprint import digest
from .store import json_bytes, read_json, write_atomically

FIGURE_TOKEN = "{{{{ fig.{name}.number }}}}"  # how captions and alt texts refer to another figure


@dataclass
class Made:
    files: dict[str, bytes]
    digest: str
    extra: dict = field(default_factory=dict)  # kept in the record (a figure's alt text, caption, numbers)
    document: dict | None = None  # the parsed main file, for the targets that read it in this build
    reused: bool = False  # taken from the cache, where an earlier build that did not finish had kept it


def inside_outputs(figure: str, relative: str) -> str:
    """An extra file's path, refused unless it stays inside the output directory."""
    from .engine import BuildError

    path = Path(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        raise BuildError(f"figure {figure}: extra file {relative!r} must be a relative path inside the outputs")
    return path.as_posix()


def files_digest(files: dict[str, bytes]) -> str:
    return digest({path: hashlib.sha256(payload).hexdigest() for path, payload in sorted(files.items())})


class Building:
    def __init__(self, plan, runs, staged: dict[str, bytes], started: float, progress):
        self.plan = plan
        self.runs = runs
        self.staged = staged
        self.started = started
        self.progress = progress
        self.out = Path(plan.options.out)
        self.documents: dict[str, dict] = {}  # target -> its main file, parsed
        self.entries: dict[str, dict] = {}  # figure target -> its manifest entry, when rendered in this build
        self.gone: list[str] = []  # files a remade target made last time and no longer makes

    # ------------------------------------------------------------ what targets read

    def document(self, name: str) -> dict:
        """The main file of target `name`, as made in this build or as on disk."""
        if name not in self.documents:
            target = next(t for t in self.plan.targets if t.name == name)
            found = read_json(self.out / target.files[0])
            if found is None:
                from .engine import BuildError

                raise BuildError(f"{self.out / target.files[0]} is missing or unreadable; rebuild with --force")
            self.documents[name] = found
        return self.documents[name]

    def _runs_of(self, target) -> dict:
        return {self.runs.plan.steps[r].target.config.run_id: self.runs.get(r)
                for r in target.reads if r.startswith("run ")}

    @staticmethod
    def _seeds(results: dict) -> list[int]:
        return sorted({r.config.seed for r in results.values()})

    # ------------------------------------------------------------ the makers

    def make(self, target, inputs: dict[str, str], key: str) -> Made:
        """The target's files, made (or, when an earlier build made them with this very key and did not get to
        write them, taken from the cache: an hour of probes is not lost to a figure that failed after it)."""
        made = self.plan.cache.made(target.name, key)
        if made is None:
            made = getattr(self, "_make_" + target.kind.replace("-", "_"))(target, inputs)
            self.plan.cache.keep(target.name, key, made)
        if target.files and target.files[0].endswith(".json"):
            self.documents[target.name] = made.document or json.loads(made.files[target.files[0]])
        return made

    def _json(self, path: str, document: dict, digest_of=None) -> Made:
        return Made({path: json_bytes(document)}, digest(digest_of if digest_of is not None else document),
                    document=document)

    def _make_results(self, target, inputs):
        from .. import results
        from .engine import provenance

        records = []
        for name in target.reads:
            step = self.runs.plan.steps[name]
            metrics = self.runs.metrics(name, inputs[name])
            records.append(results.run_record(step.target.config, step.key, inputs[name], metrics))
        seeds = sorted({r["seed"] for r in records})
        document = results.results_document(records, provenance(self.plan.options, self.started, seeds,
                                                                target.params))
        # Results that differ from those on disk in wall times only keep the file as it is (and its commit,
        # unless that one had uncommitted inputs and this one has none).
        existing = read_json(self.out / target.files[0])
        if (existing is not None and results.stable_view(existing) == results.stable_view(document)
                and not (existing["provenance"].get("dirty") and not document["provenance"]["dirty"])):
            document = existing
        made = self._json(target.files[0], document, results.stable_view(document))
        made.extra = {"dirty": document["provenance"]["dirty"]}
        return made

    def _make_table(self, target, inputs):
        from .. import results

        return Made({target.files[0]: results.table_markdown(self.document("results")).encode()},
                    digest(inputs))

    def _make_numbers(self, target, inputs):
        from .. import results

        figure_numbers = {}
        if "figure-pages" in target.reads:
            for name, entry in self.document("figure-pages").items():
                figure_numbers.update(entry.get("numbers", {}))
                figure_numbers[f"fig.{name}.number"] = str(entry["number"])
        return self._json(target.files[0], results.key_numbers(self.document("results"), figure_numbers))

    def _make_features(self, target, inputs):
        from .. import features

        runs = self._runs_of(target)
        return self._json(target.files[0], features.evaluate(runs, self.runs.data, self._seeds(runs)))

    def _make_features_table(self, target, inputs):
        from .. import features

        return Made({target.files[0]: features.table_markdown(self.document("features")).encode()}, digest(inputs))

    def _make_ledger(self, target, inputs):
        from .. import claims

        runs = self._runs_of(target)
        seeds = self._seeds(runs)
        entries = claims.evaluate(claims.CLAIMS, runs, self.runs.data, seeds, self.document("features"))
        return self._json(target.files[0], {"schema": claims.SCHEMA, "seeds": seeds, "claims": entries})

    def _make_ledger_pages(self, target, inputs):
        from .. import claims

        files = {f"results/{path}": text.encode() for path, text in claims.markdown_files(self.document("ledger")).items()}
        return Made(files, files_digest(files))

    def _make_shapes(self, target, inputs):
        from ..shapes import shapes_markdown

        return Made({target.files[0]: shapes_markdown().encode()}, digest(inputs))

    def _make_figure(self, target, inputs):
        """The recipe rendered twice, for the column and for a phone: two PNGs of one figure, one entry."""
        from ..render import PHONE_MEDIA, FigureContext, UndeclaredRun, png_bytes, png_size
        from .engine import BuildError

        def described(path: str, png: bytes) -> dict:
            width, height = png_size(png)
            return {"png": path, "png_sha256": hashlib.sha256(png).hexdigest(), "png_bytes": len(png),
                    "width": width, "height": height}

        module = self._recipe(target)
        runs = self._runs_of(target)
        drawn = []  # (what the recipe returned, its PNG): the column's, then the phone's
        for phone in (False, True):
            context = FigureContext(target.label, target.patterns, runs, self.runs.data,
                                    lambda: self.document("features"), phone=phone)
            try:
                rendered = module.render(context)
            except UndeclaredRun as error:
                raise BuildError(str(error)) from None
            if "features" not in target.reads and context.read_features:
                raise BuildError(f"figure {target.label} reads the probes (ctx.features) in a way its code does "
                                 "not show; read them as ctx.features in the recipe itself")
            drawn.append((rendered, png_bytes(rendered.figure)))
        (rendered, column), (on_phone, phone) = drawn
        for what in ("alt", "caption", "numbers", "files"):
            if getattr(on_phone, what) != getattr(rendered, what):
                raise BuildError(f"figure {target.label}: the phone variant's {what} differs from the column's; "
                                 "ctx.phone may change the layout only")
        pngs = dict(zip(target.files, (column, phone)))
        files = dict(pngs)
        for relative, payload in rendered.files.items():
            files[inside_outputs(target.label, relative)] = payload
        column_png, phone_png = (described(path, png) for path, png in pngs.items())
        entry = {**column_png, "phone": {**phone_png, "media": PHONE_MEDIA}, "runs": sorted(runs),
                 "alt": rendered.alt, "caption": rendered.caption, "numbers": rendered.numbers,
                 "files": {p: hashlib.sha256(b).hexdigest() for p, b in sorted(files.items()) if p not in pngs}}
        return Made(files, digest({"files": files_digest(files), "entry": entry}), {"entry": entry})

    def _recipe(self, target):
        path = self.plan.source.path(target.module)
        folder = str(path.parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)  # so that recipes can `import _style`
        spec = importlib.util.spec_from_file_location(f"figure_recipe_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module

    def _make_figure_pages(self, target, inputs):
        from ..render import snippet

        numbering = target.params["numbering"]
        manifest, files = {}, {}
        for name in target.reads:
            entry = self._figure_entry(name)
            if entry is None:  # never rendered (--only named other figures)
                continue
            label = name.removeprefix("figure ")
            number = numbering.get(label, 0)
            manifest[label] = {**entry, "number": number}
            alt, caption = (self.resolve_figure_numbers(entry[k], numbering) for k in ("alt", "caption"))
            files[f"results/figures/{label}.md"] = snippet(label, alt, caption, number).encode()
        files[target.files[0]] = json_bytes(manifest)
        return Made(files, files_digest(files), document=manifest)

    def _figure_entry(self, name: str) -> dict | None:
        if name in self.entries:
            return self.entries[name]
        return (self.plan.record.get(name) or {}).get("entry")

    @staticmethod
    def resolve_figure_numbers(text: str, numbering: dict[str, int]) -> str:
        for name, number in numbering.items():
            text = text.replace(FIGURE_TOKEN.format(name=name), str(number))
        return text

    # ------------------------------------------------------------ the record

    def put(self, target, key: str, inputs: dict, closure: dict, made: Made) -> None:
        for relative, payload in made.files.items():
            self.staged[relative] = payload
        old = self.plan.record.get(target.name) or {}
        self.gone += [f for f in old.get("files", {}) if f not in made.files]
        entry = {"key": key, "reads": inputs, "params": target.params, "digest": made.digest,
                 "files": {p: hashlib.sha256(b).hexdigest() for p, b in sorted(made.files.items())}, **made.extra}
        self.plan.record.put(target.name, entry, closure)
        if target.kind == "figure":
            self.entries[target.name] = made.extra["entry"]

    def settle_run(self, target, step) -> str:
        """A run's digest in this build; its record entry is replaced when its key or results moved."""
        record = self.runs.records.get(target.name)
        old = self.plan.record.get(target.name)
        if record is None:
            return old["digest"]  # fresh and not needed: as recorded
        if old is None or old["key"] != step.key or old["digest"] != record["digest"]:
            self.plan.record.put(target.name, {"key": step.key, "reads": {}, "params": target.params,
                                               "digest": record["digest"], "files": {}}, step.closure)
        return record["digest"]

    def commit(self, report) -> None:
        """Write the files that changed, remove generated files no target makes any more, then the record."""
        from .engine import write_outputs

        declared = {t.name for t in self.plan.targets}
        dropped = [f for name, entry in self.plan.record.targets.items() if name not in declared
                   for f in entry.get("files", {})]
        write_outputs(self.out, self.staged, self.gone + dropped, report)
        payload = self.plan.record.payload(declared)
        try:
            old = (self.out / "results" / "build.json").read_bytes()
        except OSError:
            old = None
        if old != payload:
            write_atomically(self.out / "results" / "build.json", payload)
            report.written.append(self.out / "results" / "build.json")

