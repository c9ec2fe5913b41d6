"""The features state the contract's numbers (ADR 0069): validate names every feature cell that disagrees with
the contract, whichever side changed, and the steps fail on a disagreement for the run's environment."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gherkin.parser import Parser

from readiness.cli import main
from readiness.contract.loading import load_contract
from readiness.contract.model import Contract
from readiness.feature_values import COLUMNS, ENV_COLUMN, feature_value_problems
from steps.common import agree, pytest_collection_modifyitems
from tests.contract_copy import REAL_CONTRACTS, yaml_doc

REAL_FEATURES = REAL_CONTRACTS.parent / "features"


@pytest.fixture(scope="module")
def contract() -> Contract:
    return load_contract()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A private copy of contracts/, templates/ and features/ side by side, as in the repository."""
    shutil.copytree(REAL_CONTRACTS, tmp_path / "contracts")
    shutil.copytree(REAL_CONTRACTS.parent / "templates", tmp_path / "templates")
    shutil.copytree(REAL_FEATURES, tmp_path / "features")
    return tmp_path


def cells() -> Iterator[tuple[str, str, str, int, int, str]]:
    """(feature file, column, environment, line, column number, text) of every value cell of the features."""
    for path in sorted(REAL_FEATURES.glob("*.feature")):
        doc: Any = Parser().parse(path.read_text(encoding="utf-8"))
        for child in doc["feature"]["children"]:
            for examples in child.get("scenario", {}).get("examples", []):
                names = [c["value"] for c in examples["tableHeader"]["cells"]]
                for row in examples["tableBody"]:
                    env = row["cells"][names.index(ENV_COLUMN)]["value"]
                    for name, cell in zip(names, row["cells"], strict=True):
                        if name != ENV_COLUMN:
                            yield (path.name, name, env, cell["location"]["line"], cell["location"]["column"],
                                   cell["value"])


CELLS = list(cells())


