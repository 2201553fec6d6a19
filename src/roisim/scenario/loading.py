"""TOML text or file -> validated Scenario, with ``--set`` overrides and line numbers in errors."""

from __future__ import annotations

import copy
import hashlib
import os
import re
import tomllib
from pathlib import Path

from roisim.errors import ScenarioError, suggest
from roisim.scenario import diskcache
from roisim.scenario.model import Scenario
from roisim.scenario.validate import canonical_path, parse_scenario, path_segments

_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_scenario(source, overrides=None) -> Scenario:
    """Read a scenario from a file path or from TOML text and validate it.

    Parameters
    ----------
    source : str | os.PathLike
        A path to a ``.toml`` file, or the TOML text itself (any string containing a newline).
    overrides : list of "path=value" strings, or a dict {path: value}
        Values that replace those in the file, e.g. ``["inputs.loaded_hourly_rate.mean=80"]``.
        Each value is read as a TOML value (``0.1``, ``"text"``, ``[1, 2]``,
        ``{ dist = "normal", mean = 1, sd = 2 }``), falling back to a plain string, and the
        result is validated exactly as if it had been written in the file.

    Raises
    ------
    ScenarioError
        For every problem, naming the file, the line where known and the field path.
    """
    file, text, raw = _read(source)
    sha = hashlib.sha256(raw).hexdigest()
    ckey = diskcache.key(
        diskcache.source_fingerprint("scenario", "errors.py"),
        "scenario",
        raw,
        file,
        overrides if isinstance(overrides, dict) else list(overrides or []),
    )
    cached = diskcache.get("scenario", ckey)
    if cached is not None:
        return cached
    scenario = _load(file, text, sha, overrides)
    diskcache.put("scenario", ckey, scenario)
    return scenario


def _load(file, text, sha, overrides) -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_LINE.search(msg)
        line = int(m.group(1)) if m else None
        msg = _TOML_LINE.sub("", msg).strip()
        raise ScenarioError(f"not valid TOML: {msg}", "", file=file, line=line) from None
    set_paths = []
    if overrides:
        data = copy.deepcopy(data)
        for path, value in _override_items(overrides):
            set_paths.append(path)
            apply_override(data, path, value)
    try:
        return parse_scenario(data, source_file=file, sha256=sha)
    except ScenarioError as err:
        canonical = canonical_path(err.path)
        if any(canonical.startswith(canonical_path(p)) for p in set_paths):
            raise ScenarioError(
                err.message + " (value given by --set)", err.path, file=file
            ) from None
        raise err.located(file, locate_line(text, err.path)) from None


def _read(source) -> tuple[str | None, str, bytes]:
    if isinstance(source, os.PathLike) or (
        isinstance(source, str)
        and "\n" not in source
        and (source.endswith(".toml") or os.path.exists(source))
    ):
        path = Path(source)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise ScenarioError("file not found", file=str(source)) from None
        except IsADirectoryError:
            raise ScenarioError("is a directory, not a scenario file", file=str(source)) from None
        except OSError as exc:
            raise ScenarioError(f"cannot read the file: {exc.strerror}", file=str(source)) from None
        try:
            return str(source), raw.decode("utf-8"), raw
        except UnicodeDecodeError:
            raise ScenarioError("the file is not UTF-8 text", file=str(source)) from None
    if isinstance(source, bytes):
        source = source.decode("utf-8", errors="replace")
    if not isinstance(source, str):
        raise ScenarioError(
            f"load_scenario expects a file path or TOML text, got {type(source).__name__}"
        )
    return None, source, source.encode("utf-8")


def _override_items(overrides):
    if isinstance(overrides, dict):
        return list(overrides.items())
    items = []
    for item in overrides:
        if not isinstance(item, str) or "=" not in item:
            raise ScenarioError(f"--set expects PATH=VALUE, got {item!r}", "--set")
        path, value = item.split("=", 1)
        items.append((path.strip(), _toml_value(value.strip())))
    return items


def _toml_value(text: str):
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _segments(path: str) -> list:
    return path_segments(path, "--set", label="--set path")


