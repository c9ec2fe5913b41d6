"""Lint rules for the S3 buckets and the email template catalogue (ADR 0041)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from readiness.contract.lint_aws import bucket_name_problem
from readiness.contract.model import Bucket, Contract, Problem

LLD_TEMPLATE_KEYS = (
    "receipts/receipt.html", "receipts/receipt_internal.html", "receipts/order.html", "receipts/order_internal.html",
    "notifications/order_confirmation_customer.html", "notifications/order_confirmation_internal.html",
    "notifications/payment_confirmation_customer.html", "notifications/payment_confirmation_internal.html",
    "notifications/site_creation_customer.html", "notifications/site_creation_internal.html",
    "invoices/invoice.html", "invoices/invoice_internal.html",
)
BUCKET_TAGS = ("Environment", "Project", "Owner", "CostCenter", "ManagedBy", "Component")
SHARED_TAGS = ("Project", "Owner", "CostCenter", "ManagedBy")
NONCURRENT_DAYS = 90


def bucket_rules(c: Contract, b: Bucket) -> Iterator[Problem]:
    f = b.file
    if b.bucket_naming != f"bbws-{b.name}-{{env}}":
        yield Problem(f, "/bucket", "bucket-naming", f"{b.bucket_naming!r} must be 'bbws-{b.name}-{{env}}'")
    names: dict[str, str] = {}
    for env in sorted(c.environments):
        try:
            physical = {"bucket": b.bucket_name(env), "access_logging/bucket": b.logging_bucket(env)}
            repl = b.replication_of(env)
        except (KeyError, IndexError, ValueError):
            yield Problem(f, "/bucket", "bucket-naming", "a bucket name may use {env} only")
            return
        if repl:
            physical["replication/bucket"] = repl.bucket
        for where, name in physical.items():
            if name is None:
                continue
            if why := bucket_name_problem(name):
                yield Problem(f, f"/{where}", "bucket-naming", why)
            if name in names and names[name] != env:
                yield Problem(f, f"/{where}", "bucket-naming", f"{name} is used by {names[name]} and {env} alike")
            names[name] = env
        if physical["access_logging/bucket"] == physical["bucket"]:
            yield Problem(f, "/access_logging/bucket", "bucket-logging",
                          "access logs must go to a separate bucket, not to the bucket itself")
        if repl and repl.bucket in (physical["bucket"], physical["access_logging/bucket"]):
            yield Problem(f, "/replication", "bucket-replication", f"{env} replicates into its own bucket")
    for env in sorted(set(c.environments) - set(b.replication)):
        yield Problem(f, "/replication", "bucket-environments", f"environment {env!r} is not named (null: no replica)")
    for env in sorted(set(b.replication) - set(c.environments)):
        yield Problem(f, f"/replication/{env}", "bucket-environments", f"no environment {env!r} in the contract")
    if not b.versioning:
        yield Problem(f, "/versioning", "bucket-versioning", "versioning must be enabled (template version tracking)")
    if b.encryption != "SSE-S3":
        yield Problem(f, "/encryption", "bucket-encryption", f"{b.encryption}; the LLD specifies SSE-S3 (AES-256)")
    off = sorted(k for k, v in b.public_access_block.items() if not v)
    if off:
        yield Problem(f, "/public_access_block", "bucket-public-access", f"not blocked: {', '.join(off)}")
    if b.object_lock:
        yield Problem(f, "/object_lock", "bucket-object-lock", "object lock is not enabled (no compliance hold)")
    if b.noncurrent_version_expiration_days != NONCURRENT_DAYS:
        yield Problem(f, "/lifecycle/noncurrent_version_expiration_days", "bucket-lifecycle",
                      f"{b.noncurrent_version_expiration_days} days; the LLD keeps versions {NONCURRENT_DAYS} days")
    if b.logging_naming is None:
        yield Problem(f, "/access_logging", "bucket-logging", "access logging is required (audit trail)")
    for env_name, repl in sorted(b.replication.items()):
        e = c.environments.get(env_name)
        if e is None:
            continue
        is_prod = env_name == "prod"
        if is_prod and repl is None:
            yield Problem(f, "/replication/prod", "bucket-replication", "prod replicates to the DR region")
        if repl is None:
            continue
        if not is_prod:
            yield Problem(f, f"/replication/{env_name}", "bucket-replication", "replication is for prod only")
        if repl.region == e.region:
            yield Problem(f, f"/replication/{env_name}/region", "bucket-replication",
                          f"{repl.region} is {env_name}'s own region")
        dr = set(e.replication.regions if e.replication else ()) | ({e.backup.copy.region} if e.backup.copy else set())
        if dr and repl.region not in dr:
            yield Problem(f, f"/replication/{env_name}/region", "bucket-replication",
                          f"{repl.region} is not {env_name}'s DR region ({', '.join(sorted(dr))})")
        if not b.versioning:
            yield Problem(f, f"/replication/{env_name}", "bucket-versioning", "replication needs versioning")
    if "Environment" in b.tags:
        yield Problem(f, "/tags/Environment", "bucket-tags", "Environment comes from the environment's name")
    for tag in BUCKET_TAGS:
        if tag != "Environment" and tag not in b.tags:
            yield Problem(f, "/tags", "bucket-tags", f"required tag {tag} is missing")
    if b.tags.get("Component") not in (None, "s3"):
        yield Problem(f, "/tags/Component", "bucket-tags", f"Component is {b.tags['Component']!r}, not 's3'")
    for e in sorted(c.environments.values(), key=lambda e: e.name):
        for tag in SHARED_TAGS:
            if tag in b.tags and tag in e.tags and b.tags[tag] != e.tags[tag]:
                yield Problem(f, f"/tags/{tag}", "bucket-tags",
                              f"{b.tags[tag]!r} here but {e.tags[tag]!r} in {e.file}")


def template_rules(c: Contract) -> Iterator[Problem]:
    cat = c.templates
    if cat is None:
        return
    f = cat.file
    if cat.bucket not in c.buckets:
        yield Problem(f, "/bucket", "template-bucket", f"no bucket {cat.bucket!r} in contracts/buckets/")
    keys = [t.key for t in cat.templates]
    for key in LLD_TEMPLATE_KEYS:
        if key not in keys:
            yield Problem(f, "/templates", "template-keys", f"{key} (004 4.2.3) is missing")
    for i, key in enumerate(keys):
        if key not in LLD_TEMPLATE_KEYS:
            yield Problem(f, f"/templates/{i}/key", "template-keys", f"{key} is not one of the LLD's templates")
        if keys.index(key) != i:
            yield Problem(f, f"/templates/{i}/key", "template-keys", f"{key} is listed twice")
        audience = "internal" if key.endswith("_internal.html") else "customer"
        t = cat.templates[i]
        if t.audience != audience:
            yield Problem(f, f"/templates/{i}/audience", "template-keys", f"{key} is a {audience} template")
    for t in cat.templates:
        v = t.variables
        raw = v.get("properties")
        props: Mapping[str, Any] = raw if isinstance(raw, Mapping) else {}
        required = set(v.get("required", []) or [])
        if v.get("type") != "object" or v.get("additionalProperties") is not False:
            yield Problem(t.variables_file, "/", "template-variables",
                          "must be type object with additionalProperties false")
        for name in sorted(set(props) - required):
            yield Problem(t.variables_file, f"/properties/{name}", "template-variables",
                          f"{name} is not required: a missing value would render empty")
        needed = list(cat.footer_variables) + ([cat.unsubscribe_variable] if t.audience == "customer" else [])
        for name in needed:
            if name not in props:
                yield Problem(t.variables_file, "/properties", "template-variables",
                              f"{name} (legal footer) is not declared")
