"""Hostile input: every file a user (or an attacker who can edit a pull request) hands the suite ends in one
line naming the file and where in it, a non-zero exit, no traceback, within 5 s and 300 MB (issue 13.4).

Each case writes one hostile file into a private copy of the contract, the templates or a report directory
and runs the real command (``python -m readiness validate`` / ``docs``) in a subprocess, so the bounds
include everything the command does: the time is the wall clock of the whole process, the memory its peak
resident set (the child's own VmHWM, reported as it exits). Inputs go up to 10 MB.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from contract_copy import REAL_CONTRACTS
from docs_reports import element, write_report

REPO = REAL_CONTRACTS.parent
SECONDS = 5.0
MEGABYTES = 300
MB10 = 10 * 1024 * 1024


@dataclass(frozen=True)
class Outcome:
    code: int
    lines: list[str]
    output: str
    seconds: float
    peak_mb: float


PEAK = """
import atexit, os, runpy, sys

def peak():  # the high-water mark of this process's own address space, made fresh by exec
    with open("/proc/self/status") as status:
        kib = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["HOSTILE_PEAK_FILE"], "w") as out:
        out.write(kib)

atexit.register(peak)
sys.argv[0] = "python -m readiness"
runpy.run_module("readiness", run_name="__main__", alter_sys=True)
"""


def run(args: list[str], cwd: Path) -> Outcome:
    """Run ``python -m readiness ARGS``; the exit code, output, wall time and the child's own peak RSS.

    The peak is the child's VmHWM at exit (ru_maxrss would report the forking pytest process's size)."""
    out_path, err_path, peak_path = cwd / ".stdout", cwd / ".stderr", cwd / ".peak"
    env = {**os.environ, "HOSTILE_PEAK_FILE": str(peak_path)}
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-c", PEAK, *args], cwd=REPO, stdout=out, stderr=err, env=env)
        try:
            code = process.wait(timeout=60)  # a hang fails the time bound below instead of stalling the suite
        except subprocess.TimeoutExpired:
            process.kill()
            code = process.wait()
        seconds = time.monotonic() - started
    output = out_path.read_text(errors="replace") + err_path.read_text(errors="replace")
    peak_kib = int(peak_path.read_text()) if peak_path.exists() else 10**9  # no report: count it as unbounded
    return Outcome(code, [line for line in output.splitlines() if line.strip()], output, seconds, peak_kib / 1024)


# ------------------------------------------------------------------------------------------------ the corpus

Setup = Callable[[Path], tuple[list[str], str, str]]
"""Writes the hostile input under tmp; returns the command's arguments, the file the line must name (as the
command prints it) and a regex for the location that follows it."""
CASES: list[object] = []


def case(kind: str, name: str, setup: Setup, rule: str = "") -> None:
    CASES.append(pytest.param(setup, rule, id=f"{kind}/{name}"))


def contract_copy(tmp: Path) -> Path:
    root = tmp / "contracts"
    shutil.copytree(REAL_CONTRACTS, root)
    shutil.copytree(REPO / "templates", tmp / "templates")
    return root


def in_contract(rel: str, content: str | bytes, location: str = r"/") -> Setup:
    """A setup that replaces one contract file with content (or appends when it begins with '+')."""
    def setup(tmp: Path) -> tuple[list[str], str, str]:
        root = contract_copy(tmp)
        path = root / rel
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content.startswith("+"):
            path.write_text(path.read_text(encoding="utf-8") + content[1:], encoding="utf-8")
        else:
            path.write_text(content, encoding="utf-8")
        return ["validate", str(root)], f"contracts/{rel}", location
    return setup


LAUGHS = "".join(f'{c}: &{c} [{", ".join([f"*{p}"] * 10) if p else ", ".join(["lol"] * 10)}]\n'
                 for p, c in zip(["", *"abcdefgh"], "abcdefghi", strict=True))
LINE_COLUMN = r"line \d+ column \d+"

case("contract", "billion_laughs", in_contract("tables/orders.yaml", "+" + LAUGHS, LINE_COLUMN), "alias-expansion")
case("contract", "alias_to_itself",
    in_contract("tables/orders.yaml", "+loop: &loop [1, *loop]\n", LINE_COLUMN), "alias-expansion")
case("contract", "deeply_nested_flow",   # libyaml's own limit (1000) or ours (32), whichever comes first
    in_contract("tables/orders.yaml", "+deep: " + "[" * 200_000 + "]" * 200_000 + "\n", LINE_COLUMN + "|/"))
case("contract", "nested_past_32",
    in_contract("environments/sit.yaml", "+deep: " + "[" * 40 + "]" * 40 + "\n", LINE_COLUMN), "nesting-depth")
case("contract", "list_as_key", in_contract("tables/orders.yaml", "+? [a, b]\n: c\n", LINE_COLUMN), "yaml-syntax")
case("contract", "mapping_as_key", in_contract("monitoring.yaml", "+? {a: b}\n: c\n", LINE_COLUMN), "yaml-syntax")
case("contract", "integer_key",
    in_contract("environments/dev.yaml", "+extra:\n  1: one\n", r"/extra"), "key-type")
case("contract", "infinite_rpo", in_contract(
    "environments/sit.yaml",
    (REAL_CONTRACTS / "environments/sit.yaml").read_text().replace("rto_minutes: ", "rto_minutes: .inf #"),
    r"/recovery/rto_minutes"), "non-finite-number")
case("contract", "nan_threshold", in_contract(
    "monitoring.yaml", "+nan_here: [1, .NaN]\n", r"/nan_here/1"), "non-finite-number")
case("contract", "nul_in_a_tag", in_contract(
    "environments/dev.yaml", "+extra: \"bbws\\0owner\"\n", r"/extra"), "control-character")
case("contract", "bidi_override", in_contract(
    "tables/orders.yaml", "+extra: \"orders\u202e-sit\"\n", r"/extra"), "control-character")
case("contract", "ten_megabyte_yaml", in_contract("tables/orders.yaml", "+# " + "x" * MB10 + "\n"), "file-size")
case("contract", "binary_yaml", in_contract("tables/orders.yaml", bytes(range(256)) * 1000), "unreadable")
case("contract", "truncated_yaml", in_contract(
    "environments/prod.yaml", (REAL_CONTRACTS / "environments/prod.yaml").read_text()[:400] + '"unclosed',
    LINE_COLUMN), "yaml-syntax")
case("contract", "integer_of_5000_digits", in_contract(
    "environments/dev.yaml", "+extra: " + "9" * 5000 + "\n"), "yaml-syntax")
case("contract", "item_schema_nan", in_contract("items/order.schema.json", '{"minimum": NaN}'), "json-syntax")
case("contract", "item_schema_nested", in_contract(
    "items/order.schema.json", "[" * 100_000 + "]" * 100_000), "nesting-depth")
case("contract", "topic_name_of_300", in_contract(
    "environments/dev.yaml",
    (REAL_CONTRACTS / "environments/dev.yaml").read_text().replace("devops_topic: ", "devops_topic: " + "t" * 300),
    r"/monitoring/devops_topic"), "aws-name")
case("contract", "region_of_nowhere", in_contract(
    "environments/dev.yaml",
    re.sub(r"(?m)^region: .*$", "region: zz-nowhere-7", (REAL_CONTRACTS / "environments/dev.yaml").read_text()),
    r"/region"), "region")
case("contract", "format_spec_memory_bomb", in_contract(
    "buckets/templates.yaml",
    (REAL_CONTRACTS / "buckets/templates.yaml").read_text().replace('bucket: "bbws-access-logs-{env}"',
                                                                     'bucket: "{env:>999999999}"'),
    r"/bucket"), "bucket-naming")


def in_template(key: str, content: str) -> Setup:
    def setup(tmp: Path) -> tuple[list[str], str, str]:
        root = contract_copy(tmp)
        (tmp / "templates" / key).write_text(content, encoding="utf-8")
        return ["validate", str(root)], f"templates/{key}", LINE_COLUMN + "|/"
    return setup


case("template", "ten_megabyte_template", in_template("receipts/receipt.html", "<p>" * (MB10 // 3)), "file-size")
case("template", "end_tags_without_names", in_template("receipts/receipt.html", "</" * 250_000), "html-syntax")
case("template", "processing_instructions", in_template("receipts/order.html", "<?" * 250_000), "html-syntax")
case("template", "divs_nested_100k_deep", in_template("invoices/invoice.html", "<div>" * 100_000), "html-syntax")
case("template", "sections_nested_80k_deep", in_template("invoices/invoice.txt", "{{#a}}" * 80_000), "mustache-syntax")
case("template", "tag_open_then_spaces", in_template("receipts/order.txt", "{{" + " " * 500_000), "mustache-syntax")
case("template", "empty_tags", in_template("receipts/receipt.txt", "{{}}" * 100_000), "mustache-syntax")
case("template", "unclosed_comment", in_template("receipts/order.html", "<!--" + "-" * 500_000), "html-syntax")


def in_report(name: str, content: str | bytes, location: str = "") -> Setup:
    def setup(tmp: Path) -> tuple[list[str], str, str]:
        report = write_report(tmp / "reports" / "moto", elements=[element("a scenario", "passed")])
        path = report / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return ["docs", "--reports", str(report), "--out", str(tmp / "site")], str(path), location
    return setup


GOOD_REPORT = {"environment": "sit", "target": "moto", "verdict": "READY", "summary": {"pass": 1, "fail": 0,
               "unverifiable": 0}, "checks": [{"id": "x", "criterion": "c", "resource": "r", "status": "pass",
                                               "reason": "ok", "expected": 1, "actual": 1}]}


def report_with(**changes: object) -> str:
    return json.dumps({**GOOD_REPORT, **changes})


case("docs", "truncated_report", in_report("readiness.json", report_with()[:-40]))
case("docs", "binary_report", in_report("readiness.json", bytes(range(256)) * 1000))
case("docs", "ten_megabyte_report", in_report(
    "readiness.json", report_with(notes=["x" * 1000] * (MB10 // 1000))))
case("docs", "report_nested_100k", in_report(
    "readiness.json", report_with()[:-1] + ', "deep": ' + "[" * 100_000 + "]" * 100_000 + "}"))
case("docs", "report_nested_500", in_report(
    "readiness.json", report_with(checks=[{**GOOD_REPORT["checks"][0], "expected": json.loads("[" * 500 + "]" * 500)}]),  # type: ignore[index]
    r"/checks/0/expected(/0)*/\.\.\."))
case("docs", "report_nan", in_report("readiness.json", report_with(
    measurements=[{"id": "m", "status": "pass", "figures": [{"name": "p99", "value": float("nan")}]}])))
case("docs", "report_integer_of_5000_digits", in_report(
    "readiness.json", report_with()[:-1] + ', "api_calls": ' + "9" * 5000 + "}"))
case("docs", "cucumber_not_a_list", in_report("cucumber.json", json.dumps({"uri": "x" * 5_000_000}), "/"))
case("docs", "cucumber_nested", in_report("cucumber.json", "[" * 50_000 + "]" * 50_000))


# ------------------------------------------------------------------------------------------------- the test


@pytest.mark.parametrize(("setup", "rule"), CASES)
def test_hostile_input_is_one_line_in_bounded_time_and_memory(tmp_path: Path, setup: Setup, rule: str) -> None:
    args, file, location = setup(tmp_path)
    outcome = run(args, tmp_path)

    assert "Traceback" not in outcome.output and "Error:" not in outcome.output.replace("error:", ""), outcome.output
    assert outcome.code == 2, f"exit {outcome.code}:\n{outcome.output[:2000]}"
    naming = [line for line in outcome.lines if file in line]
    assert len(naming) == 1, f"expected one line naming {file}, got:\n" + "\n".join(outcome.lines[:30])
    line = naming[0]
    after = line.split(file, 1)[1]
    assert re.match(rf"^: ({location})(: |$)" if location else r"^: ", after), f"no location after the file: {line}"
    if rule:
        assert f": {rule}: " in line, line
    assert len(line) < 600, f"the line is {len(line)} characters long"
    others = [x for x in outcome.lines if x != line]
    assert all(re.match(r"^(contract|templates) invalid: \d+ problem", x) for x in others), others
    assert outcome.seconds < SECONDS, f"took {outcome.seconds:.1f} s"
    assert outcome.peak_mb < MEGABYTES, f"peak {outcome.peak_mb:.0f} MB"
    assert not (tmp_path / "site").exists(), "the docs command wrote a site from bad input"


def test_the_corpus_covers_contract_templates_and_docs() -> None:
    kinds = [str(p.id).split("/")[0] for p in CASES]  # type: ignore[attr-defined]
    assert len(CASES) >= 20
    assert {k: kinds.count(k) >= 5 for k in ("contract", "template", "docs")} == {
        "contract": True, "template": True, "docs": True}


def test_a_clean_copy_is_valid_in_the_same_harness(tmp_path: Path) -> None:
    """The harness itself can pass: the same command on an unedited copy exits 0 within the bounds."""
    outcome = run(["validate", str(contract_copy(tmp_path))], tmp_path)
    assert outcome.code == 0, outcome.output
    assert outcome.seconds < SECONDS and outcome.peak_mb < MEGABYTES


def test_a_good_report_builds_a_site_in_the_same_harness(tmp_path: Path) -> None:
    """The docs side of the harness can pass too: a well-formed report directory gives exit 0 and a site."""
    report = write_report(tmp_path / "reports" / "moto", elements=[element("a scenario", "passed")])
    outcome = run(["docs", "--reports", str(report), "--out", str(tmp_path / "site")], tmp_path)
    assert outcome.code == 0, outcome.output
    assert (tmp_path / "site" / "index.html").is_file()
    assert outcome.seconds < SECONDS and outcome.peak_mb < MEGABYTES
