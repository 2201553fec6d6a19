"""Where compiled kernels are cached when the package directory cannot be written.

The tests run as root, for whom permission bits do not stop writes, so an unwritable
site-packages is simulated the way numba itself sees it: its in-tree cache locator finds no
writable ``__pycache__`` (``from_function`` returns None) and numba falls back to the user-wide
cache directory.  roisim's generated kernels live in ``$XDG_CACHE_HOME/roisim`` anyway.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CODE = """
    import sys
    import numba.core.caching as caching
    # a read-only package: numba may not write next to the sources
    caching.InTreeCacheLocator.from_function = classmethod(lambda cls, f, p: None)
    import roisim
    from roisim.kernels.metrics import irr_rows
    r = roisim.simulate(roisim.load_scenario("scenarios/recruitment.toml"), runs=3000, seed=11)
    print(r.summary["metrics"]["npv"]["mean"])
    print(irr_rows._cache._cache_file._index_path)
    print("numba.np.npyimpl" in sys.modules)
"""


def test_read_only_package_caches_in_the_user_cache_directory(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "ROISIM_CACHE_DIR")}
    env.update(XDG_CACHE_HOME=str(tmp_path / "xdg"), ROISIM_NO_PRECOMPILE="1")

    def run():
        out = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(CODE)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.split("\n")

    first = run()
    second = run()
    numba_dir = tmp_path / "xdg" / "numba"
    assert Path(first[1]).is_relative_to(numba_dir) and Path(first[1]).exists()
    assert list((tmp_path / "xdg" / "roisim").glob("roisim_kernel_*.py"))  # generated kernel source
    assert first[0] == second[0]  # same figures from the cached code
    assert first[2] == "True" and second[2] == "False"  # the second process compiled nothing
