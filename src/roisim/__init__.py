"""roisim: Monte Carlo ROI simulation for MLOps business cases.

>>> import roisim
>>> scenario = roisim.load_scenario("scenarios/fintech.toml")      # doctest: +SKIP
>>> result = roisim.simulate(scenario, runs=1_000_000, seed=7)      # doctest: +SKIP
>>> result.summary["metrics"]["npv"]["prob_positive"]               # doctest: +SKIP
"""
from ._version import __version__
from .errors import ScenarioError
from .loading import load_scenario
from .result import Result
from .scenario import Scenario
from .simulation import simulate
from . import finance

__all__ = ["__version__", "ScenarioError", "load_scenario", "simulate", "Scenario", "Result", "finance"]
