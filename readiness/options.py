"""The run options, declared once (:data:`OPTIONS`) for ``python -m readiness verify`` and the pytest plugin,
parsed and validated once (:func:`parse_options`); the exit codes and the gate from verdict to exit code
(the table is in readiness/cli.py's docstring and docs/runbooks/exit-codes.md)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness.contract.loading import load_contract
from readiness.contract.model import ContractError, Problem
from readiness.report.verdict import BLOCKED
from readiness.targets.base import TARGETS, TargetError

EXIT_OK, EXIT_BLOCKED, EXIT_CONTRACT, EXIT_TARGET = 0, 1, 2, 3
EXIT_INCOMPLETE, EXIT_SKIPPED = 6, 7
REQUIRE = ("no-fail", "ready")
ENVIRONMENTS = ("dev", "sit", "prod")
LIVE_DEADLINE_SECONDS = 900.0  # --deadline default for --target aws and plan: a hung call must end the job


def checked_choices(get: Callable[[str], object]) -> None:
    """A value from the environment (READINESS_REQUIRE=READY) bypasses argparse's and pytest's choices: check
    every option that has choices once more, so a typo is a usage error (exit 2), never a silently weaker gate."""
    from readiness.targets.base import TARGETS

    for option, allowed in (("--require", REQUIRE), ("--items", ("sample", "full")), ("--env", ENVIRONMENTS),
                            ("--target", TARGETS)):
        value = get(option)
        if value not in allowed:
            raise UsageError(f"{option} {value!r}: must be one of {', '.join(allowed)} "
                             f"(check READINESS_{option[2:].upper().replace('-', '_')} in the environment)")


def gate(verdict: str, require: str) -> int:
    """The exit code of a run's verdict under --require (pytest's conftest uses the same function)."""
    from readiness.report.verdict import ERROR, INCOMPLETE

    if verdict == ERROR:
        return EXIT_TARGET
    if verdict == BLOCKED:
        return EXIT_BLOCKED
    if verdict == INCOMPLETE and require == "ready":
        return EXIT_INCOMPLETE
    return EXIT_OK


def deadline(value: str | None, target: str) -> float | None:
    """--deadline SECONDS (0: none); by default 900 s for live and plan runs, none for emulators."""
    if value is None:
        return LIVE_DEADLINE_SECONDS if target in ("aws", "plan") else None
    try:
        seconds = float(value)
    except ValueError:
        raise UsageError(f"--deadline {value}: not a number of seconds") from None
    if not seconds >= 0 or seconds == float("inf"):
        raise UsageError(f"--deadline {value}: give a finite number of seconds >= 0 (0: no deadline)")
    return seconds or None


class UsageError(Exception):
    """A bad option: one sentence, exit 2."""


def contract_root(path: str | None) -> Path | None:
    if path is None:
        return None
    p = Path(path)
    if p.is_file():  # a file inside the contract: validate the contract that holds it
        root = next((d for d in p.resolve().parents if (d / "schema").is_dir() and (d / "tables").is_dir()), None)
        if root is None:  # a template file: the contract next to its templates/ folder
            root = next((d.parent / "contracts" for d in p.resolve().parents
                         if d.name == "templates" and (d.parent / "contracts" / "schema").is_dir()), None)
        if root is None:
            raise ContractError([Problem(str(p), "/", "contract-path", "is not inside a contract directory "
                                         "(one holding schema/, tables/ and environments/)")])
        return root
    return p


def report_dir(path: str) -> Path:
    """The report directory, created now: a bad path fails before the run, not after it."""
    if not path.strip():
        raise UsageError("--report-dir is empty: name a directory")
    directory = Path(path)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--report-dir {path}: cannot create it ({exc.strerror})") from None
    if not os.access(directory, os.W_OK):
        raise UsageError(f"--report-dir {path}: not writable")
    return directory


@dataclass(frozen=True)
class Option:
    """One option of a run, declared once for ``python -m readiness verify`` and the pytest plugin
    (readiness_pytest/plugin.py): the same name, default, choices and help text in both (ADR 0074)."""

    name: str
    help: str
    default: Callable[[], object] | None = None  # read when the parser is built (READINESS_* in the environment)
    choices: tuple[str, ...] | None = None
    flag: bool = False  # store_true
    metavar: str | None = None
    where: frozenset[str] = frozenset({"cli", "pytest"})

    def kwargs(self) -> dict[str, Any]:
        out: dict[str, Any] = {"help": self.help}
        if self.flag:
            out["action"] = "store_true"
        else:
            out["default"] = self.default() if self.default else None
        if self.choices:
            out["choices"] = self.choices
        if self.metavar:
            out["metavar"] = self.metavar
        return out


def _env(name: str, fallback: str | None = None) -> Callable[[], object]:
    return lambda: os.environ.get(name, fallback) if fallback is not None else os.environ.get(name)


OPTIONS: tuple[Option, ...] = (
    Option("--env", "environment of the contract to verify (default: sit; READINESS_ENV)",
           _env("READINESS_ENV", "sit"), ENVIRONMENTS),
    Option("--target", "where to verify: embedded moto (default), localstack, dynamodb-local, aws, or plan (a "
           "Terraform plan, with --plan-json); under pytest a target marker chooses it too "
           "(-m \"acceptance and localstack\")", None, TARGETS),
    Option("--endpoint-url", "use an already running AWS-compatible endpoint instead of starting one",
           _env("READINESS_ENDPOINT_URL"), metavar="URL"),
    Option("--no-deploy", "verify the account as it is: never provision, never write", flag=True),
    Option("--report-dir", "where readiness.json and readiness.md are written (default: reports/)",
           _env("READINESS_REPORT_DIR", "reports"), metavar="DIR"),
    Option("--profile", "AWS profile for --target aws (an expired SSO session: aws sso login --profile NAME)",
           metavar="NAME"),
    Option("--plan-json", "for --target plan: the Terraform plan to judge (terraform show -json plan.out > FILE)",
           metavar="FILE"),
    Option("--contract", "contract directory (default: the repository's contracts/)", metavar="DIR",
           where=frozenset({"cli"})),
    Option("--restore-table", "restore drills: one table (logical name, e.g. orders) instead of every table",
           _env("READINESS_RESTORE_TABLE", "all"), metavar="NAME"),
    Option("--load-workers", "load drill: Locust worker processes on this machine (1: one process; more: master "
           "+ workers)", _env("READINESS_LOAD_WORKERS", "1"), metavar="N"),
    Option("--allow", "what a live or verify-only run may do besides reading: comma-separated writes, restore, "
           "load, load-prod (default: nothing)", _env("READINESS_ALLOW", "")),
    Option("--require", "no-fail (default): exit non-zero on BLOCKED or ERROR; ready: also on INCOMPLETE (exit 6)",
           _env("READINESS_REQUIRE", "no-fail"), REQUIRE),
    Option("--skip-unavailable", "exit 0 when the target cannot run on this machine (e.g. LocalStack without "
           "Docker); without it such a whole-run skip exits 7", flag=True),
    Option("--items", "the item check (read-only, every run): a bounded sample of every table (default), or every "
           "item (full: a cost estimate first, segments in parallel)", _env("READINESS_ITEMS", "sample"),
           ("sample", "full")),
    Option("--deadline", f"end the whole run after SECONDS (default {LIVE_DEADLINE_SECONDS:g} for --target aws and "
           "plan, none for emulators; 0: none)", _env("READINESS_DEADLINE"), metavar="SECONDS"),
    Option("--dry-run", "call nothing: list the API calls the run would make, per service and region, and the IAM "
           "actions they need, then exit 0", flag=True),
)
GATE_OPTIONS = ("--allow", "--require", "--skip-unavailable", "--items", "--deadline")


def add_options(add: Callable[..., object], where: str, names: Sequence[str] | None = None) -> None:
    """Register the options of ``OPTIONS`` (those for ``where``: "cli" or "pytest"; only ``names`` if given)."""
    for option in OPTIONS:
        if where in option.where and (names is None or option.name in names):
            add(option.name, **option.kwargs())


def default_target() -> str:
    """--target when neither the option, READINESS_TARGET nor a target marker chose one."""
    return os.environ.get("READINESS_TARGET") or "moto"


@dataclass(frozen=True)
class RunOptions:
    """A run's options, parsed and validated once (``parse_options``): the CLI's ``verify`` and the pytest
    plugin's ``pytest_configure`` build the same object from the same ``OPTIONS``."""

    env: str
    target: str
    endpoint_url: str | None
    no_deploy: bool
    report_dir: str
    profile: str | None
    plan_json: str | None
    contract: str | None
    restore_table: str
    load_workers: int
    allow: frozenset[str]
    require: str
    skip_unavailable: bool
    items: str
    deadline: float | None
    dry_run: bool


