"""numba kernels used by the generated per-scenario code: random streams, inverse CDFs, metrics.

Every function here is ``@njit(cache=True, nogil=True)`` and free of Python objects, so
the generated kernel can call them and run on several threads at once.
"""
from .startup import skip_blas_probe

skip_blas_probe()
