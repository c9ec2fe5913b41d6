"""HTML of the living documentation: Jinja2 templates (autoescaped) and inline SVG charts.

Every page is self-contained: the CSS is inline, the charts are inline SVG, there is no script
and nothing is fetched, so the site reads the same from ``file://`` on a machine without network.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from readiness.report.approval import LIVE_TARGET
from readiness.report.site_model import (
    FAILED,
    NOT_APPLICABLE_SCENARIO,
    NOT_RUN,
    PASSED,
    SKIPPED,
    Figure,
    Measurement,
    Run,
    Site,
    num_text,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"

STATUS_LABEL = {PASSED: "passed", FAILED: "failed", SKIPPED: "unverifiable", NOT_RUN: "not run",
                NOT_APPLICABLE_SCENARIO: "not applicable",
                "pass": "pass", "fail": "fail", "unverifiable": "unverifiable", "not_applicable": "not applicable"}


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict) and all(isinstance(v, str | int | float | bool) for v in value.values()):
        return "; ".join(f"{k}: {v}" for k, v in value.items())
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _short(commit: str | None) -> str:
    return "—" if not commit else commit[:12] + ("+dirty" if commit.endswith("+dirty") else "")


def _figure_text(f: Figure) -> str:
    text = f"{num_text(f.value)} {f.unit}".strip() if f.value is not None else "not measured"
    if f.target is not None:
        bound = {"max": "≤ ", "min": "≥ "}.get(f.limit or "", "")
        text += f" (target {bound}{num_text(f.target)} {f.unit})".rstrip()
    return text


def figure_chart(figures: tuple[Figure, ...] | list[Figure], title: str, live: bool = True) -> Markup:
    """A horizontal bar per figure of one unit, a dashed mark at each target; green within it, red not. Off the
    live target (``live`` false) a figure within its target is grey, never green: an emulator's timing is not
    evidence of AWS behaviour."""
    row, label_w, bar_w, text_w = 26, 170, 300, 230
    width, height = label_w + bar_w + text_w, row * len(figures) + 8
    top = max([f.value or 0.0 for f in figures] + [f.target or 0.0 for f in figures]) or 1.0
    scale = bar_w / (top * 1.05)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>']
    for i, f in enumerate(figures):
        y = 4 + i * row
        parts.append(f'<text x="0" y="{y + 17}" class="chart-label">{escape(f.name)}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{bar_w}" height="{row - 8}" class="chart-track"/>')
        if f.value is not None:
            css = {True: "chart-ok" if live else "chart-emulator", False: "chart-bad", None: "chart-plain"}[f.met]
            parts.append(f'<rect x="{label_w}" y="{y + 4}" width="{max(f.value * scale, 1.5):.1f}" '
                         f'height="{row - 8}" class="{css}"/>')
        if f.target is not None:
            x = label_w + f.target * scale
            parts.append(f'<line x1="{x:.1f}" y1="{y + 1}" x2="{x:.1f}" y2="{y + row - 1}" class="chart-target"/>')
        parts.append(f'<text x="{label_w + bar_w + 8}" y="{y + 17}" class="chart-value">'
                     f'{escape(_figure_text(f) + ("" if live else " · emulator"))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


PERCENTILE = re.compile(r"(^|_)p\d{2,3}(_|$)")


def charts(figures: tuple[Figure, ...], live: bool = True) -> list[tuple[str, Markup]]:
    """One chart per unit (RTO and RPO in seconds together, rates apart), in the order the units appear.

    Only what a chart says something about: figures against a target, and percentile series (lag,
    latency); plain counts stay in the table.
    """
    by_unit: dict[str, list[Figure]] = {}
    for f in figures:
        by_unit.setdefault(f.unit, []).append(f)
    return [(unit or "value", figure_chart(fs, f"{', '.join(f.name for f in fs)} ({unit or 'no unit'})", live))
            for unit, fs in by_unit.items()
            if any(f.target is not None for f in fs) or sum(bool(PERCENTILE.search(f.name)) for f in fs) >= 2]


def summary_charts(measurements: list[Measurement], live: bool = True) -> list[tuple[str, Markup]]:
    """Per drill and figure, one bar per resource: e.g. every table's RTO against the target at a glance.

    Only figures with a target, or percentiles, and only where the drill ran on more than one resource.
    """
    series: dict[tuple[str, str, str], list[Figure]] = {}
    for m in measurements:
        for f in m.figures:
            if f.target is not None or PERCENTILE.search(f.name):
                series.setdefault((m.id, f.name, f.unit), []).append(
                    Figure(m.resource or "—", f.value, f.unit, f.target, f.limit))
    return [(f"{drill}: {name} ({unit})" if unit else f"{drill}: {name}",
             figure_chart(figs, f"{drill}: {name} per resource", live))
            for (drill, name, unit), figs in series.items() if len(figs) > 1]


VERDICT_FILL = {"READY": "#2da44e", "INCOMPLETE": "#d4a72c", "BLOCKED": "#cf222e", "ERROR": "#82071e"}


def trend_chart(runs: list[Run]) -> Markup:
    """One column per run, oldest left: its colour the verdict, its height the number of blockers (root causes,
    a thin bar for none), the count above it; each column's title names the run."""
    col, gap, height, top = 26, 6, 60, 14
    most = max([len(r.root_causes) for r in runs] + [1])
    width = len(runs) * (col + gap) + gap
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart trend-chart" role="img" width="{width}" '
             f'height="{height + top + 4}" viewBox="0 0 {width} {height + top + 4}">'
             f'<title>verdicts and blockers, oldest first</title>']
    for i, r in enumerate(runs):
        n = len(r.root_causes)
        h = max(4.0, height * n / most)
        x = gap + i * (col + gap)
        y = top + height - h
        fill = VERDICT_FILL.get(r.verdict, "#57606a")
        label = f"{r.started} {_short(r.commit)}: {r.verdict}, {n} blockers"
        parts.append(f'<g class="trend-run" data-verdict="{escape(r.verdict)}"><title>{escape(label)}</title>'
                     f'<rect x="{x}" y="{y:.1f}" width="{col}" height="{h:.1f}" fill="{fill}"/>'
                     f'<text x="{x + col / 2:.1f}" y="{y - 2:.1f}" text-anchor="middle">{n}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["value"] = _value
    env.filters["figure"] = _figure_text
    env.filters["num"] = num_text
    env.filters["status_label"] = lambda s: STATUS_LABEL.get(s, s)
    env.filters["attr"] = lambda s: Markup(quoteattr(str(s)))
    env.filters["short"] = _short
    env.globals["charts"] = charts
    env.globals["trend_chart"] = trend_chart
    env.globals["LIVE"] = LIVE_TARGET
    env.globals["summary_charts"] = summary_charts
    env.globals.update(PASSED=PASSED, FAILED=FAILED, SKIPPED=SKIPPED, NOT_RUN=NOT_RUN, NA=NOT_APPLICABLE_SCENARIO)
    return env


def render_site(site: Site) -> dict[str, str]:
    """Relative path -> HTML of every page."""
    env = _env()
    pages = {"index.html": env.get_template("index.html").render(site=site, root="", page="index"),
             "measurements.html": env.get_template("measurements.html").render(site=site, root="",
                                                                                page="measurements")}
    for run in site.runs:
        pages[f"runs/{run.slug}.html"] = env.get_template("run.html").render(site=site, run=run, root="../",
                                                                              page="run")
    for feature in site.features:
        pages[f"features/{feature.slug}.html"] = env.get_template("feature.html").render(
            site=site, feature=feature, root="../", page="feature")
    return pages
