"""Build the typed model from the schema-valid contract files; :func:`load_contract` also lints it."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from readiness.contract.lint import lint_contract
from readiness.contract.model import (
    AccessPattern,
    AlarmDef,
    Backup,
    BackupCopy,
    Bucket,
    BucketReplication,
    Contract,
    ContractError,
    Environment,
    Gsi,
    KeyAttr,
    LoadProfile,
    Monitoring,
    MonitoringDefs,
    Problem,
    Replication,
    Table,
    TemplateCatalogue,
    TemplateDef,
    WidgetDef,
)
from readiness.contract.reading import (
    UNREADABLE,
    load_schema,
    pointer,
    read_json,
    read_yaml,
    rel_path,
    schema_error,
    schema_problems,
    shorten,
    valid_documents,
)

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "contracts"


def _table(rel: str, doc: Mapping[str, Any], item_schema: Mapping[str, Any]) -> Table:
    keys = doc["keys"]
    sort = keys.get("sort")
    return Table(
        name=doc["name"], file=rel, description=doc["description"], item_schema_file=doc["item_schema"],
        item_schema=item_schema,
        partition=KeyAttr(**keys["partition"]),
        sort=KeyAttr(**sort) if sort else None,
        attributes=dict(doc["attributes"]),
        gsis=tuple(Gsi(name=g["name"], partition_key=g["partition_key"], sort_key=g.get("sort_key"),
                       projection=g["projection"]["type"],
                       non_key_attributes=tuple(g["projection"].get("non_key_attributes", ())),
                       sparse=bool(g.get("sparse", False)))
                   for g in doc["global_secondary_indexes"]),
        access_patterns=tuple(AccessPattern(name=a["name"], index=a["index"], partition_key=a["partition_key"],
                                            sort_key=a.get("sort_key"), consumer=a["consumer"])
                              for a in doc["access_patterns"]),
        stream=doc["stream"], ttl_enabled=doc["ttl"]["enabled"], ttl_attribute=doc["ttl"].get("attribute"),
    )


def _environment(rel: str, doc: Mapping[str, Any]) -> Environment:
    repl = doc["replication"]
    backup = doc["backup"]
    copy = backup["copy"]
    enc = doc["encryption"]
    return Environment(
        name=doc["name"], file=rel, account=doc["account"], region=doc["region"],
        table_naming=doc["naming"]["table"], tables=tuple(doc["tables"]),
        billing_mode=doc["capacity"]["billing_mode"],
        pitr_enabled=doc["pitr"]["enabled"], pitr_recovery_period_days=doc["pitr"]["recovery_period_days"],
        encryption_kind=enc["kind"], key_alias=enc.get("key_alias"), key_rotation=bool(enc.get("rotation", False)),
        deletion_protection=doc["deletion_protection"],
        replication=Replication(regions=tuple(repl["regions"]), global_table_version=repl["global_table_version"],
                                lag_p99_seconds=repl["lag_p99_seconds"],
                                lag_alarm_seconds=repl["lag_alarm_seconds"]) if repl else None,
        tags=dict(doc["tags"]),
        backup=Backup(vault=backup["vault"], plan=backup["plan"], rule=backup["rule"],
                      schedule=backup["schedule"], retention_days=backup["retention_days"],
                      selection=backup["selection"]["name"],
                      selection_tables=tuple(backup["selection"]["tables"]), iam_role=backup["iam_role"],
                      copy=BackupCopy(**copy) if copy else None),
        monitoring=Monitoring(**doc["monitoring"]),
        rpo_minutes=dict(doc["recovery"]["rpo_minutes"]), rto_minutes=doc["recovery"]["rto_minutes"],
        load={k: v for k, v in doc["load"].items() if k != "local"},
        load_live=_load_profile(doc["load"]), load_local=_load_profile(doc["load"]["local"]),
    )


def _load_profile(doc: Mapping[str, Any]) -> LoadProfile:
    return LoadProfile(writes_per_second=doc["writes_per_second"], reads_per_second=doc["reads_per_second"],
                       duration_seconds=doc["duration_seconds"], p99_latency_ms=doc["p99_latency_ms"])


def _monitoring(rel: str, doc: Mapping[str, Any]) -> MonitoringDefs:
    return MonitoringDefs(
        file=rel,
        alarms=tuple(AlarmDef(id=a["id"], plan=a["plan"], scope=a["scope"], namespace=a["namespace"],
                              metric=a["metric"], operations=tuple(a.get("operations", ())),
                              statistic=a["statistic"], period_seconds=a["period_seconds"],
                              evaluation_periods=a["evaluation_periods"], comparison=a["comparison"],
                              threshold=float(a["threshold"]), notify=a["notify"], severity=a["severity"])
                     for a in doc["alarms"]),
        cost_anomaly_percent=float(doc["cost_anomaly"]["threshold_percent"]),
        cost_anomaly_notify=doc["cost_anomaly"]["notify"],
        widgets=tuple(WidgetDef(title=w["title"], kind=w["kind"], scope=w.get("scope"),
                                namespace=w.get("namespace"), metrics=tuple(w.get("metrics", ())))
                      for w in doc["dashboard"]["widgets"]),
    )


def _bucket(rel: str, doc: Mapping[str, Any]) -> Bucket:
    logging = doc["access_logging"]
    return Bucket(
        name=doc["name"], file=rel, bucket_naming=doc["bucket"], description=doc["description"],
        versioning=doc["versioning"], encryption=doc["encryption"],
        public_access_block=dict(doc["public_access_block"]), object_lock=doc["object_lock"],
        noncurrent_version_expiration_days=doc["lifecycle"]["noncurrent_version_expiration_days"],
        logging_naming=logging["bucket"] if logging else None, logging_prefix=logging["prefix"] if logging else "",
        content=doc["content"],
        replication={env: BucketReplication(**r) if r else None for env, r in doc["replication"].items()},
        tags=dict(doc["tags"]),
    )


def variables_file(key: str) -> str:
    """Where a template's variables contract lives, relative to contracts/."""
    return f"template-variables/{key[: -len('.html')]}.schema.json"


