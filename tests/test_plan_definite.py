"""What a first plan cannot show must not hide what it shows for certain, and what it leaves out is not a pass.

Found by an adversarial review of the plan target: a FAIL resting on known values (alarm actions disabled, a
copy kept one day) stands even where an ARN is known only after apply; replacing a KMS key is a destroy; a plan
Terraform did not complete proves no "not destroyed".
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from plan_documents import plan_document, planned, set_actions, write

from readiness.checks import FAIL, PASS, UNVERIFIABLE, Verdict
from readiness.checks.plan import NO_DESTROY, judge
from readiness.contract.desired import Desired, desired_state
from readiness.contract.model import Contract


@pytest.fixture(scope="module")
def prod(loaded_contract: Contract) -> Desired:
    return desired_state(loaded_contract, "prod")


def _both(doc: dict[str, Any], address: str, edit: Callable[[dict[str, Any]], None]) -> None:
    """The same edit to the planned values and to the change's after (Terraform writes both)."""
    edit(planned(doc, address))
    for change in doc["resource_changes"]:
        if change["address"] == address:
            edit(change["change"]["after"])


def _verdicts(tmp_path: Path, doc: dict[str, Any], desired: Desired) -> list[Verdict]:
    _, verdicts, _ = judge(Path(write(tmp_path, doc)), desired, {})
    return verdicts


def _of(verdicts: list[Verdict], check: str, resource: str) -> Verdict:
    return next(v for v in verdicts if v.id == check and v.resource == resource)


def _alarm_address(doc: dict[str, Any], name: str) -> str:
    return next(c["address"] for c in doc["resource_changes"] if c["type"] == "aws_cloudwatch_metric_alarm"
                and c["change"]["after"].get("alarm_name") == name)


def test_alarm_actions_disabled_fail_on_a_first_plan(tmp_path: Path, prod: Desired) -> None:
    doc = plan_document("prod", create=True)
    alarm = prod.alarms[0].name
    assert _of(_verdicts(tmp_path, copy.deepcopy(doc), prod), "alarm.action", alarm).status != FAIL
    _both(doc, _alarm_address(doc, alarm), lambda v: v.__setitem__("actions_enabled", False))
    v = _of(_verdicts(tmp_path, doc, prod), "alarm.action", alarm)
    assert v.status == FAIL and "alarm actions are disabled" in v.reason, v.line()


def test_a_copy_kept_one_day_fails_on_a_first_plan(tmp_path: Path, prod: Desired) -> None:
    doc = plan_document("prod", create=True)

    def one_day(values: dict[str, Any]) -> None:
        values["rule"][0]["copy_action"][0]["lifecycle"][0]["delete_after"] = 1

    _both(doc, "module.backup.aws_backup_plan.this", one_day)
    v = _of(_verdicts(tmp_path, doc, prod), "backup.copy", prod.env.backup.plan)
    assert v.status == FAIL and "kept 1 days" in v.reason, v.line()


def test_replacing_the_kms_key_is_a_destroy(tmp_path: Path, prod: Desired) -> None:
    doc = plan_document("prod")
    assert _of(_verdicts(tmp_path, copy.deepcopy(doc), prod), NO_DESTROY, "KMS keys").status == PASS
    set_actions(doc, "module.kms[0].aws_kms_key.this", ["delete", "create"])
    v = _of(_verdicts(tmp_path, doc, prod), NO_DESTROY, "KMS keys")
    assert v.status == FAIL and "module.kms[0].aws_kms_key.this" in v.reason, v.line()


def test_an_incomplete_plan_proves_nothing_is_destroyed(tmp_path: Path, prod: Desired) -> None:
    doc = plan_document("prod")
    doc["complete"] = False
    verdicts = [v for v in _verdicts(tmp_path, doc, prod) if v.id == NO_DESTROY]
    assert verdicts and all(v.status == UNVERIFIABLE and "not complete" in v.reason for v in verdicts)


def test_two_versioning_resources_for_one_bucket_are_not_a_pass(tmp_path: Path, loaded_contract: Contract) -> None:
    """A second aws_s3_bucket_versioning (suspended) beside the module's: S3 keeps whichever Terraform applies
    last, so the plan cannot show versioning Enabled (UNVERIFIABLE naming the conflict), never PASS."""
    sit = desired_state(loaded_contract, "sit")
    doc = plan_document("sit")
    assert _of(_verdicts(tmp_path, copy.deepcopy(doc), sit), "bucket.versioning", "bbws-templates-sit").status == PASS

    def add_suspended(module: dict[str, Any]) -> bool:
        for resource in module.get("resources", []):
            if resource["address"] == 'module.buckets["templates"].aws_s3_bucket_versioning.this':
                twin = copy.deepcopy(resource)
                twin["address"] = 'module.buckets["templates"].aws_s3_bucket_versioning.hotfix'
                twin["name"] = "hotfix"
                twin["values"]["versioning_configuration"][0]["status"] = "Suspended"
                module["resources"].append(twin)
                return True
        return any(add_suspended(child) for child in module.get("child_modules", []))

    assert add_suspended(doc["planned_values"]["root_module"])
    v = _of(_verdicts(tmp_path, doc, sit), "bucket.versioning", "bbws-templates-sit")
    assert v.status == UNVERIFIABLE and "2 configuration resources of one kind" in v.reason, v.line()
