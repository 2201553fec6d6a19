"""Per-input numbers live in the parameter array: holding, scaling, line scales, delays, --set
overrides and seeds change numbers only, so they reuse the one compiled kernel.

The kernel count is taken in a fresh cache folder (ROISIM_CACHE_DIR), with the in-process
kernel table emptied, and the figures are checked against closed forms run by run.
"""

from __future__ import annotations

import numpy as np
import pytest

import roisim
from roisim.engine import codegen
from roisim.engine.layout import ROW, cashflow_row
from roisim.engine.plan import build_plan
from roisim.engine.run import run_range
from roisim.engine.variants import vary

RUNS = 4000
SEED = 11
TEXT = """
[scenario]
name = "Variants"
horizon_years = 4
discount_rate = { dist = "pert", min = 0.06, mode = 0.08, max = 0.11 }

[inputs]
hours = { dist = "uniform", min = 10, max = 20 }
rate = { dist = "normal", mean = 5, sd = 1 }
incidents = { dist = "poisson", mean = 3, per = "year" }
fee = 2.5
saving = "hours + 2 * rate"

[[benefits]]
name = "Linear"
amount = "saving * fee"
years = "1.."

[[benefits]]
name = "Incidents avoided"
amount = "incidents * 10"
years = "2.."

[[costs]]
name = "Build"
amount = { dist = "triangular", min = 50, mode = 60, max = 90 }
years = "0"
"""

VARIANTS = {
    "hold hours": {"hold": {"hours": 15.0}},
    "hold inputs.rate": {"hold": {"inputs.rate": 5.0}},
    "scale hours": {"scale": {"hours": 2.0}},
    "scale incidents": {"scale": {"incidents": 0.5}},
    "scale build": {"line_scale": {"costs[0]": 1.3}},
    "scale benefits": {"line_scale": {"benefits": 0.9}},
    "delay benefits": {"delay": {"benefits": 1}},
    "hold rate and build": {"hold": {"discount_rate": 0.08, "costs: Build": 70.0}},
    "hold and scale fee": {"hold": {"fee": 3.0}, "scale": {"scenario.discount_rate": 1.0}},
}
OVERRIDES = {
    "set hours.max": ["inputs.hours.max=30"],
    "set years and rate": ['costs[0].years="0..1"', "scenario.discount_rate.mode=0.09"],
}


def _run(plan):
    return run_range(plan, 0, RUNS, threads=1)


def _inputs(plan, arrays) -> dict:
    out = {name: arrays.inputs[k] for k, name in enumerate(plan.run_inputs)}
    out.update({name: arrays.year_inputs[k] for k, name in enumerate(plan.year_inputs)})
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Every variation run once in a fresh cache; the kernel files counted after each."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ROISIM_CACHE_DIR", str(cache))
        mp.setattr(codegen, "_LOADED", {})
        count = lambda: len(list(cache.glob("roisim_kernel_*.py")))
        scenario = roisim.load_scenario(TEXT)
        base = build_plan(scenario, SEED)
        out = {"base": (base, _run(base))}
        counts = [count()]
        for name, changes in VARIANTS.items():
            plan = build_plan(scenario, SEED, **changes)
            out[name] = (plan, _run(plan))
            counts.append(count())
        for name, overrides in OVERRIDES.items():
            plan = build_plan(roisim.load_scenario(TEXT, overrides=overrides), SEED)
            out[name] = (plan, _run(plan))
            counts.append(count())
        out["seed 12"] = (base.with_seed(12), _run(base.with_seed(12)))
        counts.append(count())
        kernels = list(codegen._LOADED.values())
        yield {"runs": out, "counts": counts, "kernels": kernels}


def test_ten_variations_compile_no_kernel_after_the_first(runs):
    assert len(runs["runs"]) >= 11
    assert runs["counts"] == [1] * len(runs["counts"])
    assert len(runs["kernels"]) == 1
    assert len(runs["kernels"][0].signatures) == 1  # one machine-code specialisation


