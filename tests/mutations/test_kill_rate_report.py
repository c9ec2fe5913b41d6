"""The kill-rate summary itself: a surviving mutant lowers the rate below 100% and is named."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

FAKE_CORPUS = '''
import pytest

@pytest.mark.parametrize("killed", [True, True, False], ids=["one", "two", "three"])
def test_named_mutant_fails_naming_its_resource(killed):
    assert killed, "this mutant survived"

def test_something_else():
    pass

def test_sweep(mutation_tally):  # the per-resource sweep counts the mutants it runs inside one test
    mutation_tally.sweep_total += 4
    mutation_tally.sweep_survivors.append("sit table.billing_mode tenants-sit: PROVISIONED -> pass")
'''


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist"])
def test_a_survivor_is_named_and_the_rate_falls_below_100(tmp_path: Path, workers: list[str]) -> None:
    """Also under pytest-xdist (tox -e unit), where the controller that prints the summary collects nothing."""
    shutil.copyfile(HERE.parent / "kill_rate.py", tmp_path / "conftest.py")
    (tmp_path / "test_fake_corpus.py").write_text(FAKE_CORPUS, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers, str(tmp_path)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    out = done.stdout
    assert done.returncode == 1, out
    assert "named (tests/mutations/test_named_mutants.py): 2/3 killed" in out
    assert "survived: test_fake_corpus.py::test_named_mutant_fails_naming_its_resource[three]" in out
    assert "per-resource (tests/mutations/test_every_resource.py): 3/4 killed" in out
    assert "survived: sit table.billing_mode tenants-sit: PROVISIONED -> pass" in out
    assert "mutation kill rate: 5/7 killed (71.4%)" in out
    assert "test_something_else" not in out.split("mutation kill rate")[1]


def test_the_summary_is_printed_in_the_repository_s_layout_under_xdist(tmp_path: Path) -> None:
    """As ``tox -e unit`` runs it: no path given (testpaths), the mutants in a subfolder, ``-n 2``: the plugin is
    registered by tests/conftest.py, so the controller (which collects nothing) prints the rate."""
    (tmp_path / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n', encoding="utf-8")
    tests = tmp_path / "tests"
    (tests / "mutations").mkdir(parents=True)
    shutil.copyfile(HERE.parent / "kill_rate.py", tests / "kill_rate.py")
    conftest = (HERE.parent / "conftest.py").read_text(encoding="utf-8")
    start = conftest.index("def pytest_configure(")
    hook = conftest[start:].split("\n\n\n")[0]  # the repository's own registration, as it is
    (tests / "conftest.py").write_text(f"import kill_rate\nimport pytest\n\n\n{hook}\n", encoding="utf-8")
    (tests / "mutations" / "test_fake_corpus.py").write_text(FAKE_CORPUS, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-n", "2"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert "mutation kill rate: 5/7 killed (71.4%)" in done.stdout, done.stdout[-3000:]
