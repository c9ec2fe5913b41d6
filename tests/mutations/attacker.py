"""The attacker-side mutation corpus: the account changed the way an operator or an attacker could.

The per-check corpus (tests/test_checks.py) flips the one property a check reads; these mutants *add*
or *move* things instead (a second backup rule, a decoy metric expression, a copy of a table in
another region, a leftover table, an extra lifecycle rule, ...) and so prove that a check judges the
resource as AWS would apply it. Each :class:`Attack` changes a correctly deployed moto account with
write clients where moto can represent the change, or edits a correct account's snapshot with answers
in botocore's service-model shapes where it cannot (the docstring of the edit says why).

A mutant is killed when the run verdict is BLOCKED (never INCOMPLETE, never READY) and a FAIL of the
named check names the mutated resource. The test function that judges them must be called
``test_attacker_mutant_is_blocked`` (tests/mutations/conftest.py counts it in the kill rate).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from readiness.checks import FAIL, Verdict, evaluate
from readiness.contract.desired import Desired
from readiness.observation.live import Snapshot, observe
from readiness.report.verdict import BLOCKED, run_verdict
from readiness.targets.base import SILENT_GAPS, Target

AccountEdit = Callable[[Target, Desired], None]
SnapshotEdit = Callable[[Snapshot, Desired], None]


@dataclass(frozen=True)
class Attack:
    """One deviation made from the account's side."""

    name: str  # what the operator or attacker did, in words (the test id)
    env: str
    check: str  # the check that must FAIL
    resource: Callable[[Desired], str]  # the resource its FAIL must name
    account: AccountEdit | None = None  # change the moto account with write clients
    snapshot: SnapshotEdit | None = None  # or edit the observed answers (botocore shapes) where moto cannot

    def __post_init__(self) -> None:
        if (self.account is None) == (self.snapshot is None):
            raise ValueError(f"{self.name}: give exactly one of account= or snapshot=")


def judge(attack: Attack, moto_account: Any, correct_snapshot: Any) -> list[Verdict]:
    """The verdicts after the attack; asserts first that the same account was not failing before it."""
    if attack.account is not None:
        target, desired = moto_account(attack.env)
        gaps = target.silent_gaps
        before = evaluate(desired, observe(target, desired), gaps)
        attack.account(target, desired)
        after = evaluate(desired, observe(target, desired), gaps)
    else:
        desired, snap = correct_snapshot(attack.env)
        gaps = SILENT_GAPS["moto"]
        before = evaluate(desired, snap, gaps)
        assert attack.snapshot is not None
        attack.snapshot(snap, desired)
        after = evaluate(desired, snap, gaps)
    assert [v.line() for v in before if v.status == FAIL] == [], "the correct account must not fail any check"
    return after


def assert_blocked(attack: Attack, verdicts: list[Verdict], desired: Desired) -> None:
    """Killed: BLOCKED, with a FAIL of the attack's check naming the attacked resource."""
    resource = attack.resource(desired)
    lines = "\n".join(v.line() for v in verdicts if v.status != "pass")
    assert run_verdict(verdicts) == BLOCKED, f"{attack.name}: read {run_verdict(verdicts)}\n{lines}"
    assert any(v.id == attack.check and v.status == FAIL and v.resource == resource for v in verdicts), (
        f"{attack.name}: no FAIL of {attack.check} on {resource}\n{lines}")
