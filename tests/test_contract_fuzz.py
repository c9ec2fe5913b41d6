"""Fuzz the contract loader and lint: whatever a user writes, the answer is problems, not a traceback.

Hypothesis starts from the real contract documents (tables, environments, monitoring.yaml and the
item schemas), applies a few random edits (delete a key or list item, replace a value with a
random JSON-ish value or with another value taken from the contract, rename a key), writes the
result into a temporary copy of contracts/ and runs parse_contract and lint_contract (load_contract is
just the two together). Each parse costs ~0.2 s, so the example counts stay small.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from contract_copy import REAL_CONTRACTS
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from readiness.contract.lint import RULES, lint_contract
from readiness.contract.loading import parse_contract
from readiness.contract.model import Contract, Problem

RULE = re.compile(r"^[a-z][a-z-]*$")
# Rules the loader itself reports; every other rule id must be a lint rule.
PARSE_RULES = {"unreadable", "yaml-syntax", "json-syntax", "schema", "item-schema", "missing-file",
               "file-name", "duplicate-table", "unknown-environment", "file-size", "alias-expansion",
               "nesting-depth", "key-type", "non-finite-number", "control-character"}


def _load(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)


BASE: dict[str, Any] = {
    str(p.relative_to(REAL_CONTRACTS)): _load(p)
    for pattern in ("tables/*.yaml", "environments/*.yaml", "monitoring.yaml", "items/*.json")
    for p in sorted(REAL_CONTRACTS.glob(pattern))
}


def _walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _walk(v, (*path, i))


# Values that already occur in the contract: swapping them in often keeps a document schema-valid,
# so the lint rules (not only the schema) see odd but well-typed contracts.
KNOWN_SCALARS = sorted({repr(v): v for doc in BASE.values() for _, v in _walk(doc)
                        if v is None or isinstance(v, (bool, int, float, str))}.values(), key=repr)
KNOWN_KEYS = sorted({k for doc in BASE.values() for path, _ in _walk(doc) for k in path[-1:] if isinstance(k, str)})
TRICKY = ["", "{", "}", "{table}", "{env}", "{tbl}-{env}", "{0}", "{table}-{env}", "BOOL", "S", "N", "B",
          "PAY_PER_REQUEST", "PROVISIONED", "NEW_AND_OLD_IMAGES", "prod", "dev", "sit", "qa", "table",
          "ACTIVE", "~", "null", "yes", "a:b", "../x", "x" * 300]

scalars = (st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats()
           | st.text(max_size=20) | st.sampled_from(TRICKY))
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
new_values = st.sampled_from(KNOWN_SCALARS) | json_values
new_keys = st.sampled_from(KNOWN_KEYS) | st.text(max_size=12)


def _mutate(doc: Any, data: st.DataObject) -> Any:
    """One random edit somewhere in doc; returns the (possibly replaced) document."""
    paths = [p for p, _ in _walk(doc)]
    path = data.draw(st.sampled_from(paths), label="path")
    if not path:
        return data.draw(json_values, label="whole document")
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    ops = ["delete", "replace", "replace"] + (["rename"] if isinstance(parent, dict) else [])
    op = data.draw(st.sampled_from(ops), label="op")
    if op == "delete":
        del parent[last]
    elif op == "replace":
        parent[last] = data.draw(new_values, label="value")
    else:
        key = data.draw(new_keys, label="new key")
        parent[key] = parent.pop(last)
    return doc


def _write(root: Path, rel: str, doc: Any) -> None:
    path = root / rel
    if path.suffix == ".json":
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


def _assert_renders(problem: Problem) -> None:
    """Each Problem is four non-empty strings printed on one line as `file: location: rule: message`."""
    fields = (problem.file, problem.location, problem.rule, problem.message)
    assert all(isinstance(f, str) and f for f in fields), problem
    assert RULE.match(problem.rule), problem
    assert problem.rule in RULES or problem.rule in PARSE_RULES, f"unregistered rule id: {problem}"
    line = str(problem)
    assert line == f"{problem.file}: {problem.location}: {problem.rule}: {problem.message}"
    assert "\n" not in line and "\r" not in line, f"a problem must print on one line: {line!r}"


FUZZ = settings(max_examples=60, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
@FUZZ
@given(data=st.data())
def test_mutated_contract_gives_problems_not_tracebacks(data: st.DataObject) -> None:
    """1-4 random edits across the contract files: parse, lint and load answer with Problems only."""
    docs = {rel: copy.deepcopy(doc) for rel, doc in BASE.items()}
    edits = data.draw(st.integers(1, 4), label="edits")
    for _ in range(edits):
        rel = data.draw(st.sampled_from(sorted(docs)), label="file")
        docs[rel] = _mutate(docs[rel], data)

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "contracts"
        shutil.copytree(REAL_CONTRACTS, root)
        for rel, doc in docs.items():
            if doc != BASE[rel]:
                _write(root, rel, doc)

        contract, problems = parse_contract(root)
        assert contract is None or isinstance(contract, Contract)
        assert contract is not None or problems, "an unusable contract must say why"
        for problem in problems:
            _assert_renders(problem)
        if contract is not None:
            for problem in lint_contract(contract):
                _assert_renders(problem)


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
@FUZZ
@given(data=st.data())
def test_well_typed_edits_reach_the_lint(data: st.DataObject) -> None:
    """Edits that only swap in values already used by the contract mostly stay schema-valid, so this
    drives the lint rules themselves with odd but well-typed contracts."""
    docs = {rel: copy.deepcopy(doc) for rel, doc in BASE.items() if not rel.endswith(".json")}
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        rel = data.draw(st.sampled_from(sorted(docs)), label="file")
        doc = docs[rel]
        leaves = [p for p, v in _walk(doc) if p and not isinstance(v, (dict, list))]
        path = data.draw(st.sampled_from(leaves), label="path")
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        same_type = [v for v in KNOWN_SCALARS if type(v) is type(parent[path[-1]])] or KNOWN_SCALARS
        parent[path[-1]] = data.draw(st.sampled_from(same_type) | st.sampled_from(TRICKY), label="value")

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "contracts"
        shutil.copytree(REAL_CONTRACTS, root)
        for rel, doc in docs.items():
            _write(root, rel, doc)
        contract, problems = parse_contract(root)
        for problem in problems:
            _assert_renders(problem)
        if contract is not None:
            for problem in lint_contract(contract):
                _assert_renders(problem)


# ---------------------------------------------------------------------------------------------------------
# Everything `validate` accepts deploys, verifies and renders (issue 13.4). The strategy edits only what the
# schema and lint leave free (names within AWS's rules, numbers within their bounds, text, accounts, regions)
# so nearly every example is a valid contract; each is then deployed into embedded moto, verified, and
# rendered as Terraform input. Each example costs a few seconds, so there are few of them.

NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cf", "Zl", "Zp")), min_size=1,
               max_size=60).filter(str.strip)
TAG_VALUE = st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs"), include_characters="_.:/=+-@"),
                    min_size=1, max_size=256).filter(lambda v: v.strip() == v and v.strip())


def _names(low: int, high: int, chars: str = NAME_CHARS) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(chars), min_size=low, max_size=high)


def _regions() -> list[str]:
    from readiness.contract.lint_aws import aws_regions

    return sorted(aws_regions("dynamodb") & aws_regions("backup") & aws_regions("s3"))


@st.composite
def valid_edits(draw: st.DrawFn) -> dict[str, Any]:
    """The real contract's documents with free fields redrawn (a deep copy: BASE is never touched)."""
    docs = {rel: copy.deepcopy(doc) for rel, doc in BASE.items() if not rel.endswith(".json")}
    docs["buckets/templates.yaml"] = _load(REAL_CONTRACTS / "buckets/templates.yaml")
    for rel in sorted(r for r in docs if r.startswith("tables/")):
        if draw(st.booleans()):
            docs[rel]["description"] = draw(TEXT)
    shared = {tag: draw(TAG_VALUE) for tag in ("Project", "Owner", "CostCenter", "ManagedBy")
              if draw(st.booleans())}
    docs["buckets/templates.yaml"]["tags"].update(shared)
    accounts = draw(st.lists(st.text("0123456789", min_size=12, max_size=12), min_size=3, max_size=3, unique=True))
    for i, env in enumerate(("dev", "sit", "prod")):
        e = docs[f"environments/{env}.yaml"]
        e["tags"].update(shared)
        e["account"] = accounts[i]
        if env != "prod" and draw(st.booleans()):
            e["region"] = draw(st.sampled_from(_regions()))
        m, b = e["monitoring"], e["backup"]
        topics = draw(st.lists(_names(1, 256), min_size=2, max_size=2, unique=True))
        m["devops_topic"], m["finops_topic"] = topics
        m["alarm_prefix"] = draw(_names(1, 255 - len("-system-errors")))
        m["dashboard"] = draw(_names(1, 255))
        m["cost_monitor"] = draw(TEXT)
        b["plan"], b["rule"], b["selection"]["name"] = (draw(_names(1, 50, NAME_CHARS + ".")) for _ in range(3))
        b["iam_role"] = draw(_names(1, 64, NAME_CHARS + "+=,.@"))
        b["retention_days"] = draw(st.integers(b["retention_days"], 36_500))
        if b["copy"]:
            b["copy"]["retention_days"] = draw(st.integers(b["retention_days"], 36_500))
        e["pitr"]["recovery_period_days"] = draw(st.integers(1, 35))
        backup_rpo = draw(st.integers(1, 10_000))
        e["recovery"]["rpo_minutes"] = {"pitr": draw(st.integers(1, backup_rpo)), "backup": backup_rpo}
        e["recovery"]["rto_minutes"] = draw(st.integers(1, 10**6))
    for alarm in docs["monitoring.yaml"]["alarms"]:
        if alarm["scope"] != "replica":  # its threshold is the contract's lag_alarm_seconds (lint)
            alarm["threshold"] = draw(st.integers(0, 10**9) | st.floats(0, 1e12, allow_nan=False))
        alarm["evaluation_periods"] = draw(st.integers(1, 10))
    widgets = docs["monitoring.yaml"]["dashboard"]["widgets"]
    titles = draw(st.lists(TEXT, min_size=len(widgets), max_size=len(widgets), unique=True))
    for widget, title in zip(widgets, titles, strict=True):
        widget["title"] = title
    return docs


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(docs=valid_edits(), env=st.sampled_from(["dev", "sit", "prod"]))
def test_every_contract_validate_accepts_deploys_verifies_and_renders(docs: dict[str, Any], env: str) -> None:
    from readiness.checks import FAIL
    from readiness.contract.loading import load_contract
    from readiness.contract.templates import validate_templates
    from readiness.contract.tfvars import write_all
    from readiness.run import verify
    from readiness.targets.base import open_target

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "contracts"
        shutil.copytree(REAL_CONTRACTS, root)
        shutil.copytree(REAL_CONTRACTS.parent / "templates", Path(tmp) / "templates")
        for rel, doc in docs.items():
            _write(root, rel, doc)
        contract = load_contract(root)  # what validate does: schema, lint ...
        assert validate_templates(contract) == []  # ... and the templates

        written = write_all(contract, Path(tmp) / "terraform")
        assert sorted(p.parent.name for p in written) == sorted(contract.environments)
        for path in written:
            assert isinstance(json.loads(path.read_text(encoding="utf-8")), dict)

        with open_target("moto") as target:
            run = verify(target, contract, env, deploy_first=True)
        event(f"verdicts: {len(run.verdicts)} on {env}")
        failed = [f"{v.id} {v.resource}: {v.reason}" for v in run.verdicts if v.status == FAIL]
        assert run.verdicts and not failed, "deployed by the suite itself, yet:\n" + "\n".join(failed)


def test_a_key_with_control_characters_is_one_escaped_line(tmp_path: Path) -> None:
    """Found by the fuzz above: a key of '\\x1f\\r' put a carriage return into the Problem's location."""
    root = tmp_path / "contracts"
    shutil.copytree(REAL_CONTRACTS, root)
    (root / "environments/dev.yaml").write_text('"\\x1f\\r": null\n"a\\nb": 1\n', encoding="utf-8")
    _, problems = parse_contract(root)
    assert [(p.location, p.rule) for p in problems] == [("/\\x1f\\r", "control-character"),
                                                         ("/a\\nb", "control-character")]
    for problem in problems:
        _assert_renders(problem)