def _catalogue(root: Path, schema: Mapping[str, Any], problems: list[Problem]) -> TemplateCatalogue | None:
    path = root / "templates.yaml"
    rel = rel_path(root, path)
    if not path.is_file():
        problems.append(Problem(rel, "/", "missing-file", "the email template catalogue is not defined"))
        return None
    doc = read_yaml(root, path, problems)
    found = [] if doc is UNREADABLE else schema_problems(rel, doc, schema)
    problems.extend(found)
    if found or doc is None or doc is UNREADABLE:
        return None
    templates: list[TemplateDef] = []
    for i, t in enumerate(doc["templates"]):
        var_rel = variables_file(t["key"])
        var_path = root / var_rel
        if not var_path.is_file():
            problems.append(Problem(rel, f"/templates/{i}/key", "missing-file", f"{rel_path(root, var_path)}"
                                    f" (the variables contract of {t['key']}) does not exist"))
            continue
        variables = read_json(root, var_path, problems)
        if not isinstance(variables, Mapping):
            if variables is not None:
                problems.append(Problem(rel_path(root, var_path), "/", "schema",
                                        "a variables contract is a JSON object"))
            continue
        exc = schema_error(variables)
        if exc is not None:
            problems.append(Problem(rel_path(root, var_path), pointer(exc.absolute_path), "variables-schema",
                                    shorten(exc.message)))
            continue
        templates.append(TemplateDef(key=t["key"], audience=t["audience"], category=t["category"],
                                     purpose=t["purpose"], variables_file=rel_path(root, var_path),
                                     variables=variables))
    b, legal = doc["branding"], doc["legal"]
    return TemplateCatalogue(file=rel, bucket=doc["bucket"], brand_name=b["name"], colors=dict(b["colors"]),
                             logo_alt=b["logo_alt"], company=legal["company"],
                             footer_variables=tuple(legal["footer_variables"]),
                             unsubscribe_variable=legal["unsubscribe_variable"], templates=tuple(templates))


def parse_contract(root: Path | str | None = None) -> tuple[Contract | None, list[Problem]]:
    """Read and schema-validate every contract file. Returns the model (None if unusable) and the problems."""
    root = Path(root) if root is not None else DEFAULT_ROOT
    problems: list[Problem] = []
    if not root.is_dir():
        problems.append(Problem(str(root), "/", "missing-file", "contract directory not found"))
        return None, problems
    schemas = {n: load_schema(root, f"{n}.schema.json", problems)
               for n in ("table", "environment", "monitoring", "bucket", "templates")}
    if problems:
        return None, problems

    tables: dict[str, Table] = {}
    for rel, doc in valid_documents(root, "tables", schemas["table"] or {}, problems):
        if doc["name"] in tables:
            problems.append(Problem(rel, "/name", "duplicate-table", f"table {doc['name']!r} is defined twice"))
            continue
        item_path = root / "items" / doc["item_schema"]
        item_rel = rel_path(root, item_path)
        if not item_path.is_file():
            problems.append(Problem(rel, "/item_schema", "missing-file", f"{item_rel} does not exist"))
            continue
        item = read_json(root, item_path, problems)
        if not isinstance(item, Mapping):
            if item is not None:
                problems.append(Problem(item_rel, "/", "schema", "an item schema must be a JSON object"))
            continue
        exc = schema_error(item)
        if exc is not None:
            problems.append(Problem(item_rel, pointer(exc.absolute_path), "item-schema", shorten(exc.message)))
            continue
        tables[doc["name"]] = _table(rel, doc, item)

    environments = {doc["name"]: _environment(rel, doc)
                    for rel, doc in valid_documents(root, "environments", schemas["environment"] or {}, problems)}

    monitoring: MonitoringDefs | None = None
    mon_path = root / "monitoring.yaml"
    mon_rel = rel_path(root, mon_path)
    if not mon_path.is_file():
        problems.append(Problem(mon_rel, "/", "missing-file", "the alarm set and dashboard are not defined"))
    else:
        doc = read_yaml(root, mon_path, problems)
        found = [] if doc is UNREADABLE else schema_problems(mon_rel, doc, schemas["monitoring"] or {})
        problems.extend(found)
        if not found and doc is not None and doc is not UNREADABLE:
            monitoring = _monitoring(mon_rel, doc)

    buckets = {doc["name"]: _bucket(rel, doc)
               for rel, doc in valid_documents(root, "buckets", schemas["bucket"] or {}, problems)}
    catalogue = _catalogue(root, schemas["templates"] or {}, problems)

    if monitoring is None or catalogue is None or problems:
        return None, problems
    return Contract(root=root, tables=tables, environments=environments, monitoring=monitoring,
                    buckets=buckets, templates=catalogue), problems


def load_contract(root: Path | str | None = None, *, lint: bool = True) -> Contract:
    """The contract, schema-valid and (by default) lint-clean, or ContractError."""
    contract, problems = parse_contract(root)
    if contract is not None and lint:
        problems.extend(lint_contract(contract))
    if problems or contract is None:
        raise ContractError(problems)
    return contract
