"""Targets: option errors are one sentence, API calls are counted, emulator gaps are declared."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from readiness.checks import UNVERIFIABLE, evaluate
from readiness.contract.desired import desired_state
from readiness.contract.loading import load_contract
from readiness.contract.model import Contract
from readiness.observation.live import observe
from readiness.safety import guard_account
from readiness.targets.base import (
    FAKE_CREDENTIALS,
    SILENT_GAPS,
    DeadlineExceeded,
    Target,
    TargetError,
    is_read_only,
    open_target,
)

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(("kind", "endpoint", "message"), [
    ("aws", "http://127.0.0.1:4566", "--target aws talks to AWS itself"),
    ("mongo", None, "unknown target 'mongo'"),
])
def test_unusable_target_options_are_one_clear_sentence(kind: str, endpoint: str | None, message: str) -> None:
    with pytest.raises(TargetError, match=message), open_target(kind, endpoint_url=endpoint):
        pass


def test_every_call_is_counted_once_per_operation() -> None:
    with open_target("moto") as target:
        ddb = target.client("dynamodb", "eu-west-1")
        ddb.list_tables()
        ddb.list_tables()
        target.client("sns", "eu-west-1").list_topics()
        assert target.calls.snapshot() == {"dynamodb:ListTables": 2, "sns:ListTopics": 1}
        assert target.calls.total == 3


def test_clients_are_made_once_per_service_region_and_mode() -> None:
    with open_target("moto") as target:
        assert target.client("dynamodb", "eu-west-1") is target.client("dynamodb", "eu-west-1")
        assert target.client("dynamodb", "eu-west-1") is not target.client("dynamodb", "af-south-1")
        assert target.client("dynamodb", "eu-west-1") is not target.client("dynamodb", "eu-west-1", write=True)


@pytest.mark.parametrize(("operation", "read"), [
    ("DescribeTable", True), ("ListBackupPlans", True), ("GetDashboard", True), ("Query", True), ("Scan", True),
    ("PutItem", False), ("UpdateItem", False), ("DeleteItem", False), ("TransactWriteItems", False),
    ("DescribeTable", True), ("ListBackupPlans", True), ("GetDashboard", True), ("HeadBucket", True),
    ("ListObjectsV2", True), ("PutObject", False), ("PutBucketReplication", False),
    ("CreateTable", False), ("UpdateContinuousBackups", False), ("PutMetricAlarm", False), ("TagResource", False),
])
def test_read_only_operations(operation: str, read: bool) -> None:
    assert is_read_only(operation) is read


def test_only_emulators_deploy_and_aws_is_always_read_only() -> None:
    with open_target("moto") as moto:
        assert moto.can_deploy and moto.label == "embedded moto"
    with open_target("moto", no_deploy=True) as verify_only:
        assert not verify_only.can_deploy
    with open_target("aws") as aws:
        assert aws.read_only and not aws.can_deploy and aws.silent_gaps == {}


def test_silent_gaps_are_declared_for_moto() -> None:
    assert set(SILENT_GAPS["moto"]) == {"replicas", "vault_default_key", "atomic_conditions"}


def test_pytest_run_with_an_unusable_target_stops_with_one_sentence() -> None:
    result = subprocess.run([sys.executable, "-m", "pytest", "-m", "acceptance", "--target=aws",
                             "--endpoint-url=http://127.0.0.1:4566", "-p", "no:cacheprovider", "-q"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 3
    assert "the target cannot be used: --target aws talks to AWS itself" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_cli_rejects_an_unknown_environment_without_a_traceback() -> None:
    result = subprocess.run([sys.executable, "-m", "readiness", "verify", "--env", "qa"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert "invalid choice: 'qa'" in result.stderr
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------------- timeouts and deadline


@contextmanager
def black_hole() -> Iterator[str]:
    """A local endpoint that accepts every connection and never answers a byte (127.0.0.1 only)."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:  # the server socket was closed: the test is over
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}"
    finally:
        server.close()
        for conn in held:
            conn.close()
        thread.join(timeout=5)


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.mark.slow  # whole runs, or real timeouts waited out (ADR 0067)
def test_a_black_hole_sts_endpoint_ends_the_aws_run_within_seconds_with_one_line(
        fake_aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The account guard's STS call used to wait 5 attempts x 30 s (151 s); the deadline ends it."""
    env = load_contract().environment("sit")
    with black_hole() as url:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", url)  # botocore's per-service endpoint variable
        started = time.monotonic()
        with pytest.raises(TargetError) as err, open_target("aws", deadline_seconds=2) as target:
            guard_account(target, env)
        took = time.monotonic() - started
    message = str(err.value)
    assert took < 6, f"the black hole held the run {took:.1f} s"
    assert message == "the run's deadline of 2 s passed during sts:GetCallerIdentity"
    assert "\n" not in message


def test_without_a_deadline_every_attempt_is_still_bounded_by_the_timeouts() -> None:
    aws = Target("aws")._config()
    assert (aws.connect_timeout, aws.read_timeout) == (5.0, 10.0)  # type: ignore[attr-defined]
    for kind in ("moto", "localstack", "dynamodb-local"):
        config = Target(kind)._config()
        assert config.connect_timeout == 5.0 and config.read_timeout == 30.0  # type: ignore[attr-defined]
    capped = Target("aws", deadline_seconds=2)._config()
    assert capped.connect_timeout <= 2 and capped.read_timeout <= 2  # type: ignore[attr-defined]


def test_past_the_deadline_every_call_fails_at_once_and_observation_is_unverifiable(
        loaded_contract: Contract) -> None:
    desired = desired_state(loaded_contract, "dev")
    with open_target("moto", deadline_seconds=1) as target:
        ddb = target.client("dynamodb", "eu-west-1")
        time.sleep(max(0.0, (target.remaining() or 0.0) + 0.05))
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded, match=r"^the run's deadline of 1 s passed during dynamodb:ListTables$"):
            ddb.list_tables()
        snapshot = observe(target, desired)
        assert time.monotonic() - started < 5
    errors = [a.error for a in snapshot.answers.values()]
    assert errors and all(e and "the run's deadline of 1 s passed during" in e for e in errors)
    verdicts = evaluate(desired, snapshot, target.silent_gaps)
    assert verdicts and {v.status for v in verdicts} == {UNVERIFIABLE}


@pytest.mark.parametrize("deadline", [0, -1, float("inf"), float("nan")])
def test_a_deadline_that_is_not_a_positive_number_is_one_sentence(deadline: float) -> None:
    with pytest.raises(TargetError, match="give a number of seconds above 0"), open_target(
            "moto", deadline_seconds=deadline):
        pass


@pytest.mark.slow  # whole runs, or real timeouts waited out (ADR 0067)
def test_the_cli_against_a_black_hole_sts_ends_with_one_line_within_seconds(
        fake_aws: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The same through `python -m readiness verify --target aws --deadline 3`: exit 3, one error line."""
    with black_hole() as url:
        env = {**os.environ, "AWS_ENDPOINT_URL_STS": url}
        started = time.monotonic()
        result = subprocess.run([sys.executable, "-m", "readiness", "verify", "--env", "sit", "--target", "aws",
                                 "--deadline", "3", "--report-dir", str(tmp_path)], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=120, check=False)
        took = time.monotonic() - started
    assert result.returncode == 3, result.stdout + result.stderr
    assert result.stderr.splitlines() == ["error: the run's deadline of 3 s passed during sts:GetCallerIdentity"]
    assert "Traceback" not in result.stdout + result.stderr
    assert took < 15, f"the black hole held the CLI {took:.1f} s"
