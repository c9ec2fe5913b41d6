"""Root conftest: the one readiness run per session, and the report (the suite's options are a pytest plugin's:
readiness_pytest/plugin.py, registered through the pytest11 entry point).

``pytest -m acceptance --env sit --target moto`` runs the features in ``features/`` against
one snapshot of the target account and writes ``readiness.json`` / ``readiness.md``. The exit code
follows the same table as ``python -m readiness verify`` (readiness/cli.py, docs/runbooks/exit-codes.md):
``--require ready`` makes INCOMPLETE exit 6, a whole-run skip exits 7 unless ``--skip-unavailable``, a
target that cannot be used exits 3 after writing a report with verdict ERROR.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_bdd.reporting import scenario_reports_registry

from readiness.cli import run_options
from readiness.contract.model import ContractError
from readiness.drills.scope import refusal
from readiness.options import EXIT_CONTRACT, EXIT_SKIPPED, EXIT_TARGET, UsageError, deadline, gate, report_dir
from readiness.report.run_report import utc_now
from readiness.report.site_load import annotate_skips
from readiness.report.verdict import BLOCKED
from readiness.run import Run, error_report, readiness_run
from readiness.targets.base import TargetError, TargetUnavailable
from readiness_pytest.plugin import deselected
from readiness_pytest.plugin import options as parsed_options

pytest_plugins = [
    "steps.common",
    "steps.tables",
    "steps.indexes",
    "steps.protection",
    "steps.backups",
    "steps.monitoring",
    "steps.drills",
    "steps.buckets",
    "steps.items",
]

RUN_KEY = pytest.StashKey[Run]()
REPORT_KEY = pytest.StashKey[tuple[Path, Path]]()
ALLOW_KEY = pytest.StashKey[frozenset[str]]()
SKIPS_KEY = pytest.StashKey[dict[str, str]]()  # scenario test name -> why it was skipped (UNVERIFIABLE)
UNAVAILABLE_KEY = pytest.StashKey[str]()  # why the whole run was skipped (the target cannot run here)
ERROR_KEY = pytest.StashKey[str]()  # why the run could not use its target (verdict ERROR)


def pytest_configure(config: pytest.Config) -> None:
    """The plugin parsed and validated every option once (bad values exit 2 there, as from the CLI)."""
    config.stash[ALLOW_KEY] = parsed_options(config).allow


def acceptance_only(config: pytest.Config) -> bool:
    """``-m acceptance`` (alone or narrowed, e.g. ``acceptance and not live_only``): the features and nothing else."""
    markexpr = config.getoption("-m") or ""
    return "acceptance" in markexpr and "not acceptance" not in markexpr


UNIT_TESTS = Path(__file__).resolve().parent / "tests"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """An acceptance run collects the features only: the unit tests would all be deselected anyway, and
    importing them (hypothesis, moto fixtures, a thousand parametrized cases) is most of the run's time."""
    if acceptance_only(config) and collection_path.is_relative_to(UNIT_TESTS) \
            and collection_path != UNIT_TESTS and not collection_path.is_relative_to(UNIT_TESTS / "acceptance"):
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Scenarios that write, restore or load run only where that is safe or explicitly allowed."""
    opt = config.getoption
    for item in items:
        reason = refusal({m.name for m in item.iter_markers()}, config.stash[ALLOW_KEY], opt("--env"),
                         opt("--target"), opt("--no-deploy"))
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> None:
    """A scenario skipped in a step (UNVERIFIABLE) is "skipped" in the cucumber JSON, not "passed".

    pytest-bdd marks a step failed only on an exception, and pytest.skip is not one, so its cucumber
    report would call the unverified scenario passed; this marks the step that skipped (and the steps
    after it) so the report says "skipped". pytest-bdd serializes the scenario after this hook.
    """
    if call.when == "call" and call.excinfo is not None and call.excinfo.errisinstance(pytest.skip.Exception):
        scenario = scenario_reports_registry.get(item)
        if scenario is not None and scenario.step_reports:
            scenario.fail()
            item.config.stash.setdefault(SKIPS_KEY, {})[item.name] = str(call.excinfo.value)


def _options(config: pytest.Config) -> dict[str, object]:
    opt = config.getoption
    return run_options(env=opt("--env"), target=opt("--target"), endpoint_url=opt("--endpoint-url"),
                       no_deploy=opt("--no-deploy"), allow=config.stash[ALLOW_KEY], require=opt("--require"),
                       skip_unavailable=opt("--skip-unavailable"), deadline=deadline(opt("--deadline"),
                                                                                      opt("--target")),
                       plan_json=opt("--plan-json"), profile=opt("--profile"), restore_table=opt("--restore-table"),
                       items=opt("--items"),
                       markexpr=opt("-m") or "", keyword=opt("-k") or "", deselected=deselected(config))


@pytest.fixture(scope="session")
def readiness(request: pytest.FixtureRequest) -> Iterator[Run]:
    """The session's one readiness run: deploy (emulators), observe once, evaluate every check."""
    config = request.config
    opt = config.getoption
    started = utc_now()
    try:
        out = report_dir(opt("--report-dir"))  # also when the features are run without -m acceptance
        options = _options(config)
        run_cm = readiness_run(opt("--env"), opt("--target"), endpoint_url=opt("--endpoint-url"),
                               no_deploy=opt("--no-deploy"), profile=opt("--profile"), plan_json=opt("--plan-json"),
                               allow=config.stash[ALLOW_KEY], runner="pytest",
                               deadline_seconds=deadline(opt("--deadline"), opt("--target")), options=options,
                               items=opt("--items"))
        with run_cm as run:
            config.stash[RUN_KEY] = run
            try:
                yield run
            finally:
                run.finish()  # the drills' test items and restore tables go while the target still runs
    except UsageError as exc:
        pytest.exit(str(exc), returncode=EXIT_CONTRACT)
    except ContractError as exc:
        pytest.exit(f"the contract is invalid:\n{exc}", returncode=EXIT_CONTRACT)
    except TargetError as exc:  # the report says so before the run ends: a missing run is visible
        skipped = isinstance(exc, TargetUnavailable)
        reason = f"the whole run was skipped: {exc}" if skipped else str(exc)
        config.stash[REPORT_KEY] = error_report(opt("--env"), opt("--target"), reason, started=started,
                                                endpoint_url=opt("--endpoint-url"), options=options).write(out)
        config.stash[ERROR_KEY] = reason
        if skipped:
            config.stash[UNAVAILABLE_KEY] = reason
            pytest.skip(reason)
        pytest.exit(f"the target cannot be used: {exc} (report: {config.stash[REPORT_KEY][1]})",
                    returncode=EXIT_TARGET)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    cucumber = config.getoption("cucumber_json_path", None)
    if cucumber:  # pytest-bdd wrote it already (its plugin registered after this conftest, so it runs first)
        annotate_skips(Path(cucumber), config.stash.get(SKIPS_KEY, {}))
    if UNAVAILABLE_KEY in config.stash and not config.getoption("--skip-unavailable") and session.exitstatus == 0:
        session.exitstatus = EXIT_SKIPPED  # a job must never go green having checked nothing
    run = config.stash.get(RUN_KEY, None)
    if run is None:
        if acceptance_only(config) and session.exitstatus == 0 and REPORT_KEY not in config.stash:
            # every selected scenario was refused or deselected: nothing read the account, so nothing passed
            reason = ("no selected scenario read the account (each was refused or deselected): nothing was "
                      "checked")
            config.stash[REPORT_KEY] = error_report(config.getoption("--env"), config.getoption("--target"), reason,
                                                    started=utc_now(), endpoint_url=config.getoption("--endpoint-url"),
                                                    options=_options(config)).write(
                                                        config.getoption("--report-dir"))
            if not config.getoption("--skip-unavailable"):
                session.exitstatus = EXIT_SKIPPED
        return
    report = run.report()
    config.stash[REPORT_KEY] = report.write(config.getoption("--report-dir"))
    code = gate(report.verdict, config.getoption("--require"))
    if code and session.exitstatus == 0:
        session.exitstatus = code


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    """After pytest's own summary (so the verdict is the last thing before the counts)."""
    yield
    run = terminalreporter.config.stash.get(RUN_KEY, None)
    if run is None:  # the run could not use its target: the report says ERROR and why
        error = terminalreporter.config.stash.get(ERROR_KEY, None)
        paths = terminalreporter.config.stash.get(REPORT_KEY, None)
        if error and paths:
            terminalreporter.section("readiness")
            terminalreporter.write_line(f"ERROR {error}", red=True)
            terminalreporter.write_line(f"report: {paths[1]} and {paths[0]}")
        return
    report = run.report()
    paths = terminalreporter.config.stash.get(REPORT_KEY, None)
    terminalreporter.section("readiness")
    for line in report.console_lines():
        terminalreporter.write_line(line)
    if paths:
        terminalreporter.write_line(f"report: {paths[1]} and {paths[0]}")
    terminalreporter.write_line(report.verdict_line(), bold=True,
                                red=report.verdict == BLOCKED, green=report.verdict == "READY",
                                yellow=report.verdict == "INCOMPLETE")
