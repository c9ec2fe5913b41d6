"""Fault injection: the run keeps its head when AWS throttles, fails, stalls, refuses or answers garbage.

A faulty endpoint on 127.0.0.1 sits in front of a moto server holding a correct SIT account and, for the
operations a test names, answers with a fault instead of forwarding: throttling, HTTP 5xx, a response that
never comes (read timeout), a dropped connection, AccessDenied, or a body botocore cannot parse. Every
HTTP attempt is counted per operation at the endpoint, so retries are seen as they happen on the wire.

The observation runs with the live target's client configuration (``Target("aws")``: adaptive retries,
5 attempts; timeouts shortened so a stall costs a fraction of a second, backoff waits made instant):
each affected check ends UNVERIFIABLE with the fault named, every other check still PASSes, retries are
bounded, and nothing raises. Provisioning and the account guard end in one sentence naming the fault
(a TargetError, exit 3 from the CLI), never a traceback. Connection refused is a closed port.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.config import Config
from botocore.retries.bucket import TokenBucket
from botocore.retries.standard import ExponentialBackoff
from moto_endpoint import ForwardingHandler, moto_server, operation_of

from readiness import cli
from readiness.checks import FAIL, PASS, UNVERIFIABLE, Verdict
from readiness.contract.desired import desired_state
from readiness.contract.model import Contract
from readiness.report.verdict import INCOMPLETE
from readiness.run import verify
from readiness.safety import guard_account
from readiness.targets.base import FAKE_CREDENTIALS, Target, TargetError, open_target
from readiness.targets.provision import deploy
from readiness.targets.services import free_port

ATTEMPTS = 5  # Target("aws"): total_max_attempts
STALL_SECONDS = 3.0
STALL_TIMEOUT = 1.0  # the read timeout where a test stalls an answer: short, yet far above a forwarded answer's time
TIMEOUT_SECONDS = 10.0  # elsewhere: a slow moto server on a busy machine must not look like a fault

# ----------------------------------------------------------------------------------- the faulty endpoint

JSON_ERROR = "application/x-amz-json-1.0"


def _json_error(code: str, message: str) -> tuple[int, str, bytes]:
    return 400, JSON_ERROR, f'{{"__type":"com.amazonaws.dynamodb.v20120810#{code}","message":"{message}"}}'.encode()


def _query_error(code: str, message: str, status: int = 400) -> tuple[int, str, bytes]:
    body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
            f"<RequestId>req-1</RequestId></ErrorResponse>")
    return status, "text/xml", body.encode()


# kind -> what the endpoint answers (status, content type, body); "stall" and "drop" answer nothing
ANSWERS: dict[str, tuple[int, str, bytes]] = {
    "throttle": _json_error("ThrottlingException", "Rate exceeded"),
    "access-denied": _json_error("AccessDeniedException", "User: arn:aws:sts::815856636111:assumed-role/ci is "
                                                           "not authorized to perform this action"),
    "503": (503, "text/html", b"<html><body>Service Unavailable</body></html>"),
    "500-json": (500, JSON_ERROR, b'{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError",'
                                  b'"message":"Internal server error"}'),
    "malformed": (200, JSON_ERROR, b'{"Table": {"TableName": "tenants-sit", '),
    "sts-throttle": _query_error("Throttling", "Rate exceeded"),
    "sts-malformed": (200, "text/xml", b"<GetCallerIdentityResponse><GetCallerIdentityResult><Account>"),
}


@dataclass
class Fault:
    kind: str  # a key of ANSWERS, or "stall" / "drop"
    match: str = ""  # only requests whose body contains this (e.g. one table's name)
    times: int | None = None  # then forward again; None: always


@dataclass
class FaultyEndpoint:
    url: str
    upstream: str
    faults: dict[str, Fault] = field(default_factory=dict)  # operation -> fault
    attempts: Counter[str] = field(default_factory=Counter)  # operation -> HTTP attempts seen
    injected: Counter[str] = field(default_factory=Counter)

    def inject(self, operation: str, kind: str, *, match: str = "", times: int | None = None) -> None:
        self.faults[operation] = Fault(kind, match, times)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the observation's 16 workers connect at once: never refuse one of them

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a stalled answer's client has gone: writing to it fails, as it should


@contextmanager
def faulty_endpoint(upstream: str) -> Iterator[FaultyEndpoint]:
    """A loopback endpoint forwarding to upstream, except where a fault is injected."""
    up = urlsplit(upstream)
    lock = threading.Lock()
    endpoint = FaultyEndpoint(url="", upstream=upstream)

    class Handler(ForwardingHandler):
        protocol_version = "HTTP/1.0"  # one connection per attempt: no stale keep-alive socket eats an attempt

        def _fault(self, operation: str, body: bytes) -> Fault | None:
            with lock:
                endpoint.attempts[operation] += 1
                fault = endpoint.faults.get(operation)
                if fault is None or fault.match.encode() not in body:
                    return None
                if fault.times is not None and endpoint.injected[operation] >= fault.times:
                    return None
                endpoint.injected[operation] += 1
                return fault

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("x-amzn-RequestId", "faulty-endpoint")
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            fault = self._fault(operation_of(self.command, self.path, headers, body), body)
            if fault is not None:
                if fault.kind == "drop":  # the connection closes without an answer
                    self.close_connection = True
                    return
                if fault.kind == "stall":  # the answer never comes in time
                    time.sleep(STALL_SECONDS)
                    self.close_connection = True
                    return
                self._send(*ANSWERS[fault.kind])
                return
            self.forward(up, body)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    httpd = _Server(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    endpoint.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield endpoint
    finally:
        httpd.shutdown()
        httpd.server_close()


@dataclass
class LiveLikeTarget(Target):
    """The live target's client configuration (adaptive retries, 5 attempts), pointed at the faulty endpoint,
    with a read timeout short enough that a stalled answer costs about a second."""

    timeout: float = TIMEOUT_SECONDS

    def _config(self) -> Config:
        return super()._config().merge(Config(connect_timeout=self.timeout, read_timeout=self.timeout))


# ------------------------------------------------------------------------------------------- fixtures


@pytest.fixture
def instant_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backoff waits and the adaptive rate limiter's waits made instant: attempts are counted, not timed."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)
    monkeypatch.setattr(TokenBucket, "acquire", lambda self, amount=1, block=True: True)


@pytest.fixture
def fake_credentials(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(scope="module")
def sit_server(loaded_contract: Contract) -> Iterator[str]:
    """A moto server holding a correctly deployed SIT account (the faults never reach it)."""
    with moto_server() as url:
        with open_target("moto", endpoint_url=url) as target:
            deploy(target, desired_state(loaded_contract, "sit"))
        yield url


@pytest.fixture
def sit_account(sit_server: str, loaded_contract: Contract) -> str:
    """The module's SIT account, deployed again if another moto server in this process reset moto's state
    (moto keeps every account in module globals; moto_endpoint.moto_server (tests/) resets them on start)."""
    with open_target("moto", endpoint_url=sit_server) as target:
        desired = desired_state(loaded_contract, "sit")
        if desired.tables[0].name not in target.client("dynamodb", desired.env.region).list_tables()["TableNames"]:
            deploy(target, desired)
    return sit_server


@pytest.fixture
def endpoint(sit_account: str, fake_credentials: None, instant_retries: None) -> Iterator[FaultyEndpoint]:
    with faulty_endpoint(sit_account) as e:
        yield e


def observe_through(e: FaultyEndpoint, contract: Contract, timeout: float = TIMEOUT_SECONDS) -> list[Verdict]:
    target = LiveLikeTarget("aws", endpoint_url=e.url, read_only=True, timeout=timeout)
    run = verify(target, contract, "sit", deploy_first=False)
    assert run.report().verdict == INCOMPLETE or any(v.status == FAIL for v in run.verdicts)
    return run.verdicts


def affected(verdicts: list[Verdict], checks: set[str]) -> list[Verdict]:
    return [v for v in verdicts if v.id in checks]


# ------------------------------------------------------------------------------------------- observation

# moto cannot show these on a correct account (not implemented, or a silent gap on the live target's terms)
MOTO_UNVERIFIABLE = {"backup.selection", "cost.anomaly_alert", "backup.jobs"}  # jobs: ListBackupJobs (ADR 0047)
# the aws target has no silent gaps: a vault without a key ARN fails, and so does a topic nobody subscribed to
# (the suite deploys none: the contract names no subscriber, ADR 0050)
MOTO_FAILS_AS_LIVE = {"backup.vault", "topic.subscribed"}


def test_the_faulty_endpoint_forwards_when_no_fault_is_injected(endpoint: FaultyEndpoint,
                                                                loaded_contract: Contract) -> None:
    verdicts = observe_through(endpoint, loaded_contract)
    assert {v.id for v in verdicts if v.status == UNVERIFIABLE} == MOTO_UNVERIFIABLE
    assert {v.id for v in verdicts if v.status == FAIL} == MOTO_FAILS_AS_LIVE
    assert endpoint.attempts["DescribeTable"] == 5 and endpoint.injected == Counter()


OBSERVATION_FAULTS = [
    # (operation, fault, checks it must make UNVERIFIABLE, words the reason names, HTTP attempts per call)
    ("DescribeContinuousBackups", "throttle", {"table.pitr", "table.pitr_recovery_period"},
     "HTTP 400 ThrottlingException", ATTEMPTS),
    ("DescribeTimeToLive", "503", {"table.ttl"}, "HTTP 503", ATTEMPTS),
    ("DescribeTimeToLive", "500-json", {"table.ttl"}, "InternalServerError", ATTEMPTS),
    ("DescribeTimeToLive", "stall", {"table.ttl"}, "ReadTimeoutError", ATTEMPTS),
    ("ListTagsOfResource", "drop", {"table.tags"}, "ConnectionClosedError", ATTEMPTS),
    ("ListTagsOfResource", "access-denied", {"table.tags"}, "HTTP 400 AccessDeniedException", 1),
    ("DescribeKey", "malformed", {"table.encryption", "kms.key"}, "a malformed answer", 1),
    ("DescribeTimeToLive", "malformed", {"table.ttl"}, "a malformed answer", 1),
    # a list answer that does not parse must not read as an empty list (no tags: a false FAIL)
    ("ListTagsOfResource", "malformed", {"table.tags"}, "a malformed answer", 1),
]


@pytest.mark.parametrize(("operation", "kind", "checks", "named", "per_call"), [
    pytest.param(*f, id=f"{f[1]}-{f[0]}") for f in OBSERVATION_FAULTS])
def test_a_fault_during_observation_makes_its_checks_unverifiable(
        endpoint: FaultyEndpoint, loaded_contract: Contract, operation: str, kind: str, checks: set[str],
        named: str, per_call: int) -> None:
    endpoint.inject(operation, kind)
    verdicts = observe_through(endpoint, loaded_contract, STALL_TIMEOUT if kind == "stall" else TIMEOUT_SECONDS)

    hit = affected(verdicts, checks)
    assert hit and all(v.status == UNVERIFIABLE for v in hit), [v.line() for v in hit]
    assert all(named in v.reason and f"{_snake(operation)}(" in v.reason for v in hit
               if v.id != "table.encryption" or "describe_key" in v.reason), [v.reason for v in hit]
    others = [v for v in verdicts if v.id not in checks | MOTO_UNVERIFIABLE | MOTO_FAILS_AS_LIVE]
    assert all(v.status == PASS for v in others), [v.line() for v in others if v.status != PASS]
    calls = 5 if operation != "DescribeKey" else 2  # DescribeKey: alias/aws/dynamodb and alias/aws/backup
    assert endpoint.injected[operation] == endpoint.attempts[operation] == calls * per_call, endpoint.attempts


def test_a_fault_on_one_table_touches_only_that_table(endpoint: FaultyEndpoint, loaded_contract: Contract) -> None:
    endpoint.inject("DescribeTable", "503", match='"orders-sit"')
    verdicts = observe_through(endpoint, loaded_contract)
    unverifiable = {(v.id, v.resource) for v in verdicts if v.status == UNVERIFIABLE and v.id not in MOTO_UNVERIFIABLE}
    assert unverifiable and {r for _, r in unverifiable} <= {"orders-sit"} | {
        f"orders-sit/{g}" for g in ("CustomerIndex", "OrderStatusIndex", "OrderDateIndex")}
    assert all(v.status == PASS for v in verdicts if v.resource == "tenants-sit")
    assert endpoint.attempts["DescribeTable"] == 4 + ATTEMPTS, (endpoint.attempts, endpoint.injected)


def test_a_transient_throttle_is_absorbed_and_the_answer_used(endpoint: FaultyEndpoint,
                                                              loaded_contract: Contract) -> None:
    endpoint.inject("DescribeContinuousBackups", "throttle", times=2)
    verdicts = observe_through(endpoint, loaded_contract)
    hit = affected(verdicts, {"table.pitr", "table.pitr_recovery_period"})
    assert all(v.status == PASS for v in hit), [v.line() for v in hit if v.status != PASS]
    assert endpoint.attempts["DescribeContinuousBackups"] == 5 + 2


def test_connection_refused_for_every_call_is_one_sentence(loaded_contract: Contract, fake_credentials: None,
                                                           instant_retries: None) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    target = LiveLikeTarget("aws", endpoint_url=closed, read_only=True)
    with pytest.raises(TargetError) as err:
        verify(target, loaded_contract, "sit", deploy_first=False)
    message = str(err.value)
    assert "could not answer a single check" in message and "EndpointConnectionError" in message
    assert "\n" not in message


def test_a_verify_only_run_on_a_dead_endpoint_exits_3_without_a_traceback(
        tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    code = cli.main(["verify", "--env", "sit", "--target", "moto", "--endpoint-url", closed, "--no-deploy",
                     f"--report-dir={tmp_path}"])
    out, err = capsys.readouterr()
    assert code == 3 and "Traceback" not in out + err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1 and "ListTables" in err
    report = json.loads((tmp_path / "readiness.json").read_text(encoding="utf-8"))  # a missing run is visible
    assert report["verdict"] == "ERROR" and "ListTables" in report["error"]


# ------------------------------------------------------------------------------------------ provisioning


@pytest.fixture
def empty_server(fake_credentials: None) -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.mark.parametrize(("operation", "kind", "named"), [
    ("CreateTable", "access-denied", "AccessDeniedException"),
    ("CreateTable", "throttle", "ThrottlingException"),
    ("CreateKey", "malformed", "a malformed answer"),
    ("CreateTable", "malformed", "a malformed answer"),
    ("PutDashboard", "503", "HTTP 503"),
    ("UpdateContinuousBackups", "drop", "ConnectionClosedError"),
])
def test_a_fault_during_provisioning_is_one_sentence_exit_3(
        empty_server: str, operation: str, kind: str, named: str, capsys: pytest.CaptureFixture[str]) -> None:
    with faulty_endpoint(empty_server) as e:
        e.inject(operation, kind)
        code = cli.main(["deploy", "--env", "prod" if operation == "CreateKey" else "sit", "--target", "moto",
                         "--endpoint-url", e.url])
    out, err = capsys.readouterr()
    assert code == 3, (out, err)
    assert "Traceback" not in out + err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("error: deploying ") and named in err, err
    assert e.attempts[operation] == 1  # emulators are not retried: their faults are answers, not weather


def test_a_500_during_provisioning_is_noted_and_the_verification_fails_what_is_missing(
        empty_server: str, loaded_contract: Contract) -> None:
    """An emulator answers HTTP 500 for what it does not implement, so the deploy notes a 500 and goes on
    (any other 5xx stops it, above); the verification then fails the resource that is missing, naming it."""
    with faulty_endpoint(empty_server) as e:
        e.inject("PutDashboard", "500-json")
        with open_target("moto", endpoint_url=e.url) as target:
            desired = desired_state(loaded_contract, "sit")
            done = deploy(target, desired)
            run = verify(target, loaded_contract, "sit", deploy_first=False)
    assert any("dashboard" in u and "HTTP 500 InternalServerError" in u for u in done.unsupported), done.unsupported
    widgets = [v for v in run.verdicts if v.id == "dashboard.widget"]
    assert widgets and all(v.status == FAIL and "does not exist" in v.reason for v in widgets)
    assert e.attempts["PutDashboard"] == 1


# ----------------------------------------------------------------------------------------- account guard


@pytest.mark.parametrize(("kind", "named", "attempts"), [
    ("sts-throttle", "Throttling", ATTEMPTS),
    ("503", "HTTP 503", ATTEMPTS),
    ("stall", "ReadTimeoutError", ATTEMPTS),
    ("drop", "ConnectionClosedError", ATTEMPTS),
    ("sts-malformed", "ResponseParserError", 1),
])
def test_a_fault_in_the_account_guard_stops_the_run_in_one_sentence(
        endpoint: FaultyEndpoint, loaded_contract: Contract, kind: str, named: str, attempts: int) -> None:
    endpoint.inject("GetCallerIdentity", kind)
    target = LiveLikeTarget("aws", endpoint_url=endpoint.url, read_only=True, timeout=STALL_TIMEOUT)
    with pytest.raises(TargetError) as err:
        guard_account(target, loaded_contract.environment("sit"))
    message = str(err.value)
    assert message.startswith("could not ask STS") and named in message and "\n" not in message, message
    assert endpoint.attempts["GetCallerIdentity"] == attempts
    assert target.calls.snapshot() == {"sts:GetCallerIdentity": 1}  # nothing else was asked


def test_the_guard_on_a_refused_connection_is_one_sentence(loaded_contract: Contract, fake_credentials: None,
                                                           instant_retries: None) -> None:
    target = LiveLikeTarget("aws", endpoint_url=f"http://127.0.0.1:{free_port()}", read_only=True)
    with pytest.raises(TargetError, match=r"could not ask STS.*EndpointConnectionError"):
        guard_account(target, loaded_contract.environment("sit"))


def _snake(operation: str) -> str:
    from botocore import xform_name

    return str(xform_name(operation))




def test_a_verify_only_run_through_faults_finishes_incomplete_with_the_fault_in_its_report(
        endpoint: FaultyEndpoint, tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """The whole CLI run: emulators are asked once (no retries), the report is written, exit 0 (INCOMPLETE)."""
    import json

    endpoint.inject("DescribeContinuousBackups", "throttle")
    endpoint.inject("GetDashboard", "drop")
    code = cli.main(["verify", "--env", "sit", "--target", "moto", "--endpoint-url", endpoint.url, "--no-deploy",
                     f"--report-dir={tmp_path}"])
    out, err = capsys.readouterr()
    assert code == 0 and "Traceback" not in out + err, (out, err)
    report = json.loads((tmp_path / "readiness.json").read_text(encoding="utf-8"))
    assert report["verdict"] == "INCOMPLETE" and report["summary"]["fail"] == 0
    reasons = {c["id"]: c["reason"] for c in report["checks"] if c["status"] == "unverifiable"}
    assert "ThrottlingException" in reasons["table.pitr"] and "ConnectionClosedError" in reasons["dashboard.widget"]
    assert "UNVERIFIABLE table.pitr on 5 resources" in out and "INCOMPLETE" in out.splitlines()[-1]
    assert endpoint.attempts["DescribeContinuousBackups"] == 5 and endpoint.attempts["GetDashboard"] == 1


def test_access_denied_on_a_whole_service_is_unverifiable_never_ready(loaded_contract: Contract,
                                                                    fake_credentials: None) -> None:
    """Stubber: a role without backup:* permissions. Every backup check is UNVERIFIABLE naming AccessDenied;
    the run is INCOMPLETE, not READY and not BLOCKED."""
    from test_aws_target import correct_on_aws, replay
    from test_permissions import record

    rec = record(loaded_contract, "sit")
    script = correct_on_aws(rec)
    backup = script[("backup", rec.desired.env.region)]
    denied = "User: arn:aws:sts::815856636111:assumed-role/readiness/ci is not authorized to perform: backup:*"
    for call in backup:
        call.response, call.error = None, ("AccessDeniedException", denied, 403)
    # with the plan list denied, the plan, its selection and the selection's details are never asked
    script[("backup", rec.desired.env.region)] = [c for c in backup if c.method in (
        "describe_backup_vault", "list_backup_plans", "list_backup_jobs")]
    on_aws = replay(script, rec.desired)

    backup_checks = [v for v in on_aws.verdicts if v.id.startswith("backup.")]
    assert backup_checks and all(v.status == UNVERIFIABLE for v in backup_checks), [v.line() for v in backup_checks]
    assert all("HTTP 403 AccessDeniedException" in v.reason for v in backup_checks)
    assert all(v.status == PASS for v in on_aws.verdicts if not v.id.startswith("backup."))
    assert on_aws.verdict == INCOMPLETE


# ------------------------------------------------------------------------------------------------ drills


def _leftovers(url: str, contract: Contract) -> dict[str, Any]:
    """Test items and drill tables in the account behind the faulty endpoint (asked directly)."""
    from readiness.testitems import MARKER

    desired = desired_state(contract, "sit")
    with open_target("moto", endpoint_url=url) as target:
        ddb = target.client("dynamodb", desired.env.region)
        items = {t.name: len([i for i in ddb.scan(TableName=t.name)["Items"] if MARKER in i]) for t in desired.tables}
        extra = set(ddb.list_tables()["TableNames"]) - {t.name for t in desired.tables}
    return {k: v for k, v in items.items() if v} | ({"tables": sorted(extra)} if extra else {})


@pytest.mark.parametrize(("drill", "operation", "kind", "named"), [
    ("access", "GetItem", "throttle", "ThrottlingException"),
    ("access", "Query", "access-denied", "AccessDeniedException"),
    ("restore", "RestoreTableFromBackup", "503", "HTTP 503"),  # moto cannot restore as of a point (ADR 0054)
    ("restore", "DescribeTable", "drop", "ConnectionClosedError"),
    ("transaction", "TransactWriteItems", "malformed", "a malformed answer"),
])
def test_a_fault_during_a_drill_is_unverifiable_naming_it_and_cleanup_is_still_done(
        sit_account: str, endpoint: FaultyEndpoint, loaded_contract: Contract, drill: str, operation: str,
        kind: str, named: str) -> None:
    from readiness.drills import Drills

    desired = desired_state(loaded_contract, "sit")
    orders = next(t for t in desired.tables if t.logical == "orders")
    with open_target("moto", endpoint_url=endpoint.url) as target:
        drills = Drills(target, desired)
        if operation == "DescribeTable":  # only the restored table's: the drill's own waits, not the setup
            endpoint.inject(operation, kind, match="-restore-")
        else:
            endpoint.inject(operation, kind)
        m = {"access": lambda: drills.access(orders), "restore": lambda: drills.restore(orders, "backup"),
             "transaction": drills.transaction}[drill]()
    assert m.status in (UNVERIFIABLE, FAIL) and named in m.reason, m.line()
    assert endpoint.injected[operation] >= 1
    assert _leftovers(sit_account, loaded_contract) == {}, "the drill left something behind"


def test_a_failed_delete_during_cleanup_is_retried_by_the_next_cleanup(
        sit_account: str, endpoint: FaultyEndpoint, loaded_contract: Contract) -> None:
    """One DeleteItem dropped while a drill cleans up: that item stays (the drill cannot know better), and
    the next cleanup of the same run removes it; nothing is left."""
    from readiness.drills import Drills

    desired = desired_state(loaded_contract, "sit")
    with open_target("moto", endpoint_url=endpoint.url) as target:
        drills = Drills(target, desired)
        endpoint.inject("DeleteItem", "drop", times=1)
        m = drills.access(next(t for t in desired.tables if t.logical == "users"))
        assert m.status == PASS, m.line()
        assert _leftovers(sit_account, loaded_contract) == {"users-sit": 1}
        assert drills.cleanup() == []
    assert _leftovers(sit_account, loaded_contract) == {}
