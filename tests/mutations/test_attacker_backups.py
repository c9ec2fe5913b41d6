"""Attacker-side mutants of tables, backups, KMS, the DR region and the inventory (issue 12 item 1).

Each mutant changes a correctly deployed account the way an operator or an attacker could: it adds a
table, a rule, a copy, a selection condition, a tag, a key state; it does not flip the one property a
check reads. Where moto can hold the change, the moto account is changed with write clients. Where it
cannot, a correct account's snapshot is edited with answers in botocore's service-model shapes; each such
edit says why (moto 5.2.5 does not implement UpdateBackupPlan, backup selections or ListBackupJobs, and
ignores global-table replicas). Every mutant must read BLOCKED, with a FAIL of its check naming the
attacked resource (tests/mutations/attacker.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from attacker import Attack, assert_blocked, judge
from test_checks import (
    answer_value,
    backup_job,
    edit_plan_rule,
    replicated,
    set_answer,
    table_arns,
    with_backup_jobs,
    with_selection,
)

from readiness.contract.desired import Desired, desired_state
from readiness.contract.model import Contract
from readiness.observation.live import Snapshot
from readiness.targets.base import Target

DR = "eu-west-1"
ANOTHER_ACCOUNT = "444455556666"


def _plan(d: Desired) -> str:
    return d.env.backup.plan


def _vault(d: Desired) -> str:
    return d.env.backup.vault


def _selection(d: Desired) -> str:
    return d.env.backup.selection


def _table(name: str) -> Callable[[Desired], str]:
    return lambda d: name


# ---------------------------------------------------------------------------- the moto account, changed


def _create_table(name: str, region: str | None = None) -> Callable[[Target, Desired], None]:
    """A table the contract does not have, made as anyone with CreateTable could make it."""
    def create(t: Target, d: Desired) -> None:
        client = t.client("dynamodb", region or d.env.region, write=True)
        client.create_table(TableName=name, KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
                            BillingMode="PAY_PER_REQUEST")
    return create


def _backup(t: Target, region: str) -> Any:
    return t.client("backup", region, write=True)


def _vault_arn(t: Target, region: str, vault: str) -> str:
    return str(_backup(t, region).describe_backup_vault(BackupVaultName=vault)["BackupVaultArn"])


def _untag_vault(region: Callable[[Desired], str], vault: Callable[[Desired], str],
                 key: str) -> Callable[[Target, Desired], None]:
    def untag(t: Target, d: Desired) -> None:
        _backup(t, region(d)).untag_resource(ResourceArn=_vault_arn(t, region(d), vault(d)), TagKeyList=[key])
    return untag


def _retag_plan(t: Target, d: Desired) -> None:
    backup = _backup(t, d.env.region)
    plan = next(p for p in backup.list_backup_plans()["BackupPlansList"] if p["BackupPlanName"] == d.env.backup.plan)
    backup.tag_resource(ResourceArn=plan["BackupPlanArn"], Tags={"Environment": "dev"})


def _kms(t: Target, region: str) -> Any:
    return t.client("kms", region, write=True)


def _key_id(t: Target, d: Desired, region: str) -> str:
    return str(_kms(t, region).describe_key(KeyId=d.key_alias)["KeyMetadata"]["KeyId"])


def _retag_key(region: Callable[[Desired], str]) -> Callable[[Target, Desired], None]:
    def retag(t: Target, d: Desired) -> None:
        _kms(t, region(d)).tag_resource(KeyId=_key_id(t, d, region(d)),
                                        Tags=[{"TagKey": "CostCenter", "TagValue": "someone-else"}])
    return retag


def _untag_key(region: Callable[[Desired], str]) -> Callable[[Target, Desired], None]:
    def untag(t: Target, d: Desired) -> None:
        _kms(t, region(d)).untag_resource(KeyId=_key_id(t, d, region(d)), TagKeys=["Owner"])
    return untag


def _disable_key(region: Callable[[Desired], str]) -> Callable[[Target, Desired], None]:
    def disable(t: Target, d: Desired) -> None:
        _kms(t, region(d)).disable_key(KeyId=_key_id(t, d, region(d)))
    return disable


def _schedule_key_deletion(region: Callable[[Desired], str]) -> Callable[[Target, Desired], None]:
    def schedule(t: Target, d: Desired) -> None:
        _kms(t, region(d)).schedule_key_deletion(KeyId=_key_id(t, d, region(d)), PendingWindowInDays=7)
    return schedule


def _rekey_vault(region: Callable[[Desired], str],
                 vault: Callable[[Desired], str]) -> Callable[[Target, Desired], None]:
    """Delete the vault and make it again, encrypted with a key of the attacker's choosing."""
    def rekey(t: Target, d: Desired) -> None:
        key = _kms(t, region(d)).create_key(Description="not the contract's")["KeyMetadata"]["Arn"]
        backup = _backup(t, region(d))
        backup.delete_backup_vault(BackupVaultName=vault(d))
        backup.create_backup_vault(BackupVaultName=vault(d), EncryptionKeyArn=key,
                                   BackupVaultTags=dict(d.env.tags))
    return rekey


