"""Parse scenario expressions into a whitelisted tree of plain tuples.

The text is parsed with Python's ``ast`` module (which never executes anything) and
converted node by node; anything outside the small grammar below is rejected, so a
scenario file cannot run code.

Grammar: numbers, input names, ``year``, ``+ - * / **``, unary minus, parentheses,
comparisons ``< <= > >= == !=`` (1.0 when true, 0.0 when false), and the functions
``min, max, abs, exp, log, sqrt, clip(x, lo, hi), where(cond, a, b)``.

Tree nodes (tuples, so a ``Scenario`` stays plain data):
``("num", value)``, ``("name", input_name)``, ``("year",)``, ``("neg", e)``,
``("bin", op, a, b)``, ``("cmp", op, a, b)``, ``("call", function, (args...))``.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterable

from roisim.errors import ScenarioError, suggest

MAX_LENGTH = 2000
MAX_DEPTH = 60

#: function name -> (min args, max args); None means any number >= min
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    "min": (2, None),
    "max": (2, None),
    "abs": (1, 1),
    "exp": (1, 1),
    "log": (1, 1),
    "sqrt": (1, 1),
    "clip": (3, 3),
    "where": (3, 3),
}
_BINOPS = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Pow: "**"}
_CMPOPS = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_HINTS = {
    ast.BitXor: "use ** for powers, not ^",
    ast.FloorDiv: "use / (floor division is not supported)",
    ast.Mod: "the % operator is not supported",
}


def parse_expression(text: str, path: str, known_names: Iterable[str]) -> tuple:
    """Parse ``text`` into a tree; raise ScenarioError (at ``path``) for anything not allowed.

    >>> parse_expression("2 * x", "inputs.y", ["x"])
    ('bin', '*', ('num', 2.0), ('name', 'x'))
    """
    if not isinstance(text, str):
        raise ScenarioError(f"expected an expression string, got {text!r}", path)
    if len(text) > MAX_LENGTH:
        raise ScenarioError(f"expression is longer than {MAX_LENGTH} characters", path)
    if not text.strip():
        raise ScenarioError("expression is empty", path)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise ScenarioError(f"cannot parse expression {text!r}: {exc.msg}", path) from None
    except (ValueError, RecursionError, MemoryError):
        raise ScenarioError(f"cannot parse expression {text!r}", path) from None
    known = set(known_names)
    try:
        return _convert(tree.body, path, known, 0)
    except RecursionError:
        raise ScenarioError("expression is nested too deeply", path) from None


def _convert(node, path: str, known: set[str], depth: int) -> tuple:
    """Convert one ``ast`` node (and its children) into a tree, or reject it."""
    if depth > MAX_DEPTH:
        raise ScenarioError("expression is nested too deeply", path)
    convert = _CONVERTERS.get(type(node))
    if convert is not None:
        return convert(node, path, known, depth + 1)
    if isinstance(node, ast.BoolOp):
        raise ScenarioError("'and'/'or' are not supported; use min(), max() or where()", path)
    kind = type(node).__name__
    raise ScenarioError(
        f"{kind} is not allowed in an expression; use numbers, input names, "
        "year, + - * / **, comparisons and " + ", ".join(FUNCTIONS),
        path,
    )


def _constant(node: ast.Constant, path: str, known: set[str], depth: int) -> tuple:
    v = node.value
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ScenarioError(f"only numbers are allowed as constants, got {v!r}", path)
    v = float(v)
    if not math.isfinite(v):
        raise ScenarioError(f"number {node.value!r} is not finite", path)
    return ("num", v)


def _name(node: ast.Name, path: str, known: set[str], depth: int) -> tuple:
    if node.id == "year":
        return ("year",)
    if node.id in known:
        return ("name", node.id)
    if node.id in FUNCTIONS:
        raise ScenarioError(f"'{node.id}' is a function; call it as {node.id}(...)", path)
    raise ScenarioError(
        f"unknown input '{node.id}'{suggest(node.id, list(known) + ['year'])}", path
    )


def _unary(node: ast.UnaryOp, path: str, known: set[str], depth: int) -> tuple:
    if isinstance(node.op, ast.USub):
        return ("neg", _convert(node.operand, path, known, depth))
    if isinstance(node.op, ast.UAdd):
        return _convert(node.operand, path, known, depth)
    raise ScenarioError("only unary minus and plus are allowed", path)


def _binary(node: ast.BinOp, path: str, known: set[str], depth: int) -> tuple:
    op = _BINOPS.get(type(node.op))
    if op is None:
        hint = _HINTS.get(type(node.op), "operator not allowed")
        raise ScenarioError(f"{hint}; allowed operators are + - * / **", path)
    left = _convert(node.left, path, known, depth)
    return ("bin", op, left, _convert(node.right, path, known, depth))


def _compare(node: ast.Compare, path: str, known: set[str], depth: int) -> tuple:
    if len(node.ops) != 1:
        raise ScenarioError(
            "chained comparisons such as a < b < c are not supported; "
            "combine two comparisons with min() or where()",
            path,
        )
    op = _CMPOPS.get(type(node.ops[0]))
    if op is None:
        raise ScenarioError("only < <= > >= == != comparisons are allowed", path)
    left = _convert(node.left, path, known, depth)
    return ("cmp", op, left, _convert(node.comparators[0], path, known, depth))


def _call(node: ast.Call, path: str, known: set[str], depth: int) -> tuple:
    only = "only " + ", ".join(FUNCTIONS) + " can be called"
    if not isinstance(node.func, ast.Name):
        called = ast.unparse(node.func)
        called = called if len(called) <= 40 else called[:37] + "..."
        raise ScenarioError(f"cannot call '{called}'; {only}", path)
    name = node.func.id
    if name not in FUNCTIONS:
        raise ScenarioError(f"unknown function '{name}'{suggest(name, FUNCTIONS)}; {only}", path)
    if node.keywords:
        raise ScenarioError(f"{name}() takes no keyword arguments", path)
    lo, hi = FUNCTIONS[name]
    n = len(node.args)
    if n < lo or (hi is not None and n > hi):
        want = f"{lo}" if lo == hi else f"at least {lo}"
        raise ScenarioError(f"{name}() takes {want} arguments, got {n}", path)
    if any(isinstance(a, ast.Starred) for a in node.args):
        raise ScenarioError(f"{name}() does not accept *arguments", path)
    return ("call", name, tuple(_convert(a, path, known, depth) for a in node.args))


_CONVERTERS = {
    ast.Constant: _constant,
    ast.Name: _name,
    ast.UnaryOp: _unary,
    ast.BinOp: _binary,
    ast.Compare: _compare,
    ast.Call: _call,
}


def names_in(tree: tuple) -> set[str]:
    """The input names that an expression tree refers to."""
    kind = tree[0]
    if kind == "name":
        return {tree[1]}
    if kind in ("num", "year"):
        return set()
    if kind == "neg":
        return names_in(tree[1])
    if kind in ("bin", "cmp"):
        return names_in(tree[2]) | names_in(tree[3])
    if kind == "call":
        out: set[str] = set()
        for a in tree[2]:
            out |= names_in(a)
        return out
    raise ValueError(f"bad expression node {kind!r}")


def uses_year(tree: tuple) -> bool:
    """True when the tree refers to ``year`` directly."""
    kind = tree[0]
    if kind == "year":
        return True
    if kind in ("num", "name"):
        return False
    if kind == "neg":
        return uses_year(tree[1])
    if kind in ("bin", "cmp"):
        return uses_year(tree[2]) or uses_year(tree[3])
    return any(uses_year(a) for a in tree[2])
