"""roisim: Monte Carlo ROI simulation for MLOps business cases.

>>> import roisim
>>> scenario = roisim.load_scenario("scenarios/fintech.toml")      # doctest: +SKIP
>>> result = roisim.simulate(scenario, runs=1_000_000, seed=7)      # doctest: +SKIP
>>> result.summary["metrics"]["npv"]["prob_positive"]               # doctest: +SKIP

``load_scenario``, ``Scenario`` and ``ScenarioError`` load without numba; ``simulate``,
``Result`` and ``finance`` are imported on first use, so ``roisim validate`` never loads numba.
"""

import gc as _gc
import os as _os
from contextlib import contextmanager as _contextmanager

# LLVM -O2 instead of numba's default -O3: the same kernel speed (measured) and less compile
# time on a cold start.  Has no effect if numba was imported first; NUMBA_OPT overrides.
_os.environ.setdefault("NUMBA_OPT", "2")


@_contextmanager
def _quick_imports():
    """Import without Python's cyclic garbage collector, then restore it as it was.

    Importing numpy and numba creates some hundred thousand long-lived objects and no garbage
    to speak of; with the collector on, its full collections walk them all again and again,
        which cost a warm ``roisim run`` about 30 ms.  Only the import statements run without it,
    and what they made is then moved out of the collector's sight (``gc.freeze``: modules,
    classes and functions live as long as the process anyway)."""
    was_enabled = _gc.isenabled()
    _gc.disable()
    try:
        yield
    finally:
        _gc.freeze()  # what was imported lives on: later collections need not walk it again
        if was_enabled:
            _gc.enable()


from roisim._version import __version__  # noqa: E402

with _quick_imports():
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
    with _quick_imports():
        module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
