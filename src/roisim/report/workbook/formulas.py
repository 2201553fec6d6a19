"""Scenario expressions as Excel formulas, and input names as valid Excel defined names.

The translation is node by node over the whitelisted tree of ``roisim.scenario.expressions``,
and every operation is parenthesised, so Excel's precedence (where unary minus binds tighter
than ``^``: ``-2^2`` is 4) never changes the meaning:

========================  =============================================
roisim                    Excel
========================  =============================================
``a + b``, ``a ** b``     ``(a+b)``, ``(a^b)``
``-a``                    ``(-a)``
``a < b`` (1.0 or 0.0)    ``IF(a<b,1,0)`` (``==`` is ``=``, ``!=`` is ``<>``)
``min(a, b, c)``          ``MIN(a,b,c)`` (``max`` likewise)
``abs, exp, sqrt``        ``ABS, EXP, SQRT``
``log(x)`` (natural)      ``LN(x)``
``clip(x, lo, hi)``       ``MIN(MAX(x,lo),hi)``
``where(c, a, b)``        ``IF(c<>0,a,b)``
``year``                  the cell of the year in the model's year row
========================  =============================================
"""

from __future__ import annotations

import re

#: the prefix of an input's defined name when its own name is not a valid Excel name
PREFIX = "in_"
#: defined names the Model sheet reserves for its results
RESERVED = ("model_npv", "model_irr", "model_payback", "model_discounted_payback", "model_roi",
            "model_bcr")

_A1 = re.compile(r"^[A-Za-z]{1,3}[0-9]+$")  # like a cell reference: x1, ab12, xfd1048576
_R1C1 = re.compile(r"^([Rr][0-9]*)?([Cc][0-9]*)?$")  # r, c, r2, c3, r2c3, rc
_VALID = re.compile(r"^[A-Za-z_\\][A-Za-z0-9_.\\]*$")

_CMP = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "=", "!=": "<>"}
_FUNCTIONS = {"abs": "ABS", "exp": "EXP", "log": "LN", "sqrt": "SQRT"}


def needs_prefix(name: str) -> bool:
    """True when Excel cannot use ``name`` as a defined name as it is: it reads like an A1 or
    R1C1 cell reference (``x1``, ``ab12``, ``r``, ``r2c3``), is TRUE or FALSE, starts with
    Excel's reserved ``_xl``, or holds a character a name may not hold."""
    return bool(
        _A1.match(name)
        or _R1C1.match(name)
        or name.upper() in ("TRUE", "FALSE")
        or name.lower().startswith("_xl")
        or not _VALID.match(name)
    )


def excel_names(names) -> dict[str, str]:
    """A valid, unique (ignoring case, as Excel does) defined name for each of ``names``.

    Characters other than letters, digits and ``_`` become ``_``; a name that is still not
    valid (see :func:`needs_prefix`) or that collides with a reserved or earlier name gets the
    prefix ``in_`` (then ``_2``, ``_3``, ... if it still collides).

    >>> names = excel_names(["analyst_rate", "x1", "r2c3", "costs: Build"])
    >>> list(names.values())
    ['analyst_rate', 'in_x1', 'in_r2c3', 'costs__Build']
    """
    taken = {n.lower() for n in RESERVED}
    out = {}
    for name in names:
        base = re.sub(r"[^A-Za-z0-9_]", "_", name)[:200] or "input"
        if needs_prefix(base) or base.lower() in taken:
            base = PREFIX + base
        candidate, k = base, 2
        while candidate.lower() in taken:
            candidate, k = f"{base}_{k}", k + 1
        taken.add(candidate.lower())
        out[name] = candidate
    return out


def number(v: float) -> str:
    """A number as an Excel formula literal (shortest round-trip form, ``E`` exponent)."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v).upper()


def to_excel(tree: tuple, ref, year: str) -> str:
    """The Excel formula text (without ``=``) of an expression tree.

    ``ref(name)`` gives the reference of an input (a defined name or a cell), ``year`` the
    reference of the year.

    >>> from roisim.scenario.expressions import parse_expression
    >>> t = parse_expression("where(year >= 2, clip(x, 0, 1), -x ** 2)", "e", ["x"])
    >>> to_excel(t, lambda n: n, "F$4")
    'IF(IF(F$4>=2,1,0)<>0,MIN(MAX(x,0),1),(-(x^2)))'
    """
    kind = tree[0]
    if kind == "num":
        return number(tree[1])
    if kind == "name":
        return ref(tree[1])
    if kind == "year":
        return year
    if kind == "neg":
        return f"(-{to_excel(tree[1], ref, year)})"
    if kind == "bin":
        op = "^" if tree[1] == "**" else tree[1]
        return f"({to_excel(tree[2], ref, year)}{op}{to_excel(tree[3], ref, year)})"
    if kind == "cmp":
        a, b = to_excel(tree[2], ref, year), to_excel(tree[3], ref, year)
        return f"IF({a}{_CMP[tree[1]]}{b},1,0)"
    args = [to_excel(a, ref, year) for a in tree[2]]
    fn = tree[1]
    if fn in ("min", "max"):
        return f"{fn.upper()}({','.join(args)})"
    if fn == "clip":
        return f"MIN(MAX({args[0]},{args[1]}),{args[2]})"
    if fn == "where":
        return f"IF({args[0]}<>0,{args[1]},{args[2]})"
    return f"{_FUNCTIONS[fn]}({args[0]})"