def replace_cell(path: Path, line: int, column: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    text = lines[line - 1]
    assert text[column - 1:column - 1 + len(old)] == old
    lines[line - 1] = text[:column - 1] + new + text[column - 1 + len(old):]
    path.write_text("".join(lines), encoding="utf-8")


def validate(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["validate", str(repo / "contracts")])
    return code, capsys.readouterr().out.splitlines()


def test_the_repository_features_agree_with_the_contract(contract: Contract) -> None:
    assert feature_value_problems(contract) == []


def test_every_declared_column_is_stated_by_a_feature_and_every_environment_has_its_row(contract: Contract) -> None:
    stated = {(name, env) for _, name, env, *_ in CELLS}
    assert {name for name, _ in stated} == set(COLUMNS), "a declared column no feature states, or the reverse"
    assert {(name, env) for name in COLUMNS for env in contract.environments} == stated


@pytest.mark.parametrize(("feature", "name", "env", "line", "column", "text"), CELLS,
                         ids=[f"{c[0]}:{c[3]}:{c[1]}" for c in CELLS])
def test_a_changed_number_in_a_feature_names_its_line(contract: Contract, tmp_path: Path, feature: str, name: str,
                                                      env: str, line: int, column: int, text: str) -> None:
    shutil.copytree(REAL_FEATURES, tmp_path / "features")
    changed = "0" if text == "n/a" else f"{float(text) + 1:g}" if text.replace(".", "", 1).isdigit() else f"not-{text}"
    replace_cell(tmp_path / "features" / feature, line, column, text, changed)
    problems = feature_value_problems(contract, tmp_path / "features")
    assert [(p.file, p.location, p.rule) for p in problems] == [
        (f"features/{feature}", f"line {line} column {column}", "feature-value")]
    assert f"{name} is" in problems[0].message and f"for {env}" in problems[0].message


def test_validate_names_the_feature_line_when_the_feature_changes(repo: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _, _, _, line, column, _ = next(c for c in CELLS if c[1] == "retention days" and c[2] == "sit")
    replace_cell(repo / "features" / "backups.feature", line, column, "14", "15")
    code, out = validate(repo, capsys)
    assert code == 2
    assert out == [f"features/backups.feature: line {line} column {column}: feature-value: retention days is 15 for "
                   "sit; the contract says 14 (environments/sit.yaml /backup/retention_days)"]
    quoted = " ".join((REAL_CONTRACTS.parent / "docs" / "living-documentation.md").read_text(encoding="utf-8").split())
    assert out[0] in quoted, "docs/living-documentation.md quotes this line: keep it as validate prints it"


def test_validate_names_the_feature_lines_when_the_contract_changes(repo: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with yaml_doc(repo / "contracts", "environments/sit.yaml") as sit:
        sit["backup"]["retention_days"] = 21  # still passes the lint (at least 14 days in sit)
        sit["recovery"]["rto_minutes"] = 30
    with yaml_doc(repo / "contracts", "monitoring.yaml") as monitoring:
        monitoring["alarms"][0]["threshold"] = 12  # user-errors, shared by every environment
    code, out = validate(repo, capsys)
    assert code == 2
    lines = {(c[0], c[3], c[4]) for c in CELLS if (c[1], c[2]) in {("retention days", "sit"), ("rto minutes", "sit")}
             or c[1] == "user errors"}
    assert len(lines) == 2 + 2 + 3  # retention: kept and job window; RTO: both restores; user errors: each env
    assert len(out) == len(lines)
    for feature, line, column in lines:
        assert_named_once(out, feature, line, column)
    assert all("the contract says" in o for o in out)
    assert any("retention days is 14 for sit; the contract says 21" in o for o in out)
    assert any("user errors is 10 for prod; the contract says 12 (monitoring.yaml /alarms/user-errors/threshold)"
               in o for o in out)


def assert_named_once(out: list[str], feature: str, line: int, column: int) -> None:
    prefix = f"features/{feature}: line {line} column {column}: feature-value: "
    assert len([o for o in out if o.startswith(prefix)]) == 1, f"{prefix} not named exactly once in {out}"


@pytest.mark.parametrize(("edit", "rules", "message"), [
    (lambda t: t.replace("| environment | retention days |", "| environment | retention weeks |", 1),
     ["feature-column"], "no contract value is declared for column 'retention weeks'"),
    (lambda t: t.replace("| sit         | 14             |", "| uat         | 14             |", 1),
     ["feature-environment"] * 2, "'uat' is not an environment of the contract"),
    (lambda t: t.replace("| sit         | 14             |", "| sit         | two weeks      |", 1),
     ["feature-value"], "retention days is 'two weeks': expected a number"),
    (lambda t: t.replace("      | sit         | 14             |\n", "", 1),
     ["feature-environment"], "have no row for sit"),
], ids=["unknown column", "unknown environment", "not a number", "missing row"])
def test_a_malformed_examples_table_is_named(contract: Contract, tmp_path: Path, edit: Any, rules: list[str],
                                             message: str) -> None:
    shutil.copytree(REAL_FEATURES, tmp_path / "features")
    path = tmp_path / "features" / "backups.feature"
    before = path.read_text(encoding="utf-8")
    path.write_text(edit(before), encoding="utf-8")
    assert path.read_text(encoding="utf-8") != before
    problems = feature_value_problems(contract, tmp_path / "features")
    assert [p.rule for p in problems] == rules and any(message in p.message for p in problems)
    assert all(p.file == "features/backups.feature" and p.location.startswith("line ") for p in problems)


def test_a_contract_without_features_beside_it_is_validated_as_before(tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(REAL_CONTRACTS, tmp_path / "contracts")
    shutil.copytree(REAL_CONTRACTS.parent / "templates", tmp_path / "templates")
    assert main(["validate", str(tmp_path / "contracts")]) == 0
    assert capsys.readouterr().out.startswith("contract valid:")


## the steps: a run judges its own environment's row, and only once its numbers are the contract's


def fake_run(contract: Contract, env: str) -> Any:
    return SimpleNamespace(contract=contract, desired=SimpleNamespace(env=contract.environments[env]))


def test_a_step_fails_when_the_feature_number_is_not_the_contract_s(contract: Contract) -> None:
    run = fake_run(contract, "sit")
    agree(run, "sit", retention_days=14.0, rto_minutes=60.0, lag_p99_seconds=None, replica_regions="none")
    with pytest.raises(pytest.fail.Exception, match=r"retention days is 7 for sit; the contract says 14"):
        agree(run, "sit", retention_days=7.0)
    with pytest.raises(pytest.fail.Exception, match=r"lag p99 seconds is 1 for sit; the contract says n/a"):
        agree(run, "sit", lag_p99_seconds=1.0)
    with pytest.raises(pytest.fail.Exception, match=r"the Examples row for prod ran in a sit run"):
        agree(run, "prod", retention_days=90.0)


def test_rows_for_other_environments_are_deselected_not_skipped() -> None:
    def item(name: str, env: str | None) -> Any:
        callspec = SimpleNamespace(params={"_pytest_bdd_example": {ENV_COLUMN: env, "retention days": "7"}})
        return SimpleNamespace(name=name, callspec=callspec) if env else SimpleNamespace(name=name)

    items = [item("plain", None), item("dev", "dev"), item("sit", "sit"), item("prod", "prod")]
    deselected: list[Any] = []
    config = SimpleNamespace(getoption=lambda name, default=None: "sit",
                             hook=SimpleNamespace(pytest_deselected=lambda items: deselected.extend(items)))
    pytest_collection_modifyitems(config, items)  # type: ignore[arg-type]
    assert [i.name for i in items] == ["plain", "sit"]
    assert [i.name for i in deselected] == ["dev", "prod"]
