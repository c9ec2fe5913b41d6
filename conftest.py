"""Root conftest: the suite's options, the one readiness run per session, and the report.

``pytest -m acceptance --env sit --target moto`` runs the features in ``features/`` against
one snapshot of the target account and writes ``readiness.json`` / ``readiness.md``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_bdd.reporting import scenario_reports_registry

from readiness.cli import UsageError, report_dir
from readiness.contract import ContractError
from readiness.docs import annotate_skips
from readiness.report import BLOCKED
from readiness.run import Run, readiness_run
from readiness.safety import parse_allow, refusal
from readiness.targets import TARGETS, TargetError, TargetUnavailable

pytest_plugins = [
    "steps.common",
    "steps.tables",
    "steps.indexes",
    "steps.protection",
    "steps.backups",
    "steps.monitoring",
    "steps.drills",
    "steps.buckets",
]

RUN_KEY = pytest.StashKey[Run]()
REPORT_KEY = pytest.StashKey[tuple[Path, Path]]()
ALLOW_KEY = pytest.StashKey[frozenset[str]]()
SKIPS_KEY = pytest.StashKey[dict[str, str]]()  # scenario test name -> why it was skipped (UNVERIFIABLE)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "BBWS DynamoDB readiness")
    group.addoption("--env", default=os.environ.get("READINESS_ENV", "sit"), choices=("dev", "sit", "prod"),
                    help="environment of the contract to verify (default: sit)")
    group.addoption("--target", default=os.environ.get("READINESS_TARGET", "moto"), choices=TARGETS,
                    help="where to verify: embedded moto (default), localstack, dynamodb-local, aws, "
                         "or plan (a Terraform plan, with --plan-json)")
    group.addoption("--endpoint-url", default=os.environ.get("READINESS_ENDPOINT_URL"),
                    help="use an already running AWS-compatible endpoint instead of starting one")
    group.addoption("--no-deploy", action="store_true",
                    help="verify the account as it is: never provision, never write")
    group.addoption("--report-dir", default=os.environ.get("READINESS_REPORT_DIR", "reports"),
                    help="where readiness.json and readiness.md are written (default: reports/)")
    group.addoption("--profile", default=None, help="AWS profile for --target aws")
    group.addoption("--restore-table", default=os.environ.get("READINESS_RESTORE_TABLE", "all"),
                    help="restore drills: one table (logical name, e.g. orders) instead of every table")
    group.addoption("--plan-json", default=None,
                    help="for --target plan: the Terraform plan to judge (terraform show -json plan.out > FILE)")
    group.addoption("--allow", default=os.environ.get("READINESS_ALLOW", ""),
                    help="what a live or verify-only run may do besides reading: "
                         "comma-separated writes, restore, load, load-prod (default: nothing)")


def pytest_configure(config: pytest.Config) -> None:
    try:
        config.stash[ALLOW_KEY] = parse_allow(config.getoption("--allow"))
    except TargetError as exc:
        raise pytest.UsageError(str(exc)) from None
    markexpr = config.getoption("-m") or ""
    if "acceptance" in markexpr and "not acceptance" not in markexpr:
        try:  # a report that cannot be written must stop the run before it starts, not after it
            report_dir(config.getoption("--report-dir"))
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None


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


@pytest.fixture(scope="session")
def readiness(request: pytest.FixtureRequest) -> Iterator[Run]:
    """The session's one readiness run: deploy (emulators), observe once, evaluate every check."""
    opt = request.config.getoption
    try:
        report_dir(opt("--report-dir"))  # also when the features are run without -m acceptance
        with readiness_run(opt("--env"), opt("--target"), endpoint_url=opt("--endpoint-url"),
                           no_deploy=opt("--no-deploy"), profile=opt("--profile"),
                           plan_json=opt("--plan-json")) as run:
            request.config.stash[RUN_KEY] = run
            try:
                yield run
            finally:
                run.finish()  # the drills' test items and restore tables go while the target still runs
    except UsageError as exc:
        pytest.exit(str(exc), returncode=pytest.ExitCode.USAGE_ERROR)
    except ContractError as exc:
        pytest.exit(f"the contract is invalid:\n{exc}", returncode=2)
    except TargetUnavailable as exc:
        pytest.skip(f"the whole run is skipped: {exc}")
    except TargetError as exc:
        pytest.exit(f"the target cannot be used: {exc}", returncode=3)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    cucumber = session.config.getoption("cucumber_json_path", None)
    if cucumber:  # pytest-bdd wrote it already (its plugin registered after this conftest, so it runs first)
        annotate_skips(Path(cucumber), session.config.stash.get(SKIPS_KEY, {}))
    run = session.config.stash.get(RUN_KEY, None)
    if run is None:
        return
    report = run.report()
    session.config.stash[REPORT_KEY] = report.write(session.config.getoption("--report-dir"))
    if report.verdict == BLOCKED and session.exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    """After pytest's own summary (so the verdict is the last thing before the counts)."""
    yield
    run = terminalreporter.config.stash.get(RUN_KEY, None)
    if run is None:
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
