"""What a source file means, as hashes: the code part of every cache key is computed here.

A file's fingerprint hashes its syntax tree, not its bytes. Comments are not in the tree;
formatting (indentation inside brackets, line wraps, parentheses, quote style, implicit string
concatenation) leaves the same tree; docstrings, and any other statement that is a lone string,
are removed before hashing. Everything that decides what the code does stays: the names of
modules, classes, functions and arguments, every constant, operator, default and decorator, and
the order of the statements. So a comment, a docstring or a re-wrapped line changes no key, and a
changed constant or operator changes the key of everything that imports the file.

Removing docstrings is sound only while no keyed code reads one at run time (`__doc__`,
`inspect.getsource`); a test keeps it so.

Beside the whole-file hash, each top-level definition gets a hash of its own (a class's methods
separately from the rest of the class), so that a stale output can be explained by the first
definition that changed.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
from pathlib import Path

# Fields of the tree that record how the source was spelt, not what it does.
_SPELLING_FIELDS = {"kind", "type_comment"}  # u"" prefixes, "# type:" comments
OTHER_STATEMENTS = "(module level)"  # the name of top-level statements that define no name
SCHEME = 1  # raise it when the normalisation changes, so that --explain does not compare across schemes


class _StripDocstrings(ast.NodeTransformer):
    def visit_Expr(self, node: ast.Expr):
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return None  # a docstring, or a string used as a comment: no effect when run
        return self.generic_visit(node)


def _canonical(node, memo: dict):
    """The tree as plain data, leaving out empty fields so that Python versions that add fields agree.

    `memo` keeps each node's result: a definition's subtree is needed again for its own hash."""
    if isinstance(node, list):
        return [_canonical(item, memo) for item in node]
    if not isinstance(node, ast.AST):
        return [type(node).__name__, repr(node)]  # a constant: 1, 1.0 and True stay distinct
    if id(node) not in memo:
        fields = [(name, _canonical(value, memo)) for name, value in ast.iter_fields(node)
                  if name not in _SPELLING_FIELDS and value is not None and value != []]
        memo[id(node)] = [type(node).__name__, *fields]
    return memo[id(node)]


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, separators=(",", ":")).encode()).hexdigest()


def _name(statement: ast.stmt) -> str:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return statement.name
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return "(imports)"
    targets = {ast.Assign: lambda s: s.targets, ast.AnnAssign: lambda s: [s.target],
               ast.AugAssign: lambda s: [s.target]}.get(type(statement), lambda s: [])(statement)
    names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
    return ", ".join(names) or OTHER_STATEMENTS


def _definitions(tree: ast.Module, memo: dict) -> dict[str, str]:
    """Top-level name -> hash of its statements, in source order; a class's methods as "Class.method"."""
    parts: dict[str, list] = {}
    for statement in tree.body:
        name = _name(statement)
        if isinstance(statement, ast.ClassDef):
            methods = [s for s in statement.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
            # The class itself: bases, decorators, attributes, and which methods it has (by name).
            shell = [_canonical(s, memo) if s not in methods else ["method", s.name] for s in statement.body]
            header = [statement.bases, statement.keywords, statement.decorator_list]
            parts.setdefault(name, []).append([_canonical(header, memo), shell])
            for method in methods:
                parts.setdefault(f"{name}.{method.name}", []).append(_canonical(method, memo))
        else:
            parts.setdefault(name, []).append(_canonical(statement, memo))
    return {name: _digest(value)[:12] for name, value in parts.items()}


@functools.lru_cache(maxsize=None)  # one build fingerprints the same files for every figure
def fingerprint(source: str) -> dict:
    """{"scheme", "hash": of the whole file's meaning, "definitions": {name: hash}} for Python source.

    The result is shared between callers: read it, never change it."""
    tree, memo = _StripDocstrings().visit(ast.parse(source)), {}
    return {"scheme": SCHEME, "hash": _digest(_canonical(tree, memo)), "definitions": _definitions(tree, memo)}


def fingerprint_file(path: Path) -> dict:
    return fingerprint(Path(path).read_text())


PACKAGE_DIR = Path(__file__).resolve().parent
PACKAGE = PACKAGE_DIR.name  # "autoencoders"


def _package_imports(path: Path) -> set[str]:
    """The package modules a file imports by name: `from .x import`, `from . import x`,
    `from autoencoders.x import`, `from autoencoders import x`, `import autoencoders.x`."""
    found = set()
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if isinstance(node, ast.ImportFrom):
            inside = node.level == 1 or node.module == PACKAGE or (node.module or "").startswith(PACKAGE + ".")
            if not inside:
                continue
            module = (node.module or "").removeprefix(PACKAGE).lstrip(".") if node.level == 0 else node.module
            if module:
                found.add(module.split(".")[0])
            else:  # from . import x / from autoencoders import x: x may be a module
                found.update(alias.name for alias in node.names if (PACKAGE_DIR / f"{alias.name}.py").is_file())
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith(PACKAGE + "."))
    return found


def imported_closure(files: list[Path]) -> list[str]:
    """The package modules that `files` import, directly or through each other, by name (a package
    module among `files` counts itself): all the code that can change what those files compute."""
    seen, todo = set(), []
    for path in map(Path, files):
        todo.extend([path.stem] if path.resolve().parent == PACKAGE_DIR else _package_imports(path))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(_package_imports(PACKAGE_DIR / f"{name}.py"))
    return sorted(seen)


def combined_hash(fingerprints: dict[str, dict]) -> str:
    """One hash over several named files' fingerprints (names included, so a renamed file counts)."""
    return _digest({name: fp["hash"] for name, fp in sorted(fingerprints.items())})


def first_change(old: dict, new: dict) -> str:
    """Where `new` differs from `old` (two fingerprints of one file), for a reader: the first changed,
    added or removed definition in source order, or that only the order of the definitions changed."""
    if old.get("scheme") != new.get("scheme"):
        return "its fingerprints are computed differently since the outputs were built"
    before, after = old["definitions"], new["definitions"]
    changed = [n for n in after if before.get(n) != after[n]]
    removed = [n for n in before if n not in after]
    if changed:
        what = f"{changed[0]} " + ("changed" if changed[0] in before else "added")
    elif removed:
        what = f"{removed[0]} removed"
    else:
        return "the order of its statements changed"
    more = len(changed) + len(removed) - 1
    return what + (f" (and {more} more)" if more else "")
