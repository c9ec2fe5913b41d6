"""Account and environment guards: the wrong account, the wrong region and prod without an explicit allowance
all stop before any write (and the wrong account before any call but the one that asks who we are).

tests/test_aws_target.py covers the guard's own answers (STS refusing, no credentials) and ``refusal`` for
dev and sit; these tests fill the gaps: every environment against every other BBWS account, through the
CLI as well, prod's allowances, the user's configured region never redirecting a run, and the live
target's write clients refusing before a byte is sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from moto_endpoint import moto_server
from test_aws_target import aws_target, correct_on_aws, open_as, stub_clients, stub_sts, with_item_reads
from test_faults import LiveLikeTarget, faulty_endpoint
from test_permissions import record

import readiness.run as run_module
from readiness import cli
from readiness.contract.model import Contract
from readiness.drills.scope import refusal
from readiness.observation.live import observe
from readiness.report.verdict import run_verdict
from readiness.run import readiness_run
from readiness.targets.base import FAKE_CREDENTIALS, ReadOnlyViolation, Target, TargetError
from readiness.targets.provision import deploy

ACCOUNTS = {"dev": "536580886816", "sit": "815856636111", "prod": "093646564004"}
OTHER = "111122223333"  # nobody's


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


# ------------------------------------------------------------------------------------------ wrong account


WRONG = [(env, account) for env in ACCOUNTS for account in [*ACCOUNTS.values(), OTHER] if account != ACCOUNTS[env]]


@pytest.mark.parametrize(("env", "account"), WRONG, ids=[f"{e}-with-{a}" for e, a in WRONG])
def test_the_wrong_account_stops_verify_before_any_other_call(
        aws_env: None, env: str, account: str, loaded_contract: Contract, monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Even another BBWS environment's account: SIT credentials never verify (or touch) PROD."""
    target = aws_target()
    stub = stub_sts(target, loaded_contract.environment(env).region, account)
    open_as(monkeypatch, target)
    reports = tmp_path / "reports"

    code = cli.main(["verify", "--env", env, "--target", "aws", f"--report-dir={reports}"])

    out, err = capsys.readouterr()
    assert code == 3 and out.startswith("report: "), (out, err)
    assert err.startswith("error: refusing to verify ") and len(err.strip().splitlines()) == 1, err
    assert account in err and ACCOUNTS[env] in err
    assert target.calls.snapshot() == {"sts:GetCallerIdentity": 1}
    report = json.loads((reports / "readiness.json").read_text(encoding="utf-8"))  # the refusal is on record
    assert report["verdict"] == "ERROR" and account in report["error"] and report["checks"] == []
    stub.assert_no_pending_responses()


# ------------------------------------------------------------------------------------------- wrong region


@pytest.mark.parametrize("env", ["sit", "prod"])
@pytest.mark.parametrize("configured", ["us-east-1", "eu-central-1"])
def test_the_user_s_configured_region_never_redirects_a_run(
        aws_env: None, env: str, configured: str, loaded_contract: Contract,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """AWS_REGION / AWS_DEFAULT_REGION point elsewhere: the guard and every read still go to the contract's regions
    (Cost Explorer lives in us-east-1 only), so a right account in the wrong region is never what is verified."""
    monkeypatch.setenv("AWS_REGION", configured)
    monkeypatch.setenv("AWS_DEFAULT_REGION", configured)
    rec = record(loaded_contract, env)
    desired = rec.desired
    target = aws_target()
    stub_sts(target, desired.env.region, desired.env.account)
    stub_clients(target, with_item_reads(correct_on_aws(rec), desired))
    open_as(monkeypatch, target)
    monkeypatch.setattr(run_module, "observe", partial(observe, workers=1))

    with readiness_run(env, "aws") as run:
        assert run_verdict(run.verdicts) == "READY"  # the checks and items; the drills were not run (read-only)
    used = {(service, region) for service, region, _ in target._clients}
    # the inventory's ListTables reads every region the contract uses (ADR 0048); nothing else leaves the
    # environment's own regions but Cost Explorer
    allowed = set(desired.table_regions) | {"us-east-1"}
    assert {r for _, r in used} <= allowed
    assert {r for s, r in used if s not in ("ce", "dynamodb")} <= set(desired.env.regions)
    assert ("sts", desired.env.region) in used and ("ce", "us-east-1") in used
    if configured not in allowed:
        assert all(r != configured for _, r in used)


# -------------------------------------------------------------------------------- prod needs an allowance


@pytest.mark.parametrize("marker", ["writes", "restore", "load"])
def test_prod_refuses_every_guarded_scenario_without_an_explicit_allowance(marker: str) -> None:
    for allow in (frozenset(), frozenset({"load-prod"}), frozenset(a for a in ("writes", "restore", "load")
                                                                      if a != marker)):
        reason = refusal({marker, "acceptance"}, allow, "prod", "aws", False)
        assert reason is not None and f"--allow {marker}" in reason, (allow, reason)
    # a verify-only run against a prod-shaped emulator is no different
    assert refusal({marker}, frozenset(), "prod", "moto", True) is not None
    allowed = frozenset({marker, "load-prod"} if marker == "load" else {marker})
    assert refusal({marker, "acceptance"}, allowed, "prod", "aws", False) is None


@pytest.fixture
def endpoint(aws_env: None) -> Iterator[Any]:
    with moto_server() as url, faulty_endpoint(url) as e:
        yield e


@pytest.mark.parametrize(("service", "operation", "params"), [
    ("dynamodb", "put_item", {"TableName": "tenants-prod", "Item": {"PK": {"S": "TENANT#x"}, "SK": {"S": "METADATA"}}}),
    ("dynamodb", "delete_table", {"TableName": "tenants-prod"}),
    ("dynamodb", "restore_table_to_point_in_time", {"SourceTableName": "tenants-prod",
                                                    "TargetTableName": "tenants-prod-restore-1"}),
    ("backup", "start_restore_job", {"RecoveryPointArn": "arn:aws:backup:af-south-1:093646564004:recovery-point:x",
                                     "Metadata": {}, "IamRoleArn": "arn:aws:iam::093646564004:role/x"}),
])
def test_a_live_target_refuses_writes_before_anything_is_sent(endpoint: Any, service: str, operation: str,
                                                              params: dict[str, Any]) -> None:
    """Target("aws") is read-only: even a client asked for with write=True refuses, and nothing reaches the wire."""
    target = LiveLikeTarget("aws", endpoint_url=endpoint.url, read_only=True)
    for write in (False, True):
        with pytest.raises(ReadOnlyViolation, match="refused: this run is read-only"):
            getattr(target.client(service, "af-south-1", write=write), operation)(**params)
    assert sum(endpoint.attempts.values()) == 0, endpoint.attempts


def test_a_verify_only_target_refuses_to_deploy_before_any_call(loaded_contract: Contract) -> None:
    from readiness.contract.desired import desired_state

    for kind in ("aws", "moto"):
        target = Target(kind, endpoint_url=None if kind == "aws" else "http://127.0.0.1:9", read_only=True)
        with pytest.raises(TargetError, match="refusing to deploy"):
            deploy(target, desired_state(loaded_contract, "prod"))
        assert target.calls.snapshot() == {}
