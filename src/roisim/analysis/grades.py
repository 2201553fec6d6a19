"""Grades: a pilot sample's mid-rank ECDF, used to rank runs that are never held together.

Sensitivity in streaming mode (``roisim sensitivity --summary-only``) keeps no per-run vector,
so it cannot sort the runs.  It ranks each run against a *pilot*, the first runs of the same
sample, instead: the grade of a value v is

    G(v) = (#{pilot < v} + #{pilot ≤ v}) / (2P)

for a pilot of P values, the mid-rank empirical CDF.  Equal values share a grade (ties behave
as average ranks do), ±inf take the grades 0 and 1, and a value equal to the k-th smallest of
P distinct pilot values has grade (2k − 1)/(2P), the in-memory normal-score convention
(rank − ½)/n.  A grade is an integer code j = 2P·G ∈ {0, …, 2P}, so a count per code is
an exact, bounded summary of where the runs fall.

>>> import numpy as np
>>> g = Grades.from_pilot(np.array([1.0, 2.0, 2.0, 3.0]))
>>> g.codes(np.array([0.5, 1.0, 2.0, 2.5, 3.0, np.inf])).tolist()   # 2P = 8
[0, 1, 4, 6, 7, 8]
>>> g.grade(np.array([2.0])).tolist()
[0.5]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Grades:
    """The sorted, NaN-free pilot values of one variable."""

    pilot: np.ndarray

    @classmethod
    def from_pilot(cls, values: np.ndarray) -> Grades:
        values = np.asarray(values, dtype=float)
        return cls(np.sort(values[~np.isnan(values)], kind="stable"))

    @property
    def size(self) -> int:
        return int(self.pilot.size)

    def codes(self, values: np.ndarray) -> np.ndarray:
        """2P·G(v) for each value, as int64 (NaN values get code 0; callers drop them)."""
        left = np.searchsorted(self.pilot, values, side="left")
        right = np.searchsorted(self.pilot, values, side="right")
        return (left + right).astype(np.int64)

    def grade(self, values: np.ndarray) -> np.ndarray:
        """G(v) in [0, 1]."""
        return self.codes(values) / (2.0 * max(self.size, 1))

    def scores(self, codes: np.ndarray) -> np.ndarray:
        """Φ⁻¹ of each code's grade, the grade clipped to [1/(2P), 1 − 1/(2P)] so that values
        outside the pilot's range get the pilot's extreme normal scores, not ±inf."""
        from scipy import special

        twice = 2.0 * max(self.size, 1)
        return special.ndtri(np.clip(codes, 1, twice - 1) / twice)

    def cut_points(self, bins: int) -> np.ndarray:
        """The bins − 1 values that split the pilot into equal-count bins: the first pilot
        value of each bin after the first (so a value goes to bin searchsorted(cuts, v,
        'right'), and a run of tied values is never split)."""
        n = self.size
        return self.pilot[(np.arange(1, bins) * n) // bins] if n >= bins else np.empty(0)
