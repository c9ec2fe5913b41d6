"""The suite's options are pytest options (DESIGN 4): registered by the ``pytest11`` entry point, so they work
with a space as with ``=``, and both spellings give the same run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str]) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert "unrecognized arguments" not in proc.stderr, proc.stderr[-2000:]
    return proc.returncode, proc.stdout + proc.stderr


def _judged(report_dir: Path) -> dict[str, Any]:
    report = json.loads((report_dir / "readiness.json").read_text(encoding="utf-8"))
    return {"verdict": report["verdict"], "summary": report["summary"],
            "checks": sorted((c["id"], c["resource"], c["status"]) for c in report["checks"])}


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
def test_options_with_a_space_and_with_equals_give_the_same_run(tmp_path: Path) -> None:
    spaced, equals = tmp_path / "spaced", tmp_path / "equals"
    select = ["-m", "acceptance and on_demand"]
    code_spaced, out = _run([*select, "--env", "sit", "--target", "moto", "--report-dir", str(spaced),
                             "--require", "no-fail"])
    assert code_spaced == 0, out[-2000:]
    code_equals, out = _run([*select, "--env=sit", "--target=moto", f"--report-dir={equals}", "--require=no-fail"])
    assert code_equals == 0, out[-2000:]
    assert _judged(spaced) == _judged(equals)


@pytest.mark.slow  # whole runs, or real timeouts waited out (ADR 0067)
def test_an_existing_report_dir_outside_the_repository_given_with_a_space_is_a_usage_error(tmp_path: Path) -> None:
    """pytest decides its rootdir before any plugin registers options, so there "--report-dir DIR" reads an
    existing DIR outside the repository as a test path and loads none of the repository's configuration: one
    line saying to write ``--report-dir=DIR``, not a collection traceback (inside the repository both work)."""
    outside = tmp_path / "reports"
    outside.mkdir()
    code, out = _run(["-m", "acceptance and on_demand", "--env", "sit", "--report-dir", str(outside)])
    assert code == 4, out[-2000:]
    assert f"pytest took {outside} for a test path" in out and "--report-dir=DIR" in out
    assert "Traceback" not in out and not (outside / "readiness.json").exists()
    code, out = _run(["-m", "acceptance and on_demand", "--env", "sit", f"--report-dir={outside}"])
    assert code == 0 and (outside / "readiness.json").is_file(), out[-2000:]


def test_the_options_are_listed_by_pytest_help_from_the_plugin() -> None:
    code, out = _run(["--help"])
    assert code == 0
    for option in ("--env", "--target", "--report-dir", "--plan-json", "--allow", "--require", "--deadline",
                   "--items", "--skip-unavailable"):
        assert option in out, option
    assert "BBWS DynamoDB readiness" in out


# ---------------------------------------------------------------------------- one table, parsed once (ADR 0074)

def _registered_by_the_plugin() -> dict[str, dict[str, Any]]:
    from readiness_pytest import plugin

    found: dict[str, dict[str, Any]] = {}

    class Group:
        def addoption(self, name: str, **kwargs: Any) -> None:
            found[name] = kwargs

    class Parser:
        def getgroup(self, *_: Any) -> Group:
            return Group()

    plugin.pytest_addoption(Parser())  # type: ignore[arg-type]
    return found


def test_the_cli_and_the_plugin_offer_the_same_options_and_help() -> None:
    import argparse

    from readiness.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    verify = {a.option_strings[0]: a for a in sub.choices["verify"]._actions if a.option_strings
              and a.option_strings[0] != "-h"}
    plugin = _registered_by_the_plugin()
    assert set(verify) - set(plugin) == {"--contract"}  # the contract of a pytest run is the repository's
    assert set(plugin) - set(verify) == set()
    for name, kwargs in plugin.items():
        assert verify[name].help == kwargs["help"], name
        assert tuple(verify[name].choices or ()) == tuple(kwargs.get("choices") or ()), name
    assert "--dry-run" in plugin and "--restore-table" in plugin


@pytest.mark.parametrize("argv", [["--restore-table", "nosuch"], ["--restore-table=nosuch"]])
def test_a_bad_restore_table_stops_the_run_before_it_starts(argv: list[str], tmp_path: Path) -> None:
    code, out = _run(["-m", "acceptance and restore_drill", "--env", "sit", *argv,
                      f"--report-dir={tmp_path}"])
    assert code == 2, out[-2000:]
    assert "error: --restore-table nosuch: not a table of sit (tenants, products, campaigns, orders, users, or all)" \
        in out
    assert not (tmp_path / "readiness.json").exists(), "validated in pytest_configure, before any run"
    cli = subprocess.run([sys.executable, "-m", "readiness", "verify", "--env", "sit", "--restore-table", "nosuch",
                          "--report-dir", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=False)
    assert cli.returncode == 2 and "--restore-table nosuch: not a table of sit" in cli.stderr


@pytest.mark.parametrize("value", ["orders", "orders-sit", "all"])
def test_a_table_by_logical_or_physical_name_is_accepted(value: str) -> None:
    from readiness.cli import build_parser
    from readiness.options import parse_options

    args = build_parser().parse_args(["verify", "--env", "sit", "--target", "moto", "--restore-table", value])
    assert parse_options(lambda o: getattr(args, o[2:].replace("-", "_"))).restore_table == value


@pytest.mark.parametrize("bad", ["0", "two", "-1"])
def test_load_workers_must_be_a_positive_count(bad: str) -> None:
    code, out = _run(["-m", "acceptance and on_demand", "--load-workers", bad, "--co"])
    assert code == 2 and f"--load-workers {bad}: give a whole number" in out


@pytest.mark.slow  # whole runs, or real timeouts waited out (ADR 0067)
def test_more_options_with_a_space_and_with_equals_give_the_same_run(tmp_path: Path) -> None:
    spaced, equals = tmp_path / "spaced", tmp_path / "equals"
    select = ["-m", "acceptance and pitr_enabled"]
    code, out = _run([*select, "--env", "dev", "--report-dir", str(spaced), "--restore-table", "orders",
                      "--allow", "writes", "--deadline", "600", "--items", "sample"])
    assert code == 0, out[-2000:]
    code, out = _run([*select, "--env=dev", f"--report-dir={equals}", "--restore-table=orders", "--allow=writes",
                      "--deadline=600", "--items=sample"])
    assert code == 0, out[-2000:]
    assert _judged(spaced) == _judged(equals)
    options = [json.loads((d / "readiness.json").read_text(encoding="utf-8"))["provenance"]["options"]
               for d in (spaced, equals)]
    assert options[0] == options[1]
    assert options[0]["restore_table"] == "orders" and options[0]["deadline"] == 600.0
