"""Sensitivity's array figures in streaming mode: bounded memory at any run count.

In memory, ``roisim.analysis.sensitivity`` holds every uncertain input's value in every run
and sorts them.  Streaming (``summary_only``) never holds more than one block of runs:

1. a *pilot* (the first ``PILOT`` runs) fixes, per variable, the grade function of
   ``roisim.analysis.grades`` (its mid-rank ECDF), the given-data bin edges (the pilot's
   deciles) and the spline's knots;
2. one pass over all the runs, block by block, accumulates per input: the moments of the
   grades of the input and of the metric (Spearman's ρ is their Pearson correlation), the
   count and sum of the metric in each given-data bin, the spline regression's normal
   equations and the count of runs per grade code (so that the mean of max(ĝ, 0) over the
   runs is exact for the fitted ĝ), and the sums the switching search's first guess uses;
   and for the NPV the sums that give EVPI and its interval exactly.

Every figure except Spearman's ρ, the given-data bin boundaries and the EVPPI's normal scores
is the in-memory formula; those three rank runs against the pilot rather than against every
run (a run tied at a given-data edge goes by its place in run order among the runs expected to
tie there), docs/methodology.md §11 gives the accuracy measured.  Blocks are reduced in run order,
so the result does not depend on the thread count.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from roisim.analysis.correlation import contribution_to_variance
from roisim.analysis.given_data import BINS
from roisim.analysis.grades import Grades
from roisim.analysis.uncertain import input_values
from roisim.analysis.value_of_information import SPLINE_KNOTS, Z
from roisim.analysis.variant_runs import CHUNK, collect
from roisim.engine.layout import ROW
from roisim.engine.run import run_range

#: runs in the pilot that fixes grades, bin edges and knots
PILOT = 1 << 17


@dataclass
class _Moments:
    """Shifted sums of one or two per-run quantities over the runs counted."""

    n: int = 0
    sums: np.ndarray = field(default_factory=lambda: np.zeros(5))

    def add(self, a: np.ndarray, b: np.ndarray) -> None:
        self.n += a.size
        self.sums += (a.sum(), b.sum(), a @ a, b @ b, a @ b)

    def correlation(self) -> float:
        if self.n < 2:
            return math.nan
        sa, sb, saa, sbb, sab = self.sums / self.n
        va, vb = saa - sa * sa, sbb - sb * sb
        return float((sab - sa * sb) / math.sqrt(va * vb)) if va > 0 and vb > 0 else math.nan

    def slope_effect(self, shift: float) -> float | None:
        """b·x̄ for the least-squares slope b of b-values on a-values (a = x − shift)."""
        if self.n < 2:
            return None
        sa, sb, saa, _, sab = self.sums / self.n
        var = saa - sa * sa
        return (sab - sa * sb) / var * (sa + shift) if var > 0 else None


class _InputSums:
    """Everything one uncertain input accumulates over the pass."""

    def __init__(self, x_pilot: np.ndarray, knots: int):
        self.grades = Grades.from_pilot(x_pilot)
        self.cuts = self.grades.cut_points(BINS)
        self.bounds = (np.arange(1, BINS) * self.grades.size // BINS) / max(self.grades.size, 1)
        self.ties = {}
        self.shift = float(np.mean(x_pilot)) if x_pilot.size else 0.0
        z = self.grades.scores(self.grades.codes(self.grades.pilot))
        knots_at = np.unique(np.quantile(z, np.linspace(0.0, 1.0, knots + 2)[1:-1]))
        self.knots = knots_at[(knots_at > z.min()) & (knots_at < z.max())] if z.size else z
        k = 2 + self.knots.size
        self.gram, self.rhs = np.zeros((k, k)), np.zeros(k)
        self.code_counts = np.zeros(2 * self.grades.size + 1, dtype=np.int64)
        self.bin_sums, self.bin_counts = np.zeros(BINS), np.zeros(BINS, dtype=np.int64)
        self.ranks, self.guess = _Moments(), _Moments()
        self.constant = bool(x_pilot.size) and float(np.ptp(x_pilot)) == 0.0

    def expect_ties(self, runs: int) -> None:
        """Note the decile values that several pilot runs share, with the number of runs
        expected to share them in all ``runs`` runs."""
        pilot, n = self.grades.pilot, self.grades.size
        for value in np.unique(self.cuts):
            less = int(np.searchsorted(pilot, value, side="left"))
            equal = int(np.searchsorted(pilot, value, side="right")) - less
            if equal > 1:
                self.ties[float(value)] = {"less": less, "equal": equal, "seen": 0,
                                           "expected": equal * runs / n}

    def basis(self, z: np.ndarray) -> np.ndarray:
        out = np.empty((z.size, 2 + self.knots.size))
        out[:, 0], out[:, 1] = 1.0, z
        np.maximum(z[:, None] - self.knots[None, :], 0.0, out=out[:, 2:])
        return out

    def add(self, x, y, y_grade, y_kept, y_finite, npv) -> None:
        codes = self.grades.codes(x)
        grade = codes[y_kept] / (2.0 * max(self.grades.size, 1))
        self.ranks.add(grade - 0.5, y_grade)
        bins = self.bins(x)
        self.bin_sums += np.bincount(bins[y_finite], weights=y[y_finite], minlength=BINS)
        self.bin_counts += np.bincount(bins[y_finite], minlength=BINS)
        basis = self.basis(self.grades.scores(codes))
        self.gram += basis.T @ basis
        self.rhs += basis.T @ npv
        self.code_counts += np.bincount(codes, minlength=self.code_counts.size)
        self.guess.add(x - self.shift, npv)

    def bins(self, x: np.ndarray) -> np.ndarray:
        """Each run's given-data bin: by the pilot's deciles, and, for a run whose value equals
        a decile (a discrete input's tie), by its place in run order among the runs tied at
        that value, as the in-memory stable sort splits a tie between two bins."""
        bins = np.searchsorted(self.cuts, x, side="right")
        for value, tie in self.ties.items():
            hit = np.flatnonzero(x == value)
            if hit.size:
                place = (tie["seen"] + np.arange(hit.size) + 0.5) / tie["expected"]
                where = (tie["less"] + np.minimum(place, 1.0) * tie["equal"]) / self.grades.size
                bins[hit] = np.searchsorted(self.bounds, where, side="right")
                tie["seen"] += hit.size
        return bins

    def given_data(self, runs: int) -> dict:
        if runs < BINS:
            return {"bins": [None] * BINS, "low": None, "high": None}
        means = [float(s / c) if c else None for s, c in zip(self.bin_sums, self.bin_counts)]
        present = [m for m in means if m is not None]
        return {"bins": means, "low": min(present, default=None),
                "high": max(present, default=None)}

    def evppi(self, npv_mean: float, runs: int) -> float:
        if self.constant or runs < SPLINE_KNOTS + 3:
            return 0.0
        coef = np.linalg.lstsq(self.gram, self.rhs, rcond=None)[0]
        used = np.flatnonzero(self.code_counts)
        fitted = self.basis(self.grades.scores(used)) @ coef
        gain = float(self.code_counts[used] @ np.maximum(fitted, 0.0)) / runs
        return max(gain - max(npv_mean, 0.0), 0.0)


class _NpvSums:
    """Exact sums for the mean NPV, its sd and EVPI's two candidate regrets."""

    def __init__(self):
        self.n = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.regret = np.zeros(4)  # Σmax(NPV,0), Σmax(NPV,0)², Σmax(−NPV,0), Σmax(−NPV,0)²

    def add(self, npv: np.ndarray) -> None:
        n, mean = npv.size, float(npv.mean())
        delta, total = mean - self.mean, self.n + n
        self.m2 += float(((npv - mean) ** 2).sum()) + delta * delta * self.n * n / total
        self.mean += delta * n / total
        self.n = total
        up, down = np.maximum(npv, 0.0), np.maximum(-npv, 0.0)
        self.regret += (up.sum(), up @ up, down.sum(), down @ down)

    def sd(self) -> float:
        return math.sqrt(self.m2 / self.n) if self.n else math.nan

    def evpi(self) -> tuple[float, list[float]]:
        if not self.n:
            return math.nan, [math.nan, math.nan]
        s, s2 = (self.regret[2:] if self.mean > 0.0 else self.regret[:2])
        value = s / self.n
        var = (s2 - self.n * value * value) / (self.n - 1) if self.n > 1 else 0.0
        half = Z * math.sqrt(max(var, 0.0)) / math.sqrt(self.n)
        return float(value), [max(0.0, value - half), value + half]


@dataclass
class StreamedFigures:
    """What :func:`streamed_figures` returns: the rows sensitivity fills in, the switching
    search's first guesses, EVPI, the base figures and the NPV's mean and sd."""

    rows: list[dict]
    guesses: list
    evpi: tuple
    base: dict
    npv_mean: float
    npv_sd: float
    pilot_runs: int


def streamed_figures(plan, runs, inputs, metric, *, threads=None, tick=None, chunk=CHUNK):
    """The array figures of every input in ``inputs`` from a pilot and one pass over
    ``runs`` runs of ``plan``, holding one block (``chunk`` runs) at a time."""
    pilot = min(runs, PILOT)
    y0, _, values0 = collect(plan, pilot, inputs, metric, threads=threads, tick=tick)
    y_grades = Grades.from_pilot(y0)
    sums = [_InputSums(v, SPLINE_KNOTS) for v in values0]
    for acc in sums:
        acc.expect_ties(runs)
    del values0
    npv_sums, finite_n, finite_sum = _NpvSums(), 0, 0.0
    for start in range(0, runs, chunk):
        n = min(chunk, runs - start)
        arrays = run_range(plan, start, n, threads=threads, keep_inputs=True)
        y, npv = arrays.values[ROW[metric]], arrays.values[ROW["npv"]]
        kept, finite = ~np.isnan(y), np.isfinite(y)
        y_grade = y_grades.grade(y[kept]) - 0.5
        for inp, acc in zip(inputs, sums):
            acc.add(input_values(inp, arrays), y, y_grade, kept, finite, npv)
        npv_sums.add(npv)
        finite_n += int(finite.sum())
        finite_sum += float(y[finite].sum())
        if tick:
            tick(n)
    npv_mean = npv_sums.mean
    rows = [_row(inp, acc, npv_mean, runs) for inp, acc in zip(inputs, sums)]
    for row, c in zip(rows, contribution_to_variance([r["spearman"] for r in rows])):
        row["contribution_to_variance"] = c
    guesses = [_guess(acc, npv_mean) for acc in sums]
    base = {"mean": finite_sum / finite_n if finite_n else None,
            "finite_share": finite_n / runs, "npv_mean": npv_mean}
    return StreamedFigures(rows, guesses, npv_sums.evpi(), base, npv_mean, npv_sums.sd(), pilot)


def _row(inp, acc: _InputSums, npv_mean: float, runs: int) -> dict:
    return {
        "name": inp.name, "field": inp.path, "per": inp.per, "unit": inp.unit,
        "spearman": acc.ranks.correlation(),
        "given_data": acc.given_data(runs),
        "evppi": acc.evppi(npv_mean, runs),
    }


def _guess(acc: _InputSums, npv_mean: float) -> float | None:
    effect = acc.guess.slope_effect(acc.shift)
    return 1.0 - npv_mean / effect if effect else None
