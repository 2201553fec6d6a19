"""``roisim export``: the workbook, recalculated by a real spreadsheet engine (LibreOffice).

LibreOffice does not recalculate an .xlsx on load by default, and XlsxWriter caches 0 as every
formula's value, so these tests convert with a private profile that sets ``OOXMLRecalcMode`` to
0 (always recalculate), and ``test_without_recalculation_the_model_reads_zero`` shows that
without it the Model sheet's checks would fail.  All workbooks are converted in one soffice
call.  Expected values come from ``roisim.analysis.central`` (checked against hand-computed
flows in tests/test_central_case.py) and from the run summary and dataset of the same
simulation; the spreadsheet engine computes the formulas independently.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import openpyxl
import pytest
from click.testing import CliRunner

import roisim
from roisim.analysis.central import central_case, central_flows
from roisim.cli.main import main
from roisim.report.workbook import write_workbook
from roisim.report.workbook.formulas import excel_names, needs_prefix

SCENARIOS = ("fintech", "ecommerce", "recruitment")
RUNS, SEED, RUNS_SHEET = 3_000, 11, 40
RESULTS = {"model_npv": "npv", "model_irr": "irr", "model_payback": "payback_years",
           "model_discounted_payback": "discounted_payback_years", "model_roi": "roi",
           "model_bcr": "bcr"}
RECALC = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode"
 oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
FUNCTIONS = """
[scenario]
name = "every function"
horizon_years = 3
discount_rate = 0.07
timing = "mid-year"
[inputs]
x1 = { dist = "uniform", min = 1, max = 3 }
r2c3 = 4
c = 0.5
mixed = "min(x1, 5, 7) + max(x1, 0) + abs(-x1) + exp(c) + log(x1) + sqrt(r2c3) + -x1 ** 2"
gates = "clip(x1, 0, 1.5) + where(x1 > 1, 10, 20) + (x1 <= 2) + (x1 == 2) + (x1 != 2) + k"
k = "(x1 >= 3) + (x1 < 1)"
later = "where(year >= 2, mixed * 2, gates / 4)"
[[benefits]]
name = "b"
amount = "later + 30"
growth = "c / 10 * year"
ramp = [0.3]
[[costs]]
name = "c"
amount = 400
years = "0"
"""

# discount schedules (issue 11, part 4): drawn and constant entries crossing year 31, and the
# Green Book preset under mid-year timing; the Model sheet's factors follow the schedule
SCHEDULES = {
    "schedule": FUNCTIONS.replace("discount_rate = 0.07", (
        'discount_rate = { schedule = [[0, { dist = "uniform", min = 0.03, max = 0.05 }], '
        '[2, 0.02], [3, { dist = "pert", min = 0.05, mode = 0.06, max = 0.09 }]] }')).replace(
        'timing = "mid-year"', 'timing = "end-of-year"'),
    "schedule_mid": FUNCTIONS.replace("discount_rate = 0.07", (
        'discount_rate = { schedule = [[0, 0.035], [2, { dist = "uniform", min = 0.03, '
        'max = 0.05 }], [3, 0.06]] }')),
    "green_book": """
