"""The ``roisim`` command line, through click's CliRunner and once through the console script."""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from click.testing import CliRunner
from scipy import stats

import roisim
from roisim.cli.main import main

H, R, C, MU, SD, SCALE = 5, 0.08, 150_000, 70, 5, 1000
GOOD = f"""
[scenario]
name = "CLI test: model monitoring"
currency = "GBP"
horizon_years = {H}
discount_rate = {R}

[simulation]
runs = 5000
seed = 42

[inputs]
hours = {{ dist = "normal", mean = {MU}, sd = {SD} }}
incidents = {{ dist = "poisson", mean = 3, per = "year" }}

[[benefits]]
name = "Hours saved"
amount = "hours * {SCALE}"

[[costs]]
name = "Platform build"
amount = {C}
years = "0"

[[costs]]
name = "Incident handling"
amount = "incidents * 0"
"""
ANNUITY = sum((1 + R) ** -t for t in range(1, H + 1))
PCT_KEYS = ["p5", "p10", "p25", "p50", "p75", "p90", "p95"]
METRICS = ["npv", "irr", "payback_years", "discounted_payback_years", "roi", "bcr"]


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture
def good(write_toml):
    return write_toml(GOOD, "good.toml")


def invoke(runner, *args):
    return runner.invoke(main, [str(a) for a in args], catch_exceptions=False)


def strict_json(text: str) -> dict:
    def bad(c):
        raise AssertionError(f"non-standard JSON constant {c}")

    return json.loads(text, parse_constant=bad)


def run_json(runner, *args) -> dict:
    res = invoke(runner, "run", *args, "--json", "--quiet")
    assert res.exit_code == 0, res.output
    return strict_json(res.stdout)


# --------------------------------------------------------------------------- run (text)
def test_run_text_report(runner, good):
    res = invoke(runner, "run", good, "--runs", "2000", "--seed", "987654")
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "CLI test: model monitoring" in out
    assert re.search(r"\b2,?000\b", out), "run count missing"
    assert re.search(r"\b987,?654\b", out), "seed missing"
    assert re.search(r"£\d{1,3}(,\d{3})+\b", out), "money with £ and thousands separators missing"
    assert re.search(r"\d+(\.\d+)?\s?%", out), "probability as % missing"
    assert "Traceback" not in res.output


def test_run_text_labels_the_npv_p5_as_a_percentile(runner, good):
    """P5 of NPV is printed as what it is (not "VaR", which a finance reader takes for a loss),
    with its own 95% interval, and matches the JSON."""
    args = ("--runs", "2000", "--seed", "21")
    res = invoke(runner, "run", good, *args)
    assert res.exit_code == 0, res.output
    assert "VaR" not in res.stdout
    npv = run_json(runner, good, *args)["metrics"]["npv"]
    money = lambda v: ("-" if v < 0 else "") + f"£{abs(v):,.0f}"
    lo, hi = npv["ci95"]["p5"]
    line = next(ln for ln in res.stdout.splitlines() if "NPV 5th percentile (P5)" in ln)
    assert line.split()[-3:] == [money(npv["p5"]), f"[{money(lo)},", f"{money(hi)}]"]
    shortfall = next(ln for ln in res.stdout.splitlines() if "expected shortfall" in ln)
    assert money(npv["expected_shortfall_5"]) in shortfall


def test_run_text_shows_beyond_horizon_for_payback(runner, write_toml):
    # payback = C/X with X ~ N(25000, 8000): P(within 5 years) = 0.73, so p90 is "> 5 y"
    text = """
[scenario]
name = "Slow payback"
horizon_years = 5
discount_rate = 0.08

[inputs]
x = { dist = "normal", mean = 25000, sd = 8000 }

[[benefits]]
name = "b"
amount = "x"

[[costs]]
name = "c"
amount = 100000
years = "0"
"""
    res = invoke(runner, "run", write_toml(text, "slow.toml"), "--runs", "2000")
    assert res.exit_code == 0, res.output
    assert re.search(r">\s?5\s?y", res.stdout), res.stdout


