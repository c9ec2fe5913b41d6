"""Targets: option errors are one sentence, API calls are counted, emulator gaps are declared."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from readiness.targets import SILENT_GAPS, TargetError, is_read_only, open_target

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
