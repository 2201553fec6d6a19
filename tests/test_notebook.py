"""docs/examples/investment-committee.ipynb runs end to end on a real Jupyter kernel."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import nbclient
import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "examples" / "investment-committee.ipynb"
PNG = b"\x89PNG\r\n\x1a\n"


def python3_kernel(folder: Path) -> Path:
    """A ``python3`` kernelspec in ``folder``/kernels that runs this interpreter (the test's venv)
    with ipykernel, whatever kernelspecs the machine or the user have installed: put ``folder``
    first on JUPYTER_PATH and Jupyter finds it before any other ``python3``."""
    spec = folder / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (roisim tests)",
        "language": "python",
    }))
    return folder


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook, executed from its own folder on a real kernel, with its outputs sent to a
    temporary folder."""
    out = tmp_path_factory.mktemp("committee")
    jupyter = python3_kernel(tmp_path_factory.mktemp("jupyter"))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("JUPYTER_PATH", str(jupyter))
        env.setenv("ROISIM_NOTEBOOK_OUT", str(out))
        env.delenv("ROISIM_ROOT", raising=False)
        env.delenv("ROISIM_NOTEBOOK_RUNS", raising=False)
        env.delenv("MPLBACKEND", raising=False)
        client = nbclient.NotebookClient(nb, kernel_name="python3", timeout=600,
                                         resources={"metadata": {"path": str(NOTEBOOK.parent)}})
        client.execute()  # raises CellExecutionError on the first cell that fails
    return nb, out


def test_the_kernel_runs_this_interpreter(tmp_path, monkeypatch):
    from jupyter_client.kernelspec import KernelSpecManager

    monkeypatch.setenv("JUPYTER_PATH", str(python3_kernel(tmp_path)))
    assert KernelSpecManager().get_kernel_spec("python3").argv[0] == sys.executable


def outputs(nb, source_contains: str) -> list:
    cells = [c for c in nb.cells if c.cell_type == "code" and source_contains in c.source]
    assert len(cells) == 1, source_contains
    return cells[0].outputs


def text_of(outs) -> str:
    return "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in outs)


def test_the_stored_notebook_has_no_outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None


def test_no_cell_fails(executed):
    nb, _ = executed
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None
            assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
            for o in cell.outputs:  # no warning or traceback printed on stderr
                assert not (o.output_type == "stream" and o.name == "stderr"), o.text


def test_the_headline_matches_a_fresh_simulation(executed):
    """The notebook's printed figures are what roisim gives for the same runs and seed."""
    import roisim
    from roisim.report.numbers import money, percent

    nb, _ = executed
    scenario = roisim.load_scenario(ROOT / "scenarios" / "fintech.toml")
    npv = roisim.simulate(scenario, runs=20_000, seed=scenario.seed).figures.metrics.npv
    text = text_of(outputs(nb, "money(npv.mean)"))
    assert f"mean NPV            {money(npv.mean)}" in text
    assert f"P(NPV > 0)          {percent(npv.prob_positive)}" in text


def test_the_inputs_table_shows_every_description(executed):
    import roisim

    nb, _ = executed
    html = "".join(o.data.get("text/html", "") for o in outputs(nb, "columns=[\"input\"")
                   if o.output_type == "execute_result")
    for inp in roisim.load_scenario(ROOT / "scenarios" / "fintech.toml").inputs.values():
        assert inp.name in html and inp.description in html


@pytest.mark.parametrize("call", ["plot.npv()", "plot.fan()", 'draw("tornado"', 'draw("stress"',
                                  'draw("compare"'])
def test_every_chart_is_an_image(executed, call):
    nb, _ = executed
    pngs = [o.data["image/png"] for o in outputs(nb, call) if "image/png" in o.get("data", {})]
    assert len(pngs) == 1, call
    raw = base64.b64decode(pngs[0])
    assert raw.startswith(PNG) and len(raw) > 10_000  # a drawn chart, not an empty canvas


def html_of(outs) -> str:
    return "".join(o.data.get("text/html", "") for o in outs if o.output_type == "execute_result")


def test_the_results_show_themselves_as_html(executed):
    """``_repr_html_``: the result's headline (with its inline SVG histogram) and the compact
    tables of the sensitivity, stress and compare results, as Jupyter displays them."""
    import roisim
    from roisim.report.numbers import money, percent

    nb, _ = executed
    scenario = roisim.load_scenario(ROOT / "scenarios" / "fintech.toml")
    npv = roisim.simulate(scenario, runs=20_000, seed=scenario.seed).figures.metrics.npv
    result = html_of(outputs(nb, "result = roisim.simulate("))
    assert "<svg" in result and money(npv.mean) in result and percent(npv.prob_positive) in result
    assert "EVPI" in html_of([o for c in nb.cells if c.cell_type == "code" and c.source == "sens"
                              for o in c.outputs])
    stress = html_of([o for c in nb.cells if c.cell_type == "code" and c.source == "stressed"
                      for o in c.outputs])
    for case in scenario.stress:
        assert case.name in stress
    compare = html_of([o for c in nb.cells if c.cell_type == "code" and c.source == "comparison"
                       for o in c.outputs])
    assert "as a managed service" in compare and scenario.name in compare


def test_the_report_is_written_outside_the_repository(executed):
    nb, out = executed
    report = out / "fintech.html"
    assert report.is_file() and report.stat().st_size > 50_000
    text = report.read_text(encoding="utf-8")
    assert "<svg" in text and "Fintech: fraud model automated retraining and monitoring" in text
    assert str(report) in text_of(outputs(nb, "write_report("))
    assert not list((ROOT / "docs" / "examples").glob("*.html"))


def test_the_notebook_is_valid_json_with_a_python3_kernel():
    data = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert data["nbformat"] == 4 and data["metadata"]["kernelspec"]["name"] == "python3"


def test_the_workbook_is_written_with_every_input_described(executed):
    import openpyxl

    import roisim

    nb, out = executed
    path = out / "fintech.xlsx"
    assert str(path) in text_of(outputs(nb, "write_workbook("))
    book = openpyxl.load_workbook(path)
    assert {"Summary", "Inputs", "Cash flows", "Model"} <= set(book.sheetnames)
    assert {"model_npv", "model_irr", "model_payback"} <= set(book.defined_names)
    cells = {str(v) for row in book["Inputs"].iter_rows(values_only=True) for v in row}
    for inp in roisim.load_scenario(ROOT / "scenarios" / "fintech.toml").inputs.values():
        assert inp.description in cells, inp.name
    assert not list((ROOT / "docs" / "examples").glob("*.xlsx"))
