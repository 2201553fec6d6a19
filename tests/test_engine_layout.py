"""The output layout is defined once (roisim.engine.layout), and every random input gets its
uniform from the plan's uniform source (roisim.engine.sampling)."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import roisim
from roisim.engine import codegen, layout, sampling
from roisim.engine.plan import build_plan
from roisim.engine.run import run_range

ENGINE = Path(roisim.__file__).parent / "engine"
TEXT = """
[scenario]
name = "Seam"
horizon_years = 2
discount_rate = 0.05

[inputs]
x = { dist = "uniform", min = 10, max = 20 }
n = { dist = "poisson", mean = 2, per = "year" }

[[benefits]]
name = "X"
amount = "x + n"
"""


def test_the_layout_is_the_metrics_then_the_years():
    assert layout.METRICS == (
        "npv",
        "irr",
        "payback_years",
        "discounted_payback_years",
        "roi",
        "bcr",
    )
    assert [layout.ROW[m] for m in layout.METRICS] == list(range(layout.N_METRICS))
    assert layout.cashflow_row(0) == layout.N_METRICS and layout.n_rows(4) == layout.N_METRICS + 4
    from roisim.engine.plan import METRICS  # re-exported for older imports

    assert METRICS is layout.METRICS


def test_no_engine_module_spells_the_number_of_metrics():
    """Positions come from roisim.engine.layout, never from a literal."""
    for path in sorted(ENGINE.glob("*.py")):
        if path.name == "layout.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and type(node.value) is int:
                assert node.value != layout.N_METRICS, f"{path.name}:{node.lineno}"


def test_rows_match_the_dataset():
    scenario = roisim.load_scenario(TEXT)
    result = roisim.simulate(scenario, runs=500, seed=2)
    arrays = run_range(build_plan(scenario, 2), 0, 500, threads=1)
    for name in layout.METRICS:
        np.testing.assert_array_equal(arrays.values[layout.ROW[name]], result.dataset[name].values)
    np.testing.assert_array_equal(arrays.cashflow, result.dataset["net_cashflow"].values)


def test_the_default_source_is_the_independent_counter_based_uniform():
    plan = build_plan(roisim.load_scenario(TEXT), 1)
    assert plan.sampling == sampling.DEFAULT == "independent"
    text = codegen.source(plan)
    assert "from roisim.kernels.rng import uniform01" in text
    assert "uniform01(stream_keys[0], run, 0)" in text
    assert "uniform01(stream_keys[1], run, t)" in text


class Antithetic(sampling.UniformSource):
    """1 - u of the independent uniform: a source that exists only in this test."""

    name = "test-antithetic"
    imports = ("from roisim.kernels.rng import uniform01",)

    def uniform(self, stream, first_number):
        year = "t" if stream.level == "year" else "0"
        return f"(1.0 - uniform01(stream_keys[{stream.index}], run, {year}))"


@pytest.fixture
def antithetic():
    sampling.register(Antithetic())
    yield Antithetic.name
    sampling.SOURCES.pop(Antithetic.name)


def test_a_new_source_slots_in_without_touching_the_samplers(antithetic):
    scenario = roisim.load_scenario(TEXT)
    plain = run_range(build_plan(scenario, 3), 0, 2000, threads=1)
    mirrored = run_range(build_plan(scenario, 3, sampling=antithetic), 0, 2000, threads=1)
    # uniform(10, 20): x(1 - u) = 30 - x(u)
    np.testing.assert_allclose(mirrored.inputs[0], 30.0 - plain.inputs[0], rtol=1e-12)
    # and holding still works through the new source
    held = run_range(build_plan(scenario, 3, sampling=antithetic, hold={"x": 12.0}), 0, 50)
    assert np.all(held.inputs[0] == 12.0)


def test_an_unknown_sampling_is_a_scenario_error():
    with pytest.raises(roisim.ScenarioError, match="did you mean 'independent'"):
        build_plan(roisim.load_scenario(TEXT), 1, sampling="independant")
