"""Background steps shared by every feature, and the one assertion every Then step makes."""

from __future__ import annotations

import pytest
from pytest_bdd import given

from readiness.checks import FAIL, UNVERIFIABLE
from readiness.contract.model import Environment
from readiness.run import Run

## Given


@given("the contract of the environment under test", target_fixture="environment")
def environment(readiness: Run) -> Environment:
    """The environment chosen with --env, as the contract defines it."""
    return readiness.desired.env


@given("the account as the target shows it", target_fixture="account")
def account(readiness: Run) -> Run:
    """One snapshot of the target account, already evaluated against the contract."""
    return readiness


## Then helpers


def expect(account: Run, *check_ids: str) -> None:
    """Pass only when every verdict of these checks passed; FAIL fails, UNVERIFIABLE skips with its evidence."""
    verdicts = [v for v in account.verdicts if v.id in check_ids]
    assert verdicts, f"the engine gave no verdict for {', '.join(check_ids)}: the scenario would pass vacuously"
    failed = [v for v in verdicts if v.status == FAIL]
    if failed:
        pytest.fail("\n".join(v.line() for v in failed), pytrace=False)
    unknown = [v for v in verdicts if v.status == UNVERIFIABLE]
    if unknown:
        shown = "; ".join(f"{v.resource}: {v.reason}" for v in unknown[:3])
        more = f" (and {len(unknown) - 3} more)" if len(unknown) > 3 else ""
        pytest.skip(f"UNVERIFIABLE on {account.target.label}: {shown}{more}")
