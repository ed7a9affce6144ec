"""Re-wrap Python source to a line width, as a maintainer reading code into a narrow page would.

Every line longer than the width is broken without changing what the code does: a comment line
is split into two, a trailing comment moves onto its own line above its code, a docstring line is
split (docstrings carry no meaning), code is broken after a comma or an opening bracket inside
brackets, and a long string literal inside brackets becomes two adjacent literals. A line that
none of these can shorten is an error, so "every line fits" is checked, not assumed.

    python tests/rewrap.py 79 src/autoencoders/*.py     # rewrites the files in place
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from pathlib import Path

OPENING, CLOSING = "([{", ")]}"
CONTINUATION = "    "  # extra indentation of a line broken inside brackets


class RewrapError(ValueError):
    pass


def rewrap(source: str, width: int) -> tuple[str, list[str]]:
    """`source` with every line longer than `width` characters broken, and the lines left long.

    Only one kind of line may be left: one whose f-string has a {replacement field} too wide for
    the room left and no space in it to break at.
    """
    ast.parse(source)
    row, left = 1, []
    while True:
        lines = source.splitlines(keepends=True)
        row = next((i + 1 for i in range(row - 1, len(lines)) if len(lines[i].rstrip("\r\n")) > width), None)
        if row is None:
            return source, left
        shorter = _shorten(source, lines, row, width)
        if shorter is None:
            left.append(lines[row - 1].rstrip("\r\n"))
            row += 1
        else:
            ast.parse(shorter)
            source = shorter


def _shorten(source: str, lines: list[str], row: int, width: int) -> str | None:
    line = lines[row - 1].rstrip("\r\n")
    indent = line[:len(line) - len(line.lstrip())]
    tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))

    # Inside a string that spans lines, or a long one-line docstring: only a docstring may be re-flowed.
    for index, tok in enumerate(tokens):
        if tok.type != tokenize.STRING or not tok.start[0] <= row <= tok.end[0]:
            continue
        spans_lines = tok.start[0] != tok.end[0]
        if not spans_lines and not (tok.string.endswith(('"""', "'''")) and _is_docstring(tokens, index)):
            continue  # a one-line string in code: broken below, like the code around it
        if not _is_docstring(tokens, index):
            raise RewrapError(f"line {row}: a long line inside a string that is not a docstring")
        start = tok.start[1] + 4 if tok.start[0] == row else len(indent)
        cut = line.rfind(" ", start, width)
        if cut <= start:
            raise RewrapError(f"line {row}: no space to break the docstring at")
        return _replace(lines, row, [line[:cut], indent + line[cut + 1:]])

    skip = (tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT)
    on_line = [t for t in tokens if t.start[0] == row and t.type not in skip]
    comment = next((t for t in on_line if t.type == tokenize.COMMENT), None)
    if comment is not None and comment is on_line[0]:  # a comment on a line of its own
        cut = line.rfind(" ", comment.start[1] + 2, width)
        if cut <= comment.start[1] + 2:
            raise RewrapError(f"line {row}: no space to break the comment at")
        return _replace(lines, row, [line[:cut], f"{indent}# {line[cut + 1:]}"])
    if comment is not None:  # a trailing comment: it moves above its code
        if row > 1 and lines[row - 2].rstrip("\r\n").endswith("\\"):
            raise RewrapError(f"line {row}: a comment cannot go between backslash-continued lines")
        return _replace(lines, row, [indent + comment.string, line[:comment.start[1]].rstrip()])

    if line.lstrip().startswith("from ") and " import " in line and "(" not in line:
        head, names = line.split(" import ", 1)  # brackets make room to break between the names
        return _replace(lines, row, [f"{head} import ({names})"])

    if any(t.type == tokenize.STRING and not _inside_brackets(tokens, t) for t in on_line):
        bracketed = _bracket(lines, row, line, on_line, tokens)  # a string outside brackets could not be split
        if bracketed is not None:
            return bracketed

    # Code: inside brackets a line may break between any two tokens. Prefer after a comma, then
    # after an opening bracket, then before any token; take the rightmost place that fits.
    depth, places = 0, {0: [], 1: [], 2: []}
    for tok in tokens:
        if tok.start[0] > row:
            break
        before = depth
        if tok.type == tokenize.OP and tok.string in OPENING:
            depth += 1
        elif tok.type == tokenize.OP and tok.string in CLOSING:
            depth -= 1
        if tok.start[0] != row:
            continue
        if before > 0 and tok.string == ",":
            places[0].append(tok.end[1])
        elif depth > 0 and tok.type == tokenize.OP and tok.string in OPENING:
            places[1].append(tok.end[1])
        if before > 0:
            places[2].append(tok.start[1])
    for cuts in places.values():
        cuts = [c for c in cuts if len(indent) < c <= width and line[c:].strip() and line[:c].strip()]
        if cuts:
            return _replace(lines, row, [line[:cuts[-1]].rstrip(), indent + CONTINUATION + line[cuts[-1]:].lstrip()])
    shorter = (_split_string(lines, row, line, indent, on_line, tokens, width)
               or _bracket(lines, row, line, on_line, tokens))
    if shorter is None and not any(_is_f_string(t) for t in on_line):
        _fail(row, line)
    return shorter  # None: an f-string whose field has no space to break at


