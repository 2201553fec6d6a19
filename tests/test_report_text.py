"""The text report, rendered from a typed summary built by hand, and the number formats."""

from __future__ import annotations

import dataclasses
import math

import pytest

from roisim.analysis.schema import (
    PERCENTILES,
    CashflowByYear,
    DefinedIntervals,
    DiscountRateInfo,
    HorizonIntervals,
    Interval,
    IrrFigures,
    Metrics,
    NpvFigures,
    NpvIntervals,
    PaybackFigures,
    RatioFigures,
    RunSummary,
    ScenarioInfo,
)
from roisim.report import numbers
from roisim.report.text import render_report

PCTS = [f"p{p}" for p in PERCENTILES]


def _spread(centre, step):
    """Percentiles centre + step·(-3, -2, -1, 0, 1, 2, 3) and intervals of ±step/4 around them."""
    values = {name: centre + step * k for name, k in zip(PCTS, range(-3, 4))}
    cis = {name: Interval(v - step / 4, v + step / 4) for name, v in values.items()}
    return values, cis


def _npv():
    values, cis = _spread(150_000, 100_000)
    return NpvFigures(
        mean=163_490.4,
        sd=186_640.8,
        **values,
        ci95=NpvIntervals(
            mean=Interval(160_903.8, 166_077.1), **cis, prob_positive=Interval(0.8087, 0.8194)
        ),
        prob_positive=0.81415,
        expected_shortfall_5=-171_672.4,
    )


def _irr(prob_multiple):
    values, cis = _spread(0.25, 0.1)
    return IrrFigures(
        mean=0.2585,
        sd=0.208,
        **values,
        ci95=DefinedIntervals(
            mean=Interval(0.2557, 0.2614), **cis, prob_defined=Interval(0.9988, 0.9996)
        ),
        prob_defined=0.9993,
        prob_multiple=prob_multiple,
    )


def _payback(beyond_from):
    """Percentiles from p{beyond_from} on lie beyond the horizon (None), so the mean is None."""
    values, cis = _spread(3.0, 0.5)
    cut = PCTS.index(beyond_from)
    for name in PCTS[cut:]:
        values[name], cis[name] = None, Interval(None, None)
    return PaybackFigures(
        mean=None,
        sd=None,
        **values,
        ci95=HorizonIntervals(
            mean=Interval(None, None), **cis, prob_within_horizon=Interval(0.904, 0.912)
        ),
        prob_within_horizon=0.9082,
        mean_within_horizon=2.9154,
    )


def _ratio(centre):
    values, cis = _spread(centre, 0.1)
    return RatioFigures(
        mean=centre,
        sd=0.3,
        **values,
        ci95=DefinedIntervals(
            mean=Interval(centre - 0.01, centre + 0.01), **cis, prob_defined=Interval(0.9998, 1.0)
        ),
        prob_defined=1.0,
    )


def summary(prob_multiple=0.0003, file="scenarios/x.toml") -> RunSummary:
    return RunSummary(
        roisim_version="0.1.0",
        scenario=ScenarioInfo(name="Hand-built case", file=file, sha256=None),
        runs=20_000,
        seed=3,
        currency="GBP",
        horizon_years=5,
        timing="end-of-year",
        discount_rate=DiscountRateInfo(kind="constant", text="8%"),
        metrics=Metrics(
            npv=_npv(),
            irr=_irr(prob_multiple),
            payback_years=_payback("p95"),
            discounted_payback_years=_payback("p90"),
            roi=_ratio(0.35),
            bcr=_ratio(1.23),
        ),
        cashflow_by_year=CashflowByYear(
            year=(0, 1, 2),
            mean=(-253_256.6, 21_856.5, 1_234_567.0),
            p5=(-319_406.9, -38_466.9, None),
            p95=(-198_911.5, 103_468.2, 2_000_000.0),
        ),
    )


def _section(text: str, title: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].strip()), len(lines))
    return lines[start:end]


def test_report_from_the_typed_summary():
    text = render_report(summary())
    lines = text.splitlines()
    assert lines[0] == "Hand-built case"
    assert lines[1] == (
        "  scenarios/x.toml | 20,000 runs | seed 3 | horizon 5 years (end-of-year) | GBP"
    )
    rows = {line[:20].strip(): line[20:].split() for line in lines[3:11]}
    assert rows["NPV"] == ["£163,490", "-£150,000", "-£50,000", "£150,000", "£350,000", "£450,000"]
    assert rows["IRR"] == ["25.9%", "-5.0%", "5.0%", "25.0%", "45.0%", "55.0%"]
    # a payback percentile beyond the horizon is "> 5 y"; a mean that does not exist is "n/a"
    assert " ".join(rows["Payback"]) == "n/a 1.50 y 2.00 y 3.00 y 4.00 y > 5 y"
    assert " ".join(rows["Discounted payback"]) == "n/a 1.50 y 2.00 y 3.00 y > 5 y > 5 y"
    assert rows["BCR"][0] == "1.23x"
    assert "VaR" not in text


