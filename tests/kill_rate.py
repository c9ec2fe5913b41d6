"""The mutation corpus's kill rate, printed at the end of every run that collects a mutant: a plugin that
tests/conftest.py registers (a conftest under tests/mutations would not be loaded by pytest-xdist's controller,
which collects nothing and prints the summary).

A mutant is one deliberate deviation from a correctly provisioned account; it is *killed* when the
suite answers FAIL naming the mutated resource (its test passes) and *survives* otherwise (its test
fails, errors or is skipped). Three corpora count:

- ``per-check``: ``MUTATIONS`` in tests/test_checks.py, at least one case per registered check
  (``test_every_check_has_a_mutation`` fails for a check without one);
- ``named``: ``NAMED`` in tests/mutations/test_named_mutants.py, the issue's required deviations
  (renamed table, extra GSI, projection, copy action, deletion protection, daily plan, alarm action);
- ``attacker``: ``test_attacker_mutant_is_blocked`` in tests/mutations/test_attacker_*.py, deviations made
  from the account's side (tests/mutations/attacker.py): each must read BLOCKED, naming its resource;
- ``per-resource``: tests/mutations/test_every_resource.py, one snapshot mutant for every
  (check, resource) verdict a correct SIT, PROD and DEV account passes.

The summary line is ``mutation kill rate: K/N killed (P%)``; anything under 100% lists the survivors.
Under pytest-xdist the tally is kept where the summary is printed (the controller): mutant tests are
recognised from their reports, and the sweep's counts travel in its teardown report's user properties.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

# test function name -> corpus it belongs to
MUTANT_TESTS = {
    "test_breaking_one_property_fails_its_check": "per-check (tests/test_checks.py MUTATIONS)",
    "test_named_mutant_fails_naming_its_resource": "named (tests/mutations/test_named_mutants.py)",
    "test_attacker_mutant_is_blocked": "attacker (tests/mutations/test_attacker_*.py)",
}
SWEEP = "per-resource (tests/mutations/test_every_resource.py)"
SWEEP_PROPERTY = "mutation_sweep"


def corpus_of(nodeid: str) -> str | None:
    """The corpus a test belongs to, from its node id (``path::test_name[params]``)."""
    return MUTANT_TESTS.get(nodeid.split("[", 1)[0].rsplit("::", 1)[-1])


@dataclass
class Tally:
    """Collected mutant test ids per corpus and what became of each; sweep counts come from the sweep test."""

    collected: dict[str, str] = field(default_factory=dict)  # nodeid -> corpus
    killed: set[str] = field(default_factory=set)
    survived: set[str] = field(default_factory=set)
    sweep_total: int = 0
    sweep_survivors: list[str] = field(default_factory=list)
    sweep_unswept: list[str] = field(default_factory=list)  # checks without a per-resource mutator

    def rows(self) -> list[tuple[str, int, int]]:
        """(corpus, killed, total) per corpus."""
        out: list[tuple[str, int, int]] = []
        for corpus in MUTANT_TESTS.values():
            ids = [n for n, c in self.collected.items() if c == corpus]
            if ids:
                out.append((corpus, sum(1 for n in ids if n in self.killed and n not in self.survived), len(ids)))
        if self.sweep_total:
            out.append((SWEEP, self.sweep_total - len(self.sweep_survivors), self.sweep_total))
        return out


TALLY_KEY = pytest.StashKey[Tally]()


class _Recorder:
    """Registered as a plugin, not left in this conftest: pytest calls a subdirectory conftest's runtest hooks
    only for the tests under it, and the per-check corpus lives in tests/test_checks.py."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == SWEEP_PROPERTY and report.when == "teardown":
                self.tally.sweep_total += value["total"]
                self.tally.sweep_survivors.extend(value["survivors"])
                if value["unswept"]:
                    self.tally.sweep_unswept = list(value["unswept"])
        if report.nodeid not in self.tally.collected:
            corpus = corpus_of(report.nodeid)  # under xdist the controller collects nothing: the report says
            if corpus is None:
                return
            self.tally.collected[report.nodeid] = corpus
        if report.when == "call" and report.passed:
            self.tally.killed.add(report.nodeid)
        elif report.failed or report.skipped:
            self.tally.survived.add(report.nodeid)


def pytest_configure(config: pytest.Config) -> None:
    config.stash[TALLY_KEY] = Tally()
    config.pluginmanager.register(_Recorder(config.stash[TALLY_KEY]), "mutation-kill-rate")


@pytest.fixture
def mutation_tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    """A tally for the sweep test to count the mutants it runs inside one test; its counts reach the session's
    tally through the test's teardown report (also from an xdist worker to the controller)."""
    mine = Tally()
    yield mine
    request.node.user_properties.append((SWEEP_PROPERTY, {"total": mine.sweep_total,
                                                          "survivors": list(mine.sweep_survivors),
                                                          "unswept": list(mine.sweep_unswept)}))


def pytest_collection_finish(session: pytest.Session) -> None:
    tally = session.config.stash[TALLY_KEY]
    for item in session.items:
        corpus = MUTANT_TESTS.get(getattr(item, "originalname", item.name))
        if corpus:  # collected, so a mutant that never reports (an interrupted run) counts as survived
            tally.collected[item.nodeid] = corpus


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    tally = terminalreporter.config.stash.get(TALLY_KEY, None)
    if tally is None:
        return
    rows = tally.rows()
    if not rows:
        return
    killed = sum(k for _, k, _ in rows)
    total = sum(n for _, _, n in rows)
    terminalreporter.section("mutation kill rate")
    for corpus, k, n in rows:
        terminalreporter.write_line(f"{corpus}: {k}/{n} killed")
    for nodeid in sorted((set(tally.collected) - tally.killed) | tally.survived):
        terminalreporter.write_line(f"survived: {nodeid}", red=True)
    if tally.sweep_unswept:
        terminalreporter.write_line(f"not swept per resource (no mutator in test_every_resource.py): "
                                    f"{', '.join(tally.sweep_unswept)}", yellow=True)
    for survivor in tally.sweep_survivors:
        terminalreporter.write_line(f"survived: {survivor}", red=True)
    rate = 100.0 * killed / total
    terminalreporter.write_line(f"mutation kill rate: {killed}/{total} killed ({rate:.1f}%)", bold=True,
                                green=killed == total, red=killed != total)
