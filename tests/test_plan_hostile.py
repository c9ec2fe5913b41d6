"""Plan files that are not what they should be: one line naming the file, in bounded time and memory.

The budget per input of up to 10 MB (issue 13): 5 s and 300 MB (tracemalloc peak: what Python
allocated for reading and judging it). Larger files are refused before they are read. A hypothesis
strategy mutates a valid real-shape plan (types, nesting, missing keys): only verdicts or a one-line
PlanError, never a traceback.
"""

from __future__ import annotations

import contextlib
import copy
import json
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from make_plan_fixtures import FIXTURES

from readiness.checks.plan import PlanError, judge
from readiness.contract.desired import Desired, desired_state
from readiness.observation.plan_load import MAX_BYTES, MAX_DEPTH

ROOT = Path(__file__).resolve().parents[1]
SECONDS, MEGABYTES = 5.0, 300
NOOP = FIXTURES / "sit-noop.json"


@cache
def sit() -> Desired:
    from readiness.contract.loading import load_contract

    return desired_state(load_contract(None), "sit")


def _resources(count: int) -> bytes:
    """A plan of count null_resources in Terraform's shape: valid, and about count * 225 bytes."""
    resources = [{"address": f"null_resource.r[{i}]", "mode": "managed", "type": "null_resource", "name": "r",
                  "index": i, "provider_name": "registry.terraform.io/hashicorp/null", "schema_version": 0,
                  "values": {"triggers": None}, "sensitive_values": {}} for i in range(count)]
    return json.dumps({"format_version": "1.2", "planned_values": {"root_module": {"resources": resources}}},
                      separators=(",", ":")).encode()


