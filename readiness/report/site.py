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

import shutil
import tempfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from readiness.checks import FAIL, UNVERIFIABLE
from readiness.report.approval import general_reason
from readiness.report.site_input import DocsError
from readiness.report.site_load import (
    headlines,
    keep_history,
    load_features,
    load_history,
    load_run,
    marker_texts,
    report_dirs,
    trace,
    unique_slugs,
)
from readiness.report.site_model import (
    DEFAULT_KEEP,
    FEATURES_DIR,
    HISTORY_DIR,
    SITE_MARKER,
    Blocker,
    Check,
    Gap,
    RootCause,
    Run,
    Site,
    num_text,
)
from readiness.report.site_render import render_site


def build_site(report_paths: Sequence[Path], features_dir: Path = FEATURES_DIR, *, earlier: Sequence[Run] = (),
               keep: int = DEFAULT_KEEP, commit: str | None = None) -> Site:
    """The page model: the headline per environment, runs, features with each scenario's result per run,
    blockers collapsed to their root causes, the gaps grouped by reason, and the history of the kept runs
    (these runs and ``earlier`` ones, the newest ``keep`` per environment and target)."""
    dirs = report_dirs(report_paths)
    runs = [load_run(d, slug) for d, slug in zip(dirs, unique_slugs(dirs), strict=True)]
    features = load_features(features_dir)
    trace(features, marker_texts())
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
                              {f.name: f"{'≤' if f.limit == 'max' else '≥'} {num_text(f.target)} {f.unit}".strip()
                               for f in missed} or None,
                              {f.name: f"{num_text(f.value)} {f.unit}".strip() for f in missed} or None, m.reason)


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
    site = build_site(report_paths, features_dir, earlier=load_history(out.resolve()), keep=keep, commit=commit)
    pages = render_site(site)
    for run in site.history:
        for name, text in run.sources.items():
            pages[f"{HISTORY_DIR}/{run.key}/{name}"] = text
    return site, write_site(pages, out)
