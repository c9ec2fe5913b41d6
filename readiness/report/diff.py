"""What changed between two readiness reports: the drift watch between promotions.

``python -m readiness diff OLD NEW`` (:func:`run_diff`) compares two ``readiness.json`` files of one
environment, check by check (a check is its id and resource): checks that started failing, failures
resolved, other status changes, the same status with another value, checks that appeared or disappeared,
and the run's verdict.

Exit codes: 0 the verdict is unchanged and nothing new fails; 1 the verdict changed or a check started
failing (the drift workflow fails on it); 2 an input is not a readiness report (one line on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from readiness import jsonfile
from readiness.checks import FAIL, STATUSES
from readiness.jsonfile import JsonFileError

NO_CHANGE, CHANGED, BAD_INPUT = 0, 1, 2
MAX_REPORT_BYTES = 64 * 1024 * 1024  # a readiness.json is kilobytes; anything this large is not one
MAX_REPORT_DEPTH = 64  # as the site reads a report: a report nests 6 levels, an expected/actual value a few more
MAX_SHOWN_VALUE = 160  # an actual value longer than this is cut in the printed diff


class DiffError(Exception):
    """An input cannot be compared; the message is one line: file, location, what was expected."""


Key = tuple[str, str]  # (check id, resource)


@dataclass(frozen=True)
class Change:
    """One check whose status or value differs between the reports (None: absent from that report)."""

    id: str
    resource: str
    old_status: str | None
    new_status: str | None
    old_actual: Any = None
    new_actual: Any = None
    reason: str = ""  # the new report's reason (the old one's when the check disappeared)

    def line(self) -> str:
        head = f"{self.id} {self.resource}"
        if self.old_status is None:
            return f"{head}: new check, {_upper(self.new_status)}"
        if self.new_status is None:
            return f"{head}: gone (was {_upper(self.old_status)})"
        if self.old_status != self.new_status:
            return f"{head}: {_upper(self.old_status)} -> {_upper(self.new_status)}"
        return f"{head}: {_upper(self.new_status)}, actual {_show(self.old_actual)} -> {_show(self.new_actual)}"


    def detail(self) -> str:
        """The reason of a status change; the values of a value change."""
        if self.old_status == self.new_status:
            return f"{_show(self.old_actual)} -> {_show(self.new_actual)}"
        return self.reason


def _upper(status: str | None) -> str:
    return (status or "absent").upper()


def _show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)
    text = " ".join(text.split())
    return text if len(text) <= MAX_SHOWN_VALUE else text[: MAX_SHOWN_VALUE - 3] + "..."


@dataclass
class Diff:
    """Every difference, grouped the way an operator reads them (most urgent first)."""

    environment: str
    old_verdict: str
    new_verdict: str
    old_generated: str = ""
    new_generated: str = ""
    started_failing: list[Change] = field(default_factory=list)
    resolved: list[Change] = field(default_factory=list)
    status_changed: list[Change] = field(default_factory=list)  # neither side FAIL (e.g. PASS -> UNVERIFIABLE)
    value_changed: list[Change] = field(default_factory=list)
    appeared: list[Change] = field(default_factory=list)  # new checks that do not FAIL
    disappeared: list[Change] = field(default_factory=list)
    unchanged: int = 0

    @property
    def verdict_changed(self) -> bool:
        return self.old_verdict != self.new_verdict

    @property
    def alert(self) -> bool:
        """The drift watch alerts: the verdict changed, or a check started failing."""
        return self.verdict_changed or bool(self.started_failing)

    @property
    def exit_code(self) -> int:
        return CHANGED if self.alert else NO_CHANGE

    def groups(self) -> list[tuple[str, list[Change]]]:
        return [("started failing", self.started_failing), ("resolved", self.resolved),
                ("status changed", self.status_changed), ("value changed", self.value_changed),
                ("new checks", self.appeared), ("checks gone", self.disappeared)]

    def headline(self) -> str:
        verdict = (f"verdict {self.old_verdict} -> {self.new_verdict}" if self.verdict_changed
                   else f"verdict unchanged ({self.new_verdict})")
        counts = ", ".join(f"{len(c)} {name}" for name, c in self.groups() if c) or "no check changed"
        return f"readiness {self.environment.upper()}: {verdict}; {counts}; {self.unchanged} unchanged"

    def lines(self) -> list[str]:
        out = [self.headline()]
        for name, changes in self.groups():
            if changes:
                out.append(f"{name} ({len(changes)}):")
                out += [f"  {c.line()}" + (f" — {c.reason}" if name == "started failing" and c.reason else "")
                        for c in changes]
        return out

    def markdown(self) -> str:
        """For ``$GITHUB_STEP_SUMMARY``: the headline, then a table per group."""
        icon = "🚨" if self.alert else "✅"
        out = [f"## {icon} Drift: {self.environment.upper()}", "",
               f"{self.headline()}  ", f"previous report {self.old_generated or '?'}, "
                                       f"this report {self.new_generated or '?'}", ""]
        for name, changes in self.groups():
            if not changes:
                continue
            out += [f"### {name.capitalize()} ({len(changes)})", "", "| Check | Resource | Was | Now | Detail |",
                    "|---|---|---|---|---|"]
            out += [f"| `{c.id}` | {_cell(c.resource)} | {_upper(c.old_status)} | {_upper(c.new_status)} | "
                    f"{_cell(c.detail())} |" for c in changes]
            out.append("")
        return "\n".join(out) + "\n"


def _cell(text: str) -> str:
    return _show(text).replace("|", "\\|")


# ---------------------------------------------------------------------------- reading


def load_report(path: Path | str) -> dict[str, Any]:
    """A readiness.json as a dict, or DiffError naming the file and what is wrong with it."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if not path.is_file():
            raise DiffError(f"{path}: not a file (give the path of a readiness.json)")
        if size > MAX_REPORT_BYTES:
            raise DiffError(f"{path}: {size:,} bytes is not a readiness report (at most {MAX_REPORT_BYTES:,})")
        document = jsonfile.read(path, max_bytes=MAX_REPORT_BYTES, max_depth=MAX_REPORT_DEPTH)
    except FileNotFoundError:
        raise DiffError(f"{path}: no such file") from None
    except OSError as exc:
        raise DiffError(f"{path}: unreadable: {' '.join(str(exc).split())[:200]}") from None
    except JsonFileError as exc:
        raise DiffError(f"{path}: " + {
            jsonfile.MISSING: "no such file",
            jsonfile.NOT_JSON: f"line {exc.line} column {exc.column}: not valid JSON ({exc.detail})",
            jsonfile.TOO_DEEP: "not valid JSON (nested too deeply)",
            jsonfile.BAD_NUMBER: f"not valid JSON ({exc.detail[:120]})",
            jsonfile.TOO_LARGE: f"is not a readiness report (at most {MAX_REPORT_BYTES:,} bytes)",
        }.get(exc.kind, f"unreadable: {exc.detail[:200]}")) from None
    validate_report(document, str(path))
    return dict(document)


