"""The verdict where CI shows it: a short Markdown summary of one run's ``readiness.json`` for a GitHub step summary.

``python -m readiness summary REPORT_DIR >> "$GITHUB_STEP_SUMMARY"`` (the workflows, ADR 0073) prints the quick
status (verdict, the approver's headline of ADR 0071, environment, target, counts, commit and time), then the
blockers collapsed to their root causes (ADR 0072: a missing table is one blocker counting its dependent checks;
each other failure with expected and actual), the error of a run that could not use its target, what the run did
not exercise (``not_run``) and the scenarios deselected by a marker expression. The full report stays in
``readiness.md``; this is what an approver reads on the run's page. Reads only the JSON (as ``readiness diff``
does: bounded, shape checked), so a report of any run renders the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from readiness.report.approval import headline, root_causes
from readiness.report.diff import DiffError
from readiness.report.diff import load_report as load_diff_report

MAX_ROWS = 40  # per section: a step summary is for the first screen; readiness.md has every row
MAX_CELL = 240
ICON = {"READY": "✅", "BLOCKED": "❌", "INCOMPLETE": "⚠️", "ERROR": "🛑"}
MEANING = {"READY": "every check passed",
           "BLOCKED": "at least one check failed: not promotable",
           "INCOMPLETE": "nothing failed, but some checks could not be verified on this target",
           "ERROR": "the run could not use its target: no verdict"}


class SummaryError(Exception):
    """The report directory holds no readable readiness.json (one line: file and what is wrong)."""


def load_report(directory: Path | str) -> dict[str, Any]:
    """The run's readiness.json, read as ``readiness diff`` reads one (bounded in size, shape checked)."""
    path = Path(directory) / "readiness.json"
    if not path.exists():
        raise SummaryError(f"{path}: no readiness report (the run did not write one)")
    try:
        return load_diff_report(path)
    except DiffError as exc:
        raise SummaryError(str(exc)) from None


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    text = " ".join(str(text).split()).replace("|", "\\|")
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'' if n == 1 else 's'}"


def _more(shown: int, total: int) -> list[str]:
    return [f"- … and {total - shown} more (readiness.md has every one)"] if total > shown else []


def deselected(report: Mapping[str, Any]) -> list[str]:
    """The scenarios a marker expression left out: ``deselected`` in the report, or the run's options."""
    found = report.get("deselected")
    if found is None:
        found = ((report.get("provenance") or {}).get("options") or {}).get("deselected")
    return [str(x) for x in found] if isinstance(found, list) else []


def summary_markdown(report: Mapping[str, Any]) -> str:
    verdict = str(report.get("verdict"))
    env = str(report.get("environment", "?")).upper()
    counts = report.get("summary") or {}
    prov = report.get("provenance") or {}
    checks: Sequence[Mapping[str, Any]] = report.get("checks") or []
    lines = [f"## {ICON.get(verdict, '')} {env} on {report.get('target', '?')}: {verdict}".replace("  ", " "), "",
             f"**{MEANING.get(verdict, verdict)}.** {_text(headline(report))}", "",
             "| Quick status | |", "|---|---|",
             f"| Verdict | {verdict} |",
             f"| Checks | {counts.get('pass', 0)} pass, {counts.get('fail', 0)} fail, "
             f"{counts.get('unverifiable', 0)} unverifiable, {counts.get('not_applicable', 0)} not applicable |",
             f"| API calls | {report.get('api_calls', 0)} |",
             f"| Commit | {_text(prov.get('git_commit', 'not recorded'))} |",
             f"| Run | {_text(prov.get('started', '?'))} to {_text(prov.get('finished', '?'))} |", ""]
    if report.get("error"):
        lines += ["### Error", "", _text(report["error"]), ""]
    failed = [c for c in checks if c.get("status") == "fail"]
    causes = root_causes(checks)
    lines += [f"### Blockers ({_count(len(causes), 'root cause')}, {_count(len(failed), 'failed check')})" if failed
              else "### Blockers (0)", ""]
    if not failed:
        lines.append("None.")
    listed = [(cause, ([cause["root"]] if cause["root"] else []) + cause["failures"]) for cause in causes]
    shown = 0
    for cause, own in listed:
        if shown >= MAX_ROWS:
            break
        lines.append(f"- **{_text(cause['cause'])}**")
        for c in own[:MAX_ROWS - shown]:
            lines.append(f"  - `{c.get('id')}` on {_text(c.get('resource'))}: expected {_text(c.get('expected'))}, "
                         f"actual {_text(c.get('actual'))}: {_text(c.get('reason', ''))}")
            shown += 1
    lines += _more(shown, sum(len(own) for _, own in listed))
    unverifiable = [c for c in checks if c.get("status") == "unverifiable"]
    if unverifiable:
        per_check: dict[str, int] = {}
        for c in unverifiable:
            per_check[str(c.get("id"))] = per_check.get(str(c.get("id")), 0) + 1
        lines += ["", f"### Not verified on this target ({len(unverifiable)})", "",
                  ", ".join(f"`{k}` ×{n}" for k, n in sorted(per_check.items()))]
    not_run: Sequence[Mapping[str, Any]] = report.get("not_run") or []
    if not_run:
        grouped: dict[tuple[str, str, str, str], list[str]] = {}  # one row per drill and reason, not per table
        for n in not_run:
            key = (str(n.get("id")), str(n.get("status", "")).upper(), str(n.get("reason", "")),
                   str(n.get("needs") or "-"))
            grouped.setdefault(key, []).append(str(n.get("resource")))
        lines += ["", f"### Not exercised by this run ({len(not_run)})", ""]
        lines += [f"- `{drill}` on {_text(', '.join(resources))}: {status}: {_text(reason)} "
                  f"(would need: {_text(needs)})"
                  for (drill, status, reason, needs), resources in list(grouped.items())[:MAX_ROWS]]
        lines += _more(min(len(grouped), MAX_ROWS), len(grouped))
    left_out = deselected(report)
    if left_out:
        lines += ["", f"### Deselected by the marker expression ({len(left_out)})", ""]
        lines += [f"- `{_text(node)}`" for node in left_out[:MAX_ROWS]]
        lines += _more(min(len(left_out), MAX_ROWS), len(left_out))
    return "\n".join(lines) + "\n"
