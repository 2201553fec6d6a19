"""Writing an output file so that an interruption never leaves a partial one.

Every file roisim writes (a netCDF dataset, an HTML report, a workbook) is written beside its
target under a temporary name and renamed over the target when complete: a reader sees the old
file or the new one, never half of one, and Ctrl-C leaves nothing behind.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(target, suffix: str):
    """Yield a temporary path beside ``target``; on leaving the block without an error, give it
    the permissions of an ordinary new file (the umask's) and rename it to ``target``; on an
    error (or KeyboardInterrupt), delete it.

    >>> import pathlib, tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "x.txt"
    >>> with replacing(out, ".txt.partial") as tmp:
    ...     _ = pathlib.Path(tmp).write_text("done")
    >>> out.read_text()
    'done'
    """
    target = Path(os.fspath(target))
    fd, tmp = tempfile.mkstemp(dir=target.parent if str(target.parent) else ".", suffix=suffix)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output(path, suffixes: tuple[str, ...], what: str) -> Path:
    """``path`` as a Path if it ends in one of ``suffixes`` (any case), is not a directory and
    its folder exists; else a ScenarioError at ``--output``.  ``what`` names the file ("the
    report is an HTML file", "the workbook")."""
    from roisim.errors import ScenarioError

    p = Path(os.fspath(path))
    if p.suffix.lower() not in suffixes:
        raise ScenarioError(f"{what}: the name must end in {' or '.join(suffixes)}, got "
                            f"{str(p)!r}", "--output")
    if p.is_dir():
        raise ScenarioError(f"{str(p)!r} is a directory", "--output")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise ScenarioError(f"the folder {str(parent)!r} does not exist", "--output")
    return p