def _primary(d: Desired) -> str:
    return d.env.region


def _dr(d: Desired) -> str:
    return DR


def _copy_vault(d: Desired) -> str:
    assert d.env.backup.copy is not None
    return d.env.backup.copy.vault


# ------------------------------------------------------------------- snapshot edits, where moto cannot


def _add_rule(rule: dict[str, Any]) -> Callable[[Snapshot, Desired], None]:
    """A second rule in the plan (GetBackupPlan's Rules: BackupRule shape). moto 5.2.5 does not implement
    UpdateBackupPlan, and refuses to re-create a deleted plan's name, so the plan is edited as observed."""
    def add(s: Snapshot, d: Desired) -> None:
        env = d.env
        plan = answer_value(s, "get_backup_plan", env.region, env.backup.plan)
        plan["BackupPlan"]["Rules"].append({"RuleId": "7a6b5c4d-0000-4000-8000-00000000beef", **rule})
        set_answer(s, "get_backup_plan", env.region, env.backup.plan, plan)
    return add


def _add_copy(vault_arn: Callable[[Snapshot, Desired], str]) -> Callable[[Snapshot, Desired], None]:
    """Another CopyAction on the contract's own rule (moto: no UpdateBackupPlan)."""
    def add(s: Snapshot, d: Desired) -> None:
        edit_plan_rule(s, d, lambda r: r.setdefault("CopyActions", []).append(
            {"DestinationBackupVaultArn": vault_arn(s, d), "Lifecycle": {"DeleteAfterDays": 90}}))
    return add


def _replace_copy(vault_arn: Callable[[Snapshot, Desired], str]) -> Callable[[Snapshot, Desired], None]:
    """The contract rule's only CopyAction pointed elsewhere (moto: no UpdateBackupPlan)."""
    def replace(s: Snapshot, d: Desired) -> None:
        edit_plan_rule(s, d, lambda r: r.update(CopyActions=[
            {"DestinationBackupVaultArn": vault_arn(s, d), "Lifecycle": {"DeleteAfterDays": 90}}]))
    return replace


def _selection_edit(**extra: Any) -> Callable[[Snapshot, Desired], None]:
    """The contract's selection with more members (GetBackupSelection's BackupSelection shape). moto does not
    implement backup selections: the correct selection is what AWS answers, then the attacker's addition."""
    def edit(s: Snapshot, d: Desired) -> None:
        env = d.env
        with_selection(s, d)
        selection = answer_value(s, "get_backup_selection", env.region, env.backup.selection)
        resolved = {k: (v(s, d) if callable(v) else v) for k, v in extra.items()}
        set_answer(s, "get_backup_selection", env.region, env.backup.selection, {**selection, **resolved})
    return edit


def _jobs(table: str, state: str, message: str) -> Callable[[Snapshot, Desired], None]:
    """ListBackupJobs answers (BackupJob shape): moto does not implement backup jobs."""
    return lambda s, d: with_backup_jobs(s, d, backup_job(s, d, table, state, message))


