"""Correlated inputs: a uniform source that mixes another source's uniforms through a copula.

``Copula(base, correlations)`` wraps any uniform source (``roisim.engine.sampling``): the
inputs that ``[correlations]`` names draw their uniforms from ``base`` as usual, then, once per
run (per-run group) or once per run and year (per-year group), the kernel computes

    z_i = Φ⁻¹(u_i),   z'_i = Σ_j L_ij z_j,   u'_i = Φ(z'_i)

with L the lower Cholesky factor of the group's normal-score matrix R_n (an eigenvalue factor
when R_n is singular, e.g. a correlation of 1), and hands u'_i to the input's inverse CDF.
Each u'_i is uniform (a normal score mixed by a row of L with unit norm is standard normal), so
every input keeps its own distribution exactly; only which values go together changes.  The
draws stay a pure function of (seed, inputs, run, year), so streaming, threads and Dask give the
same numbers; stratified base sources stay stratified before the mixing ("correlate after
stratifying").  L is a number in ``params``: changing a correlation does not recompile.
"""
from __future__ import annotations

import numpy as np

from roisim.engine.sampling import Stream, UniformSource

IMPORTS = (
    "from roisim.kernels.inverse import ndtri",
    "from roisim.kernels.copula import normal_cdf_open",
)


def factor(matrix) -> np.ndarray:
    """A lower-triangular L with L·Lᵀ = matrix (Cholesky); for a singular positive
    semi-definite matrix, V·diag(√λ) from its eigendecomposition (then not triangular)."""
    m = np.asarray(matrix, dtype=float)
    try:
        return np.linalg.cholesky(m)
    except np.linalg.LinAlgError:
        values, vectors = np.linalg.eigh(m)
        return vectors * np.sqrt(np.clip(values, 0.0, None))


class Copula(UniformSource):
    """``base``'s uniforms, correlated within each group of ``correlations.groups``."""

    def __init__(self, base: UniformSource, correlations):
        self.base = base
        self.name = f"{base.name}+copula"
        self.imports = tuple(dict.fromkeys(base.imports + IMPORTS))
        self.groups = correlations.groups
        self.needs_runs = base.needs_runs
        self.needs_seed = base.needs_seed

    def _members(self, streams: list[Stream]):
        """(level, stream indices, offset of its factor in this source's numbers) per group."""
        by_name = {s.name: s for s in streams}
        offset = len(self.base.numbers(streams))
        out = []
        for group in self.groups:
            members = [by_name[n].index for n in group.inputs]
            out.append((group.level, members, offset))
            offset += len(members) ** 2
        return out

    def numbers(self, streams: list[Stream]) -> list[float]:
        return self._with_factors(self.base.numbers(streams))

    def bound_numbers(self, streams, runs, seed):
        return self._with_factors(self.base.bound_numbers(streams, runs, seed))

    def _with_factors(self, base_numbers) -> list[float]:
        out = list(base_numbers)
        for group in self.groups:
            out += [float(v) for v in factor(group.normal).ravel()]
        return out

    def _prelude(self, level: str, streams, first_number: int) -> list[str]:
        lines = []
        for group_level, members, offset in self._members(streams):
            if group_level != level:
                continue
            k = len(members)
            for m in members:
                lines.append(f"cz_{m} = ndtri({self.base.uniform(streams[m], first_number)})")
            for i, m in enumerate(members):
                start = first_number + offset + i * k
                terms = " + ".join(f"params[{start + j}] * cz_{members[j]}" for j in range(k))
                lines.append(f"cu_{m} = normal_cdf_open({terms})")
        return lines

    def run_prelude(self, streams, first_number):
        return self.base.run_prelude(streams, first_number) + self._prelude(
            "run", streams, first_number)

    def year_prelude(self, streams, first_number):
        return self.base.year_prelude(streams, first_number) + self._prelude(
            "year", streams, first_number)

    def uniform(self, stream: Stream, first_number: int) -> str:
        for group in self.groups:
            if stream.name in group.inputs:
                return f"cu_{stream.index}"
        return self.base.uniform(stream, first_number)


def source_for(scenario, name: str) -> UniformSource:
    """The uniform source a plan of ``scenario`` uses: the registered source ``name`` (or the
    scenario's ``sampling`` name, e.g. "random"; Sobol with the scenario's replicates), wrapped
    in a :class:`Copula` when the scenario has a ``[correlations]`` table."""
    from roisim.engine import sampling

    base = sampling.for_scenario(name, scenario.replicates)
    return Copula(base, scenario.correlations) if scenario.correlations else base
