"""Terraform under terraform/: rendered input, formatting, and the wiring from contract to resource.

- staleness: each environment's committed ``contract.tfvars.json`` equals
  ``readiness.contract.tfvars.render()``; one edit in a copy of contracts/ makes ``stale()`` name that env.
- ``terraform fmt -check -recursive terraform`` passes.
- wiring: parsed with python-hcl2, every contract field reaches the resource argument it must set
  (module HCL sets the argument from the expected variable path, the one stack root passes the
  rendered variable into that module input, and the rendered value equals the contract's). A copy
  of the HCL with one argument deleted or miswired fails naming the field.
- the rendered tfvars satisfy every variable type and validation block: ``terraform plan`` of the
  stack with each environment's var file against provider-free stubs of the modules (runs offline;
  the AWS provider cannot be downloaded here, so ``validate``/``plan`` of the real configuration
  cannot run).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from contract_copy import yaml_doc

from readiness.contract.desired import Desired, desired_state
from readiness.contract.loading import load_contract
from readiness.contract.model import Contract, ContractError
from readiness.contract.tfvars import FILE_NAME, dumps, path_of, render, stale, write_all

try:
    import hcl2
except ImportError:  # pragma: no cover - the test extra installs it
    hcl2 = None

REPO = Path(__file__).resolve().parent.parent
TERRAFORM = REPO / "terraform"
ENVS = ("dev", "sit", "prod")
MODULES = ("dynamodb_table", "backup", "monitoring", "kms", "s3_bucket")
# replica.deletion_protection_enabled arrived in AWS provider 6.9.0 (ADR 0064)
AWS_PROVIDER = '"~> 6.9"'
TERRAFORM_BIN = shutil.which("terraform")

needs_terraform = pytest.mark.skipif(
    TERRAFORM_BIN is None and not os.environ.get("CI"),
    reason="the terraform binary is not on PATH (CI always has it)")
needs_hcl2 = pytest.mark.skipif(
    hcl2 is None and not os.environ.get("CI"),
    reason="python-hcl2 is not installed (pip install -e '.[test]'; CI always has it)")


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract()


# ============================================================================ staleness


@pytest.mark.parametrize("env", ENVS)
def test_committed_tfvars_equal_the_contract(contract: Contract, env: str) -> None:
    path = path_of(env)
    assert path.is_file(), f"{path.relative_to(REPO)} is missing: run python -m readiness render-tfvars"
    assert path.read_text(encoding="utf-8") == dumps(render(contract, env)), (
        f"{path.relative_to(REPO)} is stale: run python -m readiness render-tfvars")


def test_nothing_is_stale(contract: Contract) -> None:
    assert stale(contract) == []


def test_an_edited_contract_makes_that_environment_stale(contracts: Path) -> None:
    with yaml_doc(contracts, "environments/sit.yaml") as doc:
        assert doc["backup"]["retention_days"] == 14
        doc["backup"]["retention_days"] = 21
    edited = load_contract(contracts)
    assert stale(edited) == ["sit"]
    assert render(edited, "sit")["backup"]["retention_days"] == 21


def test_an_edited_table_makes_every_environment_stale(contracts: Path) -> None:
    with yaml_doc(contracts, "tables/orders.yaml") as doc:
        doc["global_secondary_indexes"][2]["projection"] = {"type": "ALL"}
    assert stale(load_contract(contracts)) == list(sorted(ENVS))


def test_write_all_then_nothing_is_stale(contract: Contract, tmp_path: Path) -> None:
    written = write_all(contract, tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written] == [f"{e}/{FILE_NAME}" for e in sorted(ENVS)]
    assert stale(contract, tmp_path) == []
    text = written[0].read_text(encoding="utf-8")
    assert text.endswith("}\n") and json.loads(text) == render(contract, "dev")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_missing_edited_or_orphan_files_are_stale(contract: Contract, tmp_path: Path) -> None:
    write_all(contract, tmp_path)
    (tmp_path / "dev" / FILE_NAME).unlink()
    prod = tmp_path / "prod" / FILE_NAME
    prod.write_text(prod.read_text(encoding="utf-8").replace('"retention_days": 90', '"retention_days": 30', 1),
                    encoding="utf-8")
    (tmp_path / "qa").mkdir()
    (tmp_path / "qa" / FILE_NAME).write_text("{}\n", encoding="utf-8")
    assert stale(contract, tmp_path) == ["dev", "prod", "qa"]


def test_more_than_one_dr_region_is_a_contract_problem(contracts: Path) -> None:
    with yaml_doc(contracts, "environments/prod.yaml") as doc:
        doc["backup"]["copy"]["region"] = "eu-central-1"
    with pytest.raises(ContractError) as raised:
        render(load_contract(contracts), "prod")
    assert [p.rule for p in raised.value.problems] == ["terraform-dr-region"]
    assert "eu-central-1, eu-west-1" in str(raised.value)


def test_render_is_the_desired_state(contract: Contract) -> None:
    """Spot checks of values the engine derives (names, DR region, alarm ARNs in the dashboard)."""
    prod = render(contract, "prod")
    assert prod["region"] == "af-south-1" and prod["dr_region"] == "eu-west-1"
    assert prod["encryption"] == {"kind": "customer-managed", "key_alias": "alias/bbws-dynamodb-prod", "rotation": True}
    assert prod["tables"]["orders"]["replica_regions"] == ["eu-west-1"]
    sit = render(contract, "sit")
    assert sit["dr_region"] is None and sit["backup"]["copy"] is None
    assert sit["encryption"]["key_alias"] == "alias/aws/dynamodb"
    desired = desired_state(contract, "sit")
    body = json.loads(sit["monitoring"]["dashboard"]["body"])
    assert body["widgets"][0]["properties"]["alarms"][0] == (
        f"arn:aws:cloudwatch:eu-west-1:815856636111:alarm:{desired.alarms[0].name}")
    math = next(a for a in sit["monitoring"]["alarms"] if a["metric_queries"])
    assert math["metric_name"] is None and math["metric_queries"][0]["expression"] == "SUM(METRICS())"
    assert sum(q["metric"] is not None for q in math["metric_queries"]) == 10


# ============================================================================ terraform fmt


def _terraform(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    if TERRAFORM_BIN is None:
        pytest.fail("terraform is not on PATH (CI must have it)")
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"}
    return subprocess.run([TERRAFORM_BIN, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          check=False)


@needs_terraform
def test_terraform_fmt() -> None:
    result = _terraform("fmt", "-check", "-recursive", "-no-color", "terraform", cwd=REPO)
    assert result.returncode == 0, f"terraform fmt would change:\n{result.stdout}{result.stderr}"


# ============================================================================ parsing HCL


def _expr(value: Any) -> Any:
    """python-hcl2 8 values as HCL source: `${x}` -> `x`, a string literal keeps its quotes, spacing squeezed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}"):
            value = value[2:-1]
        return value if value.startswith('"') else _squeeze(value)
    if isinstance(value, list):
        return [_expr(v) for v in value]
    if isinstance(value, dict):
        return {_label(k): _expr(v) for k, v in value.items() if not k.startswith("__")}
    return value


