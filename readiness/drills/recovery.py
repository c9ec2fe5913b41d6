"""The recovery drills: point-in-time and backup restores (RTO, PITR RPO, the sample back whole, the
restore table deleted afterwards) and the backup RPO (features/restore_drills.feature, recovery.feature)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from readiness.contract.desired import TableSpec
from readiness.drills.bench import Bench
from readiness.drills.catalogue import C_RESTORE
from readiness.drills.core import (
    FROZEN_PROBE_SECONDS,
    POINT_MARGIN_SECONDS,
    RESTORE_SAMPLE,
    DrillFailed,
    DrillUnverifiable,
    Sheet,
    attempt,
    content_hash,
    figure,
    from_ddb,
    key_of,
    to_ddb,
)
from readiness.outcome import Verdict
from readiness.targets.base import ReadOnlyViolation
from readiness.testitems import generate_item


def restore(bench: Bench, table: TableSpec, kind: str = "pitr", *, wait: float | None = None) -> Verdict:
    """Restore into <table>-restore-<kind>-<run> as of a named point: a seeded sample written before the
    point must come back whole (count and content hash), an item written after it must not; RTO to
    ACTIVE with the sample readable, the PITR RPO, what the restored table lacks (the re-hydration
    checklist). Then the restore table is deleted, and that it is gone is its own verdict
    (``drill.restore.deleted``).

    The point is the moment right after the sample (PITR) or the backup (on demand). Where the target's
    restorable window does not move (moto freezes it when PITR is enabled and restores current data
    whatever the point), a point-in-time restore cannot be shown: UNVERIFIABLE with what it answered,
    never a PASS, and never a FAIL for a window that only looks old because the emulator is long-lived.
    """
    env = bench.desired.env
    budget = wait if wait is not None else env.rto_minutes * 60 * 1.5
    rpo_limit = env.rpo_minutes.get("pitr", 5) * 60

    def body(m: Sheet) -> None:
        if "restore" not in bench.allow:  # before the sample is written: a refused drill writes nothing
            raise ReadOnlyViolation("restoring a table refused: this run is not allowed restore "
                                    "(--allow restore)")
        client = bench.client()
        target = bench.scope.restore_table(table.name, kind)
        base = 400 if kind == "pitr" else 420
        sample = [generate_item(table.table, bench.scope, base + n) for n in range(RESTORE_SAMPLE)]
        for item in sample:
            bench.put(table, item)
        figures: list[dict[str, Any]] = []
        m.details = {"restored_table": target, "sample": len(sample)}
        if kind == "pitr":
            point, lag = restorable_point(bench, client, table, rpo_limit)
            figures.append(figure("rpo_pitr", lag, "s", rpo_limit))
            m.details["restore_point"] = point.isoformat()
            time.sleep(POINT_MARGIN_SECONDS)  # and the later item strictly after it
        else:
            name = f"readiness-{table.name}-{bench.scope.token}"
            backup = attempt(f"CreateBackup({table.name})", lambda: client.create_backup(
                TableName=table.name, BackupName=name)["BackupDetails"])
            backup_arn = str(backup["BackupArn"])
            bench.ledger.backups.add(backup_arn)
            bench.until(lambda: client.describe_backup(BackupArn=backup_arn)["BackupDescription"]
                        ["BackupDetails"]["BackupStatus"] == "AVAILABLE", budget, "the backup to be AVAILABLE")
        later = generate_item(table.table, bench.scope, base + RESTORE_SAMPLE)  # after the point: not restored
        bench.put(table, later)
        started = bench.clock()
        with bench.lock:
            bench.ledger.restore_tables.add((env.region, target))
        m.details["restore_requested"] = True
        if kind == "pitr":
            attempt(f"RestoreTableToPointInTime({table.name})", lambda: client.restore_table_to_point_in_time(
                SourceTableName=table.name, TargetTableName=target, RestoreDateTime=point))
        else:
            attempt(f"RestoreTableFromBackup({table.name})", lambda: client.restore_table_from_backup(
                TargetTableName=target, BackupArn=backup_arn))
        bench.until(lambda: client.describe_table(TableName=target)["Table"]["TableStatus"] == "ACTIVE",
                    budget, f"{target} to be ACTIVE")
        keys = [to_ddb(key_of(table.table, item)) for item in sample]
        bench.until(lambda: any(client.get_item(TableName=target, Key=k, ConsistentRead=True).get("Item")
                                for k in keys), 60.0, "the sample in the restored table")
        rto = bench.clock() - started
        figures.insert(0, figure("rto", rto, "s", env.rto_minutes * 60))
        m.figures = figures
        got = [client.get_item(TableName=target, Key=k, ConsistentRead=True).get("Item") for k in keys]
        restored = [from_ddb(i) for i in got if i is not None]
        want_hash, got_hash = content_hash([from_ddb(to_ddb(i)) for i in sample]), content_hash(restored)
        figures.append(figure("sample_restored", len(restored), "count", len(sample), "min"))
        m.details.update(sample_sha256=want_hash, restored_sha256=got_hash)
        leaked = client.get_item(TableName=target, Key=to_ddb(key_of(table.table, later)),
                                 ConsistentRead=True).get("Item")
        if leaked is not None:
            evidence = (f"{target} holds {later[table.table.partition.attribute]}, written after the restore "
                        f"point {m.details.get('restore_point', 'of the backup')}: the restore copied current "
                        "data, not the table as of the point")
            if bench.target.kind != "aws":
                raise DrillUnverifiable(evidence)
            raise DrillFailed(evidence)
        if len(restored) != len(sample) or want_hash != got_hash:
            raise DrillFailed(f"{target} holds {len(restored)} of the {len(sample)} sample items written "
                              f"before the restore point" + ("" if len(restored) != len(sample) else
                                                              f", with other content (sha256 {got_hash[:12]} "
                                                              f"!= {want_hash[:12]})"))
        gaps = rehydration(bench, target, table)
        m.details["rehydration_checklist"] = gaps
        over = [f"{f['name']} {f['value']:g} s > {f['target']:g} s" for f in figures
                if f.get("value") is not None and f.get("unit") == "s" and "target" in f
                and f["value"] > f["target"]]
        if over:
            raise DrillFailed("; ".join(over))
        m.reason = (f"restored into {target} in {rto:.1f} s (RTO target {env.rto_minutes:g} min); the "
                    f"{len(sample)} sample items came back whole, the later item did not; "
                    f"re-hydrate: {', '.join(gaps) if gaps else 'nothing'}")

    measured = bench.measure(f"drill.restore.{kind}", C_RESTORE, table.name, body)
    if measured.details.get("restore_requested"):
        deleted(bench, kind, table)
    return measured


def restorable_point(bench: Bench, client: Any, table: TableSpec, rpo_limit: float) -> tuple[datetime, float | None]:
    """The restore point (now, just after the sample) once the table's restorable window has reached it,
    and the window's lag behind the clock (the PITR RPO) when it was first read."""
    def latest() -> tuple[dict[str, Any], datetime | None]:
        cb = attempt(f"DescribeContinuousBackups({table.name})", lambda: client.describe_continuous_backups(
            TableName=table.name)["ContinuousBackupsDescription"])
        pitr = cb.get("PointInTimeRecoveryDescription", {})
        when = pitr.get("LatestRestorableDateTime")
        return pitr, when if isinstance(when, datetime) else None

    pitr, first = latest()
    if pitr.get("PointInTimeRecoveryStatus") != "ENABLED":
        raise DrillFailed("PITR is not enabled: there is nothing to restore from")
    time.sleep(POINT_MARGIN_SECONDS)  # the sample is strictly before the point, whatever the rounding
    point = bench.now()
    if first is None:
        raise DrillUnverifiable(f"DescribeContinuousBackups({table.name}) answered no LatestRestorableDateTime")
    lag = (point - first).total_seconds()
    if first >= point:
        return point, max(lag, 0.0)
    if bench.target.kind != "aws":  # an emulator: does its window move at all?
        time.sleep(FROZEN_PROBE_SECONDS)
        _, again = latest()
        if again is None or again <= first:
            raise DrillUnverifiable(
                f"DescribeContinuousBackups({table.name}) answered LatestRestorableDateTime {first.isoformat()} "
                f"({lag:.0f} s before the restore point) and the same again {FROZEN_PROBE_SECONDS:g} s later: "
                "the restorable window does not move here, so a restore as of a point in time cannot be "
                "shown (moto restores current data whatever the point)")
    bench.until(lambda: (latest()[1] or point) > point, max(rpo_limit * 1.5, 1.0),
                f"the restorable window of {table.name} to reach {point.isoformat()}")
    return point, lag


