"""The ``[correlations]`` table: which inputs move together, checked and made into one matrix.

::

    [correlations]
    method = "rank"            # targets are Spearman rank correlations (@RISK, Crystal Ball)
    pairs = [["missed_fraud_losses", "volume_growth", 0.4]]
    matrix = { inputs = ["a", "b", "c"], values = [[1, 0.5, 0.2], [0.5, 1, 0.3], [0.2, 0.3, 1]] }
    repair = "error"           # or "nearest"

The engine draws correlated inputs through a Gaussian copula (``roisim.engine.copula``): the
normal scores of the inputs' uniforms are mixed by a factor of a correlation matrix R_n. With
``method = "rank"`` the targets ρₛ are Spearman correlations and R_n = 2·sin(π·ρₛ/6), the
normal-score correlation whose copula has rank correlation ρₛ exactly (for continuous inputs);
with ``method = "normal"`` the targets are R_n itself.

Per-run inputs (and ``discount_rate`` when it is drawn) form one group, per-year inputs another
(correlated within each year); pairing across the groups is an error.  The matrix of each group
must be positive semi-definite after the mapping; ``repair = "nearest"`` replaces one that is
not by the nearest correlation matrix (statsmodels' ``corr_nearest``), and the summary reports
the matrix used beside the target.

>>> from roisim.scenario.correlations import to_normal, to_rank
>>> round(float(to_normal(0.5)), 6), round(float(to_rank(to_normal(0.5))), 12)
(0.517638, 0.5)
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from roisim.errors import ScenarioError, suggest

KEYS = ("method", "pairs", "matrix", "repair")
METHODS = ("rank", "normal")
REPAIRS = ("error", "nearest")
#: eigenvalues above -TOLERANCE count as non-negative (rounding in the mapping)
TOLERANCE = 1e-10
#: the smallest eigenvalue a repaired matrix keeps, so that it can be factored
REPAIR_FLOOR = 1e-8


def to_normal(rank):
    """The normal-score correlation whose Gaussian copula has Spearman correlation ``rank``:
    2·sin(π·ρₛ/6)."""
    return 2.0 * np.sin(np.pi * np.asarray(rank, dtype=float) / 6.0)


def to_rank(normal):
    """Spearman's ρ of a Gaussian copula with normal-score correlation r: (6/π)·asin(r/2)."""
    return 6.0 / np.pi * np.arcsin(np.asarray(normal, dtype=float) / 2.0)


@dataclass(frozen=True)
class Group:
    """The correlated inputs of one level ("run" or "year") and their matrices, as tuples."""

    level: str
    inputs: tuple[str, ...]
    normal: tuple[tuple[float, ...], ...]  # the normal-score matrix the copula uses


@dataclass(frozen=True)
class Correlations:
    """A validated ``[correlations]`` table (plain data).

    ``inputs`` lists every correlated input; ``target`` and ``used`` are matrices over them in
    the method's terms (``used`` differs from ``target`` only after a repair; inputs of
    different groups have 0 between them); ``groups`` is what the engine factors."""

    method: str
    inputs: tuple[str, ...]
    target: tuple[tuple[float, ...], ...]
    used: tuple[tuple[float, ...], ...]
    repaired: bool
    max_change: float
    groups: tuple[Group, ...]

    def summary(self) -> dict:
        """``{method, inputs, target, used, repaired, max_change}`` for the run summary."""
        return {
            "method": self.method,
            "inputs": list(self.inputs),
            "target": [list(r) for r in self.target],
            "used": [list(r) for r in self.used],
            "repaired": self.repaired,
            "max_change": self.max_change,
        }


