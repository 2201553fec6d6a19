"""``roisim new``: the starter scenario it writes, and the files it refuses to touch."""

from __future__ import annotations

import errno
import json
import math
import re
import tomllib

import pytest
from click.testing import CliRunner

import roisim
from roisim.cli.main import main
from roisim.errors import ScenarioError
from roisim.scenario import starter

ASSIGNMENT = re.compile(r'^\s*("[^"]*"|[A-Za-z_][\w.-]*)\s*=')
HEADER = re.compile(r"^\s*\[(\[?)\s*([^\]]+?)\s*\]\]?")


@pytest.fixture
def written(tmp_path):
    path = tmp_path / "case.toml"
    result = CliRunner().invoke(main, ["new", str(path)])
    assert result.exit_code == 0, result.output
    return path, result


def one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    return err.strip()


def trailing_comment(line: str) -> bool:
    """Whether ``line`` ends in a ``#`` comment (a ``#`` outside any string)."""
    quote = None
    for ch in line:
        if quote:
            quote = None if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return True
    return False


def keys_by_line(text: str) -> list[tuple[str, str, bool]]:
    """(table header, key, commented) for every assignment line, read from the text alone: a key
    counts as commented when its line ends in a comment or the line above is a comment."""
    out, header, previous = [], "", ""
    for line in text.splitlines():
        stripped = line.strip()
        m = HEADER.match(line)
        if m and not stripped.startswith("#"):
            header = m.group(2)
        elif stripped and not stripped.startswith("#"):
            key = ASSIGNMENT.match(line)
            assert key, f"not an assignment or a header: {line!r}"
            commented = trailing_comment(line) or previous.startswith("#")
            out.append((header, key.group(1), commented))
        previous = stripped
    return out


def test_new_says_what_it_wrote(written):
    path, result = written
    assert path.read_text(encoding="utf-8") == starter.STARTER
    assert result.output.startswith(f"wrote {path}: a starter scenario with 9 inputs, 2 benefits, "
                                    "2 costs and 1 stress case")
    assert f"roisim run {path}" in result.output


def test_the_starter_validates(written):
    path, _ = written
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "Model monitoring and automated retraining" in result.output


