"""The emulators the suite starts itself, and what each target kind says it cannot do.

DynamoDB Local really runs here (it is installed by `python -m readiness install-dynamodb-local`,
which tox runs before the tests); LocalStack needs Docker, which CI does not have: its skip is
tested, and its endpoint path is exercised against a moto server standing in for it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from moto_endpoint import moto_server

from readiness.checks import CHECKS
from readiness.contract.desired import desired_state
from readiness.contract.loading import load_contract
from readiness.observation.live import ask
from readiness.outcome import describe_failure, is_unsupported
from readiness.run import verify
from readiness.targets.base import TargetError, TargetUnavailable, open_target
from readiness.targets.services import ServiceFailed, _wait_for_port, find_dynamodb_local, free_port

ROOT = Path(__file__).resolve().parent.parent

needs_dynamodb_local = pytest.mark.skipif(
    find_dynamodb_local() is None and not os.environ.get("CI"),
    reason="DynamoDB Local is not installed: run `python -m readiness install-dynamodb-local` (CI always has it)")


def _listening(url: str) -> bool:
    port = int(url.rsplit(":", 1)[1])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _client_error(code: str, message: str, status: int) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, "SomeOperation")


# ------------------------------------------------------------------------------------ DynamoDB Local


def test_an_emulator_that_never_listens_fails_within_its_start_timeout(tmp_path: Path) -> None:
    """The wait for the port is bounded (a run's deadline shortens it): a process that never listens is a
    ServiceFailed naming the port and the time, not a hang."""
    log = tmp_path / "emulator.log"
    log.write_text("", encoding="utf-8")
    silent = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    port = free_port()
    try:
        started = time.monotonic()
        with pytest.raises(ServiceFailed, match=rf"did not listen on 127.0.0.1:{port} within 0.5 s"):
            _wait_for_port(port, silent, log, 0.5)
        assert time.monotonic() - started < 5
    finally:
        silent.kill()
        silent.wait(timeout=10)


@needs_dynamodb_local
def test_dynamodb_local_starts_on_loopback_and_stops() -> None:
    with open_target("dynamodb-local") as target:
        url = target.endpoint_url or ""
        assert url.startswith("http://127.0.0.1:") and _listening(url)
        assert target.label == "DynamoDB Local (started by the suite)" and target.can_deploy
        assert target.client("dynamodb", "eu-west-1").list_tables()["TableNames"] == []
    assert not _listening(url), "DynamoDB Local still listens after the run"


@needs_dynamodb_local
def test_dynamodb_local_verifies_the_data_plane_and_quotes_what_it_lacks() -> None:
    with open_target("dynamodb-local") as target:
        run = verify(target, load_contract(), "sit", deploy_first=True)
    status = {(v.id, v.resource): v for v in run.verdicts}
    for check in ("table.exists", "table.key_schema", "table.billing_mode", "table.stream", "table.ttl"):
        assert status[(check, "orders-sit")].status == "pass", status[(check, "orders-sit")].line()
    assert status[("gsi.key_schema", "orders-sit/OrderDateIndex")].status == "pass"
    pitr = status[("table.pitr", "orders-sit")]
    assert pitr.status == "unverifiable" and "UnknownOperationException" in pitr.reason
    tags = status[("table.tags", "orders-sit")]
    assert tags.status == "unverifiable" and "Tagging is not currently supported" in tags.reason
    sse = status[("table.encryption", "orders-sit")]
    assert sse.status == "unverifiable" and "no SSEDescription" in sse.reason
    vault = status[("backup.vault", "bbws-dynamodb-backup-vault-sit")]
    assert vault.status == "unverifiable" and "serves DynamoDB only" in vault.reason
    s3 = [v for v in run.verdicts if v.id.startswith(("bucket.", "template."))]
    bucket_checks = sum(1 for c in CHECKS.values() if c.scope == "bucket")
    assert len(s3) == bucket_checks + 12  # the templates bucket's checks and one per template (ADR 0042)
    for v in s3:  # the call and what DynamoDB Local answered, never a guess
        assert v.status == "unverifiable" and "@eu-west-1 answered: " in v.reason, v.line()
        assert "serves DynamoDB only; it answered" in v.reason, v.line()
    assert not [v for v in run.verdicts if v.status == "fail"]
    assert any("serves DynamoDB only" in n for n in run.notes), run.notes
    assert any("template buckets" in n for n in run.notes), run.notes


def test_dynamodb_local_not_installed_is_an_error_never_a_green_skip(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """tox installs it; a ddblocal job that checked nothing must not pass."""
    monkeypatch.setenv("DYNAMODB_LOCAL_HOME", str(tmp_path))
    with pytest.raises(TargetError, match=r"DynamoDB Local is not installed in .*install-dynamodb-local") as err, \
            open_target("dynamodb-local"):
        pass
    assert not isinstance(err.value, TargetUnavailable)


# ----------------------------------------------------------------------------------------- LocalStack


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
def test_localstack_without_docker_or_endpoint_skips_the_whole_run_with_one_sentence() -> None:
    env = {k: v for k, v in os.environ.items() if k != "LOCALSTACK_ENDPOINT"}
    env["DOCKER_HOST"] = "unix:///nonexistent/docker.sock"  # no daemon, whatever the machine has
    for gate, code in ((["--skip-unavailable"], 0), ([], 7)):  # a skipped run is a failure unless allowed
        result = subprocess.run([sys.executable, "-m", "pytest", "-m", "acceptance", "--target=localstack",
                                 "-p", "no:cacheprovider", "-q", "-rs", *gate], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=300, check=False)
        assert result.returncode == code, result.stdout[-2000:]
        assert " skipped" in result.stdout and " passed" not in result.stdout and "failed" not in result.stdout
        assert "the whole run was skipped: --target localstack: starting LocalStack needs a Docker daemon" \
            in result.stdout
        assert "pass --endpoint-url URL / set LOCALSTACK_ENDPOINT" in result.stdout


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
@pytest.mark.parametrize("how", ["--endpoint-url", "LOCALSTACK_ENDPOINT"])
def test_localstack_endpoint_path_against_a_moto_server_standing_in(how: str, tmp_path: Path) -> None:
    with moto_server() as url:
        env = {k: v for k, v in os.environ.items() if k != "LOCALSTACK_ENDPOINT"}
        args = ["--target=localstack", f"--report-dir={tmp_path}"]
        if how == "--endpoint-url":
            args.append(f"--endpoint-url={url}")
        else:
            env["LOCALSTACK_ENDPOINT"] = url
        # the stand-in is moto, whose conditional writes race (SILENT_GAPS["moto"]); LocalStack's DynamoDB is
        # DynamoDB Local, so under the localstack label the locking drill would judge moto's race: leave it out
        result = subprocess.run([sys.executable, "-m", "pytest", "-m", "acceptance and not optimistic_locking",
                                 "-p", "no:cacheprovider", "-q", *args], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-3000:]
    report = json.loads((tmp_path / "readiness.json").read_text())
    assert report["target"] == f"localstack at {url}"
    assert report["summary"]["fail"] == 0 and report["summary"]["pass"] > 100


# ------------------------------------------------------------------------------- capability detection


@pytest.mark.parametrize(("target", "exc", "quoted"), [
    ("moto in-process", NotImplementedError("The list_backup_selections action has not been implemented"),
     "not implemented by the target (The list_backup_selections action has not been implemented)"),
    ("moto server", _client_error("500", "The list_backup_selections action has not been implemented", 500),
     "HTTP 500 500: The list_backup_selections action has not been implemented"),
    ("DynamoDB Local", _client_error("UnknownOperationException", "An unknown operation was requested.", 400),
     "UnknownOperationException: An unknown operation was requested."),
    ("LocalStack community", _client_error(
        "InternalFailure", "API for service 'backup' not yet implemented or pro feature - please check the "
        "coverage docs", 501), "pro feature"),
])
def test_each_target_kind_saying_no_is_unverifiable_with_its_answer(target: str, exc: Exception,
                                                                     quoted: str) -> None:
    assert is_unsupported(exc), target

    def call() -> None:
        raise exc

    answer = ask("list_backup_selections(plan)@eu-west-1", call)
    assert not answer.ok and not answer.missing
    assert answer.error is not None and answer.error.startswith("not implemented by the target")
    assert quoted in answer.error and quoted in describe_failure(exc)


def test_a_real_not_found_is_still_missing_not_unverifiable() -> None:
    def call() -> None:
        raise _client_error("ResourceNotFoundException", "Requested resource not found", 400)

    answer = ask("describe_table(orders-sit)@eu-west-1", call)
    assert answer.missing and answer.error is None


def test_a_service_the_target_does_not_serve_never_reads_as_missing() -> None:
    def call() -> None:
        raise _client_error("ResourceNotFoundException", "no such vault", 404)

    answer = ask("describe_backup_vault(v)@eu-west-1", call, foreign="DynamoDB Local serves DynamoDB only")
    assert not answer.missing
    assert answer.error == ("DynamoDB Local serves DynamoDB only; it answered HTTP 404 ResourceNotFoundException: "
                            "no such vault")


def test_moto_server_capability_gaps_are_unverifiable_with_the_call(tmp_path: Path) -> None:
    with moto_server() as url, open_target("moto", endpoint_url=url) as target:
        run = verify(target, load_contract(), "sit", deploy_first=True)
    selection = next(v for v in run.verdicts if v.id == "backup.selection")
    assert selection.status == "unverifiable"
    assert selection.reason.startswith("list_backup_selections(bbws-dynamodb-backup-plan-sit)@eu-west-1 answered: "
                                       "HTTP 500 with an HTML error page (moto's server answers so")
    assert desired_state(load_contract(), "sit").env.name == "sit"
