"""Fixtures shared by the engine's unit tests.

The fixture names are deliberately specific (``moto_account``, ``verdicts_after``, ...) so that they
never shadow the acceptance fixtures the repository-level conftest.py defines.

- ``moto_account(env, deploy_first=True)``: a fresh embedded-moto account for this test, with the
  environment's desired state deployed into it; returns ``(target, desired)``. Function-scoped: tests
  mutate the account, so each gets its own. The environment is deployed once per process and moto's
  state saved (:class:`DeployedState`); later tests get a deep copy of that state put back into a fresh
  ``mock_aws``, the same moto objects a deploy builds, so a mutant's write clients meet the account a
  deploy leaves (ADR 0067). ``deploy_first=False`` is an empty account.
- ``verdicts_after(target, desired)``: observe the account once and evaluate every check.
- ``correct_snapshot(env)``: ``(desired, snapshot)`` observed on a correctly deployed moto account,
  deployed once per session and handed out as a deep copy, for tests that only edit the snapshot
  (what moto cannot show or cannot be made to do). Never shared mutable state.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import kill_rate
import pytest
from contract_copy import REAL_CONTRACTS

from readiness.checks import Verdict, evaluate
from readiness.contract.desired import Desired, desired_state
from readiness.contract.loading import load_contract
from readiness.contract.model import Contract
from readiness.observation.live import Snapshot, observe
from readiness.targets.base import SILENT_GAPS, Target, open_target
from readiness.targets.provision import deploy

MOTO_GAPS = SILENT_GAPS["moto"]


def pytest_configure(config: pytest.Config) -> None:
    """The mutation kill rate's tally and summary (tests/kill_rate.py), registered from this conftest, which every
    run under tests/ loads before collecting: under pytest-xdist the controller collects nothing, so a conftest
    in tests/mutations/ would never be loaded where the summary is printed."""
    if not config.pluginmanager.has_plugin("kill-rate"):
        config.pluginmanager.register(kill_rate, "kill-rate")


def verdicts_of(target: Target, desired: Desired) -> list[Verdict]:
    """Observe the target once and evaluate every registered check against the desired state."""
    return evaluate(desired, observe(target, desired), target.silent_gaps)


@pytest.fixture(scope="session")
def loaded_contract() -> Contract:
    return load_contract()


class DeployedState:
    """moto's in-memory state right after ``deploy`` of one environment: every backend in use (moto's own
    ``BackendDict._instances``), per account and region, deep-copied. Put back into a fresh ``mock_aws``
    (which starts empty), it is the account the deploy built, without the deploy's API calls."""

    def __init__(self) -> None:
        # imported here, not at the top: this conftest is loaded by every pytest run under tests/, the
        # acceptance runs of the live extra (no moto) included
        from moto.core.base_backend import BackendDict

        self.saved: list[tuple[Any, str, dict[str, Any]]] = [
            (backends, account, copy.deepcopy(dict(backends[account])))
            for backends in BackendDict._instances for account in list(backends)]

    def restore(self) -> None:
        for backends, account, regions in self.saved:
            in_account = backends[account]  # creates the account's (empty) backend dict in the fresh mock
            for region, backend in copy.deepcopy(regions).items():
                dict.__setitem__(in_account, region, backend)


_DEPLOYED: dict[str, DeployedState] = {}  # env -> its deployed state, once per process (each xdist worker)


@pytest.fixture
def moto_account(loaded_contract: Contract) -> Iterator[Callable[..., tuple[Target, Desired]]]:
    """A factory: ``moto_account("sit")`` -> (target, desired) with the contract deployed into moto."""
    opened: list[Target] = []
    with ExitStack() as stack:

        def open_account(env: str, *, deploy_first: bool = True) -> tuple[Target, Desired]:
            if opened:  # mock_aws is process-global: a second account in one test would share state
                raise RuntimeError("moto_account can open one account per test")
            target = stack.enter_context(open_target("moto"))
            opened.append(target)
            desired = desired_state(loaded_contract, env)
            if deploy_first:
                if env in _DEPLOYED:
                    _DEPLOYED[env].restore()
                else:
                    deploy(target, desired)
                    _DEPLOYED[env] = DeployedState()
            return target, desired

        yield open_account


@pytest.fixture
def verdicts_after() -> Callable[[Target, Desired], list[Verdict]]:
    return verdicts_of


_SNAPSHOTS: dict[str, tuple[Desired, Snapshot]] = {}


@pytest.fixture(scope="session")
def correct_snapshot(loaded_contract: Contract) -> Callable[[str], tuple[Desired, Snapshot]]:
    """``correct_snapshot("prod")`` -> (desired, a private copy of the snapshot of a correct account)."""

    def get(env: str) -> tuple[Desired, Snapshot]:
        if env not in _SNAPSHOTS:
            with open_target("moto") as target:
                desired = desired_state(loaded_contract, env)
                deploy(target, desired)
                _SNAPSHOTS[env] = desired, observe(target, desired)
        desired, snap = _SNAPSHOTS[env]
        return desired, copy.deepcopy(snap)

    return get


@pytest.fixture
def contracts(tmp_path: Path) -> Path:
    """A private copy of the real contracts/ directory (its problems name 'contracts/...')."""
    root = tmp_path / "contracts"
    shutil.copytree(REAL_CONTRACTS, root)
    shutil.copytree(REAL_CONTRACTS.parent / "templates", tmp_path / "templates")  # validate checks them too
    return root