def _squeeze(expression: str) -> str:
    """`for a in x : a.name => a` -> `for a in x:a.name=>a`: spaces only between two words."""
    return re.sub(r"\s*([^\w\s])\s*", r"\1", re.sub(r"\s+", " ", expression.strip()))


def _label(key: str) -> str:
    key = key[2:-1] if key.startswith("${") and key.endswith("}") else key
    return key[1:-1] if key.startswith('"') and key.endswith('"') else key


def _tree(node: Any) -> Any:
    """Blocks as nested dicts keyed by label (`resource aws_dynamodb_table this ...`), attributes via _expr."""
    if isinstance(node, dict):
        if not node.get("__is_block__") and not any(isinstance(v, dict | list) for v in node.values()):
            return _expr(node)
        out: dict[str, Any] = {}
        for k, v in node.items():
            if k.startswith("__"):
                continue
            key = _label(k)
            if isinstance(v, list) and v and all(isinstance(x, dict) for x in v) and (
                    all(x.get("__is_block__") for x in v) or not any(x.get("__is_block__") for x in v)):
                blocks = [_tree(x) for x in v]
                labelled = not any(x.get("__is_block__") for x in v)
                if labelled:
                    merged: dict[str, Any] = {}
                    for b in blocks:
                        _merge(merged, b, key)
                    out[key] = merged
                else:
                    out[key] = blocks[0] if len(blocks) == 1 else blocks
            elif isinstance(v, dict) and not v.get("__is_block__"):
                out[key] = _tree(v) if any(isinstance(x, dict) and x.get("__is_block__") for x in v.values()) \
                    else _expr(v)
            else:
                out[key] = _tree(v) if isinstance(v, dict) else _expr(v)
        return out
    return _expr(node)


def _merge(into: dict[str, Any], block: dict[str, Any], kind: str) -> None:
    for label, body in block.items():
        if kind == "provider" and isinstance(body, dict) and "alias" in body and "." not in label:
            label = f"{label}.{body['alias'].strip(chr(34))}"
        if label in into and isinstance(into[label], dict) and isinstance(body, dict):
            _merge(into[label], body, "")
        else:
            into[label] = body


def load_hcl(directory: Path) -> dict[str, Any]:
    """Every *.tf of one directory, merged."""
    assert hcl2 is not None, "python-hcl2 is required"
    merged: dict[str, Any] = {}
    for path in sorted(directory.glob("*.tf")):
        tree = _tree({**hcl2.loads(path.read_text(encoding="utf-8")), "__is_block__": True})
        for kind, body in tree.items():
            if kind in merged and isinstance(merged[kind], dict) and isinstance(body, dict):
                _merge(merged[kind], body, kind)
            else:
                merged[kind] = body
    return merged


_MISSING = object()


def lookup(tree: Any, path: str) -> Any:
    """`resource aws_dynamodb_table this point_in_time_recovery enabled` -> the normalised value."""
    node = tree
    for step in path.split():
        if not isinstance(node, dict) or step not in node:
            return _MISSING
        node = node[step]
    return node


# ============================================================================ the wiring


@dataclass(frozen=True)
class Wire:
    """One contract field: the HCL that carries it and the rendered value it must carry.

    ``hcl`` maps "<dir> <path>" (dir relative to terraform/, `ROOT` for the stack root) to the
    HCL expression that argument must have; ``values`` yields (where, rendered, from the contract).
    """

    field: str
    hcl: dict[str, Any]
    values: Callable[[dict[str, Any], Desired], Iterator[tuple[str, Any, Any]]]


def _per_table(fn: Callable[[dict[str, Any], Any], tuple[Any, Any]]) -> Callable[..., Iterator[tuple[str, Any, Any]]]:
    def values(tfvars: dict[str, Any], desired: Desired) -> Iterator[tuple[str, Any, Any]]:
        assert sorted(tfvars["tables"]) == sorted(t.logical for t in desired.tables)
        for spec in desired.tables:
            got, want = fn(tfvars["tables"][spec.logical], spec)
            yield f"tables.{spec.logical}", got, want
    return values


def _gsis(key: str, attr: str) -> Callable[..., Iterator[tuple[str, Any, Any]]]:
    return _per_table(lambda t, s: ([g[key] for g in t["gsis"]], [getattr(g, attr) for g in s.table.gsis]))


def _deletion_protection(tfvars: dict[str, Any], desired: Desired) -> Iterator[tuple[str, Any, Any]]:
    return _per_table(lambda t, s: (t["deletion_protection"], desired.env.deletion_protection))(tfvars, desired)


TABLE = "modules/dynamodb_table resource aws_dynamodb_table this"
GSI = f"{TABLE} dynamic global_secondary_index"
REPLICA = f"{TABLE} dynamic replica"
TABLES_CALL = {"ROOT module tables for_each": "var.tables", "ROOT module tables table": "each.value",
               "ROOT module tables source": '"../modules/dynamodb_table"'}
KMS_CALL = {"ROOT locals customer_managed_key": 'var.encryption.kind=="customer-managed"',
            "ROOT module kms count": "local.customer_managed_key?1:0",
            "ROOT module kms key alias": "var.encryption.key_alias",
            "ROOT module kms key rotation": "var.encryption.rotation",
            "modules/kms resource aws_kms_alias this name": "var.key.alias",
            "modules/kms resource aws_kms_alias this target_key_id": "aws_kms_key.this.key_id",
            "modules/kms resource aws_kms_key this enable_key_rotation": "var.key.rotation"}
PLAN = "modules/backup resource aws_backup_plan this rule"
BACKUP_CALL = {"ROOT module backup backup": "var.backup", "ROOT module backup source": '"../modules/backup"'}
ALARM = "modules/monitoring resource aws_cloudwatch_metric_alarm this"
MONITORING_CALL = {"ROOT module monitoring monitoring": "var.monitoring",
                   "ROOT module monitoring source": '"../modules/monitoring"',
                   "modules/monitoring locals alarms": "{for a in var.monitoring.alarms:a.name=>a}"}
SUBSCRIPTION = "modules/monitoring resource aws_ce_anomaly_subscription this"


def _alarms(fn: Callable[[dict[str, Any], Any], tuple[Any, Any]]) -> Callable[..., Iterator[tuple[str, Any, Any]]]:
    def values(tfvars: dict[str, Any], desired: Desired) -> Iterator[tuple[str, Any, Any]]:
        rendered = {a["name"]: a for a in tfvars["monitoring"]["alarms"]}
        assert sorted(rendered) == sorted(a.name for a in desired.alarms)
        for spec in desired.alarms:
            got, want = fn(rendered[spec.name], spec)
            yield f"monitoring.alarms[{spec.name}]", got, want
    return values


