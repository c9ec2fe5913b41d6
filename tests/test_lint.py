"""Every lint rule in readiness.contract.lint.RULES, on the real contract and on one-edit copies of it.

Each invalid case copies contracts/ into tmp_path, edits exactly one thing (most of them a
mistake one of the seeds actually made), and asserts that the lint reports that rule, in that
file, at that location. The last test fails when a rule is added to RULES without a case here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from contract_copy import REAL_CONTRACTS, json_doc, yaml_doc

from readiness.contract.lint import RULES, lint_contract
from readiness.contract.loading import load_contract, parse_contract
from readiness.contract.model import ContractError, Problem

Mutation = Callable[[Path], None]


# ---------------------------------------------------------------------------- helpers


def lint(root: Path) -> list[Problem]:
    """parse + lint; the edit must keep the contract schema-valid so the lint is what catches it."""
    contract, problems = parse_contract(root)
    assert problems == [], "the edit should be schema-valid:\n" + "\n".join(map(str, problems))
    assert contract is not None
    return lint_contract(contract)


def found(problems: list[Problem], file: str, location: str, rule: str) -> bool:
    return any(p.file == file and p.location == location and p.rule == rule for p in problems)


def listing(problems: list[Problem]) -> str:
    return "\n".join(map(str, problems)) or "(no problems)"


# ---------------------------------------------------------------------------- the invalid cases

CASES: list[Any] = []


def case(rule: str, file: str, location: str) -> Callable[[Mutation], Mutation]:
    """Register a one-edit mutation expected to produce `file: location: rule: ...`."""

    def register(mutation: Mutation) -> Mutation:
        CASES.append(pytest.param(mutation, rule, f"contracts/{file}", location,
                                  id=f"{rule}/{mutation.__name__}"))
        return mutation

    return register


# -- keys and attributes


@case("key-attribute-type", "tables/products.yaml", "/attributes/active")
def lld_bool_active_as_gsi_key(root: Path) -> None:
    """LLD 3.2.2 keyed ActiveIndex on `active: BOOL`; DynamoDB keys are S, N or B (D5)."""
    with yaml_doc(root, "tables/products.yaml") as t:
        del t["attributes"]["activeKey"]
        t["attributes"]["active"] = "BOOL"
        t["global_secondary_indexes"][0]["partition_key"] = "active"
        t["access_patterns"][1]["partition_key"] = "active"


@case("key-attribute-type", "tables/tenants.yaml", "/keys/partition/type")
def table_key_typed_bool(root: Path) -> None:
    """The table's own partition key declared BOOL."""
    with yaml_doc(root, "tables/tenants.yaml") as t:
        t["keys"]["partition"]["type"] = "BOOL"


@case("key-attribute-type", "tables/orders.yaml", "/keys/sort/type")
def key_type_disagrees_with_attributes(root: Path) -> None:
    """keys.sort says N while attributes says SK is S."""
    with yaml_doc(root, "tables/orders.yaml") as t:
        t["keys"]["sort"]["type"] = "N"


@case("undeclared-key-attribute", "tables/products.yaml", "/global_secondary_indexes/0/sort_key")
def gsi_key_not_under_attributes(root: Path) -> None:
    """ActiveIndex sorts on dateCreated, which is missing from attributes."""
    with yaml_doc(root, "tables/products.yaml") as t:
        del t["attributes"]["dateCreated"]


@case("undeclared-key-attribute", "tables/users.yaml", "/keys/sort")
def table_key_not_under_attributes(root: Path) -> None:
    """The table's sort key SK is not declared under attributes."""
    with yaml_doc(root, "tables/users.yaml") as t:
        del t["attributes"]["SK"]


@case("unused-attribute", "tables/products.yaml", "/attributes/name")
def non_key_attribute_declared(root: Path) -> None:
    """Declaring a non-key attribute (the LLD listed every field): DynamoDB rejects it."""
    with yaml_doc(root, "tables/products.yaml") as t:
        t["attributes"]["name"] = "S"


@case("key-not-in-item", "tables/orders.yaml", "/global_secondary_indexes/2/partition_key")
def gsi_key_absent_from_item_schema(root: Path) -> None:
    """OrderDateIndex is keyed on orderMonth, which the item schema no longer has."""
    with json_doc(root, "items/order.schema.json") as s:
        del s["properties"]["orderMonth"]
        s["required"].remove("orderMonth")


