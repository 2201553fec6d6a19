"""Input descriptions: every input form carries one, the shipped scenarios fill them, and a bad
one is a one-line error at its field."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner

import roisim
from roisim.cli.main import main
from roisim.errors import ScenarioError

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))

HEAD = """\
[scenario]
name = "Descriptions"
horizon_years = 3
discount_rate = 0.1

[inputs]
"""
TAIL = """
[[benefits]]
name = "Saving"
amount = "saving"
"""


def scenario_text(inputs: str) -> str:
    return HEAD + inputs.strip("\n") + "\n" + TAIL


def line_of(text: str, start: str) -> int:
    """The 1-based line of ``text`` that starts with ``start`` (found independently of roisim)."""
    hits = [i for i, ln in enumerate(text.splitlines(), 1) if ln.startswith(start)]
    assert len(hits) == 1, hits
    return hits[0]


def test_the_shipped_scenarios_are_all_there():
    assert {p.name for p in SHIPPED} >= {
        "fintech.toml", "fintech-buy.toml", "ecommerce.toml", "recruitment.toml"
    }


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_shipped_input_has_a_description(path):
    raw = tomllib.loads(path.read_text(encoding="utf-8"))["inputs"]
    scenario = roisim.load_scenario(path)
    assert list(scenario.inputs) == list(raw)
    for name, spec in raw.items():
        assert isinstance(spec, dict), f"{name} is written bare, so it cannot carry a description"
        text = spec.get("description")
        assert isinstance(text, str) and len(text.strip()) >= 10, name
        assert scenario.inputs[name].description == text


def test_every_form_carries_a_description_and_unit():
    s = roisim.load_scenario(scenario_text("""
fee = { value = 4, unit = "GBP", description = "A fee" }
rate = { dist = "pert", min = 1, mode = 2, max = 4, unit = "GBP/h", description = "A rate" }
saving = { expr = "fee * rate", unit = "GBP/yr", description = "Fee times rate" }
bare = 3
formula = "bare * 2"
"""))
    got = {n: (i.kind, i.description, i.unit) for n, i in s.inputs.items()}
    assert got == {
        "fee": ("constant", "A fee", "GBP"),
        "rate": ("distribution", "A rate", "GBP/h"),
        "saving": ("derived", "Fee times rate", "GBP/yr"),
        "bare": ("constant", None, None),
        "formula": ("derived", None, None),
    }
    assert s.inputs["fee"].value == 4.0 and s.inputs["saving"].text == "fee * rate"
    ds = roisim.simulate(s, runs=10, seed=1).dataset  # the dataset's variables carry them too
    assert (ds["saving"].attrs["description"], ds["saving"].attrs["units"]) == (
        "Fee times rate", "GBP/yr")
    assert (ds["rate"].attrs["description"], ds["rate"].attrs["units"]) == ("A rate", "GBP/h")
    assert ds["formula"].attrs.get("description") is None


def test_the_table_forms_compute_what_the_bare_forms_do():
    """{ value = 100 } as a yearly benefit over 3 years at 10%: NPV = 100 (1/1.1 + 1/1.1² +
    1/1.1³), worked by hand; { expr = ... } gives the same as the bare expression."""
    expected = 100 / 1.1 + 100 / 1.21 + 100 / 1.331
    s = roisim.load_scenario(scenario_text("""
base = { value = 50, description = "Half the saving" }
saving = { expr = "base * 2", description = "The saving" }
"""))
    npv = roisim.simulate(s, runs=10, seed=1).summary["metrics"]["npv"]["mean"]
    assert npv == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "inputs, start, field, message",
    [
        ('saving = { value = 4, description = 5 }', "saving", "inputs.saving.description",
         "must be a string, got 5"),
        ('saving = { expr = "2", description = ["x"] }', "saving", "inputs.saving.description",
         "must be a string, got a list"),
        ('saving = { dist = "uniform", min = 1, max = 2, description = 7 }', "saving",
         "inputs.saving.description", "must be a string, got 7"),
        ('saving = { value = 4, descripton = "x" }', "saving", "inputs.saving.descripton",
         "unknown key 'descripton'; did you mean 'description'?"),
        ('saving = { expr = "2", desc = "x" }', "saving", "inputs.saving.desc",
         "unknown key 'desc'"),
        ('saving = { vaule = 4 }', "saving", "inputs.saving.vaule",
         "unknown key 'vaule'; did you mean 'value'?"),
        ('saving = { description = "no value" }', "saving", "inputs.saving",
         "an input table needs dist"),
        ('saving = { value = 4, expr = "2" }', "saving", "inputs.saving.expr",
         "not both"),
        ('saving = { value = 4, per = "year" }', "saving", "inputs.saving.per",
         "unknown key 'per'"),
        ('saving = { value = "4" }', "saving", "inputs.saving.value",
         "must be a number, got '4'"),
        ('saving = { expr = 4 }', "saving", "inputs.saving.expr", "must be a string, got 4"),
        ('x = 1\nsaving = { expr = "x + y" }', "saving", "inputs.saving.expr",
         "unknown input 'y'"),
        ('saving = { value = 4, unit = 2 }', "saving", "inputs.saving.unit",
         "must be a string, got 2"),
    ],
)
def test_a_bad_input_table_is_one_line_at_its_field(tmp_path, inputs, start, field, message):
    text = scenario_text(inputs)
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    err = result.stderr.strip()
    assert "\n" not in err and "Traceback" not in err
    assert err.startswith(f"error: {path}:{line_of(text, start)}: {field}: "), err
    assert message in err
    with pytest.raises(ScenarioError) as caught:  # and the same from Python
        roisim.load_scenario(path)
    assert caught.value.path == field


def test_set_and_breakeven_read_a_constant_table_as_its_number():
    text = scenario_text('saving = { value = 100, description = "The saving" }')
    replaced = roisim.load_scenario(text, overrides=["inputs.saving=120"])
    assert replaced.inputs["saving"].value == 120 and replaced.inputs["saving"].description is None
    kept = roisim.load_scenario(text, overrides=["inputs.saving.value=120"])
    assert (kept.inputs["saving"].value, kept.inputs["saving"].description) == (120, "The saving")
    # NPV = saving × annuity factor, so the breakeven for a mean NPV of 100 is 100 / annuity
    annuity = 1 / 1.1 + 1 / 1.21 + 1 / 1.331
    b = roisim.breakeven(roisim.load_scenario(text), "inputs.saving", metric="npv.mean",
                         target=100, runs=10)
    assert b.summary["base_value"] == 100
    assert b.summary["value"] == pytest.approx(100 / annuity, rel=1e-6)
