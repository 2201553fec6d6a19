"""Stream keys of the random inputs, in plain Python (no numba).

The key of input ``name`` under ``seed`` starts the SplitMix64 stream that
:func:`roisim.kernels.rng.uniform01` reads; a draw is then a pure function of
(seed, name, run, year).  A plan stores only the seed-free half, :func:`name_hash` of each
random input's name, and :func:`stream_keys` combines those with a seed when the plan is bound to
one (cheap: two mixes per input), so plans for different seeds share one cache entry.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import numpy as np

MASK64 = (1 << 64) - 1
GAMMA = 0x9E3779B97F4A7C15  # SplitMix64's increment, as in roisim.kernels.rng


def _mix(z: int) -> int:
    """SplitMix64's output function on Python integers (as :func:`roisim.kernels.rng.mix64`)."""
    z &= MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def name_hash(name: str) -> int:
    """A 64-bit hash of an input's name (BLAKE2b)."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


def seed_mix(seed: int) -> int:
    """The part of every key that depends on the seed only."""
    return _mix(seed + GAMMA)


def input_key(seed: int, name: str) -> int:
    """The stream key of input ``name`` under ``seed``."""
    return _mix(seed_mix(seed) ^ name_hash(name))


def stream_keys(seed: int, name_hashes: Iterable[int]) -> np.ndarray:
    """The stream keys under ``seed`` of the inputs whose :func:`name_hash` values are given."""
    mixed = seed_mix(seed)
    return np.array([_mix(mixed ^ int(h)) for h in name_hashes], dtype=np.uint64)
