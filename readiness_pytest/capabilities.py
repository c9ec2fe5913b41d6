"""Which targets can show each scenario's criterion: the capability matrix of docs/targets.md and DESIGN 5 as
data, keyed by the scenarios' criterion markers (pyproject.toml), with the scenarios that need more than the
rest of their criterion named one by one.

A target is listed only where its default form (embedded moto; the community LocalStack; DynamoDB Local; the
real account; a saved plan) shows the criterion without UNVERIFIABLE; a scenario that is NOT APPLICABLE to an
environment is not a reason to list a target. tests/test_markers.py runs the SIT features on embedded moto and
fails when a scenario marked ``moto`` is not proven there, when a name below is no scenario's, and when a
criterion marker of the features is missing here.
"""

from __future__ import annotations

from collections.abc import Iterable

TARGET_MARKER = {"moto": "moto", "localstack": "localstack", "dynamodb-local": "dynamodb_local", "aws": "aws",
                 "plan": "plan"}
MARKER_TARGET = {marker: target for target, marker in TARGET_MARKER.items()}
EMULATOR_MARKERS = frozenset({"moto", "localstack", "dynamodb_local"})

_ALL = frozenset(TARGET_MARKER)
_DATA = frozenset({"moto", "localstack", "dynamodb-local", "aws"})  # items and drills: no plan shows them
_CONTROL = frozenset({"moto", "localstack", "aws", "plan"})  # no DynamoDB Local: it serves DynamoDB alone

BY_CRITERION: dict[str, frozenset[str]] = {
    "tables_created": _ALL,
    "key_schema": _ALL,
    "gsis_active": _ALL,
    "on_demand": _ALL,
    "streams": _ALL,
    "ttl": _ALL,
    "deletion_protection": _ALL,
    "pitr_enabled": _CONTROL,  # DynamoDB Local: UnknownOperationException
    "encryption": frozenset({"moto", "localstack", "aws"}),  # plan: dev/sit's AWS-managed key is known after apply
    "tags": _CONTROL,  # DynamoDB Local: "Tagging is not currently supported"
    "backup_vault": frozenset({"aws"}),  # moto does not report the aws/backup key; LocalStack: Backup is Pro only
    "backup_plan": frozenset({"moto", "aws", "plan"}),
    "backup_copy": frozenset({"moto", "aws", "plan"}),
    "backup_selection": frozenset({"aws", "plan"}),  # moto: not implemented
    "replicas": frozenset({"localstack", "aws", "plan"}),  # moto accepts replicas and ignores them
    "alarms": _CONTROL,
    "dashboard": _CONTROL,
    "cost_anomaly": frozenset({"aws", "plan"}),  # Cost Explorer: not in moto, Pro only in LocalStack
    "access_patterns": _DATA,
    "optimistic_locking": frozenset({"localstack", "dynamodb-local", "aws"}),  # moto writes without a lock
    "transactions": _DATA,
    "stream_images": _DATA,
    "restore_drill": frozenset({"moto", "localstack", "aws"}),
    "backup_rpo": frozenset({"aws"}),  # recovery points: not in moto, Pro only in LocalStack
    "replication_lag": frozenset({"localstack", "aws"}),
    "sustained_load": frozenset({"localstack", "dynamodb-local", "aws"}),  # Locust needs an endpoint
    "bucket_configuration": _CONTROL,
    "bucket_replication": _CONTROL,
    "templates_uploaded": _CONTROL,
    "item_schemas": _DATA,
    "sparse_items": _DATA,
}

BY_SCENARIO: dict[str, frozenset[str]] = {
    # the account's other tables: a plan shows only what it manages
    "No other table carries a contract table's name in the regions the contract uses": _DATA,
    # backup jobs and subscriptions exist only in a real account (the contract names no subscriber)
    "No backup job failed within the retention window": frozenset({"aws"}),
    "Every alert topic reaches someone": frozenset({"aws"}),
    # the alarms' state: a plan has none
    "No alarm of the plan is firing after the deploy": frozenset({"moto", "localstack", "aws"}),
    # moto's restorable window does not move; LocalStack's point-in-time restore is partial
    "A point-in-time restore meets the RTO and the PITR RPO": frozenset({"aws"}),
    # vault tags: AWS Backup is Pro only in LocalStack
    "The backup vaults, the backup plan and the customer-managed keys carry the required tags":
        frozenset({"moto", "aws", "plan"}),
}

LIVE_ONLY = frozenset({"aws"})  # a scenario with no criterion marker: only the real account is assumed to show it


def targets_of(markers: Iterable[str], scenario: str | None = None) -> frozenset[str]:
    """The targets that can show a scenario: its own entry, else every one of its criteria's (intersected)."""
    if scenario is not None and scenario in BY_SCENARIO:
        return BY_SCENARIO[scenario]
    found = [BY_CRITERION[m] for m in markers if m in BY_CRITERION]
    if not found:
        return LIVE_ONLY
    shown = frozenset(_ALL)
    for targets in found:
        shown &= targets
    return shown
