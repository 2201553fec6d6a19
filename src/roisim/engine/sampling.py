"""Where every random input's uniform comes from: the plan's *uniform source*.

The code generator never writes a uniform itself.  For each random input it asks the plan's
source (``Plan.sampling``, default ``"independent"``) for the code of that input's uniform ``u``
in (0, 1), and hands ``u`` to the input's inverse CDF in :mod:`roisim.kernels.inverse`.  The
distribution samplers therefore never know how ``u`` was made, and a new way of making uniforms
(Latin hypercube, Sobol, a Gaussian copula) is one class here, with no change to them.

:class:`Independent` (``sampling = "random"``) is the counter-based uniform
``uniform01(stream_keys[k], run, year)`` of :mod:`roisim.kernels.rng`: every input's uniform
is a pure function of (seed, input name, run, year), independent of every other input.
:class:`LatinHypercube` (``"lhs"``) stratifies it over the plan's total runs, and
:class:`Sobol` (``"sobol"``) replaces it by points of R scrambled Sobol sequences; the scenario's
``sampling`` maps to a source by ``SCENARIO_SOURCES`` (docs/methodology.md, section 19).

How to add a source
-------------------
1. Subclass :class:`UniformSource` and give it a unique ``name``.
2. ``imports``: the import lines the kernel needs (numba functions, e.g. from ``roisim.kernels``).
3. ``uniform(stream, first_number)``: the code of one uniform, an expression that may read the
   kernel's variables ``run`` (the run's index in the whole simulation, the same in every block),
   ``t`` (the year 0..H; per-year inputs only), ``stream_keys[stream.index]`` (the input's 64-bit
   key from the seed and its name), ``params`` and ``tables``.
4. Optionally ``run_prelude(streams, first_number)``: lines run once per run before any input is
   computed, e.g. a copula's correlated normal scores ``z_k`` from independent ones, after which
   ``uniform`` returns ``ndtr(z_k)`` (and ``year_prelude`` likewise at the start of each year).
5. Optionally ``numbers(streams)``: numbers the source needs (a Cholesky factor, Sobol direction
   numbers, a scrambling seed).  The plan appends them to ``params`` at ``first_number``, so they
   change without recompiling.  Numbers that depend on the total runs or the seed: set
   ``needs_runs`` / ``needs_seed`` and give ``bound_numbers(streams, runs, seed)``; the plan
   writes them when it is bound (``Plan.with_runs``, ``Plan.with_seed``).
6. ``register(MySource())``; a plan then chooses it with ``build_plan(..., sampling="name")``.

Rules every source keeps, because the rest of roisim relies on them:

* Uniforms lie strictly inside (0, 1), as ``uniform01``'s do ([2^-53, 1 - 2^-53]).
* A uniform depends only on (seed, inputs, run, year): never on the block, the thread or the order
  in which runs are computed, so any block of runs can be regenerated anywhere, bit for bit.
* Whatever is shared between inputs is computed in the preludes, never inside ``uniform``: an
  input that is held at a value (``roisim.engine.variants``) skips its ``uniform``, and that must
  not change any other input's draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from roisim.errors import ScenarioError, suggest
from roisim.scenario.model import DEFAULT_REPLICATES

#: the source every plan uses unless it asks for another
DEFAULT = "independent"


@dataclass(frozen=True)
class Stream:
    """One random input as a uniform source sees it."""

    index: int  # position in stream_keys (and in Plan.streams)
    name: str  # the input's name (what its key is made from)
    level: str  # "run" (one uniform per run) or "year" (one per run and year)
    #: the first of its dimensions in a low-discrepancy sequence: a per-run input takes one,
    #: a per-year input one per year (``width``); see :func:`make_streams`
    dimension: int = 0
    width: int = 1
    total: int = 0  # the dimensions of the whole sequence (0: as many as the streams take)


def make_streams(names, levels: dict, years: int, shared: tuple = ()) -> list[Stream]:
    """The streams of the random inputs ``names`` (in stream order), their dimensions laid out
    one after another: one per per-run input, ``years`` per per-year input.

    ``shared`` (from :func:`shared_dimensions`) lays them out as in a sequence shared by several
    plans instead, so that an input of the same name and level takes the same dimensions in each
    (common random numbers between compared scenarios)."""
    out, dimension = [], 0
    if shared:
        first, where = 0, {}
        for name, level, width in shared:
            where[(name, level)] = first
            first += width
        for k, name in enumerate(names):
            width = years if levels[name] == "year" else 1
            start = where[(name, levels[name])]
            out.append(Stream(k, name, levels[name], start, width, first))
        return out
    for k, name in enumerate(names):
        width = years if levels[name] == "year" else 1
        out.append(Stream(k, name, levels[name], dimension, width))
        dimension += width
    return out


def shared_dimensions(stream_lists) -> tuple:
    """One layout of dimensions for several plans' streams: ((name, level, width), ...) in
    order of first appearance, each as wide as its widest use."""
    widths: dict = {}
    for streams in stream_lists:
        for s in streams:
            key = (s.name, s.level)
            widths[key] = max(widths.get(key, 0), s.width)
    return tuple((name, level, width) for (name, level), width in widths.items())


class UniformSource:
    """Makes the uniform of every random input (see the module docstring)."""

    name = ""
    imports: tuple[str, ...] = ()
    #: True when some of its numbers depend on the total number of runs (``bound_numbers``)
    needs_runs = False
    #: True when some of its numbers depend on the seed (``bound_numbers``)
    needs_seed = False

    def numbers(self, streams: list[Stream]) -> list[float]:
        """Numbers this source reads from ``params`` (appended at ``first_number``)."""
        return []

    def bound_numbers(self, streams: list[Stream], runs: int | None, seed: int | None):
        """The same numbers once the plan knows its total ``runs`` and its ``seed`` (either may
        be None: then placeholders of the same length).  Only called when ``needs_runs`` or
        ``needs_seed``; a plan writes them over its numbers in ``with_runs``/``with_seed``."""
        return self.numbers(streams)

    def run_prelude(self, streams: list[Stream], first_number: int) -> list[str]:
        """Kernel lines run once per run, before the run's inputs."""
        return []

    def year_prelude(self, streams: list[Stream], first_number: int) -> list[str]:
        """Kernel lines run once per run and year, before the year's inputs."""
        return []

    def uniform(self, stream: Stream, first_number: int) -> str:
        """The kernel code of ``stream``'s uniform."""
        raise NotImplementedError


