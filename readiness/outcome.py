"""The outcome core: what every stage of a run may conclude, in one place (ADR 0065).

The bottom of the import tree: nothing here imports from ``readiness``. It holds

* the four statuses of a verdict (:data:`PASS`, :data:`FAIL`, :data:`UNVERIFIABLE`, :data:`NOT_APPLICABLE`);
* :class:`Verdict`, the one result type of a check and of a drill (a drill's carries its measured
  ``figures`` and ``details``; a check's has none);
* :class:`Unknown`, a value a Terraform plan cannot show until apply;
* :func:`classify`, which sorts any failure a target can answer with (a botocore ``ClientError``, an
  endpoint that is gone, a timeout, an emulator's HTML error page, missing credentials, the suite's own
  refusal) into one :class:`Kind`. Each stage (observe, provision, the account guard, the drills, the
  load drill) keeps only a small table from kind to its own outcome.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

from botocore.exceptions import ClientError, NoCredentialsError, ProfileNotFound

from readiness.redact import redact

# ------------------------------------------------------------------------------------------- statuses

PASS, FAIL, UNVERIFIABLE = "pass", "fail", "unverifiable"
NOT_APPLICABLE = "not_applicable"  # the contract says the criterion does not apply to this environment
STATUSES = (PASS, FAIL, UNVERIFIABLE, NOT_APPLICABLE)

CHECK_FIELDS = ("id", "criterion", "resource", "status", "expected", "actual", "reason")


@dataclass(frozen=True)
class Verdict:
    """One check's or one drill's result on one resource.

    A check's verdict has ``expected`` and ``actual``; a drill's (see :func:`measured`) has ``figures`` (a
    list, possibly empty) and ``details`` instead, and :meth:`verdict` states its figures as expected and
    actual for the report's verdict list. ``to_dict`` writes each in the shape the report has always had."""

    id: str
    criterion: str
    resource: str
    status: str
    expected: Any = None
    actual: Any = None
    reason: str = ""
    figures: list[dict[str, Any]] | None = None  # None: a check; a list: a drill's measured figures
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_measurement(self) -> bool:
        return self.figures is not None

    def to_dict(self) -> dict[str, Any]:
        if self.figures is None:
            whole = asdict(self)
            return {k: whole[k] for k in CHECK_FIELDS}
        return {"id": self.id, "criterion": self.criterion, "resource": self.resource, "status": self.status,
                "reason": self.reason, "figures": self.figures,
                **({"details": self.details} if self.details else {})}

    def verdict(self) -> Verdict:
        """This result as a check-shaped verdict: a drill's figures become its expected and actual."""
        if self.figures is None:
            return self
        expected = {f["name"]: f"{'<=' if f.get('limit') == 'max' else '>='} {f['target']} {f['unit']}"
                    for f in self.figures if "target" in f} or "the drill succeeds"
        actual = {f["name"]: f["value"] for f in self.figures} or None
        return Verdict(self.id, self.criterion, self.resource, self.status, expected, actual, self.reason)

    def line(self) -> str:
        if self.figures is None:
            return (f"{self.status.upper()} {self.id} {self.resource}: expected {_fmt(self.expected)}, "
                    f"actual {_fmt(self.actual)} — {self.reason}")
        figs = ", ".join(f"{f['name']} {f['value']}{'' if f['unit'] == 'count' else ' ' + f['unit']}"
                         for f in self.figures if f["value"] is not None)
        return f"{self.status.upper()} {self.id} {self.resource}: {self.reason}" + (f" [{figs}]" if figs else "")


def measured(id: str, criterion: str, resource: str, status: str, reason: str,
             figures: list[dict[str, Any]] | None = None, details: Mapping[str, Any] | None = None) -> Verdict:
    """A drill's verdict: its figures (none measured: an empty list) and details."""
    return Verdict(id, criterion, resource, status, reason=reason, figures=list(figures or []),
                   details=dict(details or {}))


def _fmt(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


class Unknown(str):
    """A value a Terraform plan cannot show yet (an ARN known only after apply); its text says which.

    Checks compare it like any string: it equals nothing the contract expects, and a FAIL that rests
    on one is turned into UNVERIFIABLE (checks.run_check)."""


def mentions_unknown(value: Any) -> Unknown | None:
    """The first Unknown inside value (nested dicts and lists), or None."""
    if isinstance(value, Unknown):
        return value
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        for v in value:
            if (found := mentions_unknown(v)) is not None:
                return found
    return None


# --------------------------------------------------------------------------------------------- kinds


class Kind(Enum):
    """What a failed call means, whoever answered it."""

    NOT_FOUND = "not_found"  # a real answer: the resource (or this configuration of it) does not exist
    ALREADY_EXISTS = "already_exists"  # a create found the resource there already
    UNSUPPORTED = "unsupported"  # the target does not do this call at all (an emulator's gap)
    UNAVAILABLE = "unavailable"  # no usable answer: endpoint gone, timeout, server fault, garbled answer
    THROTTLED = "throttled"  # the service shed the call
    CREDENTIALS = "credentials"  # no credentials, or credentials the service does not recognise
    DENIED = "denied"  # the credentials may not make this call
    REJECTED = "rejected"  # the service answered no (validation, a failed condition, a cancelled transaction)
    REFUSED_BY_SUITE = "refused_by_suite"  # the suite's own guard stopped the call before it was sent


class RefusedBySuite(Exception):
    """The suite refused a call before sending it (the base of targets.ReadOnlyViolation)."""


THROTTLE_CODES = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException",
                            "RequestLimitExceeded", "Throttling"})
