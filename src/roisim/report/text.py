"""The plain-text report of a summary, and the ``roisim validate`` description."""

from __future__ import annotations

from roisim.report.numbers import interval, money, percent, ratio, years

METRIC_LABELS = [
    ("npv", "NPV"),
    ("irr", "IRR"),
    ("payback_years", "Payback"),
    ("discounted_payback_years", "Discounted payback"),
    ("roi", "ROI"),
    ("bcr", "BCR"),
]


def render_report(summary: dict) -> str:
    cur = summary["currency"]
    h = summary["horizon_years"]
    fmts = {
        "npv": lambda v: money(v, cur, compact=True),
        "irr": percent,
        "payback_years": lambda v: years(v, h),
        "discounted_payback_years": lambda v: years(v, h),
        "roi": percent,
        "bcr": ratio,
    }
    sc = summary["scenario"]
    out = [
        sc["name"],
        f"  {sc['file'] or '(from text)'} | {summary['runs']:,} runs | seed {summary['seed']} | "
        f"horizon {h} years ({summary['timing']}) | {cur}",
        "",
    ]
    cols = ["mean", "p5", "p10", "p50", "p90", "p95"]
    head = f"{'':<20}{'mean':>12}{'P5':>12}{'P10':>12}{'P50':>12}{'P90':>12}{'P95':>12}"
    out += [head, "-" * len(head)]
    m = summary["metrics"]
    for key, label in METRIC_LABELS:
        f = fmts[key]
        # a mean that does not exist (payback beyond the horizon in some runs) is "n/a", not "> H y"
        cells = ["n/a" if c == "mean" and m[key][c] is None else f(m[key][c]) for c in cols]
        out.append(f"{label:<20}" + "".join(f"{cell:>12}" for cell in cells))
    npv = m["npv"]
    fn = fmts["npv"]
    out += [
        "",
        "95% Monte Carlo intervals",
        f"  mean NPV             {money(npv['mean'], cur)}  {interval(npv['ci95']['mean'], lambda v: money(v, cur))}",
        f"  median NPV           {money(npv['p50'], cur)}  {interval(npv['ci95']['p50'], lambda v: money(v, cur))}",
        f"  P(NPV > 0)           {percent(npv['prob_positive'])}  {interval(npv['ci95']['prob_positive'], percent)}",
        f"  expected shortfall   {money(npv['expected_shortfall_5'], cur)}  (mean NPV of the worst 5% of runs)",
        f"  VaR 5%               {fn(npv['p5'])}  (5th percentile of NPV)",
    ]
    irr = m["irr"]
    out.append(
        f"  IRR defined in       {percent(irr['prob_defined'])} of runs"
        + (
            f"; several IRRs in {percent(irr['prob_multiple'], 2)} (smallest reported)"
            if irr.get("prob_multiple")
            else ""
        )
    )
    for key, label in (
        ("payback_years", "pays back within"),
        ("discounted_payback_years", "disc. payback within"),
    ):
        p = m[key]
        extra = (
            f"; mean {p['mean']:.2f} y"
            if p["mean"] is not None
            else (
                f"; mean {p['mean_within_horizon']:.2f} y among runs that pay back"
                if p["mean_within_horizon"] is not None
                else ""
            )
        )
        out.append(
            f"  {label:<20} {h} y in {percent(p['prob_within_horizon'])} of runs "
            f"{interval(p['ci95']['prob_within_horizon'], percent)}{extra}"
        )
    cf = summary["cashflow_by_year"]
    out += ["", f"Net cash flow by year ({cur})", f"{'year':>6}{'mean':>14}{'P5':>14}{'P95':>14}"]
    for t, mean, lo, hi in zip(cf["year"], cf["mean"], cf["p5"], cf["p95"]):
        out.append(f"{t:>6}{money(mean, cur):>14}{money(lo, cur):>14}{money(hi, cur):>14}")
    return "\n".join(out)


def render_validation(scenario, description: dict) -> str:
    s = scenario
    rate = (
        s.discount_rate
        if isinstance(s.discount_rate, float)
        else f"{s.discount_rate.family} distribution"
    )
    out = [
        f"{s.name}: OK",
        f"  horizon {s.horizon_years} years (cash flows at years 0..{s.horizon_years}), "
        f"discount rate {rate}, {s.timing}, {s.currency}",
        f"  default runs {s.runs:,}, seed {s.seed}",
        f"  inputs ({len(description['inputs'])}):",
    ]
    for name, kind, detail in description["inputs"]:
        out.append(f"    {name:<28} {kind:<18} {detail}")
    out.append(f"  lines ({len(description['lines'])}):")
    for kind, name, amount, yrs in description["lines"]:
        out.append(
            f"    {kind[:-1] if kind == 'costs' else 'benefit':<8} {name:<34} years {yrs:<8} {amount}"
        )
    return "\n".join(out)
