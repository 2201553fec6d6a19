"""The TOML scenario format: plain data, validation, distributions, expressions and loading.

No numpy-heavy work and no numba here: ``roisim validate`` imports only this subpackage.
"""

from roisim.scenario.loading import load_scenario
from roisim.scenario.model import Scenario

__all__ = ["Scenario", "load_scenario"]
