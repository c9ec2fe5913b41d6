"""The checks' core: the registry, the helpers every check uses, and :func:`evaluate`.

Checks compare one snapshot with the desired state and give a verdict per resource.

Every check has an id (``table.billing_mode``), the success criterion of the seeds it traces
to, and yields PASS, FAIL or UNVERIFIABLE with resource, expected, actual and a reason.
UNVERIFIABLE is never a pass: it says which call could not answer and what it answered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from readiness.contract.desired import Desired
from readiness.observation.live import Answer, Snapshot
from readiness.outcome import FAIL, PASS, UNVERIFIABLE, Verdict, mentions_unknown


@dataclass(frozen=True)
class Context:
    desired: Desired
    snap: Snapshot
    silent_gaps: dict[str, str]


@dataclass(frozen=True)
class CheckDef:
    id: str
    criterion: str
    scope: str  # table | gsi | replica | dr_key | cmk | environment | alarm | topic | widget | bucket | template
    fn: Callable[..., tuple[str, Any, Any, str]]
    resource: Callable[[Desired], str] | None = None  # environment scope: the resource the verdict names


CHECKS: dict[str, CheckDef] = {}


def check(check_id: str, scope: str, criterion: str,
          resource: Callable[[Desired], str] | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        if check_id in CHECKS:
            raise ValueError(f"check {check_id} registered twice")
        CHECKS[check_id] = CheckDef(check_id, criterion, scope, fn, resource)
        return fn
    return register


class Unverifiable(Exception):
    """Raised inside a check when an answer it needs is unavailable."""

    def __init__(self, answer: Answer, expected: Any) -> None:
        super().__init__(answer.error)
        self.answer = answer
        self.expected = expected


class Missing(Exception):
    """Raised inside a check when the resource it needs does not exist."""

    def __init__(self, what: str, expected: Any) -> None:
        super().__init__(what)
        self.what = what
        self.expected = expected


def need(answer: Answer, expected: Any, what: str) -> Any:
    """The answer's value, or the right verdict for an unavailable or missing resource."""
    if answer.error is not None:
        raise Unverifiable(answer, expected)
    if answer.missing:
        raise Missing(what, expected)
    return answer.value


class Reason(str):
    """A reason that keeps the values its judgement rested on: an f-string keeps an Unknown's text but not
    its type, so a check that formats a compared value into its reason (and not into ``actual``) passes
    it here, and ``run_check`` finds it structurally (never by reading the text)."""

    rests_on: tuple[Any, ...] = ()
    certain: bool = False  # a FAIL that stands on known values alone, whatever else a plan cannot show yet


def because(text: str, *values: Any) -> str:
    """text as a reason resting on values (an Unknown among them makes a FAIL UNVERIFIABLE on a plan)."""
    reason = Reason(text)
    reason.rests_on = values
    return reason


def certainly(text: str) -> str:
    """text as the reason of a FAIL that rests on known values only: an Unknown elsewhere in the verdict (a key
    ARN a first plan cannot show) must not turn a definite defect into UNVERIFIABLE."""
    reason = Reason(text)
    reason.certain = True
    return reason


def verdict(ok: bool, expected: Any, actual: Any, good: str, bad: str,
            rests_on: tuple[Any, ...] = ()) -> tuple[str, Any, Any, str]:
    return (PASS if ok else FAIL), expected, actual, good if ok else because(bad, *rests_on)


# ------------------------------------------------------------------------------------------------ tags

C_TAGS = "004 5.3.3: every resource carries the required tags (D15)"


def tags_problems(want: dict[str, str], tags: dict[str, str]) -> list[str]:
    missing = sorted(k for k in want if k not in tags)
    return ([f"missing {', '.join(missing)}"] if missing else []) + [
        f"{k}={tags[k]!r} (expected {v!r})" for k, v in want.items() if k in tags and tags[k] != v]


