"""Global secondary index checks: status, keys, projection (features/indexes.feature)."""

from __future__ import annotations

from typing import Any

from readiness.checks.core import (
    Context,
    Missing,
    check,
    verdict,
)
from readiness.checks.tables import C_GSIS, described_table, expected_keys, in_dr_regions, key_schema
from readiness.contract.desired import TableSpec
from readiness.contract.model import Gsi

# ------------------------------------------------------------------------------------------------ GSIs


def _gsi(ctx: Context, t: TableSpec, g: Gsi) -> dict[str, Any]:
    table = described_table(ctx, t)
    for index in table.get("GlobalSecondaryIndexes", []) or []:
        if index["IndexName"] == g.name:
            return dict(index)
    raise Missing(f"{t.name}/{g.name}", g.name)


@check("gsi.status", "gsi", C_GSIS)
def gsi_status(ctx: Context, t: TableSpec, g: Gsi) -> tuple[str, Any, Any, str]:
    env = ctx.desired.env
    statuses = {env.region: _gsi(ctx, t, g).get("IndexStatus")}
    if statuses[env.region] == "ACTIVE":  # 003 PROD Success: "All GSIs ACTIVE in both regions"
        for region, replica in in_dr_regions(ctx, t, "describe_table", "ACTIVE").items():
            index = next((i for i in replica.get("GlobalSecondaryIndexes", []) or [] if i["IndexName"] == g.name),
                         {"IndexStatus": "missing"})
            statuses[region] = index.get("IndexStatus")
    wrong = {r: s for r, s in statuses.items() if s != "ACTIVE"}
    actual = statuses if len(statuses) > 1 else statuses[env.region]
    return verdict(not wrong, "ACTIVE", actual, f"the index is ACTIVE in {', '.join(statuses)}",
                   "; ".join(f"the index is {s} in {r}" for r, s in wrong.items()))


@check("gsi.key_schema", "gsi", C_GSIS)
def gsi_key_schema(ctx: Context, t: TableSpec, g: Gsi) -> tuple[str, Any, Any, str]:
    index = _gsi(ctx, t, g)
    types = {a["AttributeName"]: a["AttributeType"] for a in described_table(ctx, t).get("AttributeDefinitions", [])}
    attrs = t.table.attributes
    expected = expected_keys((g.partition_key, attrs.get(g.partition_key, "?")),
                              (g.sort_key, attrs.get(g.sort_key, "?")) if g.sort_key else None)
    actual = key_schema(index.get("KeySchema", []), types)
    return verdict(actual == expected, expected, actual, "the index keys match the contract",
                   "the index keys differ from the contract")


@check("gsi.projection", "gsi", C_GSIS)
def gsi_projection(ctx: Context, t: TableSpec, g: Gsi) -> tuple[str, Any, Any, str]:
    proj = _gsi(ctx, t, g).get("Projection", {})
    expected = {"type": g.projection, "non_key_attributes": sorted(g.non_key_attributes)}
    actual = {"type": proj.get("ProjectionType"), "non_key_attributes": sorted(proj.get("NonKeyAttributes", []))}
    return verdict(actual == expected, expected, actual, f"projects {g.projection}", "the projection differs")
