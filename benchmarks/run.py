#!/usr/bin/env python
"""roisim benchmark suite: one command, one machine, one run.

    python benchmarks/run.py                              # full run (about 5-10 minutes)
    python benchmarks/run.py --quick                      # smoke run with small sizes
    python benchmarks/run.py --output benchmarks/RESULTS.md

Sections (see benchmarks/README.md):
  1. throughput of roisim's engine and of simulate(summary_only=True), 1 and 2 threads, against the
     same model in plain numpy and as a hand-fused numba kernel (benchmarks/baselines.py), for
     scenarios/fintech.toml and benchmarks/ten_inputs.toml;
  2. IRR rows/s per core: roisim.kernels.metrics.irr_rows, numpy_financial.irr, a vectorised Newton;
  3. peak RSS of fresh subprocesses: fintech in memory and streaming;
  4. cold and warm wall time of the command line, and warm wall time of the analysis commands
     (`roisim sensitivity scenarios/fintech.toml --runs 1000000`; `roisim compare` of
     fintech.toml and fintech-buy.toml at the default runs);
  5. a Markdown report with PASS/FAIL against the targets (--output);
  6. sampling (benchmarks/sampling.py): the RMSE of the mean NPV at equal runs for random, lhs
     and sobol on a smooth closed-form scenario, and the engine's cost per run of each method
     (and of correlations) on fintech.

Memory and command-line figures are measured first, while this process is still small, in fresh
subprocesses; the compile cache is warmed before anything is timed.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import gc
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FINTECH = REPO / "scenarios" / "fintech.toml"
TEN = HERE / "ten_inputs.toml"
SCENARIOS = {"fintech": FINTECH, "ten_inputs": TEN}
#: fintech.toml's [correlations] table dropped: the plain-numpy and hand-fused baselines draw
#: independently, so the throughput and memory rows compare the same model; the cost of the
#: correlations is measured in the sampling section
INDEPENDENT = {"fintech": ["correlations.pairs=[]"], "ten_inputs": []}
UNCORRELATED_SET = ["--set", "correlations.pairs=[]"]
SEED = 20261201
WARM_RUNS = 2 * 65_536

TARGETS = {
    "numpy": 5.0,  # roisim engine (2 threads) >= 5x plain numpy
    "ceiling": 1.5,  # roisim engine (2 threads) within 1.5x of the hand-fused kernel
    "irr": 10e6,  # irr_rows >= 10M rows/s per core
    "warm": 1.5,  # CLI warm wall time <= 1.5 s
    "cold": 15.0,  # CLI cold wall time <= 15 s
    "stream_rss": 1e9,  # streaming 10^8 runs peak RSS < 1 GB
    "scaling": 1.8,  # engine 1 -> 2 threads >= 1.8x
}


# ============================================================================ child processes
def child_main(kind: str, runs: int) -> None:
    """Run in a fresh process: simulate fintech, print a JSON line with wall time and RSS."""
    import resource

    import roisim
    from roisim.analysis.simulate import result_bytes
    from roisim.engine.plan import build_plan

    scenario = roisim.load_scenario(str(FINTECH), INDEPENDENT["fintech"])
    roisim.simulate(scenario, runs=1_000, seed=SEED)  # kernels loaded from the cache
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    if kind == "inmem":
        result = roisim.simulate(scenario, runs=runs, seed=SEED)  # default mode
        kept = result.dataset is not None
    else:
        result = roisim.simulate(scenario, runs=runs, seed=SEED, summary_only=True)
        kept = result.dataset is not None
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(
        json.dumps(
            {
                "kind": kind,
                "runs": runs,
                "wall": wall,
                "rss_before": before,
                "rss_peak_self": peak,
                "dataset_kept": kept,
                "result_bytes": result_bytes(build_plan(scenario, SEED), runs),
                "npv_mean": result.summary["metrics"]["npv"]["mean"],
            }
        )
    )


def run_child(kind: str, runs: int) -> dict:
    """Start a fresh interpreter for one measurement; its peak RSS comes from os.wait4 (the same
    figure as getrusage(RUSAGE_CHILDREN) would give for this one child)."""
    env = dict(os.environ)
    env.pop("ROISIM_MEMORY_LIMIT", None)
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        p = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--child",
                kind,
                "--child-runs",
                str(runs),
            ],
            stdout=out,
            stderr=err,
            env=env,
            cwd=REPO,
        )
        _, status, usage = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        text, errtext = out.read().decode(), err.read().decode()
    if p.returncode != 0:
        raise RuntimeError(f"child {kind} {runs} failed ({p.returncode}):\n{errtext}")
    data = json.loads(text.strip().splitlines()[-1])
    data["rss_peak"] = usage.ru_maxrss * 1024
    return data


# ============================================================================ helpers
def fmt_n(n: int) -> str:
    e = round(math.log10(n))
    if 10**e == n:
        return f"10^{e}"
    for e in range(9, 0, -1):
        if n % 10**e == 0 and n // 10**e < 10:
            return f"{n // 10**e}×10^{e}"
    return f"{n:,}"


def fmt_rate(r: float | None, unit: str = "runs/s") -> str:
    if r is None:
        return "—"
    if r >= 1e6:
        return f"{r / 1e6:.2f} M {unit}"
    if r >= 1e3:
        return f"{r / 1e3:.1f} k {unit}"
    return f"{r:.1f} {unit}"


def fmt_bytes(b: float) -> str:
    return f"{b / 1e6:,.0f} MB" if b < 1e9 else f"{b / 1e9:.2f} GB"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def best_time(fn, repeats: int):
    """Best wall time of ``repeats`` calls of fn(); returns (seconds, result of the last call)."""
    best, res = math.inf, None
    for _ in range(repeats):
        res = None
        gc.collect()
        t0 = time.perf_counter()
        res = fn()
        best = min(best, time.perf_counter() - t0)
    return best, res


def mean_sd(x):
    import numpy as np

    x = np.asarray(x)
    return float(x.mean()), float(x.std(ddof=1)), x.size


class Report:
    def __init__(self):
        self.lines: list[str] = []
        self.warnings: list[str] = []

    def add(self, text: str = "") -> None:
        print(text, flush=True)
        self.lines.append(text)

    def table(self, header: list[str], rows: list[list[str]]) -> None:
        self.add("| " + " | ".join(header) + " |")
        self.add("|" + "|".join("---" for _ in header) + "|")
        for r in rows:
            self.add("| " + " | ".join(str(c) for c in r) + " |")
        self.add()

    def warn(self, text: str) -> None:
        line = f"WARNING: {text}"
        print(line, file=sys.stderr, flush=True)
        self.warnings.append(line)


def status(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# ============================================================================ machine
def machine_info() -> dict:
    import numba
    import numpy as np

    import roisim

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
        ).stdout.strip()
        commit += " (uncommitted changes)" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    try:
        import numpy_financial

        npf = numpy_financial.__version__
    except ImportError:
        npf = "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable": usable,
        "ram": ram,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "roisim": roisim.__version__,
        "numpy_financial": npf,
        "platform": platform.platform(),
        "commit": commit,
        "numba_threads": os.environ.get("NUMBA_NUM_THREADS", "(not set)"),
        "load": os.getloadavg(),
    }


# ============================================================================ sections
def warm_up(names) -> None:
    import baselines as bl
    import numpy as np

    import roisim
    from roisim.engine.plan import build_plan
    from roisim.engine.run import run_range

    for name in names:
        sc = roisim.load_scenario(str(SCENARIOS[name]), INDEPENDENT[name])
        status(f"warming up (compiling if the cache is cold): {name}")
        run_range(build_plan(sc, SEED), 0, WARM_RUNS, threads=2)
        roisim.simulate(sc, runs=WARM_RUNS, seed=SEED, threads=2, summary_only=True)
        roisim.simulate(sc, runs=WARM_RUNS, seed=SEED, threads=2)
        bl.run_ceiling(bl.MODELS[name]["ceiling"], 1_000, SEED, 1)
        bl.run_numpy(bl.MODELS[name]["numpy"], 1_000, SEED)
    from roisim.kernels.metrics import irr_rows

    rows = np.array([[-100.0, 30, 30, 30, 30, 30]] * 10)
    irr_rows(rows, False, np.empty(10), np.empty(10, np.int64))


def throughput(name: str, sizes, rep: Report, res: dict) -> None:
    import baselines as bl

    import roisim
    from roisim.engine.plan import build_plan
    from roisim.engine.run import run_range

    sc = roisim.load_scenario(str(SCENARIOS[name]), INDEPENDENT[name])
    plan = build_plan(sc, SEED)
    out = {
        "engine": {},
        "lean": {},
        "simulate": {},
        "numpy": {},
        "ceiling": {},
        "passes": {},
        "check": {},
    }
    for n in sizes:
        reps = 3 if n <= 1_000_000 else 1
        npv_stats = {}
        for t in (1, 2):
            status(f"{name}: roisim engine run_range, {n:,} runs, {t} thread(s)")
            dt, arrays = best_time(lambda: run_range(plan, 0, n, threads=t), reps)
            out["engine"][(n, t)] = n / dt
            if t == 2:
                npv_stats["roisim"] = mean_sd(arrays.values[0])
            del arrays
            status(f"{name}: roisim engine run_range(keep_inputs=False), {n:,} runs, {t} thread(s)")
            dt, arrays = best_time(
                lambda: run_range(plan, 0, n, threads=t, keep_inputs=False), reps
            )
            out["lean"][(n, t)] = n / dt
            del arrays
            status(f"{name}: roisim simulate(summary_only=True), {n:,} runs, {t} thread(s)")
            passes = [0]

            def prog(p, done, total, passes=passes):
                passes[0] = max(passes[0], p)

            dt, _ = best_time(
                lambda: roisim.simulate(
                    sc, runs=n, seed=SEED, threads=t, summary_only=True, progress=prog
                ),
                reps,
            )
            out["simulate"][(n, t)] = n / dt
            out["passes"][n] = passes[0]
        status(f"{name}: plain numpy, {n:,} runs in chunks of {bl.NUMPY_CHUNK:,}")
        dt, m = best_time(
            lambda: bl.run_numpy(bl.MODELS[name]["numpy"], n, SEED + 1), 1 if n > 1_000_000 else 2
        )
        out["numpy"][n] = n / dt
        npv_stats["numpy"] = mean_sd(m[0])
        del m
        status(f"{name}: hand-fused numba ceiling, {n:,} runs, 2 threads")
        dt, m = best_time(lambda: bl.run_ceiling(bl.MODELS[name]["ceiling"], n, SEED + 2, 2), reps)
        out["ceiling"][n] = n / dt
        npv_stats["ceiling"] = mean_sd(m[0])
        del m
        gc.collect()
        r_mean, r_sd, r_n = npv_stats["roisim"]
        for other in ("numpy", "ceiling"):
            o_mean, o_sd, o_n = npv_stats[other]
            se = math.sqrt(r_sd**2 / r_n + o_sd**2 / o_n)
            z = abs(o_mean - r_mean) / se
            out["check"][(n, other)] = (o_mean, se, z)
            if z > 5:
                rep.warn(
                    f"{name}: {other} NPV mean {o_mean:,.0f} differs from roisim's "
                    f"{r_mean:,.0f} by {z:.1f} Monte Carlo standard errors ({n:,} runs): "
                    "the models are not the same"
                )
        out["check"][(n, "roisim")] = (r_mean, r_sd / math.sqrt(r_n), 0.0)
    res[name] = out

    rep.add(
        f"### {name} ({SCENARIOS[name].relative_to(REPO)}): "
        f"{len(plan.nodes)} values computed per run, "
        f"{len(sc.lines)} lines, horizon {sc.horizon_years}"
    )
    rep.add()
    head = ["implementation", "threads"] + [f"{fmt_n(n)} runs" for n in sizes]
    rows = []
    for label, key in (
        ("roisim engine: `run_range` into memory, every input kept", "engine"),
        ("roisim engine: `run_range(keep_inputs=False)`: metrics + net cash flows", "lean"),
        ("roisim `simulate(summary_only=True)` (streaming)", "simulate"),
    ):
        for t in (1, 2):
            rows.append([label, t] + [fmt_rate(out[key][(n, t)]) for n in sizes])
    rows.append(["plain numpy (chunks of 10^6)", 1] + [fmt_rate(out["numpy"][n]) for n in sizes])
    rows.append(["hand-fused numba (ceiling)", 2] + [fmt_rate(out["ceiling"][n]) for n in sizes])
    rep.table(head, rows)
    rows = []
    for n in sizes:
        e2 = out["lean"][(n, 2)]
        rows.append(
            [
                fmt_n(n),
                f"{e2 / out['numpy'][n]:.1f}×",
                f"{e2 / out['ceiling'][n]:.2f}",
                f"{out['simulate'][(n, 2)] / out['numpy'][n]:.1f}×",
                f"{out['simulate'][(n, 2)] / out['ceiling'][n]:.2f}",
                f"{e2 / out['lean'][(n, 1)]:.2f}×",
                f"{out['simulate'][(n, 2)] / out['simulate'][(n, 1)]:.2f}×",
                out["passes"][n],
            ]
        )
    rep.add(
        "Ratios use the engine with `keep_inputs=False`, which keeps what the baselines keep "
        "(the metrics and the net cash flows); keeping every sampled input as well costs the "
        "extra memory traffic shown in the first row."
    )
    rep.add()
    rep.table(
        [
            "runs",
            "engine/numpy",
            "engine/ceiling",
            "simulate/numpy",
            "simulate/ceiling",
            "engine 1→2 threads",
            "simulate 1→2 threads",
            "streaming passes",
        ],
        rows,
    )
    rows = []
    for n in sizes:
        for who in ("roisim", "numpy", "ceiling"):
            mean, se, z = out["check"][(n, who)]
            rows.append(
                [
                    fmt_n(n),
                    who,
                    f"{mean:,.0f}",
                    f"{se:,.0f}" if who == "roisim" else f"{se:,.0f} (of the difference)",
                    "—" if who == "roisim" else f"{z:.2f}" + (" **WARNING**" if z > 5 else ""),
                ]
            )
    rep.table(["runs", "implementation", "NPV mean", "standard error", "|difference| / SE"], rows)


def irr_section(n_rows: int, n_npf: int, rep: Report, res: dict) -> None:
    import baselines as bl
    import numpy as np

    from roisim.kernels.metrics import irr_rows

    rng = np.random.default_rng(7)
    rows = np.empty((n_rows, 6))
    rows[:, 0] = -rng.uniform(50.0, 150.0, n_rows)
    rows[:, 1:] = rng.uniform(10.0, 60.0, (n_rows, 5))  # one sign change: conventional
    out = np.empty(n_rows)
    roots = np.empty(n_rows, np.int64)
    status(f"IRR: roisim irr_rows on {n_rows:,} rows")
    dt_r, _ = best_time(lambda: irr_rows(rows, False, out, roots), 3)
    rate_r = n_rows / dt_r
    status(f"IRR: vectorised numpy Newton on {n_rows:,} rows")
    dt_v, vec = best_time(lambda: bl.irr_numpy(rows), 2)
    rate_v = n_rows / dt_v
    try:
        import numpy_financial as npf

        status(f"IRR: numpy_financial.irr on {n_npf:,} rows")
        sub = rows[:n_npf]
        dt_f, ref = best_time(lambda: np.array([npf.irr(r) for r in sub]), 1)
        rate_f = n_npf / dt_f
        diff_f = float(np.nanmax(np.abs(ref - out[:n_npf])))
    except ImportError:
        rate_f, diff_f = None, None
        rep.warn("numpy_financial is not installed: pip install numpy-financial")
    diff_v = float(np.nanmax(np.abs(vec - out)))
    res["irr"] = {"roisim": rate_r, "numpy_newton": rate_v, "npf": rate_f}
    rep.add("## IRR rows per second, one core")
    rep.add()
    rep.add(
        "Random conventional 6-year rows (CF0 ~ -U(50, 150), CF1..5 ~ U(10, 60)); "
        f"all three agree to {max(diff_v, diff_f or 0):.1e} in the rate."
    )
    rep.add()
    rep.table(
        ["implementation", "rows timed", "rows/s per core", "ns per row"],
        [
            [
                "roisim.kernels.metrics.irr_rows (numba)",
                f"{n_rows:,}",
                fmt_rate(rate_r, "rows/s"),
                f"{1e9 / rate_r:.0f}",
            ],
            [
                "vectorised numpy Newton (baselines.irr_numpy)",
                f"{n_rows:,}",
                fmt_rate(rate_v, "rows/s"),
                f"{1e9 / rate_v:.0f}",
            ],
            [
                "numpy_financial.irr, row by row (extrapolated)",
                f"{n_npf:,}",
                fmt_rate(rate_f, "rows/s"),
                f"{1e9 / rate_f:.0f}" if rate_f else "—",
            ],
        ],
    )
    rep.add(
        f"irr_rows is {rate_r / rate_v:.0f}× the vectorised Newton"
        + (f" and {rate_r / rate_f:,.0f}× numpy_financial." if rate_f else ".")
    )
    rep.add()


def memory_section(n_inmem: int, n_stream: int, rep: Report, res: dict) -> None:
    status(f"peak RSS: fintech in memory, {n_inmem:,} runs (fresh subprocess)")
    a = run_child("inmem", n_inmem)
    status(f"peak RSS: fintech streaming, {n_stream:,} runs (fresh subprocess; takes a while)")
    b = run_child("stream", n_stream)
    res["rss"] = {"inmem": a, "stream": b}
    rep.add("## Peak memory (fintech, fresh subprocess per measurement, default threads)")
    rep.add()
    rep.add(
        "Peak RSS is the child's `ru_maxrss` from `os.wait4` (what "
        "`getrusage(RUSAGE_CHILDREN)` reports for that one child). 'Before' is the child's peak "
        "after importing roisim, loading the scenario and a 1,000-run warm-up (kernels from the "
        "cache). In default mode the child reads `result.dataset`, so the (lazily built) xarray "
        "dataset exists when the peak is taken."
    )
    rep.add()
    rows = []
    for label, d in (
        ("`simulate` default mode (dataset kept)", a),
        ("`simulate(summary_only=True)`", b),
    ):
        rows.append(
            [
                label,
                f"{d['runs']:,}",
                fmt_bytes(d["rss_peak"]),
                fmt_bytes(d["rss_before"]),
                fmt_bytes(d["result_bytes"]),
                "yes" if d["dataset_kept"] else "no",
                f"{d['wall']:.1f} s",
                fmt_rate(d["runs"] / d["wall"]),
            ]
        )
    rep.table(
        [
            "mode",
            "runs",
            "peak RSS",
            "before the run",
            "per-run results would take",
            "dataset built",
            "wall",
            "runs/s",
        ],
        rows,
    )


def cli_section(rep: Report, res: dict) -> None:
    exe = Path(sys.executable).parent / "roisim"
    if not exe.exists():
        exe = Path(shutil.which("roisim") or "roisim")
    cmd = [str(exe), "run", "scenarios/fintech.toml", "--runs", "1000000", "--quiet"]
    variants = {"without": cmd + UNCORRELATED_SET, "with": cmd}
    tmp = Path(tempfile.mkdtemp(prefix="roisim-bench-"))
    env = dict(os.environ, ROISIM_CACHE_DIR=str(tmp / "roisim"), NUMBA_CACHE_DIR=str(tmp / "numba"))
    env.pop("ROISIM_MEMORY_LIMIT", None)
    # `pip install .` (the README's first command) byte-compiles the package; an editable install
    # under PYTHONDONTWRITEBYTECODE=1 never does, and would recompile roisim's source (about 50 ms)
    # at every start.  Byte-compile it as pip would, so the warm time is what a user sees.
    import compileall

    import roisim

    compileall.compile_dir(str(Path(roisim.__file__).parent), quiet=1)
    times = {"without": [], "with": []}
    try:  # cold first (without), then the warm runs of both in turn
        for label, key in [("cold", "without"), ("cold", "with")] + [("warm", k) for _ in
                                                                      range(3) for k in times]:
            status(f"CLI {label}: {' '.join(variants[key][1:])}")
            times[key].append(_wall(variants[key], env))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    warm = {k: sorted(v[1:])[1] for k, v in times.items()}
    res["cli"] = {"cold": times["without"][0], "warm": warm["without"], "warm_with": warm["with"]}
    _cli_report(rep, exe, times, warm)


def _wall(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    if p.returncode != 0:
        raise RuntimeError(f"roisim CLI failed ({p.returncode}): {p.stderr}")
    return time.perf_counter() - t0


def _cli_report(rep: Report, exe, times: dict, warm: dict) -> None:
    rep.add("## Command line wall time")
    rep.add()
    rep.add(
        f"`roisim run scenarios/fintech.toml --runs 1000000 --quiet` ({exe}), from process "
        "start to exit, without its `[correlations]` table (`--set 'correlations.pairs=[]'`, "
        "the model of earlier reports, on which the target is checked) and as shipped (with "
        "it: the copula, and the realised rank correlations over 2^17 runs generated again "
        "with their inputs). Cold: `ROISIM_CACHE_DIR` and `NUMBA_CACHE_DIR` point to fresh "
        "empty directories, so every kernel is compiled (the second cold run compiles only the "
        "correlated kernel). Warm: three more runs of each, in turn; medians reported. "
        "roisim's package is byte-compiled first, as `pip install .` does."
    )
    rep.add()
    rows = [["cold", f"{times['without'][0]:.2f} s", f"{times['with'][0]:.2f} s"]]
    rows += [[f"warm {k + 1}", f"{a:.2f} s", f"{b:.2f} s"]
             for k, (a, b) in enumerate(zip(times["without"][1:], times["with"][1:]))]
    rows.append(["warm, median", f"{warm['without']:.2f} s", f"{warm['with']:.2f} s"])
    rep.table(["run", "without [correlations]", "as shipped"], rows)


ANALYSIS_REPEATS = 3  # timed runs of each analysis command, after one warm-up run
LONG_COMMAND = 20.0  # seconds: a command whose warm-up takes longer is timed once


def analysis_commands(quick: bool) -> list[tuple[str, list[str]]]:
    """The issue-9 analysis commands that the benchmark times (label, arguments)."""
    sens_runs = "100000" if quick else "1000000"
    return [
        (f"sensitivity, {fmt_n(int(sens_runs))} runs",
         ["sensitivity", "scenarios/fintech.toml", "--runs", sens_runs]),
        (f"sensitivity --summary-only (streaming), {fmt_n(int(sens_runs))} runs",
         ["sensitivity", "scenarios/fintech.toml", "--runs", sens_runs, "--summary-only"]),
        ("compare, two options, default runs",
         ["compare", "scenarios/fintech.toml", "scenarios/fintech-buy.toml"]),
        (f"compare, two options, {fmt_n(int(sens_runs))} runs",
         ["compare", "scenarios/fintech.toml", "scenarios/fintech-buy.toml", "--runs", sens_runs]),
    ]


def time_command(exe: Path, args: list[str]) -> dict:
    """Warm wall time of ``roisim ARGS`` as a subprocess: one warm-up run (kernels compiled into
    the normal cache if needed), then ANALYSIS_REPEATS timed runs (one when the warm-up took
    longer than LONG_COMMAND seconds).  A command that fails (for example one that is not built
    yet) is recorded as not available, with its error line."""
    env = dict(os.environ)
    env.pop("ROISIM_MEMORY_LIMIT", None)
    times: list[float] = []
    repeats = ANALYSIS_REPEATS
    while len(times) < repeats + 1:
        t0 = time.perf_counter()
        p = subprocess.run([str(exe), *args], cwd=REPO, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - t0)
        if p.returncode != 0:
            lines = [ln for ln in p.stderr.strip().splitlines() if ln.strip()]
            return {"available": False, "reason": lines[-1] if lines else f"exit {p.returncode}"}
        if len(times) == 1 and times[0] > LONG_COMMAND:
            repeats = 1
    timed = times[1:]
    return {"available": True, "times": timed, "median": sorted(timed)[len(timed) // 2]}


def analysis_section(quick: bool, rep: Report, res: dict) -> None:
    exe = Path(sys.executable).parent / "roisim"
    if not exe.exists():
        exe = Path(shutil.which("roisim") or "roisim")
    rows, out = [], {}
    for label, args in analysis_commands(quick):
        status(f"analysis command: roisim {' '.join(args)}")
        m = time_command(exe, args)
        out[label] = m
        if m["available"]:
            rows.append([label, f"`roisim {' '.join(args)}`", f"{m['median']:.2f} s",
                         ", ".join(f"{t:.2f}" for t in m["times"])])
        else:
            rows.append([label, f"`roisim {' '.join(args)}`", "not available",
                         m["reason"].replace("|", "\\|")])
    res["analysis"] = out
    rep.add("## Analysis commands, warm wall time")
    rep.add()
    rep.add(
        "Each command runs as a subprocess from the repository root, from process start to exit, "
        f"with roisim's normal cache: one warm-up run, then {ANALYSIS_REPEATS} timed runs (median "
        f"reported; one timed run when the warm-up took over {LONG_COMMAND:.0f} s). `compare` "
        "runs both options (at fintech.toml's [simulation] runs, 200,000, unless `--runs` is "
        "given), in memory, and their paired differences on common random numbers. A command "
        "that exits with an error is recorded as not available, with its error."
    )
    rep.add()
    rep.table(["command", "arguments", "median wall time", "timed runs (s) or reason"], rows)


def targets_section(res: dict, quick: bool, n_stream: int, rep: Report) -> None:
    rows = []
    for name in SCENARIOS:
        if name not in res:
            continue
        o = res[name]
        n = max(o["numpy"])
        e2, e1 = (
            o["lean"][(n, 2)],
            o["lean"][(n, 1)],
        )  # like the baselines: metrics + cash flows kept
        rows.append(
            [
                f"{name}: roisim engine ≥ 5× plain numpy ({fmt_n(n)} runs, engine on 2 threads)",
                f"{e2 / o['numpy'][n]:.1f}×",
                verdict(e2 / o["numpy"][n] >= TARGETS["numpy"]),
            ]
        )
        rows.append(
            [
                f"{name}: roisim engine within 1.5× of the hand-fused ceiling "
                f"(2 threads, {fmt_n(n)})",
                f"engine/ceiling = {e2 / o['ceiling'][n]:.2f} "
                f"(needs ≥ {1 / TARGETS['ceiling']:.2f})",
                verdict(e2 * TARGETS["ceiling"] >= o["ceiling"][n]),
            ]
        )
        rows.append(
            [
                f"{name}: engine 1→2 threads ≥ 1.8× ({fmt_n(n)})",
                f"{e2 / e1:.2f}×",
                verdict(e2 / e1 >= TARGETS["scaling"]),
            ]
        )
    if "irr" in res:
        r = res["irr"]["roisim"]
        rows.append(
            [
                "IRR ≥ 10 M rows/s per core (irr_rows)",
                fmt_rate(r, "rows/s"),
                verdict(r >= TARGETS["irr"]),
            ]
        )
    if "cli" in res:
        c = res["cli"]
        rows.append(
            ["CLI warm ≤ 1.5 s", f"{c['warm']:.2f} s", verdict(c["warm"] <= TARGETS["warm"])]
        )
        rows.append(
            ["CLI cold ≤ 15 s", f"{c['cold']:.2f} s", verdict(c["cold"] <= TARGETS["cold"])]
        )
    if "rss" in res:
        s = res["rss"]["stream"]
        label = "streaming 10^8 runs peak RSS < 1 GB" + (
            f" (--quick: measured at {fmt_n(n_stream)})" if quick else ""
        )
        rows.append(
            [label, fmt_bytes(s["rss_peak"]), verdict(s["rss_peak"] < TARGETS["stream_rss"])]
        )
    rep.add("## Targets")
    rep.add()
    rep.table(["target", "measured", "result"], rows)


# ============================================================================ main
def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="smoke run: small sizes (about 2 minutes)")
    ap.add_argument(
        "--output",
        metavar="PATH",
        help="write the Markdown report here (e.g. benchmarks/RESULTS.md)",
    )
    ap.add_argument("--child", choices=("inmem", "stream"), help=argparse.SUPPRESS)
    ap.add_argument("--child-runs", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child_main(args.child, args.child_runs)
        return 0

    sys.path.insert(0, str(HERE))
    if args.quick:
        sizes, irr_n, npf_n, n_inmem, n_stream = (
            (100_000, 1_000_000),
            100_000,
            500,
            1_000_000,
            10_000_000,
        )
    else:
        sizes, irr_n, npf_n, n_inmem, n_stream = (
            (1_000_000, 10_000_000),
            1_000_000,
            2_000,
            10_000_000,
            100_000_000,
        )

    t_start = time.perf_counter()
    started = _dt.datetime.now().astimezone()
    info = machine_info()
    rep = Report()
    res: dict = {}
    rep.add(f"# roisim benchmark results{' (--quick smoke run)' if args.quick else ''}")
    rep.add()
    rep.add(
        f"Date: {started:%Y-%m-%d %H:%M %Z}. Command: `python benchmarks/run.py"
        f"{' --quick' if args.quick else ''}{' --output ' + args.output if args.output else ''}`."
    )
    rep.add()
    rep.add(
        "**All figures come from one run on one machine. The machine may have been shared with "
        "other jobs**, so treat the absolute figures as indicative; the ratios within one run are "
        "more robust."
    )
    rep.add()
    rep.add("## Machine")
    rep.add()
    rep.table(
        ["item", "value"],
        [
            ["CPU", info["cpu"]],
            ["cores", f"{info['cores']} ({info['usable']} usable by this process)"],
            ["RAM", fmt_bytes(info["ram"]) if info["ram"] else "unknown"],
            ["OS", info["platform"]],
            ["Python", info["python"]],
            ["numpy", info["numpy"]],
            ["numba", info["numba"]],
            ["numpy-financial", info["numpy_financial"]],
            ["roisim", f"{info['roisim']}, commit {info['commit']}"],
            ["NUMBA_NUM_THREADS", info["numba_threads"]],
            ["load average at start (1, 5, 15 min)", ", ".join(f"{x:.2f}" for x in info["load"])],
        ],
    )

    warm_up(SCENARIOS)
    # memory and CLI first, in fresh subprocesses, while this process is small
    memory_section(n_inmem, n_stream, rep, res)
    cli_section(rep, res)
    analysis_section(args.quick, rep, res)

    rep.add("## Throughput (compile excluded)")
    rep.add()
    rep.add("fintech is measured without its `[correlations]` table here and in the memory "
            "section, because the baselines draw every input independently; the Sampling "
            "section gives the cost of the correlations.")
    rep.add()
    rep.add(
        "* **engine**: `roisim.engine.run.run_range(build_plan(scenario, seed), 0, n, "
        "threads=t)`: sampling, cash flows and every metric including IRR, into memory (it also "
        "keeps every sampled input)."
    )
    rep.add(
        "* **simulate**: `roisim.simulate(scenario, runs=n, threads=t, summary_only=True)`: "
        "regenerates blocks in two or more passes and reduces them to the exact summary (passes "
        "counted below)."
    )
    rep.add(
        "* **plain numpy**: the same model with `numpy.random.Generator`, (n,) and (n, years) "
        "arrays, all metrics (IRR by a vectorised safeguarded Newton), in chunks of 10^6 runs; "
        "single-threaded (`benchmarks/baselines.py`)."
    )
    rep.add(
        "* **ceiling**: the same model as one hand-written `@njit(nogil=True)` loop per block of "
        "65,536 runs, one `numpy.random.Generator` per block, blocks on a 2-thread pool; writes "
        "the metrics and the net cash flows. Ratios are engine (or simulate) on 2 threads divided "
        "by the baseline."
    )
    rep.add("* Best of 3 repetitions at ≤ 10^6 runs (numpy: best of 2), one repetition above.")
    rep.add()
    for name in SCENARIOS:
        throughput(name, sizes, rep, res)
    from sampling import section as sampling_section  # benchmarks/sampling.py

    sampling_section(rep, res, args.quick)
    irr_section(irr_n, npf_n, rep, res)
    targets_section(res, args.quick, n_stream, rep)

    elapsed = time.perf_counter() - t_start
    rep.add(
        f"Total benchmark time {elapsed / 60:.1f} min; load average at the end "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + "."
    )
    if rep.warnings:
        rep.add()
        rep.add("## Warnings")
        rep.add()
        for w in rep.warnings:
            rep.add(f"* {w}")
    if args.output:
        path = Path(args.output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(rep.lines) + "\n")
        status(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
