"""Where a run looks: embedded moto, an AWS-compatible endpoint, or a real AWS account.

A target hands out boto3 clients (one per service and region, made once), counts every API
call they make, and knows what the emulator behind it silently gets wrong.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.parsers import ResponseParserError

from readiness.outcome import RefusedBySuite
from readiness.redact import install_log_redaction
from readiness.targets.services import (
    START_TIMEOUT_SECONDS,
    ServiceFailed,
    ServiceUnavailable,
    dynamodb_local,
    localstack,
)

TARGETS = ("moto", "localstack", "dynamodb-local", "aws", "plan")
EMULATORS = {"moto", "localstack", "dynamodb-local"}
NAMES = {"moto": "moto", "localstack": "LocalStack", "dynamodb-local": "DynamoDB Local", "aws": "AWS",
         "plan": "Terraform plan"}
READ_PREFIXES = ("Describe", "List", "Get", "Head")  # Head: S3's HeadBucket/HeadObject read metadata only
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_SESSION_TOKEN": "testing", "AWS_SECURITY_TOKEN": "testing"}

# What an emulator accepts and then ignores: a check that depends on it is UNVERIFIABLE, never PASS/FAIL.
SILENT_GAPS: dict[str, dict[str, str]] = {
    "moto": {
        "atomic_conditions": "moto evaluates a condition and applies the write without a lock, so concurrent "
                             "conditional writers can both succeed",
        "replicas": "moto accepts UpdateTable ReplicaUpdates and ignores them (global tables are not emulated)",
        "vault_default_key": "moto does not report the AWS-managed key (aws/backup) a vault is encrypted with "
                             "when none is given",
    },
    "localstack": {
        "vault_default_key": "an emulator need not report the AWS-managed key (aws/backup) a vault gets by default",
    },
    "dynamodb-local": {
        "replicas": "DynamoDB Local has no global tables",
        "sse": "DynamoDB Local accepts an SSESpecification and reports no SSEDescription (it does not encrypt)",
    },
}


class TargetError(Exception):
    """The target cannot be used (bad option, unreachable endpoint); the message says how to fix it."""


class TargetUnavailable(TargetError):
    """The target cannot run on this machine at all (no Docker, no Java): the whole run is skipped."""


class DeadlineExceeded(TargetError):
    """The run's overall deadline passed: every further call fails at once instead of waiting on a target."""


CONNECT_TIMEOUT_SECONDS = 5.0
READ_TIMEOUT_SECONDS = {"aws": 10.0}  # AWS answers a control-plane call in milliseconds; ten seconds of silence
DEFAULT_READ_TIMEOUT_SECONDS = 30.0  # is a black hole. Emulators on a shared CI machine can be slow to create.


class ReadOnlyViolation(RefusedBySuite):
    """A write was attempted through a read-only client."""


@dataclass
class CallLog:
    """Thread-safe count of the API calls a target's clients made."""

    counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, operation: str) -> None:
        with self._lock:
            self.counts[operation] += 1

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.counts.values())

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)


READ_OPERATIONS = {"Query", "Scan", "BatchGetItem", "TransactGetItems"}  # item reads (drills, the sweep)


def is_read_only(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES) or operation in READ_OPERATIONS


