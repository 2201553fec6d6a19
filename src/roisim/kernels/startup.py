"""Start-up time: two numba costs that a run which only loads cached kernels does not need.

1. **The BLAS probe.**
The first call of any numba function, even one loaded from the cache, imports
``numba.np.arraymath``, whose module-level ``_check_blas()`` imports ``scipy.linalg`` only to
learn whether ``np.dot`` may use BLAS.  roisim's kernels never call BLAS, and scipy is a
dependency of roisim, so the probe's answer is known: BLAS is there.  :func:`skip_blas_probe`
imports ``numba.np.arraymath`` with the probe answered "yes" without importing scipy.linalg.
numba's own linear algebra still imports and checks scipy itself when a function that uses
it is compiled (``numba.np.linalg.ensure_blas`` is put back at once).

It does nothing when ``numba.np.arraymath`` is already imported, and it never fails: should
numba's internals change, the probe simply runs as before.

2. **The registry refresh on a cache load.**  Before loading a cached function,
numba "refreshes" its target context: it imports and installs every lowering and typing
registry (about 2,000 implementations), which only *compiling* needs -- loaded machine code is
complete.  :func:`load_without_refresh` makes roisim's own dispatchers load from the cache
after initialising just numba's runtime (NRT, which allocations in the kernels use).  Anything
that is compiled still refreshes first (numba's compiler does that itself), and other
numba functions in the process are untouched.
"""

import sys
import types


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
    except Exception:  # never let a start-up shortcut break an import
        pass
    finally:
        linalg.ensure_blas = probe


def _blas_is_there() -> None:
    return None


def _load_overload(self, sig, target_context):
    """numba's ``Cache.load_overload`` without ``target_context.refresh()`` (see above)."""
    from numba.core.runtime import rtsys

    rtsys.initialize(target_context)
    with self._guard_against_spurious_io_errors():
        return self._load_overload(sig, target_context)


def load_without_refresh(namespace: dict) -> None:
    """Give every numba dispatcher among ``namespace``'s values the refresh-free cache load."""
    for obj in list(namespace.values()):
        cache = getattr(obj, "_cache", None)
        if (
            cache is not None
            and hasattr(cache, "_load_overload")
            and hasattr(cache, "_guard_against_spurious_io_errors")
        ):
            cache.load_overload = types.MethodType(_load_overload, cache)
