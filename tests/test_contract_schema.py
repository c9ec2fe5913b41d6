"""Schema-level contract errors: each is one Problem (file, location, rule), never a traceback.

The cases edit one thing in a tmp copy of contracts/ (broken YAML, a wrong type, an unknown or
missing key, a bad item schema, a misplaced file, ...) and check what parse_contract reports.
The CLI tests run `python -m readiness validate PATH` on such copies and check the exit code and
the `file: location: rule: message` lines.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from contract_copy import REAL_CONTRACTS, json_doc, yaml_doc

from readiness.contract.loading import load_contract, parse_contract
from readiness.contract.model import ContractError, Problem

REPO = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^[^:]+: [^:]+: [a-z-]+: .+")
LINE_COLUMN = re.compile(r"^line \d+ column \d+$")

Mutation = Callable[[Path], None]


# ---------------------------------------------------------------------------- helpers


def insert_line_after(path: Path, prefix: str, line: str) -> int:
    """Insert `line` after the first line starting with `prefix`; return its 1-based line number."""
    lines = path.read_text(encoding="utf-8").splitlines()
    at = next(i for i, text in enumerate(lines) if text.startswith(prefix)) + 1
    lines.insert(at, line)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return at + 1


def listing(problems: list[Problem]) -> str:
    return "\n".join(map(str, problems)) or "(no problems)"


def matching(problems: list[Problem], file: str, location: str | re.Pattern[str], rule: str) -> list[Problem]:
    def at(p: Problem) -> bool:
        return bool(location.match(p.location)) if isinstance(location, re.Pattern) else p.location == location

    return [p for p in problems if p.file == file and p.rule == rule and at(p)]


def validate(path: Path | None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "readiness", "validate"] + ([str(path)] if path is not None else [])
    return subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


# ---------------------------------------------------------------------------- the cases

CASES: list[Any] = []


def case(file: str, location: str | re.Pattern[str], rule: str, message: str = "") -> Callable[[Mutation], Mutation]:
    """Register a one-edit mutation expected to produce `file: location: rule: ...message...`."""

    def register(mutation: Mutation) -> Mutation:
        CASES.append(pytest.param(mutation, f"contracts/{file}" if file else "", location, rule, message,
                                  id=f"{rule}/{mutation.__name__}"))
        return mutation

    return register


# -- YAML and JSON syntax


@case("tables/products.yaml", LINE_COLUMN, "yaml-syntax", "mapping values are not allowed")
def yaml_mapping_inside_scalar(root: Path) -> None:
    """An indented `key: value` under a scalar (a hand edit gone wrong)."""
    insert_line_after(root / "tables/products.yaml", "item_schema:", "  bad: x")


@case("environments/dev.yaml", LINE_COLUMN, "yaml-syntax")
def yaml_tab_indentation(root: Path) -> None:
    """A tab used for indentation, which YAML forbids."""
    insert_line_after(root / "environments/dev.yaml", "capacity:", "\tbilling_mode: PAY_PER_REQUEST")


@case("tables/orders.yaml", LINE_COLUMN, "yaml-syntax")
def yaml_unclosed_flow_list(root: Path) -> None:
    """`tables: [a, b` with the closing bracket lost."""
    path = root / "tables/orders.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("ttl: {enabled: false}", "ttl: {enabled: false"),
                    encoding="utf-8")


@case("items/product.schema.json", LINE_COLUMN, "json-syntax")
def json_truncated_item_schema(root: Path) -> None:
    """An item schema cut off mid-file."""
    path = root / "items/product.schema.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: len(text) // 2], encoding="utf-8")


# -- wrong types


@case("environments/sit.yaml", "/pitr/enabled", "schema", "'yes' is not of type 'boolean'")
def pitr_enabled_is_a_string(root: Path) -> None:
    """pitr.enabled: "yes" (a quoted string, not a boolean)."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["pitr"]["enabled"] = "yes"


@case("tables/products.yaml", "/global_secondary_indexes/0/sparse", "schema", "boolean")
def gsi_sparse_is_a_string(root: Path) -> None:
    """sparse: "true" on an index."""
    with yaml_doc(root, "tables/products.yaml") as t:
        t["global_secondary_indexes"][0]["sparse"] = "true"


@case("environments/prod.yaml", "/backup/retention_days", "schema", "integer")
def retention_is_text(root: Path) -> None:
    """retention_days: "90 days"."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["backup"]["retention_days"] = "90 days"


@case("environments/dev.yaml", "/account", "schema", "does not match")
def account_is_a_number(root: Path) -> None:
    """An unquoted account id loses its leading zero; here a wrong-length account."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["account"] = "53658088681"