def tagged(ctx: Context, operation: str, where: list[tuple[str, str]],
            read: Callable[[Any], dict[str, str]]) -> tuple[str, Any, Any, str]:
    """The environment's tags (D15) on each (region, resource) as operation answers them."""
    want = dict(ctx.desired.env.tags)
    actual: dict[str, Any] = {}
    problems: list[str] = []
    for region, name in where:
        tags = read(need(ctx.snap.get(operation, region, name), want, f"{name} in {region}"))
        actual[f"{name}@{region}"] = {k: tags.get(k) for k in want}
        problems += [f"{name} in {region}: {p}" for p in tags_problems(want, tags)]
    if len(where) == 1:
        actual = next(iter(actual.values()))
    return verdict(not problems, want, actual, "all required tags present with their values", "; ".join(problems))


def tags_verdict(expected: Mapping[str, str], tags: dict[str, str], where: str = "") -> tuple[str, Any, Any, str]:
    """Every required tag present with its value (extra tags are fine); ``where`` prefixes each problem."""
    actual = {k: tags.get(k) for k in expected}
    wrong = [f"{where}{k}={tags[k]!r} (expected {v!r})" if k in tags else f"{where}missing {k}"
             for k, v in expected.items() if tags.get(k) != v]
    return verdict(not wrong, dict(expected), actual, "all required tags present with their values", "; ".join(wrong))


# ------------------------------------------------------------------------------------------- evaluate


def subjects(definition: CheckDef, desired: Desired) -> Iterator[tuple[str, tuple[Any, ...]]]:
    scope = definition.scope
    if scope == "table":
        for t in desired.tables:
            yield t.name, (t,)
    elif scope == "gsi":
        for t in desired.tables:
            for g in t.gsis:
                yield f"{t.name}/{g.name}", (t, g)
    elif scope == "replica":  # a table in each DR region it is replicated to
        for t in desired.tables:
            for region in desired.env.replication.regions if desired.env.replication else ():
                yield f"{t.name}@{region}", (t, region)
    elif scope in ("dr_key", "cmk"):  # the customer-managed key in each region (dr_key: outside the primary)
        if desired.env.encryption_kind == "customer-managed":
            for region in (() if scope == "dr_key" else (desired.env.region,)) + desired.dr_regions:
                yield desired.key_alias if region == desired.env.region else f"{desired.key_alias}@{region}", \
                    (region,)
    elif scope == "alarm":
        for a in desired.alarms:
            yield a.name, (a,)
    elif scope == "topic":
        for name in desired.topics:
            yield name, (name,)
    elif scope == "widget":
        for w in desired.widgets:
            yield f"{desired.env.monitoring.dashboard}/{w.title}", (w,)
    elif scope == "bucket":
        for b in desired.buckets:
            yield b.name, (b,)
    elif scope == "template":
        for b in desired.buckets:
            for o in b.objects:
                yield f"{b.name}/{o.key}", (b, o)
    else:
        yield (definition.resource or (lambda d: d.env.name))(desired), ()


def run_check(definition: CheckDef, ctx: Context, resource: str, args: tuple[Any, ...]) -> Verdict:
    try:
        status, expected, actual, reason = definition.fn(ctx, *args)
    except Unverifiable as exc:
        return Verdict(definition.id, definition.criterion, resource, UNVERIFIABLE, exc.expected, None,
                       f"{exc.answer.call} answered: {exc.answer.error}")
    except Missing as exc:
        return Verdict(definition.id, definition.criterion, resource, FAIL, exc.expected, None,
                       f"{exc.what} does not exist")
    unknown = mentions_unknown(actual) or mentions_unknown(getattr(reason, "rests_on", ()))
    if status == FAIL and unknown is not None and not getattr(reason, "certain", False):
        # a plan: the failure rests on a value it cannot show yet
        return Verdict(definition.id, definition.criterion, resource, UNVERIFIABLE, expected, actual,
                       f"{unknown[1:-1]}, so the plan cannot show it ({reason})")
    return Verdict(definition.id, definition.criterion, resource, status, expected, actual, str(reason))


def evaluate(desired: Desired, snap: Snapshot, silent_gaps: dict[str, str] | None = None) -> list[Verdict]:
    """Every registered check over every resource of the environment, in a stable order."""
    ctx = Context(desired, snap, dict(silent_gaps or {}))
    verdicts: list[Verdict] = []
    for definition in CHECKS.values():
        for resource, args in subjects(definition, desired):
            verdicts.append(run_check(definition, ctx, resource, args))
    return verdicts
