"""The scope of a run's drills: what a run may do (``--allow``), the write guard that holds every drill to its
own test items and restore tables, and a verdict for every drill a run did not measure (:func:`not_run`).

A drill writes only its run's test items (readiness/testitems.py) and ``<table>-restore-<kind>-<run>``
tables, through clients whose every write is checked against that scope before it is sent
(:meth:`WriteGuard.guard`); anything else is refused even when the credentials would allow it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from readiness.contract.desired import Desired, TableSpec
from readiness.drills.catalogue import CATALOGUE, DRILL_MARKERS, DrillSpec
from readiness.outcome import NOT_APPLICABLE, UNVERIFIABLE, Verdict
from readiness.outcome import measured as measurement
from readiness.targets.base import ReadOnlyViolation
from readiness.testitems import MARKER, TEST_MARK, RunScope, key_prefix, run_prefix

GUARDED_MARKERS = ("writes", "restore", "load")


def refusal(markers: Iterable[str], allow: frozenset[str], env: str, target: str, no_deploy: bool) -> str | None:
    """Why a scenario with these markers may not run here, or None when it may."""
    markers = set(markers)
    needs = [m for m in GUARDED_MARKERS if m in markers]
    if target == "plan" and (needs or markers & DRILL_MARKERS):
        return "a Terraform plan is a document, not an account: this scenario needs a target it can act on"
    if not needs:
        return None
    throwaway = target != "aws" and not no_deploy
    missing = [] if throwaway else [m for m in needs if m not in allow]
    if missing:
        where = "a live AWS account" if target == "aws" else "a verify-only run"
        return (f"{where} is read-only: this scenario needs --allow {','.join(missing)} "
                f"(it {', '.join(WHAT_IT_DOES[m] for m in missing)})")
    if "load" in needs and env == "prod" and not throwaway and "load-prod" not in allow:
        return "a load drill never runs on prod unless --allow load-prod is given as well"
    return None


WHAT_IT_DOES = {"writes": "writes test items", "restore": "restores tables", "load": "drives sustained load"}


class WriteGuard:
    """Refuses any write outside one run's test items and restore tables (ReadOnlyViolation)."""

    def __init__(self, desired: Desired, scope: RunScope, allow: frozenset[str], backups: set[str]) -> None:
        self.scope = scope
        self.allow = allow
        self.tables = {t.name: t for t in desired.tables}
        self.ledger_backups = backups  # the backups this run made: the only ones it may delete

    def guard(self, operation: str, params: Mapping[str, Any]) -> None:
        """Refuse any write outside this run's test items and restore tables (ReadOnlyViolation)."""
        def table_of(name: Any) -> TableSpec:
            spec = self.tables.get(str(name))
            if spec is None:
                raise ReadOnlyViolation(f"{operation} on {name} refused: not a table of the contract")
            return spec

        def item_ok(table: Any, key: Mapping[str, Any], whole_item: bool) -> None:
            spec = table_of(table)
            pk = str((key.get(spec.table.partition.attribute) or {}).get("S", ""))
            if not pk.startswith(run_prefix(spec.table, self.scope)) and not (
                    operation == "DeleteItem" and pk.startswith(key_prefix(spec.table))
                    and "attribute_exists" in str(params.get("ConditionExpression", ""))):
                raise ReadOnlyViolation(f"{operation} on {table} key {pk!r} refused: not a test item of run "
                                        f"{self.scope.token}")
            if whole_item and MARKER not in key:
                raise ReadOnlyViolation(f"{operation} on {table} refused: the item lacks the marker {MARKER}")

        needs = "restore" if operation in ("RestoreTableToPointInTime", "RestoreTableFromBackup", "CreateBackup",
                                           "DeleteBackup", "DeleteTable") else "writes"
        if needs == "writes" and "load" in self.allow:  # the load drill seeds and deletes its own test items
            needs = "load"
        if needs not in self.allow:
            raise ReadOnlyViolation(f"{operation} refused: this run is not allowed {needs} (--allow {needs})")
        if operation == "PutItem":
            item_ok(params["TableName"], params["Item"], True)
        elif operation in ("UpdateItem", "DeleteItem"):
            item_ok(params["TableName"], params["Key"], False)
        elif operation == "BatchWriteItem":
            for table, requests in params["RequestItems"].items():
                for r in requests:
                    if "PutRequest" in r:
                        item_ok(table, r["PutRequest"]["Item"], True)
                    else:
                        item_ok(table, r["DeleteRequest"]["Key"], False)
        elif operation == "TransactWriteItems":
            for t in params["TransactItems"]:
                kind, body = next(iter(t.items()))
                if kind == "Put":
                    item_ok(body["TableName"], body["Item"], True)
                else:
                    item_ok(body["TableName"], body["Key"], False)
        elif operation in ("RestoreTableToPointInTime", "RestoreTableFromBackup"):
            if not self.is_restore_table(str(params["TargetTableName"]), own=True):
                raise ReadOnlyViolation(f"{operation} into {params['TargetTableName']} refused: "
                                        f"not a restore table of run {self.scope.token}")
        elif operation == "DeleteTable":
            if not self.is_restore_table(str(params["TableName"]), own=False):
                raise ReadOnlyViolation(f"DeleteTable {params['TableName']} refused: only drill restore tables "
                                        f"(<table>-restore-<kind>-{TEST_MARK}....) are ever deleted")
        elif operation == "CreateBackup":
            table_of(params["TableName"])
            if not str(params["BackupName"]).endswith(self.scope.token):
                raise ReadOnlyViolation(f"CreateBackup {params['BackupName']} refused: not named for this run")
        elif operation == "DeleteBackup":
            if params["BackupArn"] not in self.ledger_backups:
                raise ReadOnlyViolation("DeleteBackup refused: not a backup this run made")
        else:
            raise ReadOnlyViolation(f"{operation} refused: drills only write test items and restore tables")

    def is_restore_table(self, name: str, *, own: bool) -> bool:
        token = re.escape(self.scope.token) if own else f"{TEST_MARK}[0-9a-f]{{4}}"
        return any(re.fullmatch(f"{re.escape(t)}-restore-(pitr|backup)-{token}", name) for t in self.tables)

    # ------------------------------------------------------------------------------ writing and cleanup


