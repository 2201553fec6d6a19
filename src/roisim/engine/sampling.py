"""Where every random input's uniform comes from: the plan's *uniform source*.

The code generator never writes a uniform itself.  For each random input it asks the plan's
source (``Plan.sampling``, default ``"independent"``) for the code of that input's uniform ``u``
in (0, 1), and hands ``u`` to the input's inverse CDF in :mod:`roisim.kernels.inverse`.  The
distribution samplers therefore never know how ``u`` was made, and a new way of making uniforms
(Latin hypercube, Sobol, a Gaussian copula) is one class here, with no change to them.

The one source today, :class:`Independent`, is the counter-based uniform
``uniform01(stream_keys[k], run, year)`` of :mod:`roisim.kernels.rng`: every input's uniform
is a pure function of (seed, input name, run, year), independent of every other input.

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
   change without recompiling.
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

#: the source every plan uses unless it asks for another
DEFAULT = "independent"


@dataclass(frozen=True)
class Stream:
    """One random input as a uniform source sees it."""

    index: int  # position in stream_keys (and in Plan.streams)
    name: str  # the input's name (what its key is made from)
    level: str  # "run" (one uniform per run) or "year" (one per run and year)


class UniformSource:
    """Makes the uniform of every random input (see the module docstring)."""

    name = ""
    imports: tuple[str, ...] = ()

    def numbers(self, streams: list[Stream]) -> list[float]:
        """Numbers this source reads from ``params`` (appended at ``first_number``)."""
        return []

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
