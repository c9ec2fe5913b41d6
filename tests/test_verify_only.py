"""Verify-only runs: --endpoint-url against a running moto server, with --no-deploy, never write."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from moto_endpoint import is_write_request, moto_server, recording_proxy

from readiness.targets.base import ReadOnlyViolation, open_target

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def server() -> Iterator[str]:
    with moto_server() as url:
        yield url


def _writes(requests: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(method, op) for method, op in requests if is_write_request(method, op)]


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)


def _acceptance(url: str, report_dir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # --opt=value: pytest reads bare paths before conftest options are known and would take them as rootdir
    return _run("-m", "pytest", "-m", "acceptance", "--env=sit", "--target=moto", f"--endpoint-url={url}",
                f"--report-dir={report_dir}", "-p", "no:cacheprovider", "-q", *extra)


@pytest.mark.slow  # whole runs, or real timeouts waited out (ADR 0067)
def test_no_deploy_against_a_prepopulated_server_never_writes(server: str, tmp_path: Path) -> None:
    deployed = _run("-m", "readiness", "deploy", "--env", "sit", "--endpoint-url", server)
    assert deployed.returncode == 0, deployed.stderr

    with recording_proxy(server) as (url, requests):
        result = _acceptance(url, tmp_path, "--no-deploy")

    assert result.returncode == 0, result.stdout[-3000:]
    assert requests, "the run reached the endpoint"
    assert _writes(requests) == [], "a --no-deploy run sent write requests"
    report = json.loads((tmp_path / "readiness.json").read_text())
    assert report["verdict"] == "INCOMPLETE"
    assert report["summary"]["fail"] == 0
    assert report["summary"]["pass"] > 100
    # the observation's budget for SIT as benchmarks/verify_sit.py states it: 4 per table, a ListTables per region,
    # 19 for the environment, 18 for the templates bucket and one ListBuckets
    assert 0 < report["api_calls"] <= 4 * 5 + 2 + 19 + 18 + 1
    assert f"moto at {url}" == report["target"]
    assert "readiness SIT on moto at" in result.stdout


@pytest.mark.slow  # whole runs, or real timeouts waited out (ADR 0067)
def test_no_deploy_against_an_empty_account_is_blocked_and_still_writes_nothing(server: str, tmp_path: Path) -> None:
    with recording_proxy(server) as (url, requests):
        result = _acceptance(url, tmp_path, "--no-deploy")

    assert result.returncode == 1
    assert requests and _writes(requests) == []
    report = json.loads((tmp_path / "readiness.json").read_text())
    assert report["verdict"] == "BLOCKED"
    missing = {c["resource"] for c in report["checks"] if c["id"] == "table.exists" and c["status"] == "fail"}
    assert missing == {"tenants-sit", "products-sit", "campaigns-sit", "orders-sit", "users-sit"}


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
def test_endpoint_url_deploys_then_verifies_when_deploy_is_allowed(server: str, tmp_path: Path) -> None:
    with recording_proxy(server) as (url, requests):
        result = _acceptance(url, tmp_path)

    assert result.returncode == 0, result.stdout[-3000:]
    assert json.loads((tmp_path / "readiness.json").read_text())["summary"]["fail"] == 0
    assert ("POST", "CreateTable") in _writes(requests), "the recording proxy sees writes when there are some"


def test_a_verify_only_target_refuses_every_write() -> None:
    with open_target("moto", no_deploy=True) as target:
        ddb = target.client("dynamodb", "eu-west-1", write=True)
        with pytest.raises(ReadOnlyViolation, match="dynamodb:CreateTable refused"):
            ddb.create_table(TableName="x", KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"}],
                             BillingMode="PAY_PER_REQUEST")
        assert ddb.list_tables()["TableNames"] == []


def test_read_clients_refuse_writes_even_when_deploying_is_allowed() -> None:
    with open_target("moto") as target:
        with pytest.raises(ReadOnlyViolation):
            target.client("sns", "eu-west-1").create_topic(Name="x")
        assert target.calls.snapshot() == {"sns:CreateTopic": 1}


def test_unreachable_endpoint_is_one_clear_error(tmp_path: Path) -> None:
    result = _run("-m", "readiness", "verify", "--env", "sit", "--endpoint-url", "http://127.0.0.1:9",
                  "--no-deploy", "--report-dir", str(tmp_path))
    assert result.returncode == 3
    assert result.stderr.startswith("error: moto at http://127.0.0.1:9 does not answer like DynamoDB: "
                                    "ListTables answered EndpointConnectionError")
    assert "Traceback" not in result.stderr + result.stdout
    report = json.loads((tmp_path / "readiness.json").read_text())  # a missing run is visible: verdict ERROR
    assert report["verdict"] == "ERROR" and "ListTables answered EndpointConnectionError" in report["error"]
    assert report["checks"] == [] and report["provenance"]["endpoint"] == "http://127.0.0.1:9"


class _JunkHandler(BaseHTTPRequestHandler):
    """An endpoint that answers 200 with something that is not an AWS answer."""

    body = b"{}"

    def log_message(self, *_: object) -> None:
        pass

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)


@pytest.mark.parametrize("body", [b"{}", b"garbage", b"<html>hello</html>"])
def test_an_endpoint_answering_junk_is_an_error_not_a_list_of_fails(body: bytes, tmp_path: Path) -> None:
    handler = type("Junk", (_JunkHandler,), {"body": body})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        for extra in ((), ("--no-deploy",)):
            result = _run("-m", "readiness", "verify", "--env", "sit", "--endpoint-url", url,
                          "--report-dir", str(tmp_path), *extra)
            assert result.returncode == 3, result.stdout + result.stderr
            assert result.stderr.startswith(f"error: moto at {url} does not answer like DynamoDB: ListTables")
            assert "Traceback" not in result.stderr
    finally:
        httpd.shutdown()
        httpd.server_close()
    report = json.loads((tmp_path / "readiness.json").read_text())
    assert report["verdict"] == "ERROR" and "does not answer like DynamoDB" in report["error"]


def test_verify_only_on_embedded_moto_is_refused_it_would_verify_an_empty_account(tmp_path: Path) -> None:
    result = _run("-m", "readiness", "verify", "--env", "sit", "--no-deploy", "--report-dir", str(tmp_path))
    assert result.returncode == 3
    assert "embedded moto starts empty, so --no-deploy would verify nothing" in result.stderr


@pytest.mark.parametrize(("url", "message"), [
    ("notaurl", "is not a URL"),
    ("https://dynamodb.eu-west-1.amazonaws.com", "is AWS itself: use --target aws"),
])
def test_emulator_endpoints_must_be_urls_and_never_aws(url: str, message: str, tmp_path: Path) -> None:
    result = _run("-m", "readiness", "verify", "--env", "sit", "--target", "localstack", "--endpoint-url", url,
                  "--report-dir", str(tmp_path))
    assert result.returncode == 3 and message in result.stderr and "Traceback" not in result.stderr


def test_a_report_dir_that_cannot_be_written_stops_before_the_run(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    cli = _run("-m", "readiness", "verify", "--env", "sit", "--report-dir", str(blocker))
    assert cli.returncode == 2 and "cannot create it" in cli.stderr
    suite = _acceptance("http://127.0.0.1:9", blocker)
    assert suite.returncode == 2 and "--report-dir" in suite.stdout + suite.stderr  # the same code as the CLI
    assert "INTERNALERROR" not in suite.stdout + suite.stderr
