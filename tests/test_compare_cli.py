"""``roisim compare`` on the command line: the text report, ``--json``, warnings on stderr and
the one-line errors (exit 2)."""

from __future__ import annotations

import json
import math

import pytest
from click.testing import CliRunner
from shared_scenarios import MIXED

from roisim.analysis.intervals import Z
from roisim.cli.main import main

EPS = 2.0**-52
SIMULATION = "[simulation]\nruns = 20_000\nseed = 11\n\n[inputs]"
A = MIXED.replace("[inputs]", SIMULATION)
FINTECH, BUY = "scenarios/fintech.toml", "scenarios/fintech-buy.toml"


def invoke(*args):
    return CliRunner().invoke(main, ["compare", *map(str, args)], catch_exceptions=False)


def one_error_line(res) -> str:
    assert res.exit_code == 2, res.output
    assert res.stdout == "" and "Traceback" not in res.output
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.fixture(scope="module")
def fintech_json():
    res = invoke(FINTECH, BUY, "--json")
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_fintech_against_fintech_buy_end_to_end(fintech_json):
    s = fintech_json
    assert list(s) == ["options", "differences", "prob_best", "inputs", "warnings"]
    assert [o["file"] for o in s["options"]] == [FINTECH, BUY]
    # each option's summary is exactly what `roisim run --json` prints at the same runs and seed
    runs, seed = s["options"][0]["summary"]["runs"], s["options"][0]["summary"]["seed"]
    assert (runs, seed) == (200_000, 20261201)  # fintech.toml's [simulation]
    run = CliRunner().invoke(main, ["run", BUY, "--json", "--quiet"], catch_exceptions=False)
    assert json.loads(run.stdout) == s["options"][1]["summary"]
    d = s["differences"][0]
    assert (d["option"], d["versus"]) == (1, 0)
    assert d["npv"]["ci95"][0] <= d["npv"]["mean"] <= d["npv"]["ci95"][1]
    assert d["npv"]["p5"] <= d["npv"]["p50"] <= d["npv"]["p95"]
    assert 0 < d["prob_better"]["value"] < 1 and s["warnings"] == []


def test_the_text_report(tmp_path):
    res = invoke(FINTECH, BUY, "--runs", "20000")
    assert res.exit_code == 0, res.output
    text = res.stdout
    for part in ("Comparison of 2 options on common random numbers", "Headline figures",
                 "NPV[2] − NPV[1]", "P([2] better than [1])", "P(best)",
                 "Shared by every option", "missed_fraud_losses", "discount_rate",
                 "Drawn by some options only", "platform_fte [1]", "service_fte [2]",
                 "Sharing is what makes the differences sharp"):
        assert part in text, part
    assert res.stderr == ""


def test_summary_only_gives_the_same_figures(fintech_json):
    res = invoke(FINTECH, BUY, "--json", "--summary-only")
    assert res.exit_code == 0, res.output
    s = json.loads(res.stdout)
    assert s["options"] == fintech_json["options"] and s["prob_best"] == fintech_json["prob_best"]
    d, m = s["differences"][0], fintech_json["differences"][0]
    assert d["prob_better"] == m["prob_better"]
    for p in ("p5", "p50", "p95"):  # the same order statistics
        assert d["npv"][p] == m["npv"][p]
    # the mean, summed two ways: each sum of n terms is within n·eps·Σ|d_i|/n ≤ n·eps·rms(d) of
    # the exact mean, and rms(d) = sqrt(mean² + sd²), sd from the interval's half-width
    n = fintech_json["options"][0]["summary"]["runs"]
    lo, hi = m["npv"]["ci95"]
    sd = (hi - lo) / 2 * math.sqrt(n) / Z
    bound = 2 * n * EPS * math.hypot(m["npv"]["mean"], sd)
    assert abs(d["npv"]["mean"] - m["npv"]["mean"]) <= bound


def test_one_file_is_an_error():
    line = one_error_line(invoke(FINTECH))
    assert "at least two scenario files, got 1" in line


def test_different_currencies_are_one_error_line_naming_both(write_toml):
    a = write_toml(A, "a.toml")
    b = write_toml(A.replace('currency = "GBP"', 'currency = "USD"'), "b.toml")
    line = one_error_line(invoke(a, b))
    for part in (str(a), str(b), "GBP", "USD"):
        assert part in line


def test_a_bad_file_is_located(write_toml):
    a = write_toml(A, "a.toml")
    b = write_toml(A.replace("sd = 18", "sd = -18"), "b.toml")
    line = one_error_line(invoke(a, b))
    assert "b.toml:" in line and "inputs.saving.sd" in line


def test_different_horizons_warn_on_stderr(write_toml):
    a = write_toml(A, "a.toml")
    b = write_toml(A.replace("horizon_years = 4", "horizon_years = 5"), "b.toml")
    res = invoke(a, b, "--json")
    assert res.exit_code == 0, res.output
    warnings = [ln for ln in res.stderr.splitlines() if ln.startswith("warning: ")]
    assert len(warnings) == 1 and "different horizons" in warnings[0]
    assert json.loads(res.stdout)["warnings"] == [warnings[0].removeprefix("warning: ")]