[scenario]
name = "green book"
horizon_years = 40
discount_rate = "green-book-2018"
timing = "mid-year"
[inputs]
x = { dist = "uniform", min = 50, max = 150 }
[[benefits]]
name = "b"
amount = "x"
growth = 0.01
[[costs]]
name = "c"
amount = 1500
years = "0"
""",
}


def _soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    assert exe, "LibreOffice (soffice) is needed: apt-get install -y libreoffice-calc-nogui"
    return exe


def convert(paths, outdir: Path, profile: Path | None) -> list[Path]:
    """Open and re-save ``paths`` with LibreOffice in one call; with ``profile`` recalculating."""
    outdir.mkdir(exist_ok=True)
    cmd = [_soffice()]
    if profile is not None:
        cmd.append(f"-env:UserInstallation={profile.as_uri()}")
    cmd += ["--headless", "--calc", "--convert-to", "xlsx:Calc MS Excel 2007 XML",
            "--outdir", str(outdir), *map(str, paths)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=240)
    out = [outdir / Path(p).name for p in paths]
    assert all(p.exists() for p in out), out
    return out


def recalc_profile(root: Path) -> Path:
    profile = root / "profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALC)
    return profile


def named(wb, name: str):
    """The value of the cell a workbook-level defined name points to."""
    [(sheet, ref)] = list(wb.defined_names[name].destinations)
    return wb[sheet][ref.replace("$", "")].value


def set_named(path: Path, name: str, value: float, target: Path) -> None:
    wb = openpyxl.load_workbook(path)
    [(sheet, ref)] = list(wb.defined_names[name].destinations)
    wb[sheet][ref.replace("$", "")].value = value
    wb.save(target)


@pytest.fixture(scope="module")
def books(tmp_path_factory):
    """Every workbook, written and recalculated in one LibreOffice call."""
    root = tmp_path_factory.mktemp("books")
    made, scenarios, results = {}, {}, {}
    for name in SCENARIOS:
        s = roisim.load_scenario(f"scenarios/{name}.toml")
        scenarios[name] = s
        made[name] = write_workbook(root / f"{name}.xlsx", s, runs=RUNS, seed=SEED,
                                    runs_sheet=RUNS_SHEET, sensitivity=name == "fintech")
        results[name] = roisim.simulate(s, runs=RUNS, seed=SEED)
    scenarios["functions"] = roisim.load_scenario(FUNCTIONS)
    made["functions"] = write_workbook(root / "functions.xlsx", scenarios["functions"],
                                       runs=200, seed=1, runs_sheet=5, sensitivity=False)
    for key, text in SCHEDULES.items():
        scenarios[key] = roisim.load_scenario(text)
        made[key] = write_workbook(root / f"{key}.xlsx", scenarios[key], runs=200, seed=1,
                                   runs_sheet=5, sensitivity=False)
    # the input changes: a constant, and a distribution whose mode moves (so does its median)
    changes = {
        "fintech_rate": ("fintech", "ds_rate", ["inputs.ds_rate=90"]),
        "recruitment_mode": ("recruitment", "deploy_weeks_after",
                             ["inputs.deploy_weeks_after.mode=8"]),
    }
    for key, (base, input_name, overrides) in changes.items():
        changed = roisim.load_scenario(f"scenarios/{base}.toml", overrides)
        scenarios[key] = changed
        value = central_flows(changed).value(input_name)
        set_named(made[base], input_name, value, root / f"{key}.xlsx")
        made[key] = root / f"{key}.xlsx"
    out = convert(list(made.values()), root / "out", recalc_profile(root))
    loaded = {key: openpyxl.load_workbook(p, data_only=True) for key, p in zip(made, out)}
    return {"root": root, "written": made, "books": loaded, "scenarios": scenarios,
            "results": results}


def check_model(wb, scenario) -> None:
    want = central_case(scenario)
    for name, key in RESULTS.items():
        got = named(wb, name)
        if want[key] is None:
            assert isinstance(got, str), (name, got)  # "> 5 y", "none" or "n/a"
        else:
            assert isinstance(got, float), (name, got)
            assert got == pytest.approx(want[key], rel=1e-9, abs=1e-12), name


@pytest.mark.parametrize("name", SCENARIOS + ("functions", *SCHEDULES))
def test_model_sheet_recomputes_the_central_case(books, name):
    check_model(books["books"][name], books["scenarios"][name])


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedule_entries_are_named_cells_and_the_factors_follow_them(books, name):
    """Each entry in force is a named cell at its median; the recalculated discount factors are
    the central case's (plain products of 1/(1+r_t) in tests/test_discount_schedule.py)."""
    wb, s = books["books"][name], books["scenarios"][name]
    flows = central_flows(s)
    names = excel_names([f"discount_rate.{y}" for y, _ in flows.schedule])
    for (_, rate), defined in zip(flows.schedule, names.values()):
        assert named(wb, defined) == pytest.approx(rate, rel=1e-12)
    rows = {r[0]: r for r in wb["Model"].iter_rows(values_only=True) if r[0]}
    got = rows["Discount factor"][4:4 + s.horizon_years + 1]
    assert list(got) == pytest.approx(list(flows.discount), rel=1e-12)


@pytest.mark.parametrize("key", ["fintech_rate", "recruitment_mode"])
def test_changing_an_input_cell_moves_the_npv_as_set_does(books, key):
    base = key.split("_")[0]
    wb, changed = books["books"][key], books["scenarios"][key]
    check_model(wb, changed)
    before = central_case(books["scenarios"][base])["npv"]
    assert named(wb, "model_npv") != pytest.approx(before, rel=1e-6)  # it did move


def test_without_recalculation_the_model_reads_zero(books, tmp_path):
    """The trap: LibreOffice's default profile keeps XlsxWriter's cached 0s, which the checks
    above would reject (the central NPV is far from 0)."""
    [out] = convert([books["written"]["fintech"]], tmp_path / "plain", tmp_path / "default")
    wb = openpyxl.load_workbook(out, data_only=True)
    assert named(wb, "model_npv") == 0
    assert central_case(books["scenarios"]["fintech"])["npv"] != pytest.approx(0, abs=1.0)


