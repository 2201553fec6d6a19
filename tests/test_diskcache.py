"""The on-disk cache of scenarios and plans: keyed by the code that builds them, bounded, LRU."""
from __future__ import annotations

import os
import time

import roisim
from roisim.scenario import diskcache


def test_entries_beyond_the_count_bound_are_evicted_oldest_first(tmp_path, monkeypatch):
    monkeypatch.setenv("ROISIM_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("ROISIM_NO_PLAN_CACHE", raising=False)
    monkeypatch.setattr(diskcache, "MAX_ENTRIES", 5)
    for i in range(8):
        diskcache.put("t", f"k{i}", i)
        os.utime(tmp_path / "plans" / f"t-k{i}.pkl", (1000 + i, 1000 + i))   # distinct ages
    diskcache.evict(tmp_path / "plans", max_entries=5)
    kept = sorted(p.name for p in (tmp_path / "plans").glob("*.pkl"))
    assert kept == [f"t-k{i}.pkl" for i in range(3, 8)]


def test_a_hit_makes_an_entry_recent(tmp_path, monkeypatch):
    monkeypatch.setenv("ROISIM_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("ROISIM_NO_PLAN_CACHE", raising=False)
    for i in range(3):
        diskcache.put("t", f"k{i}", i)
        os.utime(tmp_path / "plans" / f"t-k{i}.pkl", (1000 + i, 1000 + i))
    assert diskcache.get("t", "k0") == 0                  # used now: the newest
    diskcache.evict(tmp_path / "plans", max_entries=2)
    kept = sorted(p.name for p in (tmp_path / "plans").glob("*.pkl"))
    assert kept == ["t-k0.pkl", "t-k2.pkl"]


def test_the_byte_bound_holds(tmp_path, monkeypatch):
    monkeypatch.setenv("ROISIM_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("ROISIM_NO_PLAN_CACHE", raising=False)
    for i in range(6):
        diskcache.put("t", f"k{i}", b"x" * 10_000)
        os.utime(tmp_path / "plans" / f"t-k{i}.pkl", (1000 + i, 1000 + i))
    diskcache.evict(tmp_path / "plans", max_bytes=35_000)
    files = list((tmp_path / "plans").glob("*.pkl"))
    assert sum(p.stat().st_size for p in files) <= 35_000 and len(files) == 3


def test_put_keeps_the_folder_within_the_default_bounds(tmp_path, monkeypatch):
    monkeypatch.setenv("ROISIM_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("ROISIM_NO_PLAN_CACHE", raising=False)
    for i in range(diskcache.MAX_ENTRIES + 20):
        diskcache.put("t", f"k{i}", i)
    assert len(list((tmp_path / "plans").glob("*.pkl"))) == diskcache.MAX_ENTRIES


def test_fingerprints_cover_only_their_own_code():
    """The kernel key covers the code generator and the kernels, the scenario key the scenario
    package: the CLI and the reports are in neither, so editing them invalidates nothing."""
    from roisim.engine.codegen import KERNEL_CODE
    from roisim.engine.plan import PLAN_CODE
    for parts in (KERNEL_CODE, PLAN_CODE):
        assert not any(p.startswith(("cli", "report", "analysis")) for p in parts)
    assert {"engine/codegen.py", "kernels"} <= set(KERNEL_CODE)
    assert all(p == "kernels" or p.startswith("engine/") for p in KERNEL_CODE)
    a = diskcache.source_fingerprint("kernels")
    b = diskcache.source_fingerprint("kernels", "cli")
    assert a != b and a == diskcache.source_fingerprint("kernels")


def test_a_scenario_loads_from_the_cache_identically(tmp_path, monkeypatch):
    monkeypatch.setenv("ROISIM_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("ROISIM_NO_PLAN_CACHE", raising=False)
    first = roisim.load_scenario("scenarios/fintech.toml")
    assert list((tmp_path / "plans").glob("scenario-*.pkl"))
    time.sleep(0.01)
    assert roisim.load_scenario("scenarios/fintech.toml") == first