@case("key-not-in-item", "tables/campaigns.yaml", "/global_secondary_indexes/0/sort_key")
def gsi_key_type_differs_from_item_schema(root: Path) -> None:
    """fromDate is S in the table but a number in the item schema."""
    with json_doc(root, "items/campaign.schema.json") as s:
        s["properties"]["fromDate"] = {"type": "integer"}


@case("key-not-required", "tables/products.yaml", "/keys")
def table_key_optional_in_item_schema(root: Path) -> None:
    """The item schema lets a product be written without its sort key SK."""
    with json_doc(root, "items/product.schema.json") as s:
        s["required"].remove("SK")


# -- indexes


@case("sparse-index", "tables/orders.yaml", "/global_secondary_indexes/0")
def sparse_index_on_required_attribute(root: Path) -> None:
    """CustomerIndex marked sparse although every order requires customerId."""
    with yaml_doc(root, "tables/orders.yaml") as t:
        t["global_secondary_indexes"][0]["sparse"] = True


@case("duplicate-index", "tables/products.yaml", "/global_secondary_indexes/1")
def lld_product_active_index_duplicates_active_index(root: Path) -> None:
    """LLD 3.2.2 had ProductActiveIndex with the same keys and projection as ActiveIndex (D4)."""
    with yaml_doc(root, "tables/products.yaml") as t:
        t["global_secondary_indexes"].append({
            "name": "ProductActiveIndex", "partition_key": "activeKey", "sort_key": "dateCreated",
            "projection": {"type": "ALL"}, "sparse": True})
        t["access_patterns"].append({
            "name": "active products (LLD)", "index": "ProductActiveIndex", "partition_key": "activeKey",
            "sort_key": "dateCreated", "consumer": "product_lambda"})


@case("index-name", "tables/products.yaml", "/global_secondary_indexes/0/name")
def index_name_not_purpose_index(root: Path) -> None:
    """An index called active_idx instead of <Purpose>Index (D4)."""
    with yaml_doc(root, "tables/products.yaml") as t:
        t["global_secondary_indexes"][0]["name"] = "active_idx"
        t["access_patterns"][1]["index"] = "active_idx"


@case("index-name", "tables/tenants.yaml", "/global_secondary_indexes/1/name")
def index_name_defined_twice(root: Path) -> None:
    """Two different tenants indexes both named EmailIndex."""
    with yaml_doc(root, "tables/tenants.yaml") as t:
        t["global_secondary_indexes"][1]["name"] = "EmailIndex"


@case("projection", "tables/users.yaml", "/global_secondary_indexes/1/projection")
def include_without_attributes(root: Path) -> None:
    """OrganisationIndex projects INCLUDE but lists no non-key attributes."""
    with yaml_doc(root, "tables/users.yaml") as t:
        del t["global_secondary_indexes"][1]["projection"]["non_key_attributes"]


@case("projection", "tables/orders.yaml", "/global_secondary_indexes/0/projection")
def all_with_attributes(root: Path) -> None:
    """An ALL projection that also lists non_key_attributes."""
    with yaml_doc(root, "tables/orders.yaml") as t:
        t["global_secondary_indexes"][0]["projection"]["non_key_attributes"] = ["total"]


@case("projection", "tables/users.yaml", "/global_secondary_indexes/1/projection")
def include_attribute_not_in_item(root: Path) -> None:
    """INCLUDE projects nickname, which users do not have."""
    with yaml_doc(root, "tables/users.yaml") as t:
        t["global_secondary_indexes"][1]["projection"]["non_key_attributes"].append("nickname")


@case("unused-index", "tables/campaigns.yaml", "/global_secondary_indexes/1")
def index_without_access_pattern(root: Path) -> None:
    """CampaignProductIndex kept after its access pattern was dropped: cost with no reader."""
    with yaml_doc(root, "tables/campaigns.yaml") as t:
        del t["access_patterns"][2]


@case("unserved-access-pattern", "tables/orders.yaml", "/access_patterns/1")
def access_pattern_keys_do_not_match_index(root: Path) -> None:
    """'orders of a customer' queries CustomerIndex by tenantId, but the index is keyed customerId."""
    with yaml_doc(root, "tables/orders.yaml") as t:
        t["access_patterns"][1]["partition_key"] = "tenantId"


