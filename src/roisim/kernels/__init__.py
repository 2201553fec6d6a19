"""numba kernels used by the generated per-scenario code: random streams, inverse CDFs, metrics.

Every function here is ``@njit(cache=True, nogil=True)`` and free of Python objects, so
the generated kernel can call them and run on several threads at once.
"""

from .startup import load_without_refresh, skip_blas_probe

skip_blas_probe()

from . import binomial, inverse, metrics, reduce, rng  # noqa: E402

for _module in (binomial, inverse, metrics, reduce, rng):
    load_without_refresh(vars(_module))
