"""Living documentation: the features and the latest verdicts of one or more runs as a static site.

``python -m readiness docs --reports DIR... --out site/`` reads

- ``features/*.feature`` (parsed with the Cucumber project's own Gherkin parser),
- each report directory's ``readiness.json`` (checks, verdict and, when the drills ran, ``measurements``),
- each report directory's ``cucumber.json`` (pytest-bdd ``--cucumberjson``: the scenarios that ran),

and writes plain HTML files with inline CSS and inline SVG charts: no server, no script, nothing
fetched, so the site opens from disk. The page model (:func:`build_site`) is separate from the
rendering (:func:`render_site`) so that what a reader is told can be tested without HTML.

A scenario is shown as passed only when the run's cucumber JSON says every step of it passed; a
scenario the run did not report is "not run", a skipped one (UNVERIFIABLE) "unverifiable".
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import jsonschema
from gherkin.errors import CompositeParserException, ParserError
from gherkin.parser import Parser

from readiness.checks import FAIL, NOT_APPLICABLE, PASS, UNVERIFIABLE
from readiness.report import LIVE_TARGET, _atomic, evidence, general_reason, promotion, root_causes, target_kind

FEATURES_DIR = Path(__file__).resolve().parent.parent / "features"
PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"  # the markers: tag -> seed criterion
SITE_MARKER = ".readiness-site"  # an --out directory holding this file may be replaced by a new build
HISTORY_DIR = "history"  # in the site: the runs it keeps, one directory each (readiness.json, cucumber.json)
DEFAULT_KEEP = 10  # runs kept per environment and target (--keep)

PASSED, FAILED, SKIPPED, NOT_RUN = "passed", "failed", "unverifiable", "not run"
NOT_APPLICABLE_SCENARIO = "not applicable"  # skipped because the contract says the criterion does not apply


class DocsError(Exception):
    """Bad input: one line ``file: what was expected``."""


# ============================================================================ input shapes

_CHECK = {
    "type": "object",
    "required": ["id", "criterion", "resource", "status", "reason"],
    "properties": {
        "id": {"type": "string"}, "criterion": {"type": "string"}, "resource": {"type": "string"},
        "status": {"enum": [PASS, FAIL, UNVERIFIABLE, NOT_APPLICABLE]}, "reason": {"type": "string"},
    },
}
_FIGURE = {
    "type": "object",
    "required": ["name", "value"],
    "properties": {
        "name": {"type": "string"}, "value": {"type": ["number", "null"]}, "unit": {"type": "string"},
        "target": {"type": ["number", "null"]}, "limit": {"enum": ["max", "min", None]},
    },
}
_MEASUREMENT = {
    "type": "object",
    "required": ["id", "status", "figures"],
    "properties": {
        "id": {"type": "string"}, "criterion": {"type": "string"}, "resource": {"type": "string"},
        "status": {"enum": [PASS, FAIL, UNVERIFIABLE, NOT_APPLICABLE]}, "reason": {"type": "string"},
        "figures": {"type": "array", "items": _FIGURE},
    },
}
READINESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["environment", "target", "verdict", "summary", "checks"],
    "properties": {
        "environment": {"type": "string"}, "target": {"type": "string"},
        "verdict": {"enum": ["READY", "BLOCKED", "INCOMPLETE", "ERROR"]},
        "summary": {"type": "object", "required": [PASS, FAIL, UNVERIFIABLE],
                    "properties": {k: {"type": "integer"} for k in (PASS, FAIL, UNVERIFIABLE)}},
        "api_calls": {"type": "integer"},
        "checks": {"type": "array", "items": _CHECK},
        "provenance": {"type": "object", "properties": {"started": {"type": ["string", "null"], "maxLength": 64},
                                                        "git_commit": {"type": ["string", "null"],
                                                                       "maxLength": 128}}},
        "measurements": {"type": "array", "items": _MEASUREMENT},
    },
}
CUCUMBER_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["uri", "elements"],
        "properties": {
            "uri": {"type": "string"},
            "elements": {"type": "array", "items": {
                "type": "object",
                "required": ["name", "steps"],
                "properties": {
                    "name": {"type": "string"},
                    "steps": {"type": "array", "items": {
                        "type": "object", "required": ["result"],
                        "properties": {"result": {"type": "object", "required": ["status"],
                                                  "properties": {"status": {"type": "string"}}}},
                    }},
                },
            }},
        },
    },
}


MAX_INPUT_BYTES = 8 * 1024 * 1024  # a full run's cucumber JSON is well under 1 MiB
MAX_DEPTH = 64  # a report nests 6 levels; an expected/actual value a few more
_VALIDATORS = {id(schema): jsonschema.Draft202012Validator(schema) for schema in (READINESS_SCHEMA, CUCUMBER_SCHEMA)}


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def _read_bytes(path: Path, what: str) -> bytes:
    """The file's bytes, never more than MAX_INPUT_BYTES of them in memory."""
    try:
        with path.open("rb") as f:
            data = f.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise DocsError(f"{path}: expected {what} (the file is missing)") from None
    except OSError as exc:
        raise DocsError(f"{path}: expected {what} (cannot read it: {exc.strerror or exc})") from None
    if len(data) > MAX_INPUT_BYTES:
        raise DocsError(f"{path}: expected {what} of at most {MAX_INPUT_BYTES // (1024 * 1024)} MiB (it is larger)")
    return data