@case("environments/prod.yaml", "/replication/regions/0", "schema", "does not match")
def replica_region_typo_inside_one_of(root: Path) -> None:
    """A replica region 'Europe' inside the replication oneOf [null, object]: the report should point
    at the region, not say the whole object 'is not of type null'."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["replication"]["regions"] = ["Europe"]


@case("monitoring.yaml", "/alarms/0/threshold", "schema", "number")
def alarm_threshold_is_text(root: Path) -> None:
    """threshold: "10 errors" in monitoring.yaml."""
    with yaml_doc(root, "monitoring.yaml") as m:
        m["alarms"][0]["threshold"] = "10 errors"


# -- unknown keys (additionalProperties)


@case("tables/products.yaml", "/", "schema", "'colour' was unexpected")
def unknown_top_level_key(root: Path) -> None:
    """A key the table schema does not know."""
    with yaml_doc(root, "tables/products.yaml") as t:
        t["colour"] = "red"


@case("environments/sit.yaml", "/pitr", "schema", "'retention' was unexpected")
def unknown_nested_key(root: Path) -> None:
    """pitr.retention instead of pitr.recovery_period_days (a misspelt key is not silently ignored)."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["pitr"]["retention"] = 35


@case("monitoring.yaml", "/alarms/1", "schema", "'treshold' was unexpected")
def misspelt_alarm_key(root: Path) -> None:
    """An alarm with `treshold` next to its threshold."""
    with yaml_doc(root, "monitoring.yaml") as m:
        m["alarms"][1]["treshold"] = 5


# -- names and required keys


@case("environments/sit.yaml", "/name", "schema", "'qa' is not one of")
def unknown_environment_name(root: Path) -> None:
    """An environment called qa: the contract knows dev, sit and prod only."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["name"] = "qa"


@case("environments/dev.yaml", "/", "schema", "'backup' is a required property")
def missing_required_top_level_key(root: Path) -> None:
    """dev.yaml without its backup section."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        del e["backup"]


@case("environments/prod.yaml", "/backup", "schema", "'schedule' is a required property")
def missing_required_nested_key(root: Path) -> None:
    """A backup plan with no schedule."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        del e["backup"]["schedule"]


@case("tables/users.yaml", "/keys", "schema", "'partition' is a required property")
def table_without_partition_key(root: Path) -> None:
    """A table with a sort key but no partition key."""
    with yaml_doc(root, "tables/users.yaml") as t:
        del t["keys"]["partition"]


# -- empty lists


@case("environments/dev.yaml", "/tables", "schema", "non-empty")
def empty_tables_list(root: Path) -> None:
    """An environment deploying no tables."""
    with yaml_doc(root, "environments/dev.yaml") as e:
        e["tables"] = []


@case("tables/orders.yaml", "/access_patterns", "schema", "non-empty")
def empty_access_patterns(root: Path) -> None:
    """A table with no access pattern at all."""
    with yaml_doc(root, "tables/orders.yaml") as t:
        t["access_patterns"] = []


@case("tables", "/", "missing-file", "no tables")
def no_table_files(root: Path) -> None:
    """contracts/tables/ with no table file in it."""
    for path in (root / "tables").glob("*.yaml"):
        path.unlink()


# -- item schemas


@case("items/product.schema.json", "/properties/price/type", "item-schema")
def item_schema_unknown_type(root: Path) -> None:
    """price typed 'money', which is not a JSON Schema type."""
    with json_doc(root, "items/product.schema.json") as s:
        s["properties"]["price"]["type"] = "money"


@case("items/tenant.schema.json", "/required", "item-schema", "not of type 'array'")
def item_schema_required_not_a_list(root: Path) -> None:
    """required: "PK" instead of ["PK", ...]."""
    with json_doc(root, "items/tenant.schema.json") as s:
        s["required"] = "PK"


@case("items/user.schema.json", "/", "schema", "JSON object")
def item_schema_not_an_object(root: Path) -> None:
    """An item schema that is a JSON list."""
    (root / "items/user.schema.json").write_text("[]", encoding="utf-8")


@case("tables/orders.yaml", "/item_schema", "missing-file", "order.schema.json")
def missing_item_schema_file(root: Path) -> None:
    """orders.yaml names order.schema.json, which was not committed."""
    (root / "items/order.schema.json").unlink()


# -- files in the wrong place


@case("tables/catalogue.yaml", "/name", "file-name", "products.yaml")
def table_name_differs_from_file_name(root: Path) -> None:
    """Table 'products' saved as catalogue.yaml."""
    (root / "tables/products.yaml").rename(root / "tables/catalogue.yaml")


@case("environments/qa.yaml", "/name", "file-name", "sit.yaml")
def environment_name_differs_from_file_name(root: Path) -> None:
    """Environment 'sit' saved as qa.yaml."""
    (root / "environments/sit.yaml").rename(root / "environments/qa.yaml")


@case("tables/products.yml", "/name", "duplicate-table")
def table_defined_twice(root: Path) -> None:
    """products defined in both products.yaml and products.yml."""
    shutil.copy(root / "tables/products.yaml", root / "tables/products.yml")


@case("schema/table.schema.json", "/", "missing-file")
def contract_schema_missing(root: Path) -> None:
    """The contract's own table schema deleted."""
    (root / "schema/table.schema.json").unlink()


@case("monitoring.yaml", "/", "missing-file")
def monitoring_missing(root: Path) -> None:
    """No monitoring.yaml: no alarms or dashboard defined."""
    (root / "monitoring.yaml").unlink()


# ---------------------------------------------------------------------------- parse tests


