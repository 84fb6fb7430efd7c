"""A plain progress bar on stderr: counts and elapsed time, redrawn at most a few times a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO

WIDTH = 30


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = max(total, 1)
        self.done = 0
        self.stream = stream if stream is not None else sys.stderr
        self.started = time.perf_counter()
        self._drawn = 0.0
        self._drawn_done = -1
        self._interactive = bool(getattr(self.stream, "isatty", lambda: False)())
        self._draw(force=True)

    def advance(self, count: int = 1) -> None:
        self.done = min(self.total, self.done + count)
        self._draw()

    def set(self, done: int) -> None:
        self.done = min(self.total, done)
        self._draw()

    def _draw(self, *, force: bool = False) -> None:
        now = time.perf_counter()
        # A terminal is redrawn in place; a log file gets a line every ten seconds.
        interval = 0.2 if self._interactive else 10.0
        if not force and now - self._drawn < interval:
            return
        if self._drawn_done == self.done and not self._interactive:
            return  # a log file gets each state once
        self._drawn = now
        self._drawn_done = self.done
        filled = int(WIDTH * self.done / self.total)
        bar = "#" * filled + "-" * (WIDTH - filled)
        line = (
            f"{self.label:<22} [{bar}] {100 * self.done / self.total:5.1f}% "
            f"{self.done:,}/{self.total:,}  {now - self.started:6.1f} s"
        )
        self.stream.write(("\r" + line) if self._interactive else (line + "\n"))
        self.stream.flush()

    def finish(self) -> float:
        self.done = self.total
        self._draw(force=True)
        if self._interactive:
            self.stream.write("\n")
            self.stream.flush()
        return time.perf_counter() - self.started


class SilentProgress(Progress):
    """For tests and benchmarks: keeps the counts, draws nothing."""

    def _draw(self, *, force: bool = False) -> None:
        return
