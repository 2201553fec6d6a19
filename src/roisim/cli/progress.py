"""A progress line on stderr for long runs: runs done, rate and time left (terminal only)."""

from __future__ import annotations

import sys
import time

from roisim.report.numbers import clock, count, millions


class ProgressLine:
    """Call with (pass_number, runs_done, runs_total); draws at most 5 times a second."""

    def __init__(self, stream=None, min_seconds: float = 0.5):
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.pass_start = self.start
        self.pass_no = 0
        self.last = 0.0
        self.min_seconds = min_seconds
        self.shown = False

    def __call__(self, pass_no: int, done: int, total: int) -> None:
        now = time.monotonic()
        if pass_no != self.pass_no:
            self.pass_no, self.pass_start = pass_no, now
        if now - self.last < 0.2 or now - self.start < self.min_seconds:
            return
        self.last = now
        elapsed = now - self.pass_start
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (total - done) / rate if rate > 0 else float("nan")
        self.stream.write(
            f"\r  pass {pass_no}: {count(done):>14} / {count(total)} runs  "
            f"{millions(rate):>8} runs/s  time left {clock(left)} "
        )
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Clear the line (once; closing again does nothing)."""
        if self.shown:
            self.stream.write("\r" + " " * 100 + "\r")
            self.stream.flush()
            self.shown = False