def _bracket(lines, row, line, on_line, tokens) -> str | None:
    """Put brackets around what a one-line `return` or assignment gives, so that it can be broken."""
    equals = next((t for t in on_line if t.type == tokenize.OP and t.string == "="), None)
    if on_line[0].string == "return":
        start = on_line[0].end[1] + 1
    elif equals is not None and not _inside_brackets(tokens, equals):
        start = equals.end[1] + 1
    else:
        return None
    if line.endswith("\\") or line[start:].startswith("("):
        return None  # a backslash: the closing bracket would belong on a later line
    return _replace(lines, row, [f"{line[:start]}({line[start:]})"])


def _is_f_string(tok) -> bool:
    return tok.type == tokenize.STRING and "f" in tok.string.split(tok.string[-1])[0].lower()


def _fail(row: int, line: str):
    raise RewrapError(f"line {row}: nothing to break at: {line.strip()[:60]!r}")


def _split_string(lines, row, line, indent, on_line, tokens, width) -> str | None:
    """Break a long one-line string inside brackets: into two adjacent literals (Python joins them),
    or, for an f-string whose {field} is too wide, inside the field, the string then triple-quoted
    (a field of a triple-quoted f-string may span lines)."""
    for tok in on_line:
        if tok.type != tokenize.STRING or tok.start[1] >= width - 8 or not _inside_brackets(tokens, tok):
            continue
        prefix = tok.string[:len(tok.string) - len(tok.string.lstrip("rbfuRBFU"))]
        quote = tok.string[len(prefix)]
        if tok.string[len(prefix):].startswith(quote * 3):
            continue
        body_start = tok.start[1] + len(prefix) + 1
        cuts = range(min(width - 1, tok.end[1] - 2), body_start + 1, -1)
        # At a space if there is one, anywhere else if not (a hex digest), never inside an escape or a field.
        for cut in [c for c in cuts if line[c - 1] == " "] + list(cuts):
            first, rest = line[tok.start[1]:cut] + quote, prefix + quote + line[cut:tok.end[1]]
            in_field = not _outside_fields(line[body_start:cut], "f" in prefix.lower())
            if not in_field and _same_string(tok.string, f"{first} {rest}"):
                return _replace(lines, row, [line[:cut] + quote, indent + CONTINUATION + prefix + quote + line[cut:]])
        if _is_f_string(tok):
            for cut in [c for c in cuts if line[c - 1] == " "]:
                first = line[tok.start[1]:body_start - 1] + quote * 3 + line[body_start:cut].rstrip()
                rest = line[cut:tok.end[1] - 1] + quote * 3
                if _same_string(tok.string, f"{first}\n{rest}"):
                    return _replace(lines, row, [line[:tok.start[1]] + first,
                                                 indent + CONTINUATION + rest + line[tok.end[1]:]])
    return None


def _same_string(whole: str, written: str) -> bool:
    """Whether the literal(s) `written` mean the one literal `whole`."""
    try:
        return ast.dump(ast.parse(f"({written})")) == ast.dump(ast.parse(f"({whole})"))
    except SyntaxError:
        return False


def _outside_fields(text: str, is_f_string: bool) -> bool:
    """Whether a cut after `text` falls outside every {replacement field} of an f-string."""
    if not is_f_string:
        return True
    depth = 0
    for char in text.replace("{{", "").replace("}}", ""):
        depth += (char == "{") - (char == "}")
    return depth == 0


def _inside_brackets(tokens, target) -> bool:
    depth = 0
    for tok in tokens:
        if tok is target:
            return depth > 0
        if tok.type == tokenize.OP and tok.string in OPENING:
            depth += 1
        elif tok.type == tokenize.OP and tok.string in CLOSING:
            depth -= 1
    return False


def _is_docstring(tokens, index) -> bool:
    """A string alone on its logical line (after a newline or an indent): a docstring or a no-op."""
    before = next((t for t in reversed(tokens[:index]) if t.type not in (tokenize.NL, tokenize.COMMENT)), None)
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    starts_line = before is None or before.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
                                                    tokenize.ENCODING)
    return starts_line and after is not None and after.type in (tokenize.NEWLINE, tokenize.ENDMARKER)


def _replace(lines: list[str], row: int, new: list[str]) -> str:
    ending = lines[row - 1][len(lines[row - 1].rstrip("\r\n")):]
    return "".join(lines[:row - 1] + [part + "\n" for part in new[:-1]] + [new[-1] + ending] + lines[row:])


def main(argv: list[str]) -> int:
    if len(argv) < 2 or not argv[0].isdigit():
        print("usage: rewrap.py WIDTH FILE...", file=sys.stderr)
        return 2
    width = int(argv[0])
    for name in argv[1:]:
        path = Path(name)
        try:
            text, left = rewrap(path.read_text(), width)
            path.write_text(text)
            for line in left:
                print(f"{path}: left long (an f-string field wider than the room): {line.strip()}")
        except (RewrapError, SyntaxError) as error:
            print(f"rewrap.py: {path}: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