def deleted(bench: Bench, kind: str, table: TableSpec) -> Verdict:
    """"Deleted afterwards" as its own verdict: the run's restore table is gone (or going), and so is any
    other drill restore table of this table; a leftover FAILs, named."""
    own = bench.scope.restore_table(table.name, kind)

    def body(m: Sheet) -> None:
        client = bench.client()
        names = attempt("ListTables", lambda: [n for p in client.get_paginator("list_tables").paginate()
                                                for n in p.get("TableNames", [])])
        left = []
        for name in names:
            if name != own and not (bench.write_guard.is_restore_table(name, own=False)
                                    and name.startswith(f"{table.name}-restore-")):
                continue
            status = attempt(f"DescribeTable({name})", lambda n=name: client.describe_table(  # type: ignore[misc]
                TableName=n)["Table"].get("TableStatus"))
            if status != "DELETING":
                left.append(f"{name} ({status})")
        m.figures = [figure("restore_tables_left", len(left), "count", 0, "max")]
        if left:
            raise DrillFailed(f"restore tables left behind: {', '.join(left)}")
        m.reason = f"{own} is deleted (no restore table of {table.name} is left)"
    return bench.measure("drill.restore.deleted", C_RESTORE, f"{table.name} ({kind})", body)


def backup_rpo(bench: Bench, table: TableSpec) -> Verdict:
    """RPO of the hourly backups of one table: the age of its newest completed recovery point in every
    vault the contract requires (PROD's DR copy vault too), with the failed backup jobs of the last day
    named. Only reads, so it runs by default everywhere."""
    env = bench.desired.env
    limit = env.rpo_minutes.get("backup", 60) * 60
    vaults = [(env.region, env.backup.vault)]
    if env.backup.copy is not None:
        vaults.append((env.backup.copy.region, env.backup.copy.vault))

    def body(m: Sheet) -> None:
        m.figures = [figure(f"rpo_backup {vault}", None, "s", limit) for _, vault in vaults]
        if not bench.target.serves("backup"):
            raise DrillUnverifiable("it serves DynamoDB only: there is no AWS Backup vault to read")
        figures: list[dict[str, Any]] = []
        problems: list[str] = []
        for region, vault in vaults:
            points, jobs = vault_contents(bench, region, vault)
            mine = [p for p in points if str(p.get("ResourceArn", "")).endswith(f":table/{table.name}")]
            failed = sorted({f"{j.get('BackupJobId', '?')} ({j.get('State')}: "
                             f"{str(j.get('StatusMessage') or 'no message')[:120]})"
                             for j in jobs if str(j.get("ResourceArn", "")).endswith(f":table/{table.name}")})
            if failed:
                m.details.setdefault("failed_jobs", {})[vault] = failed
            newest = max((p["CreationDate"] for p in mine if p.get("Status") in (None, "COMPLETED")
                          and isinstance(p.get("CreationDate"), datetime)), default=None)
            age = None if newest is None else (bench.now() - newest).total_seconds()
            figures.append(figure(f"rpo_backup {vault}", age, "s", limit))
            figures.append(figure(f"recovery_points {vault}", len(mine), "count"))
            jobs_said = f"; failed jobs: {', '.join(failed[:3])}" if failed else ""
            if age is None:
                problems.append(f"{vault}@{region} holds no completed recovery point of {table.name}{jobs_said}")
            elif age > limit:
                problems.append(f"the newest recovery point of {table.name} in {vault}@{region} is "
                                f"{age / 60:.0f} min old > {limit / 60:g} min{jobs_said}")
        m.figures = figures
        if problems:
            raise DrillFailed("; ".join(problems))
        ages = [f["value"] for f in figures if f["name"].startswith("rpo_backup")]
        m.reason = (f"the newest recovery point in each of {len(vaults)} vault(s) is at most "
                    f"{max(ages) / 60:.1f} min old (RPO {limit / 60:g} min)")
    return bench.measure("drill.rpo.backup", C_RESTORE, table.name, body)


