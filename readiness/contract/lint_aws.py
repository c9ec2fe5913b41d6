"""What AWS itself would refuse: its documented name rules and the regions a service exists in (ADR 0058)."""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterator

import boto3

from readiness.contract.desired import desired_state
from readiness.contract.model import Contract, ContractError, Environment, Problem, fill

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")

# AWS's documented name rules, by what the name is: (min, max, allowed characters). Lengths count characters;
# key attribute names count UTF-8 bytes (DynamoDB). The character classes are linear regexes, never nested.
AWS_NAMES: dict[str, tuple[int, int, re.Pattern[str]]] = {
    "DynamoDB table name": (3, 255, re.compile(r"[A-Za-z0-9_.-]*")),
    "DynamoDB index name": (3, 255, re.compile(r"[A-Za-z0-9_.-]*")),
    "DynamoDB key attribute name": (1, 255, re.compile(r".*", re.S)),
    "tag key": (1, 128, re.compile(r"[\w\s.:/=+@-]*")),
    "tag value": (0, 256, re.compile(r"[\w\s.:/=+@-]*")),
    "SNS topic name": (1, 256, re.compile(r"[A-Za-z0-9_-]*")),
    "CloudWatch alarm name": (1, 255, re.compile(r".*", re.S)),
    "CloudWatch dashboard name": (1, 255, re.compile(r"[A-Za-z0-9_-]*")),
    "backup plan name": (1, 50, re.compile(r"[A-Za-z0-9_.-]*")),
    "backup rule name": (1, 50, re.compile(r"[A-Za-z0-9_.-]*")),
    "backup selection name": (1, 50, re.compile(r"[A-Za-z0-9_.-]*")),
    "IAM role name": (1, 64, re.compile(r"[\w+=,.@-]*", re.A)),
    "KMS alias": (7, 256, re.compile(r"alias/[A-Za-z0-9/_-]*")),
    "cost monitor name": (1, 1024, re.compile(r".*", re.S)),
    "S3 key prefix": (0, 1024, re.compile(r".*", re.S)),
}
BUCKET_NAME_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
BUCKET_NAME_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def aws_name_problem(kind: str, name: str) -> str | None:
    """Why AWS would refuse ``name`` as a ``kind`` (a key of AWS_NAMES), or None."""
    low, high, chars = AWS_NAMES[kind]
    size = len(name.encode("utf-8")) if kind == "DynamoDB key attribute name" else len(name)
    if not low <= size <= high:
        return f"{_clip(name)} is {size} characters long; a {kind} has {low}-{high}"
    if not chars.fullmatch(name):
        bad = sorted({c for c in name if not chars.fullmatch(c)})[:5]
        return f"{_clip(name)} holds {''.join(bad)!r}, which a {kind} may not"
    if kind == "KMS alias" and name.startswith("alias/aws/"):
        return f"{name} is reserved for AWS-managed keys"
    if kind == "tag key" and name.lower().startswith("aws:"):
        return f"{_clip(name)}: tag keys starting aws: are reserved for AWS"
    return None


def bucket_name_problem(name: str) -> str | None:
    """Why S3 would refuse a bucket name (its general purpose bucket naming rules), or None."""
    if not BUCKET_NAME.match(name) or ".." in name:
        return f"{_clip(name)} is not a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)"
    try:
        ipaddress.IPv4Address(name)
        return f"{name} is formatted as an IP address, which S3 refuses as a bucket name"
    except ValueError:
        pass
    if name.startswith(BUCKET_NAME_PREFIXES) or name.endswith(BUCKET_NAME_SUFFIXES):
        return f"{name} uses a prefix or suffix S3 reserves"
    return None


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit] + "..."


@functools.cache
def aws_regions(service: str) -> frozenset[str]:
    """The regions of the aws partition that offer the service, from botocore's bundled endpoint data."""
    return frozenset(boto3.session.Session().get_available_regions(service))


def _region_problem(region: str, service: str) -> str | None:
    if region in aws_regions(service):
        return None
    return f"{region} is not a region where AWS offers {service} (botocore's endpoint data)"