class Independent(UniformSource):
    """Independent counter-based uniforms: ``uniform01(key, run, year)`` (``kernels/rng.py``)."""

    name = "independent"
    imports = ("from roisim.kernels.rng import uniform01",)

    def uniform(self, stream: Stream, first_number: int) -> str:
        year = "t" if stream.level == "year" else "0"
        return f"uniform01(stream_keys[{stream.index}], run, {year})"


class LatinHypercube(UniformSource):
    """One Latin hypercube over all N runs (``kernels/lhs.py``): the stratum of each run is a
    keyed bijection of 0..N-1 (per input, and per year for a per-year input), and the jitter
    inside the stratum is the input's independent uniform.  Its numbers are N and the bit
    length of N - 1, so a plan must know its total runs (``Plan.with_runs``)."""

    name = "lhs"
    imports = ("from roisim.kernels.lhs import lhs_uniform",)
    needs_runs = True

    def numbers(self, streams):
        return [0.0, 0.0]  # N and its bit length, written by bound_numbers

    def bound_numbers(self, streams, runs, seed):
        if runs is None:
            return self.numbers(streams)
        return [float(runs), float(max(0, int(runs) - 1).bit_length())]

    def run_prelude(self, streams, first_number):
        return [
            f"lhs_n = np.int64(params[{first_number}])",
            f"lhs_bits = np.int64(params[{first_number + 1}])",
        ]

    def uniform(self, stream, first_number):
        year = "t" if stream.level == "year" else "0"
        return f"lhs_uniform(stream_keys[{stream.index}], run, {year}, lhs_n, lhs_bits)"