def _replica(name: str,
             edit: Callable[[dict[str, Any], Snapshot, Desired], None]) -> Callable[[Snapshot, Desired], None]:
    """The DR replica as DynamoDB describes it in eu-west-1, then changed: moto ignores ReplicaUpdates."""
    def apply(s: Snapshot, d: Desired) -> None:
        replicated(s, d)
        table = answer_value(s, "describe_table", DR, name)
        edit(table, s, d)
        set_answer(s, "describe_table", DR, name, table)
    return apply


def _other_account_vault(s: Snapshot, d: Desired) -> str:
    return f"arn:aws:backup:eu-central-1:{ANOTHER_ACCOUNT}:backup-vault:exfiltration"


def _dr_vault_in_another_account(s: Snapshot, d: Desired) -> str:
    return f"arn:aws:backup:{DR}:{ANOTHER_ACCOUNT}:backup-vault:{_copy_vault(d)}"


def _orders_arn(s: Snapshot, d: Desired) -> list[str]:
    return [table_arns(s, d)["orders-sit"]]


ATTACKS = [
    # inventory: a table that is not in the contract but carries a contract table's name
    Attack("a leftover orders-sit-old beside orders-sit", "sit", "table.lookalikes", _table("orders-sit"),
           account=_create_table("orders-sit-old")),
    Attack("the unsuffixed tenants of 000_* made again", "sit", "table.lookalikes", _table("tenants-sit"),
           account=_create_table("tenants")),
    Attack("a tenants-sit copy in af-south-1", "sit", "table.lookalikes", _table("tenants-sit"),
           account=_create_table("tenants-sit", "af-south-1")),
    Attack("a restore table an earlier drill left behind", "sit", "table.lookalikes", _table("users-sit"),
           account=_create_table("users-sit-restore-pitr-rt20261130a1b2")),
    Attack("an orders-prod-old in the DR region", "prod", "table.lookalikes", _table("orders-prod"),
           account=_create_table("orders-prod-old", DR)),
    Attack("an unsuffixed campaigns in PROD", "prod", "table.lookalikes", _table("campaigns-prod"),
           account=_create_table("campaigns")),
    # tags (D15) on the vaults, the plan and the keys
    Attack("Owner removed from the SIT vault", "sit", "backup.vault_tags", _vault,
           account=_untag_vault(_primary, _vault, "Owner")),
    Attack("the DR copy vault's BackupPolicy removed", "prod", "backup.vault_tags", _vault,
           account=_untag_vault(_dr, _copy_vault, "BackupPolicy")),
    Attack("the SIT plan tagged Environment=dev", "sit", "backup.plan_tags", _plan, account=_retag_plan),
    Attack("the PROD key billed to another cost center", "prod", "kms.key_tags", lambda d: d.key_alias,
           account=_retag_key(_primary)),
    Attack("the DR key's Owner removed", "prod", "kms.key_tags", lambda d: f"{d.key_alias}@{DR}",
           account=_untag_key(_dr)),
    # keys: their state, in every region, wherever they encrypt
    Attack("the DR key disabled", "prod", "kms.dr_key", lambda d: f"{d.key_alias}@{DR}", account=_disable_key(_dr)),
    Attack("the DR key scheduled for deletion", "prod", "kms.dr_key", lambda d: f"{d.key_alias}@{DR}",
           account=_schedule_key_deletion(_dr)),
    Attack("the copy vault's key scheduled for deletion", "prod", "backup.copy", _plan,
           account=_schedule_key_deletion(_dr)),
    Attack("the PROD key scheduled for deletion under the vault", "prod", "backup.vault", _vault,
           account=_schedule_key_deletion(_primary)),
    Attack("the SIT vault re-made with a key of the attacker's", "sit", "backup.vault", _vault,
           account=_rekey_vault(_primary, _vault)),
    Attack("the DR copy vault re-made with another key", "prod", "backup.copy", _plan,
           account=_rekey_vault(_dr, _copy_vault)),
    # every rule of the plan
    Attack("a second, weekly rule into the Default vault", "sit", "backup.plan_rules", _plan,
           snapshot=_add_rule({"RuleName": "weekly", "TargetBackupVaultName": "Default",
                               "ScheduleExpression": "cron(0 3 ? * 1 *)", "Lifecycle": {"DeleteAfterDays": 7}})),
    Attack("a second rule copying every backup to another account", "sit", "backup.plan_rules", _plan,
           snapshot=_add_rule({"RuleName": "hourly-archive", "TargetBackupVaultName": "bbws-dynamodb-backup-vault-sit",
                               "ScheduleExpression": "cron(0 * * * ? *)", "Lifecycle": {"DeleteAfterDays": 14},
                               "CopyActions": [{"DestinationBackupVaultArn":
                                                f"arn:aws:backup:eu-west-1:{ANOTHER_ACCOUNT}:backup-vault:x",
                                                "Lifecycle": {"DeleteAfterDays": 14}}]})),
    Attack("PROD copies to another account's vault as well", "prod", "backup.copy", _plan,
           snapshot=_add_copy(_other_account_vault)),
    Attack("PROD copies to a vault of the DR name in another account", "prod", "backup.copy", _plan,
           snapshot=_replace_copy(_dr_vault_in_another_account)),
    # selections, evaluated as AWS Backup evaluates them
    Attack("a decoy tag condition no table meets", "sit", "backup.selection", _selection,
           snapshot=_selection_edit(Conditions={"StringEquals": [
               {"ConditionKey": "aws:ResourceTag/Backup", "ConditionValue": "yes"}]})),
    Attack("NotResources excludes orders-sit", "sit", "backup.selection", _selection,
           snapshot=_selection_edit(NotResources=_orders_arn)),
    Attack("a wildcard NotResources that excludes every table", "sit", "backup.selection", _selection,
           snapshot=_selection_edit(NotResources=["arn:aws:dynamodb:*:*:table/*-sit"])),
    Attack("Resources only in another region", "sit", "backup.selection", _selection,
           snapshot=_selection_edit(Resources=["arn:aws:dynamodb:us-east-1:*:table/*"])),
    Attack("the selection runs as another role", "sit", "backup.selection", _selection,
           snapshot=_selection_edit(IamRoleArn=f"arn:aws:iam::{ANOTHER_ACCOUNT}:role/bbws-dynamodb-backup-role-sit")),
    Attack("a StringNotLike condition every table meets the wrong way", "sit", "backup.selection", _selection,
           snapshot=_selection_edit(Conditions={"StringNotLike": [
               {"ConditionKey": "aws:ResourceTag/Environment", "ConditionValue": "s*"}]})),
    # post-deploy health
    Attack("a failed backup job of orders-sit", "sit", "backup.jobs", _plan,
           snapshot=_jobs("orders-sit", "FAILED", "Insufficient privileges to perform this action.")),
    Attack("an expired backup job of tenants-sit", "sit", "backup.jobs", _plan,
           snapshot=_jobs("tenants-sit", "EXPIRED", "Backup job was not started within the start window.")),
    # PROD's DR replica as its own table
    Attack("the DR replica without deletion protection", "prod", "table.replica_settings",
           _table(f"users-prod@{DR}"),
           snapshot=_replica("users-prod", lambda x, s, d: x.update(DeletionProtectionEnabled=False))),
    Attack("the DR replica encrypted with another key", "prod", "table.replica_settings",
           _table(f"orders-prod@{DR}"), snapshot=_replica("orders-prod", lambda x, s, d: x["SSEDescription"].update(
               KMSMasterKeyArn=f"arn:aws:kms:{DR}:{ANOTHER_ACCOUNT}:key/0a1b2c3d-not-ours"))),
    Attack("the DR replica streams keys only", "prod", "table.replica_settings", _table(f"tenants-prod@{DR}"),
           snapshot=_replica("tenants-prod", lambda x, s, d: x.update(
               StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}))),
]


@pytest.mark.parametrize("attack", ATTACKS, ids=[f"{a.env}: {a.name}" for a in ATTACKS])
def test_attacker_mutant_is_blocked(attack: Attack, moto_account: Any, correct_snapshot: Any,
                                    loaded_contract: Contract) -> None:
    verdicts = judge(attack, moto_account, correct_snapshot)
    assert_blocked(attack, verdicts, desired_state(loaded_contract, attack.env))


def test_the_corpus_is_large_enough_and_adds_rather_than_flips() -> None:
    assert len(ATTACKS) >= 22
    assert len({a.name for a in ATTACKS}) == len(ATTACKS)