@case("unserved-access-pattern", "tables/orders.yaml", "/access_patterns/0")
def access_pattern_sort_key_does_not_match_table(root: Path) -> None:
    """'order by id' claims the table sorts by dateCreated; it sorts by SK."""
    with yaml_doc(root, "tables/orders.yaml") as t:
        t["access_patterns"][0]["sort_key"] = "dateCreated"


@case("unserved-access-pattern", "tables/users.yaml", "/access_patterns/2/index")
def access_pattern_names_missing_index(root: Path) -> None:
    """An access pattern naming TenantIndex, which users does not have."""
    with yaml_doc(root, "tables/users.yaml") as t:
        t["access_patterns"][2]["index"] = "TenantIndex"


# -- table settings


@case("stream", "tables/products.yaml", "/stream")
def products_stream_null(root: Path) -> None:
    """The products seed had no stream; every table streams NEW_AND_OLD_IMAGES (D8)."""
    with yaml_doc(root, "tables/products.yaml") as t:
        t["stream"] = None


@case("stream", "tables/tenants.yaml", "/stream")
def stream_new_image_only(root: Path) -> None:
    """NEW_IMAGE loses the old image the audit trail needs (D8)."""
    with yaml_doc(root, "tables/tenants.yaml") as t:
        t["stream"] = "NEW_IMAGE"


@case("ttl", "tables/orders.yaml", "/ttl")
def ttl_enabled_without_attribute(root: Path) -> None:
    """TTL switched on without naming its attribute."""
    with yaml_doc(root, "tables/orders.yaml") as t:
        t["ttl"] = {"enabled": True}


@case("ttl", "tables/orders.yaml", "/ttl/attribute")
def ttl_on_string_attribute(root: Path) -> None:
    """TTL on dateCreated, an ISO string: DynamoDB only expires epoch-second numbers."""
    with yaml_doc(root, "tables/orders.yaml") as t:
        t["ttl"] = {"enabled": True, "attribute": "dateCreated"}


# -- environments


@case("table-naming", "environments/sit.yaml", "/naming/table")
def products_sit_style_mixed_naming(root: Path) -> None:
    """The seeds mixed `products-sit` with bare `tenants`; D2 is {table}-{env} everywhere."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["naming"]["table"] = "{table}"


@case("table-naming", "environments/prod.yaml", "/naming/table")
def naming_with_unknown_placeholder(root: Path) -> None:
    """A typo in the naming placeholder ({tbl}) is a finding, not a traceback."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["naming"]["table"] = "{tbl}-{env}"


@case("table-naming", "environments/dev.yaml", "/naming/table")
def naming_with_unbalanced_brace(root: Path) -> None:
    """A lost closing brace ('{table}-{env') is a finding, not a traceback (found by the fuzz test)."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["naming"]["table"] = "{table}-{env"


@case("table-naming", "tables/campaigns.yaml", "/name")
def physical_name_too_long(root: Path) -> None:
    """A naming pattern that makes physical names longer than DynamoDB's 255 characters."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["naming"]["table"] = "{table}-{env}-" + "x" * 250


@case("environment-tables", "environments/dev.yaml", "/tables")
def environment_missing_a_table(root: Path) -> None:
    """Dev deploys only four of the five tables (the seeds' 3-vs-5 question, D1)."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["tables"].remove("users")
        e["backup"]["selection"]["tables"].remove("users")


@case("environment-tables", "environments/sit.yaml", "/tables/5")
def environment_deploys_unknown_table(root: Path) -> None:
    """Sit lists a table 'reviews' that contracts/tables/ does not define."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["tables"].append("reviews")
        e["backup"]["selection"]["tables"].append("reviews")


@case("on-demand", "environments/sit.yaml", "/capacity/billing_mode")
def provisioned_capacity(root: Path) -> None:
    """PROVISIONED capacity; D6 says PAY_PER_REQUEST everywhere."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["capacity"]["billing_mode"] = "PROVISIONED"


@case("pitr", "environments/dev.yaml", "/pitr/enabled")
def pitr_disabled(root: Path) -> None:
    """PITR off in dev; D7 enables it on every table in every environment."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["pitr"]["enabled"] = False


