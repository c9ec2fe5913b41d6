"""The site's page model: what a reader is told, separate from the HTML (site_render)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness.checks import FAIL, NOT_APPLICABLE, PASS, UNVERIFIABLE
from readiness.report.approval import LIVE_TARGET, evidence, promotion, root_causes, target_kind

FEATURES_DIR = Path(__file__).resolve().parents[2] / "features"
PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"  # the markers: tag -> seed criterion
SITE_MARKER = ".readiness-site"  # an --out directory holding this file may be replaced by a new build
HISTORY_DIR = "history"  # in the site: the runs it keeps, one directory each (readiness.json, cucumber.json)
DEFAULT_KEEP = 10  # runs kept per environment and target (--keep)

PASSED, FAILED, SKIPPED, NOT_RUN = "passed", "failed", "unverifiable", "not run"
NOT_APPLICABLE_SCENARIO = "not applicable"  # skipped because the contract says the criterion does not apply




@dataclass(frozen=True)
class Figure:
    name: str
    value: float | None
    unit: str = ""
    target: float | None = None
    limit: str | None = None  # "max": value must not exceed target; "min": must reach it

    @property
    def met(self) -> bool | None:
        """Whether the value is within its target; None when unmeasured or without a target."""
        if self.value is None or self.target is None or self.limit not in ("max", "min"):
            return None
        return self.value <= self.target if self.limit == "max" else self.value >= self.target


@dataclass(frozen=True)
class Measurement:
    id: str
    criterion: str
    resource: str
    status: str
    reason: str
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class Check:
    id: str
    criterion: str
    resource: str
    status: str
    expected: Any
    actual: Any
    reason: str


@dataclass(frozen=True)
class ScenarioResult:
    status: str  # PASSED | FAILED | SKIPPED | NOT_RUN | NOT_APPLICABLE_SCENARIO
    message: str = ""


@dataclass
class Run:
    """One report directory."""

    slug: str
    directory: Path
    environment: str
    target: str
    verdict: str
    summary: dict[str, int]
    api_calls: int | None
    checks: list[Check]
    measurements: list[Measurement]
    # (feature file name, scenario name) -> result; None when the run has no cucumber.json
    scenarios: dict[tuple[str, str], ScenarioResult] | None
    data: dict[str, Any] = field(default_factory=dict)  # the readiness.json as read
    started: str = ""  # provenance.started, else the file's time (UTC, ISO 8601 with Z)
    sources: dict[str, str] = field(default_factory=dict)  # file name -> text, to keep the run in the history

    @property
    def label(self) -> str:
        return f"{self.environment.upper()} · {self.target}"

    @property
    def kind(self) -> str:
        """moto, localstack, dynamodb-local, aws, plan or unknown (readiness.report.approval.target_kind)."""
        return target_kind(self.data)

    @property
    def live(self) -> bool:
        return self.kind == LIVE_TARGET

    @property
    def evidence(self) -> str:
        return evidence(self.kind)

    @property
    def commit(self) -> str | None:
        commit = (self.data.get("provenance") or {}).get("git_commit")
        return str(commit) if commit else None

    @property
    def provenance(self) -> dict[str, Any]:
        prov = self.data.get("provenance")
        return prov if isinstance(prov, dict) else {}

    @property
    def promotion(self) -> dict[str, Any]:
        return promotion(self.data)

    @property
    def root_causes(self) -> list[dict[str, Any]]:
        return root_causes(self.data.get("checks") or [])

    @property
    def key(self) -> str:
        """The run's name in the history: environment, target, start time and commit."""
        name = (f"{self.environment}-{self.kind if self.kind != 'unknown' else self.target}-{self.started}-"
                f"{self.commit or 'no-commit'}")
        # bounded (a file name), and unique even when two long names share their first 80 characters
        return f"{slugify(name)[:80].rstrip('-')}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"

    @property
    def cell(self) -> tuple[str, str]:
        """(environment, target) the history keeps N runs of."""
        return self.environment, self.kind if self.kind != "unknown" else self.target

    def rows(self) -> list[Check]:
        """Every check, failures first, then unverifiable, not applicable, pass: each with expected and actual."""
        order = {FAIL: 0, UNVERIFIABLE: 1, NOT_APPLICABLE: 2, PASS: 3}
        return sorted(self.checks, key=lambda c: order.get(c.status, 9))

    def result(self, feature_file: str, scenario: str) -> ScenarioResult:
        if self.scenarios is None:
            return ScenarioResult(NOT_RUN, "this run has no cucumber.json")
        return self.scenarios.get((feature_file, scenario), ScenarioResult(NOT_RUN, "not in this run's results"))


