"""Least privilege: the IAM policies in iam/ allow what the suite calls, and nothing it does not.

The operations are recorded, not listed by hand: every client a target hands out counts its calls in the
target's CallLog. Two read-only modes are recorded:

- ``aws``: the full live run (account guard, then the observation) of a correct DEV, SIT and PROD account,
  replayed offline through botocore Stubber (tests/test_aws_target.py's record-on-moto/replay machinery);
- ``emulator, verify-only``: ``--endpoint-url URL --no-deploy`` against a moto server holding SIT and PROD.

``iam/readiness-readonly.json`` must name exactly the aws mode's operations (``readiness.permissions.READ_ONLY``);
the emulator mode may add only ``EMULATOR_ONLY`` (its endpoint probe). ``iam/readiness-drills.json`` must name
exactly ``DRILL_OPERATIONS``, the list the drills extend with every call they make.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
from moto_endpoint import moto_server
from test_aws_target import (
    Recording,
    Script,
    _record_calls,
    aws_target,
    correct_on_aws,
    open_as,
    stub_clients,
    stub_sts,
    with_item_reads,
)

import readiness.run as run_module
from readiness.checks import evaluate
from readiness.contract.desired import desired_state
from readiness.contract.model import Contract
from readiness.observation.live import observe
from readiness.permissions import (
    DRILL_OPERATIONS,
    DRILLS_POLICY,
    EMULATOR_ONLY,
    READ_ONLY,
    READ_ONLY_DRILLS,
    READ_ONLY_POLICY,
    allows,
    iam_action,
    iam_actions,
    load_policy,
    policy_actions,
    statements,
    uncovered,
)
from readiness.run import readiness_run
from readiness.targets.base import open_target
from readiness.targets.provision import deploy

ENVS = ("dev", "sit", "prod")


# ------------------------------------------------------------------------------------------ recording


def aws_run_calls(rec: Recording, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """A full read-only run against a correct AWS account (replayed): the CallLog's operations."""
    target = aws_target()
    env = rec.desired.env
    stub_sts(target, env.region, env.account)
    stub_clients(target, with_item_reads(correct_on_aws(rec), rec.desired))
    open_as(monkeypatch, target)
    monkeypatch.setattr(run_module, "observe", partial(observe, workers=1))  # Stubber queues are ordered
    with readiness_run(env.name, "aws") as run:
        assert not [v.line() for v in run.verdicts if v.status != "pass"], "the replayed account is correct"
    return target.calls.snapshot()


def record(contract: Contract, env: str) -> Recording:
    """The contract deployed into moto and observed once with one worker, every call captured."""
    with open_target("moto") as target:
        desired = desired_state(contract, env)
        deploy(target, desired)
        script: Script = {}
        _record_calls(target, script)
        snap = observe(target, desired, workers=1)
        return Recording(desired, script, evaluate(desired, snap, target.silent_gaps), snap)