class Sobol(UniformSource):
    """R scrambled Sobol sequences, the replicates (``kernels/sobol.py``, ``engine/qmc.py``).

    Run ``r`` is point ``r // R`` of replicate ``r % R``, so the first N runs hold the first
    N/R points of every replicate (and 2N runs extend each replicate, keeping the first N runs).
    Dimension ``stream.dimension`` (+ t for a per-year input in year t) of the sequence drives
    each input.  Its numbers: R, a fixed replicate (-1: none; ``Plan.with_replicate``), the
    number of dimensions D, then for each replicate and dimension the scrambled direction
    numbers and the digital shift (from the seed, ``bound_numbers``)."""

    name = "sobol"
    imports = ("from roisim.kernels.sobol import gray, sobol_uniform",)
    needs_seed = True
    HEAD = 3  # R, the fixed replicate, D

    def __init__(self, replicates: int = DEFAULT_REPLICATES):
        self.replicates = int(replicates)

    @staticmethod
    def dimensions(streams) -> int:
        return max((max(s.dimension + s.width, s.total) for s in streams), default=0)

    def numbers(self, streams):
        from roisim.engine.qmc import BITS, check_dimensions

        d = check_dimensions(self.dimensions(streams))
        head = [float(self.replicates), -1.0, float(d)]
        return head + [0.0] * (self.replicates * d * (BITS + 1))

    def bound_numbers(self, streams, runs, seed):
        from roisim.engine.qmc import scrambled_numbers

        numbers = self.numbers(streams)
        d = self.dimensions(streams)
        if seed is None or d == 0:
            return numbers
        table = scrambled_numbers(d, self.replicates, seed)
        return numbers[: self.HEAD] + [float(v) for v in table.ravel()]

    def run_prelude(self, streams, first_number):
        from roisim.engine.qmc import BITS

        f = first_number
        every = "sob_fixed < 0.0"
        return [
            f"sob_r = np.int64(params[{f}])",
            f"sob_fixed = params[{f + 1}]",
            f"sob_rep = run % sob_r if {every} else np.int64(sob_fixed)",
            f"sob_code = gray(run // sob_r if {every} else run)",
            f"sob_base = {f + self.HEAD} + sob_rep * np.int64(params[{f + 2}]) * {BITS + 1}",
        ]

    def uniform(self, stream, first_number):
        from roisim.engine.qmc import BITS

        dim = f"({stream.dimension} + t)" if stream.level == "year" else f"{stream.dimension}"
        return f"sobol_uniform(params, sob_base + {dim} * {BITS + 1}, sob_code)"


#: the scenario's ``[simulation] sampling`` -> the uniform source a plan uses
SCENARIO_SOURCES = {"random": "independent", "lhs": "lhs", "sobol": "sobol"}

SOURCES: dict[str, UniformSource] = {}


def register(source: UniformSource) -> UniformSource:
    """Make ``source`` available to plans under ``source.name``."""
    if not source.name:
        raise ValueError("a uniform source needs a name")
    SOURCES[source.name] = source
    return source


def get(name: str) -> UniformSource:
    """The registered source ``name``; a ScenarioError (with a suggestion) when there is none."""
    try:
        return SOURCES[name]
    except (KeyError, TypeError):
        raise ScenarioError(
            f"unknown sampling {name!r}{suggest(str(name), SOURCES)}; "
            f"choose one of {', '.join(SOURCES)}",
            "sampling",
        ) from None


register(Independent())
register(LatinHypercube())
register(Sobol())


def for_scenario(name: str, replicates: int = DEFAULT_REPLICATES) -> UniformSource:
    """The source ``name`` (a source's name or a scenario's sampling) for a scenario with
    ``replicates`` Sobol replicates."""
    name = SCENARIO_SOURCES.get(name, name)
    if name == Sobol.name:
        return Sobol(replicates)
    return get(name)