@pytest.mark.parametrize("name", SCENARIOS)
def test_input_names_resolve_to_the_central_values(books, name):
    wb, s = books["books"][name], books["scenarios"][name]
    flows = central_flows(s)
    names = excel_names(["discount_rate", *s.inputs,
                         *(ln.input_name for ln in s.lines if ln.amount.kind == "dist")])
    per_year_derived = {n for n in flows.year_inputs if s.inputs[n].kind == "derived"}
    for input_name, defined in names.items():
        if input_name in per_year_derived:
            assert defined not in wb.defined_names  # a row across the years, not one cell
            continue
        assert named(wb, defined) == pytest.approx(flows.value(input_name), rel=1e-12), defined


def test_prefixed_names_and_no_errors_anywhere(books):
    wb = books["books"]["functions"]
    assert "in_x1" in wb.defined_names and "in_r2c3" in wb.defined_names
    assert "x1" not in wb.defined_names
    assert named(wb, "in_r2c3") == 4
    for key, book in books["books"].items():
        for ws in book.worksheets:
            assert len(ws.title) <= 31
            for row in ws.iter_rows():
                for c in row:
                    assert not (isinstance(c.value, str) and c.value.startswith("#")), (
                        key, ws.title, c.coordinate, c.value)


def test_excel_names():
    for bad in ("x1", "ab12", "XFD1048576", "r", "C", "r2c3", "RC", "TRUE", "_xlfn", "a b"):
        assert needs_prefix(bad), bad
    for good in ("analyst_rate", "x", "rate_1", "abcd1", "_rate"):
        assert not needs_prefix(good), good
    got = excel_names(["Rate", "rate", "model_npv", "x1", "in_x1"])
    assert got == {"Rate": "Rate", "rate": "in_rate", "model_npv": "in_model_npv",
                   "x1": "in_x1", "in_x1": "in_in_x1"}


def _rows(ws) -> dict:
    return {row[0].value: row for row in ws.iter_rows() if row[0].value is not None}


def test_summary_sheet_holds_the_summary_as_numbers(books):
    wb, result = books["books"]["fintech"], books["results"]["fintech"]
    ws = wb["Summary"]
    rows = _rows(ws)
    header = [c.value for c in rows["Metric"]]
    npv = rows["NPV"]
    m = result.summary["metrics"]["npv"]
    for label, want in (("Mean", m["mean"]), ("SD", m["sd"]), ("P5", m["p5"]),
                        ("P95", m["p95"]), ("Mean: 95% low", m["ci95"]["mean"][0]),
                        ("Probability", m["prob_positive"])):
        cell = npv[header.index(label)]
        assert cell.data_type == "n" and cell.value == pytest.approx(want, rel=1e-12), label
    central = npv[header.index("Central case")].value
    assert central == pytest.approx(central_case(books["scenarios"]["fintech"])["npv"])
    gap = rows["Mean NPV minus central-case NPV"][1].value  # a formula, recalculated
    assert gap == pytest.approx(m["mean"] - central, rel=1e-9)
    assert rows["Runs"][1].value == RUNS and rows["Seed"][1].value == SEED
    assert {"Summary", "Inputs", "Cash flows", "Sensitivity", "Stress", "Runs", "Model"} <= set(
        wb.sheetnames)
    assert "Sensitivity" not in books["books"]["ecommerce"].sheetnames


def test_runs_sheet_is_the_dataset(books):
    ws = books["books"]["recruitment"]["Runs"]
    ds = books["results"]["recruitment"].dataset
    cells = list(ws.iter_rows(min_row=2, values_only=True))
    header, data = cells[0], cells[1:]
    assert len(data) == RUNS_SHEET
    for name in ("npv", "irr", "payback_years", "adopting_teams", "net_cashflow [year 2]"):
        col = header.index(name)
        want = (ds[name].values if "[" not in name else ds["net_cashflow"].values[:, 2])
        got = np.array([np.nan if r[col] is None else r[col] for r in data], float)
        expected = np.where(np.isfinite(want[:RUNS_SHEET]), want[:RUNS_SHEET], np.nan)
        np.testing.assert_allclose(got, expected, rtol=1e-12, equal_nan=True)
    for s in ds.data_vars:
        if ds[s].dims == ("run",):
            assert s in header, s


def test_inputs_and_cash_flow_sheets(books):
    wb, result = books["books"]["fintech"], books["results"]["fintech"]
    rows = _rows(wb["Inputs"])
    rate = rows["analyst_rate"]
    sampled = np.quantile(result.dataset["analyst_rate"].values, [0.05, 0.5, 0.95])
    assert [c.value for c in rate[4:7]] == pytest.approx(list(sampled), rel=1e-12)
    assert rate[2].value == "Normal, mean 45, sd 5, at least 30"
    cf = list(wb["Cash flows"].iter_rows(min_row=3, max_row=3 + result.figures.horizon_years,
                                         values_only=True))
    by_year = result.summary["cashflow_by_year"]
    assert [r[1] for r in cf] == pytest.approx(by_year["mean"], rel=1e-12)
    assert [r[4] for r in cf] == pytest.approx(list(central_flows(
        books["scenarios"]["fintech"]).net), rel=1e-12)


