"""The readiness report: readiness.json for machines, readiness.md for people (shaped like 000_*)."""

from __future__ import annotations

import base64
import json
import math
import os
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from readiness.checks import CHECKS, FAIL, NOT_APPLICABLE, PASS, UNVERIFIABLE, Verdict
from readiness.redact import redact
from readiness.report.approval import LIVE_TARGET, approval, cell, target_what
from readiness.report.verdict import BLOCKED, ERROR, INCOMPLETE, READY, run_verdict


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def strict(value: Any) -> Any:
    """``value`` made of JSON's own types only, whatever an account answered: a non-finite number becomes
    its name ("NaN", "Infinity"), a Decimal a number, bytes base64, a time ISO 8601, anything else its str.

    The report quotes answers as evidence; ``json.dumps(default=str)`` would still write NaN and Infinity,
    which strict parsers (jq, JavaScript's JSON.parse, Go) refuse, so one odd value would lose the report.
    """
    if value is None or isinstance(value, (bool, str, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else ("NaN" if math.isnan(value) else
                                                    "Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Decimal):
        if not value.is_finite():
            return "NaN" if value.is_nan() else "Infinity" if value > 0 else "-Infinity"
        return int(value) if value == value.to_integral_value() else strict(float(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(strict(k)) if not isinstance(k, str) else k: strict(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((strict(v) for v in value), key=lambda x: json.dumps(x, sort_keys=True))
    if isinstance(value, (list, tuple)):
        return [strict(v) for v in value]
    return str(value)


def strict_json(value: Any) -> str:
    """Strict JSON text (RFC 8259: no NaN, no Infinity) of ``value``."""
    return json.dumps(strict(value), indent=2, allow_nan=False, ensure_ascii=False)


@dataclass
class Report:
    environment: str
    target: str
    verdicts: list[Verdict]
    api_calls: int
    account: str = ""
    region: str = ""
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    # what the drills measured (readiness/outcome.py Verdict.to_dict); their verdicts are in `verdicts`
    measurements: list[dict[str, Any]] = field(default_factory=list)
    generated: str = field(default_factory=utc_now)
    # the drills this run did not exercise ({"id", "resource", "status", "reason", "needs"}); their
    # UNVERIFIABLE / NOT APPLICABLE verdicts are in `verdicts`, so they count in the run verdict
    not_run: list[dict[str, Any]] = field(default_factory=list)
    # when, with what, by whom and against what (readiness/report/provenance.py)
    provenance: dict[str, Any] = field(default_factory=dict)
    error: str | None = None  # the run could not reach or use its target: verdict ERROR, this is why
    items_cost: dict[str, Any] | None = None  # what the item check read (calls, items, read units; ADR 0061)

    @property
    def verdict(self) -> str:
        return ERROR if self.error is not None else run_verdict(self.verdicts)

    @property
    def summary(self) -> dict[str, int]:
        counts = Counter(v.status for v in self.verdicts)
        return {"pass": counts[PASS], "fail": counts[FAIL], "unverifiable": counts[UNVERIFIABLE],
                "not_applicable": counts[NOT_APPLICABLE]}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "environment": self.environment,
            "target": self.target,
            "verdict": self.verdict,
            "summary": self.summary,
            "api_calls": self.api_calls,
            "checks": [v.to_dict() for v in self.verdicts],
            "criteria": self.criteria(),
            "measurements": self.measurements,
            "not_run": self.not_run,
            "provenance": self.provenance,
            **({"items_cost": self.items_cost} if self.items_cost is not None else {}),
            **({"error": self.error} if self.error is not None else {}),
        }
        # added by issue 17 (ADR 0071, 0072): the approver's headline, the root causes, the gaps by reason
        data["approval"] = approval(strict(data))
        return data

    def criteria(self) -> list[dict[str, Any]]:
        """Per success criterion: its checks, its status, and whether this target could verify it."""
        grouped: dict[str, list[Verdict]] = {}
        for v in self.verdicts:
            grouped.setdefault(v.criterion, []).append(v)
        out: list[dict[str, Any]] = []
        for criterion, verdicts in grouped.items():
            c = Counter(v.status for v in verdicts)
            status = FAIL if c[FAIL] else (UNVERIFIABLE if not c[PASS] else "partly verified") if c[UNVERIFIABLE] \
                else PASS if c[PASS] else NOT_APPLICABLE
            out.append({"criterion": criterion, "checks": sorted({v.id for v in verdicts}), "status": status,
                        "verified": c[PASS] + c[FAIL], "unverifiable": c[UNVERIFIABLE],
                        "verified_on": self.target if c[PASS] + c[FAIL] else None})
        return out

    def console_lines(self) -> list[str]:
        """The error, every failure, then the unverifiable checks one line per check (not per resource)."""
        lines = [f"ERROR {self.error}"] if self.error is not None else []
        lines += [v.line() for v in self.verdicts if v.status == FAIL]
        unknown: dict[str, list[Verdict]] = {}
        for v in self.verdicts:
            if v.status == UNVERIFIABLE:
                unknown.setdefault(v.id, []).append(v)
        for check_id, verdicts in unknown.items():
            if len(verdicts) == 1:
                lines.append(verdicts[0].line())
                continue
            names = ", ".join(v.resource for v in verdicts[:3]) + (" ..." if len(verdicts) > 3 else "")
            lines.append(f"UNVERIFIABLE {check_id} on {len(verdicts)} resources ({names}) — {verdicts[0].reason}")
        return lines

    def verdict_line(self) -> str:
        s = self.summary
        na = f", {s['not_applicable']} not applicable" if s["not_applicable"] else ""
        unrun = sum(n["status"] == UNVERIFIABLE for n in self.not_run)
        not_run = f"; {unrun} drills not run" if unrun else ""
        return (f"readiness {self.environment.upper()} on {self.target}: {self.verdict} "
                f"({s['pass']} pass, {s['fail']} fail, {s['unverifiable']} unverifiable{na}{not_run}; "
                f"{self.api_calls} API calls)")

    def to_markdown(self) -> str:
        """Shaped like the hand-written 000_* summary: headline, quick status, blockers, action items, details."""
        s = self.summary
        data = strict(self.to_json())
        ok = data["approval"]
        icon = {READY: "✅", BLOCKED: "❌", INCOMPLETE: "⚠️", ERROR: "🛑"}[self.verdict]
        failed = [v for v in self.verdicts if v.status == FAIL]
        unknown = [v for v in self.verdicts if v.status == UNVERIFIABLE]
        causes = ok["root_causes"]
        commit = self.provenance.get("git_commit")
        kind = ok["target_kind"]
        lines = [
            f"# {self.environment.upper()} Readiness: DynamoDB Schemas",
            "",
            f"**{self.environment.upper()} promotable**: {'✅ **yes**' if ok['promotable'] else '❌ **no**'}, "
            f"because {cell(ok['because'], 2000)}  ",
            f"**Generated**: {self.generated}  ",
            f"**Environment**: {self.environment.upper()} ({self.account}, {self.region})  ",
            f"**Target**: {self.target} — "
            + ("live: the account itself  " if kind == LIVE_TARGET else
               f"pre-check ({target_what(kind)}): never evidence for promotion  "),
            f"**Commit**: {commit or 'not recorded'}  ",
            f"**Status**: {icon} **{self.verdict}**",
            *([f"**Error**: {cell(self.error, 2000)}  "] if self.error is not None else []),
            "",
            "---",
            "",
            "## QUICK STATUS",
            "",
            "| Category | Status | Details |",
            "|----------|--------|---------|",
            f"| **Overall Readiness** | {icon} {self.verdict} | {s['pass']} pass, {s['fail']} fail, "
            f"{s['unverifiable']} unverifiable, {s['not_applicable']} not applicable |",
        ]
        for area, verdicts in _by_area(self.verdicts).items():
            c = Counter(v.status for v in verdicts)
            mark = "❌" if c[FAIL] else "⚠️" if c[UNVERIFIABLE] else "✅"
            mark = mark if c[PASS] + c[FAIL] + c[UNVERIFIABLE] else "➖"
            lines.append(f"| {area} | {mark} | {c[PASS]} pass, {c[FAIL]} fail, {c[UNVERIFIABLE]} unverifiable"
                         + (f", {c[NOT_APPLICABLE]} not applicable |" if c[NOT_APPLICABLE] else " |"))
        lines += ["", f"API calls: {self.api_calls}; verification took {self.seconds:.2f} s.", "", "---", "",
                  f"## CRITICAL BLOCKERS ({len(failed)})", "",
                  f"{len(failed)} failed checks from {len(causes)} root causes." if failed else ""]
        if not failed:
            lines.append("None: no check failed.")
        for i, cause in enumerate(causes, 1):
            lines += [f"### {i}. {cause['resource']} ({cause['failed']} failed): {cell(cause['cause'], 400)}", ""]
            for c in ([cause["root"]] if cause["root"] else []) + cause["failures"]:
                lines.append(f"- **{c['id']}**: {c['reason']} (expected {_md(c['expected'])}; actual "
                             f"{_md(c['actual'])}) — *{c['criterion']}*")
            if cause["dependents"]:
                lines.append(f"- {len(cause['dependents'])} dependent checks fail because {cause['resource']} "
                             "does not exist:")
                lines += [f"  - **{d['id']}**: {d['resource']}" for d in cause["dependents"]]
            lines.append("")
        lines += ["", "---", "", "## ACTION ITEMS", ""]
        lines += self._action_items(causes, ok)
        lines += ["", "---", "", "# DETAILS", "", f"## NOT VERIFIED ON THIS TARGET ({len(unknown)})", ""]
        gaps = [g for g in ok["gaps"] if g["status"] == UNVERIFIABLE]
        if not unknown:
            lines.append("None: every check could be verified.")
        else:
            lines += [f"{len(unknown)} checks, {len(gaps)} reasons (the resource's own name shown as …).", "",
                      "| Check | Resource | Why |", "|-------|----------|-----|"]
            for g in gaps:
                if g["count"] == 1:
                    [v] = [v for v in unknown if v.resource == g["resources"][0] and v.id in g["checks"]][:1]
                    lines.append(f"| {v.id} | {v.resource} | {cell(v.reason)} |")
                else:
                    lines.append(f"| {', '.join(g['checks'])} | {_resources(g['resources'])} | {cell(g['reason'])} |")
        na = [g for g in ok["gaps"] if g["status"] == NOT_APPLICABLE]
        lines += ["", f"## NOT APPLICABLE ({s['not_applicable']})", ""]
        if not na:
            lines.append("None: every criterion applies to this environment.")
        else:
            lines += ["| Check | Resources | Why |", "|-------|-----------|-----|"]
            lines += [f"| {', '.join(g['checks'])} | {_resources(g['resources'])} | {cell(g['reason'])} |"
                      for g in na]
        lines += ["", "---", "", f"## NOT EXERCISED BY THIS RUN ({len(self.not_run)})", ""]
        if not self.not_run:
            lines.append("None: every drill of the contract ran.")
        else:
            lines += ["| Drill | Resource | Status | Why | What would run it |",
                      "|-------|----------|--------|-----|-------------------|"]
            lines += [f"| {n['id']} | {n['resource']} | {n['status'].upper()} | {cell(n['reason'])} | "
                      f"{cell(n.get('needs') or '—')} |" for n in self.not_run]
        lines += ["", "---", "", "## WHERE EACH CRITERION WAS VERIFIED", "",
                  "| Criterion | Checks | Status | Verified on | Not verifiable here |",
                  "|-----------|--------|--------|-------------|---------------------|"]
        lines += [f"| {cell(c['criterion'])} | {', '.join(c['checks'])} | {c['status'].upper()} | "
                  f"{c['verified_on'] or '— (use a target that can show it)'} | {c['unverifiable']} |"
                  for c in self.criteria()]
        lines += ["", "---", "", f"## DRILL MEASUREMENTS ({len(self.measurements)})", ""]
        if not self.measurements:
            lines.append("No drill ran (scenarios tagged @writes, @restore, @replication or @load; live runs "
                         "need --allow).")
        else:
            if kind != LIVE_TARGET:
                lines += [f"**Timings on {self.target} are not evidence of AWS behaviour**: an emulator restores "
                          "and replicates in-process; only the live target's figures count against the RTO, "
                          "RPO and lag targets.", ""]
            lines += ["| Drill | Resource | Status | Figures | Reason |",
                      "|-------|----------|--------|---------|--------|"]
            lines += [f"| {m['id']} | {m['resource']} | {m['status'].upper()} | {cell(_figures(m['figures']))} | "
                      f"{cell(m['reason'])} |" for m in self.measurements]
            checklists = [m for m in self.measurements if (m.get("details") or {}).get("rehydration_checklist")]
            if checklists:
                lines += ["", "### Re-hydration checklist after a restore", "",
                          "AWS does not restore these with the data; after a real restore, set them again:", ""]
                first = checklists[0]["details"]["rehydration_checklist"]
                lines += [f"- [ ] {item}" for item in first]
        lines += ["", "---", "", "## ACTUAL RESOURCES", "",
                  "Every check with what the contract expects and what the account showed, passes included.", "",
                  "| Check | Resource | Status | Expected | Actual |",
                  "|-------|----------|--------|----------|--------|"]
        lines += [f"| {v.id} | {v.resource} | {v.status.upper()} | {cell(_md(v.expected))} | {cell(_md(v.actual))} |"
                  for v in self.verdicts]
        lines += ["", "---", "", "## DISCREPANCIES", "", "| Resource | Check | Expected | Actual |",
                  "|----------|-------|----------|--------|"]
        lines += [f"| {v.resource} | {v.id} | {cell(_md(v.expected))} | {cell(_md(v.actual))} |" for v in failed]
        if not failed:
            lines.append("| — | — | — | none |")
        if self.notes:
            lines += ["", "## NOTES", "", *[f"- {n}" for n in self.notes]]
        lines += ["", "---", "", "## PROVENANCE", "", "| Field | Value |", "|-------|-------|"]
        lines += [f"| {key} | {cell(_md(value), 2000)} |" for key, value in self.provenance.items()]
        if not self.provenance:
            lines.append("| — | not recorded |")
        approval_line = {BLOCKED: "❌ DENIED - BLOCKERS PRESENT", READY: "✅ no blockers",
                         INCOMPLETE: "⚠️ PENDING - verify the unverified checks on a target that can show them",
                         ERROR: "🛑 NO VERDICT - the run could not use its target (see Error)"}
        lines += ["", "---", "", f"**Deployment Approval**: {approval_line[self.verdict]}"
                  + ("" if ok["promotable"] or self.verdict != READY else " (a pre-check: not a promotion)"), ""]
        return "\n".join(lines)

    def _action_items(self, causes: list[dict[str, Any]], ok: Mapping[str, Any]) -> list[str]:
        """Checklist in 000_*'s priorities: fix the blockers, verify the gaps, run the rest, then promote."""
        out: list[str] = []
        if causes:
            out += ["**Priority 1 - Fix the blockers**:"]
            for c in causes:
                if c["missing"]:
                    out.append(f"- [ ] Create `{c['resource']}` as the contract defines it (clears {c['failed']} "
                               "failed checks)")
                for f in c["failures"][:10]:
                    out.append(f"- [ ] `{f['resource']}`: {f['id']} — expected {cell(_md(f['expected']), 160)}, "
                               f"actual {cell(_md(f['actual']), 160)}")
            out.append("")
        gaps = [g for g in ok["gaps"] if g["status"] == UNVERIFIABLE]
        if gaps:
            out += ["**Priority 2 - Verify what this target could not show** (on a target that can show it):"]
            out += [f"- [ ] {', '.join(g['checks'])} on {g['count']} resource{'s' if g['count'] != 1 else ''}: "
                    f"{cell(g['reason'], 200)}" for g in gaps]
            out.append("")
        needs: dict[str, list[str]] = {}
        for n in self.not_run:
            if n["status"] == UNVERIFIABLE:
                needs.setdefault(str(n.get("needs") or "a run that exercises it"), []).append(n["id"])
        if needs:
            out += ["**Priority 3 - Run the drills this run did not exercise**:"]
            out += [f"- [ ] `{how}`: {', '.join(sorted(set(ids)))}" for how, ids in needs.items()]
            out.append("")
        if not ok["promotable"]:
            out += ["**Priority 4 - Promotion evidence**:"]
            if ok["target_kind"] != LIVE_TARGET:
                out.append(f"- [ ] A READY run on the live target: `python -m readiness verify --env {self.environment}"
                           f" --target {LIVE_TARGET}` (tox -e {self.environment}-live) on the commit being promoted")
            else:
                out.append("- [ ] Re-run on the live target once the items above are done")
        return out or ["None: nothing stands between this run and promotion."]

    def write(self, directory: Path | str) -> tuple[Path, Path]:
        """Write both files atomically (never half-written)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        paths = out / "readiness.json", out / "readiness.md"
        atomic_write(paths[0], redact(strict_json(self.to_json()) + "\n"))
        atomic_write(paths[1], redact(self.to_markdown()))
        return paths


def atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600: a CI uploader running as another user must read it
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _by_resource(verdicts: Sequence[Verdict]) -> dict[str, list[Verdict]]:
    """Failed checks grouped by resource, in the order the resources first fail."""
    grouped: dict[str, list[Verdict]] = {}
    for v in verdicts:
        grouped.setdefault(v.resource, []).append(v)
    return grouped


def _by_area(verdicts: Sequence[Verdict]) -> dict[str, list[Verdict]]:
    areas: dict[str, list[Verdict]] = {}
    names = {"table": "Tables", "gsi": "Indexes", "backup": "Backups", "kms": "Encryption keys",
             "alarm": "Alarms", "topic": "Alert topics", "dashboard": "Dashboard", "cost": "Cost alerts",
             "bucket": "Template buckets", "template": "Email templates", "items": "Items in the tables",
             "plan": "Terraform plan", "drill": "Drills"}
    for v in verdicts:
        areas.setdefault(names.get(v.id.split(".")[0], v.id.split(".")[0]), []).append(v)
    return areas


def _figures(figures: Sequence[dict[str, Any]]) -> str:
    shown = []
    for f in figures:
        value = "—" if f.get("value") is None else f"{f['value']:g}"
        unit = "" if f.get("unit") == "count" else f" {f.get('unit', '')}"
        bound = f" ({'≤' if f.get('limit') == 'max' else '≥'} {f['target']:g})" if "target" in f else ""
        shown.append(f"{f['name']} {value}{unit}{bound}")
    return ", ".join(shown)


def _md(value: Any) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(strict(value), sort_keys=True, allow_nan=False)


def _resources(resources: Sequence[str]) -> str:
    return f"{len(resources)}: " + cell(", ".join(resources[:4]) + (", ..." if len(resources) > 4 else ""))


def check_catalogue() -> list[dict[str, str]]:
    return [{"id": c.id, "criterion": c.criterion, "scope": c.scope} for c in CHECKS.values()]
