"""Result: the per-run arrays as an ``xarray.Dataset`` plus the summary dictionary."""

from __future__ import annotations

import json
import math

import numpy as np

from roisim._version import __version__
from roisim.engine.layout import METRICS, ROW, Layout
from roisim.engine.plan import Plan
from roisim.files import replacing

METRIC_ATTRS = {
    "npv": ("net present value", "currency"),
    "irr": ("internal rate of return (NaN: none in (-0.99, 10])", "fraction per year"),
    "payback_years": ("simple payback (inf: not within horizon)", "years"),
    "discounted_payback_years": ("discounted payback (inf: not within horizon)", "years"),
    "roi": ("(sum of benefits - sum of costs) / sum of costs, undiscounted", "fraction"),
    "bcr": ("PV(benefits) / PV(costs)", "ratio"),
}


def build_dataset(plan: Plan, arrays, seed: int):
    """The per-run arrays as an xarray.Dataset (views, no copies).

    Variables: the metrics, ``net_cashflow``, ``line_pv`` (run, line: each line's present value,
    ``Σ_t A_jt·d_t``, costs positive; coordinates ``line`` = line names and ``line_kind`` =
    "benefit" or "cost"), ``line_amount`` (run, line, year) when the plan kept the line-year rows,
    and, when the inputs were kept, every input under its name; a distribution written directly
    as a line's amount is named after the line, ``"costs: Build and integration"``
    (``roisim.scenario.model.line_input_name``)."""
    import xarray as xr  # imported here: a CLI run that prints a report never needs it

    s = plan.scenario
    n = arrays.n
    coords = {"run": np.arange(arrays.start, arrays.start + n), "year": np.arange(plan.years)}
    data = {}
    for name in METRICS:
        desc, unit = METRIC_ATTRS[name]
        data[name] = (
            "run",
            arrays.values[ROW[name]],
            {"long_name": desc, "units": s.currency if unit == "currency" else unit},
        )
    data["net_cashflow"] = (
        ("run", "year"),
        arrays.cashflow,
        {"long_name": "net cash flow (benefits - costs)", "units": s.currency},
    )
    data.update(_line_variables(Layout.of(plan), arrays, s.currency, coords))
    if arrays.inputs.shape[1] == n and arrays.year_inputs.shape[1] == n:  # inputs were kept
        for k, name in enumerate(plan.run_inputs):
            data[name] = ("run", arrays.inputs[k], _meta(plan, name))
        for k, name in enumerate(plan.year_inputs):
            data[name] = (("run", "year"), arrays.year_inputs[k], _meta(plan, name))
    attrs = {
        "scenario_name": s.name,
        "seed": int(seed),
        "roisim_version": __version__,
        "scenario_sha256": s.source_sha256 or "",
        "scenario_file": s.source_file or "",
        "currency": s.currency,
        "horizon_years": s.horizon_years,
        "timing": s.timing,
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _line_variables(layout: Layout, arrays, currency: str, coords: dict) -> dict:
    """``line_pv`` and ``line_amount`` (views of the values' line rows), adding the ``line`` and
    ``line_kind`` coordinates to ``coords``; nothing when the plan wrote no line rows."""
    if not layout.has_pv or not layout.lines:
        return {}
    n_lines, first = len(layout.lines), layout.line_pv_row(0)
    coords["line"] = list(layout.lines)
    coords["line_kind"] = ("line", list(layout.kinds))
    data = {
        "line_pv": (
            ("run", "line"),
            arrays.values[first : first + n_lines].T,
            {"long_name": "present value of the line (costs positive)", "units": currency},
        )
    }
    if layout.has_years:
        start = layout.line_year_row(0, 0)
        block = arrays.values[start : start + n_lines * layout.years]
        data["line_amount"] = (
            ("run", "line", "year"),
            block.reshape(n_lines, layout.years, arrays.n).transpose(2, 0, 1),
            {"long_name": "amount of the line in the year (costs positive)", "units": currency},
        )
    return data


def _meta(plan: Plan, name: str) -> dict:
    m = plan.input_meta.get(name, {})
    return {
        k: v
        for k, v in (
            ("units", m.get("unit")),
            ("description", m.get("description")),
            ("field", m.get("path")),
            ("line", m.get("line")),
        )
        if v
    }


def _clean(obj):
    """Replace NaN/inf by None so the summary is strict JSON."""
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if math.isfinite(v) else None
    if isinstance(obj, np.integer):
        return int(obj)
    return obj


class Result:
    """What ``roisim.simulate`` returns.

    Attributes
    ----------
    figures : roisim.analysis.schema.RunSummary
        the typed summary, for code that reads figures: ``result.figures.metrics.npv.mean``,
        ``result.figures.metrics.npv.ci95.mean.low``.  None only for a Result built by hand
        from a plain dict.
    summary : dict
        the same figures as plain data (``figures.to_dict()``): exactly what
        ``roisim run --json`` prints, ``result.summary["metrics"]["npv"]["mean"]``
    dataset : xarray.Dataset
        per-run metrics, net cash flow and every sampled input (None after a summary-only run)
    """

    def __init__(self, summary, dataset=None, *, build=None):
        """``summary`` is the typed summary (a ``RunSummary``) or a plain dict of one."""
        if hasattr(summary, "to_dict"):
            self.figures = summary
            self.summary = summary.to_dict()
        else:
            self.figures = None
            self.summary = _clean(summary)
        self._dataset = dataset
        self._build = build

    @property
    def dataset(self):
        """The per-run data as an ``xarray.Dataset`` (None after a summary-only run)."""
        if self._dataset is None and self._build is not None:
            self._dataset = self._build()
            self._build = None
        return self._dataset

    def with_summary(self, summary) -> Result:
        """The same runs (dataset, or its builder) with another typed summary: a precision run's
        last round with its ``precision`` figures (``roisim.analysis.precision``)."""
        return Result(summary, self._dataset, build=self._build)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.summary, indent=indent)

    def to_netcdf(self, path) -> None:
        """Write the dataset (and the summary as a JSON attribute) to a netCDF file."""
        if self.dataset is None:
            raise ValueError(
                "this result was computed in summary-only mode and keeps no per-run data"
            )
        ds = self.dataset.copy()
        ds.attrs["summary_json"] = json.dumps(self.summary)
        with replacing(path, ".nc.partial") as tmp:  # never a partial file
            ds.to_netcdf(tmp, engine="h5netcdf")  # netCDF-4: 64-bit integers such as seeds

    @property
    def plot(self):
        """Charts of this result, like xarray's ``.plot``: ``result.plot.npv(ax=None)``,
        ``.scurve``, ``.payback``, ``.fan`` and ``.lines``, each returning the matplotlib Axes
        (``roisim.report.plot.PlotAccessor``; matplotlib is imported only here)."""
        from roisim.report.plot import PlotAccessor

        return PlotAccessor(self)

    def _repr_html_(self) -> str:
        """Jupyter's view: the headline table and a small inline SVG histogram of NPV."""
        from roisim.report.notebook import result_html

        return result_html(self)

    def __repr__(self) -> str:
        # a one-line label for a notebook cell, in plain Python formats: roisim.report formats
        # figures for reports, and this top-level module must not import it (report reads
        # analysis, which builds Results); render_report(result.figures) prints the report
        if self.figures is None:
            return f"<roisim.Result: {', '.join(self.summary)}>"
        s = self.figures
        npv = s.metrics.npv
        mean = "n/a" if npv.mean is None else f"{npv.mean:,.0f} {s.currency}"
        share = "n/a" if npv.prob_positive is None else f"{npv.prob_positive:.1%}"
        return (f"<roisim.Result '{s.scenario.name}': {s.runs:,} runs, seed {s.seed}, "
                f"mean NPV {mean}, P(NPV>0) {share}>")