def parse_options(get: Callable[[str], Any]) -> RunOptions:
    """Every option of ``OPTIONS`` read through ``get("--name")`` and checked (UsageError: one sentence)."""
    from readiness.safety import parse_allow

    checked_choices(get)
    try:
        allow = parse_allow(get("--allow"))
    except TargetError as exc:
        raise UsageError(str(exc)) from None
    workers = str(get("--load-workers"))
    if not workers.isdigit() or int(workers) < 1:
        raise UsageError(f"--load-workers {workers}: give a whole number of processes >= 1")
    env, target = str(get("--env")), str(get("--target"))
    contract = get("--contract")  # CLI only: pytest's getter answers None
    restore = str(get("--restore-table") or "all")
    if restore != "all":
        check_restore_table(restore, env, contract)
    return RunOptions(env=env, target=target, endpoint_url=get("--endpoint-url"), no_deploy=bool(get("--no-deploy")),
                      report_dir=str(get("--report-dir")), profile=get("--profile"), plan_json=get("--plan-json"),
                      contract=contract, restore_table=restore, load_workers=int(workers), allow=allow,
                      require=str(get("--require")), skip_unavailable=bool(get("--skip-unavailable")),
                      items=str(get("--items")), deadline=deadline(get("--deadline"), target),
                      dry_run=bool(get("--dry-run")))


def check_restore_table(name: str, env: str, contract: str | None) -> None:
    """--restore-table names one of the environment's tables (logical ``orders`` or physical ``orders-sit``)."""
    from readiness.contract.desired import desired_state

    try:
        tables = desired_state(load_contract(contract_root(contract)), env).tables
    except ContractError:
        return  # the run itself reports the invalid contract, with every problem
    if not any(name in (t.logical, t.name) for t in tables):
        raise UsageError(f"--restore-table {name}: not a table of {env} "
                         f"({', '.join(t.logical for t in tables)}, or all)")


def gate_args(add: Callable[..., object]) -> None:
    """The options that decide what a run may do and when it passes (a subset of ``OPTIONS``)."""
    add_options(add, "cli", GATE_OPTIONS)