def test_run_uses_file_defaults(runner, good):
    out = run_json(runner, good)
    assert out["runs"] == 5000 and out["seed"] == 42


# --------------------------------------------------------------------------- run --json
def test_run_json_has_all_contract_keys(runner, good):
    out = run_json(runner, good, "--runs", "2000", "--seed", "3")
    for key in (
        "roisim_version",
        "scenario",
        "runs",
        "seed",
        "currency",
        "horizon_years",
        "timing",
        "metrics",
        "cashflow_by_year",
    ):
        assert key in out, key
    assert out["roisim_version"] == roisim.__version__
    assert out["scenario"]["name"] == "CLI test: model monitoring"
    assert Path(out["scenario"]["file"]).name == "good.toml"
    assert out["scenario"]["sha256"] == hashlib.sha256(good.read_bytes()).hexdigest()
    assert out["runs"] == 2000 and out["seed"] == 3
    assert out["currency"] == "GBP" and out["horizon_years"] == H and out["timing"] == "end-of-year"
    for m in METRICS:
        stats_ = out["metrics"][m]
        for key in ["mean", "sd", *PCT_KEYS, "ci95"]:
            assert key in stats_, (m, key)
        for key in ["mean", *PCT_KEYS]:
            assert key in stats_["ci95"], (m, key)
    npv = out["metrics"]["npv"]
    assert {"prob_positive", "expected_shortfall_5"} <= set(npv)
    assert "prob_positive" in npv["ci95"]
    irr = out["metrics"]["irr"]
    assert {"prob_defined", "prob_multiple"} <= set(irr) and "prob_defined" in irr["ci95"]
    for m in ("payback_years", "discounted_payback_years"):
        assert {"prob_within_horizon", "mean_within_horizon"} <= set(out["metrics"][m])
        assert "prob_within_horizon" in out["metrics"][m]["ci95"]
    for m in ("roi", "bcr"):
        assert "prob_defined" in out["metrics"][m]
    cby = out["cashflow_by_year"]
    assert set(cby) >= {"year", "mean", "p5", "p95"}
    assert cby["year"] == list(range(H + 1))
    assert all(len(cby[k]) == H + 1 for k in ("mean", "p5", "p95"))
    assert cby["mean"][0] == pytest.approx(-C)


def test_run_json_values_are_consistent(runner, good):
    out = run_json(runner, good, "--runs", "4000", "--seed", "5")
    for m in METRICS:
        s = out["metrics"][m]
        vals = [s[k] for k in PCT_KEYS if s[k] is not None]
        assert vals == sorted(vals), m
        for k in ["mean", *PCT_KEYS]:
            if s[k] is None:
                continue
            lo, hi = s["ci95"][k]
            assert lo <= s[k] <= hi, (m, k)
    npv = out["metrics"]["npv"]
    # NPV = -C + hours * SCALE * A, hours ~ N(MU, SD)
    m, sd = -C + MU * SCALE * ANNUITY, SD * SCALE * ANNUITY
    assert abs(npv["mean"] - m) < 5 * sd / math.sqrt(4000)
    assert 0 <= npv["prob_positive"] <= 1


def test_json_equals_library_summary(runner, good):
    out = run_json(runner, good, "--runs", "1500", "--seed", "8")
    lib = roisim.simulate(roisim.load_scenario(str(good)), runs=1500, seed=8)
    assert out == strict_json(lib.to_json())
    assert strict_json(lib.to_json()) == json.loads(json.dumps(lib.summary))


@pytest.mark.parametrize(
    "runs, expected", [("1e4", 10_000), ("2_000", 2000), ("1.5e3", 1500), ("700", 700)]
)
def test_runs_number_formats(runner, good, runs, expected):
    assert run_json(runner, good, "--runs", runs)["runs"] == expected


