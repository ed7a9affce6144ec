"""What a source file means, as hashes of its definitions and the names each one uses.

A file's fingerprint hashes its syntax tree, not its bytes. Comments are not in the tree; formatting
(indentation inside brackets, line wraps, parentheses, quote style, implicit string concatenation)
leaves the same tree; docstrings, and any other statement that is a lone string, are removed before
hashing. Everything that decides what the code does stays: the names of modules, classes, functions
and arguments, every constant, operator, default and decorator, and the order of the statements
inside each definition. So a comment, a docstring or a re-wrapped line changes no key.

Each top-level definition gets a hash of its own (a class's methods apart from the rest of the class),
with the names it uses: keys.py follows those names from definition to definition, across modules,
so that a key covers exactly the definitions an output reaches, not whole files.

Removing docstrings is sound only while no keyed code reads one at run time (`__doc__`,
`inspect.getsource`); a test keeps it so.
"""

from __future__ import annotations

import ast
import hashlib
import json

# Fields of the tree that record how the source was spelt, not what it does.
_SPELLING_FIELDS = {"kind", "type_comment"}  # u"" prefixes, "# type:" comments
IMPORTS = "(imports)"  # the name of the top-level import statements: resolved through, never keyed
OTHER_STATEMENTS = "(module level)"  # top-level statements that define no name; part of every key of their module
SCHEME = 2  # raise it when the normalisation changes, so that keys and --explain do not compare across schemes


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


def digest(value) -> str:
    """The one digest of the project: sha256 of a JSON value's compact, key-sorted text."""
    return hashlib.sha256(json.dumps(value, separators=(",", ":"), sort_keys=True).encode()).hexdigest()


def _bound_names(statement: ast.stmt) -> list[str]:
    if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [statement.name]
    targets = {ast.Assign: lambda s: s.targets, ast.AnnAssign: lambda s: [s.target],
               ast.AugAssign: lambda s: [s.target]}.get(type(statement), lambda s: [])(statement)
    return [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]


def _name(statement: ast.stmt) -> str:
    if isinstance(statement, (ast.Import, ast.ImportFrom)):
        return IMPORTS
    return ", ".join(_bound_names(statement)) or OTHER_STATEMENTS


def _uses(nodes) -> set[str]:
    """The names a piece of code reads: plain names, and `a.b` for every attribute read on a name `a`."""
    found = set()
    for node in nodes:
        for child in ast.walk(node):
            if isinstance(child, ast.Name):
                found.add(child.id)
            elif isinstance(child, ast.Attribute) and isinstance(child.value, ast.Name):
                found.add(f"{child.value.id}.{child.attr}")
    return found


def _imports(tree: ast.Module) -> dict[str, list]:
    """Every name an import binds, anywhere in the file -> [level, module, imported name or None]."""
    found = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                found[alias.asname or alias.name] = [node.level, node.module or "", alias.name]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    found[alias.asname] = [0, alias.name, None]
                else:  # `import a.b` binds `a`
                    found[alias.name.split(".")[0]] = [0, alias.name.split(".")[0], None]
    return found


def fingerprint(source: str) -> dict:
    """Python source as {"scheme", "hash" (of the whole file's meaning), "definitions": {name: hash},
    "uses": {name: names it reads}, "binds": {bound name: its definition}, "imports": {...}}.

    Definitions are the top-level statements by the names they bind ("Class.method" apart from the
    class's own statements; several names bound together, "a, b", are one definition)."""
    tree, memo = _StripDocstrings().visit(ast.parse(source)), {}
    parts: dict[str, list] = {}
    uses: dict[str, set[str]] = {}
    binds: dict[str, str] = {}
    for statement in tree.body:
        name = _name(statement)
        if isinstance(statement, ast.ClassDef):
            methods = [s for s in statement.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))]
            # The class itself: bases, decorators, attributes, and which methods it has (by name).
            shell = [_canonical(s, memo) if s not in methods else ["method", s.name] for s in statement.body]
            header = [statement.bases, statement.keywords, statement.decorator_list]
            parts.setdefault(name, []).append([_canonical(header, memo), shell])
            uses.setdefault(name, set()).update(_uses([*header[0], *header[2], *(k.value for k in header[1]),
                                                       *(s for s in statement.body if s not in methods)]))
            for method in methods:
                qualified = f"{name}.{method.name}"
                parts.setdefault(qualified, []).append(_canonical(method, memo))
                uses.setdefault(qualified, set()).update(_uses([method]))
        else:
            parts.setdefault(name, []).append(_canonical(statement, memo))
            if name != IMPORTS:
                uses.setdefault(name, set()).update(_uses([statement]))
        for bound in _bound_names(statement):
            binds[bound] = name
    return {"scheme": SCHEME, "hash": digest(_canonical(tree, memo)),
            "definitions": {name: digest(value)[:12] for name, value in parts.items()},
            "uses": {name: sorted(found) for name, found in uses.items()},
            "binds": binds, "imports": _imports(tree)}


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
