"""For approvers (ADR 0071, 0072): is the run promotable, and why not; the failures collapsed to root causes and
the gaps grouped by reason."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from readiness.checks import FAIL, NOT_APPLICABLE, UNVERIFIABLE
from readiness.report.verdict import BLOCKED, ERROR, READY

LIVE_TARGET = "aws"
_KINDS = ("moto", "localstack", "dynamodb-local", "aws", "plan")
_LABELS = (("embedded moto", "moto"), ("moto", "moto"), ("localstack", "localstack"),
           ("dynamodb local", "dynamodb-local"), ("dynamodb-local", "dynamodb-local"),
           ("terraform plan", "plan"), ("plan", "plan"))
# "X does not exist" / "X in eu-west-1 does not exist": the engine's reason when a resource is missing
_MISSING = re.compile(r"^(?:(?:SNS topic|table|bucket|index|alarm|vault|plan|dashboard|key) )?"
                      r"(?P<name>[^\s]+?)(?: in [a-z]{2}(?:-[a-z]+)+-\d)? does not exist$")


def target_kind(data: Mapping[str, Any]) -> str:
    """The target a readiness.json was made on (moto, localstack, dynamodb-local, aws, plan; else "unknown"):
    the run's own ``--target`` option from its provenance, else read from the target's label. A label that is
    not exactly AWS (e.g. "aws at http://...") is never taken for the live target."""
    options = _provenance(data).get("options")
    kind = options.get("target") if isinstance(options, Mapping) else None
    if isinstance(kind, str) and kind in _KINDS:
        return kind
    label = str(data.get("target") or "").strip().lower()
    if label == LIVE_TARGET:
        return LIVE_TARGET
    return next((k for prefix, k in _LABELS if label.startswith(prefix)), "unknown")


def _provenance(data: Mapping[str, Any]) -> Mapping[str, Any]:
    prov = data.get("provenance")
    return prov if isinstance(prov, Mapping) else {}


def evidence(kind: str) -> str:
    """What a run on ``kind`` is evidence of: "live" (the account itself) or "pre-check" (an emulator, a plan)."""
    return "live" if kind == LIVE_TARGET else "pre-check"


def target_what(kind: str) -> str:
    return {"plan": "a Terraform plan, not the account", "unknown": "an unknown target"}.get(kind, "an emulator")


def root_causes(checks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The failed checks collapsed to their root causes, in the order they first fail.

    A missing resource is one blocker: every failure whose reason is "<name> does not exist" is counted
    under <name> (a missing table takes its GSIs, PITR, tags... with it), the check on <name> itself
    (``*.exists`` first) is the root and the rest its dependents. Any other failure is a blocker of its
    resource. Only how failures are *shown* is grouped: every failed check stays in ``checks``.
    """
    groups: dict[str, dict[str, list[Mapping[str, Any]]]] = {}
    for c in checks:
        if c.get("status") != FAIL:
            continue
        found = _MISSING.match(str(c.get("reason") or "").strip())
        key = found["name"] if found else str(c.get("resource"))
        group = groups.setdefault(key, {"missing": [], "other": []})
        group["missing" if found else "other"].append(c)
    out: list[dict[str, Any]] = []
    for key, group in groups.items():
        missing, other = group["missing"], group["other"]
        root: Mapping[str, Any] | None = None
        if missing:
            own = [c for c in missing if c.get("resource") == key]
            root = next((c for c in own if str(c.get("id", "")).endswith(".exists")), (own or missing)[0])
        dependents = [c for c in missing if c is not root]
        if root is not None:
            n = len(dependents)
            cause = f"{key} does not exist ({n} dependent check{'s' if n != 1 else ''})"
            if other:
                cause += f"; {len(other)} other failure{'s' if len(other) != 1 else ''}"
        elif len(other) == 1:
            cause = f"{key}: {other[0].get('id')}: {other[0].get('reason')}"
        else:
            cause = f"{key}: {len(other)} failed checks ({', '.join(str(c.get('id')) for c in other[:4])}" \
                    f"{', ...' if len(other) > 4 else ''})"
        ordered = ([root] if root is not None else []) + other + dependents
        out.append({"resource": key, "cause": cause, "missing": root is not None, "failed": len(ordered),
                    "dependent_checks": len(dependents),
                    "root": _brief(root) if root is not None else None,
                    "failures": [_brief(c) for c in other],
                    "dependents": [{"id": c.get("id"), "resource": c.get("resource")} for c in dependents]})
    return out


