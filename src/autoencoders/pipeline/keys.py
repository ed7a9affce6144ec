"""Keys per definition: which definitions an output reaches, read from the source without importing it.

An output's key hashes its plain-data parameters, the digests of what it reads, and the definitions its
code reaches: starting from entry points (a function, a class, a whole recipe file), every name a
definition uses is followed to the definition that binds it, across the package and the figure recipes,
through imports and re-exports. A class counts with all its methods and its bases; a module's top-level
statements that bind no name (`matplotlib.use("Agg")`) count wherever the module does. Libraries are not
followed: their versions are part of the keys instead.

So editing `ConvAutoencoder` changes the key of the convolutional runs only, a new configuration in
experiments.py changes no existing key, and a claim's rule changes the ledger's key only. Names that are
looked up at run time rather than written in the code (a model's class chosen by its configuration) are
not followed: their owners add them to the keys they belong to.

Fingerprints are cached by the sha256 of the file's bytes, so deciding what is stale reads the sources
and a JSON file, and parses only what changed.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from .fingerprint import IMPORTS, OTHER_STATEMENTS, SCHEME, digest, fingerprint

PACKAGE = "autoencoders"
PACKAGE_DIR = Path(__file__).resolve().parents[1]
RECIPES = "figures"  # the module prefix of the figure recipes and their helpers


def file_digest(path: Path) -> str | None:
    """sha256 of a file's bytes, or None when it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