def test_seed_option(runner, good):
    a = run_json(runner, good, "--runs", "2000", "--seed", "1")
    b = run_json(runner, good, "--runs", "2000", "--seed", "1")
    c = run_json(runner, good, "--runs", "2000", "--seed", "2")
    assert a == b
    assert a["seed"] == 1 and c["seed"] == 2
    assert a["metrics"]["npv"]["mean"] != c["metrics"]["npv"]["mean"]


def test_set_override_changes_result_as_expected(runner, good):
    n = 4000
    base = run_json(runner, good, "--runs", n, "--seed", "11")
    moved = run_json(runner, good, "--runs", n, "--seed", "11", "--set", "inputs.hours.mean=80")
    shift = (80 - MU) * SCALE * ANNUITY
    sd = SD * SCALE * ANNUITY
    diff = moved["metrics"]["npv"]["mean"] - base["metrics"]["npv"]["mean"]
    assert abs(diff - shift) < 5 * math.sqrt(2) * sd / math.sqrt(n)
    assert moved["scenario"]["name"] == base["scenario"]["name"]
    two = run_json(
        runner,
        good,
        "--runs",
        n,
        "--seed",
        "11",
        "--set",
        "inputs.hours.mean=80",
        "--set",
        "scenario.horizon_years=3",
    )
    assert two["horizon_years"] == 3 and len(two["cashflow_by_year"]["year"]) == 4


# --------------------------------------------------------------------------- --output
def test_output_netcdf(runner, good, tmp_path):
    out = tmp_path / "out.nc"
    res = invoke(runner, "run", good, "--runs", "1200", "--seed", "4", "--output", out)
    assert res.exit_code == 0, res.output
    assert out.exists()
    with xr.open_dataset(out) as ds:
        assert "npv" in ds and ds.sizes["run"] == 1200
        assert "hours" in ds and "net_cashflow" in ds
        npv = ds["npv"].values
        np.testing.assert_allclose(npv, -C + ds["hours"].values * SCALE * ANNUITY, rtol=1e-9)
    summary = run_json(runner, good, "--runs", "1200", "--seed", "4")
    assert summary["metrics"]["npv"]["mean"] == pytest.approx(float(np.mean(npv)), rel=1e-12)


def test_output_to_unwritable_place_is_user_error(runner, good, tmp_path):
    res = invoke(
        runner, "run", good, "--runs", "100", "--output", tmp_path / "no" / "such" / "dir" / "x.nc"
    )
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output


# --------------------------------------------------------------------------- validate / version
def test_validate(runner, good):
    res = invoke(runner, "validate", good)
    assert res.exit_code == 0, res.output
    out = res.output
    for word in ("hours", "incidents", "Hours saved", "Platform build", "Incident handling"):
        assert word in out, word
    assert re.search(r"\b5\b", out)
    assert re.search(r"horizon", out, re.I)


def test_validate_bad_file(runner, write_toml):
    p = write_toml(GOOD.replace("horizon_years = 5", "horizon_years = 500"), "bad.toml")
    res = invoke(runner, "validate", p)
    assert res.exit_code == 2
    assert "bad.toml" in res.output and "scenario.horizon_years" in res.output
    assert "Traceback" not in res.output


def test_version(runner):
    res = invoke(runner, "--version")
    assert res.exit_code == 0
    assert metadata.version("roisim") in res.output
    assert roisim.__version__ in res.output


