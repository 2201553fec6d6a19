"""Faster imports: roisim's own, and the command line's lazy ones."""

import gc
from contextlib import contextmanager


@contextmanager
def quick_imports():
    """Import without Python's cyclic garbage collector, then restore it as it was.

    Importing numpy and numba creates some hundred thousand long-lived objects and no garbage
    to speak of; with the collector on, its full collections walk them all again and again,
    which cost a warm ``roisim run`` about 30 ms.  Only the import statements run without it,
and what they made is then moved out of the collector's sight (``gc.freeze``: modules,
classes and functions live as long as the process anyway)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # what was imported lives on: later collections need not walk it again
        if was_enabled:
            gc.enable()