@pytest.mark.parametrize(("mutation", "file", "location", "rule", "message"), CASES)
def test_schema_problem(contracts: Path, mutation: Mutation, file: str, location: str | re.Pattern[str],
                        rule: str, message: str) -> None:
    mutation(contracts)
    contract, problems = parse_contract(contracts)
    assert contract is None, "a contract with schema errors is unusable"
    hits = matching(problems, file, location, rule)
    assert hits, f"expected {file}: {location}: {rule}: ... ({mutation.__doc__})\ngot:\n{listing(problems)}"
    assert any(message in p.message for p in hits), f"no message mentions {message!r}:\n{listing(hits)}"
    with pytest.raises(ContractError) as err:
        load_contract(contracts)
    assert matching(err.value.problems, file, location, rule)
    assert all(LINE.match(str(p)) for p in err.value.problems), listing(err.value.problems)


def test_yaml_syntax_reports_the_line(contracts: Path) -> None:
    """The yaml-syntax location names the line of the broken edit."""
    line = insert_line_after(contracts / "tables/products.yaml", "item_schema:", "  bad: x")
    _, problems = parse_contract(contracts)
    hits = matching(problems, "contracts/tables/products.yaml", LINE_COLUMN, "yaml-syntax")
    assert [p.location for p in hits] == [f"line {line} column 6"], listing(problems)


def test_missing_contract_directory(tmp_path: Path) -> None:
    contract, problems = parse_contract(tmp_path / "nowhere")
    assert contract is None
    assert [p.rule for p in problems] == ["missing-file"]


def test_unknown_environment_lookup() -> None:
    """Asking the contract for environment qa is a ContractError naming the known ones."""
    contract = load_contract(REAL_CONTRACTS)
    with pytest.raises(ContractError) as err:
        contract.environment("qa")
    [problem] = err.value.problems
    assert (problem.file, problem.location, problem.rule) == ("environments/qa.yaml", "/", "unknown-environment")
    assert "dev, prod, sit" in problem.message


# ---------------------------------------------------------------------------- CLI tests


CLI_CASES = [
    pytest.param(yaml_mapping_inside_scalar, id="yaml-syntax"),
    pytest.param(json_truncated_item_schema, id="json-syntax"),
    pytest.param(pitr_enabled_is_a_string, id="wrong-type"),
    pytest.param(unknown_top_level_key, id="unknown-key"),
    pytest.param(unknown_environment_name, id="unknown-environment"),
    pytest.param(missing_required_top_level_key, id="missing-key"),
    pytest.param(empty_tables_list, id="empty-tables"),
    pytest.param(item_schema_unknown_type, id="item-schema"),
    pytest.param(missing_item_schema_file, id="missing-item-schema"),
    pytest.param(table_name_differs_from_file_name, id="file-name"),
    pytest.param(monitoring_missing, id="missing-monitoring"),
]


def _lint_mistake(root: Path) -> None:
    """A schema-valid contract that fails lint: prod without deletion protection."""
    with yaml_doc(root, "environments/prod.yaml") as e:
        e["deletion_protection"] = False


def _naming_placeholder_typo(root: Path) -> None:
    """naming.table '{tbl}-{env}': a user error that must print a line, not a traceback."""
    with yaml_doc(root, "environments/sit.yaml") as e:
        e["naming"]["table"] = "{tbl}-{env}"


CLI_CASES += [pytest.param(_lint_mistake, id="lint-deletion-protection"),
              pytest.param(_naming_placeholder_typo, id="lint-naming-placeholder")]


@pytest.mark.parametrize("mutation", CLI_CASES)
def test_cli_reports_bad_contract(contracts: Path, mutation: Mutation) -> None:
    """`validate` exits 2 and prints only `file: location: rule: message` lines, never a traceback."""
    mutation(contracts)
    result = validate(contracts)
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    lines = result.stdout.splitlines()
    assert lines, "a bad contract prints at least one problem"
    bad = [line for line in lines if not LINE.match(line)]
    assert not bad, f"lines not in `file: location: rule: message` form: {bad}"


def test_cli_problem_lines_name_the_file(contracts: Path) -> None:
    """The printed line carries the same file, location and rule as the Problem."""
    pitr_enabled_is_a_string(contracts)
    result = validate(contracts)
    assert result.returncode == 2
    assert any(line.startswith("contracts/environments/sit.yaml: /pitr/enabled: schema: ")
               for line in result.stdout.splitlines()), result.stdout


def test_cli_missing_directory(tmp_path: Path) -> None:
    result = validate(tmp_path / "nowhere")
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode == 2
    assert all(LINE.match(line) for line in result.stdout.splitlines()), result.stdout


def test_cli_clean_copy_exits_zero(contracts: Path) -> None:
    result = validate(contracts)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "contract valid: 5 tables" in result.stdout
    assert "Traceback" not in result.stderr


def test_cli_accepts_a_file_inside_the_contract(contracts: Path) -> None:
    """A path to a file validates the directory holding it."""
    result = validate(contracts / "monitoring.yaml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_cli_default_contract_exits_zero() -> None:
    """Without a path, the repository's own contracts/ is validated and is clean."""
    result = validate(None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
