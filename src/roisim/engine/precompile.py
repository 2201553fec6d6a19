"""Cold start: compile the shared kernels in a helper process while this one compiles the
scenario's kernel.

numba compiles one function at a time per process (it holds a global compiler lock), and on a
first run after install roisim needs three groups of machine code: the scenario's generated
kernel, the several-sign-change IRR solver (:func:`roisim.kernels.metrics.irr_rows`) and the
summary's reduction kernels.  The first is needed at once; the other two only after the runs
are done.  :func:`start_if_cold` starts a helper Python process to compile the other two
into numba's on-disk cache on the second core, and :func:`wait` (called just before their first
use) waits for it, so this process then loads them from the cache instead of compiling them.

Nothing here changes a result: the helper compiles the same functions with the same argument
types, numba writes its cache files atomically, and if the helper fails, is slow or cannot be
started, this process simply compiles what it needs itself.  ``ROISIM_NO_PRECOMPILE=1`` turns
the helper off.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading

#: longest wait for the helper before compiling here instead (seconds)
WAIT_LIMIT = 120.0

HELPER_CODE = (
    "from roisim.engine.precompile import compile_shared_kernels; compile_shared_kernels()"
)

_helper: subprocess.Popen | None = None
_lock = threading.Lock()


def _shared_kernels() -> list:
    """What :func:`compile_shared_kernels` compiles: the kernels every summary and every
    scenario with several sign changes use (the sub-bin kernels ``histogram``, ``count_in``
    and ``collect`` run only when one bin holds over 2**21 values, and are left out)."""
    from roisim.kernels import reduce as reductions
    from roisim.kernels.binomial import binom_ppf
    from roisim.kernels.metrics import irr_rows

    return [
        irr_rows,
        binom_ppf,
        reductions.moments_hist,
        reductions.gather_bins,
        reductions.sum_before,
        reductions.copy_through,
    ]


def cached() -> bool:
    """True when every shared kernel has an entry in numba's cache (or when that cannot be told)."""
    try:
        return all(os.path.exists(k._cache._cache_file._index_path) for k in _shared_kernels())
    except AttributeError:  # numba's cache internals changed: assume cached, start nothing
        return True


def start_if_cold() -> subprocess.Popen | None:
    """Start the helper process unless the shared kernels are cached already; return it or None."""
    global _helper
    if _helper is not None or os.environ.get("ROISIM_NO_PRECOMPILE") or cached():
        return None
    try:
        _helper = subprocess.Popen(
            [sys.executable, "-c", HELPER_CODE],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        _helper = None
    else:
        atexit.register(_stop)  # an early exit (an error) does not leave the helper behind
    return _helper


def _stop() -> None:
    if _helper is not None and _helper.poll() is None:
        _helper.kill()
        _helper.wait()


def wait() -> None:
    """Wait for a running helper (no-op when none was started); compile here after WAIT_LIMIT.

    Safe from several threads: the first waits, the others wait for it."""
    global _helper
    if _helper is None:
        return
    with _lock:
        if _helper is None:
            return
        try:
            _helper.wait(timeout=WAIT_LIMIT)
        except subprocess.TimeoutExpired:
            _helper.kill()
            _helper.wait()
        except BaseException:  # Ctrl-C while waiting: do not leave the helper behind
            _helper.kill()
            _helper.wait()
            raise
        finally:
            _helper = None


def compile_shared_kernels() -> None:
    """Compile (or load) every shared kernel with the argument types the engine and the summary
    use, by running one pass of each kind (moments with histograms, top-level collects, sums)
    through the same engine code paths on small inputs."""
    import numpy as np

    from roisim.engine.blocks import NO_BIN, ArraySource, PassSpec
    from roisim.kernels import reduce as reductions
    from roisim.kernels.binomial import binom_ppf
    from roisim.kernels.metrics import irr_rows

    rows = np.array([[-100.0, 230.0, -132.0], [-100.0, 60.0, 60.0]])
    irr_rows(rows, 0, np.empty(2), np.empty(2, np.int64))
    binom_ppf(0.025, 100, 0.5)
    rng = np.random.default_rng(0)
    values = rng.normal(size=(3, 2048))
    values[1, ::7] = np.nan
    values[2, ::5] = np.inf
    source = ArraySource(values, 1)
    nb = 64
    tops = tuple((v, NO_BIN, -4.0, 4.0, nb) for v in range(values.shape[0]))
    picks = ((0, np.ones(nb + 2, np.uint8)),)  # candidates and the tail, as pass 1 copies them
    source.execute(PassSpec(moments=True, hists=tops, picks=picks, tail=(0, nb // 2)))
    top_bin = np.zeros(reductions.BIN_FILTER_SIZE)  # bin nb // 2 of the histograms above
    top_bin[reductions.BIN_LO] = -4.0
    top_bin[reductions.BIN_SCALE] = nb / 8.0
    top_bin[reductions.BIN_COUNT] = nb
    top_bin[reductions.BIN_INDEX] = nb // 2
    source.execute(PassSpec(collects=((0, top_bin),), sums=((0, top_bin),)))