def _brief(c: Mapping[str, Any]) -> dict[str, Any]:
    return {k: c.get(k) for k in ("id", "resource", "criterion", "expected", "actual", "reason")}


def general_reason(reason: str, resource: str) -> str:
    """A reason with its own resource taken out ("…"), so one cause on many resources reads as one line:
    ``describe_table(tenants-prod)@af-south-1 answered no Replicas`` -> ``describe_table(…)@af-south-1 ...``."""
    text = reason
    parts = {resource, *re.split(r"\s*\+\s*|/", resource)} - {""}
    for part in sorted(parts, key=len, reverse=True):
        text = text.replace(part, "…")
    return re.sub(r"\([^()]*\)@", "(…)@", text)


def gap_groups(checks: Sequence[Mapping[str, Any]], target: str) -> list[dict[str, Any]]:
    """UNVERIFIABLE and NOT APPLICABLE checks grouped by status and reason (resource taken out), per target:
    one row per cause, not one per table."""
    grouped: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for c in checks:
        if c.get("status") in (UNVERIFIABLE, NOT_APPLICABLE):
            key = (str(c["status"]), general_reason(str(c.get("reason") or ""), str(c.get("resource") or "")))
            grouped.setdefault(key, []).append(c)
    return [{"status": status, "reason": reason, "target": target,
             "checks": sorted({str(c.get("id")) for c in cs}), "resources": [str(c.get("resource")) for c in cs],
             "count": len(cs)}
            for (status, reason), cs in grouped.items()]


def promotion(data: Mapping[str, Any]) -> dict[str, Any]:
    """The approver's headline of one run (ADR 0071): promotable only when the run is on the live target
    (aws), READY, and traceable to a clean commit. An emulator or plan run is a pre-check: it can say
    "no", never "yes"."""
    env = str(data.get("environment") or "?").upper()
    kind = target_kind(data)
    verdict = data.get("verdict")
    commit = _provenance(data).get("git_commit")
    summary = data.get("summary") or {}
    base = {"environment": data.get("environment"), "target_kind": kind, "evidence": evidence(kind),
            "commit": commit, "promotable": False}
    if kind != LIVE_TARGET:
        because = (f"this run is a pre-check on {data.get('target')} ({target_what(kind)}): only a READY run on the "
                   f"live target ({LIVE_TARGET}) can make {env} promotable")
        if verdict == BLOCKED:
            because += f"; and this pre-check is already BLOCKED ({summary.get('fail', 0)} failed checks)"
        return {**base, "because": because}
    if verdict == ERROR:
        return {**base, "because": f"the live run could not use its target: {data.get('error')}"}
    if verdict == BLOCKED:
        causes = root_causes(data.get("checks") or [])
        first = causes[0]["cause"] if causes else "a drill failed"
        more = f" and {len(causes) - 1} more" if len(causes) > 1 else ""
        return {**base, "because": f"the live run is BLOCKED by {len(causes) or 1} root cause"
                                   f"{'s' if len(causes) > 1 else ''}: {first}{more}"}
    if verdict != READY:
        return {**base, "because": f"the live run is {verdict}: {summary.get('unverifiable', 0)} checks could not "
                                   "be verified (never counted as a pass)"}
    if not commit:
        return {**base, "because": "the live run is READY but names no commit: it cannot be traced to the code "
                                   "being promoted"}
    if str(commit).endswith("+dirty"):
        return {**base, "because": f"the live run is READY but was made from uncommitted changes on {commit}"}
    return {**base, "promotable": True,
            "because": f"the live run on {LIVE_TARGET} is READY for commit {str(commit)[:12]} "
                       f"({summary.get('pass', 0)} pass, 0 fail, 0 unverifiable)"}


def headline(data: Mapping[str, Any]) -> str:
    """``SIT promotable: no, because ...`` for one run."""
    p = promotion(data)
    return f"{str(data.get('environment') or '?').upper()} promotable: {'yes' if p['promotable'] else 'no'}, " \
           f"because {p['because']}"


def approval(data: Mapping[str, Any]) -> dict[str, Any]:
    """The ``approval`` block of readiness.json: the headline, root causes and grouped gaps (additive)."""
    checks = data.get("checks") or []
    return {**promotion(data), "headline": headline(data), "root_causes": root_causes(checks),
            "gaps": gap_groups(checks, str(data.get("target") or ""))}




def cell(text: str, limit: int = 240) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."