def validate_report(document: Any, name: str = "report") -> None:
    """The shape diff relies on: environment, verdict and checks with id, resource and a known status."""
    if not isinstance(document, Mapping):
        raise DiffError(f"{name}: /: expected a readiness report (a JSON object), got {type(document).__name__}")
    for field_name in ("environment", "verdict"):
        if not isinstance(document.get(field_name), str):
            raise DiffError(f"{name}: /{field_name}: expected a string (is this a readiness.json?)")
    checks = document.get("checks")
    if not isinstance(checks, list):
        raise DiffError(f"{name}: /checks: expected a list of checks (is this a readiness.json?)")
    for i, check in enumerate(checks):
        if not isinstance(check, Mapping):
            raise DiffError(f"{name}: /checks/{i}: expected an object")
        for field_name in ("id", "resource"):
            if not isinstance(check.get(field_name), str):
                raise DiffError(f"{name}: /checks/{i}/{field_name}: expected a string")
        if check.get("status") not in STATUSES:
            raise DiffError(f"{name}: /checks/{i}/status: expected one of {', '.join(STATUSES)}")


def _checks(report: Mapping[str, Any]) -> dict[Key, Mapping[str, Any]]:
    return {(c["id"], c["resource"]): c for c in report["checks"]}


# ---------------------------------------------------------------------------- comparing


def diff_reports(old: Mapping[str, Any], new: Mapping[str, Any]) -> Diff:
    """Every difference between two reports of one environment (DiffError for reports of two)."""
    validate_report(old, "OLD")
    validate_report(new, "NEW")
    if old["environment"] != new["environment"]:
        raise DiffError(f"NEW: /environment: expected {old['environment']} like OLD, got {new['environment']}: "
                        f"compare two reports of one environment")
    before, after = _checks(old), _checks(new)
    out = Diff(environment=new["environment"], old_verdict=old["verdict"], new_verdict=new["verdict"],
               old_generated=str(old.get("generated", "")), new_generated=str(new.get("generated", "")))
    for key in sorted(before.keys() | after.keys()):
        was, now = before.get(key), after.get(key)
        change = Change(key[0], key[1], was["status"] if was else None, now["status"] if now else None,
                        was.get("actual") if was else None, now.get("actual") if now else None,
                        str((now or was or {}).get("reason", "")))
        if was is None:
            (out.started_failing if change.new_status == FAIL else out.appeared).append(change)
        elif now is None:
            out.disappeared.append(change)
        elif change.old_status != change.new_status:
            if change.new_status == FAIL:
                out.started_failing.append(change)
            elif change.old_status == FAIL:
                out.resolved.append(change)
            else:
                out.status_changed.append(change)
        elif _canonical(change.old_actual) != _canonical(change.new_actual):
            out.value_changed.append(change)
        else:
            out.unchanged += 1
    return out


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


# ---------------------------------------------------------------------------- command line


def run_diff(old_path: Path | str, new_path: Path | str, *, markdown: bool = False,
             out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Print what changed from OLD to NEW; the exit code (0 no verdict change and no new failure, 1 the
    verdict changed or a check started failing, 2 an input is not a readiness report)."""
    out, err = out or sys.stdout, err or sys.stderr
    try:
        found = diff_reports(load_report(old_path), load_report(new_path))
    except DiffError as exc:
        err.write(f"readiness diff: {exc}\n")
        return BAD_INPUT
    out.write(found.markdown() if markdown else "\n".join(found.lines()) + "\n")
    return found.exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m readiness diff",
                                     description="What changed between two readiness.json reports of one "
                                                 "environment. Exit 0: verdict unchanged and nothing new fails; "
                                                 "1: the verdict changed or a check started failing; 2: bad input.")
    parser.add_argument("old", help="the earlier readiness.json")
    parser.add_argument("new", help="the later readiness.json")
    parser.add_argument("--markdown", action="store_true", help="Markdown (for $GITHUB_STEP_SUMMARY)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_diff(args.old, args.new, markdown=args.markdown)


if __name__ == "__main__":
    sys.exit(main())
