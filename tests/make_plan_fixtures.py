"""Write tests/fixtures/plans/sit-*.json: plans of terraform/stack with the SIT var file, in Terraform's real shape.

Run ``python tests/make_plan_fixtures.py`` after changing the SIT contract (tests/test_plan_real_shape.py
fails until the checked-in files equal what this writes). The four kinds of plan a PR job sees:
- sit-create.json: the first plan of an empty account (ARNs, ids and some keys known after apply);
- sit-noop.json: a re-plan of the deployed account (nothing to change);
- sit-update.json: an update in place (a tag value changes on every table: the end state still matches);
- sit-replace.json: the orders table replaced (its range key renamed: ["delete","create"]).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plan_documents import plan_document, planned, set_actions

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "plans"
ORDERS = 'module.tables["orders"].aws_dynamodb_table.this'


def _update(doc: dict[str, Any]) -> None:
    for change in doc["resource_changes"]:
        if change["type"] == "aws_dynamodb_table":
            change["change"]["before"]["tags"] = {**change["change"]["before"]["tags"], "CostCentre": "old"}
            change["change"]["before"]["tags_all"] = dict(change["change"]["before"]["tags"])
            set_actions(doc, change["address"], ["update"])


def _replace(doc: dict[str, Any]) -> None:
    [change] = [c for c in doc["resource_changes"] if c["address"] == ORDERS]
    change["change"]["before"]["range_key"] = "createdAt"
    set_actions(doc, ORDERS, ["delete", "create"], reason="replace_because_cannot_update")
    change["change"]["replace_paths"] = [["range_key"]]
    # a new table: its arn is known after apply, and so is every value made from it (the backup selection)
    selection = "module.backup.aws_backup_selection.this"
    planned(doc, selection).pop("resources")
    [dependent] = [c for c in doc["resource_changes"] if c["address"] == selection]
    dependent["change"]["after_unknown"]["resources"] = True
    set_actions(doc, selection, ["update"])


KINDS: dict[str, tuple[bool, Callable[[dict[str, Any]], None] | None]] = {
    "sit-create": (True, None), "sit-noop": (False, None), "sit-update": (False, _update),
    "sit-replace": (False, _replace),
}


def documents() -> dict[str, str]:
    out = {}
    for name, (create, edit) in KINDS.items():
        doc = plan_document("sit", create=create)
        if edit:
            edit(doc)
        out[name] = json.dumps(doc, separators=(",", ":")) + "\n"  # as terraform show -json prints it
    return out


if __name__ == "__main__":
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for name, text in documents().items():
        (FIXTURES / f"{name}.json").write_text(text)
        print(f"wrote {FIXTURES / name}.json ({len(text)} bytes)")