@dataclass
class Target:
    """One account, reachable through boto3 clients."""

    kind: str
    endpoint_url: str | None = None
    profile: str | None = None
    read_only: bool = False
    started: bool = False  # the suite started this emulator itself (DynamoDB Local, LocalStack)
    plan_json: str | None = None  # target plan: the `terraform show -json` document to judge
    deadline_seconds: float | None = None  # the whole run's budget, counted from when the target was made
    calls: CallLog = field(default_factory=CallLog)
    _deadline_at: float | None = field(default=None, repr=False)
    _clients: dict[tuple[str, str, Any], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _session: boto3.session.Session | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.deadline_seconds is not None and self._deadline_at is None:
            self._deadline_at = time.monotonic() + self.deadline_seconds

    def remaining(self) -> float | None:
        """Seconds left before the run's deadline (never negative), or None when the run has none."""
        return None if self._deadline_at is None else max(0.0, self._deadline_at - time.monotonic())

    def check_deadline(self, during: str) -> None:
        """DeadlineExceeded once the run's deadline has passed; ``during`` names the call that would start."""
        if self._deadline_at is not None and time.monotonic() >= self._deadline_at:
            raise DeadlineExceeded(f"the run's deadline of {_seconds(self.deadline_seconds)} s passed during {during}")

    @property
    def label(self) -> str:
        if self.started:
            return f"{NAMES[self.kind]} (started by the suite)"
        if self.kind == "plan":
            return f"Terraform plan {self.plan_json}"
        return f"{self.kind} at {self.endpoint_url}" if self.endpoint_url else (
            "embedded moto" if self.kind == "moto" else NAMES[self.kind])

    @property
    def can_deploy(self) -> bool:
        return self.kind in EMULATORS and not self.read_only

    def serves(self, service: str) -> bool:
        """DynamoDB Local serves DynamoDB alone; the other targets emulate (or are) every service."""
        return self.kind != "dynamodb-local" or service in ("dynamodb", "dynamodbstreams")

    @property
    def silent_gaps(self) -> dict[str, str]:
        return SILENT_GAPS.get(self.kind, {})

    def _config(self) -> Config:
        # AWS: adaptive retries absorb throttling. Emulators do not throttle, and their "not implemented"
        # answers are HTTP 500s that retrying only repeats: one attempt each.
        # Every attempt is bounded by the connect and read timeouts, and by what is left of the run's deadline
        # when the client is made; a retry never starts past the deadline (_refuse_past_deadline).
        retries: Any = ({"total_max_attempts": 5, "mode": "adaptive"} if self.kind == "aws"
                        else {"total_max_attempts": 1, "mode": "standard"})
        left = self.remaining()
        cap = math.inf if left is None else max(left, 0.1)
        return Config(retries=retries,
                      connect_timeout=min(CONNECT_TIMEOUT_SECONDS, cap),
                      read_timeout=min(READ_TIMEOUT_SECONDS.get(self.kind, DEFAULT_READ_TIMEOUT_SECONDS), cap),
                      max_pool_connections=32, account_id_endpoint_mode="disabled")

    def client(self, service: str, region: str, *, write: bool = False,
               guard: Callable[[str, Mapping[str, Any]], None] | None = None) -> Any:
        """A client for service in region. Read clients refuse every non-read operation; a guarded
        client sends a write only when ``guard(operation, params)`` accepts it (drills: their own items)."""
        if self.kind == "plan":
            raise TargetError("the plan target reads a file; it has no AWS clients")
        key: tuple[str, str, Any] = (service, region, guard if guard is not None else write)
        with self._lock:
            if key not in self._clients:
                if self._session is None:
                    self._session = boto3.session.Session(profile_name=self.profile)
                session: Any = self._session  # boto3-stubs overloads client() per literal service name
                c = session.client(service, region_name=region, endpoint_url=self.endpoint_url,
                                   config=self._config())
                c.meta.events.register("before-call.*.*", self._count)
                c.meta.events.register("before-send.*.*", self._refuse_past_deadline)  # every attempt, retries too
                c.meta.events.register("before-parse.*.*", _refuse_malformed_json)
                if guard is not None:
                    c.meta.events.register("before-parameter-build.*.*", _guarded(guard))
                elif not write or self.read_only:
                    c.meta.events.register("before-call.*.*", _refuse_writes)
                self._clients[key] = c
            return self._clients[key]

    def _count(self, model: Any, **_: Any) -> None:
        self.calls.record(f"{model.service_model.service_name}:{model.name}")

    def _refuse_past_deadline(self, event_name: str = "", **_: Any) -> None:
        parts = event_name.split(".")  # before-send.<service id>.<Operation>
        self.check_deadline(f"{parts[1]}:{parts[2]}" if len(parts) == 3 else "a call")


def _seconds(value: float | None) -> str:
    return f"{value:g}" if value is not None else "?"


def _guarded(guard: Callable[[str, Mapping[str, Any]], None]) -> Callable[..., None]:
    def check(model: Any, params: Mapping[str, Any], **_: Any) -> None:
        if not is_read_only(model.name):
            guard(model.name, params)
    return check


def _refuse_malformed_json(operation_model: Any, response_dict: Mapping[str, Any], **_: Any) -> None:
    """botocore reads a successful JSON answer it cannot parse as ``{"message": body}``, which a caller then
    reads as an empty answer (no tags, no plans: a false FAIL). Refuse it, so it is quoted as unavailable."""
    if operation_model.metadata.get("protocol") not in ("json", "rest-json") or operation_model.has_streaming_output:
        return
    body = response_dict.get("body") or b""
    status = int(response_dict.get("status_code") or 0)
    if status >= 300 or not isinstance(body, bytes | str) or not body.strip():
        return  # error answers are parsed (and quoted) by botocore's error handling
    try:
        json.loads(body)
    except ValueError:
        raise ResponseParserError(f"a malformed answer: HTTP {status} with a body that is not JSON "
                                  f"({bytes(body[:60], 'utf-8') if isinstance(body, str) else body[:60]!r})") from None


def _refuse_writes(model: Any, **_: Any) -> None:
    if not is_read_only(model.name):
        raise ReadOnlyViolation(f"{model.service_model.service_name}:{model.name} refused: this run is read-only")


@contextmanager
def _env(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _check_emulator_url(kind: str, url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TargetError(f"--endpoint-url {url!r} is not a URL: give one like http://127.0.0.1:4566")
    if parts.hostname.endswith(("amazonaws.com", "amazonaws.com.cn")):
        raise TargetError(f"--endpoint-url {url} is AWS itself: use --target aws (guarded, read-only), "
                          f"never an emulator target that deploys")


@contextmanager
def open_target(kind: str, *, endpoint_url: str | None = None, profile: str | None = None,
                no_deploy: bool = False, plan_json: str | None = None,
                deadline_seconds: float | None = None) -> Iterator[Target]:
    """Start (or attach to) a target for the length of the block, and stop it afterwards.

    ``deadline_seconds`` bounds the whole run, counted from now: past it every call of the target's clients
    raises :class:`DeadlineExceeded` (observation reads it as UNVERIFIABLE, the account guard as a TargetError)."""
    install_log_redaction()  # before any client exists: botocore's DEBUG log prints signed request headers
    if kind not in TARGETS:
        raise TargetError(f"unknown target {kind!r}: choose one of {', '.join(TARGETS)}")
    if deadline_seconds is not None and not (isinstance(deadline_seconds, int | float)
                                             and math.isfinite(deadline_seconds) and deadline_seconds > 0):
        raise TargetError(f"deadline {deadline_seconds!r}: give a number of seconds above 0")
    limit: dict[str, Any] = {"deadline_seconds": deadline_seconds, "_deadline_at": None if deadline_seconds is None
                             else time.monotonic() + deadline_seconds}  # counted from now: startup included
    if (kind == "plan") != bool(plan_json):
        raise TargetError("--plan-json FILE goes with --target plan, and --target plan needs --plan-json FILE "
                          "(terraform show -json plan.out > FILE)")
    if kind == "plan":
        if endpoint_url:
            raise TargetError("--target plan reads a plan file; drop --endpoint-url")
        yield Target("plan", read_only=True, plan_json=plan_json, **limit)
        return
    if kind == "aws":
        if endpoint_url:
            raise TargetError("--target aws talks to AWS itself; drop --endpoint-url or choose an emulator target")
        yield Target(kind, profile=profile, read_only=True, **limit)
        return
    if kind == "localstack" and not endpoint_url:
        endpoint_url = os.environ.get("LOCALSTACK_ENDPOINT") or None  # a CI service container
    # Emulators get fake credentials, always: real ones must never reach an endpoint we deploy into.
    creds = FAKE_CREDENTIALS
    if endpoint_url:
        _check_emulator_url(kind, endpoint_url)
        with _env(creds):
            yield Target(kind, endpoint_url=endpoint_url, read_only=no_deploy, **limit)
        return
    if kind == "moto":
        from moto import mock_aws  # imported here: only the embedded target needs it

        with _env(FAKE_CREDENTIALS), mock_aws():
            yield Target("moto", read_only=no_deploy, **limit)
        return
    wait = START_TIMEOUT_SECONDS if deadline_seconds is None else max(
        0.1, min(START_TIMEOUT_SECONDS, limit["_deadline_at"] - time.monotonic()))  # start-up counts too
    starting: Callable[[], AbstractContextManager[str]] = (
        partial(dynamodb_local, wait) if kind == "dynamodb-local" else localstack)
    try:
        with starting() as url, _env(creds):
            yield Target(kind, endpoint_url=url, read_only=no_deploy, started=True, **limit)
    except ServiceUnavailable as exc:
        # Only LocalStack may skip (CI has no Docker); DynamoDB Local is installed by tox, so its absence
        # is an error, never a green run that checked nothing.
        raise (TargetUnavailable if kind == "localstack" else TargetError)(f"--target {kind}: {exc}") from None
    except ServiceFailed as exc:
        raise TargetError(f"--target {kind}: {exc}") from None