class Source:
    """The project's code as definitions: the package and the figures directory, read, never imported."""

    def __init__(self, figures_dir: Path, cache_file: Path | None = None, package_dir: Path = PACKAGE_DIR):
        self.figures_dir = Path(figures_dir)
        self.package_dir = Path(package_dir)
        self.cache_file = cache_file
        self._cache: dict[str, dict] = {}
        if cache_file is not None:
            try:
                self._cache = json.loads(Path(cache_file).read_text())
            except (OSError, ValueError):
                self._cache = {}
        self._used: set[str] = set()
        self._modules: dict[str, dict | None] = {}
        self._paths: dict[str, Path | None] = {}
        self._resolved: dict[tuple[str, str], tuple[str, str] | None] = {}
        self._closures: dict[tuple, dict[str, str]] = {}

    # ------------------------------------------------------------ modules

    def path(self, module: str) -> Path | None:
        """The file of a project module ("autoencoders.models", "figures.latent_map"), if it exists."""
        if module not in self._paths:
            self._paths[module] = self._find(module)
        return self._paths[module]

    def _find(self, module: str) -> Path | None:
        parts = module.split(".")
        if parts[0] == PACKAGE:
            base = self.package_dir.joinpath(*parts[1:])
            candidates = [base.with_suffix(".py") if len(parts) > 1 else None, base / "__init__.py"]
        elif parts[0] == RECIPES and len(parts) == 2:
            candidates = [self.figures_dir / f"{parts[1]}.py"]
        else:
            return None
        return next((c for c in candidates if c is not None and c.is_file()), None)

    def module(self, module: str) -> dict | None:
        """The fingerprint (fingerprint.py) of a project module; None for anything else."""
        if module not in self._modules:
            path = self.path(module)
            self._modules[module] = None if path is None else self._fingerprint(self._bytes(path))
        return self._modules[module]

    def _bytes(self, path: Path) -> bytes:
        return self._sources()[path] if path in self._sources() else path.read_bytes()

    def _sources(self) -> dict[Path, bytes]:
        """Every source file of the package and the recipes, read once."""
        if not hasattr(self, "_read"):
            files = [*sorted(self.package_dir.rglob("*.py")), *sorted(self.figures_dir.glob("*.py"))]
            self._read = {path: path.read_bytes() for path in files}
        return self._read

    def state(self) -> str:
        """One hash of every source file: closures computed for it hold until a file changes."""
        if not hasattr(self, "_state"):
            sha = hashlib.sha256()
            for path, source in self._sources().items():
                sha.update(f"{path}:{len(source)}:".encode() + source)
            self._state = sha.hexdigest()
        return self._state

    def _fingerprint(self, source: bytes) -> dict:
        sha = hashlib.sha256(source).hexdigest()
        self._used.add(sha)
        if sha not in self._cache:
            self._cache[sha] = fingerprint(source.decode())
        return self._cache[sha]

    def save(self) -> None:
        """Keep the fingerprints of the files read this time (and only those) for the next run."""
        if self.cache_file is None:
            return
        kept = {sha: value for sha, value in self._cache.items() if sha in self._used}
        try:
            old = json.loads(Path(self.cache_file).read_text())
        except (OSError, ValueError):
            old = None
        if old != kept:
            from .store import write_atomically

            try:
                write_atomically(Path(self.cache_file), json.dumps(kept, sort_keys=True).encode())
            except OSError:
                pass  # a read-only cache only costs time

    def recipes(self) -> list[str]:
        """Every figure recipe's module ("figures.latent_map"), by file name; files starting with _ are helpers."""
        return [f"{RECIPES}.{p.stem}" for p in sorted(self.figures_dir.glob("[!_]*.py"))]

    def shown(self, module: str) -> str:
        """How messages name a module's file: "src/autoencoders/models.py", "figures/latent_map.py"."""
        path = self.path(module)
        if path is None:
            return module
        if module.startswith(RECIPES + "."):
            return f"figures/{path.name}"
        return "src/" + path.relative_to(self.package_dir.parent).as_posix()

    # ------------------------------------------------------------ names

    def _target(self, module: str, entry: list) -> tuple[str, str | None] | None:
        """Where an import of `module` points: (project module, name or None for the module itself)."""
        level, name, imported = entry
        if level:
            package = module.split(".")[:-1] if self.path(module) and self.path(module).name != "__init__.py" \
                else module.split(".")
            base = ".".join(package[:len(package) - (level - 1)])
            name = f"{base}.{name}" if name else base
        elif module.startswith(RECIPES + ".") and self.path(f"{RECIPES}.{name}"):
            name = f"{RECIPES}.{name}"  # recipes import their helpers (`_style`) by file name
        if self.module(name) is None:
            return None  # a library: its version is in the keys instead
        if imported is None:
            return name, None
        if self.module(f"{name}.{imported}") is not None:  # `from . import measures`
            return f"{name}.{imported}", None
        return name, imported

    def definition(self, module: str, name: str, depth: int = 0) -> tuple[str, str] | None:
        """The definition that binds `name` in `module`, following re-exports."""
        info = self.module(module)
        if info is None or depth > 10:
            return None
        if name in info["binds"]:
            return module, info["binds"][name]
        if name in info["imports"]:
            target = self._target(module, info["imports"][name])
            if target and target[1] is not None:
                return self.definition(target[0], target[1], depth + 1)
        return None

    def resolve(self, module: str, used: str) -> tuple[str, str] | None:
        """The definition a name used in `module` refers to: "n", or "a.b" with `a` a module or a class."""
        if (module, used) not in self._resolved:
            self._resolved[module, used] = self._resolve(module, used)
        return self._resolved[module, used]

    def _resolve(self, module: str, used: str) -> tuple[str, str] | None:
        head, _, attribute = used.partition(".")
        info = self.module(module)
        if head in info["imports"]:
            target = self._target(module, info["imports"][head])
            if target is None:
                return None
            if target[1] is None:  # a module: `measures.encode`
                return self.definition(target[0], attribute) if attribute else None
            return self.definition(target[0], target[1])
        if head in info["binds"]:
            return module, info["binds"][head]
        return None

    # ------------------------------------------------------------ closures

    def closure(self, entries, exclude=()) -> dict[str, str]:
        """"module:definition" -> hash, for every definition `entries` reach.

        `entries` are (module, definition) pairs, or (module, "*") for all of a module's definitions;
        `exclude` names definitions ("module:name") not to follow, because their owner keys them itself.
        The result is shared between callers: read it, never change it."""
        memo = (tuple(entries), tuple(exclude))
        if memo not in self._closures:
            stored = f"closure:{self.state()}:{json.dumps(memo)}"  # remembered while no source file changes
            self._used.add(stored)
            if stored not in self._cache:
                self._cache[stored] = self._closure(entries, exclude)
            self._closures[memo] = self._cache[stored]
        return self._closures[memo]

    def _closure(self, entries, exclude) -> dict[str, str]:
        found: dict[str, str] = {}
        todo = []
        for module, name in entries:
            info = self.module(module)
            if info is None:
                raise KeyError(f"no module {module} in the project")
            todo += [(module, n) for n in info["definitions"]] if name == "*" else [(module, name)]
        while todo:
            module, name = todo.pop()
            qualified = f"{module}:{name}"
            info = self.module(module)
            if qualified in found or qualified in exclude or name == IMPORTS or name not in info["definitions"]:
                continue
            found[qualified] = info["definitions"][name]
            todo += [(module, n) for n in self._members(module, name)]  # a class's methods
            if OTHER_STATEMENTS in info["definitions"]:
                todo.append((module, OTHER_STATEMENTS))
            for used in info["uses"].get(name, []):
                target = self.resolve(module, used)
                if target is not None:
                    todo.append(target)
        return dict(sorted(found.items()))


    def _members(self, module: str, name: str) -> list[str]:
        info = self.module(module)
        if "members" not in info:  # computed once per fingerprint, and cached with it
            members: dict[str, list[str]] = {}
            for definition in info["definitions"]:
                owner, dot, _ = definition.partition(".")
                if dot:
                    members.setdefault(owner, []).append(definition)
            info["members"] = members
        return info["members"].get(name, [])

    def remember(self, name: str, compute):
        """`compute()`, remembered (in the cache file) while no source file changes."""
        stored = f"{name}:{self.state()}"
        self._used.add(stored)
        if stored not in self._cache:
            self._cache[stored] = compute()
        return self._cache[stored]

    def runs_of(self, module: str, compute) -> tuple[str, ...]:
        """A recipe's RUNS, remembered by the bytes of the recipe and of experiments.py (what they are made of)."""
        path, registry = self.path(module), self.path(f"{PACKAGE}.experiments")
        memo = "runs:" + hashlib.sha256(path.read_bytes() + registry.read_bytes()).hexdigest()
        self._used.add(memo)
        if memo not in self._cache:
            self._cache[memo] = list(compute(path))
        return tuple(self._cache[memo])


def code_hash(closure: dict[str, str]) -> str:
    return digest({"scheme": SCHEME, "definitions": closure})


def split(qualified: str) -> tuple[str, str]:
    module, _, name = qualified.partition(":")
    return module, name