@case("encryption", "environments/dev.yaml", "/encryption/kind")
def dev_with_customer_managed_key(root: Path) -> None:
    """Dev on a customer-managed key; D9 keeps those for prod."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["encryption"] = {"kind": "customer-managed", "key_alias": "alias/bbws-dynamodb-dev", "rotation": True}


@case("encryption", "environments/prod.yaml", "/encryption/kind")
def prod_with_aws_managed_key(root: Path) -> None:
    """Prod on the AWS-managed key; D9 wants a customer-managed key."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["encryption"] = {"kind": "aws-managed"}


@case("encryption", "environments/prod.yaml", "/encryption")
def prod_key_without_alias(root: Path) -> None:
    """A customer-managed key with no alias to find it by."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        del e["encryption"]["key_alias"]


@case("encryption", "environments/prod.yaml", "/encryption/rotation")
def prod_key_without_rotation(root: Path) -> None:
    """The customer-managed key does not rotate."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["encryption"]["rotation"] = False


@case("encryption", "environments/sit.yaml", "/encryption/key_alias")
def aws_managed_with_alias(root: Path) -> None:
    """An AWS-managed key given a key_alias it cannot have."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["encryption"]["key_alias"] = "alias/bbws-dynamodb-sit"


@case("deletion-protection", "environments/prod.yaml", "/deletion_protection")
def prod_without_deletion_protection(root: Path) -> None:
    """Prod with deletion_protection false (D10)."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["deletion_protection"] = False


@case("deletion-protection", "environments/dev.yaml", "/deletion_protection")
def dev_with_deletion_protection(root: Path) -> None:
    """Deletion protection in dev blocks the teardown D10 allows there."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["deletion_protection"] = True


@case("tags", "environments/dev.yaml", "/tags")
def required_tag_missing(root: Path) -> None:
    """CostCenter dropped from the LLD's seven tags (D15)."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        del e["tags"]["CostCenter"]


@case("tags", "environments/sit.yaml", "/tags/Environment")
def environment_tag_names_other_environment(root: Path) -> None:
    """sit.yaml tagged Environment: dev (copy-paste between environment files)."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["tags"]["Environment"] = "dev"


# -- backups


@case("backup-vault", "environments/sit.yaml", "/backup/vault")
def vault_without_environment_suffix(root: Path) -> None:
    """A vault name shared by every environment; D11 wants bbws-dynamodb-backup-vault-{env}."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["backup"]["vault"] = "bbws-dynamodb-backup-vault"


@case("backup-schedule", "environments/prod.yaml", "/backup/schedule")
def daily_instead_of_hourly(root: Path) -> None:
    """A daily cron; D11's hourly plan is what makes the 60-minute RPO true."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["backup"]["schedule"] = "cron(0 2 * * ? *)"


@case("backup-retention", "environments/sit.yaml", "/backup/retention_days")
def sit_retention_seven_days(root: Path) -> None:
    """The sit seed kept backups 7 days; D11's sit minimum is 14."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["backup"]["retention_days"] = 7


@case("backup-retention", "environments/prod.yaml", "/backup/retention_days")
def prod_retention_thirty_days(root: Path) -> None:
    """Prod kept 30 days; D11's prod minimum is 90."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["backup"]["retention_days"] = 30


@case("backup-selection", "environments/prod.yaml", "/backup/selection/tables")
def table_missing_from_backup_selection(root: Path) -> None:
    """orders is deployed in prod but not in the backup selection (the seeds selected no tables)."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["backup"]["selection"]["tables"].remove("orders")


@case("backup-selection", "environments/dev.yaml", "/backup/selection/tables")
def backup_selection_names_unknown_table(root: Path) -> None:
    """The selection names 'reviews', which dev does not deploy."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["backup"]["selection"]["tables"].append("reviews")


@case("backup-copy", "environments/prod.yaml", "/backup/copy")
def prod_without_backup_copy(root: Path) -> None:
    """Prod backups not copied out of af-south-1 (D11)."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["backup"]["copy"] = None


@case("backup-copy", "environments/sit.yaml", "/backup/copy")
def sit_with_backup_copy(root: Path) -> None:
    """A cross-region copy in sit: cost D11 reserves for prod."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["backup"]["copy"] = {"region": "af-south-1", "vault": "bbws-dynamodb-backup-vault-sit-dr",
                               "retention_days": 14}


@case("backup-copy", "environments/prod.yaml", "/backup/copy/region")
def backup_copy_to_same_region(root: Path) -> None:
    """The DR copy goes to af-south-1, the primary region: no disaster recovery."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["backup"]["copy"]["region"] = "af-south-1"