def vault_contents(bench: Bench, region: str, vault: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A vault's recovery points and its failed, aborted or expired jobs of the last day, read once per
    run (every table's RPO drill reads the same vault)."""
    with bench.lock:
        cached = bench.vaults.get((region, vault))
    if cached is not None:
        return cached
    backup = bench.target.client("backup", region)
    points = attempt(f"ListRecoveryPointsByBackupVault({vault})@{region}",
                      lambda: [p for page in backup.get_paginator("list_recovery_points_by_backup_vault")
                               .paginate(BackupVaultName=vault) for p in page.get("RecoveryPoints", [])])
    try:
        jobs = [j for page in backup.get_paginator("list_backup_jobs").paginate(
                    ByBackupVaultName=vault, ByCreatedAfter=datetime.now(UTC) - timedelta(days=1))
                for j in page.get("BackupJobs", []) if j.get("State") in ("FAILED", "ABORTED", "EXPIRED")]
    except Exception:  # the jobs only explain a stale recovery point; the points decide the verdict
        jobs = []
    with bench.lock:
        bench.vaults[(region, vault)] = (points, jobs)
    return points, jobs


def rehydration(bench: Bench, restored: str, table: TableSpec) -> list[str]:
    """What AWS does not restore and the contract wants: tags, stream, PITR, deletion protection, alarms."""
    client = bench.client()
    env = bench.desired.env
    gaps: list[str] = []
    desc = client.describe_table(TableName=restored)["Table"]
    if table.table.stream and not (desc.get("StreamSpecification") or {}).get("StreamEnabled"):
        gaps.append(f"stream {table.table.stream}")
    try:
        pitr = client.describe_continuous_backups(TableName=restored)["ContinuousBackupsDescription"]
        if env.pitr_enabled and pitr.get("PointInTimeRecoveryDescription", {}).get(
                "PointInTimeRecoveryStatus") != "ENABLED":
            gaps.append("PITR")
    except ClientError:
        gaps.append("PITR (not readable)")
    if env.deletion_protection and not desc.get("DeletionProtectionEnabled"):
        gaps.append("deletion protection")
    try:
        tags = {t["Key"] for t in client.list_tags_of_resource(ResourceArn=desc["TableArn"]).get("Tags", [])}
        missing = sorted(set(env.tags) - tags)
        if missing:
            gaps.append(f"tags ({', '.join(missing)})")
    except ClientError:
        gaps.append("tags (not readable)")
    gaps.append("alarms and dashboard rows (they name the source table)")
    gaps.append("backup selection (lists the source table's ARN)")
    return gaps
