"""Scrambled Sobol direction numbers from scipy, for the ``sobol`` uniform source.

Replicate ``r`` under ``seed`` is ``scipy.stats.qmc.Sobol(d, scramble=True, bits=BITS,
rng=default_rng(SeedSequence([seed, r, SALT])))``: a linear matrix scramble (LMS) and a digital
shift of the Sobol sequence (Joe-Kuo direction numbers).  We take its scrambled direction
numbers ``_sv`` (d × BITS) and its shift ``_shift`` (d) -- private attributes of scipy 1.17,
checked by the tests against ``Sobol.random`` -- and the kernel computes any point from them
(``roisim.kernels.sobol``).  The replicates' scrambles are independent, as randomised QMC needs.
"""

from __future__ import annotations

import numpy as np

from roisim.errors import ScenarioError
from roisim.kernels.sobol import BITS

#: scipy's Sobol supports at most this many dimensions (``Sobol.MAXDIM``)
MAX_DIMENSIONS = 21201
#: points a replicate may have (``2**BITS``: scipy's limit for ``bits = 30``)
MAX_POINTS = 2**BITS
SALT = 0x50B01  # keeps these seeds apart from any other use of the scenario's seed


def check_dimensions(d: int) -> int:
    """``d``, or a ScenarioError when the sequence would need more dimensions than it has."""
    if d > MAX_DIMENSIONS:
        raise ScenarioError(
            f"sobol sampling needs one dimension per per-run input and per (per-year input, "
            f"year): this scenario needs {d:,}, more than the {MAX_DIMENSIONS:,} the Sobol "
            "generator supports; use sampling = \"lhs\" or \"random\"",
            "simulation.sampling",
        )
    return d


def generator(d: int, replicate: int, seed: int):
    """scipy's scrambled Sobol generator of ``replicate`` under ``seed``."""
    from scipy.stats import qmc

    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(replicate), SALT]))
    return qmc.Sobol(d, scramble=True, bits=BITS, rng=rng)


def scrambled_numbers(d: int, replicates: int, seed: int) -> np.ndarray:
    """(replicates, d, BITS + 1): each dimension's scrambled direction numbers, then its shift."""
    out = np.empty((replicates, d, BITS + 1))
    for r in range(replicates):
        sobol = generator(d, r, seed)
        out[r, :, :BITS] = sobol._sv
        out[r, :, BITS] = sobol._shift
    return out
