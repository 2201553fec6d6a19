"""roisim: Monte Carlo ROI simulation for MLOps business cases.

>>> import roisim
>>> scenario = roisim.load_scenario("scenarios/fintech.toml")      # doctest: +SKIP
>>> result = roisim.simulate(scenario, runs=1_000_000, seed=7)      # doctest: +SKIP
>>> result.summary["metrics"]["npv"]["prob_positive"]               # doctest: +SKIP
"""
import os as _os

# LLVM -O2 instead of numba's default -O3: the same kernel speed (measured) and about 20% less
# compile time on a cold start.  Has no effect if numba was imported first; NUMBA_OPT overrides.
_os.environ.setdefault("NUMBA_OPT", "2")

from ._version import __version__  # noqa: E402
from .errors import ScenarioError
from .loading import load_scenario
from .result import Result
from .scenario import Scenario
from .simulation import simulate
from . import finance

__all__ = ["__version__", "ScenarioError", "load_scenario", "simulate", "Scenario", "Result", "finance"]
