"""Contract lint: the rules a reviewing DBA applies, beyond what JSON Schema can say.

Each rule catches a mistake the seeds actually made (BOOL index keys, a duplicate index,
mixed table names, no backup selection, ...). Rules are listed in :data:`RULES` and in contracts/README.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from readiness.contract.lint_aws import name_rules
from readiness.contract.lint_s3 import bucket_rules, template_rules
from readiness.contract.model import Contract, Environment, Problem, Table

KEY_TYPES = {"S", "N", "B"}
REQUIRED_TAGS = ("Environment", "Project", "Owner", "CostCenter", "ManagedBy", "BackupPolicy", "Component")
HOURLY = "cron(0 * * * ? *)"
MIN_RETENTION_DAYS = {"dev": 7, "sit": 14, "prod": 90}
GSI_NAME = re.compile(r"^[A-Z][A-Za-z0-9]*Index$")
TABLE_NAMING = "{table}-{env}"
JSON_TO_KEY_TYPE = {"string": "S", "number": "N", "integer": "N"}

RULES: dict[str, str] = {
    "key-attribute-type": "a table or index key attribute must be S, N or B (D5: no BOOL keys)",
    "undeclared-key-attribute": "every key attribute of the table and its indexes is declared under attributes",
    "unused-attribute": "attributes lists key attributes only (DynamoDB rejects unused definitions)",
    "key-not-in-item": "every key attribute exists in the item schema, with a matching type",
    "key-not-required": "the table's own key attributes are required by the item schema",
    "sparse-index": "an index marked sparse has a partition key the item schema does not require",
    "duplicate-index": "no two indexes of a table have the same keys and projection (D4)",
    "index-name": "index names follow <Purpose>Index and are unique per table (D4)",
    "projection": "INCLUDE lists non-key attributes of the item schema; other projections list none",
    "unused-index": "every index serves at least one access pattern",
    "unserved-access-pattern": "every access pattern names the table or an index whose keys serve it",
    "table-naming": "tables are named {table}-{env} in every environment (D2)",
    "environment-tables": "every environment deploys every table of the contract, and only those (D1)",
    "on-demand": "capacity is PAY_PER_REQUEST (D6)",
    "pitr": "PITR is enabled in every environment (D7)",
    "stream": "every table streams NEW_AND_OLD_IMAGES (D8)",
    "ttl": "a TTL attribute is a number in the item schema",
    "encryption": "SSE-KMS: AWS-managed key in dev/sit, a customer-managed key (alias, rotation) in prod (D9)",
    "deletion-protection": "deletion protection is on in prod and only there (D10)",
    "backup-vault": "the vault is bbws-dynamodb-backup-vault-{env} (D11)",
    "backup-schedule": "the plan runs hourly: cron(0 * * * ? *) (D11)",
    "backup-retention": "retention is at least dev 7 / sit 14 / prod 90 days (D11)",
    "backup-selection": "the backup selection covers every table of the environment (D11)",
    "backup-copy": "prod copies backups to another region; other environments do not (D11)",
    "replication": "prod is a global table replicated to another region; others are not (D13)",
    "alarm-threshold": "the replication lag alarm fires at the contract's lag_alarm_seconds (D13)",
    "tags": "the seven LLD tags are present and Environment names the environment (D15)",
    "account": "every environment has its own AWS account (D12)",
    "recovery": "the RPO of PITR is not looser than the RPO of the hourly backup",
    "bucket-naming": "buckets are named bbws-{purpose}-{env}: valid S3 names, unique across environments (004 5.3.2)",
    "bucket-environments": "a bucket names every environment of the contract, and only those",
    "bucket-versioning": "versioning is enabled (004 4.3); lifecycle and replication need it",
    "bucket-encryption": "SSE-S3 (AES-256) as the LLD specifies (004 4.3)",
    "bucket-public-access": "all four public access blocks are on (004 4.3)",
    "bucket-object-lock": "object lock is not enabled (004 4.3)",
    "bucket-lifecycle": "noncurrent versions are kept 90 days (004 4.3)",
    "bucket-logging": "access logs go to a separate bucket (004 4.3)",
    "bucket-replication": "prod replicates to its DR region, to a bucket of its own; others do not (004 7.2)",
    "bucket-tags": "the LLD tags with Component s3, the environment's Project/Owner/CostCenter/ManagedBy (004 5.3.3)",
    "template-bucket": "the template catalogue names a bucket of the contract",
    "template-keys": "the catalogue holds the LLD's twelve keys, once each (004 4.2.3)",
    "template-variables": "a variables contract is an object schema: additionalProperties false, every property "
                          "required, the legal footer's variables required",
    "dashboard-widgets": "widget titles are unique: the dashboard check finds each widget by its title",
    "aws-name": "every name the contract gives AWS fits that service's length and character rules",
    "region": "every region is one where AWS offers the service (botocore's endpoint data)",
}


def _item_props(table: Table) -> Mapping[str, Any]:
    props = table.item_schema.get("properties", {})
    return props if isinstance(props, Mapping) else {}


def _item_type(prop: Any) -> str | None:
    """The DynamoDB scalar type an item-schema property maps to (None when it is not S/N)."""
    if not isinstance(prop, Mapping):
        return None
    kind = prop.get("type")
    if kind is None and ("const" in prop or "enum" in prop):
        values = [prop["const"]] if "const" in prop else list(prop.get("enum") or [])
        kinds = {"string" if isinstance(v, str) else "boolean" if isinstance(v, bool) else "number" for v in values}
        kind = kinds.pop() if len(kinds) == 1 else None
    return JSON_TO_KEY_TYPE.get(kind) if isinstance(kind, str) else "BOOL" if kind == "boolean" else None


def _table_rules(t: Table) -> Iterator[Problem]:
    f = t.file
    keys: list[tuple[str, str]] = [("/keys/partition", t.partition.attribute)]
    if t.sort:
        keys.append(("/keys/sort", t.sort.attribute))
    for where, key in (("/keys/partition", t.partition), ("/keys/sort", t.sort)):
        if key is None:
            continue
        if key.type not in KEY_TYPES:
            yield Problem(f, f"{where}/type", "key-attribute-type",
                          f"{key.attribute} is {key.type}; key attributes must be S, N or B")
        declared = t.attributes.get(key.attribute)
        if declared is not None and declared != key.type:
            yield Problem(f, f"{where}/type", "key-attribute-type",
                          f"{key.attribute} is {key.type} here but {declared} under attributes")
    for i, g in enumerate(t.gsis):
        keys.append((f"/global_secondary_indexes/{i}/partition_key", g.partition_key))
        if g.sort_key:
            keys.append((f"/global_secondary_indexes/{i}/sort_key", g.sort_key))

    props = _item_props(t)
    required = set(t.item_schema.get("required", []) or [])
    key_attrs = {a for _, a in keys}
    for where, attr in keys:
        declared = t.attributes.get(attr)
        if declared is None:
            yield Problem(f, where, "undeclared-key-attribute",
                          f"{attr} is used as a key but not declared under attributes")
        elif declared not in KEY_TYPES:
            yield Problem(f, f"/attributes/{attr}", "key-attribute-type",
                          f"{attr} is {declared}; key attributes must be S, N or B (a boolean cannot be an index key)")
        if attr not in props:
            yield Problem(f, where, "key-not-in-item", f"{attr} is not a property of {t.item_schema_file}")
        else:
            item_type = _item_type(props[attr])
            if declared in KEY_TYPES and item_type != declared:
                yield Problem(f, where, "key-not-in-item",
                              f"{attr} is {declared} here but {item_type or 'not a scalar'} in {t.item_schema_file}")
    for attr in t.attributes:
        if attr not in key_attrs:
            yield Problem(f, f"/attributes/{attr}", "unused-attribute",
                          f"{attr} is declared but keys neither the table nor an index")
    for key in (t.partition, t.sort):
        if key is not None and key.attribute in props and key.attribute not in required:
            yield Problem(f, "/keys", "key-not-required", f"{t.item_schema_file} must require {key.attribute}")

    seen_names: dict[str, int] = {}
    seen_shapes: dict[tuple[Any, ...], str] = {}
    for i, g in enumerate(t.gsis):
        where = f"/global_secondary_indexes/{i}"
        if not GSI_NAME.match(g.name):
            yield Problem(f, f"{where}/name", "index-name", f"{g.name} does not follow <Purpose>Index")
        if g.name in seen_names:
            yield Problem(f, f"{where}/name", "index-name", f"{g.name} is defined twice")
        seen_names[g.name] = i
        shape = (g.partition_key, g.sort_key, g.projection, tuple(sorted(g.non_key_attributes)))
        if shape in seen_shapes:
            yield Problem(f, where, "duplicate-index",
                          f"{g.name} has the same keys and projection as {seen_shapes[shape]}")
        else:
            seen_shapes[shape] = g.name
        if g.projection == "INCLUDE" and not g.non_key_attributes:
            yield Problem(f, f"{where}/projection", "projection", "INCLUDE needs non_key_attributes")
        if g.projection != "INCLUDE" and g.non_key_attributes:
            yield Problem(f, f"{where}/projection", "projection", f"{g.projection} takes no non_key_attributes")
        for attr in g.non_key_attributes:
            if attr not in props:
                yield Problem(f, f"{where}/projection", "projection",
                              f"{attr} is not a property of {t.item_schema_file}")
        if g.sparse and g.partition_key in required:
            yield Problem(f, where, "sparse-index",
                          f"{g.name} is sparse but {t.item_schema_file} requires {g.partition_key} on every item")
        if not any(a.index == g.name for a in t.access_patterns):
            yield Problem(f, where, "unused-index", f"{g.name} serves no access pattern")

    indexes = {g.name: (g.partition_key, g.sort_key) for g in t.gsis}
    indexes["table"] = (t.partition.attribute, t.sort.attribute if t.sort else None)
    for i, a in enumerate(t.access_patterns):
        where = f"/access_patterns/{i}"
        served = indexes.get(a.index)
        if served is None:
            yield Problem(f, f"{where}/index", "unserved-access-pattern",
                          f"{a.name!r} names {a.index}, which is neither 'table' nor an index of {t.name}")
        elif served[0] != a.partition_key or (a.sort_key is not None and served[1] != a.sort_key):
            yield Problem(f, where, "unserved-access-pattern",
                          f"{a.name!r} queries by {a.partition_key}/{a.sort_key or '-'} "
                          f"but {a.index} is keyed {served[0]}/{served[1] or '-'}")

    if t.stream != "NEW_AND_OLD_IMAGES":
        yield Problem(f, "/stream", "stream", f"stream is {t.stream}; every table streams NEW_AND_OLD_IMAGES")
    if t.ttl_enabled:
        if not t.ttl_attribute:
            yield Problem(f, "/ttl", "ttl", "TTL is enabled without an attribute")
        elif _item_type(props.get(t.ttl_attribute)) != "N":
            yield Problem(f, "/ttl/attribute", "ttl", f"{t.ttl_attribute} must be a number (epoch seconds)")


def _environment_rules(c: Contract, e: Environment) -> Iterator[Problem]:
    f = e.file
    if e.table_naming != TABLE_NAMING:
        yield Problem(f, "/naming/table", "table-naming", f"{e.table_naming!r} must be {TABLE_NAMING!r}")
    for i, name in enumerate(e.tables):
        if name not in c.tables:
            yield Problem(f, f"/tables/{i}", "environment-tables", f"no table {name!r} in contracts/tables/")
    for name in sorted(set(c.tables) - set(e.tables)):
        yield Problem(f, "/tables", "environment-tables", f"table {name!r} is in the contract but not deployed here")
    if len(set(e.tables)) != len(e.tables):
        yield Problem(f, "/tables", "environment-tables", "a table is listed twice")
    if e.billing_mode != "PAY_PER_REQUEST":
        yield Problem(f, "/capacity/billing_mode", "on-demand", f"{e.billing_mode}; every table is PAY_PER_REQUEST")
    if not e.pitr_enabled:
        yield Problem(f, "/pitr/enabled", "pitr", "PITR must be enabled")
    is_prod = e.name == "prod"
    want_kind = "customer-managed" if is_prod else "aws-managed"
    if e.encryption_kind != want_kind:
        yield Problem(f, "/encryption/kind", "encryption", f"{e.name} uses a {want_kind} key, not {e.encryption_kind}")
    if e.encryption_kind == "customer-managed" and not e.key_alias:
        yield Problem(f, "/encryption", "encryption", "a customer-managed key needs key_alias")
    if e.encryption_kind == "customer-managed" and not e.key_rotation:
        yield Problem(f, "/encryption/rotation", "encryption", "a customer-managed key rotates yearly")
    if e.encryption_kind == "aws-managed" and e.key_alias:
        yield Problem(f, "/encryption/key_alias", "encryption", "an AWS-managed key takes no key_alias")
    if e.deletion_protection != is_prod:
        yield Problem(f, "/deletion_protection", "deletion-protection",
                      "prod must have deletion protection" if is_prod else "deletion protection is for prod only")
    for tag in REQUIRED_TAGS:
        if tag not in e.tags:
            yield Problem(f, "/tags", "tags", f"required tag {tag} is missing")
    if e.tags.get("Environment") not in (None, e.name):
        yield Problem(f, "/tags/Environment", "tags", f"Environment tag is {e.tags['Environment']!r}, not {e.name!r}")

    b = e.backup
    if b.vault != f"bbws-dynamodb-backup-vault-{e.name}":
        yield Problem(f, "/backup/vault", "backup-vault", f"{b.vault} must be bbws-dynamodb-backup-vault-{e.name}")
    if b.schedule != HOURLY:
        yield Problem(f, "/backup/schedule", "backup-schedule", f"{b.schedule} is not hourly ({HOURLY})")
    minimum = MIN_RETENTION_DAYS.get(e.name, 1)
    if b.retention_days < minimum:
        yield Problem(f, "/backup/retention_days", "backup-retention",
                      f"{b.retention_days} days is below the {e.name} minimum of {minimum}")
    for name in sorted(set(e.tables) - set(b.selection_tables)):
        yield Problem(f, "/backup/selection/tables", "backup-selection", f"table {name!r} is not backed up")
    for name in sorted(set(b.selection_tables) - set(e.tables)):
        yield Problem(f, "/backup/selection/tables", "backup-selection", f"{name!r} is not a table of {e.name}")
    if is_prod and b.copy is None:
        yield Problem(f, "/backup/copy", "backup-copy", "prod copies every backup to the DR region")
    if b.copy is not None:
        if not is_prod:
            yield Problem(f, "/backup/copy", "backup-copy", "cross-region copy is for prod only")
        if b.copy.region == e.region:
            yield Problem(f, "/backup/copy/region", "backup-copy", "the copy must go to another region")
        if b.copy.retention_days < b.retention_days:
            yield Problem(f, "/backup/copy/retention_days", "backup-copy",
                          "the DR copy is kept at least as long as the primary backup")

    r = e.replication
    if is_prod and r is None:
        yield Problem(f, "/replication", "replication", "prod is a global table with a DR replica")
    if r is not None:
        if not is_prod:
            yield Problem(f, "/replication", "replication", "replicas are for prod only")
        if e.region in r.regions:
            yield Problem(f, "/replication/regions", "replication", f"{e.region} is the primary region")
        lag_alarm = next((a for a in c.monitoring.alarms if a.scope == "replica"), None)
        if lag_alarm is None:
            yield Problem(c.monitoring.file, "/alarms", "alarm-threshold", "no replication lag alarm")
        elif lag_alarm.threshold != r.lag_alarm_seconds * 1000:
            yield Problem(c.monitoring.file, "/alarms", "alarm-threshold",
                          f"{lag_alarm.id} fires at {lag_alarm.threshold:g} ms, the contract says "
                          f"{r.lag_alarm_seconds:g} s ({e.file})")
    if e.rpo_minutes.get("pitr", 0) > e.rpo_minutes.get("backup", 0):
        yield Problem(f, "/recovery/rpo_minutes", "recovery", "PITR's RPO is looser than the hourly backup's")


def _contract_rules(c: Contract) -> Iterator[Problem]:
    titles: dict[str, int] = {}
    for i, w in enumerate(c.monitoring.widgets):
        if w.title in titles:
            yield Problem(c.monitoring.file, f"/dashboard/widgets/{i}/title", "dashboard-widgets",
                          f"{w.title!r} is also the title of widget {titles[w.title]}")
        titles.setdefault(w.title, i)
    accounts: dict[str, str] = {}
    for e in sorted(c.environments.values(), key=lambda e: e.name):
        if e.account in accounts:
            yield Problem(e.file, "/account", "account", f"{e.account} is already the {accounts[e.account]} account")
        accounts[e.account] = e.name
    for name, t in c.tables.items():
        for e in c.environments.values():
            try:
                physical = e.table_name(name)
            except (KeyError, IndexError, ValueError):
                continue  # a malformed naming pattern is reported by table-naming at /naming/table
            if not 3 <= len(physical) <= 255:
                yield Problem(t.file, "/name", "table-naming", f"{physical} is not 3-255 characters")



def lint_contract(contract: Contract) -> list[Problem]:
    """Every rule over every table and environment; an empty list means the contract is clean."""
    problems: list[Problem] = []
    for table in contract.tables.values():
        problems.extend(_table_rules(table))
    for env in contract.environments.values():
        problems.extend(_environment_rules(contract, env))
    problems.extend(_contract_rules(contract))
    for bucket in contract.buckets.values():
        problems.extend(bucket_rules(contract, bucket))
    problems.extend(template_rules(contract))
    problems.extend(name_rules(contract))
    return sorted(set(problems))
