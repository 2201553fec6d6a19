"""Stream keys of the random inputs, in plain Python (no numba): used when planning.

The key of input ``name`` under ``seed`` starts the SplitMix64 stream that
:func:`roisim.kernels.rng.uniform01` reads; a draw is then a pure function of
(seed, name, run, year).
"""

from __future__ import annotations

import hashlib

MASK64 = (1 << 64) - 1


def _mix(z: int) -> int:
    """SplitMix64's output function on Python integers (as :func:`roisim.kernels.rng.mix64`)."""
    z &= MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def name_hash(name: str) -> int:
    """A 64-bit hash of an input's name (BLAKE2b)."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def input_key(seed: int, name: str) -> int:
    """The stream key of input ``name`` under ``seed``."""
    return _mix(_mix(seed + 0x9E3779B97F4A7C15) ^ name_hash(name))
