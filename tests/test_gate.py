"""Gate semantics (issue 12 item 4): every run verdict x ``--require`` gives the same exit code from
``pytest -m acceptance`` and from ``python -m readiness verify``, as readiness/cli.py's table says.

One moto server for the module: SIT deployed into it is INCOMPLETE on moto (it cannot show every check and
the drills are not run on a verify-only run); with PITR switched off on one table it is BLOCKED; a closed
port is ERROR; LocalStack without Docker is a whole-run skip. READY cannot happen on moto (it cannot show
backup selections), so the READY row forces the run verdict through a plugin (tests/gate_force.py): it
proves the gate's mapping, not a verdict. The pytest runs select one passing scenario (on-demand billing),
so any non-zero code comes from the gate, not from a failed test.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from moto_endpoint import moto_server

from readiness import cli, options
from readiness.report import run_report as report_module
from readiness.targets.base import FAKE_CREDENTIALS

ROOT = Path(__file__).resolve().parent.parent
REQUIRES: tuple[str | None, ...] = (None, "no-fail", "ready")
EXPECTED = {  # (verdict, --require) -> exit code; None: the default (no-fail)
    **{("READY", r): 0 for r in REQUIRES},
    ("INCOMPLETE", None): 0, ("INCOMPLETE", "no-fail"): 0, ("INCOMPLETE", "ready"): 6,
    **{("BLOCKED", r): 1 for r in REQUIRES},
    **{("ERROR", r): 3 for r in REQUIRES},
    **{("SKIPPED", r): 7 for r in REQUIRES},
}
CLOSED = "http://127.0.0.1:9"  # discard port: nothing answers


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with moto_server() as url:
        deployed = cli.main(["deploy", "--env", "sit", "--endpoint-url", url])
        assert deployed == 0
        yield url


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LOCALSTACK_ENDPOINT", "PYTEST_ADDOPTS")}
    return {**env, **FAKE_CREDENTIALS, "AWS_CONFIG_FILE": str(tmp_path / "none"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"), **extra}


def pytest_code(tmp_path: Path, target_args: list[str], require: str | None, *extra: str,
                env: dict[str, str] | None = None) -> tuple[int, dict[str, object]]:
    out = tmp_path / f"pytest-{require}"
    args = [sys.executable, "-m", "pytest", "-m", "acceptance and on_demand", "--env=sit", *target_args,
            f"--report-dir={out}", "-p", "no:cacheprovider", "-q", *extra]
    if require:
        args.append(f"--require={require}")
    proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
                          env=env or _env(tmp_path))
    assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
    report = json.loads((out / "readiness.json").read_text(encoding="utf-8"))
    return proc.returncode, report


def cli_code(tmp_path: Path, target_args: list[str], require: str | None, *extra: str) -> tuple[int, dict[str, object]]:
    out = tmp_path / f"cli-{require}"
    code = cli.main(["verify", "--env", "sit", *target_args, "--report-dir", str(out), *extra,
                     *([f"--require={require}"] if require else [])])
    return code, json.loads((out / "readiness.json").read_text(encoding="utf-8"))


def assert_row(verdict: str, tmp_path: Path, target_args: list[str], *extra: str,
               env: dict[str, str] | None = None, plugin: tuple[str, ...] = ()) -> None:
    for require in REQUIRES:
        want = EXPECTED[(verdict, require)]
        p_code, p_report = pytest_code(tmp_path, target_args, require, *extra, *plugin, env=env)
        c_code, c_report = cli_code(tmp_path, target_args, require, *extra)
        shown = "ERROR" if verdict == "SKIPPED" else verdict
        assert (p_report["verdict"], c_report["verdict"]) == (shown, shown), (p_report, c_report)
        assert (p_code, c_code) == (want, want), f"{verdict} --require {require}: pytest {p_code}, CLI {c_code}"


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
def test_incomplete(server: str, tmp_path: Path) -> None:
    assert_row("INCOMPLETE", tmp_path, ["--target=moto", f"--endpoint-url={server}", "--no-deploy"])


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
def test_blocked(server: str, tmp_path: Path) -> None:
    from readiness.targets.base import open_target

    with open_target("moto", endpoint_url=server) as target:
        ddb = target.client("dynamodb", "eu-west-1", write=True)
        ddb.update_continuous_backups(TableName="orders-sit",
                                      PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False})
        try:
            assert_row("BLOCKED", tmp_path, ["--target=moto", f"--endpoint-url={server}", "--no-deploy"])
        finally:
            ddb.update_continuous_backups(TableName="orders-sit",
                                          PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
def test_ready(server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_module, "run_verdict", lambda verdicts: report_module.READY)
    env = _env(tmp_path, PYTHONPATH=os.pathsep.join([str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]))
    assert_row("READY", tmp_path, ["--target=moto", f"--endpoint-url={server}", "--no-deploy"], env=env,
               plugin=("-p", "gate_force"))


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
def test_error_writes_a_report_and_exits_3(tmp_path: Path) -> None:
    assert_row("ERROR", tmp_path, ["--target=moto", f"--endpoint-url={CLOSED}", "--no-deploy"])
    report = json.loads((tmp_path / "pytest-ready" / "readiness.json").read_text(encoding="utf-8"))
    assert "does not answer like DynamoDB" in report["error"] and report["provenance"]["endpoint"] == CLOSED


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
def test_a_whole_run_skip_is_never_green_unless_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    no_docker = "unix:///nonexistent/docker.sock"
    monkeypatch.setenv("DOCKER_HOST", no_docker)
    monkeypatch.delenv("LOCALSTACK_ENDPOINT", raising=False)
    env = _env(tmp_path, DOCKER_HOST=no_docker)
    assert_row("SKIPPED", tmp_path, ["--target=localstack"], env=env)
    p_code, p_report = pytest_code(tmp_path, ["--target=localstack"], None, "--skip-unavailable", env=env)
    c_code, c_report = cli_code(tmp_path, ["--target=localstack"], None, "--skip-unavailable")
    assert (p_code, c_code) == (0, 0)
    for report in (p_report, c_report):
        assert str(report["error"]).startswith("the whole run was skipped: --target localstack: starting LocalStack "
                                               "needs a Docker daemon")


@pytest.mark.parametrize(("verdict", "require"), sorted(EXPECTED, key=str))
def test_the_gate_function_is_the_table(verdict: str, require: str | None) -> None:
    if verdict == "SKIPPED":
        return  # not a verdict of a run that reached its target: the callers map TargetUnavailable to 7
    assert options.gate(verdict, require or "no-fail") == EXPECTED[(verdict, require)]


def test_the_table_is_documented_once_and_the_cli_docstring_agrees() -> None:
    doc = (ROOT / "docs" / "runbooks" / "exit-codes.md").read_text(encoding="utf-8")
    for code in ("0", "1", "2", "3", "6", "7"):
        assert f"| {code} |" in doc, f"docs/runbooks/exit-codes.md: no row for {code}"
        assert re.search(rf"^{code}\s", cli.__doc__ or "", re.M), f"readiness/cli.py docstring: no row for {code}"
    assert "--require ready" in doc and "--skip-unavailable" in doc and "--deadline" in doc


@pytest.mark.parametrize(("value", "message"), [("-1", ">= 0"), ("soon", "not a number"), ("inf", "finite"),
                                                 ("nan", "finite")])
def test_a_bad_deadline_is_a_usage_error(value: str, message: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["verify", "--env", "sit", "--report-dir", str(tmp_path), f"--deadline={value}"])
    assert code == 2 and message in capsys.readouterr().err


def test_the_deadline_defaults_to_900_s_for_live_and_plan_runs_only() -> None:
    assert options.deadline(None, "aws") == options.deadline(None, "plan") == 900.0
    assert options.deadline(None, "moto") is None and options.deadline("0", "aws") is None
    assert options.deadline("30", "moto") == 30.0


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
def test_a_run_in_which_no_scenario_read_the_account_is_never_green(tmp_path: Path) -> None:
    """Every selected scenario refused (a restore drill on a read-only live run): nothing was checked, so the
    run writes an ERROR report saying so and exits 7, unless --skip-unavailable asks for a green skip."""
    def run(*extra: str) -> tuple[int, dict[str, object]]:
        out = tmp_path / f"none{len(extra)}"
        proc = subprocess.run([sys.executable, "-m", "pytest", "-m", "acceptance and restore_drill", "--env=prod",
                               "--target=aws", "--require=ready", f"--report-dir={out}", "-p", "no:cacheprovider",
                               "-q", *extra], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
                              env=_env(tmp_path))
        assert "Traceback" not in proc.stderr, proc.stderr[-2000:]
        return proc.returncode, json.loads((out / "readiness.json").read_text(encoding="utf-8"))

    code, report = run()
    assert code == 7 and report["verdict"] == "ERROR" and "nothing was checked" in str(report["error"])
    assert run("--skip-unavailable")[0] == 0


@pytest.mark.parametrize("variable", ["READINESS_REQUIRE", "READINESS_ITEMS"])
def test_a_bad_value_from_the_environment_is_a_usage_error(variable: str, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """argparse and pytest check choices only on the command line: READINESS_REQUIRE=READY must not quietly
    become the weaker no-fail gate."""
    monkeypatch.setenv(variable, "READY")
    code = cli.main(["verify", "--env", "sit", "--report-dir", str(tmp_path)])
    assert code == 2 and "'READY': must be one of" in capsys.readouterr().err
    proc = subprocess.run([sys.executable, "-m", "pytest", "-m", "acceptance", "--env=sit",
                           f"--report-dir={tmp_path}", "-p", "no:cacheprovider", "-q"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False, env=_env(tmp_path, **{variable: "READY"}))
    assert proc.returncode == 2 and "'READY': must be one of" in proc.stdout + proc.stderr
