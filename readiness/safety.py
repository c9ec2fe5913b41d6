"""Safety rails for live runs: the account guard and what a run is allowed to do.

A live run (``--target aws``) is read-only unless the user explicitly allows more with
``--allow writes,restore,load`` (and ``load-prod`` for a load drill on prod). Emulators the
suite deploys into are throwaway and allow everything; a verify-only run (``--no-deploy``)
allows nothing it was not told to.
"""

from __future__ import annotations

import os

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    ProfileNotFound,
    SSOTokenLoadError,
    TokenRetrievalError,
    UnauthorizedSSOTokenError,
)
from botocore.parsers import ResponseParserError

from readiness.contract.model import Environment
from readiness.outcome import Kind, RefusedBySuite, classify, describe_failure
from readiness.targets.base import Target, TargetError

ALLOWANCES = ("writes", "restore", "load", "load-prod")


def parse_allow(text: str | None) -> frozenset[str]:
    """``--allow writes,restore`` -> {"writes", "restore"}; an unknown word is a usage error."""
    words = {w.strip() for w in (text or "").split(",") if w.strip()}
    unknown = sorted(words - set(ALLOWANCES))
    if unknown:
        raise TargetError(f"--allow {','.join(unknown)}: unknown; choose from {', '.join(ALLOWANCES)}")
    return frozenset(words)


GUARDED: dict[Kind, str] = {kind: "sign in" if kind is Kind.CREDENTIALS else "could not ask" for kind in Kind}
"""What the account guard makes of each kind of failure of its GetCallerIdentity: both stop the run."""



def guard_account(target: Target, env: Environment) -> str:
    """Stop before any other call unless the credentials belong to the environment's account."""
    return caller_identity(target, env)["account"]


def caller_identity(target: Target, env: Environment) -> dict[str, str]:
    """The account guard's one GetCallerIdentity, kept for the report's provenance: account and ARN."""
    try:
        identity = target.client("sts", env.region).get_caller_identity()
        account = str(identity["Account"])
    except (SSOTokenLoadError, UnauthorizedSSOTokenError, TokenRetrievalError):  # before BotoCoreError: subclasses
        name = target.profile or os.environ.get("AWS_PROFILE") or "default"
        raise TargetError(f"the AWS SSO session of profile {name} has expired or was never started: "
                          f"run aws sso login --profile {name}") from None
    except (NoCredentialsError, ProfileNotFound, ClientError, BotoCoreError, ResponseParserError, KeyError,
            NotImplementedError, RefusedBySuite) as exc:
        if GUARDED[classify(exc)] == "sign in":
            said = describe_failure(exc) if isinstance(exc, ClientError) else exc  # AWS may quote the request
            raise TargetError(f"no usable AWS credentials ({said}): sign in (e.g. aws sso login --profile NAME) "
                              "and pass --profile NAME or set AWS_PROFILE") from None
        raise TargetError(f"could not ask STS which account these credentials belong to: "  # refused, unreachable
                          f"{describe_failure(exc)}") from None
    if account != env.account:
        raise TargetError(f"refusing to verify {env.name}: the credentials belong to account {account}, but the "
                          f"contract's {env.name} account is {env.account}; switch profile and run again")
    return {"account": account, "arn": str(identity.get("Arn", "not answered"))}
