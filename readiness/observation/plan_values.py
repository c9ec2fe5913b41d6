"""Reading planned values as the AWS provider writes them, shared by the plan answer builders.

A nested block is a list of objects; what the plan cannot show is an :class:`~readiness.observation.live.Unknown`.
Read as a block or as a flag's truth, an Unknown raises :class:`Unshown`, which makes the one answer
being built unavailable (plan_answers.plan_snapshot's ``put``), never an empty block or a False.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from readiness.observation.plan_load import Plan
from readiness.outcome import Unknown

Put = Callable[..., None]
"""plan_answers.plan_snapshot's ``put(operation, region, resource, value=None, *, missing=..., error=...)``."""


class Unshown(Exception):
    """An answer rests on a value the plan cannot show (a whole block, or a flag read for its truth)."""

    def __init__(self, value: Unknown) -> None:
        super().__init__(value)
        self.value = value


def shown(value: Any) -> Any:
    if isinstance(value, Unknown):
        raise Unshown(value)
    return value


def first(block: Any) -> dict[str, Any]:
    """A nested block of the AWS provider is a list of at most one object."""
    block = shown(block)
    if isinstance(block, list) and block and isinstance(shown(block[0]), dict):
        return dict(block[0])
    return {}


def blocks(value: Any) -> list[dict[str, Any]]:
    """The objects of a nested block list; one the plan cannot show makes the answer unavailable."""
    value = shown(value)
    return [dict(b) for b in value if isinstance(shown(b), dict)] if isinstance(value, list) else []


def mapping(value: Any) -> dict[str, Any]:
    value = shown(value)
    return dict(value) if isinstance(value, dict) else {}


def flag(value: Any) -> bool:
    """A boolean argument read for its truth: an unknown one is not False (nor True)."""
    return bool(shown(value))


def items(value: Any) -> list[Any]:
    """A list attribute; a wholly unknown list stands as one unknown element."""
    if isinstance(value, Unknown):
        return [value]
    return list(value) if isinstance(value, (list, tuple)) else []


def effective_tags(values: dict[str, Any], required: Any) -> Any:
    """The effective tags (tags_all). When the plan does not show them (provider default_tags unknown),
    the resource's own tags stand for them only if they already hold every required tag: resource tags
    override default tags, so that is sound; anything less is unknown, not missing."""
    effective, own = values.get("tags_all"), values.get("tags")
    if effective is None and not isinstance(own, Unknown):
        return own
    if isinstance(effective, Unknown) and isinstance(own, dict) and all(
            own.get(k) == v for k, v in dict(required).items()):
        return own
    return effective if effective is not None else own


def tag_list(tags: Any, key: str = "Key", value: str = "Value") -> list[dict[str, Any]]:
    """A tag map as AWS lists it ([{Key, Value}], or KMS's [{TagKey, TagValue}]); unknown tags are unshown."""
    return [{key: k, value: v} for k, v in mapping(tags).items()]


def aws_managed(region: str, account: str, alias: str) -> Unknown:
    """The ARN of the AWS-managed key behind alias, which no plan shows (AWS creates the key on first use)."""
    return Unknown(f"(not in the plan: the ARN of the AWS-managed key {alias} in {region} of {account})")


def unnamed(plan: Plan, kind: str, attribute: str) -> dict[str, Unknown]:
    """Per region, a planned resource of kind whose name the plan does not show (it could be any)."""
    return {r.region: name for r in plan.of_type(kind) if isinstance(name := r.values.get(attribute), Unknown)}


def known_arn(values: dict[str, Any], default: str) -> Any:
    """The resource's ARN when the plan shows it; else the one AWS will give it (region, account and name fix
    it for topics and alarms)."""
    arn = values.get("arn")
    return arn if isinstance(arn, str) and arn and not isinstance(arn, Unknown) else default