@pytest.fixture(scope="module")
def aws_calls(loaded_contract: Contract, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[dict[str, dict[str, int]]]:
    """Fake credentials, no profile, no config files (as tests/test_aws_target.py's aws_env), per module."""
    nowhere = tmp_path_factory.mktemp("no-aws-config")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_CONFIG_FILE", str(nowhere / "config"))
        mp.setenv("AWS_SHARED_CREDENTIALS_FILE", str(nowhere / "credentials"))
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_SESSION_TOKEN": "testing", "AWS_EC2_METADATA_DISABLED": "true"}.items():
            mp.setenv(name, value)
        mp.delenv("AWS_PROFILE", raising=False)
        calls = {}
        for env in ENVS:
            with pytest.MonkeyPatch.context() as per_run:
                calls[env] = aws_run_calls(record(loaded_contract, env), per_run)
        yield calls


@pytest.fixture(scope="module")
def emulator_calls(loaded_contract: Contract) -> dict[str, dict[str, int]]:
    calls = {}
    with moto_server() as url:
        for env in ("sit", "prod"):
            with open_target("moto", endpoint_url=url) as target:
                deploy(target, desired_state(loaded_contract, env))
            with readiness_run(env, "moto", endpoint_url=url, no_deploy=True) as run:
                calls[env] = run.target.calls.snapshot()
    return calls


def _union(per_env: dict[str, dict[str, int]]) -> set[str]:
    return {op for ops in per_env.values() for op in ops}


# ------------------------------------------------------------------------------------- read-only policy


def test_read_only_names_every_call_of_a_live_run_and_nothing_else(aws_calls: dict[str, dict[str, int]]) -> None:
    used = _union(aws_calls)
    assert not uncovered(used, READ_ONLY), (
        f"a read-only run calls {sorted(uncovered(used, READ_ONLY))}: add them to READ_ONLY in "
        "readiness/permissions.py and to iam/readiness-readonly.json")
    # the backup RPO drill's reads are recorded with the drills' calls (tests/test_drills.py)
    assert not READ_ONLY - READ_ONLY_DRILLS - used, (
        f"READ_ONLY names {sorted(READ_ONLY - READ_ONLY_DRILLS - used)}, which no read-only run calls")
    assert READ_ONLY_DRILLS <= DRILL_OPERATIONS, "the read-only drill's calls are drill operations too"
    # each mode's own calls: the guard first, then reads only
    for env, ops in aws_calls.items():
        assert ops["sts:GetCallerIdentity"] == 1, env
        # reads only: describe, list, get, head, and the item check's bounded Scan (ADR 0060)
        assert all(op.split(":", 1)[1].startswith(("Describe", "List", "Get", "Head")) or op == "dynamodb:Scan"
                   for op in ops), ops
    assert "kms:GetKeyRotationStatus" in aws_calls["prod"] and "kms:GetKeyRotationStatus" not in aws_calls["sit"]


def test_read_only_policy_allows_exactly_read_only() -> None:
    actions = policy_actions(load_policy(READ_ONLY_POLICY))
    wanted = iam_actions(READ_ONLY)
    assert not wanted - actions, f"iam/readiness-readonly.json misses {sorted(wanted - actions)}"
    assert not actions - wanted, f"iam/readiness-readonly.json grants unused {sorted(actions - wanted)}"


def test_a_verify_only_emulator_run_adds_only_its_endpoint_probe(emulator_calls: dict[str, dict[str, int]]) -> None:
    used = _union(emulator_calls)
    assert uncovered(used, READ_ONLY) == set(EMULATOR_ONLY), sorted(uncovered(used, READ_ONLY))
    assert "sts:GetCallerIdentity" not in used  # emulators are not guarded: their account is throwaway


def test_read_only_policy_reaches_every_resource_of_every_environment(loaded_contract: Contract) -> None:
    policy = load_policy(READ_ONLY_POLICY)
    for env_name in ENVS:
        env = loaded_contract.environment(env_name)
        desired = desired_state(loaded_contract, env_name)
        for region in env.regions:
            for t in desired.tables:
                arn = f"arn:aws:dynamodb:{region}:{env.account}:table/{t.name}"
                for action in ("DescribeTable", "DescribeContinuousBackups", "DescribeTimeToLive",
                               "ListTagsOfResource"):
                    assert allows(policy, f"dynamodb:{action}", arn), (action, arn)
        vaults = [(env.region, env.backup.vault)] + ([(env.backup.copy.region, env.backup.copy.vault)]
                                                     if env.backup.copy else [])
        for region, vault in vaults:
            assert allows(policy, "backup:DescribeBackupVault",
                          f"arn:aws:backup:{region}:{env.account}:backup-vault:{vault}"), vault
        assert allows(policy, "cloudwatch:GetDashboard",
                      f"arn:aws:cloudwatch::{env.account}:dashboard/{env.monitoring.dashboard}")
        for a in desired.alarms:
            assert allows(policy, "cloudwatch:DescribeAlarms",
                          f"arn:aws:cloudwatch:{a.region}:{env.account}:alarm:{a.name}")
        for b in desired.buckets:
            names = [b.name] + ([b.logging_bucket] if b.logging_bucket else []) + (
                [b.replication.bucket] if b.replication else [])
            for name in names:
                assert allows(policy, "s3:ListBucket", f"arn:aws:s3:::{name}"), name
            for op in READ_ONLY:
                if op.startswith("s3:"):
                    assert allows(policy, iam_action(op), f"arn:aws:s3:::{b.name}"), op


def test_read_only_policy_reaches_nothing_else() -> None:
    policy = load_policy(READ_ONLY_POLICY)
    other = "arn:aws:dynamodb:eu-west-1:815856636111:table/payroll"
    assert not allows(policy, "dynamodb:DescribeTable", other)
    assert not allows(policy, "s3:ListBucket", "arn:aws:s3:::payroll-exports")
    assert not allows(policy, "s3:GetObject", "arn:aws:s3:::bbws-templates-sit/welcome.html")
    assert not allows(policy, "backup:DescribeBackupVault",
                      "arn:aws:backup:eu-west-1:815856636111:backup-vault:Default")
    for write in ("dynamodb:PutItem", "dynamodb:DeleteTable", "dynamodb:UpdateTable", "kms:Decrypt",
                  "backup:StartRestoreJob", "cloudwatch:PutMetricAlarm", "sns:Publish"):
        assert not allows(policy, write, "*") and write not in policy_actions(policy)


# ---------------------------------------------------------------------------------------- drills policy


def test_drills_policy_allows_exactly_the_drill_operations() -> None:
    actions = policy_actions(load_policy(DRILLS_POLICY))
    assert not DRILL_OPERATIONS - actions, f"iam/readiness-drills.json misses {sorted(DRILL_OPERATIONS - actions)}"
    assert not actions - DRILL_OPERATIONS, (
        f"iam/readiness-drills.json grants {sorted(actions - DRILL_OPERATIONS)}, which DRILL_OPERATIONS does not "
        "name: a drill that needs it adds it to readiness/permissions.py first")


def test_drills_write_only_into_contract_tables_and_delete_only_restored_ones(loaded_contract: Contract) -> None:
    policy = load_policy(DRILLS_POLICY)
    for env_name in ENVS:
        env = loaded_contract.environment(env_name)
        for t in desired_state(loaded_contract, env_name).tables:
            table = f"arn:aws:dynamodb:{env.region}:{env.account}:table/{t.name}"
            restored = f"{table}-restore-20260107T0900"
            for op in ("PutItem", "GetItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchWriteItem",
                       "TransactWriteItems", "ConditionCheckItem", "CreateBackup", "RestoreTableToPointInTime"):
                assert allows(policy, f"dynamodb:{op}", table), (op, table)
            for op in ("DescribeBackup", "DeleteBackup", "RestoreTableFromBackup"):
                assert allows(policy, f"dynamodb:{op}", f"{table}/backup/01736240000000-1a2b3c4d"), op
            for op in ("DeleteTable", "DescribeTable", "RestoreTableToPointInTime"):
                assert allows(policy, f"dynamodb:{op}", restored), (op, restored)
            assert not allows(policy, "dynamodb:DeleteTable", table), f"a drill could delete {t.name}"
    other = "arn:aws:dynamodb:eu-west-1:815856636111:table/payroll"
    for op in ("PutItem", "DeleteItem", "Scan", "DeleteTable", "CreateBackup"):
        assert not allows(policy, f"dynamodb:{op}", other), op
    for op in ("UpdateTable", "DeleteTable", "UpdateContinuousBackups", "CreateTable"):
        assert not allows(policy, f"dynamodb:{op}", "arn:aws:dynamodb:eu-west-1:815856636111:table/tenants-sit")


@pytest.mark.parametrize("path", [READ_ONLY_POLICY, DRILLS_POLICY], ids=lambda p: p.name)
def test_policies_are_plain_allow_lists_without_wildcard_actions(path: Any) -> None:
    policy = load_policy(path)
    assert policy["Version"] == "2012-10-17"
    sids = [s.get("Sid") for s in statements(policy)]
    assert all(sids) and len(sids) == len(set(sids)), sids
    for s in statements(policy):
        assert s["Effect"] == "Allow" and set(s) <= {"Sid", "Effect", "Action", "Resource"}, s
        assert all("*" not in a for a in s["Action"]), s["Action"]


def test_uncovered_names_what_a_policy_misses() -> None:
    assert uncovered({"dynamodb:DescribeTable", "dynamodb:PutItem"}, READ_ONLY) == {"dynamodb:PutItem"}
    assert uncovered({"dynamodb:PutItem"}, READ_ONLY | DRILL_OPERATIONS) == set()


# ------------------------------------------------------------------------------- what the drills call


@pytest.fixture(scope="module")
def drill_calls(loaded_contract: Contract) -> dict[str, dict[str, int]]:
    """Every drill once (and the orphan sweep) on moto, SIT and PROD: the CallLog's operations while they ran."""
    from test_drills import PointInTime

    from readiness.drills import Drills

    calls = {}
    for env in ("sit", "prod"):
        with open_target("moto") as target:
            desired = desired_state(loaded_contract, env)
            deploy(target, desired)
            before = target.calls.snapshot()
            drills = Drills(target, desired)
            table = desired.tables[0]
            with drills.cleaning():
                drills.access(table)
                drills.streams(table)
                drills.locking()
                drills.transaction()
                # moto cannot restore as of a point (ADR 0054): the PITR drill's calls through a wrapper that can
                Drills(PointInTime(target), desired, scope=drills.scope).restore(table, "pitr")
                drills.restore(table, "backup")
                drills.backup_rpo(table)
                drills.replication(table)
            drills.sweep()
            after = target.calls.snapshot()
            calls[env] = {op: n - before.get(op, 0) for op, n in after.items() if n - before.get(op, 0)}
    return calls


def test_the_two_policies_together_allow_every_call_the_drills_make(drill_calls: dict[str, dict[str, int]]) -> None:
    used = _union(drill_calls)
    missing = uncovered(used, READ_ONLY | DRILL_OPERATIONS)
    assert not missing, (f"the drills call {sorted(missing)}: add them to DRILL_OPERATIONS in "
                         "readiness/permissions.py and to iam/readiness-drills.json")
    # and they do write: the recording is of drills, not of an observation
    assert {"dynamodb:PutItem", "dynamodb:RestoreTableToPointInTime", "dynamodb:DeleteTable"} <= {
        iam_action(op) for op in used}
    assert "dynamodb:GetRecords" in {iam_action(op) for op in used}  # DynamoDB Streams' actions are dynamodb:


def test_every_drill_operation_is_called_or_named_as_aws_only(drill_calls: dict[str, dict[str, int]]) -> None:
    """What the drills policy grants beyond what the drills called on moto is named here with its reason:
    nothing else may sit in DRILL_OPERATIONS unused."""
    used = {iam_action(op) for op in _union(drill_calls)}
    aws_only = {"cloudwatch:GetMetricStatistics", "cloudwatch:GetMetricData",  # needs a real global table
                "backup:ListBackupJobs"}  # read after the recovery points, which moto does not implement
    listed_by_the_issue = {"dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem"}  # batch / condition checks
    unused = DRILL_OPERATIONS - used
    assert unused <= aws_only | listed_by_the_issue, f"DRILL_OPERATIONS names unused {sorted(unused)}"


def test_drills_reach_their_streams_and_recovery_points(loaded_contract: Contract) -> None:
    policy = load_policy(DRILLS_POLICY)
    for env_name in ENVS:
        env = loaded_contract.environment(env_name)
        for t in desired_state(loaded_contract, env_name).tables:
            stream = f"arn:aws:dynamodb:{env.region}:{env.account}:table/{t.name}/stream/2026-01-07T09:00:00.000"
            for op in ("DescribeStream", "GetShardIterator", "GetRecords"):
                assert allows(policy, f"dynamodb:{op}", stream), (op, stream)
        assert allows(policy, "backup:ListRecoveryPointsByBackupVault",
                      f"arn:aws:backup:{env.region}:{env.account}:backup-vault:{env.backup.vault}")
