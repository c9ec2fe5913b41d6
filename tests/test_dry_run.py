"""``--dry-run`` (ADR 0074): the API calls a run would make, per service and region, and the IAM actions they
need, recorded from the run's own code path on embedded moto; nothing reaches a network."""

from __future__ import annotations

import importlib.util
import json
import socket
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from readiness.cli import build_parser
from readiness.contract.desired import desired_state
from readiness.contract.loading import load_contract
from readiness.dryrun import DryRun, dry_run
from readiness.options import default_target, parse_options
from readiness.permissions import READ_ONLY, iam_action

ROOT = Path(__file__).resolve().parent.parent


def _options(*argv: str) -> Any:
    args = build_parser().parse_args(["verify", *argv])
    args.target = args.target or default_target()
    return parse_options(lambda option: getattr(args, option[2:].replace("-", "_")))


def _benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_sit_benchmark", ROOT / "benchmarks" / "verify_sit.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _budget(env: str) -> int:
    """The call budget benchmarks/verify_sit.py holds one observation of ``env`` to (its formula, its numbers)."""
    b = _benchmark()
    desired = desired_state(load_contract(), env)
    replica_regions = len(desired.env.replication.regions) if desired.env.replication else 0
    tables = ((b.CALLS_PER_TABLE + b.CALLS_PER_REPLICA * replica_regions) * len(desired.tables)
              + b.CALLS_PER_REGION * len(desired.table_regions))
    buckets = b.CALLS_PER_BUCKET_INVENTORY + sum(b.CALLS_PER_BUCKET + (b.CALLS_PER_DR_BUCKET if x.replication else 0)
                                                 for x in desired.buckets)
    return int(tables + b.CALLS_PER_ENVIRONMENT + b.CALLS_PER_DR_REGION * replica_regions + buckets)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: Any, **__: Any) -> None:
        raise AssertionError("the dry run opened a network connection")
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.mark.parametrize("env", ["dev", "sit", "prod"])
def test_the_observation_calls_are_the_benchmarks_budget(env: str, no_network: None) -> None:
    listing = dry_run(_options("--env", env, "--target", "aws"))
    assert sum(listing.phases["observation"].values()) == _budget(env)
    assert listing.phases["account guard"] == {("sts", desired_state(load_contract(), env).env.region,
                                                "GetCallerIdentity"): 1}
    assert listing.policy_gap() == [], "iam/readiness-readonly.json must allow every call of a read-only run"
    assert {iam_action(op) for op in listing.operations()} <= {iam_action(op) for op in READ_ONLY}


def test_prod_calls_reach_the_dr_region(no_network: None) -> None:
    listing = dry_run(_options("--env", "prod", "--target", "aws"))
    regions = {region for (_, region, _) in listing.calls()}
    assert {"af-south-1", "eu-west-1"} <= regions
    assert listing.phases["observation"][("dynamodb", "eu-west-1", "DescribeTable")] == 5  # the five replicas


def test_a_policy_without_one_action_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                              no_network: None) -> None:
    import readiness.dryrun as module

    policy = json.loads((ROOT / "iam" / "readiness-readonly.json").read_text(encoding="utf-8"))
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        statement["Action"] = [a for a in actions if a != "dynamodb:DescribeTimeToLive"]
    narrowed = tmp_path / "policy.json"
    narrowed.write_text(json.dumps(policy), encoding="utf-8")
    monkeypatch.setattr(module, "READ_ONLY_POLICY", narrowed)
    listing = dry_run(_options("--env", "sit", "--target", "aws"))
    assert listing.policy_gap() == ["dynamodb:DescribeTimeToLive"]
    assert "they do not allow dynamodb:DescribeTimeToLive" in listing.text()


def test_the_plan_target_calls_nothing() -> None:
    listing = dry_run(_options("--env", "sit", "--target", "plan", "--plan-json", "plan.json"))
    assert listing.calls() == {} and "no API call" in listing.text()


def test_without_moto_the_operations_come_from_the_permission_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moto", None)  # the live extra: import moto fails
    listing = dry_run(_options("--env", "sit", "--target", "aws", "--allow", "writes"), runner="pytest")
    assert listing.calls() == {}
    assert set(listing.uncounted["read-only run"]) == set(READ_ONLY)
    assert "dynamodb:PutItem" in listing.uncounted["drills that write (--allow)"]
    assert listing.policy_gap() == []


def test_drills_that_write_are_listed_only_under_pytest_with_allow(no_network: None) -> None:
    cli = dry_run(_options("--env", "sit", "--target", "aws", "--allow", "writes,restore"), runner="cli")
    pytest_run = dry_run(_options("--env", "sit", "--target", "aws", "--allow", "writes,restore"))
    assert "drills that write (--allow)" not in cli.uncounted
    assert "dynamodb:RestoreTableToPointInTime" in pytest_run.uncounted["drills that write (--allow)"]


def _run(*argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *argv], cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow  # whole runs, or real timeouts waited out (ADR 0067)
def test_the_cli_and_pytest_dry_runs_print_the_listing_and_write_no_report(tmp_path: Path) -> None:
    cli = _run("-m", "readiness", "verify", "--env", "sit", "--target", "aws", "--dry-run",
               "--report-dir", str(tmp_path / "cli"))
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.startswith("dry run: SIT on AWS (account 815856636111, eu-west-1): no call was made.")
    assert "sts:GetCallerIdentity" in cli.stdout and "iam/ policies: they allow every one of them" in cli.stdout
    under_pytest = _run("-m", "pytest", "-p", "no:cacheprovider", "-m", "acceptance", "--env", "sit", "--target",
                        "aws", "--dry-run", "--report-dir", str(tmp_path / "pytest"))
    assert under_pytest.returncode == 0, under_pytest.stdout + under_pytest.stderr
    assert cli.stdout in under_pytest.stdout  # the same listing (no --allow: no drill that writes)
    assert not (tmp_path / "cli" / "readiness.json").exists()
    assert not (tmp_path / "pytest" / "readiness.json").exists()


def test_a_dry_run_is_a_listing_object() -> None:
    assert DryRun("sit", "aws", "1", "eu-west-1").text().startswith("dry run: SIT on AWS")
