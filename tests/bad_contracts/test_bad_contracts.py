"""The bad contract corpus (cases.yaml): every malformed or contradictory contract is one clean error.

For each case, on a private copy of contracts/ with the case's edit:

- ``python -m readiness validate PATH`` exits 2 and prints only ``file: location: rule: message`` lines,
  one of them the case's expected problem, and nothing that looks like a traceback;
- ``python -m readiness verify --env ENV --contract PATH`` exits 2 with the same lines, and nothing else
  runs: no target is opened, no client made, no report written.

Both run in-process through ``readiness.cli.main`` (an exception escaping it fails the test with its
traceback); a sample also runs as a real subprocess.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from contract_copy import REAL_CONTRACTS

import readiness.run as run_module
from readiness import cli

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CASES: list[dict[str, Any]] = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))
LINE = re.compile(r"^(?P<file>[^:]+): (?P<location>[^:]+): (?P<rule>[a-z-]+): (?P<message>.+)$")
EDITS = {"set", "delete", "text", "remove", "copy_to"}


# ------------------------------------------------------------------------------------------ applying


def _key(part: str) -> str | int:
    return int(part) if part.isdigit() else part


def _walk(doc: Any, dotted: str) -> tuple[Any, str | int]:
    *parents, last = [_key(p) for p in dotted.split(".")]
    node = doc
    for p in parents:
        node = node[p]
    return node, last


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


def _dump(path: Path, doc: Any) -> None:
    text = json.dumps(doc, indent=2) if path.suffix == ".json" else yaml.safe_dump(doc, sort_keys=False)
    path.write_text(text, encoding="utf-8")


def apply(root: Path, case: dict[str, Any]) -> None:
    """Apply the case's edit to the contract copy at root."""
    path = root / case["file"]
    if "copy_to" in case:
        shutil.copyfile(path, root / case["copy_to"])
        path = root / case["copy_to"]
    if case.get("remove"):
        path.unlink()
        for other in case.get("also_remove", []):
            (root / other).unlink()
    if "text" in case:
        path.write_bytes(case["text"].encode("utf-8", "surrogateescape"))  # \udcXX: a raw, non-UTF-8 byte
    if "set" in case or "delete" in case:
        doc = _load(path)
        for dotted, value in (case.get("set") or {}).items():
            node, last = _walk(doc, dotted)
            node[last] = value
        for dotted in case.get("delete") or []:
            node, last = _walk(doc, dotted)
            del node[last]
        _dump(path, doc)


def expected_of(case: dict[str, Any]) -> tuple[str, str, str, str | None]:
    e = case["expect"]
    return f"contracts/{e.get('file', case.get('copy_to', case['file']))}", e.get("location", ""), e["rule"], \
        e.get("message")


def location_matches(want: str, got: str) -> bool:
    if want.startswith("/") and want.endswith("/") and len(want) > 2 and want != "/":
        return re.fullmatch(want[1:-1], got) is not None
    return want == got


def problems_in(output: str) -> list[re.Match[str]]:
    lines = output.splitlines()
    assert lines, "a bad contract prints at least one problem"
    parsed = [LINE.match(line) for line in lines]
    bad = [line for line, m in zip(lines, parsed, strict=True) if m is None]
    assert not bad, f"lines not in `file: location: rule: message` form: {bad}"
    return [m for m in parsed if m is not None]


def assert_reports(case: dict[str, Any], output: str) -> None:
    assert "Traceback" not in output and 'File "' not in output, output
    file, location, rule, message = expected_of(case)
    found = problems_in(output)
    hits = [m for m in found if m["file"] == file and m["rule"] == rule and location_matches(location, m["location"])]
    assert hits, f"expected {file}: {location}: {rule}: ... ({case.get('why', case['id'])})\ngot:\n{output}"
    if message:
        assert any(message in m["message"] for m in hits), f"no message mentions {message!r}:\n{output}"