def apply_override(data: dict, path: str, value) -> None:
    """Set ``value`` at ``path``: ``inputs.x.mean``, ``benefits[0].amount`` or
    ``benefits.0.amount``."""
    segs = _segments(path)
    node = data
    where = ""
    for i, seg in enumerate(segs):
        last = i == len(segs) - 1
        if isinstance(seg, int):
            if not isinstance(node, list):
                raise ScenarioError(
                    f"{where or 'the document'} is not a list, so [{seg}] does not apply",
                    f"--set {path}",
                )
            if seg >= len(node):
                raise ScenarioError(
                    f"{where} has {len(node)} entries; index {seg} is out of range", f"--set {path}"
                )
            if last:
                node[seg] = value
                return
            node = node[seg]
            where += f"[{seg}]"
        else:
            if not isinstance(node, dict):
                raise ScenarioError(
                    f"{where} is {_kind(node)}, not a table, so it has no field '{seg}'",
                    f"--set {path}",
                )
            if last:
                node[seg] = value
                return
            optional = list(_OPTIONAL_TABLES.get(where, ()))
            if seg not in node:
                if seg in optional:
                    node[seg] = [] if seg in _LISTS else {}
                else:
                    what = "input" if where == "inputs" else "field"
                    raise ScenarioError(
                        f"unknown {what} '{seg}' in {where or 'the file'}"
                        f"{suggest(seg, [k for k in node if isinstance(k, str)] + optional)}",
                        f"--set {path}",
                    )
            node = node[seg]
            where = f"{where}.{seg}" if where else seg


# Tables a scenario may leave out, which ``--set`` creates when a path goes through them
# (``--set simulation.precision.max_runs=1e6``); keyed by the path of the table that holds them.
_OPTIONAL_TABLES = {
    "": ("simulation", "inputs", "benefits", "costs", "stress", "correlations"),
    "simulation": ("precision",),
}
_LISTS = ("benefits", "costs", "stress")


def _kind(v) -> str:
    return "a list" if isinstance(v, list) else f"the value {v!r}"


def locate_line(text: str, path: str) -> int | None:
    """Best-effort 1-based line of the field ``path`` in the TOML ``text`` (None when not found)."""
    if not path:
        return None
    try:
        segs = _segments(path)
    except ScenarioError:
        return None
    lines = text.splitlines()
    headers: list[tuple[int, str, bool]] = []  # (line index, dotted name, is array)
    for i, ln in enumerate(lines):
        m = re.match(r"\s*(\[\[?)\s*([^\]]+?)\s*\]\]?", ln)
        if m and not ln.lstrip().startswith("#"):
            headers.append((i, m.group(2).replace('"', "").replace(" ", ""), m.group(1) == "[["))

    def section(name: str, nth: int | None):
        count = -1
        for k, (i, hname, is_array) in enumerate(headers):
            if hname == name and (nth is None or is_array):
                count += 1
                if nth is None or count == nth:
                    end = headers[k + 1][0] if k + 1 < len(headers) else len(lines)
                    return i, end
        return None

    def key_line(start: int, end: int, key: str):
        pat = re.compile(r'\s*"?' + re.escape(str(key)) + r'"?\s*=')
        for i in range(start, end):
            if pat.match(lines[i]):
                return i
        return None

    top = segs[0]
    if top in ("benefits", "costs", "stress"):
        nth = segs[1] if len(segs) > 1 and isinstance(segs[1], int) else 0
        sec = section(top, nth)
        if sec is None:
            return None
        rest = segs[2:] if len(segs) > 1 and isinstance(segs[1], int) else segs[1:]
        if rest and isinstance(rest[0], str):
            hit = key_line(sec[0] + 1, sec[1], rest[0])
            if hit is not None:
                return hit + 1
        return sec[0] + 1
    if len(segs) >= 2 and isinstance(segs[1], str):
        sub = section(f"{top}.{segs[1]}", None)  # [inputs.x] written as its own table
        if sub is not None and len(segs) >= 3 and isinstance(segs[2], str):
            hit = key_line(sub[0] + 1, sub[1], segs[2])
            return (hit if hit is not None else sub[0]) + 1
        if sub is not None:
            return sub[0] + 1
    sec = section(top, None)
    if sec is None:
        return None
    if len(segs) >= 2 and isinstance(segs[1], str):
        hit = key_line(sec[0] + 1, sec[1], segs[1])
        if hit is not None:
            return hit + 1
    return sec[0] + 1


def locate(err: ScenarioError, file) -> ScenarioError:
    """Fill in the file and, where it can be found, the line of ``err`` (for errors raised after
    loading, e.g. a NaN found while simulating)."""
    if (
        err.line is not None
        or not err.path
        or err.path.startswith("--")
        or err.message.endswith("(value given by --set)")
    ):
        return err.located(str(file))
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return err.located(str(file))
    return err.located(str(file), locate_line(text, err.path))