def test_inputs_sheet_lists_the_correlations_of_the_summary(books):
    """fintech.toml's two correlated pairs, below the inputs: target, used and realised as
    numbers equal to the run's summary."""
    corr = books["results"]["fintech"].summary["correlations"]
    sheet = list(books["books"]["fintech"]["Inputs"].iter_rows(values_only=True))
    header = next(k for k, r in enumerate(sheet) if r[0] == "Correlated inputs")
    rows = {r[0]: r[1:4] for r in sheet[header + 1:] if r[0]}
    names = corr["inputs"]
    want = {f"{names[i]} and {names[j]}": tuple(corr[k][i][j] for k in ("target", "used"))
            for i in range(len(names)) for j in range(i + 1, len(names)) if corr["target"][i][j]}
    assert sorted(rows) == sorted(want) and len(want) == 2
    for pair, (target, used) in want.items():
        assert rows[pair][:2] == pytest.approx((target, used), abs=1e-12), pair
    for v in rows.values():
        assert isinstance(v[2], float) and abs(v[2]) <= 1


def test_cash_flows_sheet_lists_each_lines_percentiles_by_year(books):
    """Each line's P5 and P95 by year are numpy's quantiles of that line's amounts in the runs
    (the same runs and seed as the workbook's)."""
    s = books["scenarios"]["fintech"]
    amounts = roisim.simulate(s, runs=RUNS, seed=SEED, line_years=True).dataset["line_amount"]
    labelled = {r[0]: r[1:] for r in books["books"]["fintech"]["Cash flows"].iter_rows(
        values_only=True) if isinstance(r[0], str)}
    years = s.horizon_years + 1
    for j, line in enumerate(amounts["line"].values):
        kind = str(amounts["line_kind"].values[j])
        for label, q in (("P5", 0.05), ("P95", 0.95)):
            row = labelled[f"{line} ({kind}): {label}"][:years]
            want = np.quantile(amounts.values[:, j, :], q, axis=0)
            assert list(row) == pytest.approx(list(want), rel=1e-9, abs=1e-9), (line, label)


# ---------------------------------------------------------------- the command line
@pytest.fixture
def runner():
    return CliRunner()


def test_cli_writes_the_workbook(runner, tmp_path):
    out = tmp_path / "case.xlsx"
    res = runner.invoke(main, ["export", "scenarios/ecommerce.toml", "-o", str(out),
                               "--runs", "500", "--seed", "3", "--runs-sheet", "1e1",
                               "--no-sensitivity", "--set", "inputs.eng_rate=80"])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    assert wb["Runs"].max_row == 2 + 10
    rows = _rows(wb["Summary"])
    assert "--set inputs.eng_rate=80" in rows["Command"][1].value
    assert named(wb, "eng_rate") == 80


@pytest.mark.parametrize("args, message", [
    (["-o", "{tmp}/case.csv"], "must end in .xlsx"),
    (["-o", "{tmp}/dir.xlsx"], "is a directory"),
    (["-o", "{tmp}/missing/case.xlsx"], "does not exist"),
    (["-o", "{tmp}/case.xlsx", "--runs-sheet", "abc"], "--runs-sheet"),
    (["-o", "{tmp}/case.xlsx", "--runs-sheet", "-5"], "--runs-sheet"),
    (["-o", "{tmp}/case.xlsx", "--runs-sheet", "2.5"], "--runs-sheet"),
    (["-o", "{tmp}/case.xlsx", "--runs-sheet", "2e6"], "Excel's rows"),
    (["-o", "{tmp}/case.xlsx", "--set", "inputs.analyst_rate.sd=-5"], "must be > 0"),
])
def test_cli_errors_are_one_line_exit_2(runner, tmp_path, args, message):
    (tmp_path / "dir.xlsx").mkdir()
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    res = runner.invoke(main, ["export", "scenarios/fintech.toml", *args])
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], lines
    assert not (tmp_path / "case.xlsx").exists()
    assert not list(tmp_path.glob("*.partial"))


def test_missing_scenario_is_one_line(runner, tmp_path):
    res = runner.invoke(main, ["export", str(tmp_path / "nope.toml"), "-o",
                               str(tmp_path / "x.xlsx")])
    assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1
    assert "file not found" in res.stderr
