"""Customer-managed KMS key checks in every region, and their tags (features/encryption.feature)."""

from __future__ import annotations

from typing import Any

from readiness.checks.core import (
    Context,
    check,
    need,
    tagged,
    verdict,
)

# ------------------------------------------------------------------------------------------ encryption

C_KEY = "003 PROD pre-deployment: KMS keys available (D9: customer-managed key in prod)"


@check("kms.key", "environment", C_KEY, resource=lambda d: d.key_alias)
def kms_key(ctx: Context) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    alias = ctx.desired.key_alias
    key = need(ctx.snap.get("describe_key", env.region, alias), alias, alias)
    state = key.get("KeyState")
    if env.encryption_kind != "customer-managed":
        return verdict(state == "Enabled", "Enabled", state, f"{alias} is enabled", f"{alias} is {state}")
    rotation = need(ctx.snap.get("get_key_rotation_status", env.region, alias), "rotation on", alias)
    expected = {"KeyState": "Enabled", "KeyManager": "CUSTOMER", "rotation": env.key_rotation}
    actual = {"KeyState": state, "KeyManager": key.get("KeyManager"),
              "rotation": bool(rotation.get("KeyRotationEnabled"))}
    return verdict(actual == expected, expected, actual, f"{alias} is an enabled customer-managed key",
                   f"{alias} differs from the contract")


C_KEY_DR = "003 PROD Success: the DR region's KMS key available for the replica and the backup copy (D9, D13)"
C_KEY_TAGS = "004 5.3.3: every resource carries the required tags (D15: the customer-managed keys)"


@check("kms.dr_key", "dr_key", C_KEY_DR)
def kms_dr_key(ctx: Context, region: str) -> tuple[str, Any, Any, str]:
    """The key the DR replica and the copy vault are encrypted with: enabled, the customer's, rotating."""
    env = ctx.desired.env
    alias = ctx.desired.key_alias
    expected = {"KeyState": "Enabled", "KeyManager": "CUSTOMER", "rotation": env.key_rotation}
    key = need(ctx.snap.get("describe_key", region, alias), expected, f"{alias} in {region}")
    rotation = need(ctx.snap.get("get_key_rotation_status", region, alias), expected, f"{alias} in {region}")
    actual = {"KeyState": key.get("KeyState"), "KeyManager": key.get("KeyManager"),
              "rotation": bool(rotation.get("KeyRotationEnabled"))}
    wrong = [f"{k} is {actual[k]}, not {v}" for k, v in expected.items() if actual[k] != v]
    return verdict(not wrong, expected, actual, f"{alias} in {region} is an enabled customer-managed key",
                   f"{alias} in {region}: " + "; ".join(wrong))


@check("kms.key_tags", "cmk", C_KEY_TAGS)
def kms_key_tags(ctx: Context, region: str) -> tuple[str, Any, Any, str]:
    alias = ctx.desired.key_alias
    need(ctx.snap.get("describe_key", region, alias), dict(ctx.desired.env.tags), f"{alias} in {region}")
    return tagged(ctx, "list_resource_tags", [(region, alias)],
                   lambda tags: {str(x["TagKey"]): str(x["TagValue"]) for x in tags})
