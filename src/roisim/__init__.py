"""roisim: Monte Carlo ROI simulation for MLOps business cases.

>>> import roisim
>>> scenario = roisim.load_scenario("scenarios/fintech.toml")      # doctest: +SKIP
>>> result = roisim.simulate(scenario, runs=1_000_000, seed=7)      # doctest: +SKIP
>>> result.summary["metrics"]["npv"]["prob_positive"]               # doctest: +SKIP

``load_scenario``, ``Scenario`` and ``ScenarioError`` load without numba; ``simulate``,
``Result`` and ``finance`` are imported on first use, so ``roisim validate`` never loads numba.
"""

import os as _os

# LLVM -O2 instead of numba's default -O3: the same kernel speed (measured) and less compile
# time on a cold start.  Has no effect if numba was imported first; NUMBA_OPT overrides.
_os.environ.setdefault("NUMBA_OPT", "2")

from roisim._imports import quick_imports  # noqa: E402
from roisim._version import __version__  # noqa: E402

with quick_imports():
    from roisim.errors import ScenarioError
    from roisim.scenario.loading import load_scenario
    from roisim.scenario.model import Scenario

_LAZY = {
    "simulate": ("roisim.analysis.simulate", "simulate"),
    "Result": ("roisim.result", "Result"),
    "finance": ("roisim.finance", None),
    "sensitivity": ("roisim.analysis.sensitivity", "sensitivity"),
    "stress": ("roisim.analysis.stress", "stress"),
    "breakeven": ("roisim.analysis.breakeven", "breakeven"),
    "compare": ("roisim.analysis.compare", "compare"),
}

__all__ = ["__version__", "ScenarioError", "load_scenario", "simulate", "Scenario", "Result",
           "finance", "sensitivity", "stress", "breakeven", "compare"]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'roisim' has no attribute {name!r}")
    import importlib

    module_name, attr = _LAZY[name]
    with quick_imports():
        module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
