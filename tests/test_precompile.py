"""The cold-start helper process (roisim.engine.precompile): it fills numba's cache, it never
changes a result, and when it fails or is turned off the run compiles what it needs itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from roisim.engine import precompile

ROOT = Path(__file__).resolve().parents[1]
# flows with two sign changes, so the run needs irr_rows (the several-roots solver) as well
SCENARIO = """
[scenario]
name = "precompile test"
horizon_years = 2
discount_rate = 0.1
[inputs]
x = { dist = "normal", mean = 240, sd = 2 }
[[benefits]]
name = "b"
amount = "x"
years = "1"
[[costs]]
name = "build"
amount = 100
years = "0"
[[costs]]
name = "wind-down"
amount = 132
years = "2"
"""


def _env(tmp_path: Path, **extra) -> dict:
    env = dict(
        os.environ,
        ROISIM_CACHE_DIR=str(tmp_path / "roisim"),
        NUMBA_CACHE_DIR=str(tmp_path / "numba"),
    )
    env.pop("ROISIM_NO_PRECOMPILE", None)
    env.update(extra)
    return env


def _python(code: str, env: dict) -> str:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_helper_fills_an_empty_cache_then_is_not_started_again(tmp_path):
    out = _python(
        """
        from roisim.engine import precompile as pc
        print(pc.cached())
        helper = pc.start_if_cold()
        print(helper is not None)
        pc.wait()
        print(helper.returncode, pc.cached(), pc.start_if_cold() is None)
    """,
        _env(tmp_path),
    )
    assert out.split() == ["False", "True", "0", "True", "True"]


def test_turned_off_by_environment(tmp_path):
    out = _python(
        """
        from roisim.engine import precompile as pc
        print(pc.cached(), pc.start_if_cold() is None)
    """,
        _env(tmp_path, ROISIM_NO_PRECOMPILE="1"),
    )
    assert out.split() == ["False", "True"]


def test_cold_run_with_helper_equals_warm_run_and_run_without_helper(tmp_path):
    sc = tmp_path / "s.toml"
    sc.write_text(SCENARIO)
    cmd = [
        sys.executable,
        "-m",
        "roisim.cli.main",
        "run",
        str(sc),
        "--runs",
        "3000",
        "--seed",
        "5",
        "--json",
    ]

    def run(env):
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)

    cold = run(_env(tmp_path / "a"))  # empty caches: the helper compiles in parallel
    warm = run(_env(tmp_path / "a"))  # everything from the cache
    alone = run(_env(tmp_path / "b", ROISIM_NO_PRECOMPILE="1"))
    assert cold["metrics"]["irr"]["prob_multiple"] > 0.9  # the several-roots solver was needed
    assert cold == warm == alone


def test_failing_helper_is_waited_for_and_ignored(monkeypatch):
    monkeypatch.setattr(precompile, "cached", lambda: False)
    monkeypatch.setattr(precompile, "HELPER_CODE", "raise SystemExit(3)")
    monkeypatch.delenv("ROISIM_NO_PRECOMPILE", raising=False)
    helper = precompile.start_if_cold()
    assert helper is not None
    precompile.wait()
    assert helper.returncode == 3
    precompile.wait()  # nothing left to wait for
    assert precompile._helper is None


def test_no_helper_when_python_cannot_be_started(monkeypatch):
    monkeypatch.setattr(precompile, "cached", lambda: False)
    monkeypatch.setattr(precompile.sys, "executable", "/nonexistent/python")
    monkeypatch.delenv("ROISIM_NO_PRECOMPILE", raising=False)
    assert precompile.start_if_cold() is None
    precompile.wait()


def test_slow_helper_is_killed_after_the_wait_limit(monkeypatch):
    monkeypatch.setattr(precompile, "cached", lambda: False)
    monkeypatch.setattr(precompile, "HELPER_CODE", "import time; time.sleep(60)")
    monkeypatch.setattr(precompile, "WAIT_LIMIT", 0.5)
    monkeypatch.delenv("ROISIM_NO_PRECOMPILE", raising=False)
    helper = precompile.start_if_cold()
    precompile.wait()
    assert helper.returncode is not None and helper.returncode != 0


def test_warm_process_skips_blas_probe_and_registry_refresh_with_the_same_result(tmp_path):
    # roisim.kernels.startup: a process that only loads cached kernels imports neither scipy.linalg
    # (numba's BLAS probe) nor numba's lowering registries (the refresh before a cache load) --
    # and gets exactly the numbers of the process that compiled them
    sc = tmp_path / "s.toml"
    sc.write_text(SCENARIO)
    code = f"""
        import json, sys
        import roisim
        r = roisim.simulate(roisim.load_scenario({str(sc)!r}), runs=2000, seed=3)
        print(json.dumps(r.summary, sort_keys=True, default=str))
        print("numba.np.npyimpl" in sys.modules, "scipy.linalg" in sys.modules)
    """
    env = _env(tmp_path, ROISIM_NO_PRECOMPILE="1")
    first = _python(code, env).splitlines()  # compiles (numba refreshes itself to compile)
    second = _python(code, env).splitlines()  # loads everything from the caches
    assert first[0] == second[0]
    assert first[1].split()[0] == "True"
    assert second[1].split() == ["False", "False"]