# --------------------------------------------------------------------------- user errors
USER_ERRORS = [
    # (replace this, with this, expected field path, extra args)
    ("horizon_years = 5", "horizon_years = = 5", None, []),  # TOML syntax
    ("horizon_years = 5", "horizon_year = 5", "scenario.horizon_year", []),
    ('dist = "normal"', 'dist = "normall"', "inputs.hours.dist", []),
    ("sd = 5", "sd = -5", "inputs.hours.sd", []),
    ('"hours * 1000"', '"hourz * 1000"', "benefits[0].amount", []),
    ('"hours * 1000"', '"__import__(\'os\').system(\'echo hi\')"', "benefits[0].amount", []),
    ('years = "0"', 'years = "0..9"', "costs[0].years", []),
    ('"incidents * 0"', '"incidents - 3"', "costs[1].amount", []),  # negative at run time
    ('"hours * 1000"', '"log(hours - 70) * 1000"', "benefits[0].amount", []),  # NaN at run time
    ("discount_rate = 0.08", "discount_rate = -1", "scenario.discount_rate", []),
    ("", "", "inputs.nope", ["--set", "inputs.nope.mean=3"]),
    ("", "", "scenario.horizon_yearz", ["--set", "scenario.horizon_yearz=3"]),
    ("", "", "inputs.hours.sd", ["--set", "inputs.hours.sd=abc"]),
    ("", "", "--set", ["--set", "inputs.hours.sd"]),
    ("", "", "benefits[7]", ["--set", "benefits[7].amount=5"]),
]


@pytest.mark.parametrize("old, new, path, extra", USER_ERRORS)
def test_user_errors_exit_2_with_one_line(runner, write_toml, old, new, path, extra):
    text = GOOD.replace(old, new, 1) if old else GOOD
    assert text != GOOD or extra
    p = write_toml(text, "broken.toml")
    res = invoke(runner, "run", p, "--runs", "2000", "--quiet", *extra)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1, res.output
    assert "broken.toml" in lines[0]
    if path is None:  # TOML syntax error: FILE:LINE:
        line_no = next(i for i, ln in enumerate(p.read_text().splitlines(), 1) if "= =" in ln)
        assert f"broken.toml:{line_no}:" in lines[0]
    else:
        assert path in lines[0], lines[0]
    assert res.stdout.strip() == "", "errors go to stderr"


@pytest.mark.parametrize(
    "args",
    [
        ["--runs", "abc"],
        ["--runs", "0"],
        ["--runs", "-5"],
        ["--runs", "2.5"],
        ["--seed", "abc"],
        ["--seed", "-1"],
        ["--bogus"],
    ],
)
def test_bad_options_exit_2(runner, good, args):
    res = invoke(runner, "run", good, *args)
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output


def test_missing_file_exit_2(runner, tmp_path):
    res = invoke(runner, "run", tmp_path / "nope.toml")
    assert res.exit_code == 2
    assert "nope.toml" in res.output and "Traceback" not in res.output
    res = invoke(runner, "validate", tmp_path / "nope.toml")
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_directory_instead_of_file_exit_2(runner, tmp_path):
    res = invoke(runner, "run", tmp_path)
    assert res.exit_code == 2 and "Traceback" not in res.output


def test_no_code_runs_from_cli(runner, write_toml, tmp_path):
    target = tmp_path / "pwned"
    text = GOOD.replace('"hours * 1000"', json.dumps(f"__import__('os').system('touch {target}')"))
    res = invoke(runner, "run", write_toml(text, "evil.toml"), "--runs", "100")
    assert res.exit_code == 2 and not target.exists()
    res = invoke(
        runner,
        "run",
        write_toml(GOOD, "g2.toml"),
        "--runs",
        "100",
        "--set",
        f"benefits[0].amount=__import__('os').system('touch {target}')",
    )
    assert res.exit_code == 2 and not target.exists()


