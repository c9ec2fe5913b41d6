"""Tables: existence, names, keys, capacity mode, TTL, replicas."""

from pytest_bdd import parsers, then

from readiness.run import Run
from steps.common import agree, expect

## Then


@then("every table of the contract exists under its contracted name and is ACTIVE")
def tables_active(run: Run) -> None:
    """table.exists for every table."""
    expect(run, "table.exists")


@then("every table is keyed as the LLD specifies")
def tables_keyed(run: Run) -> None:
    """table.key_schema for every table."""
    expect(run, "table.key_schema")


@then("every table is billed on demand")
def tables_on_demand(run: Run) -> None:
    """table.billing_mode for every table."""
    expect(run, "table.billing_mode")


@then("no table expires items by TTL")
def tables_ttl(run: Run) -> None:
    """table.ttl for every table."""
    expect(run, "table.ttl")


@then(parsers.parse("every {row_env} table is replicated to exactly these DR regions: {regions}, and each replica "
                    "is ACTIVE"))
def tables_replicated(run: Run, row_env: str, regions: str) -> None:
    """table.replicas for every table (no replicas outside prod), once the feature's regions are the contract's."""
    agree(run, row_env, replica_regions=regions)
    expect(run, "table.replicas")


@then("no table outside the contract carries the name of a contract table, with or without a suffix")
def tables_without_lookalikes(run: Run) -> None:
    """table.lookalikes for every table (000_* blocker 5: tenants and campaigns without the suffix)."""
    expect(run, "table.lookalikes")


@then("every DR replica has the contract's capacity mode, protection, stream, key, TTL and tags")
def replicas_configured(run: Run) -> None:
    """table.replica_settings for every replica (prod); table.replicas says there are none elsewhere."""
    expect(run, "table.replicas", "table.replica_settings")
