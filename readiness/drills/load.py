"""The load drill: the contract's write and read rates, held for a bounded time, measured.

Locust drives the load in its own subprocess (``python -m locust -f readiness/drills/locustfile.py``):
Locust's gevent must be imported before boto3, so this module never imports Locust. One process
generates the load by default; ``workers=N`` (N > 1) starts a Locust master and N worker processes
on this machine, and ``remote_workers=M`` makes the master (bound to ``master_bind_host``:
``master_port``) wait for M more, started on other machines (see docs/drills.md).

Each writer user calls PutItem and each reader user GetItem at a constant rate of ``user_rate``
calls per second (Locust's ``constant_throughput``), so ``writes_per_second / user_rate`` writers
and ``reads_per_second / user_rate`` readers hold the target rates while every call stays under
``1 / user_rate`` seconds. By default a call has the contract's p99 limit and at least 100 ms
(``user_rate`` = 1000 / p99 ms, 1 to 10 a second): a user that falls behind does not catch up, so
a call within the limit must not cost rate; and no more users than that, since every user keeps
a connection open and emulators slow down with many. Every call is timed; throttling answers are
counted apart from other errors, and botocore's retries are off so that none is hidden.

Test items only, in a bounded key space: at most ``max_keys`` run-scoped items
(``readiness.testitems.generate_item``) are written before the load starts (BatchWriteItem),
written again and again by the writers and read by the readers, and deleted (BatchWriteItem
deletes of exactly those keys) in a ``finally``: also when Locust fails, is killed, or the caller
interrupts the drill. Items carry the run's marker attributes, so a later run's orphan sweep
removes what a killed engine process could not.

The verdict: PASS when every operation achieved at least 97% of its target rate, with no throttle,
no error, and p99 latency within the contract's limit; FAIL naming each shortfall otherwise;
UNVERIFIABLE when the load could not run at all (Locust missing, endpoint refused), quoting what
was answered.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from readiness.contract.model import Environment, LoadProfile, Table
from readiness.drills.load_stats import LoadResult, parse_stats
from readiness.outcome import describe_failure
from readiness.targets.base import ReadOnlyViolation, Target
from readiness.targets.services import free_port
from readiness.testitems import RunScope, as_dynamodb, generate_item

MAX_DURATION_SECONDS = 900  # the cap on one drill's load phase (the contract's schema allows no more)
MAX_KEYS = 1000  # test items one drill may write (and so must delete)
MAX_WORKERS = 64
MAX_USER_RATE = 10.0  # calls per second of one Locust user by default: at least 100 ms for each call
MIN_USER_RATE = 1.0
REMOTE_PREPARE_SECONDS = 3.0  # left out of the measured window when workers join from other machines
START_GRACE_SECONDS = 60  # Locust's start (imports, items, workers connecting) and its stop
LOCUSTFILE = Path(__file__).resolve().with_name("locustfile.py")


class LoadError(ValueError):
    """The drill was asked for something it cannot do (a bad rate, duration, worker count); one sentence."""


# ---------------------------------------------------------------------------- the contract's profiles


def load_profile(env: Environment, target_kind: str) -> LoadProfile:
    """The environment's profile for a target: ``load`` on AWS, ``load.local`` (what an emulator can carry)
    on moto, LocalStack and DynamoDB Local."""
    return env.load_live if target_kind == "aws" else env.load_local


# ---------------------------------------------------------------------------- the drill


@dataclass(frozen=True)
class LoadProgress:
    """Handed to the progress callback every ``progress_every`` seconds while Locust runs."""

    elapsed_seconds: float
    duration_seconds: float
    requests: int  # so far, over every operation
    current_rate: float  # calls per second, Locust's current figure
    pids: tuple[int, ...]  # the Locust processes (master first)

    def line(self) -> str:
        return (f"load drill: {self.elapsed_seconds:.0f}/{self.duration_seconds:.0f} s, {self.requests} calls, "
                f"{self.current_rate:.0f}/s")


def default_user_rate(p99_latency_ms: float) -> float:
    """Calls per second of one user such that each call has the p99 limit, and at least 100 ms (1 to 10)."""
    return max(MIN_USER_RATE, min(MAX_USER_RATE, 1000.0 / p99_latency_ms)) if p99_latency_ms > 0 else MAX_USER_RATE


def locust_available() -> str | None:
    """None when Locust can run, else why not (one sentence)."""
    if importlib.util.find_spec("locust") is None:
        return "Locust is not installed in this Python (pip install -e '.[test]' installs it)"
    return None


def run_load(tables: Sequence[Table], *, region: str, writes_per_second: float, reads_per_second: float,
             duration_seconds: float, p99_latency_ms: float, endpoint_url: str | None = None,
             profile: str | None = None, target: Target | None = None,
             table_name: Callable[[str], str] | None = None, workers: int = 1, remote_workers: int = 0,
             master_bind_host: str = "127.0.0.1", master_port: int | None = None, scope: RunScope | None = None,
             max_keys: int = MAX_KEYS, user_rate: float | None = None, contract_root: Path | None = None,
             progress: Callable[[LoadProgress], None] | None = None, progress_every: float = 5.0,
             timeout_seconds: float | None = None, client: Any = None) -> LoadResult:
    """Drive the rates against ``tables`` for ``duration_seconds`` and measure what was achieved.

    ``target`` (a writable readiness Target) or ``endpoint_url`` / ``profile`` say where: no endpoint
    is AWS itself, with the standard credential chain. ``table_name`` maps a contract table to its
    physical name (e.g. ``env.table_name``). ``workers`` is the number of load-generating processes
    on this machine (1: one Locust process; more: a master and that many workers); ``remote_workers``
    more join the master from other machines (``python -m locust -f readiness/drills/locustfile.py --worker
    --master-host HOST --master-port PORT``; the master listens on ``master_bind_host``:``master_port``
    and starts when every worker has joined, within 60 s). ``progress`` is called every
    ``progress_every`` seconds (default: a line on stderr when it is a terminal, nothing otherwise).
    ``client`` is the DynamoDB client that writes and deletes the run's items (e.g. a guarded client that
    writes only the run's test items); default ``target.client(..., write=True)``. Locust's own client only
    ever PutItems those same items and GetItems their keys.
    Raises LoadError for a request the drill refuses; everything the target answers is in the result.
    """
    if user_rate is None:
        user_rate = default_user_rate(p99_latency_ms)
    _check_request(tables, writes_per_second, reads_per_second, duration_seconds, p99_latency_ms, workers,
                   max_keys, user_rate)
    if not 0 <= remote_workers <= MAX_WORKERS:
        raise LoadError(f"remote_workers is the number of workers joining from other machines: 0 to {MAX_WORKERS} "
                        f"(asked {remote_workers})")
    started = time.monotonic()
    scope = scope or RunScope.new()
    names = table_name or (lambda name: name)
    if target is None:
        target = Target("aws" if endpoint_url is None else "moto", endpoint_url=endpoint_url, profile=profile)
    writers = math.ceil(writes_per_second / user_rate) if writes_per_second > 0 else 0
    readers = math.ceil(reads_per_second / user_rate) if reads_per_second > 0 else 0
    planned = writes_per_second * duration_seconds + (0 if writes_per_second else 25)
    keys_per_table = max(1, min(max_keys // len(tables), max(25, math.ceil(planned / len(tables)))))
    result = LoadResult(operations={}, p99_limit_ms=p99_latency_ms, duration_seconds=duration_seconds,
                        workers=workers, users=writers + readers, user_rate=user_rate,
                        tables=tuple(names(t.name) for t in tables), run_token=scope.token,
                        keys=keys_per_table * len(tables))
    if target.kind == "moto" and target.endpoint_url is None:
        result.unavailable = ("embedded moto lives inside this Python process and Locust runs in its own: "
                              "the load drill needs an endpoint (a moto server, DynamoDB Local, LocalStack or AWS)")
        return result
    if reason := locust_available():
        result.unavailable = reason
        return result

    client = client if client is not None else target.client("dynamodb", region, write=True)
    before = target.calls.snapshot()
    items = {names(t.name): [generate_item(t, scope, n) for n in range(keys_per_table)] for t in tables}
    key_attrs = {names(t.name): [t.partition.attribute] + ([t.sort.attribute] if t.sort else []) for t in tables}
    try:
        if failure := _batch(client, {name: [{"PutRequest": {"Item": i}} for i in rows]
                                      for name, rows in items.items()}):
            result.unavailable = f"writing the run's test items: {failure}"
            return result
        _drive(result, scope=scope, tables=tables, names=names, region=region, endpoint_url=target.endpoint_url,
               profile=target.profile, writers=writers, readers=readers, keys_per_table=keys_per_table,
               targets={"write": writes_per_second, "read": reads_per_second}, contract_root=contract_root,
               progress=progress if progress is not None else _tty_progress(), progress_every=progress_every,
               timeout_seconds=timeout_seconds, remote_workers=remote_workers, master_bind_host=master_bind_host,
               master_port=master_port)
    finally:
        deletes = {name: [{"DeleteRequest": {"Key": {k: i[k] for k in key_attrs[name]}}} for i in rows]
                   for name, rows in items.items()}
        try:
            if failure := _batch(client, deletes):
                result.items_left = result.keys
                result.notes += (f"cleanup: {failure}",)
        except Exception as exc:  # never hide the drill's own exception (or a Ctrl-C) behind the cleanup's
            result.items_left = result.keys
            result.notes += (f"cleanup: {type(exc).__name__}: {exc}",)
        after = target.calls.snapshot()
        result.api_calls = {op: after.get(op, 0) - before.get(op, 0) for op in after
                            if after.get(op, 0) - before.get(op, 0)}
        for s in result.operations.values():
            result.api_calls[f"dynamodb:{s.api}"] = result.api_calls.get(f"dynamodb:{s.api}", 0) + s.requests
        if result.operations:  # each Locust process warms its client up with one GetItem before the clock starts
            result.api_calls["dynamodb:GetItem"] = result.api_calls.get("dynamodb:GetItem", 0) + result.workers
        result.elapsed_seconds = time.monotonic() - started
    return result


def _check_request(tables: Sequence[Table], writes: float, reads: float, duration: float, p99: float, workers: int,
                   max_keys: int, user_rate: float) -> None:
    if not tables:
        raise LoadError("the load drill needs at least one table")
    if writes < 0 or reads < 0 or writes + reads <= 0:
        raise LoadError(f"rates must be >= 0 and not both 0 (asked {writes} writes/s, {reads} reads/s)")
    if not 0 < duration <= MAX_DURATION_SECONDS:
        raise LoadError(f"a load drill lasts more than 0 and at most {MAX_DURATION_SECONDS} s (asked {duration} s)")
    if p99 <= 0:
        raise LoadError(f"the p99 latency limit must be more than 0 ms (asked {p99})")
    if not 1 <= workers <= MAX_WORKERS:
        raise LoadError(f"workers is the number of load-generating processes: 1 to {MAX_WORKERS} (asked {workers})")
    if not 1 <= max_keys <= MAX_KEYS or max_keys < len(tables):
        raise LoadError(f"max_keys must be between {len(tables)} (one per table) and {MAX_KEYS} (asked {max_keys})")
    if user_rate <= 0:
        raise LoadError(f"user_rate must be more than 0 calls per second (asked {user_rate})")


def _batch(client: Any, requests: Mapping[str, list[dict[str, Any]]], retries: int = 8) -> str | None:
    """BatchWriteItem in chunks of 25, retrying unprocessed items; None when all went through, else what failed.

    ``client`` is a low-level client; the items and keys are plain Python values (serialized here)."""
    ser = TypeSerializer()

    def low(request: dict[str, Any]) -> dict[str, Any]:
        ((kind, body),) = request.items()
        part = "Item" if kind == "PutRequest" else "Key"
        return {kind: {part: {k: ser.serialize(as_dynamodb(v)) for k, v in body[part].items()}}}

    pending = [(name, low(r)) for name, rows in requests.items() for r in rows]
    rounds = 0
    while pending:
        chunk, pending = pending[:25], pending[25:]
        grouped: dict[str, list[dict[str, Any]]] = {}
        for name, r in chunk:
            grouped.setdefault(name, []).append(r)
        try:
            answer = client.batch_write_item(RequestItems=grouped)
        except (ClientError, BotoCoreError, ReadOnlyViolation) as exc:
            return f"BatchWriteItem answered {describe_failure(exc)}"
        unprocessed = [(name, r) for name, rows in (answer.get("UnprocessedItems") or {}).items() for r in rows]
        if unprocessed:
            rounds += 1
            if rounds > retries:
                left = len(unprocessed) + len(pending)
                return f"BatchWriteItem left {left} items unprocessed after {retries} retries"
            pending = unprocessed + pending
            time.sleep(min(0.05 * 2 ** rounds, 2.0))
    return None


def _tty_progress() -> Callable[[LoadProgress], None] | None:
    if not sys.stderr.isatty():
        return None
    return lambda p: print(p.line(), file=sys.stderr, flush=True)


def _drive(result: LoadResult, *, scope: RunScope, tables: Sequence[Table], names: Callable[[str], str],
           region: str, endpoint_url: str | None, profile: str | None, writers: int, readers: int,
           keys_per_table: int, targets: Mapping[str, float], contract_root: Path | None,
           progress: Callable[[LoadProgress], None] | None, progress_every: float,
           timeout_seconds: float | None, remote_workers: int = 0, master_bind_host: str = "127.0.0.1",
           master_port: int | None = None) -> None:
    """Run Locust (one process, or a master and workers), wait for it within the time limit, read its stats."""
    workdir = Path(tempfile.mkdtemp(prefix="readiness-load-"))
    users = writers + readers
    common = ["-f", str(LOCUSTFILE), "--loglevel", "WARNING",
              "--load-endpoint", endpoint_url or "", "--load-region", region,
              "--load-tables", ",".join(f"{t.name}={names(t.name)}" for t in tables),
              "--load-token", scope.token, "--load-started", repr(scope.started), "--load-keys", str(keys_per_table),
              "--load-writers", str(writers), "--load-readers", str(readers),
              "--load-write-rate", repr(targets["write"] / writers if writers else 1.0),
              "--load-read-rate", repr(targets["read"] / readers if readers else 1.0),
              "--load-contract", str(contract_root or "")]
    classes = (["PutItemUser"] if writers else []) + (["GetItemUser"] if readers else [])
    # Every user starts at a random point of its first pacing period (see the locustfile), so the load is
    # steady once all users have spawned and one period has passed: the rate is measured from there on.
    spawn_rate = max(10.0, 5.0 * users)
    per_user = [targets[op] / n for op, n in (("write", writers), ("read", readers)) if n]
    ramp = users / spawn_rate + 1 / min(per_user)
    if remote_workers:  # a worker on another machine regenerates the run's items only once the run has started
        ramp += REMOTE_PREPARE_SECONDS
    run = ["--headless", "--users", str(users), "--spawn-rate", f"{spawn_rate:g}",
           "--run-time", f"{math.ceil(result.duration_seconds)}s", "--stop-timeout", "0",
           "--only-summary", "--csv", str(workdir / "stats"), "--json-file", str(workdir / "stats")]
    # the locustfile imports readiness.outcome: from this very package, whatever is installed
    paths = [str(LOCUSTFILE.parents[2]), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": os.pathsep.join(paths)}
    if profile:
        env["AWS_PROFILE"] = profile
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []

    def start(args: list[str], name: str) -> subprocess.Popen[bytes]:
        log = workdir / f"{name}.log"
        logs.append(log)
        with log.open("wb") as out:
            p = subprocess.Popen([sys.executable, "-m", "locust", *args], stdout=out, stderr=subprocess.STDOUT,
                                 env=env, cwd=workdir, start_new_session=True)
        processes.append(p)
        return p

    try:
        if result.workers == 1 and not remote_workers:
            master = start([*common, *run, *classes], "locust")
        else:
            port = master_port or free_port()
            master = start([*common, *run, "--master", "--master-bind-host", master_bind_host, "--master-bind-port",
                            str(port), "--expect-workers", str(result.workers + remote_workers),
                            "--expect-workers-max-wait", str(START_GRACE_SECONDS), *classes], "master")
            for n in range(result.workers):
                start([*common, "--worker", "--master-host", "127.0.0.1", "--master-port", str(port), *classes],
                      f"worker-{n}")
        limit = timeout_seconds or (result.duration_seconds + START_GRACE_SECONDS * (2 if remote_workers else 1))
        began = time.monotonic()
        next_report = began + progress_every
        while master.poll() is None:
            now = time.monotonic()
            if now - began > limit:
                result.unavailable = (f"Locust did not finish within {limit:.0f} s and was killed "
                                      f"({_tail(logs[0]) or 'it printed nothing'})")
                return
            if progress is not None and now >= next_report:
                next_report = now + progress_every
                done, rate = _history(workdir / "stats_stats_history.csv")
                progress(LoadProgress(now - began, result.duration_seconds, done, rate,
                                      tuple(p.pid for p in processes)))
            time.sleep(0.1)
        stats_file = workdir / "stats.json"
        if not stats_file.is_file():
            result.unavailable = (f"Locust exited with {master.returncode} before writing its stats "
                                  f"({_tail(logs[0]) or 'it printed nothing'})")
            return
        entries = json.loads(stats_file.read_text(encoding="utf-8"))
        failures = _csv_rows(workdir / "stats_failures.csv")
        result.operations = parse_stats(entries, failures, targets, result.duration_seconds, ramp)
        if not any(s.requests for s in result.operations.values()):
            result.unavailable = f"Locust made no call (exit {master.returncode}: {_tail(logs[0]) or 'no output'})"
    finally:
        _stop(processes)
        shutil.rmtree(workdir, ignore_errors=True)


def _stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    """Workers first, then the master: SIGTERM, then SIGKILL after 5 s (each in its own process group)."""
    for p in reversed(processes):
        if p.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
    deadline = time.monotonic() + 5
    for p in reversed(processes):
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=5)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _history(path: Path) -> tuple[int, float]:
    """(calls so far, current calls per second) from the last Aggregated row of Locust's stats history."""
    rows = [r for r in _csv_rows(path) if r.get("Name") == "Aggregated"]
    if not rows:
        return 0, 0.0
    last = rows[-1]
    try:
        return int(float(last.get("Total Request Count") or 0)), float(last.get("Requests/s") or 0)
    except ValueError:
        return 0, 0.0


def _tail(path: Path, limit: int = 300) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    lines = [line for line in text.splitlines() if line.strip()]
    return " ".join(" ".join(lines[-6:]).split())[-limit:]

