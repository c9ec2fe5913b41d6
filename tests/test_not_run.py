"""Every drill criterion gets a verdict, run or not (issue 12 item 2).

The catalogue (readiness/drills/catalogue.py CATALOGUE) names every drill and the scenario that runs it; a drill the
run did not measure is UNVERIFIABLE "not run" with why and what would run it (the reason comes from
``refusal``, the function that skips the scenario), or NOT APPLICABLE where the contract says so.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from readiness.checks import NOT_APPLICABLE, PASS, UNVERIFIABLE
from readiness.contract.desired import Desired, desired_state
from readiness.contract.model import Contract
from readiness.drills import CATALOGUE, Measurement, not_run
from readiness.drills.scope import refusal
from readiness.outcome import measured as drill_verdict
from readiness.report.verdict import INCOMPLETE, READY, run_verdict

FEATURES = Path(__file__).resolve().parent.parent / "features"


def scenario_tags() -> dict[str, frozenset[str]]:
    """Scenario name -> its tags, read from the feature files (tags on the lines right above it)."""
    out: dict[str, frozenset[str]] = {}
    for path in sorted(FEATURES.glob("*.feature")):
        tags: set[str] = set()
        for line in path.read_text(encoding="utf-8").splitlines():
            stripped = line.strip()
            if stripped.startswith("@"):
                tags |= {t.lstrip("@") for t in stripped.split()}
            elif stripped.startswith(("Scenario:", "Scenario Outline:")):
                out[stripped.split(":", 1)[1].strip()] = frozenset(tags - {"acceptance"})
                tags = set()
            elif stripped.startswith("Feature:"):
                tags = set()
    return out


def test_the_catalogue_is_the_drill_scenarios_of_the_features() -> None:
    tags = scenario_tags()
    for spec in CATALOGUE:
        assert spec.scenario in tags, f"{spec.id}: no scenario {spec.scenario!r} in features/"
        assert tags[spec.scenario] == spec.markers, f"{spec.id}: the scenario is tagged {sorted(tags[spec.scenario])}"
    guarded = {name for name, t in tags.items() if t & {"writes", "restore", "load", "replication"}
               or t & {"backup_rpo"}}
    assert guarded == {spec.scenario for spec in CATALOGUE}, "a drill scenario the catalogue does not know"


def _sit(loaded_contract: Contract, env: str = "sit") -> Desired:
    return desired_state(loaded_contract, env)


def by_id(missing: list[Measurement]) -> dict[str, list[Measurement]]:
    out: dict[str, list[Measurement]] = {}
    for m in missing:
        out.setdefault(m.id, []).append(m)
    return out


def test_a_read_only_live_run_names_every_drill_it_could_not_run(loaded_contract: Contract) -> None:
    desired = _sit(loaded_contract)
    measured = [drill_verdict("drill.rpo.backup", "c", t.name, PASS, "fresh") for t in desired.tables]
    missing = by_id(not_run(desired, measured, allow=frozenset(), target_kind="aws", no_deploy=True,
                            runner="pytest"))
    assert "drill.rpo.backup" not in missing  # it only reads: it ran
    pitr = missing["drill.restore.pitr"]
    assert [m.resource for m in pitr] == [t.name for t in desired.tables]  # one verdict per table
    assert all(m.status == UNVERIFIABLE for m in pitr)
    assert pitr[0].reason.startswith("not run: a live AWS account is read-only: this scenario needs --allow")
    assert pitr[0].details["needs"] == "--allow restore,writes"
    assert missing["drill.load"][0].details["needs"] == "--allow load"
    assert [m.resource for m in missing["drill.transaction"]] == ["orders-sit + campaigns-sit"]
    lag = missing["drill.replication_lag"]
    assert {m.status for m in lag} == {NOT_APPLICABLE} and "no replica region" in lag[0].reason
    checks = [m.verdict() for m in measured]
    all_verdicts = checks + [m.verdict() for ms in missing.values() for m in ms]
    assert run_verdict(checks) == READY and run_verdict(all_verdicts) == INCOMPLETE


def test_prod_load_needs_load_prod_too_and_replication_applies(loaded_contract: Contract) -> None:
    desired = _sit(loaded_contract, "prod")
    missing = by_id(not_run(desired, [], allow=frozenset({"load"}), target_kind="aws", no_deploy=True,
                            runner="pytest"))
    assert missing["drill.load"][0].details["needs"] == "--allow load-prod"
    assert {m.status for m in missing["drill.replication_lag"]} == {UNVERIFIABLE}
    assert missing["drill.replication_lag"][0].details["needs"] == "--allow writes"


def test_a_deselected_scenario_is_not_run_with_its_name(loaded_contract: Contract) -> None:
    desired = _sit(loaded_contract)
    missing = by_id(not_run(desired, [], allow=frozenset(), target_kind="moto", no_deploy=False, runner="pytest"))
    rpo = missing["drill.rpo.backup"][0]
    assert rpo.status == UNVERIFIABLE
    assert "The newest hourly recovery point is within the backup RPO" in rpo.reason and "deselected" in rpo.reason


def test_the_cli_says_which_pytest_run_would_exercise_the_drill(loaded_contract: Contract) -> None:
    desired = _sit(loaded_contract)
    missing = by_id(not_run(desired, [], allow=frozenset(), target_kind="aws", no_deploy=True, runner="cli"))
    assert missing["drill.access"][0].details["needs"] == "--allow writes"  # refused first: the allowance
    emulated = by_id(not_run(desired, [], allow=frozenset(), target_kind="moto", no_deploy=False, runner="cli"))
    access = emulated["drill.access"][0]
    assert "python -m readiness verify runs only the read-only drills" in access.reason
    assert access.details["needs"] == "pytest -m acceptance --env sit --target moto"


def test_a_restore_narrowed_to_one_table_leaves_the_others_not_run(loaded_contract: Contract) -> None:
    desired = _sit(loaded_contract)
    ran = [drill_verdict("drill.restore.pitr", "c", "orders-sit", PASS, "ok")]
    pitr = by_id(not_run(desired, ran, allow=frozenset(), target_kind="moto", no_deploy=False,
                         runner="pytest"))["drill.restore.pitr"]
    assert "orders-sit" not in {m.resource for m in pitr} and len(pitr) == 4
    assert pitr[0].reason == "not run on this table: the run drilled only orders-sit"
    assert pitr[0].details["needs"] == "--restore-table all"


def test_a_plan_runs_no_drill(loaded_contract: Contract) -> None:
    desired = _sit(loaded_contract)
    missing = not_run(desired, [], allow=frozenset(), target_kind="plan", no_deploy=False, runner="pytest")
    applicable = [m for m in missing if m.status != NOT_APPLICABLE]
    assert applicable and all("a Terraform plan is a document" in m.reason for m in applicable)
    assert refusal({"backup_rpo"}, frozenset(), "sit", "plan", False) is not None
    assert refusal({"backup_rpo"}, frozenset(), "sit", "aws", True) is None  # reads only: runs everywhere


@pytest.mark.parametrize("env", ["dev", "sit"])
def test_replication_is_not_applicable_outside_prod_even_when_run(loaded_contract: Contract, env: str,
                                                                  moto_account: Any) -> None:
    from readiness.drills import Drills

    target, desired = moto_account(env)
    measured = [Drills(target, desired).replication(t) for t in desired.tables]
    assert {m.status for m in measured} == {NOT_APPLICABLE}
    assert not [m for m in not_run(desired, measured, allow=frozenset(), target_kind="moto", no_deploy=False,
                                   runner="pytest") if m.id == "drill.replication_lag"]
    assert re.search(r"no replica region", measured[0].reason)
