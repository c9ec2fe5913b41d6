"""Which statements of a bucket policy make the bucket public, by S3's own rule: the check reads a live policy
with it and the plan observation answers ``get_bucket_policy_status`` with it (a plan has no S3 to ask)."""

from __future__ import annotations

import ipaddress
import json
from typing import Any

# a condition on one of these keys, with a value without wildcards, limits who a "*" principal is (S3's own rule
# for "public": https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html)
RESTRICTING_CONDITION_KEYS = {
    "aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceip",
    "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn", "aws:userid",
    "s3:dataaccesspointarn", "s3:dataaccesspointaccount"}
RESTRICTING_OPERATORS = ("StringEquals", "StringLike", "ArnEquals", "ArnLike", "IpAddress")


def _broad(value: Any) -> bool:
    """A value that restricts nobody: a wildcard, or an IP range wider than a /8 (IPv4) or a /32 (IPv6), which
    a decoy can split everyone into (0.0.0.0/1 + 128.0.0.0/1)."""
    text = str(value)
    if "*" in text or "?" in text:
        return True
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return network.prefixlen < (8 if network.version == 4 else 32)


def _restricted(condition: Any) -> bool:
    """A condition that restricts who the statement grants: one of the exact operators (an ``...IfExists``
    operator passes whenever the key is absent, which it is for anonymous requests) on a key that names the
    caller or the source, with values none of which is broad."""
    if not isinstance(condition, dict):
        return False
    for operator, tests in condition.items():
        if str(operator).split(":")[-1] not in RESTRICTING_OPERATORS or not isinstance(tests, dict):
            continue
        for key, values in tests.items():
            values = values if isinstance(values, list) else [values]
            if str(key).lower() in RESTRICTING_CONDITION_KEYS and values and not any(_broad(v) for v in values):
                return True
    return False


def _everyone(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        aws = principal.get("AWS")
        return "*" in (aws if isinstance(aws, list) else [aws])
    return False


def public_statements(policy: str) -> list[str]:
    """The Allow statements of a bucket policy that grant everyone ("*", NotPrincipal) without a restricting
    condition, by Sid or position; a policy that is not JSON is reported as such."""
    try:
        document = json.loads(policy)
    except json.JSONDecodeError:
        return ["a policy that is not JSON"]
    statements = document.get("Statement", []) if isinstance(document, dict) else []
    statements = statements if isinstance(statements, list) else [statements]
    return [str(st.get("Sid") or f"statement {i + 1}") for i, st in enumerate(statements)
            if isinstance(st, dict) and st.get("Effect") == "Allow" and _everyone(st)
            and not _restricted(st.get("Condition"))]