def test_holding_an_input_fixes_it_and_leaves_every_other_draw(runs):
    base_plan, base = runs["runs"]["base"]
    plan, held = runs["runs"]["hold hours"]
    a, b = _inputs(base_plan, base), _inputs(plan, held)
    assert np.all(b["hours"] == 15.0)
    for name in ("rate", "incidents", "discount_rate", "costs: Build"):
        assert np.array_equal(a[name], b[name]), name
    assert not np.array_equal(a["saving"], b["saving"])


def test_holding_a_uniform_input_gives_exactly_the_npv_with_that_constant(runs):
    _, held = runs["runs"]["hold hours"]
    constant = roisim.load_scenario(TEXT, overrides=["inputs.hours=15"])
    fixed = _run(build_plan(constant, SEED))
    assert np.array_equal(held.values, fixed.values)


def test_scaling_an_input_multiplies_its_draws_exactly(runs):
    base_plan, base = runs["runs"]["base"]
    plan, scaled = runs["runs"]["scale hours"]
    a, b = _inputs(base_plan, base), _inputs(plan, scaled)
    assert np.array_equal(b["hours"], 2.0 * a["hours"])
    assert np.array_equal(b["rate"], a["rate"])
    # NPV is linear in hours: the difference is fee * hours * the annuity of years 1..4
    r = a["discount_rate"]
    annuity = sum((1.0 + r) ** -t for t in range(1, 5))
    diff = scaled.values[ROW["npv"]] - base.values[ROW["npv"]]
    np.testing.assert_allclose(diff, 2.5 * a["hours"] * annuity, rtol=1e-9)


def test_scaling_a_per_year_input(runs):
    base_plan, base = runs["runs"]["base"]
    plan, scaled = runs["runs"]["scale incidents"]
    assert np.array_equal(
        _inputs(plan, scaled)["incidents"], 0.5 * _inputs(base_plan, base)["incidents"]
    )


def test_line_scale_multiplies_a_cost_line(runs):
    base_plan, base = runs["runs"]["base"]
    _, scaled = runs["runs"]["scale build"]
    build = _inputs(base_plan, base)["costs: Build"]
    assert np.array_equal(scaled.values[cashflow_row(0)], -(1.3 * build))
    assert np.array_equal(scaled.values[cashflow_row(1) :], base.values[cashflow_row(1) :])


def test_line_scale_of_a_kind_scales_every_line_of_it(runs):
    _, base = runs["runs"]["base"]
    _, scaled = runs["runs"]["scale benefits"]
    rows = slice(cashflow_row(1), None)
    np.testing.assert_allclose(scaled.values[rows], 0.9 * base.values[rows], rtol=1e-12)
    assert np.array_equal(scaled.values[cashflow_row(0)], base.values[cashflow_row(0)])


def test_delay_moves_the_benefits_a_year_later(runs):
    _, base = runs["runs"]["base"]
    _, late = runs["runs"]["delay benefits"]
    assert np.all(late.values[cashflow_row(1)] == 0.0)
    # year 1 held only the per-run "Linear" line; a year later it is alone in year 2
    assert np.array_equal(late.values[cashflow_row(2)], base.values[cashflow_row(1)])
    assert np.array_equal(late.values[cashflow_row(0)], base.values[cashflow_row(0)])


def test_holding_the_discount_rate_and_a_line_amount(runs):
    plan, held = runs["runs"]["hold rate and build"]
    values = _inputs(plan, held)
    assert np.all(values["discount_rate"] == 0.08) and np.all(values["costs: Build"] == 70.0)
    assert np.all(held.values[cashflow_row(0)] == -70.0)
    flows = held.values[cashflow_row(0) :]
    npv = (flows * 1.08 ** -np.arange(5.0)[:, None]).sum(axis=0)
    np.testing.assert_allclose(held.values[ROW["npv"]], npv, rtol=1e-12)


def test_holding_a_constant(runs):
    base_plan, base = runs["runs"]["base"]
    plan, held = runs["runs"]["hold and scale fee"]
    saving = _inputs(base_plan, base)["saving"]
    assert np.array_equal(held.values[cashflow_row(1)], saving * 3.0)
    assert np.array_equal(held.values[cashflow_row(0)], base.values[cashflow_row(0)])


