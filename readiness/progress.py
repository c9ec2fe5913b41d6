"""Progress of long-running work on one terminal line, and silence where nobody watches.

    with progress("waiting for orders-sit-restore to become ACTIVE") as p:
        while not active():
            p.update(status="CREATING")
            time.sleep(5)

On a TTY every ``update`` redraws one line (label, elapsed seconds, the fields given) at most
``interval`` seconds apart, and the block ends with one final line saying how long it took (or
that it failed). Anywhere else (CI logs, pytest's captured output, a pipe) nothing is drawn
while it runs and only that final line is written, unless ``final=False`` makes it fully quiet.
Stdlib only: the engine must not depend on a terminal library to wait for a table.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Field = float | int | str


def _is_tty(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


def _fmt(value: Field) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


class Progress:
    """One piece of long-running work; create it with :func:`progress`."""

    def __init__(self, label: str, stream: TextIO, *, tty: bool, interval: float,
                 clock: Callable[[], float]) -> None:
        self.label = label
        self.stream = stream
        self.tty = tty
        self.interval = interval
        self.clock = clock
        self.started = clock()
        self.fields: dict[str, Field] = {}
        self._drawn_at: float | None = None
        self._width = 0
        self._lock = threading.Lock()

    @property
    def elapsed(self) -> float:
        return self.clock() - self.started

    def line(self) -> str:
        """The current state as one line: label, elapsed seconds, then the fields in the order first given."""
        parts = [self.label, f"{self.elapsed:.0f} s"]
        parts += [f"{k.replace('_', ' ')} {_fmt(v)}" for k, v in self.fields.items()]
        return " · ".join(parts)

    def update(self, **fields: Field) -> None:
        """Record new values (e.g. ``seconds=12, rate=990.0``) and redraw the line on a TTY."""
        with self._lock:
            self.fields.update(fields)
            if not self.tty:
                return
            now = self.clock()
            if self._drawn_at is not None and now - self._drawn_at < self.interval:
                return
            self._drawn_at = now
            self._draw(self.line())

    def _draw(self, text: str) -> None:
        # \r returns to column 0; padding erases what a longer previous line left behind
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = len(text)

    def finish(self, outcome: str, *, final: bool) -> None:
        with self._lock:
            text = f"{self.line()} · {outcome}"
            if self.tty:
                self._draw(text)
                self.stream.write("\n")
            elif final:
                self.stream.write(text + "\n")
            self.stream.flush()


@contextmanager
def progress(label: str, *, stream: TextIO | None = None, interval: float = 0.1, final: bool = True,
             clock: Callable[[], float] = time.monotonic) -> Iterator[Progress]:
    """Report the progress of the work inside the ``with`` block on ``stream`` (default: stderr).

    ``final=False`` writes nothing at all when the stream is not a TTY.
    """
    out = stream if stream is not None else sys.stderr
    p = Progress(label, out, tty=_is_tty(out), interval=interval, clock=clock)
    if p.tty:
        p.update()
    try:
        yield p
    except BaseException as exc:
        p.finish(f"failed after {p.elapsed:.1f} s ({type(exc).__name__})", final=final)
        raise
    p.finish(f"done in {p.elapsed:.1f} s", final=final)
