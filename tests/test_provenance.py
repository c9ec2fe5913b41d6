"""Provenance (issue 12 item 5): a report says when, with which suite and contract, as whom, against what and
with which options it was made; nothing about it can fail a run."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from readiness.contract.loading import DEFAULT_ROOT
from readiness.report import provenance as prov
from readiness.run import error_report, readiness_run

KEYS = {"started", "finished", "suite_version", "git_commit", "contract", "contract_sha256", "caller", "endpoint",
        "options"}


def test_the_contract_hash_is_stable_and_sees_every_file(tmp_path: Path) -> None:
    root = tmp_path / "contracts"
    shutil.copytree(DEFAULT_ROOT, root)
    first = prov.contract_hash(root)
    assert first == prov.contract_hash(root) and first.startswith("sha256:") and len(first) == 7 + 64
    (root / "tables" / "orders.yaml").write_text((root / "tables" / "orders.yaml").read_text() + "\n# edited\n")
    edited = prov.contract_hash(root)
    assert edited != first
    (root / "tables" / "orders.yaml").rename(root / "tables" / "orders2.yaml")  # same bytes, another name
    assert prov.contract_hash(root) not in (first, edited)
    (root / ".editor-swap").write_text("ignored")
    assert prov.contract_hash(root) == prov.contract_hash(root)


def test_no_git_is_no_commit_never_a_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_SHA", raising=False)
    assert prov.git_commit(tmp_path) is None  # not a checkout
    monkeypatch.setenv("GITHUB_SHA", "0123abc")
    assert prov.git_commit(tmp_path) == "0123abc"

    def no_git(*_: object, **__: object) -> object:
        raise FileNotFoundError("git")

    monkeypatch.setattr(prov.subprocess, "run", no_git)
    monkeypatch.delenv("GITHUB_SHA")
    assert prov.git_commit() is None


def test_the_commit_is_this_checkout_s() -> None:
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=prov.REPO_ROOT, capture_output=True, text=True,
                          check=False).stdout.strip()
    if not head:
        pytest.skip("not a git checkout")
    assert str(prov.git_commit()).startswith(head)


def test_a_run_records_its_provenance_in_json_and_markdown(tmp_path: Path) -> None:
    with readiness_run("sit", "moto", options={"env": "sit", "target": "moto", "require": "ready"}) as run:
        report = run.report()
    json_path, md_path = report.write(tmp_path)
    data = json.loads(json_path.read_text(encoding="utf-8"))["provenance"]
    assert set(data) == KEYS
    assert data["started"] <= data["finished"] and data["started"].endswith("Z")
    assert data["contract_sha256"] == prov.contract_hash(DEFAULT_ROOT)
    assert data["caller"].startswith("not asked: embedded moto is an emulator")
    assert data["options"] == {"env": "sit", "target": "moto", "require": "ready"}
    md = md_path.read_text(encoding="utf-8")
    assert "## PROVENANCE" in md and f"| contract_sha256 | {data['contract_sha256']} |" in md


def test_an_error_report_carries_what_it_knows(tmp_path: Path) -> None:
    report = error_report("prod", "aws", "no usable AWS credentials", started="2026-12-01T10:00:00Z",
                          options={"env": "prod"})
    data = json.loads(report.write(tmp_path)[0].read_text(encoding="utf-8"))
    assert data["verdict"] == "ERROR" and data["error"] == "no usable AWS credentials"
    assert (data["environment"], data["checks"]) == ("prod", [])
    assert set(data["provenance"]) == KEYS and data["provenance"]["started"] == "2026-12-01T10:00:00Z"
    assert "093646564004" in (tmp_path / "readiness.md").read_text(encoding="utf-8")  # the account it was for