@case("backup-copy", "environments/prod.yaml", "/backup/copy/retention_days")
def backup_copy_kept_shorter(root: Path) -> None:
    """The DR copy expires after 30 days while the primary is kept 90."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["backup"]["copy"]["retention_days"] = 30


# -- replication, alarms, accounts, recovery


@case("replication", "environments/prod.yaml", "/replication")
def prod_without_replication(root: Path) -> None:
    """Prod not a global table: no eu-west-1 replica (D13)."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["replication"] = None


@case("replication", "environments/dev.yaml", "/replication")
def dev_with_replication(root: Path) -> None:
    """Dev replicated to another region: cost D13 reserves for prod."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["replication"] = {"regions": ["af-south-1"], "global_table_version": "2019.11.21",
                            "lag_p99_seconds": 1, "lag_alarm_seconds": 5}


@case("replication", "environments/prod.yaml", "/replication/regions")
def replica_in_primary_region(root: Path) -> None:
    """The replica region is the primary region itself."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["replication"]["regions"] = ["af-south-1"]


@case("alarm-threshold", "monitoring.yaml", "/alarms")
def lag_alarm_threshold_differs(root: Path) -> None:
    """The replication lag alarm fires at 10 s while the contract says 5 s (D13)."""
    with yaml_doc(root, "monitoring.yaml") as m:
        next(a for a in m["alarms"] if a["id"] == "replication-lag")["threshold"] = 10000


@case("alarm-threshold", "monitoring.yaml", "/alarms")
def lag_alarm_missing(root: Path) -> None:
    """Prod replicates but no alarm watches the replication lag."""
    with yaml_doc(root, "monitoring.yaml") as m:
        m["alarms"] = [a for a in m["alarms"] if a["scope"] != "replica"]


@case("account", "environments/sit.yaml", "/account")
def duplicate_accounts(root: Path) -> None:
    """Sit pointed at the dev account; D12 gives every environment its own."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["account"] = "536580886816"


@case("recovery", "environments/dev.yaml", "/recovery/rpo_minutes")
def pitr_rpo_looser_than_backup(root: Path) -> None:
    """A PITR RPO of 120 min, looser than the 60 min of the hourly backup (D14)."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["recovery"]["rpo_minutes"]["pitr"] = 120


# -- the templates bucket (004 section 4)

BUCKET = "buckets/templates.yaml"


@case("bucket-naming", BUCKET, "/bucket")
def bucket_without_environment(root: Path) -> None:
    """One name for every environment: S3 names are global, and 004 5.3.2 says bbws-{purpose}-{env}."""
    with yaml_doc(root, BUCKET) as b:
        b["bucket"] = "bbws-templates"


@case("bucket-naming", BUCKET, "/access_logging/bucket")
def logging_bucket_name_invalid(root: Path) -> None:
    """An upper-case log bucket name is not a valid S3 bucket name."""
    with yaml_doc(root, BUCKET) as b:
        b["access_logging"]["bucket"] = "BBWS_Logs-{env}"


@case("bucket-environments", BUCKET, "/replication")
def bucket_forgets_an_environment(root: Path) -> None:
    """sit is not named under replication: is it meant to replicate or not?"""
    with yaml_doc(root, BUCKET) as b:
        del b["replication"]["sit"]


@case("bucket-versioning", BUCKET, "/versioning")
def versioning_off(root: Path) -> None:
    """004 4.3: versioning enabled for template version tracking."""
    with yaml_doc(root, BUCKET) as b:
        b["versioning"] = False


@case("bucket-encryption", BUCKET, "/encryption")
def sse_kms_instead_of_s3(root: Path) -> None:
    """004 4.3 specifies SSE-S3 (AES-256)."""
    with yaml_doc(root, BUCKET) as b:
        b["encryption"] = "SSE-KMS"


@case("bucket-public-access", BUCKET, "/public_access_block")
def public_policy_allowed(root: Path) -> None:
    """004 4.3: block all public access."""
    with yaml_doc(root, BUCKET) as b:
        b["public_access_block"]["block_public_policy"] = False