def test_set_overrides_move_draws_monotonically(runs):
    base_plan, base = runs["runs"]["base"]
    plan, wider = runs["runs"]["set hours.max"]
    a, b = _inputs(base_plan, base)["hours"], _inputs(plan, wider)["hours"]
    np.testing.assert_allclose(b - 10.0, 2.0 * (a - 10.0), rtol=1e-12)
    plan, moved = runs["runs"]["set years and rate"]
    build = _inputs(plan, moved)["costs: Build"]
    assert np.array_equal(moved.values[cashflow_row(1)], base.values[cashflow_row(1)] - build)


def test_another_seed_changes_the_draws(runs):
    _, base = runs["runs"]["base"]
    plan, other = runs["runs"]["seed 12"]
    assert plan.seed == 12
    assert not np.array_equal(base.values[ROW["npv"]], other.values[ROW["npv"]])
    assert np.array_equal(other.values, _run(build_plan(roisim.load_scenario(TEXT), 12)).values)


def test_variants_compose_and_leave_the_plan_alone(runs):
    base_plan, _ = runs["runs"]["base"]
    before = base_plan.params.copy()
    twice = vary(vary(base_plan, scale={"hours": 2.0}), scale={"hours": 3.0})
    assert np.array_equal(base_plan.params, before)
    handle = base_plan.handles["hours"]
    assert twice.params[handle.slot + 2] == 6.0
    assert base_plan.vary(line_scale={"costs": 2.0, "costs[0]": 1.5}).params.sum() != before.sum()


# --------------------------------------------------------------------------- exact doubling
PURE = """
[scenario]
name = "Linear benefits"
horizon_years = 3
discount_rate = 0.1

[inputs]
x = { dist = "lognormal", p5 = 10, p95 = 40 }

[[benefits]]
name = "X"
amount = "x"
years = "1.."
"""


def test_scaling_by_two_doubles_a_linear_npv_exactly_run_by_run():
    plan = build_plan(roisim.load_scenario(PURE), 3)
    npv = _run(plan).values[ROW["npv"]]
    for changes in ({"scale": {"x": 2.0}}, {"line_scale": {"benefits[0]": 2.0}}):
        doubled = _run(vary(plan, **changes)).values[ROW["npv"]]
        assert np.array_equal(doubled, 2.0 * npv), changes


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "changes, path, fragment",
    [
        ({"hold": {"hour": 1.0}}, "hold.hour", "did you mean 'hours'"),
        ({"scale": {"inputs.rte": 2.0}}, "scale.inputs.rte", "did you mean"),
        ({"hold": {"saving": 1.0}}, "hold.saving", "derived"),
        ({"hold": {"hours": float("nan")}}, "hold.hours", "finite"),
        ({"scale": {"hours": "2"}}, "scale.hours", "number"),
        ({"line_scale": {"costs[3]": 2.0}}, "line_scale.costs[3]", "did you mean 'costs[0]'"),
        ({"line_scale": {"benefit": 2.0}}, "line_scale.benefit", "unknown line"),
        ({"delay": {"benefits": 4}}, "delay.benefits", "past the horizon"),
        ({"delay": {"costs[0]": -1}}, "delay.costs[0]", ">= 0"),
        ({"delay": {"costs[0]": 1.5}}, "delay.costs[0]", "whole number"),
    ],
)
def test_unknown_or_bad_variations_are_scenario_errors(runs, changes, path, fragment):
    base_plan, _ = runs["runs"]["base"]
    with pytest.raises(roisim.ScenarioError) as info:
        vary(base_plan, **changes)
    assert info.value.path == path
    assert fragment in str(info.value)


def test_a_delay_that_keeps_one_benefit_line_is_allowed(runs):
    base_plan, _ = runs["runs"]["base"]
    late = vary(base_plan, delay={"benefits": 3})  # "Linear" keeps year 4, the other has none
    assert late.params.shape == base_plan.params.shape
