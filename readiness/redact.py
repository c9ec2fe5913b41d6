"""No secrets out: credentials and session tokens never reach a report, a console line or a log record.

The suite quotes what a target answered (an UNVERIFIABLE reason, a TargetError), and AWS sometimes quotes
the request back (SignatureDoesNotMatch shows the canonical request, security token header included);
botocore's DEBUG log prints every signed request's headers. :func:`redact` masks

- the values of the credential variables in the environment (``AWS_SECRET_ACCESS_KEY``, ``AWS_SESSION_TOKEN``,
  ``AWS_SECURITY_TOKEN``, ``AWS_ACCESS_KEY_ID``), when long enough to be real (emulator runs use "testing");
- anything shaped like an access key id (``AKIA...``/``ASIA...``), a security token header, a SigV4
  ``Credential=`` scope or ``Signature=``.

:func:`install_log_redaction` makes every log record pass through :func:`redact` (a record factory, so
it holds for every logger and every handler, pytest's captured logs included); ``open_target`` installs it.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ACCESS_KEY_ID")
MASK = "[redacted]"
MIN_SECRET_LENGTH = 16  # real key ids are 20 characters, secrets 40, tokens hundreds; fakes like "testing" are not

_PATTERNS = (
    re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])"),
    re.compile(r"(?i)(x-amz-security-token['\"]?\s*[:=]\s*b?['\"]?)[^'\"\s,;}]+"),
    re.compile(r"(?i)(aws_(?:secret_access_key|session_token|security_token)['\"]?\s*[:=]\s*['\"]?)[^'\"\s,;}]+"),
    re.compile(r"(Credential=)[^/\s,]+"),
    re.compile(r"(Signature=)[0-9a-fA-F]{16,}"),
)


def _secrets() -> list[str]:
    values = {os.environ.get(name, "") for name in SECRET_VARIABLES}
    return sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True)


def redact(text: str) -> str:
    """text with every credential and token masked."""
    for secret in _secrets():
        text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: (m.group(1) if m.groups() else "") + MASK, text)
    return text


_installed: list[Any] = []


def install_log_redaction() -> None:
    """Redact every log record from now on (idempotent)."""
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a record whose args do not fit its message: logging reports that itself
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return record

    logging.setLogRecordFactory(factory)
    _installed.append(factory)
