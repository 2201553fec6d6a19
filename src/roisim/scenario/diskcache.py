"""A small on-disk cache (validated scenarios, plans) and the source fingerprints that key it.

Keys are SHA-256 digests of everything the cached object depends on: the code that builds it
(:func:`source_fingerprint` of the subpackages concerned, so editing the CLI invalidates
nothing) and the inputs (file bytes, overrides).  Entries live in ``cache_dir()/plans``; an
unreadable or corrupt entry is ignored and rebuilt.  The folder is bounded: past
``MAX_ENTRIES`` entries or ``MAX_BYTES`` bytes the least recently used are removed.  Set
``ROISIM_NO_PLAN_CACHE=1`` to disable.  No numpy, no numba: ``roisim validate`` uses it.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

from roisim import _version

MAX_ENTRIES = 200
MAX_BYTES = 50 * 1024**2
_PACKAGE = Path(__file__).resolve().parent.parent  # src/roisim
_FINGERPRINTS: dict[tuple[str, ...], str] = {}


def cache_dir() -> Path:
    """Where generated kernels, numba's cache of them and this cache live.

    ``$ROISIM_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/roisim`` or ``~/.cache/roisim``.
    """
    env = os.environ.get("ROISIM_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "roisim"


def source_fingerprint(*parts: str) -> str:
    """A hash of roisim's version and the source of ``parts``: paths inside the package, each a
    subpackage folder (every ``.py`` file below it) or one file, e.g. ``"engine/codegen.py"``."""
    if parts not in _FINGERPRINTS:
        h = hashlib.sha256(_version.__version__.encode())
        for part in parts:
            target = _PACKAGE / part
            files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
            for path in files:
                h.update(str(path.relative_to(_PACKAGE)).encode())
                h.update(path.read_bytes())
        _FINGERPRINTS[parts] = h.hexdigest()
    return _FINGERPRINTS[parts]


def enabled() -> bool:
    return os.environ.get("ROISIM_NO_PLAN_CACHE", "") in ("", "0")


def key(fingerprint: str, *parts) -> str:
    """The cache key of an object built by code with ``fingerprint`` from ``parts``."""
    h = hashlib.sha256(fingerprint.encode())
    for p in parts:
        h.update(b"\x00")
        h.update(p if isinstance(p, bytes) else repr(p).encode())
    return h.hexdigest()[:32]


def _folder() -> Path:
    return cache_dir() / "plans"


def get(kind: str, k: str):
    """The cached object, or None (missing, corrupt, or the cache disabled)."""
    if not enabled():
        return None
    path = _folder() / f"{kind}-{k}.pkl"
    try:
        with open(path, "rb") as fh:
            obj = pickle.load(fh)
    except Exception:  # missing, truncated or from another version: rebuild
        return None
    try:
        os.utime(path)  # recently used: evicted last
    except OSError:
        pass
    return obj


def put(kind: str, k: str, obj) -> None:
    """Store ``obj``; then evict the least recently used entries beyond the bounds."""
    if not enabled():
        return
    folder = _folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(obj, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, folder / f"{kind}-{k}.pkl")
        evict(folder)
    except OSError:
        pass  # a read-only cache only costs speed


def evict(folder: Path, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES) -> None:
    """Remove the least recently used entries until at most ``max_entries`` entries and
    ``max_bytes`` bytes remain."""
    entries = []
    for path in folder.glob("*.pkl"):
        try:
            st = path.stat()
        except OSError:
            continue
        entries.append((st.st_mtime, st.st_size, path))
    entries.sort(reverse=True)  # newest first
    total = 0
    for i, (_, size, path) in enumerate(entries):
        total += size
        if i >= max_entries or total > max_bytes:
            try:
                path.unlink()
            except OSError:
                pass