def _empty_objects(size: int) -> bytes:
    head = b'{"format_version":"1.2","planned_values":{"root_module":{"resources":['
    return head + b",".join([b"{}"] * ((size - len(head) - 4) // 3)) + b"]}}}"


# name: (bytes of the file, what the one line says)
CORPUS: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty": (lambda: b"", "line 1: not JSON"),
    "truncated": (lambda: NOOP.read_bytes()[: NOOP.stat().st_size // 2], "not JSON"),
    "binary": (lambda: bytes(range(256)) * 64, "not UTF-8 text"),
    "saved binary plan": (lambda: b"PK\x03\x04" + b"\x00" * 200, "a saved binary plan, not its JSON"),
    "utf-16": (lambda: '{"format_version": "1.2"}'.encode("utf-16"), "not UTF-8 text"),
    "over 10 MB": (lambda: b" " * (MAX_BYTES + 1), "larger than 10 MB"),
    "nested beyond recursion": (lambda: b"[" * 200_000 + b"]" * 200_000, "nested deeper than"),
    "nested beyond the depth": (lambda: b'{"format_version":"1.2","planned_values":' + b"[" * (MAX_DEPTH + 5)
                                + b"]" * (MAX_DEPTH + 5) + b"}", "nested deeper than"),
    "a state": (lambda: b'{"format_version":"1.0","terraform_version":"1.11.4","values":{"root_module":{}}}',
                "a state (terraform show -json without a plan file), not a plan"),
    "an array": (lambda: b"[]", "a JSON array; expected the object"),
    "NaN": (lambda: b'{"format_version":"1.2","planned_values":{"root_module":{}},"x":NaN}', "NaN is not a JSON"),
    "Infinity": (lambda: b'{"format_version":"1.2","x":-Infinity}', "Infinity is not a JSON"),
    "a 10000-digit number": (lambda: b'{"format_version":"1.2","x":' + b"9" * 10_000 + b"}", "digits"),
    "10 MB of empty objects": (lambda: _empty_objects(MAX_BYTES), "more than 1,000,000 objects and arrays"),
    "2 million strings": (lambda: b"[" + b",".join([b'"ab"'] * (MAX_BYTES // 5 - 2)) + b"]", "a JSON array"),
    "a million empty objects": (lambda: _empty_objects(2_900_000), "resources[0].address: expected a string"),
    "format 0.1": (lambda: b'{"format_version":"0.1","planned_values":{"root_module":{}}}', "format_version"),
}


def _measure(path: Path) -> tuple[float, float, str]:
    """Seconds (untraced), peak MB (traced) and the outcome of judging the file."""
    started = time.perf_counter()
    try:
        judge(path, sit())
        outcome = ""
    except PlanError as exc:
        outcome = str(exc)
    seconds = time.perf_counter() - started
    tracemalloc.start()
    try:
        with contextlib.suppress(PlanError):
            judge(path, sit())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return seconds, peak / 2**20, outcome


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_a_hostile_plan_file_is_one_line_within_budget(name: str, tmp_path: Path) -> None:
    make, says = CORPUS[name]
    path = tmp_path / "plan.json"
    path.write_bytes(make())
    seconds, megabytes, outcome = _measure(path)
    assert outcome.startswith(f"{path}: ") and "\n" not in outcome and says in outcome, outcome
    assert seconds < SECONDS, f"{name}: {seconds:.1f} s"
    assert megabytes < MEGABYTES, f"{name}: {megabytes:.0f} MB"


@pytest.mark.slow  # the slow tier (tox -e slow, ADR 0067)
def test_a_10_mb_plan_is_judged_within_budget(tmp_path: Path) -> None:
    """A valid plan just under the size limit (45,000 resources, none of them contracted)."""
    path = tmp_path / "plan.json"
    path.write_bytes(_resources(MAX_BYTES // 230))
    assert path.stat().st_size <= MAX_BYTES
    seconds, megabytes, outcome = _measure(path)
    assert outcome == ""
    assert seconds < SECONDS, f"{seconds:.1f} s"
    assert megabytes < MEGABYTES, f"{megabytes:.0f} MB"


def test_a_plan_path_that_is_a_directory_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot be read") as err:
        judge(tmp_path, sit())
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("name", ["truncated", "nested beyond recursion", "binary"])
def test_the_cli_answers_a_hostile_plan_with_exit_3_and_one_line(name: str, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_bytes(CORPUS[name][0]())
    result = subprocess.run([sys.executable, "-m", "readiness", "verify", "--env", "sit", "--target", "plan",
                             "--plan-json", str(path), "--report-dir", str(tmp_path / "r")], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 3, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and CORPUS[name][1] in result.stdout + result.stderr


# ----------------------------------------------------------------------------- mutated valid plans


@cache
def _valid() -> tuple[dict[str, Any], tuple[tuple[Any, ...], ...]]:
    """The real-shape first plan of SIT, and the path of every node in it."""
    doc = json.loads((FIXTURES / "sit-create.json").read_text())
    paths: list[tuple[Any, ...]] = []

    def walk(node: Any, path: tuple[Any, ...]) -> None:
        paths.append(path)
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            walk(child, (*path, key))

    walk(doc, ())
    return doc, tuple(p for p in paths if p)


REPLACEMENTS = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.floats(allow_nan=False),
                         st.text(max_size=5), st.just([]), st.just({}), st.just([[{}]]), st.just({"a": {"b": []}}),
                         st.just(["x", None]))


@st.composite
def mutated_plans(draw: st.DrawFn) -> dict[str, Any]:
    doc, paths = _valid()
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths))
        parent: Any = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            key = path[-1]
            how = draw(st.sampled_from(["replace", "delete", "wrap", "unwrap"]))
            if how == "delete" and isinstance(parent, dict):
                del parent[key]
            elif how == "wrap":
                parent[key] = [parent[key]]
            elif how == "unwrap" and isinstance(parent[key], list) and parent[key]:
                parent[key] = parent[key][0]
            else:
                parent[key] = draw(REPLACEMENTS)
        except (KeyError, IndexError, TypeError):  # an earlier mutation removed or retyped the path
            continue
    return doc


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=mutated_plans())
def test_a_mutated_plan_gives_verdicts_or_one_line(doc: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "plan.json"
        path.write_text(json.dumps(doc))
        try:
            _, verdicts, notes = judge(path, sit())
        except PlanError as exc:
            assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc)
            return
        assert verdicts and all(isinstance(n, str) for n in notes)
        json.dumps([v.to_dict() for v in verdicts], default=str)  # the report can be written


@pytest.mark.parametrize("mark", ["after_unknown", "after_sensitive"])
def test_a_whole_resource_marked_unknown_or_sensitive_is_one_line(mark: str, tmp_path: Path) -> None:
    """Terraform marks a resource's attributes, never the resource as a whole (found by the mutation test)."""
    doc = json.loads((FIXTURES / "sit-create.json").read_text())
    change = next(c for c in doc["resource_changes"] if c["type"] == "aws_dynamodb_table")
    change["change"][mark] = True
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(PlanError) as caught:
        judge(path, sit())
    message = str(caught.value)
    assert message.startswith(f"{path}: {change['address']}: ") and "\n" not in message


NEW_ANSWERS = [  # (resource type, attribute) the answers added for issue 12 read, each given every wrong type
    ("aws_s3_bucket_policy", "policy"), ("aws_s3_bucket", "object_lock_enabled"), ("aws_s3_bucket", "tags_all"),
    ("aws_cloudwatch_metric_alarm", "ok_actions"), ("aws_cloudwatch_metric_alarm", "metric_query"),
    ("aws_cloudwatch_metric_alarm", "tags_all"), ("aws_sns_topic", "tags_all"), ("aws_sns_topic", "arn"),
    ("aws_backup_vault", "tags_all"), ("aws_backup_plan", "tags_all"), ("aws_backup_selection", "iam_role_arn"),
    ("aws_backup_selection", "condition"), ("aws_dynamodb_table", "replica"),
    ("aws_ce_anomaly_monitor", "monitor_type"),
    ("aws_ce_anomaly_subscription", "subscriber"), ("aws_s3_bucket_lifecycle_configuration", "rule"),
]


@pytest.mark.parametrize("kind, attribute", NEW_ANSWERS, ids=lambda x: str(x))
def test_a_wrong_type_in_a_new_answer_gives_verdicts_or_one_line(kind: str, attribute: str, tmp_path: Path) -> None:
    """A hand-edited value of a type the provider never writes, in the attributes the new answers read."""
    for wrong in (None, True, 3, "x", [], {}, ["x", None], [{"a": [1]}], {"a": {"b": []}}):
        doc = json.loads(NOOP.read_text())

        def edit(module: dict[str, Any], value: Any = wrong) -> None:
            for r in module.get("resources", []):
                if r["type"] == kind:
                    r["values"][attribute] = copy.deepcopy(value)
            for child in module.get("child_modules", []):
                edit(child)

        edit(doc["planned_values"]["root_module"])
        path = tmp_path / "plan.json"
        path.write_text(json.dumps(doc))
        try:
            _, verdicts, _ = judge(path, sit())
        except PlanError as exc:
            assert str(exc).startswith(f"{path}: ") and "\n" not in str(exc), (wrong, str(exc))
            continue
        json.dumps([v.to_dict() for v in verdicts], default=str)
