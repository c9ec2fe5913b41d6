"""The suite's options are pytest options (DESIGN 4): registered by the ``pytest11`` entry point, so they work
with a space as with ``=``, and both spellings give the same run."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _run(args: list[str]) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300, check=False)
    assert "unrecognized arguments" not in proc.stderr, proc.stderr[-2000:]
    return proc.returncode, proc.stdout + proc.stderr


def _judged(report_dir: Path) -> dict[str, Any]:
    report = json.loads((report_dir / "readiness.json").read_text(encoding="utf-8"))
    return {"verdict": report["verdict"], "summary": report["summary"],
            "checks": sorted((c["id"], c["resource"], c["status"]) for c in report["checks"])}


def test_options_with_a_space_and_with_equals_give_the_same_run(tmp_path: Path) -> None:
    spaced, equals = tmp_path / "spaced", tmp_path / "equals"
    select = ["-m", "acceptance and on_demand"]
    code_spaced, out = _run([*select, "--env", "sit", "--target", "moto", "--report-dir", str(spaced),
                             "--require", "no-fail"])
    assert code_spaced == 0, out[-2000:]
    code_equals, out = _run([*select, "--env=sit", "--target=moto", f"--report-dir={equals}", "--require=no-fail"])
    assert code_equals == 0, out[-2000:]
    assert _judged(spaced) == _judged(equals)


def test_the_options_are_listed_by_pytest_help_from_the_plugin() -> None:
    code, out = _run(["--help"])
    assert code == 0
    for option in ("--env", "--target", "--report-dir", "--plan-json", "--allow", "--require", "--deadline",
                   "--items", "--skip-unavailable"):
        assert option in out, option
    assert "BBWS DynamoDB readiness" in out