@case("bucket-object-lock", BUCKET, "/object_lock")
def object_lock_on(root: Path) -> None:
    """004 4.3: object lock not enabled (no compliance hold needed)."""
    with yaml_doc(root, BUCKET) as b:
        b["object_lock"] = True


@case("bucket-lifecycle", BUCKET, "/lifecycle/noncurrent_version_expiration_days")
def versions_kept_30_days(root: Path) -> None:
    """004 4.3 keeps all versions for 90 days."""
    with yaml_doc(root, BUCKET) as b:
        b["lifecycle"]["noncurrent_version_expiration_days"] = 30


@case("bucket-logging", BUCKET, "/access_logging/bucket")
def logs_into_itself(root: Path) -> None:
    """004 4.3: access logging to a separate bucket."""
    with yaml_doc(root, BUCKET) as b:
        b["access_logging"]["bucket"] = "bbws-templates-{env}"


@case("bucket-replication", BUCKET, "/replication/sit")
def sit_replicates(root: Path) -> None:
    """004 7.2: replication is PROD only."""
    with yaml_doc(root, BUCKET) as b:
        b["replication"]["sit"] = {"region": "eu-central-1", "bucket": "bbws-templates-{env}-dr",
                                   "role": "bbws-templates-replication-{env}"}


@case("bucket-replication", BUCKET, "/replication/prod/region")
def prod_replicates_elsewhere(root: Path) -> None:
    """The templates go to eu-central-1 while the tables and backups recover in eu-west-1."""
    with yaml_doc(root, BUCKET) as b:
        b["replication"]["prod"]["region"] = "eu-central-1"


@case("bucket-tags", BUCKET, "/tags/Owner")
def bucket_owner_disagrees(root: Path) -> None:
    """The bucket's Owner tag contradicts the environments' Owner (004 5.3.3)."""
    with yaml_doc(root, BUCKET) as b:
        b["tags"]["Owner"] = "Someone Else"


@case("bucket-tags", BUCKET, "/tags/Component")
def bucket_component_dynamodb(root: Path) -> None:
    """Component is s3 for buckets (004 5.3.3)."""
    with yaml_doc(root, BUCKET) as b:
        b["tags"]["Component"] = "dynamodb"


@case("template-bucket", "templates.yaml", "/bucket")
def catalogue_names_no_bucket(root: Path) -> None:
    """The templates are said to live in a bucket the contract does not define."""
    with yaml_doc(root, "templates.yaml") as t:
        t["bucket"] = "emails"


@case("template-keys", "templates.yaml", "/templates")
def invoice_internal_dropped(root: Path) -> None:
    """One of the LLD's twelve templates (004 4.2.3) is missing from the catalogue."""
    with yaml_doc(root, "templates.yaml") as t:
        t["templates"] = [x for x in t["templates"] if x["key"] != "invoices/invoice_internal.html"]


@case("template-keys", "templates.yaml", "/templates/1/audience")
def internal_template_as_customer(root: Path) -> None:
    """receipt_internal.html marked customer: the footer rules would be the wrong ones."""
    with yaml_doc(root, "templates.yaml") as t:
        t["templates"][1]["audience"] = "customer"


@case("template-variables", "template-variables/receipts/receipt.schema.json", "/properties/tax")
def optional_variable(root: Path) -> None:
    """A variable that is not required would render as an empty string in a customer's receipt."""
    with json_doc(root, "template-variables/receipts/receipt.schema.json") as v:
        v["required"].remove("tax")


@case("template-variables", "template-variables/invoices/invoice.schema.json", "/properties")
def unsubscribe_not_declared(root: Path) -> None:
    """A customer template's contract without the unsubscribe link's variable."""
    with json_doc(root, "template-variables/invoices/invoice.schema.json") as v:
        del v["properties"]["unsubscribe_url"]
        v["required"].remove("unsubscribe_url")


# -- names and regions AWS would refuse


@case("dashboard-widgets", "monitoring.yaml", "/dashboard/widgets/1/title")
def two_widgets_with_one_title(root: Path) -> None:
    """The dashboard check finds a widget by its title: a second widget of the same title hides one of them
    (found by the deploy/verify fuzz test)."""
    with yaml_doc(root, "monitoring.yaml") as m:
        m["dashboard"]["widgets"][1]["title"] = m["dashboard"]["widgets"][0]["title"]


