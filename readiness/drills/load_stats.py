"""The load drill's results: what Locust measured, per operation, and the verdict against the contract's
profile (ADR 0030)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from readiness.outcome import FAIL, PASS, THROTTLE_CODES, UNVERIFIABLE

PASS_FRACTION = 0.97  # achieved / target rate that still passes
OPERATIONS = {"write": "PutItem", "read": "GetItem"}


@dataclass(frozen=True)
class OperationStats:
    """What one operation (write = PutItem, read = GetItem) achieved."""

    operation: str  # write | read
    api: str  # PutItem | GetItem
    target_rate: float  # calls per second asked for
    achieved_rate: float  # successful calls per second, over the steady seconds of the run
    requests: int  # calls made (successful or not)
    errors: int  # failed calls other than throttling
    throttles: int  # ProvisionedThroughputExceededException / ThrottlingException / RequestLimitExceeded
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    error_samples: tuple[str, ...] = ()  # up to three distinct answers, most frequent first
    per_second: tuple[int, ...] = ()  # successful calls in each whole second of the run, first to last

    @property
    def successes(self) -> int:
        return self.requests - self.errors - self.throttles


@dataclass(frozen=True)
class LoadVerdict:
    status: str  # pass | fail | unverifiable
    reason: str  # one line


@dataclass
class LoadResult:
    """The drill's measurements; ``verdict()`` and ``figures()`` read them."""

    operations: dict[str, OperationStats]  # "write" / "read": only the operations with a target rate
    p99_limit_ms: float
    duration_seconds: float  # the load phase asked for
    workers: int  # load-generating processes on this machine
    users: int  # Locust users over all processes
    user_rate: float
    tables: tuple[str, ...]  # physical names
    run_token: str
    keys: int  # test items written (and deleted)
    items_left: int = 0  # test items cleanup could not delete (0 when it worked)
    unavailable: str | None = None  # why the load could not run at all (UNVERIFIABLE)
    api_calls: dict[str, int] = field(default_factory=dict)  # "dynamodb:PutItem": n, ...
    elapsed_seconds: float = 0.0  # the whole drill: seeding, load, cleanup
    notes: tuple[str, ...] = ()  # cleanup failures and the like

    def verdict(self) -> LoadVerdict:
        """PASS / FAIL / UNVERIFIABLE with a one-line reason (see the module docstring)."""
        if self.unavailable:
            return LoadVerdict(UNVERIFIABLE, f"the load could not run: {self.unavailable}")
        silent = [s for s in self.operations.values() if s.target_rate > 0 and s.successes == 0 and s.throttles == 0]
        if silent:
            s = silent[0]
            answer = s.error_samples[0] if s.error_samples else "no call was made"
            return LoadVerdict(UNVERIFIABLE, f"no {s.api} call succeeded ({s.requests} made): {answer}")
        shortfalls: list[str] = []
        for s in self.operations.values():
            if s.target_rate <= 0:
                continue
            if s.achieved_rate < PASS_FRACTION * s.target_rate:
                shortfalls.append(f"{s.operation}s {s.achieved_rate:.1f}/s of {_num(s.target_rate)}/s "
                                  f"({100 * s.achieved_rate / s.target_rate:.0f}%, needs "
                                  f"{100 * PASS_FRACTION:.0f}%)")
            if s.throttles:
                shortfalls.append(f"{s.operation}s throttled {s.throttles} times")
            if s.errors:
                sample = f" ({s.error_samples[0]})" if s.error_samples else ""
                shortfalls.append(f"{s.operation}s failed {s.errors} times{sample}")
            if s.p99_ms is not None and s.p99_ms > self.p99_limit_ms:
                shortfalls.append(f"{s.operation} p99 {_num(s.p99_ms)} ms over {_num(self.p99_limit_ms)} ms")
        if shortfalls:
            return LoadVerdict(FAIL, "; ".join(shortfalls))
        held = ", ".join(f"{s.operation}s {s.achieved_rate:.1f}/s of {_num(s.target_rate)}/s"
                         for s in self.operations.values() if s.target_rate > 0)
        p99 = "/".join(_num(s.p99_ms) for s in self.operations.values() if s.p99_ms is not None)
        return LoadVerdict(PASS, f"{held} for {_num(self.duration_seconds)} s, no throttling, no errors, "
                                 f"p99 {p99} ms within {_num(self.p99_limit_ms)} ms")

    def figures(self) -> list[dict[str, Any]]:
        """The measurements as figures: name, value, unit, and for the judged ones target and limit (min: at
        least; max: at most). p50 and p95 are reported, not judged: they have no target."""
        out: list[dict[str, Any]] = []
        for s in self.operations.values():
            op = s.operation
            out += [
                {"name": f"{op}_rate", "value": round(s.achieved_rate, 1), "unit": "ops/s",
                 "target": _plain(s.target_rate), "limit": "min"},
                {"name": f"{op}_p50", "value": s.p50_ms, "unit": "ms"},
                {"name": f"{op}_p95", "value": s.p95_ms, "unit": "ms"},
                {"name": f"{op}_p99", "value": s.p99_ms, "unit": "ms", "target": _plain(self.p99_limit_ms),
                 "limit": "max"},
                {"name": f"{op}_throttles", "value": s.throttles, "unit": "count", "target": 0, "limit": "max"},
                {"name": f"{op}_errors", "value": s.errors, "unit": "count", "target": 0, "limit": "max"},
            ]
        return out

    def to_dict(self) -> dict[str, Any]:
        verdict = self.verdict()
        return {**asdict(self), "operations": {k: asdict(v) for k, v in self.operations.items()},
                "status": verdict.status, "reason": verdict.reason, "figures": self.figures()}


