"""Distribution families: parameter validation, canonical parameters and scipy equivalents.

Every family has the same small interface (in the spirit of ``scipy.stats``):

* ``Family.parametrisations`` – the accepted sets of parameter names;
* ``Family.canonical(given, path)`` – validate what the user wrote and return the
  canonical parameters (plain floats);
* ``Family.scipy(canon)`` – the equivalent frozen ``scipy.stats`` distribution, used to
  build sampling tables and in the tests;
* ``Family.discrete`` – whether it has a discrete support.

Sampling itself happens in the generated kernel (``roisim.engine.codegen``) by inverse CDF
(``roisim.kernels.inverse``) from the uniform that the plan's uniform source gives each input
(``roisim.engine.sampling``).  Truncation is an operation on ``u``, and so are Latin
hypercube, Sobol and copulas: a new source, not per-family code.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from roisim.errors import ScenarioError, suggest

Z95 = 1.6448536269514722  # standard normal 95th percentile: a 90% interval is mean ± Z95·sd
MIN_TRUNCATED_MASS = 1e-3


def _num(given: dict, key: str, path: str) -> float:
    v = given[key]
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ScenarioError(f"must be a number, got {v!r}", f"{path}.{key}")
    v = float(v)
    if not math.isfinite(v):
        raise ScenarioError(f"must be finite, got {v!r}", f"{path}.{key}")
    return v


def _positive(v: float, key: str, path: str) -> float:
    if not v > 0:
        raise ScenarioError(f"must be > 0, got {_fmt(v)}", f"{path}.{key}")
    return v


def _prob(v: float, key: str, path: str) -> float:
    if not 0.0 <= v <= 1.0:
        raise ScenarioError(f"must be between 0 and 1, got {_fmt(v)}", f"{path}.{key}")
    return v


def _fmt(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else repr(v)


def _ordered(lo: float, hi: float, klo: str, khi: str, path: str) -> None:
    if not lo < hi:
        raise ScenarioError(
            f"must be greater than {klo} ({_fmt(lo)}), got {_fmt(hi)}", f"{path}.{khi}"
        )


def _min_mode_max(g: dict, path: str) -> tuple[float, float, float]:
    lo, mode, hi = (_num(g, k, path) for k in ("min", "mode", "max"))
    _ordered(lo, hi, "min", "max", path)
    if not lo <= mode <= hi:
        raise ScenarioError(
            f"must lie between min ({_fmt(lo)}) and max ({_fmt(hi)}), got {_fmt(mode)}",
            f"{path}.mode",
        )
    return lo, mode, hi


@dataclass(frozen=True)
class Family:
    name: str
    parametrisations: tuple[tuple[str, ...], ...]
    optional: tuple[str, ...]
    canonical_fn: Callable[[dict, str], dict]
    scipy_fn: Callable[[dict], Any]
    discrete: bool = False
    doc: str = ""

    def canonical(self, given: dict, path: str) -> dict:
        keys = set(given)
        allowed = set(self.optional).union(*map(set, self.parametrisations))
        for k in sorted(keys - allowed):
            raise ScenarioError(
                f"unknown parameter '{k}' for dist = \"{self.name}\""
                f"{suggest(k, sorted(allowed) + list(COMMON_KEYS))}; expects {self.expects()}",
                f"{path}.{k}",
            )
        for params in self.parametrisations:
            if set(params) <= keys and not (keys - set(params) - set(self.optional)):
                return self.canonical_fn({k: given[k] for k in keys}, path)
        matches = [p for p in self.parametrisations if set(p) & keys]
        if len(matches) == 1:
            missing = [k for k in matches[0] if k not in keys]
            if missing:
                raise ScenarioError(
                    f"dist = \"{self.name}\" needs {', '.join(missing)} (expects {self.expects()})",
                    f"{path}.{missing[0]}",
                )
        raise ScenarioError(
            f"dist = \"{self.name}\" expects {self.expects()}; got "
            f"{', '.join(sorted(keys)) or 'no parameters'}",
            path,
        )

    def expects(self) -> str:
        forms = " or ".join("(" + ", ".join(p) + ")" for p in self.parametrisations)
        if self.optional:
            forms += ", optional " + ", ".join(self.optional)
        return forms

    def scipy(self, canon: dict):
        return self.scipy_fn(canon)


# ---------------------------------------------------------------- canonical forms
def _normal(g, path):
    if "sd" in g:
        mean, sd = _num(g, "mean", path), _positive(_num(g, "sd", path), "sd", path)
    else:
        p5, p95 = _num(g, "p5", path), _num(g, "p95", path)
        _ordered(p5, p95, "p5", "p95", path)
        mean, sd = (p5 + p95) / 2.0, (p95 - p5) / (2.0 * Z95)
    return {"mean": mean, "sd": sd}


def _lognormal(g, path):
    if "mean" in g:
        mean = _positive(_num(g, "mean", path), "mean", path)
        sd = _positive(_num(g, "sd", path), "sd", path)
        sigma2 = math.log1p((sd / mean) ** 2)
        return {"mu": math.log(mean) - sigma2 / 2.0, "sigma": math.sqrt(sigma2)}
    p95 = _positive(_num(g, "p95", path), "p95", path)
    if "median" in g:
        med = _positive(_num(g, "median", path), "median", path)
        _ordered(med, p95, "median", "p95", path)
        return {"mu": math.log(med), "sigma": (math.log(p95) - math.log(med)) / Z95}
    p5 = _positive(_num(g, "p5", path), "p5", path)
    _ordered(p5, p95, "p5", "p95", path)
    return {
        "mu": (math.log(p5) + math.log(p95)) / 2.0,
        "sigma": (math.log(p95) - math.log(p5)) / (2.0 * Z95),
    }


def _pert(g, path):
    lo, mode, hi = _min_mode_max(g, path)
    lam = _positive(_num(g, "lambda", path), "lambda", path) if "lambda" in g else 4.0
    return {
        "min": lo,
        "mode": mode,
        "max": hi,
        "lambda": lam,
        "alpha": 1.0 + lam * (mode - lo) / (hi - lo),
        "beta": 1.0 + lam * (hi - mode) / (hi - lo),
    }


def _triangular(g, path):
    lo, mode, hi = _min_mode_max(g, path)
    return {"min": lo, "mode": mode, "max": hi}


def _uniform(g, path):
    lo, hi = _num(g, "min", path), _num(g, "max", path)
    _ordered(lo, hi, "min", "max", path)
    return {"min": lo, "max": hi}


def _beta(g, path):
    a = _positive(_num(g, "alpha", path), "alpha", path)
    b = _positive(_num(g, "beta", path), "beta", path)
    lo = _num(g, "min", path) if "min" in g else 0.0
    hi = _num(g, "max", path) if "max" in g else 1.0
    _ordered(lo, hi, "min", "max", path)
    return {"alpha": a, "beta": b, "min": lo, "max": hi}


def _gamma(g, path):
    if "shape" in g:
        return {
            "shape": _positive(_num(g, "shape", path), "shape", path),
            "scale": _positive(_num(g, "scale", path), "scale", path),
        }
    mean = _positive(_num(g, "mean", path), "mean", path)
    sd = _positive(_num(g, "sd", path), "sd", path)
    return {"shape": (mean / sd) ** 2, "scale": sd * sd / mean}


def _poisson(g, path):
    mean = _positive(_num(g, "mean", path), "mean", path)
    if mean > 1e7:
        raise ScenarioError(
            f"must be at most 1e7 (use a normal or gamma for counts this large), got {mean:g}",
            f"{path}.mean",
        )
    return {"mean": mean}


def _binomial(g, path):
    n = _num(g, "n", path)
    if not n.is_integer() or n < 1 or n > 1e6:
        raise ScenarioError(
            f"must be a whole number from 1 to 1,000,000, got {g['n']!r}", f"{path}.n"
        )
    return {"n": n, "p": _prob(_num(g, "p", path), "p", path)}


def _bernoulli(g, path):
    return {"p": _prob(_num(g, "p", path), "p", path)}


def _discrete(g, path):
    values, weights = g["values"], g["weights"]
    for key, seq in (("values", values), ("weights", weights)):
        if not isinstance(seq, list) or not seq:
            raise ScenarioError(
                f"must be a non-empty list of numbers, got {seq!r}", f"{path}.{key}"
            )
        for i, v in enumerate(seq):
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ScenarioError(f"must be a finite number, got {v!r}", f"{path}.{key}[{i}]")
    if len(values) != len(weights):
        raise ScenarioError(
            f"must have as many entries as values ({len(values)}), got {len(weights)}",
            f"{path}.weights",
        )
    for i, w in enumerate(weights):
        if w < 0:
            raise ScenarioError(f"must be >= 0, got {_fmt(w)}", f"{path}.weights[{i}]")
    total = float(sum(weights))
    if not total > 0:
        raise ScenarioError("must not all be zero", f"{path}.weights")
    return {"values": [float(v) for v in values], "weights": [float(w) / total for w in weights]}


def _constant(g, path):
    return {"value": _num(g, "value", path)}


# ---------------------------------------------------------------- scipy equivalents
def _sp():
    import scipy.stats as st  # imported lazily: a Scenario never needs scipy

    return st


class _DiscreteTable:
    """A finite discrete distribution with the scipy methods roisim needs (ppf, cdf, mean, std)."""

    def __init__(self, values, probs):
        import numpy as np

        order = np.argsort(values, kind="stable")
        v = np.asarray(values, float)[order]
        p = np.asarray(probs, float)[order]
        uniq, inv = np.unique(v, return_inverse=True)
        self.xk = uniq
        self.pk = np.bincount(inv, weights=p)

    def mean(self):
        return float((self.xk * self.pk).sum())

    def std(self):
        m = self.mean()
        return float(math.sqrt((((self.xk - m) ** 2) * self.pk).sum()))

    def cdf(self, x):
        import numpy as np

        c = np.cumsum(self.pk)
        idx = np.searchsorted(self.xk, x, side="right") - 1
        return np.where(idx >= 0, c[np.clip(idx, 0, None)], 0.0)

    def ppf(self, q):
        import numpy as np

        c = np.cumsum(self.pk)
        c[-1] = 1.0
        return self.xk[np.minimum(np.searchsorted(c, q, side="left"), len(c) - 1)]


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family(
            "normal",
            (("mean", "sd"), ("p5", "p95")),
            (),
            _normal,
            lambda c: _sp().norm(loc=c["mean"], scale=c["sd"]),
        ),
        Family(
            "lognormal",
            (("p5", "p95"), ("median", "p95"), ("mean", "sd")),
            (),
            _lognormal,
            lambda c: _sp().lognorm(s=c["sigma"], scale=math.exp(c["mu"])),
        ),
        Family(
            "pert",
            (("min", "mode", "max"),),
            ("lambda",),
            _pert,
            lambda c: _sp().beta(c["alpha"], c["beta"], loc=c["min"], scale=c["max"] - c["min"]),
        ),
        Family(
            "triangular",
            (("min", "mode", "max"),),
            (),
            _triangular,
            lambda c: _sp().triang(
                (c["mode"] - c["min"]) / (c["max"] - c["min"]),
                loc=c["min"],
                scale=c["max"] - c["min"],
            ),
        ),
        Family(
            "uniform",
            (("min", "max"),),
            (),
            _uniform,
            lambda c: _sp().uniform(loc=c["min"], scale=c["max"] - c["min"]),
        ),
        Family(
            "beta",
            (("alpha", "beta"),),
            ("min", "max"),
            _beta,
            lambda c: _sp().beta(c["alpha"], c["beta"], loc=c["min"], scale=c["max"] - c["min"]),
        ),
        Family(
            "gamma",
            (("shape", "scale"), ("mean", "sd")),
            (),
            _gamma,
            lambda c: _sp().gamma(c["shape"], scale=c["scale"]),
        ),
        Family(
            "poisson", (("mean",),), (), _poisson, lambda c: _sp().poisson(c["mean"]), discrete=True
        ),
        Family(
            "binomial",
            (("n", "p"),),
            (),
            _binomial,
            lambda c: _sp().binom(int(c["n"]), c["p"]),
            discrete=True,
        ),
        Family(
            "bernoulli", (("p",),), (), _bernoulli, lambda c: _sp().bernoulli(c["p"]), discrete=True
        ),
        Family(
            "discrete",
            (("values", "weights"),),
            (),
            _discrete,
            lambda c: _DiscreteTable(c["values"], c["weights"]),
            discrete=True,
        ),
        Family(
            "constant",
            (("value",),),
            (),
            _constant,
            lambda c: _DiscreteTable([c["value"]], [1.0]),
            discrete=True,
        ),
    ]
}

#: keys every distribution table may carry besides its parameters
COMMON_KEYS = ("dist", "per", "lower", "upper", "unit", "description")


@dataclass(frozen=True)
class Distribution:
    """A validated distribution: plain data, no numpy."""

    family: str
    params: dict  # canonical parameters (floats / lists of floats)
    given: dict  # what the user wrote (for reports)
    per: str = "run"  # "run" or "year"
    lower: float | None = None
    upper: float | None = None
    unit: str | None = None
    description: str | None = None
    mass: float = 1.0  # probability mass kept by the truncation bounds

    def scipy(self):
        """The untruncated scipy.stats distribution."""
        return FAMILIES[self.family].scipy(self.params)

    @property
    def discrete(self) -> bool:
        return FAMILIES[self.family].discrete


def parse_distribution(table: dict, path: str) -> Distribution:
    """Validate a distribution table such as ``{dist = "pert", min = 1, mode = 2, max = 4}``."""
    table = dict(table)
    if "dist" not in table:
        if "range" in table:
            return _parse_range(table, path)
        raise ScenarioError(
            "a distribution table needs dist = \"...\" (one of "
            + ", ".join(FAMILIES)
            + ") or range = [lo, hi]",
            path,
        )
    name = table.pop("dist")
    if not isinstance(name, str) or name not in FAMILIES:
        raise ScenarioError(
            f"unknown distribution {name!r}{suggest(str(name), FAMILIES)}; "
            "choose one of " + ", ".join(FAMILIES),
            f"{path}.dist",
        )
    family = FAMILIES[name]
    common = {k: table.pop(k) for k in COMMON_KEYS if k in table}
    if "range" in table:
        raise ScenarioError(
            "range = [lo, hi] is a shorthand for a lognormal and cannot be combined "
            "with dist; give the parameters of dist instead",
            f"{path}.range",
        )
    canon = family.canonical(table, path)
    return _finish(family, canon, table, common, path)


def _parse_range(table: dict, path: str) -> Distribution:
    rng = table.pop("range")
    common = {k: table.pop(k) for k in COMMON_KEYS if k in table}
    for k in table:
        raise ScenarioError(
            f"unknown key '{k}' beside range{suggest(k, COMMON_KEYS)}", f"{path}.{k}"
        )
    if (
        not isinstance(rng, list)
        or len(rng) != 2
        or any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in rng)
    ):
        raise ScenarioError(f"must be a list of two numbers [lo, hi], got {rng!r}", f"{path}.range")
    lo, hi = float(rng[0]), float(rng[1])
    if not (math.isfinite(lo) and math.isfinite(hi)) or not lo < hi:
        raise ScenarioError(f"must be [lo, hi] with lo < hi, got {rng!r}", f"{path}.range")
    if lo <= 0:
        raise ScenarioError(
            f"range = [lo, hi] means a lognormal 90% interval, which needs lo > 0 "
            f"(got {_fmt(lo)}); for a range that can be zero or negative write "
            f"dist = \"normal\", p5 = {_fmt(lo)}, p95 = {_fmt(hi)}",
            f"{path}.range",
        )
    canon = _lognormal({"p5": lo, "p95": hi}, path)
    return _finish(FAMILIES["lognormal"], canon, {"range": [lo, hi]}, common, path)


def _finish(family: Family, canon: dict, given: dict, common: dict, path: str) -> Distribution:
    per = common.get("per", "run")
    if per not in ("run", "year"):
        raise ScenarioError(f"must be \"run\" or \"year\", got {per!r}", f"{path}.per")
    for key in ("unit", "description"):
        if key in common and not isinstance(common[key], str):
            raise ScenarioError(f"must be a string, got {common[key]!r}", f"{path}.{key}")
    lower = upper = None
    mass = 1.0
    if "lower" in common or "upper" in common:
        if family.discrete:
            key = "lower" if "lower" in common else "upper"
            raise ScenarioError(
                f"truncation applies only to continuous distributions; "
                f"dist = \"{family.name}\" is discrete",
                f"{path}.{key}",
            )
        if "lower" in common:
            lower = _num(common, "lower", path)
        if "upper" in common:
            upper = _num(common, "upper", path)
        if lower is not None and upper is not None and not lower < upper:
            raise ScenarioError(
                f"must be greater than lower ({_fmt(lower)}), got {_fmt(upper)}", f"{path}.upper"
            )
        frozen = family.scipy(canon)
        flo = float(frozen.cdf(lower)) if lower is not None else 0.0
        fhi = float(frozen.cdf(upper)) if upper is not None else 1.0
        mass = fhi - flo
        if not mass >= MIN_TRUNCATED_MASS:
            key = "lower" if lower is not None else "upper"
            raise ScenarioError(
                f"the bounds keep only {mass:.2e} of the distribution's probability "
                f"(at least {MIN_TRUNCATED_MASS:g} is required); check lower/upper "
                "against the distribution's parameters",
                f"{path}.{key}",
            )
    given = {k: v for k, v in given.items()}
    return Distribution(
        family.name,
        canon,
        given,
        per,
        lower,
        upper,
        common.get("unit"),
        common.get("description"),
        mass,
    )