def _one(where: str, got: Any, want: Any) -> Iterator[tuple[str, Any, Any]]:
    yield where, got, want


def _per_bucket(fn: Callable[[dict[str, Any], Any], tuple[Any, Any]]) -> Callable[..., Iterator[tuple[str, Any, Any]]]:
    def values(tfvars: dict[str, Any], desired: Desired) -> Iterator[tuple[str, Any, Any]]:
        assert sorted(tfvars["buckets"]) == sorted(b.logical for b in desired.buckets)
        for spec in desired.buckets:
            got, want = fn(tfvars["buckets"][spec.logical], spec)
            yield f"buckets.{spec.logical}", got, want
    return values


def _objects(t: dict[str, Any], b: Any) -> tuple[Any, Any]:
    """Every template and its plain-text alternative, uploaded from the file whose MD5 the checks expect."""
    from readiness.contract.templates import md5_hex

    got = {key: md5_hex((REPO / o["source"]).read_bytes()) if (REPO / o["source"]).is_file() else None
           for key, o in t["objects"].items()}
    want = {k: m for o in b.objects for k, m in ((o.key, o.md5), (o.text_key, o.text_md5))}
    return got, want


S3 = "modules/s3_bucket resource"
BUCKETS_CALL = {"ROOT module buckets for_each": "var.buckets",
                "ROOT module buckets source": '"../modules/s3_bucket"'}