def test_intervals_section_labels_and_alignment():
    section = _section(render_report(summary()), "95% Monte Carlo intervals")
    by_label = {line[:30].strip(): line[30:] for line in section}
    assert list(by_label) == [
        "mean NPV",
        "median NPV",
        "NPV 5th percentile (P5)",
        "P(NPV > 0)",
        "expected shortfall (5%)",
        "runs with an IRR",
        "runs with several IRRs",
        "P(payback within 5 y)",
        "P(disc. payback within 5 y)",
    ]
    assert by_label["NPV 5th percentile (P5)"].split() == ["-£150,000", "[-£175,000,", "-£125,000]"]
    assert by_label["P(NPV > 0)"].split() == ["81.4%", "[80.9%,", "81.9%]"]
    assert by_label["expected shortfall (5%)"].split()[0] == "-£171,672"
    assert by_label["runs with several IRRs"].split()[0] == "0.03%"
    assert by_label["P(payback within 5 y)"].endswith("[90.4%, 91.2%]; mean 2.92 y when paid back")
    # every value ends in the same column, and every interval or note starts two columns later
    for line in section:
        assert line[41] != " " and line[42:44] == "  " and line[44] != " ", line


def test_no_several_irrs_line_when_there_are_none():
    section = _section(render_report(summary(prob_multiple=0.0)), "95% Monte Carlo intervals")
    assert not any("several" in line for line in section)


def test_report_fits_one_screen_and_the_table_width():
    text = render_report(summary(file=None))
    lines = text.splitlines()
    assert "(from text)" in lines[1]
    width = len(lines[3])  # the metrics table's header
    assert width == 92
    assert all(len(line) <= width for line in lines), [ln for ln in lines if len(ln) > width]
    assert len(lines) <= 40


def test_cash_flow_table():
    rows = _section(render_report(summary()), "Net cash flow by year (GBP)")
    assert rows[0].split() == ["year", "mean", "P5", "P95"]
    assert rows[1].split() == ["0", "-£253,257", "-£319,407", "-£198,912"]
    assert rows[3].split() == ["2", "£1,234,567", "n/a", "£2,000,000"]
    assert len({len(r) for r in rows}) == 1


@pytest.mark.parametrize(
    "call, expected",
    [
        (lambda: numbers.money(1234567.4, "GBP"), "£1,234,567"),
        (lambda: numbers.money(-12345.6, "USD"), "-$12,346"),
        (lambda: numbers.money(1_234_567.0, "GBP", compact=True), "£1.23M"),
        (lambda: numbers.money(-2.5e9, "EUR", compact=True), "-€2.50bn"),
        (lambda: numbers.money(999_999.0, "GBP", compact=True), "£999,999"),
        (lambda: numbers.money(5.0, "CHF"), "CHF 5"),
        (lambda: numbers.money(None), "n/a"),
        (lambda: numbers.money(math.inf), "n/a"),
        (lambda: numbers.percent(0.81415), "81.4%"),
        (lambda: numbers.percent(0.0003, 2), "0.03%"),
        (lambda: numbers.percent(None), "n/a"),
        (lambda: numbers.years(2.9436), "2.94 y"),
        (lambda: numbers.years(None, 5), "> 5 y"),
        (lambda: numbers.years(None), "n/a"),
        (lambda: numbers.whole_years(10), "10 y"),
        (lambda: numbers.ratio(1.2343), "1.23x"),
        (lambda: numbers.ratio(None), "n/a"),
        (lambda: numbers.count(20_000), "20,000"),
        (lambda: numbers.millions(13_880_000.0), "13.88 M"),
        (lambda: numbers.clock(3725.0), "01:02:05"),
        (lambda: numbers.clock(math.nan), "--:--:--"),
        (lambda: numbers.interval((0.1, None), numbers.percent), "[10.0%, n/a]"),
    ],
)
def test_number_formats(call, expected):
    assert call() == expected


def _with_lines_and_central():
    from roisim.analysis.schema import CentralCase, LineFigures, LinePv

    lines = (
        LineFigures(
            "Data-science hours saved by automated retraining",
            "benefit",
            LinePv(412_345.4, 201_000.0, 400_000.0, 650_000.0),
            None,
            None,
            None,
        ),
        LineFigures(
            "Build",
            "cost",
            LinePv(200_000.0, 160_000.4, 199_000.0, 260_000.0),
            (200_000.0, 0.0),
            (160_000.0, 0.0),
            (260_000.0, 0.0),
        ),
    )
    central = CentralCase(150_123.4, 0.2, 2.5, 3.0, 0.3, 1.2)
    return dataclasses.replace(summary(), lines=lines, central_case=central)


def test_lines_table_and_central_case():
    text = render_report(_with_lines_and_central())
    rows = _section(text, "Lines (present value, GBP)")
    assert rows[0].split() == ["mean", "PV", "P5", "P95"]
    # a long name is cut with "~" so the kind column stays aligned
    assert rows[1].split()[-4:] == ["benefit", "£412,345", "£201,000", "£650,000"]
    assert rows[1].split()[-5].endswith("~")
    assert rows[2].split() == ["Build", "cost", "£200,000", "£160,000", "£260,000"]
    assert len({len(r) for r in rows[1:]}) == 1
    section = _section(text, "95% Monte Carlo intervals")
    labels = [line[:30].strip() for line in section]
    assert labels[:2] == ["mean NPV", "central case NPV"]  # beside the mean
    assert section[1][30:].split()[0] == "£150,123"
    assert all(len(line) <= 92 for line in text.splitlines())


def test_no_lines_table_and_no_central_row_without_them():
    text = render_report(summary())
    assert "Lines (present value" not in text and "central case" not in text