def name_rules(c: Contract) -> Iterator[Problem]:
    """aws-name and region: names and regions AWS would refuse, in the form each environment deploys them."""
    for t in c.tables.values():
        for i, g in enumerate(t.gsis):
            if why := aws_name_problem("DynamoDB index name", g.name):
                yield Problem(t.file, f"/global_secondary_indexes/{i}/name", "aws-name", why)
        for attr in t.attributes:
            if why := aws_name_problem("DynamoDB key attribute name", attr):
                yield Problem(t.file, f"/attributes/{attr}", "aws-name", why)
    for e in c.environments.values():
        f = e.file
        for name in e.tables:
            try:
                physical = e.table_name(name)
            except (KeyError, IndexError, ValueError):
                continue  # reported by table-naming
            if why := aws_name_problem("DynamoDB table name", physical):
                yield Problem(f, "/naming/table", "aws-name", why)
        for key, value in e.tags.items():
            for kind, text in (("tag key", key), ("tag value", value)):
                if why := aws_name_problem(kind, text):
                    yield Problem(f, f"/tags/{key}", "aws-name", why)
        m, b = e.monitoring, e.backup
        named = [("/monitoring/devops_topic", "SNS topic name", m.devops_topic),
                 ("/monitoring/finops_topic", "SNS topic name", m.finops_topic),
                 ("/monitoring/dashboard", "CloudWatch dashboard name", m.dashboard),
                 ("/monitoring/cost_monitor", "cost monitor name", m.cost_monitor),
                 ("/backup/plan", "backup plan name", b.plan), ("/backup/rule", "backup rule name", b.rule),
                 ("/backup/selection/name", "backup selection name", b.selection),
                 ("/backup/iam_role", "IAM role name", b.iam_role)]
        if e.key_alias:
            named.append(("/encryption/key_alias", "KMS alias", e.key_alias))
        for where, kind, name in named:
            if why := aws_name_problem(kind, name):
                yield Problem(f, where, "aws-name", why)
        yield from _alarm_names(c, e)
        regions = [("/region", e.region)] + [("/replication/regions", r) for r in
                                             (e.replication.regions if e.replication else ())]
        if b.copy:
            regions.append(("/backup/copy/region", b.copy.region))
        for where, region in regions:
            for service in ("dynamodb", "backup"):
                if why := _region_problem(region, service):
                    yield Problem(f, where, "region", why)
                    break
    for bucket in c.buckets.values():
        for key, value in bucket.tags.items():
            for kind, text in (("tag key", key), ("tag value", value)):
                if why := aws_name_problem(kind, text):
                    yield Problem(bucket.file, f"/tags/{key}", "aws-name", why)
        for env_name, r in bucket.replication.items():
            if r is None:
                continue
            if why := _region_problem(r.region, "s3"):
                yield Problem(bucket.file, f"/replication/{env_name}/region", "region", why)
            try:
                role = fill(r.role, env=env_name)
            except ValueError as exc:
                yield Problem(bucket.file, f"/replication/{env_name}/role", "aws-name", str(exc))
                continue
            if why := aws_name_problem("IAM role name", role):
                yield Problem(bucket.file, f"/replication/{env_name}/role", "aws-name", why)
        for env_name in c.environments:
            try:
                prefix = fill(bucket.logging_prefix, env=env_name)
            except ValueError as exc:
                yield Problem(bucket.file, "/access_logging/prefix", "aws-name", str(exc))
                break
            if why := aws_name_problem("S3 key prefix", prefix):
                yield Problem(bucket.file, "/access_logging/prefix", "aws-name", why)


def _alarm_names(c: Contract, e: Environment) -> Iterator[Problem]:
    try:
        alarms = desired_state(c, e.name).alarms
    except (ContractError, KeyError, IndexError, ValueError):
        return  # a contract the other rules already refuse
    for a in alarms:
        if why := aws_name_problem("CloudWatch alarm name", a.name):
            yield Problem(e.file, "/monitoring/alarm_prefix" if a.name.startswith(e.monitoring.alarm_prefix)
                          else "/naming/table", "aws-name", why)
