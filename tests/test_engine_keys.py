"""Draws are keyed by name, not position, and the plan cache does not depend on the seed.

* A line's own distribution is keyed (and stored) as "<kind>: <line name>": inserting a line
  above it changes none of its draws.
* Plans are cached without their seed: two seeds share one cache entry, and the same seed gives
  byte-identical results from a cached plan and a fresh one.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import xarray as xr

import roisim
from roisim.engine.keys import input_key, name_hash
from roisim.engine.plan import build_plan
from roisim.engine.run import run_range
from roisim.scenario.model import line_input_name

HEAD = """
[scenario]
name = "Keys"
horizon_years = 3
discount_rate = 0.08

[inputs]
hours = { dist = "pert", min = 100, mode = 150, max = 220 }
"""
SAVING = """
[[benefits]]
name = "Saving"
amount = { dist = "normal", mean = 1000, sd = 100, per = "year" }
"""
BUILD = """
[[costs]]
name = "Build"
amount = { dist = "lognormal", median = 2000, p95 = 3000 }
years = "0"
"""
LICENCE = """
[[costs]]
name = "Licence"
amount = { dist = "uniform", min = 100, max = 200 }
"""
EXTRA_BENEFIT = """
[[benefits]]
name = "Hours"
amount = "hours * 3"
"""


def _dataset(text: str, seed: int = 5, runs: int = 3000):
    return roisim.simulate(roisim.load_scenario(text), runs=runs, seed=seed).dataset


def test_inserting_a_line_above_changes_no_draw_of_the_others():
    before = _dataset(HEAD + SAVING + BUILD)
    after = _dataset(HEAD + EXTRA_BENEFIT + SAVING + LICENCE + BUILD)  # both moved down one
    for name in ("hours", "benefits: Saving", "costs: Build"):
        assert np.array_equal(before[name].values, after[name].values), name
    assert after["costs: Build"].attrs["field"] == "costs[1].amount"
    assert after["costs: Build"].attrs["line"] == "Build"
    assert not np.array_equal(after["costs: Licence"].values, after["costs: Build"].values)


def test_renaming_a_line_changes_its_draws():
    a = _dataset(HEAD + SAVING + BUILD)
    b = _dataset(HEAD + SAVING + BUILD.replace('"Build"', '"Build and run"'))
    assert "costs: Build and run" in b and "costs: Build" not in b
    assert not np.array_equal(a["costs: Build"].values, b["costs: Build and run"].values)


def test_a_benefit_and_a_cost_of_the_same_name_get_their_own_streams():
    same = BUILD.replace('"Build"', '"Saving"').replace('years = "0"', 'years = "1.."')
    ds = _dataset(HEAD + SAVING + same)
    ours = ds["benefits: Saving"].values[:, 1]
    theirs = ds["costs: Saving"].values
    assert abs(np.corrcoef(ours, theirs)[0, 1]) < 0.1


def test_the_stream_key_is_the_line_input_name():
    plan = build_plan(roisim.load_scenario(HEAD + SAVING + BUILD), 9)
    assert plan.streams == ["hours", "benefits: Saving", "costs: Build"]
    assert [int(k) for k in plan.stream_keys] == [input_key(9, n) for n in plan.streams]
    assert [int(h) for h in plan.name_hashes] == [name_hash(n) for n in plan.streams]


def test_line_input_names_are_safe_one_to_one_and_never_an_input_name():
    names = ["Build", "Build / run", "Build %2F run", "tab\there", "trailing ", "ü", "a:b"]
    out = [line_input_name("costs", n) for n in names]
    assert len(set(out)) == len(out)
    assert out[:2] == ["costs: Build", "costs: Build %2F run"]
    assert out[2] == "costs: Build %252F run" and out[3] == "costs: tab%09here"
    assert out[4] == "costs: trailing%20"
    for name in out:
        assert "/" not in name and name == name.rstrip() and not name.isidentifier()


def test_an_input_named_like_the_old_line_keys_is_no_longer_reserved():
    text = HEAD.replace(
        "[inputs]\n", '[inputs]\ncosts_0_amount = { dist = "uniform", min = 0, max = 1 }\n'
    )
    ds = _dataset(text + SAVING + BUILD, runs=500)
    assert "costs_0_amount" in ds and "costs: Build" in ds


def test_line_variables_round_trip_through_netcdf(tmp_path):
    odd = BUILD.replace('"Build"', '"Build / integration, phase 1"')
    result = roisim.simulate(roisim.load_scenario(HEAD + SAVING + odd), runs=200, seed=3)
    path = tmp_path / "out.nc"
    result.to_netcdf(path)
    name = "costs: Build %2F integration, phase 1"
    with xr.open_dataset(path, engine="h5netcdf") as back:
        assert name in back and "benefits: Saving" in back
        assert np.array_equal(back[name].values, result.dataset[name].values)
        assert back["benefits: Saving"].dims == ("run", "year")


# --------------------------------------------------------------------------- the plan cache
def test_two_seeds_share_one_plan_cache_entry(tmp_path, monkeypatch):
    monkeypatch.setenv("ROISIM_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("ROISIM_NO_PLAN_CACHE", raising=False)
    scenario = roisim.load_scenario(HEAD + SAVING + BUILD)
    one = build_plan(scenario, 1)
    two = build_plan(scenario, 2)
    entries = list((tmp_path / "plans").glob("plan-*.pkl"))
    assert len(entries) == 1
    with open(entries[0], "rb") as fh:
        cached = pickle.load(fh)
    assert cached.seed is None and cached.stream_keys.size == 0
    assert one.seed == 1 and two.seed == 2
    assert [int(k) for k in two.stream_keys] == [input_key(2, n) for n in two.streams]
    assert not np.array_equal(one.stream_keys, two.stream_keys)
    assert np.array_equal(one.params, two.params)


def test_the_same_seed_gives_byte_identical_results_cached_or_not(tmp_path, monkeypatch):
    monkeypatch.setenv("ROISIM_CACHE_DIR", str(tmp_path))
    scenario = roisim.load_scenario(HEAD + SAVING + BUILD)
    fresh = run_range(build_plan(scenario, 4), 0, 5000, threads=1)  # builds and stores the plan
    cached = run_range(build_plan(scenario, 4), 0, 5000, threads=1)  # from the cache
    rebound = run_range(build_plan(scenario, 8).with_seed(4), 0, 5000, threads=1)
    monkeypatch.setenv("ROISIM_NO_PLAN_CACHE", "1")
    uncached = run_range(build_plan(scenario, 4), 0, 5000, threads=1)
    for other in (cached, rebound, uncached):
        assert other.values.tobytes() == fresh.values.tobytes()
        assert other.inputs.tobytes() == fresh.inputs.tobytes()
        assert other.year_inputs.tobytes() == fresh.year_inputs.tobytes()


def test_an_unbound_plan_refuses_to_run():
    scenario = roisim.load_scenario(HEAD + SAVING + BUILD)
    from dataclasses import replace

    plan = replace(build_plan(scenario, 1), seed=None)
    with pytest.raises(ValueError, match="seed"):
        run_range(plan, 0, 10, threads=1)
