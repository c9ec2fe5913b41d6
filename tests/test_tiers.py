"""The test tiers and the DynamoDB Local cache as tox.ini states them (ADR 0067).

``tox -e unit`` and ``tox -e slow`` split the non-acceptance, non-browser tests between them with marker
expressions that must stay complements (no test in neither, none in both), both must be in the default
env list (CI runs every one), and the per-machine DynamoDB Local cache is keyed by the npm package's
version, so a version bump installs anew instead of reusing the old jar.
"""

from __future__ import annotations

import configparser
import re
import shlex
from pathlib import Path

from readiness.targets.services import DYNAMODB_LOCAL_PACKAGE

TOX_INI = Path(__file__).resolve().parent.parent / "tox.ini"


def tox() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(TOX_INI, encoding="utf-8")
    return parser


def markexprs(env: str) -> list[str]:
    """The -m expression of each pytest command of a tox env."""
    commands = [shlex.split(line) for line in tox()[f"testenv:{env}"]["commands"].strip().splitlines()]
    return [args[args.index("-m") + 1] for args in commands if args[0] == "pytest"]


def test_unit_and_slow_tiers_are_complements_and_both_run_in_ci() -> None:
    assert markexprs("unit") == ["not acceptance and not browser and not slow"]
    assert markexprs("slow") == ["slow and not acceptance and not browser"] * 2


def test_the_slow_tier_runs_every_slow_test_once() -> None:
    """Its first command leaves tests/test_load.py out and the second runs only that file."""
    commands = tox()["testenv:slow"]["commands"].strip().splitlines()
    assert "--ignore=tests/test_load.py" in commands[0] and "tests/test_load.py" not in commands[0].replace(
        "--ignore=tests/test_load.py", "")
    assert shlex.split(commands[1])[-2:] == ["tests/test_load.py", "{posargs}"]
    envs = [e.strip() for e in tox()["tox"]["env_list"].split(",")]
    assert {"unit", "slow"} <= set(envs)


def test_dynamodb_local_cache_is_keyed_by_the_package_version() -> None:
    version = DYNAMODB_LOCAL_PACKAGE.rsplit("@", 1)[1]
    home = re.search(r"^\s*DYNAMODB_LOCAL_HOME\s*=\s*(\S+)", tox()["testenv"]["setenv"], re.MULTILINE)
    assert home is not None, "tox.ini sets no DYNAMODB_LOCAL_HOME"
    assert home.group(1).endswith(f"/dynamodb-local/{version}"), home.group(1)
    assert "{toxworkdir}" not in home.group(1) and "{envdir}" not in home.group(1)  # once per machine
