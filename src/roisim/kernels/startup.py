"""Start-up time: skip numba's BLAS probe, which imports scipy.linalg (about 0.3 s).

The first call of any numba function, even one loaded from the cache, imports
``numba.np.arraymath``, whose module-level ``_check_blas()`` imports ``scipy.linalg`` only to
learn whether ``np.dot`` may use BLAS.  roisim's kernels never call BLAS, and scipy is a
dependency of roisim, so the probe's answer is known: BLAS is there.  :func:`skip_blas_probe`
imports ``numba.np.arraymath`` with the probe answered "yes" without importing scipy.linalg.
numba's own linear algebra still imports and checks scipy itself when a function that uses
it is compiled (``numba.np.linalg.ensure_blas`` is put back at once).

It does nothing when ``numba.np.arraymath`` is already imported, and it never fails: should
numba's internals change, the probe simply runs as before.
"""
import sys


def skip_blas_probe() -> None:
    if "numba.np.arraymath" in sys.modules:
        return
    try:
        import numba.np.linalg as linalg
        probe = linalg.ensure_blas
    except (ImportError, AttributeError):
        return
    linalg.ensure_blas = _blas_is_there
    try:
        import numba.np.arraymath  # noqa: F401  (evaluates _HAVE_BLAS with the stub)
    except Exception:                # never let a start-up shortcut break an import
        pass
    finally:
        linalg.ensure_blas = probe


def _blas_is_there() -> None:
    return None
