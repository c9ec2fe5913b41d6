"""Global secondary indexes."""

from pytest_bdd import then

from readiness.run import Run
from steps.common import expect

## Then


@then("every index of the contract is ACTIVE")
def indexes_active(run: Run) -> None:
    """gsi.status for every contracted index."""
    expect(run, "gsi.status")


@then("every index has the contract's keys and projection")
def indexes_shaped(run: Run) -> None:
    """gsi.key_schema and gsi.projection for every contracted index."""
    expect(run, "gsi.key_schema", "gsi.projection")


@then("no table has an index the contract does not name")
def no_extra_indexes(run: Run) -> None:
    """table.no_extra_indexes for every table."""
    expect(run, "table.no_extra_indexes")
