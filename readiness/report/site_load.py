"""Loading runs, features and the kept history into the page model."""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

from gherkin.errors import CompositeParserException, ParserError
from gherkin.parser import Parser

from readiness.report.approval import LIVE_TARGET
from readiness.report.run_report import atomic_write
from readiness.report.site_input import CUCUMBER_SCHEMA, READINESS_SCHEMA, DocsError, read_bytes, read_json
from readiness.report.site_model import (
    FAILED,
    HISTORY_DIR,
    NOT_APPLICABLE_SCENARIO,
    NOT_RUN,
    PASSED,
    PYPROJECT,
    SITE_MARKER,
    SKIPPED,
    Check,
    Feature,
    Figure,
    Headline,
    Measurement,
    Run,
    Scenario,
    ScenarioResult,
    Step,
    env_order,
    slugify,
)

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




def load_run(directory: Path, slug: str | None = None) -> Run:
    data = read_json(directory / "readiness.json", READINESS_SCHEMA, "a readiness report")
    checks = [Check(c["id"], c["criterion"], c["resource"], c["status"], c.get("expected"), c.get("actual"),
                    c["reason"]) for c in data["checks"]]
    measurements = [
        Measurement(m["id"], m.get("criterion", ""), m.get("resource", ""), m["status"], m.get("reason", ""),
                    tuple(Figure(f["name"], f["value"], f.get("unit", ""), f.get("target"), f.get("limit"))
                          for f in m["figures"]))
        for m in data.get("measurements") or []
    ]
    cucumber = directory / "cucumber.json"
    scenarios = _scenario_results(read_json(cucumber, CUCUMBER_SCHEMA, "pytest-bdd's cucumber JSON")) \
        if cucumber.exists() else None
    sources = {"readiness.json": (directory / "readiness.json").read_text(encoding="utf-8")}
    if cucumber.exists():
        sources["cucumber.json"] = cucumber.read_text(encoding="utf-8")
    started = (data.get("provenance") or {}).get("started") or datetime.fromtimestamp(
        (directory / "readiness.json").stat().st_mtime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Run(slug or slugify(directory.name), directory, data["environment"], data["target"], data["verdict"],
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
    atomic_write(path, json.dumps(features))


def load_features(directory: Path) -> list[Feature]:
    files = sorted(directory.glob("*.feature"))
    if not files:
        raise DocsError(f"{directory}: expected the acceptance features (*.feature); none found")
    features: list[Feature] = []
    for path in files:
        try:
            doc = Parser().parse(read_bytes(path, "Gherkin").decode("utf-8"))
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
                scenarios.append(_scenario(child["scenario"]))
            elif "rule" in child:  # a Rule groups scenarios: list them under the feature
                for rc in child["rule"]["children"]:
                    if "scenario" in rc:
                        scenarios.append(_scenario(rc["scenario"]))
        features.append(Feature(slugify(path.stem), path.name, feature["name"],
                                _dedent(feature.get("description") or ""),
                                [t["name"].lstrip("@") for t in feature["tags"]], background, scenarios))
    return features


def _scenario(sc: dict[str, Any]) -> Scenario:
    examples = [([c["value"] for c in ex["tableHeader"]["cells"]],
                 [[c["value"] for c in row["cells"]] for row in ex.get("tableBody") or []])
                for ex in sc.get("examples") or [] if ex.get("tableHeader")]
    return Scenario(sc["name"], sc["location"]["line"], [t["name"].lstrip("@") for t in sc["tags"]],
                    [_step(s) for s in sc["steps"]], examples=examples)


def _step(step: dict[str, Any]) -> Step:
    return Step(step["keyword"].strip(), step["text"])


def _dedent(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def unique_slugs(dirs: Sequence[Path]) -> list[str]:
    slugs: list[str] = []
    for d in dirs:
        base = slugify(d.name)
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


def trace(features: Sequence[Feature], markers: Mapping[str, str]) -> None:
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
    return sorted(kept, key=lambda r: (r.started, env_order(r.environment), r.cell[1]))


def headlines(history: Sequence[Run], commit: str | None = None) -> list[Headline]:
    """Per environment: promotable only when the newest live (aws) run of the commit being promoted is READY on
    a clean commit (readiness.report.approval.promotion). The commit being promoted is ``commit`` when given, else the
    commit of the environment's newest run. Emulator and plan runs are pre-checks: they never make it yes."""
    out: list[Headline] = []
    for env in sorted({r.environment for r in history}, key=env_order):
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
