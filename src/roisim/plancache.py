"""On-disk cache of validated scenarios and plans, so a warm run skips validation and tables.

Keys are SHA-256 digests of everything the cached object depends on (the file's bytes, the
overrides, the seed and a hash of roisim's source code), so a changed file or option never hits a stale entry.
Entries live beside the generated kernels (``codegen.cache_dir()``); an unreadable or corrupt
entry is ignored and rebuilt.  Set ``ROISIM_NO_PLAN_CACHE=1`` to disable.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import tempfile

from .codegen import cache_dir, code_fingerprint


def enabled() -> bool:
    return os.environ.get("ROISIM_NO_PLAN_CACHE", "") in ("", "0")


def key(*parts) -> str:
    h = hashlib.sha256(code_fingerprint().encode())
    for p in parts:
        h.update(b"\x00")
        h.update(p if isinstance(p, bytes) else repr(p).encode())
    return h.hexdigest()[:32]


def get(kind: str, k: str):
    if not enabled():
        return None
    path = cache_dir() / "plans" / f"{kind}-{k}.pkl"
    try:
        with open(path, "rb") as fh:
            return pickle.load(fh)
    except Exception:       # missing, truncated or from another version: rebuild
        return None


def put(kind: str, k: str, obj) -> None:
    if not enabled():
        return
    d = cache_dir() / "plans"
    try:
        d.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=d, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, d / f"{kind}-{k}.pkl")
    except OSError:
        pass                # a read-only cache only costs speed
