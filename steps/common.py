"""Background steps shared by every feature, the one assertion every Then step makes (:func:`expect`), and the
agreement of a feature's stated numbers with the contract (:func:`agree`, ADR 0069)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import parse
import pytest
from pytest_bdd import given

from readiness.checks import FAIL, UNVERIFIABLE
from readiness.contract.model import Environment
from readiness.feature_values import NOT_APPLICABLE, Value, disagreement, row_environment
from readiness.run import Run

## Examples rows: a run judges its own environment's row


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A Scenario Outline's rows for other environments are deselected, not skipped: the run's ``--env`` row is
    the criterion this run judges, and a row for prod in a SIT run is no criterion left unjudged."""
    env = config.getoption("--env", None)
    if not env:
        return
    other = [item for item in items if row_environment(item) not in (None, env)]
    if other:
        items[:] = [item for item in items if row_environment(item) in (None, env)]
        config.hook.pytest_deselected(items=other)


@parse.with_pattern(r"\d+(?:\.\d+)?|n/a")
def number(text: str) -> float | None:
    """A stated number, or None where the Examples say "n/a" (the criterion does not apply there)."""
    return None if text == NOT_APPLICABLE else float(text)


TYPES = {"Number": number}  # the steps' typed parsers: parsers.parse("... {days:Number} days", extra_types=TYPES)


def agree(run: Run, row_env: str, **stated: Value) -> None:
    """Fail unless the Examples row is for the run's environment and every value it states (keyword: the
    Examples column with ``_`` for spaces) is the contract's for that environment."""
    env = run.desired.env
    if row_env != env.name:
        pytest.fail(f"the Examples row for {row_env} ran in a {env.name} run: rows for other environments are "
                    "deselected (steps/common.py)", pytrace=False)
    wrong = [why for column, value in stated.items()
             if (why := disagreement(run.contract, env, column.replace("_", " "), value))]
    if wrong:
        pytest.fail("the feature disagrees with the contract (the contract is the truth; python -m readiness "
                    "validate names the line): " + "; ".join(wrong), pytrace=False)


## Given


@given("the contract of the environment under test", target_fixture="environment")
def environment(readiness: Run) -> Environment:
    """The environment chosen with --env, as the contract defines it."""
    return readiness.desired.env


@given("the account as the target shows it", target_fixture="run")
def run(readiness: Run) -> Run:
    """The readiness run: one snapshot of the target account, already evaluated against the contract."""
    return readiness


## Then helpers


class Judged(Protocol):
    """A check's verdict or a drill's measurement: what :func:`expect` judges."""

    id: str
    resource: str
    status: str
    reason: str

    def line(self) -> str: ...


def expect(run: Run, *ids: str, measured: Sequence[Judged] | None = None) -> None:
    """Pass only when every result of these checks (or, with ``measured``, these drills) passed or does not
    apply; FAIL fails with the results, UNVERIFIABLE skips with its evidence, no result at all fails."""
    pool: Sequence[Judged] = run.verdicts if measured is None else measured
    results = [r for r in pool if r.id in ids]
    assert results, f"no result for {', '.join(ids)}: the scenario would pass vacuously"
    unnamed = sorted({r.id for r in measured or () if r.id not in ids})
    assert not unnamed, f"the drill also measured {', '.join(unnamed)}: the step must name every measurement it judges"
    failed = [r for r in results if r.status == FAIL]
    if failed:
        pytest.fail("\n".join(r.line() for r in failed), pytrace=False)
    unknown = [r for r in results if r.status == UNVERIFIABLE]
    if unknown:
        shown = "; ".join(f"{r.resource}: {r.reason}" for r in unknown[:3])
        more = f" (and {len(unknown) - 3} more)" if len(unknown) > 3 else ""
        pytest.skip(f"UNVERIFIABLE on {run.target.label}: {shown}{more}")