def _num(value: float | None) -> str:
    if value is None:
        return "?"
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def _plain(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value




def percentile(histogram: Mapping[Any, int], fraction: float) -> float | None:
    """The value below which ``fraction`` of the samples of a {value: count} histogram lie."""
    points = sorted((float(k), int(v)) for k, v in histogram.items() if int(v) > 0)
    total = sum(n for _, n in points)
    if not total:
        return None
    need = fraction * total
    seen = 0
    for value, n in points:
        seen += n
        if seen >= need:
            return value
    return points[-1][0]


def steady_rate(per_second: Mapping[Any, int], failures_per_second: Mapping[Any, int], *, fallback_seconds: float,
                successes: int, ramp_seconds: float = 0.0) -> float:
    """Successful calls per second over the run's whole seconds after the ramp-up: the first second (and as
    many more as the ramp lasted) and the last (cut off) are left out; a run too short for that divides
    every success by ``fallback_seconds``."""
    seconds = sorted(int(k) for k in per_second)
    fails = {int(k): int(v) for k, v in failures_per_second.items()}
    skip = max(1, math.ceil(ramp_seconds))
    inner = [s for s in seconds if seconds[0] + skip <= s < seconds[-1]] if seconds else []
    inner = inner if len(inner) >= 2 else []
    if inner:
        counts = {int(k): int(v) for k, v in per_second.items()}
        span = inner[-1] - inner[0] + 1  # seconds with no call at all count as zero
        return sum(counts[s] - fails.get(s, 0) for s in inner) / span
    return successes / fallback_seconds if fallback_seconds > 0 else 0.0


def parse_stats(entries: Sequence[Mapping[str, Any]], failures: Sequence[Mapping[str, str]],
                targets: Mapping[str, float], duration_seconds: float,
                ramp_seconds: float = 0.0) -> dict[str, OperationStats]:
    """OperationStats per operation from Locust's ``--json-file`` entries and ``--csv`` failures rows."""
    by_name = {str(e.get("name")): e for e in entries}
    out: dict[str, OperationStats] = {}
    for op, api in OPERATIONS.items():
        target = float(targets.get(op, 0))
        if target <= 0:
            continue
        e = by_name.get(api, {})
        rows = [f for f in failures if f.get("Name") == api]
        throttles = sum(int(f.get("Occurrences") or 0) for f in rows if _is_throttle(f.get("Error", "")))
        failed = int(e.get("num_failures") or 0)
        errors = max(0, failed - throttles)
        samples = [_error_text(f.get("Error", "")) for f in sorted(rows, key=lambda f: -int(f.get("Occurrences") or 0))]
        requests = int(e.get("num_requests") or 0)
        histogram = e.get("response_times") or {}
        start, last = e.get("start_time"), e.get("last_request_timestamp")
        fallback = (float(last) - float(start)) if start and last and last > start else duration_seconds
        out[op] = OperationStats(
            operation=op, api=api, target_rate=target,
            achieved_rate=steady_rate(e.get("num_reqs_per_sec") or {}, e.get("num_fail_per_sec") or {},
                                      fallback_seconds=fallback, successes=requests - failed,
                                      ramp_seconds=ramp_seconds),
            requests=requests, errors=errors, throttles=throttles,
            p50_ms=percentile(histogram, 0.50), p95_ms=percentile(histogram, 0.95),
            p99_ms=percentile(histogram, 0.99), error_samples=tuple(dict.fromkeys(samples))[:3],
            per_second=_series(e.get("num_reqs_per_sec") or {}, e.get("num_fail_per_sec") or {}))
    return out


def _series(per_second: Mapping[Any, int], failures_per_second: Mapping[Any, int]) -> tuple[int, ...]:
    counts = {int(k): int(v) for k, v in per_second.items()}
    fails = {int(k): int(v) for k, v in failures_per_second.items()}
    if not counts:
        return ()
    return tuple(counts.get(s, 0) - fails.get(s, 0) for s in range(min(counts), max(counts) + 1))


def _is_throttle(error: str) -> bool:
    return error.startswith("Throttled(") or any(code in error for code in THROTTLE_CODES)


def _error_text(error: str) -> str:
    """``DynamoDBFailure('Code: message')`` -> ``Code: message``."""
    for prefix in ("Throttled(", "DynamoDBFailure("):
        if error.startswith(prefix) and error.endswith(")"):
            return error[len(prefix):-1].strip("'\"")
    return error