@dataclass(frozen=True)
class Step:
    keyword: str
    text: str


@dataclass
class Scenario:
    name: str
    line: int
    tags: list[str]
    steps: list[Step]
    results: list[tuple[Run, ScenarioResult]] = field(default_factory=list)
    # (tag, its marker's text) for the tags that name a seed criterion ("003 SIT Success - ...")
    criteria: list[tuple[str, str]] = field(default_factory=list)
    # (tag, its marker's text) for the other tags: what the scenario needs from a target
    needs: list[tuple[str, str]] = field(default_factory=list)
    # a Scenario Outline's Examples: (header, rows): the numbers QA read (one row per environment, ADR 0069)
    examples: list[tuple[list[str], list[list[str]]]] = field(default_factory=list)


@dataclass
class Feature:
    slug: str
    file: str
    name: str
    description: str
    tags: list[str]
    background: list[Step]
    scenarios: list[Scenario]

    def counts(self, run: Run) -> dict[str, int]:
        out = dict.fromkeys((PASSED, FAILED, SKIPPED, NOT_RUN, NOT_APPLICABLE_SCENARIO), 0)
        for s in self.scenarios:
            out[run.result(self.file, s.name).status] += 1
        return out


@dataclass(frozen=True)
class Blocker:
    run: Run
    kind: str  # "check" | "drill"
    id: str
    resource: str
    criterion: str
    expected: Any
    actual: Any
    reason: str


@dataclass(frozen=True)
class RootCause:
    """One blocker as an approver counts it: a missing resource with the checks that fail because of it,
    or a failure of its own (readiness.report.approval.root_causes)."""

    run: Run
    resource: str
    cause: str
    dependents: int
    blockers: tuple[Blocker, ...]  # every failed check and drill of this cause, with expected and actual


@dataclass(frozen=True)
class Headline:
    """"SIT promotable: yes/no, because ..." (ADR 0071)."""

    environment: str
    promotable: bool
    because: str
    commit: str | None  # the commit being promoted
    live: Run | None  # the live run the answer rests on
    prechecks: tuple[Run, ...]  # the newest emulator and plan run per target: never evidence for promotion

    @property
    def text(self) -> str:
        return f"{self.environment.upper()} promotable: {'yes' if self.promotable else 'no'}, because {self.because}"


@dataclass(frozen=True)
class Gap:
    """What a run could not verify: one line per (check or drill, reason), with every resource it hit."""

    run: Run
    kind: str
    id: str
    criterion: str
    reason: str
    resources: tuple[str, ...]


@dataclass
class Site:
    runs: list[Run]
    features: list[Feature]
    blockers: list[Blocker]
    gaps: list[Gap]
    generated: str
    root_causes: list[RootCause] = field(default_factory=list)
    history: list[Run] = field(default_factory=list)  # every kept run, oldest first (the runs included)
    headlines: list[Headline] = field(default_factory=list)
    keep: int = DEFAULT_KEEP

    def trends(self) -> list[tuple[tuple[str, str], list[Run]]]:
        """Per (environment, target), the kept runs oldest first."""
        cells: dict[tuple[str, str], list[Run]] = {}
        for r in self.history:
            cells.setdefault(r.cell, []).append(r)
        return sorted(cells.items(), key=lambda kv: (env_order(kv[0][0]), kv[0][1]))

    @property
    def measurements(self) -> list[tuple[Run, Measurement]]:
        return [(r, m) for r in self.runs for m in r.measurements]

    def matrix(self) -> tuple[list[str], list[str], dict[tuple[str, str], list[Run]]]:
        """Environments (rows), targets (columns) and the runs in each cell."""
        envs = sorted({r.environment for r in self.runs}, key=env_order)
        targets = sorted({r.target for r in self.runs})
        cells: dict[tuple[str, str], list[Run]] = {}
        for r in self.runs:
            cells.setdefault((r.environment, r.target), []).append(r)
        return envs, targets, cells


def env_order(env: str) -> tuple[int, str]:
    order = {"dev": 0, "sit": 1, "prod": 2}
    return order.get(env, 9), env


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def num_text(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.3g}"
