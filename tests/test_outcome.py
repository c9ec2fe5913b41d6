"""One failure, every stage: each kind :func:`readiness.outcome.classify` knows, built as botocore raises it
(a ClientError with the error response botocore parses, EndpointConnectionError, ReadTimeoutError,
NoCredentialsError, an emulator's HTML 500, a 501 from LocalStack, NotImplementedError from moto in-process,
the suite's own ReadOnlyViolation), run through every stage that decides on failures: observe, provision
(a required and an optional call), the account guard, a drill (its measure and its attempt) and a drill's
wait. The expected outcomes are written out here, not read from the tables under test (ADR 0065)."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, ReadTimeoutError

from readiness.contract.desired import desired_state
from readiness.contract.model import Contract
from readiness.drills.bench import WAITED, Bench
from readiness.drills.core import DRILLED, DrillFailed, DrillUnverifiable, Sheet, attempt
from readiness.observation.live import ASKED, ask
from readiness.outcome import FAIL, THROTTLE_CODES, UNVERIFIABLE, Kind, classify
from readiness.outcome import THROTTLE_CODES as LOAD_THROTTLE_CODES
from readiness.safety import GUARDED, caller_identity
from readiness.targets.base import ReadOnlyViolation, Target, TargetError
from readiness.targets.provision import DEPLOYED, Deployer


def client_error(code: str, message: str, status: int, operation: str = "DescribeTable") -> ClientError:
    """A ClientError as botocore builds it from a parsed error response."""
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"RequestId": "4f1c", "HTTPStatusCode": status, "HTTPHeaders": {},
                                             "RetryAttempts": 0}}, operation)


HTML_500 = ("<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>"
            "\n<p>The server encountered an internal error and was unable to complete your request.</p>")
URL = "http://127.0.0.1:5000/"

FAILURES: list[tuple[str, Kind, Callable[[], BaseException]]] = [
    ("table not found", Kind.NOT_FOUND, lambda: client_error(
        "ResourceNotFoundException", "Requested resource not found: Table: orders-sit not found", 400)),
    ("no such bucket policy", Kind.NOT_FOUND, lambda: client_error(
        "NoSuchBucketPolicy", "The bucket policy does not exist", 404, "GetBucketPolicy")),
    ("table in use", Kind.ALREADY_EXISTS, lambda: client_error(
        "ResourceInUseException", "Table already exists: orders-sit", 400, "CreateTable")),
    ("DynamoDB Local unknown operation", Kind.UNSUPPORTED, lambda: client_error(
        "UnknownOperationException", "An unknown operation was requested.", 400, "DescribeContinuousBackups")),
    ("moto in-process", Kind.UNSUPPORTED, lambda: NotImplementedError("The put_dashboard action has not been "
                                                                        "implemented")),
    ("moto server HTML 500", Kind.UNSUPPORTED, lambda: client_error("500", HTML_500, 500, "PutDashboard")),
    ("LocalStack Pro-only 501", Kind.UNSUPPORTED, lambda: client_error(
        "InternalFailure", "API for service 'backup' not yet implemented or pro feature", 501, "ListBackupVaults")),
    ("endpoint gone", Kind.UNAVAILABLE, lambda: EndpointConnectionError(endpoint_url=URL)),
    ("read timeout", Kind.UNAVAILABLE, lambda: ReadTimeoutError(endpoint_url=URL)),
    ("503", Kind.UNAVAILABLE, lambda: client_error("ServiceUnavailable", "Service Unavailable", 503)),
    ("a proxy's HTML page", Kind.UNAVAILABLE, lambda: client_error("403", "<html><body>blocked</body></html>", 403)),
    ("throttled", Kind.THROTTLED, lambda: client_error(
        "ThrottlingException", "Rate of requests exceeds the allowed throughput.", 400)),
    ("provisioned throughput", Kind.THROTTLED, lambda: client_error(
        "ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table "
        "was exceeded.", 400, "PutItem")),
    ("no credentials", Kind.CREDENTIALS, lambda: NoCredentialsError()),
    ("unknown key", Kind.CREDENTIALS, lambda: client_error(
        "UnrecognizedClientException", "The security token included in the request is invalid.", 400)),
    ("denied", Kind.DENIED, lambda: client_error(
        "AccessDeniedException", "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: "
        "dynamodb:DescribeTable", 400)),
    ("validation", Kind.REJECTED, lambda: client_error(
        "ValidationException", "One or more parameter values were invalid", 400, "PutItem")),
    ("condition failed", Kind.REJECTED, lambda: client_error(
        "ConditionalCheckFailedException", "The conditional request failed", 400, "UpdateItem")),
    ("refused by the suite", Kind.REFUSED_BY_SUITE, lambda: ReadOnlyViolation(
        "PutItem on orders-sit key 'ORDER#1' refused: not a test item of run 7e57a11e")),
]

# kind: (observe, provision required, provision optional, account guard, drill, drill wait)
EXPECTED: dict[Kind, tuple[str, str, str, str, str, str]] = {
    Kind.NOT_FOUND: ("missing", "stop", "noted", "could not ask", FAIL, "not yet"),
    Kind.ALREADY_EXISTS: ("unavailable", "exists", "exists", "could not ask", FAIL, "raise"),
    Kind.UNSUPPORTED: ("unavailable", "noted", "noted", "could not ask", UNVERIFIABLE, "unverifiable"),
    Kind.UNAVAILABLE: ("unavailable", "stop", "stop", "could not ask", UNVERIFIABLE, "raise"),
    Kind.THROTTLED: ("unavailable", "stop", "noted", "could not ask", UNVERIFIABLE, "raise"),
    Kind.CREDENTIALS: ("unavailable", "stop", "stop", "sign in", UNVERIFIABLE, "raise"),
    Kind.DENIED: ("unavailable", "stop", "noted", "could not ask", UNVERIFIABLE, "raise"),
    Kind.REJECTED: ("unavailable", "stop", "noted", "could not ask", FAIL, "raise"),
    Kind.REFUSED_BY_SUITE: ("unavailable", "stop", "stop", "could not ask", UNVERIFIABLE, "raise"),
}


def raising(exc: BaseException) -> Callable[[], Any]:
    def call() -> Any:
        raise exc
    return call


def observed(exc: BaseException) -> str:
    answer = ask("DescribeTable(orders-sit)@eu-west-1", raising(exc))
    assert answer.missing or answer.error, answer
    return "missing" if answer.missing else "unavailable"


def deployed(exc: BaseException, *, required: bool) -> str:
    deployer = Deployer(Target("moto"), SimpleNamespace(env=SimpleNamespace(region="eu-west-1")))  # type: ignore[arg-type]
    try:
        deployer.do("dashboard bbws-sit", raising(exc), required=required)
    except TargetError as stopped:
        assert "deploying dashboard bbws-sit into" in str(stopped)
        return "stop"
    if deployer.out.unsupported:
        assert deployer.out.unsupported[0].startswith("dashboard bbws-sit: ")
        return "noted"
    return "exists"


def guarded(exc: BaseException) -> str:
    sts = SimpleNamespace(get_caller_identity=raising(exc))
    target = SimpleNamespace(client=lambda service, region: sts)
    env = SimpleNamespace(region="eu-west-1", account="123456789012", name="sit")
    with pytest.raises(TargetError) as stopped:
        caller_identity(target, env)  # type: ignore[arg-type]
    return "sign in" if "no usable AWS credentials" in str(stopped.value) else "could not ask"


def drilled(bench: Bench, exc: BaseException) -> str:
    def body(_: Sheet) -> None:
        raise exc
    status = bench.measure("drill.access", "c", "orders-sit", body).status
    try:  # the same call through attempt(): UNVERIFIABLE is raised as DrillUnverifiable, a FAIL as itself
        attempt("DescribeTable(orders-sit)", raising(exc))
    except DrillUnverifiable:
        assert status == UNVERIFIABLE
    except BaseException as raised:
        assert raised is exc
    return status


def waited(bench: Bench, exc: BaseException) -> str:
    try:
        bench.until(raising(exc), 0.0, "orders-sit to be ACTIVE")
    except DrillUnverifiable:
        return "unverifiable"
    except DrillFailed as gave_up:
        assert "gave up waiting for orders-sit to be ACTIVE" in str(gave_up)
        return "not yet"
    except BaseException as raised:
        assert raised is exc
        return "raise"
    raise AssertionError("a probe that raised was taken for an answer")


@pytest.mark.parametrize(("kind", "make"), [(k, m) for _, k, m in FAILURES], ids=[n for n, _, _ in FAILURES])
def test_every_kind_through_every_stage(kind: Kind, make: Callable[[], BaseException],
                                        loaded_contract: Contract) -> None:
    bench = Bench(Target("moto", read_only=True), desired_state(loaded_contract, "sit"))
    assert classify(make()) is kind
    got = (observed(make()), deployed(make(), required=True), deployed(make(), required=False), guarded(make()),
           drilled(bench, make()), waited(bench, make()))
    assert got == EXPECTED[kind]


def test_every_stage_has_an_outcome_for_every_kind() -> None:
    """A new kind cannot slip through a stage unnoticed: each table covers them all, as does this test."""
    for table in (ASKED, DEPLOYED, GUARDED, DRILLED, WAITED, EXPECTED):
        assert set(table) == set(Kind)
    assert {k for _, k, _ in FAILURES} == set(Kind)


def test_the_load_drill_counts_the_same_throttles() -> None:
    """The load drill reads Locust's error text, not an exception: it matches the one list classify uses."""
    assert LOAD_THROTTLE_CODES is THROTTLE_CODES
    for code in THROTTLE_CODES:
        assert classify(client_error(code, "slow down", 400, "PutItem")) is Kind.THROTTLED