def not_run(desired: Desired, measured: list[Verdict], *, allow: frozenset[str], target_kind: str,
            no_deploy: bool, runner: str) -> list[Verdict]:
    """A verdict for every drill of the catalogue this run did not measure: NOT APPLICABLE where the
    contract says so, else UNVERIFIABLE "not run" with why and what would run it (``details.needs``).

    ``runner`` is "pytest" (the scenarios were offered: a drill that did not run was refused, deselected
    or stopped by an earlier step) or "cli" (``python -m readiness verify`` runs only the read-only drills).
    The reason comes from :func:`refusal`, the same function that skips the scenario.
    """
    env = desired.env
    by_logical = {t.logical: t.name for t in desired.tables}
    done: dict[str, set[str]] = {}
    for m in measured:
        done.setdefault(m.id, set()).add(m.resource)
    out: list[Verdict] = []
    for spec in CATALOGUE:
        resources = ([" + ".join(by_logical.get(t, t) for t in spec.tables)] if spec.tables
                     else [t.name for t in desired.tables])
        if spec.tables and spec.id in done:
            continue  # a one-off drill that ran: its measurement is its verdict
        for resource in resources:
            if resource in done.get(spec.id, set()):
                continue
            if spec.replicated_only and env.replication is None:
                out.append(measurement(spec.id, spec.criterion, resource, NOT_APPLICABLE,
                                       f"not applicable: the contract gives {env.name} no replica region "
                                       "(cross-region replication is PROD's)"))
                continue
            refused = refusal(spec.markers, allow, env.name, target_kind, no_deploy)
            needs = needs_to_run(spec, allow, env.name, target_kind, no_deploy)
            if refused:
                reason = f"not run: {refused}"
            elif spec.id in done:
                reason = f"not run on this table: the run drilled only {', '.join(sorted(done[spec.id]))}"
                needs = "--restore-table all" if spec.id.startswith("drill.restore.") else needs
            elif runner == "cli":
                reason = ("not run: python -m readiness verify runs only the read-only drills; the scenario "
                          f"'{spec.scenario}' runs under pytest -m acceptance")
                needs = f"pytest -m acceptance --env {env.name} --target {target_kind}" + (
                    f" {needs}" if needs.startswith("--allow") else "")
            else:
                reason = (f"not run: the scenario '{spec.scenario}' was deselected, or a step before its drill "
                          "stopped it")
                needs = f"run the scenario '{spec.scenario}'" + (f" with {needs}" if needs.startswith("--") else "")
            out.append(measurement(spec.id, spec.criterion, resource, UNVERIFIABLE, reason,
                                   details={"needs": needs}))
    return out


def needs_to_run(spec: DrillSpec, allow: frozenset[str], env: str, target_kind: str, no_deploy: bool) -> str:
    """The option (or target) that would let the drill run here."""
    if target_kind == "plan":
        return "a target that is an account: --target aws (or an emulator) instead of a plan"
    if target_kind != "aws" and not no_deploy:
        return "nothing more: an emulator the suite deploys into allows every drill"
    words = sorted((spec.markers & {"writes", "restore", "load"}) - allow)
    if "load" in spec.markers and env == "prod" and "load-prod" not in allow:
        words.append("load-prod")
    return f"--allow {','.join(words)}" if words else "nothing more: it is allowed here"
