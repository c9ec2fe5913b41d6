"""The progress reporter: one redrawn line on a TTY, one final line (or nothing) elsewhere."""

from __future__ import annotations

import io

import pytest

from readiness.progress import progress


class FakeTty(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_tty_gets_one_line_redrawn_in_place_then_a_final_line() -> None:
    tty, clock = FakeTty(), Clock()
    with progress("waiting for orders-sit-restore to become ACTIVE", stream=tty, clock=clock) as p:
        clock.now += 5
        p.update(status="CREATING")
        clock.now += 7
        p.update(status="ACTIVE")
    out = tty.getvalue()
    assert out.count("\n") == 1 and out.endswith("\n"), "everything but the final line is redrawn in place"
    frames = out.rstrip("\n").split("\r")[1:]
    assert [f.rstrip() for f in frames] == [
        "waiting for orders-sit-restore to become ACTIVE · 0 s",
        "waiting for orders-sit-restore to become ACTIVE · 5 s · status CREATING",
        "waiting for orders-sit-restore to become ACTIVE · 12 s · status ACTIVE",
        "waiting for orders-sit-restore to become ACTIVE · 12 s · status ACTIVE · done in 12.0 s",
    ]


def test_a_shorter_line_erases_the_longer_one_before_it() -> None:
    tty, clock = FakeTty(), Clock()
    with progress("load", stream=tty, clock=clock) as p:
        clock.now += 1
        p.update(phase="warming up the tables")
        clock.now += 1
        p.update(phase="run")
    frames = tty.getvalue().split("\r")
    assert len(frames[3]) >= len(frames[2]), "the redraw must cover the previous, longer text"


def test_redraws_are_throttled_but_the_values_are_kept() -> None:
    tty, clock = FakeTty(), Clock()
    with progress("load drill", stream=tty, clock=clock, interval=1.0) as p:
        for second in range(1, 4):
            clock.now += 0.25  # faster than the interval: not drawn
            p.update(seconds=second, rate=990.5)
    out = tty.getvalue()
    assert out.count("\r") == 2, "the first frame and the final line only"
    assert "seconds 3 · rate 990.5 · done in 0.8 s" in out


def test_not_a_tty_writes_only_one_final_line() -> None:
    pipe, clock = io.StringIO(), Clock()
    with progress("load drill on orders-sit", stream=pipe, clock=clock) as p:
        for second in range(1, 31):
            clock.now += 1
            p.update(seconds=second, rate=1000.0)
    assert pipe.getvalue() == "load drill on orders-sit · 30 s · seconds 30 · rate 1,000.0 · done in 30.0 s\n"


def test_not_a_tty_with_final_false_writes_nothing() -> None:
    pipe = io.StringIO()
    with progress("quiet", stream=pipe, final=False) as p:
        p.update(rate=1.0)
    assert pipe.getvalue() == ""


@pytest.mark.parametrize("stream", [FakeTty(), io.StringIO()], ids=["tty", "pipe"])
def test_a_failure_is_said_and_not_swallowed(stream: io.StringIO) -> None:
    clock = Clock()
    with pytest.raises(TimeoutError), progress("waiting for restore", stream=stream, clock=clock):
        clock.now += 3
        raise TimeoutError("still CREATING")
    assert stream.getvalue().endswith("waiting for restore · 3 s · failed after 3.0 s (TimeoutError)\n")