def test_the_starter_runs_as_it_is(written):
    """``roisim run --runs 2000 --json`` on the file as written: finite figures, and year 0 is the
    PERT build cost alone, whose mean is (min + 4 mode + max) / 6 and whose variance is
    (mean - min)(max - mean) / 7."""
    path, _ = written
    result = CliRunner().invoke(main, ["run", str(path), "--runs", "2000", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    npv = summary["metrics"]["npv"]
    assert summary["runs"] == 2000
    assert all(math.isfinite(npv[k]) for k in ("mean", "sd", "p5", "p50", "p95"))
    assert 0 < npv["prob_positive"] < 1  # a case that can go either way, as a real one does
    lo, mode, hi = 200_000, 260_000, 420_000
    mean = (lo + 4 * mode + hi) / 6
    sd = math.sqrt((mean - lo) * (hi - mean) / 7)
    year0 = summary["cashflow_by_year"]["mean"][0]
    assert abs(year0 + mean) < 5 * sd / math.sqrt(2000)


def test_the_stress_case_runs(written):
    path, _ = written
    name = tomllib.loads(starter.STARTER)["stress"][0]["name"]
    result = CliRunner().invoke(main, ["run", str(path), "--runs", "2000", "--json",
                                       "--stress", name])
    assert result.exit_code == 0, result.output
    assert math.isfinite(json.loads(result.output)["metrics"]["npv"]["mean"])


def test_every_key_has_a_comment():
    document = tomllib.loads(starter.STARTER)
    expected = []
    for table, value in document.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            expected += [(table, key) for key in item]
    found = keys_by_line(starter.STARTER)
    assert sorted((h, k) for h, k, _ in found) == sorted(expected)
    missing = [f"{h}.{k}" for h, k, commented in found if not commented]
    assert not missing, f"keys without a comment: {missing}"


def test_every_input_has_a_description_and_the_kinds_are_all_there():
    raw = tomllib.loads(starter.STARTER)["inputs"]
    scenario = roisim.load_scenario(starter.STARTER)
    for name, spec in raw.items():
        assert isinstance(spec.get("description"), str) and spec["description"], name
        assert scenario.inputs[name].description == spec["description"]
    families = {spec.get("dist") for spec in raw.values()}
    assert families >= {"pert", "triangular", "normal", "lognormal", "uniform", "poisson"}
    assert any("lower" in spec for spec in raw.values())  # a truncated input
    assert any(spec.get("per") == "year" and spec.get("dist") != "poisson"
               for spec in raw.values())  # a continuous per-year input
    assert any("value" in spec for spec in raw.values())  # a constant
    assert any("expr" in spec for spec in raw.values())  # a derived input
    costs = tomllib.loads(starter.STARTER)["costs"]
    assert [c["years"] for c in costs] == ["0", "1.."]  # a build cost and a run cost


def test_refuses_to_overwrite(tmp_path):
    path = tmp_path / "case.toml"
    original = b"# my own case\r\n[scenario]\nname = 'mine'\n\x00"
    path.write_bytes(original)
    before = path.stat().st_mtime_ns
    err = one_line_error(CliRunner().invoke(main, ["new", str(path)]))
    assert err == f"error: {path}: already exists; roisim new never overwrites a file (choose " \
                  "another name or remove it first)"
    assert path.read_bytes() == original and path.stat().st_mtime_ns == before


def test_refuses_a_directory_or_a_dangling_link(tmp_path):
    (tmp_path / "dir.toml").mkdir()
    one_line_error(CliRunner().invoke(main, ["new", str(tmp_path / "dir.toml")]))
    link = tmp_path / "link.toml"
    link.symlink_to(tmp_path / "nowhere.toml")
    err = one_line_error(CliRunner().invoke(main, ["new", str(link)]))
    assert "already exists" in err
    assert not (tmp_path / "nowhere.toml").exists()


def test_a_missing_directory_is_one_line_and_creates_nothing(tmp_path):
    path = tmp_path / "missing" / "case.toml"
    err = one_line_error(CliRunner().invoke(main, ["new", str(path)]))
    assert err == f"error: {path}: the directory {str(path.parent)!r} does not exist"
    assert list(tmp_path.iterdir()) == []


def test_a_file_as_the_directory_is_one_line(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    path = tmp_path / "notes.txt" / "case.toml"
    err = one_line_error(CliRunner().invoke(main, ["new", str(path)]))
    assert err == f"error: {path}: {str(path.parent)!r} is not a directory"


def test_a_name_without_toml_is_one_line_and_creates_nothing(tmp_path):
    path = tmp_path / "case.txt"
    err = one_line_error(CliRunner().invoke(main, ["new", str(path)]))
    assert err == f"error: {path}: the file name must end in .toml, e.g. case.toml"
    assert list(tmp_path.iterdir()) == []


def test_a_failed_write_leaves_nothing_behind(tmp_path, monkeypatch):
    real_open = open

    class Full:
        """A file that fails on write, as a full disk does."""

        def __init__(self, *args, **kwargs):
            self.file = real_open(*args, **kwargs)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, text):
            self.file.write(text[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            self.file.close()

    monkeypatch.setattr(starter, "open", Full, raising=False)
    path = tmp_path / "case.toml"
    err = one_line_error(CliRunner().invoke(main, ["new", str(path)]))
    assert err == f"error: {path}: cannot write the file: No space left on device"
    assert list(tmp_path.iterdir()) == []


def test_write_starter_from_python(tmp_path):
    path = starter.write_starter(tmp_path / "case.toml")
    assert roisim.load_scenario(path).name == "Model monitoring and automated retraining"
    with pytest.raises(ScenarioError, match="already exists"):
        starter.write_starter(str(path))
