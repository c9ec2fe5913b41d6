"""The suite's options, registered through the ``pytest11`` entry point (pyproject.toml) so that pytest knows
them before it reads any argument: ``--env sit`` and ``--env=sit`` both work, as pytest options do (DESIGN 4).
A conftest's options are only known after pytest has looked for the rootdir among the arguments, so a value
given with a space there is taken for a path. The options are declared once, in ``readiness.options.OPTIONS``, for
this plugin and ``python -m readiness verify`` alike, and parsed and validated once, in ``pytest_configure``
(:func:`options` hands the result to the conftest and the steps; ADR 0074).

Targets are chosen by marker too: ``-m "acceptance and localstack"`` is ``--target localstack`` (likewise
``moto``, ``dynamodb_local``, ``aws``, ``plan``); a marker and a different ``--target``, or two target markers,
is a usage error. Every scenario carries the markers of the targets that can show its criterion
(:mod:`readiness_pytest.capabilities`), and ``live_only`` when no emulator can, so ``-m "acceptance and not
live_only"`` selects what an emulator can prove; what a marker expression deselected is recorded for the report.
"""

from __future__ import annotations

import os
import re
import sys

import pytest

from readiness.feature_values import row_environment
from readiness.options import EXIT_CONTRACT, RunOptions, UsageError, add_options, parse_options, report_dir
from readiness_pytest.capabilities import EMULATOR_MARKERS, MARKER_TARGET, TARGET_MARKER, targets_of

OPTIONS_KEY = pytest.StashKey[RunOptions]()
DESELECTED_KEY = pytest.StashKey[list[str]]()
_TOKEN = re.compile(r"\(|\)|[^\s()]+")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "BBWS DynamoDB readiness")
    add_options(group.addoption, "pytest")


def marked_target(markexpr: str) -> str | None:
    """The target a ``-m`` expression names (a target marker not negated), or None; two: UsageError."""
    tokens = _TOKEN.findall(markexpr)
    negated = [False]  # per parenthesis depth: is this group under a ``not``
    named: list[str] = []
    for i, token in enumerate(tokens):
        before = tokens[i - 1] if i else ""
        if token == "(":
            negated.append(negated[-1] ^ (before == "not"))
        elif token == ")":
            if len(negated) > 1:
                negated.pop()
        elif token in MARKER_TARGET and not (negated[-1] ^ (before == "not")):
            named.append(MARKER_TARGET[token])
    chosen = sorted(set(named))
    if len(chosen) > 1:
        raise UsageError(f"-m {markexpr!r} names {len(chosen)} targets ({', '.join(chosen)}): a run verifies one "
                         "target; choose one marker or --target")
    return chosen[0] if chosen else None


def acceptance_run(config: pytest.Config) -> bool:
    markexpr = config.getoption("-m") or ""
    return "acceptance" in markexpr and "not acceptance" not in markexpr


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Choose the target (option, READINESS_TARGET, or marker) and parse every option once; a conflict is a
    usage error, a bad value exits 2 as from the CLI; ``--dry-run`` prints the calls and ends the session."""
    markexpr = config.getoption("-m") or ""
    if acceptance_run(config) and config.inipath is None:
        # pytest finds its rootdir before plugins load, so "--report-dir DIR" with an existing DIR outside the
        # repository reads DIR as a test path: the suite's configuration (features, markers) is then not loaded
        raise pytest.UsageError(f"pytest took {config.rootpath} for a test path and did not load this "
                                "repository's configuration: give options with a value as --report-dir=DIR "
                                "(with '='), or run pytest from the repository with a path inside it")
    try:
        by_marker = marked_target(markexpr)
    except UsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    given = config.getoption("--target") or os.environ.get("READINESS_TARGET") or None
    if by_marker and given and given != by_marker:
        source = "--target" if config.getoption("--target") else "READINESS_TARGET"
        raise pytest.UsageError(f"-m {markexpr!r} chooses target {by_marker}, {source} says {given}: "
                                "give one of them, or the same target in both")
    config.option.target = given or by_marker or "moto"
    try:
        parsed = parse_options(lambda name: config.getoption(name, None))
        if acceptance_run(config) and not parsed.dry_run:  # a report that cannot be written stops the run now
            report_dir(parsed.report_dir)
    except UsageError as exc:
        pytest.exit(f"error: {exc}", returncode=EXIT_CONTRACT)
    config.stash[OPTIONS_KEY] = parsed
    if parsed.dry_run:
        from readiness.dryrun import dry_run

        sys.stdout.write(dry_run(parsed, runner="pytest").text())
        sys.stdout.flush()
        pytest.exit("dry run: no scenario ran and no AWS call was made", returncode=0)


def options(config: pytest.Config) -> RunOptions:
    """The run's options as ``pytest_configure`` parsed them."""
    return config.stash[OPTIONS_KEY]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Before ``-m`` deselects: each scenario gets the markers of the targets that can show its criterion, and
    ``live_only`` when no emulator can."""
    for item in items:
        if item.get_closest_marker("acceptance") is None:
            continue
        targets = targets_of({m.name for m in item.iter_markers()}, scenario_name(item))
        for target in sorted(targets):
            item.add_marker(TARGET_MARKER[target])
        if not {TARGET_MARKER[t] for t in targets} & EMULATOR_MARKERS:
            item.add_marker("live_only")


def scenario_name(item: pytest.Item) -> str | None:
    """The Gherkin scenario's name (pytest-bdd writes ``Feature: Scenario`` as the test's docstring)."""
    doc = getattr(getattr(item, "obj", None), "__doc__", None) or ""
    return doc.split(": ", 1)[1] if ": " in doc else None


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Record what a marker expression (or ``-k``) left out. An outline's rows for other environments are left
    out too (steps/common.py) but are no criterion this run skipped: the run judges its own environment's row."""
    if not items:
        return
    config = items[0].config
    env = config.getoption("--env", None)
    config.stash.setdefault(DESELECTED_KEY, []).extend(
        item.nodeid for item in items if row_environment(item) in (None, env))


def deselected(config: pytest.Config) -> list[str]:
    """The node ids the marker expression (or ``-k``) deselected, for the report."""
    found: list[str] = config.stash.get(DESELECTED_KEY, [])
    return sorted(found)