@case("aws-name", "environments/sit.yaml", "/monitoring/devops_topic")
def topic_name_with_a_space(root: Path) -> None:
    """SNS topic names are letters, digits, hyphens and underscores: CreateTopic would refuse this."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["monitoring"]["devops_topic"] = "bbws dynamodb alerts sit"


@case("aws-name", "environments/dev.yaml", "/backup/plan")
def backup_plan_name_over_fifty(root: Path) -> None:
    """AWS Backup plan names are 1-50 characters."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["backup"]["plan"] = "bbws-dynamodb-backup-plan-dev-" + "x" * 30


@case("aws-name", "environments/prod.yaml", "/monitoring/alarm_prefix")
def alarm_name_over_255(root: Path) -> None:
    """The alarm name is the prefix and the alarm's id: PutMetricAlarm refuses more than 255 characters."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["monitoring"]["alarm_prefix"] = "bbws-" + "p" * 260


@case("aws-name", "environments/dev.yaml", "/tags/aws:owner")
def reserved_tag_key(root: Path) -> None:
    """Tag keys starting aws: are AWS's own: TagResource refuses them."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["tags"]["aws:owner"] = "Tebogo"


@case("aws-name", "environments/prod.yaml", "/encryption/key_alias")
def aws_reserved_key_alias(root: Path) -> None:
    """alias/aws/... names an AWS-managed key: CreateAlias refuses it, and it is not customer-managed."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["encryption"]["key_alias"] = "alias/aws/dynamodb"


@case("aws-name", "buckets/templates.yaml", "/access_logging/prefix")
def logging_prefix_with_a_format_spec(root: Path) -> None:
    """{env:>999999999} would make a gigabyte string when the prefix is filled in."""
    with yaml_doc(root, "buckets/templates.yaml") as b:
        b["access_logging"]["prefix"] = "{env:>999999999}/"


@case("region", "environments/dev.yaml", "/region")
def region_that_does_not_exist(root: Path) -> None:
    """Shaped like a region, but AWS has no such region."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["region"] = "xx-nowhere-1"


@case("region", "environments/prod.yaml", "/backup/copy/region")
def backup_copy_to_a_region_that_does_not_exist(root: Path) -> None:
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["backup"]["copy"]["region"] = "eu-atlantis-9"


@case("bucket-naming", "buckets/templates.yaml", "/bucket")
def bucket_name_with_a_reserved_prefix(root: Path) -> None:
    """S3 reserves xn-- (and sthree-, amzn-s3-demo-) as bucket name prefixes."""
    with yaml_doc(root, "buckets/templates.yaml") as b:
        b["bucket"] = "xn--bbws-templates-{env}"


# ---------------------------------------------------------------------------- the tests


def test_real_contract_is_clean() -> None:
    """The committed contract parses and lints with zero problems."""
    contract, problems = parse_contract(REAL_CONTRACTS)
    assert problems == []
    assert contract is not None
    assert lint_contract(contract) == []
    assert load_contract(REAL_CONTRACTS) is not None


def test_unedited_copy_is_clean(contracts: Path) -> None:
    """The fixture's copy is clean too, so each case's finding comes from its one edit."""
    assert lint(contracts) == []


@pytest.mark.parametrize(("mutation", "rule", "file", "location"), CASES)
def test_lint_catches(contracts: Path, mutation: Mutation, rule: str, file: str, location: str) -> None:
    mutation(contracts)
    problems = lint(contracts)
    assert found(problems, file, location, rule), (
        f"expected {file}: {location}: {rule}: ... ({mutation.__doc__})\ngot:\n{listing(problems)}")
    assert all(p.rule in RULES for p in problems), f"a rule missing from RULES:\n{listing(problems)}"
    with pytest.raises(ContractError) as err:
        load_contract(contracts)
    assert found(err.value.problems, file, location, rule)


EXERCISED = {param.values[1] for param in CASES}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_rule_has_an_invalid_case(rule: str) -> None:
    """Adding a rule to RULES without an invalid case in this file fails here."""
    assert rule in EXERCISED, f"no invalid case exercises lint rule {rule!r}: add one to tests/test_lint.py"


def test_cases_name_only_known_rules() -> None:
    assert not EXERCISED - set(RULES), f"cases name rules missing from RULES: {EXERCISED - set(RULES)}"
