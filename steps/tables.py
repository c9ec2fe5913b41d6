"""Tables: existence, names, keys, capacity mode, TTL, replicas."""

from pytest_bdd import then

from readiness.run import Run
from steps.common import expect

## Then


@then("every table of the contract exists under its contracted name and is ACTIVE")
def tables_active(account: Run) -> None:
    """table.exists for every table."""
    expect(account, "table.exists")


@then("every table is keyed as the LLD specifies")
def tables_keyed(account: Run) -> None:
    """table.key_schema for every table."""
    expect(account, "table.key_schema")


@then("every table is billed on demand")
def tables_on_demand(account: Run) -> None:
    """table.billing_mode for every table."""
    expect(account, "table.billing_mode")


@then("no table expires items by TTL")
def tables_ttl(account: Run) -> None:
    """table.ttl for every table."""
    expect(account, "table.ttl")


@then("every table is replicated to exactly the DR regions of the contract, and each replica is ACTIVE")
def tables_replicated(account: Run) -> None:
    """table.replicas for every table (no replicas outside prod)."""
    expect(account, "table.replicas")


@then("no table outside the contract carries the name of a contract table, with or without a suffix")
def tables_without_lookalikes(account: Run) -> None:
    """table.lookalikes for every table (000_* blocker 5: tenants and campaigns without the suffix)."""
    expect(account, "table.lookalikes")


@then("every DR replica has the contract's capacity mode, protection, stream, key, TTL and tags")
def replicas_configured(account: Run) -> None:
    """table.replica_settings for every replica (prod); table.replicas says there are none elsewhere."""
    expect(account, "table.replicas", "table.replica_settings")