NOT_FOUND_CODES = frozenset({
    "ResourceNotFoundException", "ResourceNotFound", "NotFoundException", "TableNotFoundException",
    "NotFound", "DashboardNotFoundError", "BackupVaultNotFoundException",
    # S3: no such bucket, and "this bucket has no such configuration" (a real answer: not configured)
    "NoSuchBucket", "NoSuchKey", "NoSuchLifecycleConfiguration", "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchPublicAccessBlockConfiguration", "ReplicationConfigurationNotFoundError", "NoSuchTagSet",
    "NoSuchBucketPolicy", "ObjectLockConfigurationNotFoundError",
})
ALREADY_EXISTS_CODES = frozenset({"ResourceInUseException", "AlreadyExistsException", "AlreadyExists",
                                  "ResourceAlreadyExistsException", "EntityAlreadyExists", "BucketAlreadyOwnedByYou"})
# How each target says "I do not do that": moto (NotImplementedError in-process, an HTML 500 over its
# server), DynamoDB Local (UnknownOperationException), LocalStack community (Pro-only services, 501).
UNSUPPORTED_CODES = frozenset({"UnknownOperationException", "NotImplementedException", "NotImplemented",
                               "InvalidAction", "UnknownOperation"})
NOT_IMPLEMENTED_MARKERS = ("not been implemented", "not yet implemented", "notimplemented", "unknown operation",
                           "not included in your current license", "pro feature", "not available in your license")
CREDENTIALS_CODES = frozenset({"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken",
                               "ExpiredTokenException", "InvalidSignatureException", "SignatureDoesNotMatch",
                               "MissingAuthenticationToken", "InvalidAccessKeyId"})


def error_parts(exc: ClientError) -> tuple[int | None, str, str]:
    """A ClientError's HTTP status, error code and message (whitespace folded)."""
    err = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return status, str(err.get("Code", "?")), " ".join(str(err.get("Message", "")).split())


def is_unsupported(exc: BaseException) -> bool:
    """True when the target answered that it does not implement the call at all."""
    if isinstance(exc, NotImplementedError):
        return True
    if not isinstance(exc, ClientError):
        return False
    status, code, message = error_parts(exc)
    if code in UNSUPPORTED_CODES:
        return True
    return status in (400, 404, 500, 501) and any(m in f"{code} {message}".lower() for m in NOT_IMPLEMENTED_MARKERS)


def is_html_fault(exc: ClientError) -> bool:
    """An HTML error page with a 5xx status: not an AWS error (moto's server answers so for a call it does
    not implement; elsewhere it is a server fault)."""
    status, _, message = error_parts(exc)
    return message.startswith("<") and bool(status) and (status or 0) >= 500


def classify(error: BaseException) -> Kind:
    """The kind of one failure. The order matters where two readings could apply: the suite's refusal first,
    then "the target does not do this" before any code, throttling and credentials before "denied"."""
    if isinstance(error, RefusedBySuite):
        return Kind.REFUSED_BY_SUITE
    if isinstance(error, NotImplementedError):
        return Kind.UNSUPPORTED
    if isinstance(error, NoCredentialsError | ProfileNotFound):
        return Kind.CREDENTIALS
    if not isinstance(error, ClientError):  # EndpointConnectionError, ReadTimeoutError, a garbled answer ...
        return Kind.UNAVAILABLE
    status, code, message = error_parts(error)
    if is_unsupported(error) or status in (500, 501):  # an emulator answers 500 for what it does not implement
        return Kind.UNSUPPORTED
    if code in THROTTLE_CODES:
        return Kind.THROTTLED
    if code in CREDENTIALS_CODES:
        return Kind.CREDENTIALS
    if "AccessDenied" in code:
        return Kind.DENIED
    if message.startswith("<"):  # an HTML page (a proxy's, a crashed emulator's) is no AWS answer
        return Kind.UNAVAILABLE
    if code in NOT_FOUND_CODES or (status == 404 and code not in ("", "404", "?")):
        return Kind.NOT_FOUND
    if code in ALREADY_EXISTS_CODES:
        return Kind.ALREADY_EXISTS
    if (status or 0) >= 500:
        return Kind.UNAVAILABLE
    return Kind.REJECTED


COULD_NOT_ANSWER = frozenset({Kind.UNSUPPORTED, Kind.UNAVAILABLE, Kind.THROTTLED, Kind.CREDENTIALS, Kind.DENIED,
                              Kind.REFUSED_BY_SUITE})
"""The kinds where the target (or the suite) could not answer, as opposed to answering about the account."""


class CannotSay(Exception):
    """The target answered, but its answer cannot settle the question (the message says why)."""


def describe_failure(exc: BaseException) -> str:
    """One line naming what the target answered, for UNVERIFIABLE reasons (credentials masked: AWS may quote
    the signed request back)."""
    return redact(_describe_failure(exc))


def _describe_failure(exc: BaseException) -> str:
    if isinstance(exc, NotImplementedError):
        return f"not implemented by the target ({exc})"
    if isinstance(exc, CannotSay):
        return str(exc)
    if isinstance(exc, ClientError):
        status, code, message = error_parts(exc)
        if is_unsupported(exc):
            return f"not implemented by the target (HTTP {status} {code}: {message[:160]})"
        if is_html_fault(exc):  # an HTML error page, not an AWS error
            return (f"HTTP {status} with an HTML error page (moto's server answers so for a call it does not "
                    f"implement; elsewhere it is a server fault)")
        return f"HTTP {status} {code}: {message[:200]}"
    if isinstance(exc, KeyError | TypeError):  # the answer parsed, but lacks what every valid answer has
        return f"a malformed answer ({type(exc).__name__}: {' '.join(str(exc).split())[:160]} is missing or wrong)"
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}"
