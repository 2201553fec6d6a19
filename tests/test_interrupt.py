"""Ctrl-C, worker exceptions and progress reporting."""

from __future__ import annotations

import io
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import roisim
import roisim.analysis.candidates as candidates
from roisim.cli.progress import ProgressLine
from roisim.engine.blocks import SUMMARY_BLOCK, run_blocks

ROOT = Path(__file__).resolve().parents[1]
FINTECH = ROOT / "scenarios" / "fintech.toml"


def roisim_exe() -> str:
    exe = Path(sys.executable).parent / "roisim"
    if exe.exists():
        return str(exe)
    found = shutil.which("roisim")
    if not found:
        pytest.skip("the roisim console script is not installed")
    return found


@pytest.fixture(scope="module")
def warm():
    """Load (or compile) fintech's kernel once, so the timed runs below are past compilation."""
    out = subprocess.run(
        [roisim_exe(), "run", str(FINTECH), "--runs", "1000", "--json", "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    return roisim_exe()


def _interrupt(proc: subprocess.Popen, timeout: float = 10.0):
    proc.send_signal(signal.SIGINT)
    t0 = time.monotonic()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"still running {timeout} s after SIGINT")
    return out, err, time.monotonic() - t0


# ---------------------------------------------------------------- Ctrl-C through the console script
def test_ctrl_c_summary_only_run(warm):
    proc = subprocess.Popen(
        [warm, "run", str(FINTECH), "--runs", "2e8", "--summary-only", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    time.sleep(3.0)
    assert proc.poll() is None, "2e8 runs finished in 3 s?"
    out, err, took = _interrupt(proc)
    assert proc.returncode == 130, err
    assert took < 10
    assert "Traceback" not in err
    assert "interrupted" in err
    assert out == ""


def test_ctrl_c_during_simulation_leaves_no_output_file(warm, tmp_path):
    target = tmp_path / "out.nc"
    proc = subprocess.Popen(
        [warm, "run", str(FINTECH), "--runs", "3e6", "--output", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    time.sleep(1.5)
    if proc.poll() is not None or target.exists():
        proc.kill()
        proc.communicate()
        pytest.skip("this machine simulated 3e6 runs in under 1.5 s")
    out, err, _ = _interrupt(proc)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert out == ""
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_while_writing_the_netcdf_leaves_no_partial_file(warm, tmp_path):
    """3e6 fintech runs are ~800 MB of netCDF, written over a few seconds: interrupt as soon as
    the file appears.  'interrupted: nothing was written' must stay true (exit 130)."""
    target = tmp_path / "out.nc"
    proc = subprocess.Popen(
        [warm, "run", str(FINTECH), "--runs", "3e6", "--output", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    # roisim writes to a temporary file beside the target and renames it when complete
    while not any(tmp_path.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    if proc.poll() is not None:
        proc.communicate()
        pytest.skip("the whole file was written in under 0.1 s")
    out, err, _ = _interrupt(proc, timeout=30)
    assert proc.returncode == 130, (proc.returncode, err)
    assert "Traceback" not in err and "interrupted" in err
    assert not target.exists(), f"a partial {target.stat().st_size:,}-byte file was left behind"
    assert list(tmp_path.iterdir()) == [], "the temporary file was not removed"


# ---------------------------------------------------------------- run_blocks
class Recorder:
    def __init__(self, fail_at: int, exc, delay: float = 0.0):
        self.fail_at, self.exc, self.delay = fail_at, exc, delay
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, state, b):
        with self.lock:
            self.calls += 1
            k = self.calls
        if k == self.fail_at:
            raise self.exc
        time.sleep(self.delay)
        state.append(b)


@pytest.mark.parametrize("threads", [1, 2])
def test_run_blocks_keyboard_interrupt_stops_and_reraises(threads):
    work = Recorder(3, KeyboardInterrupt(), delay=0.01)
    with pytest.raises(KeyboardInterrupt):
        run_blocks(range(200), threads, list, work)
    assert 3 <= work.calls <= 3 + threads  # the other worker finishes at most its current block


def test_run_blocks_keyboard_interrupt_single_thread_exact():
    work = Recorder(3, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        run_blocks(range(10), 1, list, work)
    assert work.calls == 3


def test_run_blocks_keyboard_interrupt_with_progress():
    """With a progress callback the pool path is taken even on one thread."""
    work = Recorder(3, KeyboardInterrupt(), delay=0.01)
    seen = []
    with pytest.raises(KeyboardInterrupt):
        run_blocks(range(100), 1, list, work, progress=seen.append)
    assert work.calls == 3


@pytest.mark.parametrize("threads", [1, 2])
def test_run_blocks_value_error_propagates(threads):
    work = Recorder(3, ValueError("boom"), delay=0.01)
    with pytest.raises(ValueError, match="boom"):
        run_blocks(range(200), threads, list, work)
    assert work.calls < 200


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_run_blocks_runs_every_block_once(threads):
    states = run_blocks(range(37), threads, list, Recorder(-1, None))
    done = sorted(b for s in states for b in s)
    assert done == list(range(37))


# ---------------------------------------------------------------- progress
PROGRESS_SCENARIO = """
[scenario]
name = "progress"
horizon_years = 3
discount_rate = 0.08
[inputs]
saving = { dist = "normal", mean = 50, sd = 10 }
[[benefits]]
name = "s"
amount = "saving"
[[costs]]
name = "c"
amount = 100
years = "0"
"""
RUNS = 3 * SUMMARY_BLOCK + 123


def _check_calls(calls, total):
    assert calls, "progress was never called"
    passes = [p for p, _, _ in calls]
    assert passes[0] == 1 and passes == sorted(passes)
    assert all(t == total for _, _, t in calls)
    for p in set(passes):
        dones = [d for q, d, _ in calls if q == p]
        assert all(0 <= d <= total for d in dones)
        assert dones == sorted(dones), (p, dones)
        assert dones[-1] == total, (p, dones)


@pytest.mark.parametrize("summary_only", [True, False])
@pytest.mark.parametrize("threads", [1, 2])
def test_progress_callback(summary_only, threads, monkeypatch):
    # windows too narrow to catch every wanted bin in pass 1, so that a pass 2 runs and reports
    monkeypatch.setattr(candidates, "Z", 0.0)
    s = roisim.load_scenario(PROGRESS_SCENARIO)
    calls = []
    r = roisim.simulate(
        s,
        runs=RUNS,
        seed=1,
        threads=threads,
        summary_only=summary_only,
        progress=lambda p, d, t: calls.append((p, d, t)),
    )
    _check_calls(calls, RUNS)
    if summary_only:
        assert max(p for p, _, _ in calls) >= 2  # moments pass, then the order-statistics pass
    # progress does not change the result
    assert (
        r.summary
        == roisim.simulate(s, runs=RUNS, seed=1, threads=threads, summary_only=summary_only).summary
    )


def test_progress_in_memory_reports_the_summary_passes_too(monkeypatch):
    """simulate() numbers the in-memory summary passes 2, 3, ... after the kernel pass 1."""
    monkeypatch.setattr(candidates, "Z", 0.0)  # leave bins for a summary pass 3
    calls = []
    roisim.simulate(
        roisim.load_scenario(PROGRESS_SCENARIO),
        runs=RUNS,
        seed=1,
        summary_only=False,
        progress=lambda p, d, t: calls.append((p, d, t)),
    )
    _check_calls(calls, RUNS)
    assert max(p for p, _, _ in calls) >= 3, sorted({p for p, _, _ in calls})


def test_progress_line_silent_for_a_quick_run():
    stream = io.StringIO()
    bar = ProgressLine(stream=stream, min_seconds=3600)
    roisim.simulate(roisim.load_scenario(PROGRESS_SCENARIO), runs=RUNS, seed=1, progress=bar)
    bar.close()
    assert stream.getvalue() == ""


def test_progress_line_draws_runs_per_second():
    stream = io.StringIO()
    bar = ProgressLine(stream=stream, min_seconds=0)
    roisim.simulate(
        roisim.load_scenario(PROGRESS_SCENARIO), runs=RUNS, seed=1, summary_only=True, progress=bar
    )
    text = stream.getvalue()
    assert "runs/s" in text
    assert f"{RUNS:,}" in text
    bar.close()
    assert stream.getvalue().endswith("\r")


def test_progress_line_direct_calls():
    stream = io.StringIO()
    bar = ProgressLine(stream=stream, min_seconds=0)
    bar(1, 500, 1000)
    assert "runs/s" in stream.getvalue() and "500" in stream.getvalue()
    quiet = io.StringIO()
    ProgressLine(stream=quiet, min_seconds=60)(1, 500, 1000)
    assert quiet.getvalue() == ""