def parse_correlations(raw, levels: dict[str, str], others: dict[str, str]):
    """Validate the ``[correlations]`` table.

    ``levels`` maps each input that may be correlated to its level ("run" or "year");
    ``others`` maps every other input name to why it may not be (for example "a derived
    input").  Returns a :class:`Correlations`, or None when there is no table or it pairs
    nothing."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise ScenarioError("must be a table: [correlations]", "correlations")
    for key in raw:
        if key not in KEYS:
            raise ScenarioError(f"unknown key '{key}'{suggest(key, KEYS)}",
                                f"correlations.{key}")
    method = _choice(raw.get("method", "rank"), METHODS, "correlations.method")
    repair = _choice(raw.get("repair", "error"), REPAIRS, "correlations.repair")
    entries = _pairs(raw.get("pairs", []), levels, others)
    if "matrix" in raw:
        entries += _matrix(raw["matrix"], levels, others)
    _check_unique(entries)
    if not entries:
        return None
    return _assemble(method, repair, entries, levels)


def _choice(value, choices, path: str) -> str:
    if value not in choices:
        raise ScenarioError(
            f"must be one of {', '.join(repr(c) for c in choices)}, got {value!r}"
            + suggest(str(value), choices), path)
    return value


def _value(v, path: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ScenarioError(f"must be a correlation, a number in [-1, 1]; got {v!r}", path)
    if not -1.0 <= v <= 1.0:
        raise ScenarioError(f"must be in [-1, 1], got {v:g}", path)
    return float(v)


def _name(v, levels, others, path: str) -> str:
    if not isinstance(v, str):
        raise ScenarioError(f"must be an input name, got {v!r}", path)
    if v in levels:
        return v
    if v in others:
        what = others[v]
        why = (" (a derived input moves with the inputs it is made of)"
               if what.startswith("a derived") else
               " (a constant takes no draws)" if what.startswith("a constant") else "")
        raise ScenarioError(f"{v!r} is {others[v]}; only inputs that are drawn can be "
                            f"correlated{why}", path)
    raise ScenarioError(f"unknown input {v!r}{suggest(v, levels)}", path)


def _pairs(raw, levels, others) -> list:
    if not isinstance(raw, list):
        raise ScenarioError('must be a list of ["input", "input", correlation] triples',
                            "correlations.pairs")
    out = []
    for i, item in enumerate(raw):
        path = f"correlations.pairs[{i}]"
        if not isinstance(item, list) or len(item) != 3:
            raise ScenarioError(f'must be ["input", "input", correlation], got {item!r}', path)
        a = _name(item[0], levels, others, f"{path}[0]")
        b = _name(item[1], levels, others, f"{path}[1]")
        out.append((a, b, _value(item[2], f"{path}[2]"), path))
    return out


def _matrix(raw, levels, others) -> list:
    path = "correlations.matrix"
    if not isinstance(raw, dict) or set(raw) != {"inputs", "values"}:
        raise ScenarioError('must be { inputs = ["a", "b", ...], values = [[1, ...], ...] }',
                            path)
    names = raw["inputs"]
    if not isinstance(names, list) or len(names) < 2:
        raise ScenarioError("must list at least two input names", f"{path}.inputs")
    names = [_name(v, levels, others, f"{path}.inputs[{i}]") for i, v in enumerate(names)]
    rows = raw["values"]
    k = len(names)
    if not isinstance(rows, list) or len(rows) != k or any(
            not isinstance(r, list) or len(r) != k for r in rows):
        raise ScenarioError(f"must be a {k} × {k} list of rows, one per input", f"{path}.values")
    out = []
    for i in range(k):
        for j in range(k):
            try:
                v = _entry(rows, i, j, path)
            except ScenarioError as err:  # say which inputs the entry is for
                raise ScenarioError(f"{names[i]} ~ {names[j]}: {err.message}", err.path) from None
            if j > i:
                out.append((names[i], names[j], v, f"{path}.values[{i}][{j}]"))
    return out


def _entry(rows, i: int, j: int, path: str) -> float:
    """The matrix entry values[i][j], checked: in [-1, 1], 1 on the diagonal, symmetric."""
    where = f"{path}.values[{i}][{j}]"
    v = _value(rows[i][j], where)
    if i == j and v != 1.0:
        raise ScenarioError(f"a diagonal entry must be 1, got {v:g}", where)
    if j > i and v != _value(rows[j][i], f"{path}.values[{j}][{i}]"):
        raise ScenarioError(
            f"the matrix must be symmetric: {v:g} here, {rows[j][i]:g} at values[{j}][{i}]",
            where)
    return v


def _check_unique(entries) -> None:
    seen = {}
    for a, b, _, path in entries:
        if a == b:
            raise ScenarioError(f"pairs {a!r} with itself", path)
        key = frozenset((a, b))
        if key in seen:
            raise ScenarioError(f"the pair {a!r}, {b!r} is already given at {seen[key]}", path)
        seen[key] = path


def _assemble(method, repair, entries, levels) -> Correlations:
    names = []
    for a, b, _, path in entries:
        if levels[a] != levels[b]:
            run, year = (a, b) if levels[a] == "run" else (b, a)
            raise ScenarioError(
                f"{run!r} is drawn once per run and {year!r} once per year; only inputs drawn "
                "equally often can be correlated (two per-run or two per-year inputs)", path)
        names += [n for n in (a, b) if n not in names]
    first = {n: i for i, n in enumerate(names)}
    names.sort(key=lambda n: (levels[n] != "run", first[n]))
    index = {n: i for i, n in enumerate(names)}
    target = np.eye(len(names))
    for a, b, v, _ in entries:
        target[index[a], index[b]] = target[index[b], index[a]] = v
    normal = to_normal(target) if method == "rank" else target.copy()
    np.fill_diagonal(normal, 1.0)
    groups, repaired = [], False
    for level in ("run", "year"):
        members = [i for i, n in enumerate(names) if levels[n] == level]
        if len(members) < 2:
            continue
        block = normal[np.ix_(members, members)]
        fixed = _valid(block, [names[i] for i in members], repair, method)
        repaired |= fixed is not block
        normal[np.ix_(members, members)] = fixed
        groups.append(Group(level, tuple(names[i] for i in members), _tuples(fixed)))
    if repaired:
        used = to_rank(normal) if method == "rank" else normal
        np.fill_diagonal(used, 1.0)
        change = float(np.max(np.abs(used - target)))
    else:
        used, change = target, 0.0
    return Correlations(method, tuple(names), _tuples(target), _tuples(used), repaired,
                        change, tuple(groups))


def _valid(block: np.ndarray, names: list[str], repair: str, method: str) -> np.ndarray:
    """``block`` if it is positive semi-definite, else its repair (or an error naming the
    inputs that the offending eigenvector weighs most)."""
    values, vectors = np.linalg.eigh(block)
    if values[0] >= -TOLERANCE:
        return block
    if repair == "nearest":
        import warnings

        from statsmodels.stats.correlation_tools import corr_nearest

        with warnings.catch_warnings():  # its iteration limit: the result is checked below
            warnings.simplefilter("ignore")
            fixed = corr_nearest(block, threshold=REPAIR_FLOOR, n_fact=1000)
        fixed = (fixed + fixed.T) / 2.0
        np.fill_diagonal(fixed, 1.0)
        if np.linalg.eigvalsh(fixed)[0] < -TOLERANCE:
            raise ScenarioError("the nearest valid correlation matrix could not be found; "
                                "change the correlations", "correlations")
        return fixed
    space = " of the normal-score matrix 2·sin(πρ/6)" if method == "rank" else ""
    weight = np.abs(vectors[:, 0])
    involved = [n for n, w in zip(names, weight) if w >= 0.25 * weight.max()]
    raise ScenarioError(
        f"the correlations between {', '.join(involved)} cannot all hold at once: the matrix "
        f"is not positive semi-definite (smallest eigenvalue {values[0]:.4g}{space}); change "
        "them, or "
        'set repair = "nearest" to use the nearest valid matrix', "correlations")


def _tuples(m: np.ndarray) -> tuple:
    return tuple(tuple(float(v) for v in row) for row in m)