# --------------------------------------------------------------------------- console script
def test_console_script(good):
    exe = shutil.which("roisim") or str(Path(sys.executable).parent / "roisim")
    if not Path(exe).exists():
        pytest.skip("roisim console script not installed")
    out = subprocess.run(
        [exe, "run", str(good), "--runs", "2000", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    data = strict_json(out.stdout)
    assert data["runs"] == 2000 and data["seed"] == 42
    m, sd = -C + MU * SCALE * ANNUITY, SD * SCALE * ANNUITY
    assert abs(data["metrics"]["npv"]["mean"] - m) < 5 * sd / math.sqrt(2000)
    truth = stats.norm.cdf(m / sd)
    assert (
        abs(data["metrics"]["npv"]["prob_positive"] - truth)
        < 5 * math.sqrt(truth * (1 - truth) / 2000) + 1e-9
    )
    bad = subprocess.run(
        [exe, "run", str(good) + ".missing"], capture_output=True, text=True, timeout=300
    )
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


@pytest.mark.parametrize(
    "argv, code, err",
    [
        (["--version"], 0, ""),
        (["run"], 2, "Missing argument"),  # click usage error
        (["run", "missing.toml"], 2, "error: missing.toml"),
    ],
)
def test_entry_ends_with_the_command_exit_code(monkeypatch, capsys, argv, code, err):
    # entry() ends the process with os._exit (skipping a slow interpreter shutdown): the exit code
    # and everything printed must still come through
    import roisim.cli.main as cli

    seen = []
    monkeypatch.setattr(cli, "_exit_now", seen.append)
    monkeypatch.setattr(sys, "argv", ["roisim", *argv])
    cli.entry()
    assert seen == [code]
    assert err in capsys.readouterr().err


def test_entry_ctrl_c_and_message_exits(monkeypatch, capsys):
    import roisim.cli.main as cli

    seen = []
    monkeypatch.setattr(cli, "_exit_now", seen.append)

    def interrupted():
        raise KeyboardInterrupt

    def message():
        raise SystemExit("stopped: reason")

    for fn, code, text in (
        (interrupted, 130, "interrupted: nothing was written"),
        (message, 1, "stopped: reason"),
    ):
        monkeypatch.setattr(cli, "main", fn)
        cli.entry()
        assert seen[-1] == code and text in capsys.readouterr().err


# ---------------------------------------------------------------- command-line mistakes, one line
@pytest.mark.parametrize(
    "argv, fragments",
    [
        (["run", "{f}", "--runs", "abc"], ["'--runs'", "whole number", "'roisim run --help'"]),
        (["run", "{f}", "--sampling", "lhx"], ["'--sampling'", "did you mean 'lhs'"]),
        (["run", "{f}", "--threads", "x"], ["'--threads'", "'x'"]),
        (["run", "{f}", "--sedd", "3"], ["no such option '--sedd'", "'--seed'"]),
        (["run"], ["missing argument 'scenario.toml'", "'roisim run --help'"]),
        (["plot", "{f}"], ["missing option '-o'", "'roisim plot --help'"]),
        (["sensitivity", "{f}", "--runs", "0"], ["'--runs'", ">= 1"]),
        (["runn", "{f}"], ["no such command 'runn'", "'roisim --help'"]),
        (["--bogus"], ["no such option '--bogus'", "'roisim --help'"]),
    ],
)
def test_usage_mistakes_are_one_line_errors(argv, fragments):
    # click's own usage block (Usage: ..., Try ..., Error: ...) is three lines; roisim prints
    # every mistake as one "error: ..." line, exit code 2, as it does for a bad scenario file
    fintech = str(Path(__file__).resolve().parents[1] / "scenarios" / "fintech.toml")
    res = CliRunner().invoke(main, [a.replace("{f}", fintech) for a in argv], prog_name="roisim")
    lines = res.output.strip().splitlines()
    assert res.exit_code == 2 and len(lines) == 1, res.output
    assert lines[0].startswith("error: ") and "Traceback" not in res.output
    for fragment in fragments:
        assert fragment in lines[0].lower(), lines[0]


def test_help_and_version_still_print_in_full():
    shown = CliRunner().invoke(main, ["run", "--help"], prog_name="roisim")
    assert shown.exit_code == 0 and shown.output.startswith("Usage: roisim run [OPTIONS]")
    assert "--runs" in shown.output and len(shown.output.splitlines()) > 10
    version = CliRunner().invoke(main, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("roisim, version ")