def _too_deep(data: Any) -> str | None:
    """The JSON pointer of the first value nested deeper than MAX_DEPTH, or None (iterative: no recursion)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return "/" + "/".join(str(p) for p in path[:8]) + "/..."
        if isinstance(value, dict):
            stack.extend((v, (*path, k)) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
    return None


def _read_json(path: Path, schema: dict[str, Any], what: str) -> Any:
    """A report file as data: one DocsError line naming the file (and where in it) when it is missing, larger
    than MAX_INPUT_BYTES, not UTF-8, not JSON, NaN/Infinity, nested deeper than MAX_DEPTH, or not the shape
    ``schema`` says; in time and memory bounded by the file's size."""
    data = _read_bytes(path, what)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocsError(f"{path}: expected {what} (byte {exc.start} is not UTF-8: a binary file?)") from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise DocsError(f"{path}: expected {what} in JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise DocsError(f"{path}: expected {what} in JSON (nested deeper than {MAX_DEPTH} levels)") from None
    except ValueError as exc:  # NaN/Infinity, an integer of more than 4300 digits
        reason = "an integer of more than 4300 digits" if "digits" in str(exc) else str(exc)
        raise DocsError(f"{path}: expected {what} in JSON ({reason})") from None
    deep = _too_deep(document)
    if deep is not None:
        raise DocsError(f"{path}: {deep}: expected {what}: nested deeper than {MAX_DEPTH} levels")
    validator = _VALIDATORS.get(id(schema)) or jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        location = "/" + "/".join(str(p) for p in error.absolute_path)
        message = " ".join(error.message.split())
        raise DocsError(f"{path}: {location}: expected {what}: {message[:200]}")
    return document


# ============================================================================ the model


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
        """moto, localstack, dynamodb-local, aws, plan or unknown (readiness.report.target_kind)."""
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
        return f"{_slug(name)[:80].rstrip('-')}-{hashlib.sha256(name.encode()).hexdigest()[:10]}"

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
    or a failure of its own (readiness.report.root_causes)."""

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
        return sorted(cells.items(), key=lambda kv: (_env_order(kv[0][0]), kv[0][1]))

    @property
    def measurements(self) -> list[tuple[Run, Measurement]]:
        return [(r, m) for r in self.runs for m in r.measurements]

    def matrix(self) -> tuple[list[str], list[str], dict[tuple[str, str], list[Run]]]:
        """Environments (rows), targets (columns) and the runs in each cell."""
        envs = sorted({r.environment for r in self.runs}, key=_env_order)
        targets = sorted({r.target for r in self.runs})
        cells: dict[tuple[str, str], list[Run]] = {}
        for r in self.runs:
            cells.setdefault((r.environment, r.target), []).append(r)
        return envs, targets, cells


def _env_order(env: str) -> tuple[int, str]:
    order = {"dev": 0, "sit": 1, "prod": 2}
    return order.get(env, 9), env


# ============================================================================ loading


def report_dirs(paths: Sequence[Path]) -> list[Path]:
    """Each path is a report directory (it holds readiness.json) or a directory of them."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            raise DocsError(f"{path}: expected a report directory holding readiness.json, or a directory of them "
                            "(no such directory: run an acceptance run first, e.g. tox -e moto)")
        if (path / "readiness.json").exists():
            found.append(path)
            continue
        children = sorted(d for d in path.iterdir() if d.is_dir() and (d / "readiness.json").exists())
        if not children:
            raise DocsError(f"{path}: expected readiness.json, or report directories holding one "
                            "(none found: run an acceptance run first, e.g. tox -e moto)")
        found += children
    return found


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def load_run(directory: Path, slug: str | None = None) -> Run:
    data = _read_json(directory / "readiness.json", READINESS_SCHEMA, "a readiness report")
    checks = [Check(c["id"], c["criterion"], c["resource"], c["status"], c.get("expected"), c.get("actual"),
                    c["reason"]) for c in data["checks"]]
    measurements = [
        Measurement(m["id"], m.get("criterion", ""), m.get("resource", ""), m["status"], m.get("reason", ""),
                    tuple(Figure(f["name"], f["value"], f.get("unit", ""), f.get("target"), f.get("limit"))
                          for f in m["figures"]))
        for m in data.get("measurements") or []
    ]
    cucumber = directory / "cucumber.json"
    scenarios = _scenario_results(_read_json(cucumber, CUCUMBER_SCHEMA, "pytest-bdd's cucumber JSON")) \
        if cucumber.exists() else None
    sources = {"readiness.json": (directory / "readiness.json").read_text(encoding="utf-8")}
    if cucumber.exists():
        sources["cucumber.json"] = cucumber.read_text(encoding="utf-8")
    started = (data.get("provenance") or {}).get("started") or datetime.fromtimestamp(
        (directory / "readiness.json").stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Run(slug or _slug(directory.name), directory, data["environment"], data["target"], data["verdict"],
               data["summary"], data.get("api_calls"), checks, measurements, scenarios, data, str(started), sources)


def _scenario_results(features: list[dict[str, Any]]) -> dict[tuple[str, str], ScenarioResult]:
    """Per (feature file, scenario): failed if any step failed, unverifiable if any was skipped, passed only
    if every step passed; the examples of an outline fold into one result the same way."""
    rank = {FAILED: 4, SKIPPED: 3, NOT_RUN: 2, NOT_APPLICABLE_SCENARIO: 1, PASSED: 0}
    out: dict[tuple[str, str], ScenarioResult] = {}
    for feature in features:
        file = Path(feature["uri"]).name
        for element in feature["elements"]:
            result = _element_result(element)
            key = (file, element["name"])
            if key not in out or rank[result.status] > rank[out[key].status]:
                out[key] = result
    return out


def _element_result(element: dict[str, Any]) -> ScenarioResult:
    statuses = [s["result"]["status"] for s in element["steps"]]
    for step in element["steps"]:
        if step["result"]["status"] == "failed":
            message = step["result"].get("error_message") or f"step failed: {step.get('name')}"
            return ScenarioResult(FAILED, str(message))
    for step in element["steps"]:
        if step["result"]["status"] == "skipped":
            reason = step["result"].get("error_message")
            if str(reason or "").startswith("NOT APPLICABLE"):  # steps/drills.py: the contract rules it out
                return ScenarioResult(NOT_APPLICABLE_SCENARIO, str(reason))
            return ScenarioResult(SKIPPED, str(reason or "skipped: the target could not show it (see this run's gaps)"))
    if statuses and all(s == "passed" for s in statuses):
        return ScenarioResult(PASSED)
    return ScenarioResult(NOT_RUN, f"no result (steps: {', '.join(sorted(set(statuses))) or 'none'})")


def annotate_skips(path: Path, reasons: Mapping[str, str]) -> None:
    """Give each skipped step of pytest-bdd's cucumber JSON its scenario's skip reason (keyed by test name).

    pytest-bdd writes an ``error_message`` for failed steps only, so an UNVERIFIABLE scenario would
    lose the evidence it was skipped with. The file is rewritten atomically; a missing one is left alone.
    """
    if not reasons or not path.exists():
        return
    features = json.loads(path.read_text(encoding="utf-8"))
    for feature in features:
        for element in feature.get("elements", []):
            reason = reasons.get(element.get("id", ""))
            for step in element.get("steps", []) if reason else []:
                if step.get("result", {}).get("status") == "skipped":
                    step["result"]["error_message"] = reason
    _atomic(path, json.dumps(features))


def load_features(directory: Path) -> list[Feature]:
    files = sorted(directory.glob("*.feature"))
    if not files:
        raise DocsError(f"{directory}: expected the acceptance features (*.feature); none found")
    features: list[Feature] = []
    for path in files:
        try:
            doc = Parser().parse(_read_bytes(path, "Gherkin").decode("utf-8"))
        except UnicodeDecodeError as exc:
            raise DocsError(f"{path}: expected Gherkin (byte {exc.start} is not UTF-8)") from None
        except (CompositeParserException, ParserError) as exc:
            first = str(exc).strip().splitlines()[0]
            raise DocsError(f"{path}: expected Gherkin ({first})") from None
        feature = cast(dict[str, Any], doc.get("feature"))  # read as plain data, not gherkin's TypedDicts
        if not feature:
            raise DocsError(f"{path}: expected a Feature")
        background: list[Step] = []
        scenarios: list[Scenario] = []
        for child in feature["children"]:
            if "background" in child:
                background += [_step(s) for s in child["background"]["steps"]]
            elif "scenario" in child:
                sc = child["scenario"]
                scenarios.append(Scenario(sc["name"], sc["location"]["line"],
                                          [t["name"].lstrip("@") for t in sc["tags"]],
                                          [_step(s) for s in sc["steps"]]))
            elif "rule" in child:  # a Rule groups scenarios: list them under the feature
                for rc in child["rule"]["children"]:
                    if "scenario" in rc:
                        sc = rc["scenario"]
                        scenarios.append(Scenario(sc["name"], sc["location"]["line"],
                                                  [t["name"].lstrip("@") for t in sc["tags"]],
                                                  [_step(s) for s in sc["steps"]]))
        features.append(Feature(_slug(path.stem), path.name, feature["name"],
                                _dedent(feature.get("description") or ""),
                                [t["name"].lstrip("@") for t in feature["tags"]], background, scenarios))
    return features


def _step(step: dict[str, Any]) -> Step:
    return Step(step["keyword"].strip(), step["text"])


def _dedent(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _unique_slugs(dirs: Sequence[Path]) -> list[str]:
    slugs: list[str] = []
    for d in dirs:
        base = _slug(d.name)
        slug, n = base, 2
        while slug in slugs:
            slug, n = f"{base}-{n}", n + 1
        slugs.append(slug)
    return slugs


def marker_texts(pyproject: Path = PYPROJECT) -> dict[str, str]:
    """Each declared pytest marker's text (``tag: 003 SIT Success - ...``): how a scenario's tags trace to the
    seeds' success criteria. Empty when pyproject.toml is missing or unreadable (the pages then show the tags)."""
    try:
        config = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    markers = config.get("tool", {}).get("pytest", {}).get("ini_options", {}).get("markers", [])
    out: dict[str, str] = {}
    for line in markers if isinstance(markers, list) else []:
        name, _, text = str(line).partition(":")
        out[name.strip()] = text.strip()
    return out


_SEED_CRITERION = re.compile(r"^(00\d|D\d+)\b")  # "003 SIT Success - ...", "004 3.3 - ...", "D5 ..."


def _trace(features: Sequence[Feature], markers: Mapping[str, str]) -> None:
    for feature in features:
        for scenario in feature.scenarios:
            known = [(t, markers[t]) for t in scenario.tags if t in markers and t != "acceptance"]
            scenario.criteria = [(t, text) for t, text in known if _SEED_CRITERION.match(text)]
            scenario.needs = [(t, text) for t, text in known if not _SEED_CRITERION.match(text)]


def load_history(site_dir: Path) -> list[Run]:
    """The runs an earlier build of the site kept (``history/*/readiness.json``); none when ``site_dir`` is not
    an earlier site."""
    history = site_dir / HISTORY_DIR
    if not (site_dir / SITE_MARKER).is_file() or not history.is_dir():
        return []
    return [load_run(d, d.name) for d in sorted(history.iterdir())
            if d.is_dir() and (d / "readiness.json").is_file()]


def keep_history(runs: Sequence[Run], keep: int) -> list[Run]:
    """The newest ``keep`` runs per environment and target, oldest first; a run already kept (same
    environment, target, start and commit) is kept once, the first given winning."""
    if keep < 1:
        raise DocsError(f"--keep {keep}: expected a number of runs of at least 1")
    unique: dict[str, Run] = {}
    for r in runs:
        unique.setdefault(r.key, r)
    cells: dict[tuple[str, str], list[Run]] = {}
    for r in sorted(unique.values(), key=lambda r: r.started):
        cells.setdefault(r.cell, []).append(r)
    kept = [r for cell in cells.values() for r in cell[-keep:]]
    return sorted(kept, key=lambda r: (r.started, _env_order(r.environment), r.cell[1]))


def headlines(history: Sequence[Run], commit: str | None = None) -> list[Headline]:
    """Per environment: promotable only when the newest live (aws) run of the commit being promoted is READY on
    a clean commit (readiness.report.promotion). The commit being promoted is ``commit`` when given, else the
    commit of the environment's newest run. Emulator and plan runs are pre-checks: they never make it yes."""
    out: list[Headline] = []
    for env in sorted({r.environment for r in history}, key=_env_order):
        runs = sorted((r for r in history if r.environment == env), key=lambda r: r.started)
        latest_pre: dict[tuple[str, str], Run] = {r.cell: r for r in runs if not r.live}
        prechecks = tuple(sorted(latest_pre.values(), key=lambda r: r.cell[1]))
        promoted = commit or runs[-1].commit
        live = [r for r in runs if r.live]
        if not live:
            newest = runs[-1]
            out.append(Headline(env, False, f"no run on the live target ({LIVE_TARGET}) yet: {len(runs)} "
                                f"pre-check run{'s' if len(runs) != 1 else ''} only (the newest: {newest.target} "
                                f"{newest.verdict} at {newest.started}); an emulator or a plan never makes "
                                f"{env.upper()} promotable", promoted, None, prechecks))
            continue
        at_commit = [r for r in live if promoted is not None and r.commit == promoted]
        if promoted is None:
            out.append(Headline(env, False, "the newest run names no commit, so no live run can be matched to the "
                                "commit being promoted (give --commit)", None, live[-1], prechecks))
            continue
        if not at_commit:
            newest = live[-1]
            out.append(Headline(env, False, f"no live run of commit {_short(promoted)} being promoted (the newest "
                                f"live run, {newest.started}, verified {_short(newest.commit)})", promoted, newest,
                                prechecks))
            continue
        run = at_commit[-1]
        p = run.promotion
        out.append(Headline(env, bool(p["promotable"]), f"{p['because']} (run {run.started})", promoted, run,
                            prechecks))
    return out


def _short(commit: str | None) -> str:
    return "an unknown commit" if not commit else commit[:12] + ("+dirty" if commit.endswith("+dirty") else "")


def build_site(report_paths: Sequence[Path], features_dir: Path = FEATURES_DIR, *, earlier: Sequence[Run] = (),
               keep: int = DEFAULT_KEEP, commit: str | None = None) -> Site:
    """The page model: the headline per environment, runs, features with each scenario's result per run,
    blockers collapsed to their root causes, the gaps grouped by reason, and the history of the kept runs
    (these runs and ``earlier`` ones, the newest ``keep`` per environment and target)."""
    dirs = report_dirs(report_paths)
    runs = [load_run(d, slug) for d, slug in zip(dirs, _unique_slugs(dirs), strict=True)]
    features = load_features(features_dir)
    _trace(features, marker_texts())
    for feature in features:
        for scenario in feature.scenarios:
            scenario.results = [(run, run.result(feature.file, scenario.name)) for run in runs]
    blockers = list(_blockers(runs))
    history = keep_history([*runs, *earlier], keep)
    return Site(runs, features, blockers, list(_gaps(runs)), datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                _root_causes(runs, blockers), history, headlines(history, commit), keep)


def _root_causes(runs: Sequence[Run], blockers: Sequence[Blocker]) -> list[RootCause]:
    out: list[RootCause] = []
    for run in runs:
        mine = [b for b in blockers if b.run is run]
        claimed: set[int] = set()
        for cause in run.root_causes:
            members = {(cause["root"]["id"], cause["root"]["resource"])} if cause["root"] else set()
            members |= {(c["id"], c["resource"]) for c in cause["failures"] + cause["dependents"]}
            picked = [i for i, b in enumerate(mine) if (b.id, b.resource) in members and i not in claimed]
            claimed.update(picked)
            out.append(RootCause(run, cause["resource"], cause["cause"], cause["dependent_checks"],
                                 tuple(mine[i] for i in picked)))
        for i, b in enumerate(mine):  # a failed drill with no check of its own: a blocker of its own
            if i not in claimed:
                out.append(RootCause(run, b.resource, f"{b.resource}: {b.id}: {b.reason}", 0, (b,)))
    return out


def _drilled(run: Run) -> set[tuple[str, str]]:
    """(id, resource) of the run's drill measurements: the engine also reports each one as a check."""
    return {(m.id, m.resource) for m in run.measurements}


def _as_check(run: Run) -> set[tuple[str, str, str]]:
    return {(c.id, c.resource, c.status) for c in run.checks}


def _blockers(runs: Iterable[Run]) -> Iterable[Blocker]:
    for run in runs:
        drilled, checked = _drilled(run), _as_check(run)
        for c in run.checks:
            if c.status == FAIL:
                kind = "drill" if (c.id, c.resource) in drilled else "check"
                yield Blocker(run, kind, c.id, c.resource, c.criterion, c.expected, c.actual, c.reason)
        for m in run.measurements:
            if m.status == FAIL and (m.id, m.resource, m.status) not in checked:  # listed once, as its check
                missed = [f for f in m.figures if f.met is False]
                yield Blocker(run, "drill", m.id, m.resource, m.criterion,
                              {f.name: f"{'≤' if f.limit == 'max' else '≥'} {_num(f.target)} {f.unit}".strip()
                               for f in missed} or None,
                              {f.name: f"{_num(f.value)} {f.unit}".strip() for f in missed} or None, m.reason)


def _gaps(runs: Iterable[Run]) -> Iterable[Gap]:
    """Per run (one target), one gap per (kind, reason with the resource taken out): a reason that names each
    table in turn is one line, not one per table (ADR 0072); a reason on one resource is shown as given."""
    for run in runs:
        drilled, checked = _drilled(run), _as_check(run)
        grouped: dict[tuple[str, str], list[Check]] = {}
        for c in run.checks:
            if c.status == UNVERIFIABLE:
                kind = "drill" if (c.id, c.resource) in drilled else "check"
                grouped.setdefault((kind, general_reason(c.reason, c.resource)), []).append(c)
        for (kind, reason), checks in grouped.items():
            ids = list(dict.fromkeys(c.id for c in checks))
            criteria = list(dict.fromkeys(c.criterion for c in checks))
            yield Gap(run, kind, ", ".join(ids), "; ".join(criteria),
                      checks[0].reason if len(checks) == 1 else reason, tuple(c.resource for c in checks))
        for m in run.measurements:
            if m.status == UNVERIFIABLE and (m.id, m.resource, m.status) not in checked:
                yield Gap(run, "drill", m.id, m.criterion, m.reason or "the drill could not measure it",
                          (m.resource,))
        if not run.checks:  # INCOMPLETE with nothing unverifiable to show for it: say so, never "no gaps"
            yield Gap(run, "run", "—", "", "the run reported no check at all: nothing was verified", ())


def _num(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 or value == int(value) else f"{value:,.3g}"


# ============================================================================ writing


def write_site(pages: dict[str, str], out: Path) -> Path:
    """Write every page into a fresh temporary directory beside ``out``, then swap it in: never half-written.

    An existing ``out`` is replaced only if it is empty or an earlier build (it holds SITE_MARKER).
    """
    out = out.resolve()
    if out.exists():
        if not out.is_dir():
            raise DocsError(f"{out}: expected a directory for the site (it is a file)")
        if any(out.iterdir()) and not (out / SITE_MARKER).exists():
            raise DocsError(f"{out}: expected an empty directory or an earlier site (it holds other files; "
                            "choose another --out)")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.new-"))
    try:
        for rel, text in pages.items():
            path = tmp / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        (tmp / SITE_MARKER).write_text("built by python -m readiness docs\n", encoding="utf-8")
        for p in (tmp, *tmp.rglob("*")):
            p.chmod(0o755 if p.is_dir() else 0o644)  # mkdtemp makes 0700: an uploader may be another user
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
            out.rename(old / "site")
        tmp.rename(out)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def build(report_paths: Sequence[Path], out: Path, features_dir: Path = FEATURES_DIR, *, keep: int = DEFAULT_KEEP,
          commit: str | None = None) -> tuple[Site, Path]:
    """Build the site into ``out``; the runs an earlier build there kept stay in its history (newest ``keep``
    per environment and target)."""
    from readiness.docs_render import render_site

    site = build_site(report_paths, features_dir, earlier=load_history(out.resolve()), keep=keep, commit=commit)
    pages = render_site(site)
    for run in site.history:
        for name, text in run.sources.items():
            pages[f"{HISTORY_DIR}/{run.key}/{name}"] = text
    return site, write_site(pages, out)