BUCKET_WIRES: tuple[Wire, ...] = (
    Wire("bucket name (004 5.3.2)", {f"{S3} aws_s3_bucket this bucket": "var.bucket.name",
                                     "ROOT module buckets bucket name": "each.value.name", **BUCKETS_CALL},
         _per_bucket(lambda t, b: (t["name"], b.name))),
    Wire("bucket versioning (004 4.3)", {
        f"{S3} aws_s3_bucket_versioning this versioning_configuration status":
            'var.bucket.versioning?"Enabled":"Suspended"',
        "ROOT module buckets bucket versioning": "each.value.versioning", **BUCKETS_CALL},
         _per_bucket(lambda t, b: (t["versioning"], b.bucket.versioning))),
    Wire("bucket encryption SSE-S3 (004 4.3)", {
        f"{S3} aws_s3_bucket_server_side_encryption_configuration this rule apply_server_side_encryption_by_default "
        "sse_algorithm": '"AES256"', f"{S3} aws_s3_object this server_side_encryption": '"AES256"'},
         _per_bucket(lambda t, b: ("SSE-S3", b.bucket.encryption))),
    Wire("bucket public access block (004 4.3)", {
        f"{S3} aws_s3_bucket_public_access_block this {flag}": "true"
        for flag in ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")},
         _per_bucket(lambda t, b: (True, all(b.bucket.public_access_block.values())))),
    Wire("noncurrent version expiration (004 4.3)", {
        f"{S3} aws_s3_bucket_lifecycle_configuration this rule noncurrent_version_expiration noncurrent_days":
            "var.bucket.noncurrent_version_expiration_days",
        f"{S3} aws_s3_bucket_lifecycle_configuration this rule filter": {},
        "ROOT module buckets bucket noncurrent_version_expiration_days":
            "each.value.noncurrent_version_expiration_days", **BUCKETS_CALL},
         _per_bucket(lambda t, b: (t["noncurrent_version_expiration_days"],
                                   b.bucket.noncurrent_version_expiration_days))),
    Wire("access logging to a separate bucket (004 4.3)", {
        f"{S3} aws_s3_bucket_logging this target_bucket": "var.bucket.logging.target_bucket",
        f"{S3} aws_s3_bucket_logging this target_prefix": "var.bucket.logging.target_prefix",
        "ROOT module buckets bucket logging": "each.value.logging==null?null:{target_bucket=module.access_logs"
                                              "[each.key].name,target_prefix=each.value.logging.prefix}",
        "ROOT module access_logs bucket name": "each.value.logging.bucket",
        "ROOT module access_logs bucket log_delivery source_bucket": "each.value.name", **BUCKETS_CALL},
         _per_bucket(lambda t, b: (t["logging"], {"bucket": b.logging_bucket, "prefix": b.logging_prefix}
                                   if b.logging_bucket else None))),
    Wire("bucket replication (004 7.2)", {
        f"{S3} aws_s3_bucket_replication_configuration this rule destination bucket":
            "var.bucket.replication.destination_bucket_arn",
        f"{S3} aws_s3_bucket_replication_configuration this rule status": '"Enabled"',
        f"{S3} aws_iam_role this name": "var.bucket.replication.role_name",
        "ROOT module buckets bucket replication": "each.value.replication==null?null:{destination_bucket_arn="
                                                  "module.buckets_dr[each.key].arn,role_name=each.value.replication.role}",
        "ROOT module buckets_dr providers aws": "aws.dr",
        "ROOT module buckets_dr bucket name": "each.value.replication.bucket", **BUCKETS_CALL},
         _per_bucket(lambda t, b: (t["replication"], {"region": b.replication.region, "bucket": b.replication.bucket,
                                                      "role": b.replication.role} if b.replication else None))),
    Wire("bucket tags (004 5.3.3)", {f"{S3} aws_s3_bucket this tags": "var.tags",
                                     "ROOT module buckets tags": "each.value.tags"},
         _per_bucket(lambda t, b: (t["tags"], dict(b.tags)))),
    Wire("template objects (004 4.2.3)", {
        f"{S3} aws_s3_object this for_each": "var.bucket.objects", f"{S3} aws_s3_object this key": "each.key",
        f"{S3} aws_s3_object this source": "each.value.source",
        f"{S3} aws_s3_object this etag": "filemd5(each.value.source)",
        f"{S3} aws_s3_object this content_type": "each.value.content_type",
        "ROOT module buckets bucket objects": '{for key,o in each.value.objects:key=>{source="${path.root}/../../'
                                              '${o.source}",content_type=o.content_type}}', **BUCKETS_CALL},
         _per_bucket(_objects)),
)

WIRES: tuple[Wire, ...] = (
    Wire("table name (D2)", {f"{TABLE} name": "var.table.name", **TABLES_CALL},
         _per_table(lambda t, s: (t["name"], s.name))),
    Wire("billing mode (D6)", {f"{TABLE} billing_mode": "var.table.billing_mode", **TABLES_CALL},
         _per_table(lambda t, s: (t["billing_mode"], "PAY_PER_REQUEST"))),
    Wire("partition key", {f"{TABLE} hash_key": "var.table.hash_key", **TABLES_CALL},
         _per_table(lambda t, s: ((t["hash_key"], t["hash_key_type"]),
                                  (s.table.partition.attribute, s.table.partition.type)))),
    Wire("sort key", {f"{TABLE} range_key": "var.table.range_key", **TABLES_CALL},
         _per_table(lambda t, s: ((t["range_key"], t["range_key_type"]),
                                  (s.table.sort.attribute, s.table.sort.type) if s.table.sort else (None, None)))),
    Wire("key attributes", {f"{TABLE} dynamic attribute for_each": "var.table.attributes",
                            f"{TABLE} dynamic attribute content name": "attribute.value.name",
                            f"{TABLE} dynamic attribute content type": "attribute.value.type", **TABLES_CALL},
         _per_table(lambda t, s: ({a["name"]: a["type"] for a in t["attributes"]}, dict(s.table.attributes)))),
    Wire("PITR enabled (D7)", {f"{TABLE} point_in_time_recovery enabled": "var.table.pitr.enabled", **TABLES_CALL},
         _per_table(lambda t, s: (t["pitr"]["enabled"], True))),
    Wire("PITR recovery period", {
        f"{TABLE} point_in_time_recovery recovery_period_in_days":
            "var.table.pitr.enabled?var.table.pitr.recovery_period_days:null", **TABLES_CALL},
         lambda tv, d: _per_table(lambda t, s: (t["pitr"]["recovery_period_days"],
                                                d.env.pitr_recovery_period_days))(tv, d)),
    Wire("stream view type (D8)", {f"{TABLE} stream_view_type": "var.table.stream_view_type",
                                   f"{TABLE} stream_enabled": "var.table.stream_view_type!=null", **TABLES_CALL},
         _per_table(lambda t, s: (t["stream_view_type"], s.table.stream))),
    Wire("TTL (ADR 0023)", {f"{TABLE} ttl enabled": "var.table.ttl.enabled", **TABLES_CALL},
         _per_table(lambda t, s: ((t["ttl"]["enabled"], t["ttl"]["attribute_name"]),
                                  (s.table.ttl_enabled, s.table.ttl_attribute if s.table.ttl_enabled else None)))),
    Wire("SSE-KMS key (D9)", {f"{TABLE} server_side_encryption enabled": "true",
                              f"{TABLE} server_side_encryption kms_key_arn": "var.kms_key_arn",
                              "ROOT module tables kms_key_arn": "one(module.kms[*].key_arn)", **KMS_CALL},
         lambda tv, d: _one("encryption", tv["encryption"],
                            {"kind": d.env.encryption_kind, "key_alias": d.key_alias, "rotation": d.env.key_rotation})),
    Wire("deletion protection (D10)", {f"{TABLE} deletion_protection_enabled": "var.table.deletion_protection",
                                       **TABLES_CALL}, _deletion_protection),
    # AWS does not copy deletion protection to a replica: each replica sets its own (provider >= 6.9, ADR 0064)
    Wire("replica deletion protection (D10)", {
        f"{REPLICA} content deletion_protection_enabled": "var.table.deletion_protection", **TABLES_CALL},
         _deletion_protection),
    Wire("tags (D15)", {f"{TABLE} tags": "var.tags", "ROOT module tables tags": "var.tags",
                        f"{REPLICA} content propagate_tags": "true",
                        "modules/backup resource aws_backup_vault this tags": "var.tags",
                        "ROOT module backup tags": "var.tags", "ROOT module monitoring tags": "var.tags"},
         lambda tv, d: _one("tags", tv["tags"], dict(d.env.tags))),
    Wire("GSI names (D4)", {f"{GSI} for_each": "local.gsis",
                            "modules/dynamodb_table locals gsis": "{for g in var.table.gsis:g.name=>g}",
                            f"{GSI} content name": "global_secondary_index.value.name", **TABLES_CALL},
         _gsis("name", "name")),
    Wire("GSI partition keys", {f"{GSI} content hash_key": "global_secondary_index.value.hash_key", **TABLES_CALL},
         _gsis("hash_key", "partition_key")),
    Wire("GSI sort keys", {f"{GSI} content range_key": "global_secondary_index.value.range_key", **TABLES_CALL},
         _gsis("range_key", "sort_key")),
    Wire("GSI projections", {f"{GSI} content projection_type": "global_secondary_index.value.projection_type",
                             f"{GSI} content non_key_attributes":
                                 'global_secondary_index.value.projection_type=="INCLUDE"?'
                                 "global_secondary_index.value.non_key_attributes:null", **TABLES_CALL},
         _per_table(lambda t, s: ([(g["projection_type"], g["non_key_attributes"]) for g in t["gsis"]],
                                  [(g.projection, list(g.non_key_attributes)) for g in s.table.gsis]))),
    Wire("replica regions (D13)", {f"{REPLICA} for_each": "toset(var.table.replica_regions)",
                                   f"{REPLICA} content region_name": "replica.value",
                                   f"{REPLICA} content point_in_time_recovery": "var.table.pitr.enabled",
                                   f"{REPLICA} content kms_key_arn":
                                       "lookup(var.replica_kms_key_arns,replica.value,null)",
                                   "ROOT module tables replica_kms_key_arns":
                                       "{for r in local.dr_key_regions:r=>module.kms_dr[0].key_arn}",
                                   "ROOT module kms_dr providers aws": "aws.dr", **TABLES_CALL},
         lambda tv, d: _per_table(lambda t, s: (t["replica_regions"], list(d.env.replication.regions)
                                                if d.env.replication else []))(tv, d)),
    Wire("region and account (D12)", {"ROOT provider aws region": "var.region",
                                      "ROOT provider aws allowed_account_ids": ["var.account"],
                                      "ROOT provider aws.dr region": "coalesce(var.dr_region,var.region)"},
         lambda tv, d: _one("region/account", (tv["region"], tv["account"]), (d.env.region, d.env.account))),
    Wire("backup vault (D11)", {"modules/backup resource aws_backup_vault this name": "var.backup.vault",
                                "modules/backup resource aws_backup_vault this kms_key_arn": "var.kms_key_arn",
                                "ROOT module backup kms_key_arn": "one(module.kms[*].key_arn)", **BACKUP_CALL},
         lambda tv, d: _one("backup.vault", tv["backup"]["vault"], d.env.backup.vault)),
    Wire("backup schedule (D11)", {f"{PLAN} schedule": "var.backup.schedule", f"{PLAN} rule_name": "var.backup.rule",
                                   f"{PLAN} target_vault_name": "aws_backup_vault.this.name",
                                   "modules/backup resource aws_backup_plan this name": "var.backup.plan",
                                   **BACKUP_CALL},
         lambda tv, d: _one("backup", {k: tv["backup"][k] for k in ("plan", "rule", "schedule")},
                            {"plan": d.env.backup.plan, "rule": d.env.backup.rule,
                             "schedule": d.env.backup.schedule})),
    Wire("backup retention (D11)", {f"{PLAN} lifecycle delete_after": "var.backup.retention_days", **BACKUP_CALL},
         lambda tv, d: _one("backup.retention_days", tv["backup"]["retention_days"], d.env.backup.retention_days)),
    Wire("backup copy destination (D11)", {
        f"{PLAN} dynamic copy_action for_each": "aws_backup_vault.dr",
        f"{PLAN} dynamic copy_action content destination_vault_arn": "copy_action.value.arn",
        f"{PLAN} dynamic copy_action content lifecycle delete_after": "var.backup.copy.retention_days",
        "modules/backup resource aws_backup_vault dr count": "var.backup.copy==null?0:1",
        "modules/backup resource aws_backup_vault dr provider": "aws.dr",
        "modules/backup resource aws_backup_vault dr name": "var.backup.copy.vault",
        "modules/backup resource aws_backup_vault dr kms_key_arn": "var.dr_kms_key_arn",
        "modules/backup resource aws_backup_vault dr lifecycle precondition condition":
            "data.aws_region.dr.region==var.backup.copy.region",
        "ROOT module backup providers aws.dr": "aws.dr",
        "ROOT module backup dr_kms_key_arn": "one(module.kms_dr[*].key_arn)", **BACKUP_CALL},
         lambda tv, d: _one("backup.copy/dr_region", (tv["backup"]["copy"], tv["dr_region"]), (
             {"region": d.env.backup.copy.region, "vault": d.env.backup.copy.vault,
              "retention_days": d.env.backup.copy.retention_days} if d.env.backup.copy else None,
             d.env.backup.copy.region if d.env.backup.copy else (
                 d.env.replication.regions[0] if d.env.replication else None)))),
    Wire("backup selection resources (D11)", {
        "modules/backup resource aws_backup_selection this resources": "var.table_arns",
        "modules/backup resource aws_backup_selection this name": "var.backup.selection.name",
        "modules/backup resource aws_backup_selection this plan_id": "aws_backup_plan.this.id",
        "modules/backup resource aws_backup_selection this iam_role_arn": "aws_iam_role.this.arn",
        "modules/backup resource aws_iam_role this name": "var.backup.iam_role",
        "ROOT module backup table_arns": "[for t in var.backup.selection.tables:module.tables[t].arn]", **BACKUP_CALL},
         lambda tv, d: _one("backup.selection", (tv["backup"]["selection"], tv["backup"]["iam_role"]), (
             {"name": d.env.backup.selection, "tables": list(d.env.backup.selection_tables)}, d.env.backup.iam_role))),
    Wire("alarm thresholds", {f"{ALARM} for_each": "local.alarms", f"{ALARM} alarm_name": "each.value.name",
                              f"{ALARM} threshold": "each.value.threshold",
                              f"{ALARM} comparison_operator": "each.value.comparison_operator",
                              f"{ALARM} evaluation_periods": "each.value.evaluation_periods", **MONITORING_CALL},
         _alarms(lambda a, s: ((a["threshold"], a["comparison_operator"], a["evaluation_periods"]),
                               (s.definition.threshold, s.definition.comparison, s.definition.evaluation_periods)))),
    Wire("alarm metrics", {f"{ALARM} namespace": "each.value.namespace",
                           f"{ALARM} metric_name": "each.value.metric_name",
                           f"{ALARM} dimensions": "each.value.dimensions", f"{ALARM} statistic": "each.value.statistic",
                           f"{ALARM} period": "each.value.period",
                           f"{ALARM} dynamic metric_query for_each": "each.value.metric_queries",
                           f"{ALARM} dynamic metric_query content expression": "metric_query.value.expression",
                           f"{ALARM} dynamic metric_query content return_data": "metric_query.value.return_data",
                           f"{ALARM} dynamic metric_query content dynamic metric content metric_name":
                               "metric.value.metric_name",
                           f"{ALARM} dynamic metric_query content dynamic metric content dimensions":
                               "metric.value.dimensions",
                           f"{ALARM} dynamic metric_query content dynamic metric content stat": "metric.value.stat",
                           **MONITORING_CALL},
         _alarms(lambda a, s: (_rendered_alarm_metrics(a), s.canonical()["metrics"] + [s.expression]))),
    Wire("alarm actions", {f"{ALARM} alarm_actions": ["local.topic_arns[each.value.topic]"],
                           f"{ALARM} actions_enabled": "true",
                           "modules/monitoring resource aws_sns_topic this for_each": "var.monitoring.topics",
                           "modules/monitoring resource aws_sns_topic this name": "each.value",
                           "modules/monitoring resource aws_sns_topic this kms_master_key_id":
                               "module.topic_key.key_arn", **MONITORING_CALL},
         _alarms(lambda a, s: (a["topic"], s.topic))),
    Wire("dashboard", {"modules/monitoring resource aws_cloudwatch_dashboard this dashboard_body":
                           "var.monitoring.dashboard.body",
                       "modules/monitoring resource aws_cloudwatch_dashboard this dashboard_name":
                           "var.monitoring.dashboard.name", **MONITORING_CALL},
         lambda tv, d: _one("monitoring.dashboard", (tv["monitoring"]["dashboard"]["name"],
                                                     _dashboard_without_arns(tv["monitoring"]["dashboard"]["body"])),
                            (d.env.monitoring.dashboard, _dashboard_without_arns(d.dashboard_body())))),
    Wire("cost anomaly alert (ADR 0020)", {
        f"{SUBSCRIPTION} threshold_expression dimension key": '"ANOMALY_TOTAL_IMPACT_PERCENTAGE"',
        f"{SUBSCRIPTION} threshold_expression dimension match_options": ['"GREATER_THAN_OR_EQUAL"'],
        f"{SUBSCRIPTION} threshold_expression dimension values":
            ["tostring(var.monitoring.cost_anomaly.threshold_percent)"],
        f"{SUBSCRIPTION} subscriber address": "local.topic_arns[var.monitoring.cost_anomaly.topic]",
        f"{SUBSCRIPTION} subscriber type": '"SNS"',
        f"{SUBSCRIPTION} monitor_arn_list": ["aws_ce_anomaly_monitor.this.arn"],
        "modules/monitoring resource aws_ce_anomaly_monitor this name": "var.monitoring.cost_anomaly.monitor",
        **MONITORING_CALL},
         lambda tv, d: _one("monitoring.cost_anomaly",
                            {k: tv["monitoring"]["cost_anomaly"][k] for k in ("monitor", "threshold_percent", "topic")},
                            {"monitor": d.env.monitoring.cost_monitor, "threshold_percent": d.cost_anomaly_percent,
                             "topic": d.cost_anomaly_topic})),
    *BUCKET_WIRES,
)


def _rendered_alarm_metrics(alarm: dict[str, Any]) -> list[Any]:
    """A rendered alarm in AlarmSpec.canonical()'s metric form, plus its expression."""
    def metric(ns: str, name: str, dims: dict[str, str] | None, stat: str, period: int) -> tuple[Any, ...]:
        return ns, name, tuple(sorted((dims or {}).items())), stat, period

    if not alarm["metric_queries"]:
        return [metric(alarm["namespace"], alarm["metric_name"], alarm["dimensions"], alarm["statistic"],
                       alarm["period"]), None]
    found = sorted(metric(q["metric"]["namespace"], q["metric"]["metric_name"], q["metric"]["dimensions"],
                          q["metric"]["stat"], q["metric"]["period"]) for q in alarm["metric_queries"] if q["metric"])
    returned = [q["expression"] for q in alarm["metric_queries"] if q["return_data"]]
    return [*found, *returned]


def _dashboard_without_arns(body: str) -> Any:
    """The body with each alarm ARN reduced to the alarm's name (render() fills in the ARNs)."""
    doc = json.loads(body)
    for w in doc["widgets"]:
        if "alarms" in w["properties"]:
            w["properties"]["alarms"] = [a.rsplit(":", 1)[-1] for a in w["properties"]["alarms"]]
    return doc


def wiring_problems(terraform: Path, contract: Contract, envs: tuple[str, ...] = ENVS) -> list[str]:
    """Every field whose HCL or rendered value is not wired as WIRES says, one line each, naming the field."""
    problems: list[str] = []
    parsed: dict[str, dict[str, Any]] = {}

    def tree(directory: str) -> dict[str, Any]:
        if directory not in parsed:
            parsed[directory] = load_hcl(terraform / directory)
        return parsed[directory]

    for wire in WIRES:
        for where, expected in wire.hcl.items():
            directory, path = where.split(" ", 1)
            dirs = ["stack"] if directory == "ROOT" else [directory]
            for d in dirs:
                actual = lookup(tree(d), path)
                if actual is _MISSING:
                    problems.append(f"{wire.field}: terraform/{d}: `{path}` is not set (expected {expected})")
                elif actual != expected:
                    problems.append(f"{wire.field}: terraform/{d}: `{path}` is {actual}, expected {expected}")
        for env in envs:
            tfvars = json.loads((terraform / "environments" / env / FILE_NAME).read_text(encoding="utf-8"))
            for where, got, want in wire.values(tfvars, desired_state(contract, env)):
                if got != want:
                    problems.append(f"{wire.field}: {env} {FILE_NAME} {where} is {got!r}, the contract says {want!r}")
    return problems


@needs_hcl2
def test_every_contract_field_reaches_its_resource_argument(contract: Contract) -> None:
    problems = wiring_problems(TERRAFORM, contract)
    assert problems == [], "\n".join(problems)


@pytest.fixture
def terraform_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "terraform"
    shutil.copytree(TERRAFORM, copy, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*"))
    return copy


MUTATIONS = [
    # (file under terraform/, text to replace, replacement, the field the wiring check must name)
    pytest.param("modules/dynamodb_table/main.tf", "enabled                 = var.table.pitr.enabled",
                 "enabled                 = true", "PITR enabled (D7)", id="pitr-hardcoded"),
    pytest.param("modules/dynamodb_table/main.tf",
                 "    recovery_period_in_days = var.table.pitr.enabled ? var.table.pitr.recovery_period_days : null\n",
                 "", "PITR recovery period", id="pitr-period-deleted"),
    pytest.param("modules/dynamodb_table/main.tf", "  billing_mode                = var.table.billing_mode\n", "",
                 "billing mode (D6)", id="billing-deleted"),
    pytest.param("modules/dynamodb_table/main.tf", "stream_view_type            = var.table.stream_view_type",
                 'stream_view_type            = "NEW_IMAGE"', "stream view type (D8)", id="stream-miswired"),
    pytest.param("modules/dynamodb_table/main.tf", "    kms_key_arn = var.kms_key_arn\n", "",
                 "SSE-KMS key (D9)", id="sse-key-deleted"),
    pytest.param("modules/dynamodb_table/main.tf",
                 "\n  deletion_protection_enabled = var.table.deletion_protection\n",
                 "\n  deletion_protection_enabled = false\n", "deletion protection (D10)",
                 id="deletion-protection-off"),
    pytest.param("modules/dynamodb_table/main.tf",
                 "      deletion_protection_enabled = var.table.deletion_protection\n", "",
                 "replica deletion protection (D10)", id="replica-deletion-protection-deleted"),
    pytest.param("modules/dynamodb_table/main.tf", "  tags = var.tags\n", "", "tags (D15)", id="tags-deleted"),
    pytest.param("modules/dynamodb_table/main.tf", "hash_key           = global_secondary_index.value.hash_key",
                 "hash_key           = global_secondary_index.value.range_key", "GSI partition keys",
                 id="gsi-hash-key-swapped"),
    pytest.param("modules/dynamodb_table/main.tf", "range_key          = global_secondary_index.value.range_key",
                 "range_key          = null", "GSI sort keys", id="gsi-range-key-null"),
    pytest.param("modules/dynamodb_table/main.tf",
                 "projection_type    = global_secondary_index.value.projection_type",
                 'projection_type    = "ALL"', "GSI projections", id="gsi-projection-all"),
    pytest.param("modules/dynamodb_table/main.tf", "for_each = toset(var.table.replica_regions)",
                 "for_each = []", "replica regions (D13)", id="replicas-dropped"),
    pytest.param("modules/backup/main.tf", "schedule          = var.backup.schedule",
                 'schedule          = "cron(0 0 * * ? *)"', "backup schedule (D11)", id="schedule-daily"),
    pytest.param("modules/backup/main.tf", "delete_after = var.backup.retention_days",
                 "delete_after = 14", "backup retention (D11)", id="retention-hardcoded"),
    pytest.param("modules/backup/main.tf", "destination_vault_arn = copy_action.value.arn",
                 "destination_vault_arn = aws_backup_vault.this.arn", "backup copy destination (D11)",
                 id="copy-to-own-vault"),
    pytest.param("modules/backup/main.tf", "  resources    = var.table_arns\n", '  resources    = ["*"]\n',
                 "backup selection resources (D11)", id="selection-wildcard"),
    pytest.param("stack/main.tf", "table_arns     = [for t in var.backup.selection.tables : "
                 "module.tables[t].arn]", 'table_arns     = [module.tables["tenants"].arn]',
                 "backup selection resources (D11)", id="root-selects-one-table"),
    pytest.param("modules/monitoring/main.tf", "threshold           = each.value.threshold",
                 "threshold           = 0", "alarm thresholds", id="threshold-zero"),
    pytest.param("stack/main.tf", "  table                = each.value\n",
                 "  table                = var.tables[\"tenants\"]\n",
                 {w.field for w in WIRES if "ROOT module tables table" in w.hcl}, id="root-passes-one-table"),
    pytest.param("modules/s3_bucket/main.tf", "      noncurrent_days = var.bucket.noncurrent_version_expiration_days",
                 "      noncurrent_days = 30", "noncurrent version expiration (004 4.3)", id="s3-lifecycle-30-days"),
    pytest.param("modules/s3_bucket/main.tf", 'sse_algorithm = "AES256"', 'sse_algorithm = "aws:kms"',
                 "bucket encryption SSE-S3 (004 4.3)", id="s3-sse-kms"),
    pytest.param("modules/s3_bucket/main.tf", "  restrict_public_buckets = true", "  restrict_public_buckets = false",
                 "bucket public access block (004 4.3)", id="s3-public-buckets"),
    pytest.param("modules/s3_bucket/main.tf", "  etag                   = filemd5(each.value.source)\n", "",
                 "template objects (004 4.2.3)", id="s3-object-etag-deleted"),
    pytest.param("stack/main.tf", "      target_bucket = module.access_logs[each.key].name",
                 "      target_bucket = each.value.name", "access logging to a separate bucket (004 4.3)",
                 id="s3-logs-into-itself"),
    pytest.param("stack/main.tf",
                 "  for_each = { for k, b in var.buckets : k => b if b.replication != null }"
                 "\n  providers = {\n    aws = aws.dr\n  }\n",
                 "  for_each = { for k, b in var.buckets : k => b if b.replication != null }\n",
                 "bucket replication (004 7.2)", id="s3-dr-bucket-in-primary-region"),
    pytest.param("environments/prod/contract.tfvars.json", '"receipts/order.txt": {\n          "content_type": '
                 '"text/plain; charset=utf-8",\n          "source": "templates/receipts/order.txt"',
                 '"receipts/order.txt": {\n          "content_type": "text/plain; charset=utf-8",\n          '
                 '"source": "templates/receipts/order.html"', "template objects (004 4.2.3)", id="tfvars-wrong-source"),
    pytest.param("environments/prod/contract.tfvars.json", '"retention_days": 90,\n    "rule"',
                 '"retention_days": 30,\n    "rule"', "backup retention (D11)", id="tfvars-edited"),
]


@needs_hcl2
@pytest.mark.parametrize(("file", "old", "new", "field"), MUTATIONS)
def test_a_miswired_argument_fails_naming_the_field(contract: Contract, terraform_copy: Path, file: str,
                                                    old: str, new: str, field: str | set[str]) -> None:
    path = terraform_copy / file
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"the mutation must match exactly once in {file}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    problems = wiring_problems(terraform_copy, contract)
    assert problems, f"editing {file} went unnoticed"
    assert {p.split(":", 1)[0] for p in problems} == ({field} if isinstance(field, str) else field), (
        "\n".join(problems))


@needs_hcl2
def test_every_wire_is_exercised_by_a_mutation_or_the_values() -> None:
    """A field no mutation covers is still checked; this keeps the list of fields honest (no duplicates)."""
    fields = [w.field for w in WIRES]
    assert len(fields) == len(set(fields))
    named = {f for p in MUTATIONS for f in ([p.values[3]] if isinstance(p.values[3], str) else p.values[3])}
    assert named <= set(fields)


# ============================================================================ file layout and types


@needs_hcl2
@pytest.mark.parametrize("module", MODULES)
def test_module_layout_and_typed_variables(module: str) -> None:
    directory = TERRAFORM / "modules" / module
    for name in ("versions.tf", "main.tf", "variables.tf", "outputs.tf", "README.md"):
        assert (directory / name).is_file(), f"modules/{module}/{name} is missing"
    tree = load_hcl(directory)
    version = lookup(tree, "terraform required_version")
    assert version == '">= 1.6"'
    aws = lookup(tree, "terraform required_providers aws")
    assert isinstance(aws, dict) and aws["source"] == '"hashicorp/aws"' and aws["version"] == AWS_PROVIDER
    for name, var in tree["variable"].items():
        assert "type" in var and "description" in var, f"modules/{module}: variable {name} needs a type and description"
        assert not re.search(r"\bany\b", var["type"]), f"modules/{module}: variable {name} is typed any"
    validated = [n for n, v in tree["variable"].items() if "validation" in v]
    assert validated, f"modules/{module} validates none of its variables"
    for rtype, named in tree.get("resource", {}).items():
        if len(named) == 1:
            assert list(named) == ["this"], f"modules/{module}: the only {rtype} should be named this"


@needs_hcl2
def test_the_stack_pins_the_provider_of_the_modules() -> None:
    """One provider range for the root and every module: init picks one version for them all."""
    aws = lookup(load_hcl(TERRAFORM / "stack"), "terraform required_providers aws")
    assert isinstance(aws, dict) and aws["source"] == '"hashicorp/aws"' and aws["version"] == AWS_PROVIDER


def test_backup_module_declares_the_dr_provider() -> None:
    text = (TERRAFORM / "modules" / "backup" / "versions.tf").read_text(encoding="utf-8")
    assert "configuration_aliases = [aws.dr]" in text


@needs_hcl2
@pytest.mark.parametrize("env", ENVS)
def test_backend_is_d16(env: str, contract: Contract) -> None:
    """Each environment's own state (D16): the stack's partial s3 backend plus that environment's backend.hcl."""
    assert lookup(load_hcl(TERRAFORM / "stack"), "terraform backend s3") == {}, "the stack leaves the backend open"
    settings = _tree({**hcl2.loads((TERRAFORM / "environments" / env / "backend.hcl").read_text(encoding="utf-8")),
                      "__is_block__": True})
    assert settings == {
        "bucket": f'"bbws-terraform-state-{env}"',
        "key": '"2_1_bbws_dynamodb_schemas/terraform.tfstate"',
        "region": f'"{contract.environment(env).region}"',
        "dynamodb_table": f'"terraform-state-lock-{env}"',
        "encrypt": "true",
    }


def test_one_stack_and_only_data_per_environment() -> None:
    """One root configuration (terraform/stack); an environment is a backend file and a var file, nothing else."""
    roots = sorted(str(p.parent.relative_to(TERRAFORM)) for p in TERRAFORM.rglob("*.tf")
                   if not p.is_relative_to(TERRAFORM / "modules") and ".terraform" not in p.parts)
    assert sorted(set(roots)) == ["stack"], f"Terraform configuration outside terraform/stack: {sorted(set(roots))}"
    for env in ENVS:
        files = sorted(p.name for p in (TERRAFORM / "environments" / env).iterdir() if p.is_file())
        assert files == sorted(["backend.hcl", FILE_NAME]), f"environments/{env}: {files}"
    assert sorted(p.name for p in (TERRAFORM / "environments").iterdir()) == sorted(ENVS)


# -- the root variables' types against the rendered JSON


def _split_top(text: str, sep: str = ",") -> list[str]:
    parts, depth, start, quoted = [], 0, 0, False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "([{":
            depth += 1
        elif not quoted and ch in ")]}":
            depth -= 1
        elif not quoted and depth == 0 and ch == sep:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in (x.strip() for x in parts) if p]


def _type(text: str) -> Any:
    """A Terraform type constraint (as python-hcl2 prints it, spacing squeezed) as a small tree."""
    text = text.strip()
    if text in ("string", "number", "bool"):
        return text
    name, _, rest = text.partition("(")
    inner = rest[:-1]
    if name in ("list", "set", "map"):
        return (name, _type(inner))
    if name == "optional":
        return ("optional", _type(_split_top(inner)[0]))
    if name == "object":
        fields = {}
        for part in _split_top(inner[1:-1]):
            key, _, value = part.partition("=")
            fields[key.strip()] = _type(value)
        return ("object", fields)
    raise AssertionError(f"unexpected type constraint {text!r}")


def _conforms(value: Any, kind: Any, where: str) -> list[str]:
    if value is None:
        return []
    if kind == "string":
        return [] if isinstance(value, str) else [f"{where}: {value!r} is not a string"]
    if kind == "number":
        return [] if isinstance(value, int | float) and not isinstance(value, bool) else [f"{where}: not a number"]
    if kind == "bool":
        return [] if isinstance(value, bool) else [f"{where}: {value!r} is not a bool"]
    name, inner = kind
    if name == "optional":
        return _conforms(value, inner, where)
    if name in ("list", "set"):
        if not isinstance(value, list):
            return [f"{where}: not a list"]
        return [p for i, v in enumerate(value) for p in _conforms(v, inner, f"{where}[{i}]")]
    if not isinstance(value, dict):
        return [f"{where}: not an object"]
    if name == "map":
        return [p for k, v in value.items() for p in _conforms(v, inner, f"{where}.{k}")]
    problems = [f"{where}.{k}: rendered but not declared in variables.tf" for k in value if k not in inner]
    problems += [f"{where}.{k}: declared but not rendered" for k, t in inner.items()
                 if k not in value and not (isinstance(t, tuple) and t[0] == "optional")]
    return problems + [p for k, t in inner.items() if k in value for p in _conforms(value[k], t, f"{where}.{k}")]


@needs_hcl2
@pytest.mark.parametrize("env", ENVS)
def test_root_variables_are_typed_to_match_the_rendered_tfvars(env: str) -> None:
    declared = load_hcl(TERRAFORM / "stack")["variable"]
    tfvars = json.loads(path_of(env).read_text(encoding="utf-8"))
    assert sorted(declared) == sorted(tfvars), "every rendered key is a variable, and every variable is rendered"
    problems = [p for name, var in declared.items() for p in _conforms(tfvars[name], _type(var["type"]), name)]
    assert problems == [], "\n".join(problems)


# ============================================================================ offline plan against stubs

_OUTPUT = re.compile(r'^output\s+"([^"]+)"', re.MULTILINE)
_PROVIDERS_ARG = re.compile(r"^\s*providers\s*=\s*\{[^}]*\}\n", re.MULTILINE)
_STUB_VALUES = {
    ("kms", "key_arn"): '"arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000"',
    ("dynamodb_table", "arn"): '"arn:aws:dynamodb:eu-west-1:111122223333:table/${var.table.name}"',
}


def _stub(tmp: Path, env: str, tfvars: str | None = None) -> tuple[Path, Path]:
    """The stack (variables, locals, module calls) over modules reduced to their variables and outputs, and
    the environment's var file beside it: (stack directory, var file)."""
    for module in MODULES:
        src, dst = TERRAFORM / "modules" / module, tmp / "modules" / module
        dst.mkdir(parents=True)
        shutil.copy(src / "variables.tf", dst / "variables.tf")
        outputs = _OUTPUT.findall((src / "outputs.tf").read_text(encoding="utf-8"))
        (dst / "outputs.tf").write_text("".join(
            f'output "{o}" {{\n  value = {_STUB_VALUES.get((module, o), "null")}\n}}\n' for o in outputs),
            encoding="utf-8")
    stack = tmp / "stack"
    stack.mkdir(parents=True)
    src = TERRAFORM / "stack"
    shutil.copy(src / "variables.tf", stack / "variables.tf")
    (stack / "main.tf").write_text(_PROVIDERS_ARG.sub("", (src / "main.tf").read_text(encoding="utf-8")),
                                   encoding="utf-8")
    var_file = tmp / "environments" / env / FILE_NAME
    var_file.parent.mkdir(parents=True)
    var_file.write_text(tfvars or path_of(env).read_text(encoding="utf-8"), encoding="utf-8")
    return stack, var_file


def _plan(stub: tuple[Path, Path]) -> subprocess.CompletedProcess[str]:
    """``init -backend=false`` then ``plan -var-file=...``: how the pipeline plans an environment, offline."""
    stack, var_file = stub
    init = _terraform("init", "-backend=false", "-no-color", cwd=stack)
    assert init.returncode == 0, init.stdout + init.stderr
    return _terraform("plan", "-no-color", "-lock=false", "-refresh=false", f"-var-file={var_file}", cwd=stack)


@needs_terraform
@pytest.mark.parametrize("env", ENVS)
def test_rendered_tfvars_pass_every_type_and_validation(env: str, tmp_path: Path) -> None:
    result = _plan(_stub(tmp_path, env))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_terraform
def test_a_validation_block_rejects_a_contract_the_module_cannot_deploy(tmp_path: Path) -> None:
    tfvars = json.loads(path_of("sit").read_text(encoding="utf-8"))
    tfvars["tables"]["orders"]["billing_mode"] = "PROVISIONED"
    tfvars["tables"]["users"]["gsis"][0]["projection_type"] = "EVERYTHING"
    result = _plan(_stub(tmp_path, "sit", json.dumps(tfvars)))
    assert result.returncode != 0
    output = " ".join((result.stdout + result.stderr).split())
    assert "billing_mode must be PAY_PER_REQUEST" in output
    assert "must be one of ALL, KEYS_ONLY, INCLUDE" in output



def _replicate_elsewhere(tfvars: dict[str, Any]) -> None:
    tfvars["buckets"]["templates"]["replication"]["region"] = "eu-central-1"


def _binary_template(tfvars: dict[str, Any]) -> None:
    tfvars["buckets"]["templates"]["objects"]["receipts/order.html"]["content_type"] = "application/octet-stream"


@needs_terraform
@pytest.mark.parametrize(("edit", "message"), [
    (_replicate_elsewhere, "replication.region must be the environment's dr_region"),
    (_binary_template, "content_type must be one of text/html; charset=utf-8, text/plain; charset=utf-8"),
], ids=["root-replication-region", "module-content-type"])
def test_a_bucket_the_roots_cannot_deploy_is_rejected(tmp_path: Path, edit: Callable[[dict[str, Any]], None],
                                                      message: str) -> None:
    tfvars = json.loads(path_of("prod").read_text(encoding="utf-8"))
    edit(tfvars)
    result = _plan(_stub(tmp_path, "prod", json.dumps(tfvars)))
    assert result.returncode != 0
    assert message in " ".join((result.stdout + result.stderr).split())
