"""The suite's options, registered through the ``pytest11`` entry point (pyproject.toml) so that pytest knows
them before it reads any argument: ``--env sit`` and ``--env=sit`` both work, as pytest options do (DESIGN 4).
A conftest's options are only known after pytest has looked for the rootdir among the arguments, so a value
given with a space there is taken for a path. The same options and help texts as ``python -m readiness verify``
(``readiness.cli.gate_args``).
"""

from __future__ import annotations

import os

import pytest

from readiness.cli import ENVIRONMENTS, gate_args
from readiness.targets.base import TARGETS


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("readiness", "BBWS DynamoDB readiness")
    group.addoption("--env", default=os.environ.get("READINESS_ENV", "sit"), choices=ENVIRONMENTS,
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
    group.addoption("--load-workers", default=os.environ.get("READINESS_LOAD_WORKERS", "1"),
                    help="load drill: Locust worker processes on this machine (1: one process; more: master + workers)")
    group.addoption("--plan-json", default=None,
                    help="for --target plan: the Terraform plan to judge (terraform show -json plan.out > FILE)")
    gate_args(group.addoption)  # --allow, --require, --skip-unavailable, --deadline: the same as the CLI's