def copy_contract(tmp_path: Path) -> Path:
    """contracts/ and the templates/ beside it (validate checks the templates the contract names)."""
    root = tmp_path / "contracts"
    shutil.copytree(REAL_CONTRACTS, root)
    if (REAL_CONTRACTS.parent / "templates").is_dir():
        shutil.copytree(REAL_CONTRACTS.parent / "templates", tmp_path / "templates")
    return root


@pytest.fixture
def bad_copy(tmp_path: Path) -> Any:
    def make(case: dict[str, Any]) -> Path:
        root = copy_contract(tmp_path)
        apply(root, case)
        return root
    return make


PARAMS = [pytest.param(c, id=c["id"]) for c in CASES]


# --------------------------------------------------------------------------------------------- tests


def test_the_corpus_is_large_and_well_formed() -> None:
    assert len(CASES) >= 30
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "case ids are unique"
    for c in CASES:
        assert set(c) & EDITS, f"{c['id']}: no edit"
        assert set(c) <= EDITS | {"id", "why", "file", "expect", "also_remove"}, f"{c['id']}: unknown keys"
        assert (REAL_CONTRACTS / c["file"]).is_file(), f"{c['id']}: no file {c['file']}"
        assert "rule" in c["expect"]


def test_an_unedited_copy_is_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The corpus's errors come from its edits: the same copy without one validates."""
    root = copy_contract(tmp_path)
    assert cli.main(["validate", str(root)]) == 0
    assert "contract valid" in capsys.readouterr().out


@pytest.mark.parametrize("case", PARAMS)
def test_validate_reports_the_problem_and_exits_2(case: dict[str, Any], bad_copy: Any,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    root = bad_copy(case)
    code = cli.main(["validate", str(root)])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert_reports(case, out)
    assert err.strip() == "" or re.fullmatch(r"contract invalid: \d+ problem\(s\)", err.strip()), err


@pytest.mark.parametrize("case", PARAMS)
def test_verify_stops_before_any_aws_call(case: dict[str, Any], bad_copy: Any, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    root = bad_copy(case)
    opened: list[str] = []

    def never(kind: str, **_: Any) -> Any:
        opened.append(kind)
        raise AssertionError("a target was opened for a bad contract")

    monkeypatch.setattr(run_module, "open_target", never)
    reports = tmp_path / "reports"
    env = case["file"].split("/")[-1].split(".")[0] if case["file"].startswith("environments/") else "sit"
    env = env if env in ("dev", "sit", "prod") else "sit"
    code = cli.main(["verify", "--env", env, "--target", "aws", "--contract", str(root),
                     f"--report-dir={reports}"])
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert opened == []
    assert list(reports.iterdir()) == [], "no report for a run that never started"
    assert_reports(case, err)


@pytest.mark.parametrize("case_id", ["yaml-duplicate-key", "bool-gsi-key-from-the-lld", "empty-table-list"])
def test_as_a_subprocess_no_traceback(case_id: str, bad_copy: Any) -> None:
    case = next(c for c in CASES if c["id"] == case_id)
    root = bad_copy(case)
    done = subprocess.run([sys.executable, "-m", "readiness", "validate", str(root)], cwd=REPO,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr
    assert_reports(case, done.stdout)


def test_a_merge_key_may_be_overridden_without_a_duplicate_key_error(tmp_path: Path) -> None:
    """`<<: *anchor` then one of its keys again is YAML's override, not a duplicate."""
    from readiness.contract.model import Problem
    from readiness.contract.reading import read_yaml

    path = tmp_path / "doc.yaml"
    path.write_text("base: &b {a: 1, c: 2}\nmine:\n  <<: *b\n  c: 3\n", encoding="utf-8")
    problems: list[Problem] = []
    assert read_yaml(tmp_path, path, problems) == {"base": {"a": 1, "c": 2}, "mine": {"a": 1, "c": 3}}
    assert problems == []
