"""The load drill (readiness/drills/load.py): verdict logic on synthetic Locust stats, and real Locust runs
against DynamoDB Local (the fastest local endpoint here: about twice a moto server's rate).

The rate test calibrates first, in the same test: a closed-loop run (a few users asked for far
more than the endpoint can carry) measures what this machine and endpoint sustain right now, and
must FAIL naming the shortfall; then the drill is asked for a share of that and must hold it
within 3%. Cleanup is checked by scanning for the run's marker attribute afterwards, also when
the caller interrupts the drill and when the Locust process is killed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from boto3.dynamodb.conditions import Attr
from contract_copy import REAL_CONTRACTS, yaml_doc

from readiness.contract.desired import desired_state
from readiness.contract.loading import parse_contract
from readiness.contract.model import Contract, Environment, LoadProfile
from readiness.drills import load
from readiness.drills.load import LoadError, LoadProgress, load_profile, run_load
from readiness.drills.load_stats import LoadResult, LoadVerdict, OperationStats, parse_stats, percentile, steady_rate
from readiness.outcome import FAIL, PASS, UNVERIFIABLE
from readiness.targets.base import Target, open_target
from readiness.targets.provision import deploy
from readiness.targets.services import free_port
from readiness.testitems import MARKER, RunScope

ENV = "sit"


# ---------------------------------------------------------------------------- synthetic stats


def stats(op: str = "write", *, target: float = 100, achieved: float = 100, requests: int = 1000, errors: int = 0,
          throttles: int = 0, p99: float = 10, samples: tuple[str, ...] = ()) -> OperationStats:
    api = {"write": "PutItem", "read": "GetItem"}[op]
    return OperationStats(op, api, target, achieved, requests, errors, throttles, p99 / 4, p99 / 2, p99, samples)


def result(*ops: OperationStats, p99_limit: float = 25, unavailable: str | None = None) -> LoadResult:
    return LoadResult(operations={s.operation: s for s in ops}, p99_limit_ms=p99_limit, duration_seconds=300,
                      workers=1, users=10, user_rate=10, tables=("orders-sit",), run_token="7e57abcd", keys=100,
                      unavailable=unavailable)


def test_pass_when_every_rate_is_held_without_throttling_and_p99_within_the_limit() -> None:
    v = result(stats("write", target=1000, achieved=990), stats("read", target=5000, achieved=4851)).verdict()
    assert v.status == PASS, v.reason
    assert "writes 990.0/s of 1000/s" in v.reason and "within 25 ms" in v.reason


def test_97_percent_is_the_edge() -> None:
    assert result(stats(target=1000, achieved=970)).verdict().status == PASS
    v = result(stats(target=1000, achieved=969.9)).verdict()
    assert v.status == FAIL
    assert v.reason == "writes 969.9/s of 1000/s (97%, needs 97%)"


def test_a_rate_shortfall_fails_naming_operation_achieved_and_target() -> None:
    v = result(stats("write"), stats("read", target=5000, achieved=3100)).verdict()
    assert v.status == FAIL
    assert v.reason == "reads 3100.0/s of 5000/s (62%, needs 97%)"


def test_any_throttle_fails_even_at_full_rate() -> None:
    v = result(stats("read", target=5000, achieved=5000, throttles=1)).verdict()
    assert v.status == FAIL
    assert v.reason == "reads throttled 1 times"


def test_p99_over_the_contract_limit_fails() -> None:
    v = result(stats("write", p99=31), p99_limit=25).verdict()
    assert v.status == FAIL
    assert v.reason == "write p99 31 ms over 25 ms"
    assert result(stats("write", p99=25), p99_limit=25).verdict().status == PASS


def test_errors_fail_with_what_was_answered() -> None:
    v = result(stats(errors=3, samples=("ValidationException: bad item",))).verdict()
    assert v.status == FAIL
    assert v.reason == "writes failed 3 times (ValidationException: bad item)"


def test_every_shortfall_is_named() -> None:
    v = result(stats("write", achieved=50, throttles=7, p99=80)).verdict()
    assert v.status == FAIL
    assert v.reason.split("; ") == ["writes 50.0/s of 100/s (50%, needs 97%)", "writes throttled 7 times",
                                    "write p99 80 ms over 25 ms"]


def test_a_load_that_could_not_run_is_unverifiable_with_the_answer() -> None:
    v = result(unavailable="Locust is not installed in this Python").verdict()
    assert v == LoadVerdict(UNVERIFIABLE, "the load could not run: Locust is not installed in this Python")


def test_an_operation_with_no_successful_call_is_unverifiable() -> None:
    denied = stats("read", achieved=0, requests=40, errors=40, samples=("AccessDeniedException: not authorized",))
    v = result(stats("write"), denied).verdict()
    assert v.status == UNVERIFIABLE
    assert v.reason == "no GetItem call succeeded (40 made): AccessDeniedException: not authorized"


def test_figures_carry_value_unit_target_and_limit() -> None:
    figures = {f["name"]: f for f in result(stats("write", target=1000, achieved=990.04, p99=12.3)).figures()}
    assert figures["write_rate"] == {"name": "write_rate", "value": 990.0, "unit": "ops/s", "target": 1000,
                                     "limit": "min"}
    assert figures["write_p99"] == {"name": "write_p99", "value": 12.3, "unit": "ms", "target": 25, "limit": "max"}
    assert figures["write_throttles"] == {"name": "write_throttles", "value": 0, "unit": "count", "target": 0,
                                          "limit": "max"}
    assert figures["write_errors"]["limit"] == "max"
    assert figures["write_p50"] == {"name": "write_p50", "value": 12.3 / 4, "unit": "ms"}  # reported, not judged
    assert not any(name.startswith("read_") for name in figures)  # no read target, no read figures


def test_percentiles_of_a_locust_histogram() -> None:
    histogram = {"5": 50, "10": 45, "40": 4, "90": 1}  # Locust's JSON has string keys
    assert percentile(histogram, 0.50) == 5
    assert percentile(histogram, 0.95) == 10
    assert percentile(histogram, 0.99) == 40
    assert percentile(histogram, 1.0) == 90
    assert percentile({}, 0.99) is None


def test_the_steady_rate_leaves_out_the_first_and_the_last_second() -> None:
    per_second = {"100": 3, "101": 50, "102": 50, "103": 48, "104": 7}
    assert steady_rate(per_second, {"102": 2}, fallback_seconds=5, successes=0) == pytest.approx((50 + 48 + 48) / 3)
    # a run too short for whole seconds falls back to successes over its span
    assert steady_rate({"100": 10, "101": 10}, {}, fallback_seconds=2.0, successes=20) == 10


def test_parse_stats_counts_throttles_apart_from_other_errors() -> None:
    entries = [{"name": "PutItem", "num_requests": 110, "num_failures": 10, "start_time": 100.0,
                "last_request_timestamp": 104.0, "response_times": {"3": 100, "9": 10},
                "num_reqs_per_sec": {"100": 10, "101": 30, "102": 30, "103": 30, "104": 10},
                "num_fail_per_sec": {"101": 6, "102": 4}}]
    failures = [{"Method": "dynamodb", "Name": "PutItem", "Occurrences": "6",
                 "Error": "Throttled('ProvisionedThroughputExceededException: The level of configured "
                          "provisioned throughput for the table was exceeded')"},
                {"Method": "dynamodb", "Name": "PutItem", "Occurrences": "4",
                 "Error": "DynamoDBFailure('InternalServerError: try again')"}]
    ops = parse_stats(entries, failures, {"write": 30, "read": 0}, duration_seconds=5)
    assert list(ops) == ["write"]
    w = ops["write"]
    assert (w.requests, w.throttles, w.errors, w.successes) == (110, 6, 4, 100)
    assert w.achieved_rate == pytest.approx((24 + 26 + 30) / 3)
    assert (w.p50_ms, w.p99_ms) == (3, 9)
    assert w.error_samples[0].startswith("ProvisionedThroughputExceededException")
    assert result(w).verdict().status == FAIL


def test_each_call_has_the_p99_limit_and_at_least_100_ms_by_default() -> None:
    assert load.default_user_rate(25) == 10  # SIT: 1000 writes/s by 100 writers
    assert load.default_user_rate(200) == 5
    assert load.default_user_rate(500) == 2
    assert load.default_user_rate(1000) == 1  # the local profile: 5 writers and 25 readers, a second per call
    assert load.default_user_rate(10_000) == 1


def test_the_progress_line_says_where_the_drill_is() -> None:
    line = LoadProgress(elapsed_seconds=12.4, duration_seconds=300, requests=7200, current_rate=598.6, pids=(1,)).line()
    assert line == "load drill: 12/300 s, 7200 calls, 599/s"


# ---------------------------------------------------------------------------- the contract's profiles


def test_emulators_get_the_local_profile_and_aws_the_live_one(loaded_contract: Contract) -> None:
    sit_env = loaded_contract.environment("sit")
    assert load_profile(sit_env, "aws") == LoadProfile(1000, 5000, 300, 25)  # 003 Week 2
    for kind in ("moto", "localstack", "dynamodb-local"):
        assert load_profile(sit_env, kind) == sit_env.load_local == LoadProfile(5, 25, 10, 1000)
    assert sit_env.load["writes_per_second"] == 1000 and "local" not in sit_env.load
    assert all(e.load_local.writes_per_second < e.load_live.writes_per_second
               for e in loaded_contract.environments.values())


@pytest.mark.parametrize(("edit", "location", "message"), [
    (lambda load: load.pop("local"), "/load", "'local' is a required property"),
    (lambda load: load.pop("p99_latency_ms"), "/load", "'p99_latency_ms' is a required property"),
    (lambda load: load["local"].update(duration_seconds=901), "/load/local/duration_seconds", "900"),
    (lambda load: load["local"].update(rps=3), "/load/local", "Additional properties"),
])
def test_the_load_profiles_are_schema_checked(tmp_path: Path, edit: Callable[[dict[str, Any]], Any],
                                              location: str, message: str) -> None:
    root = tmp_path / "contracts"
    shutil.copytree(REAL_CONTRACTS, root)
    with yaml_doc(root, "environments/sit.yaml") as env:
        edit(env["load"])
    contract, problems = parse_contract(root)
    assert contract is None
    found = [p for p in problems if p.file.endswith("environments/sit.yaml") and p.location == location]
    assert found and message in found[0].message, problems


# ---------------------------------------------------------------------------- refusals and unavailability


@pytest.fixture(scope="module")
def sit(loaded_contract: Contract) -> Environment:
    return loaded_contract.environment(ENV)


@pytest.mark.parametrize(("change", "message"), [
    ({"duration_seconds": 901}, "at most 900 s"),
    ({"duration_seconds": 0}, "at most 900 s"),
    ({"writes_per_second": 0, "reads_per_second": 0}, "not both 0"),
    ({"writes_per_second": -1}, "rates must be >= 0"),
    ({"workers": 0}, "workers is the number of load-generating processes"),
    ({"max_keys": 1001}, "max_keys must be between"),
    ({"p99_latency_ms": 0}, "p99 latency limit"),
])
def test_requests_the_drill_refuses_end_in_one_sentence(loaded_contract: Contract, change: dict[str, Any],
                                                         message: str) -> None:
    args: dict[str, Any] = {"region": "eu-west-1", "writes_per_second": 10, "reads_per_second": 10,
                            "duration_seconds": 5, "p99_latency_ms": 100, "endpoint_url": "http://127.0.0.1:9"}
    with pytest.raises(LoadError, match=message) as refused:
        run_load([loaded_contract.tables["orders"]], **{**args, **change})
    assert "\n" not in str(refused.value)


def test_an_endpoint_that_refuses_is_unverifiable_and_nothing_runs(loaded_contract: Contract) -> None:
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    with open_target("moto", endpoint_url=closed) as target:
        res = run_load([loaded_contract.tables["orders"]], region="eu-west-1", writes_per_second=10,
                       reads_per_second=10, duration_seconds=5, p99_latency_ms=100, target=target)
    v = res.verdict()
    assert v.status == UNVERIFIABLE
    assert v.reason.startswith("the load could not run: writing the run's test items: BatchWriteItem answered ")
    assert "Could not connect" in v.reason
    assert res.operations == {}


def test_embedded_moto_is_unverifiable_it_has_no_endpoint(loaded_contract: Contract) -> None:
    with open_target("moto") as target:
        v = run_load([loaded_contract.tables["orders"]], region="eu-west-1", writes_per_second=10,
                     reads_per_second=10, duration_seconds=5, p99_latency_ms=100, target=target).verdict()
    assert v.status == UNVERIFIABLE
    assert "needs an endpoint" in v.reason


# ---------------------------------------------------------------------------- against DynamoDB Local


@pytest.fixture(scope="module")
def ddb(loaded_contract: Contract) -> Iterator[Target]:
    """DynamoDB Local with SIT's tables, for this module (tox unit installs it; its absence is an error)."""
    with open_target("dynamodb-local") as target:
        deploy(target, desired_state(loaded_contract, ENV))
        yield target


def items_of(ddb: Target, sit: Environment, token: str) -> list[dict[str, Any]]:
    """The run's test items still in the orders table (a scan filtered on the marker attribute)."""
    import boto3

    table = boto3.resource("dynamodb", region_name=sit.region, endpoint_url=ddb.endpoint_url).Table(
        sit.table_name("orders"))
    return list(table.scan(FilterExpression=Attr(MARKER).eq(token), ConsistentRead=True)["Items"])


def drill(ddb: Target, contract: Contract, env: Environment, **kwargs: Any) -> LoadResult:
    args: dict[str, Any] = {"region": env.region, "target": ddb, "table_name": env.table_name, "max_keys": 100,
                            "p99_latency_ms": 10_000, "progress": None, **kwargs}
    return run_load([contract.tables["orders"]], **args)


def test_locust_missing_is_unverifiable_and_writes_nothing(ddb: Target, loaded_contract: Contract, sit: Environment,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    real = load.importlib.util.find_spec
    monkeypatch.setattr(load.importlib.util, "find_spec", lambda name, *a: None if name == "locust" else real(name))
    scope = RunScope.new()
    res = drill(ddb, loaded_contract, sit, scope=scope, writes_per_second=10, reads_per_second=10,
                duration_seconds=5)
    assert res.verdict().status == UNVERIFIABLE
    assert "Locust is not installed" in res.verdict().reason
    assert res.api_calls == {}
    assert items_of(ddb, sit, scope.token) == []


def test_a_client_that_refuses_writes_makes_the_drill_unverifiable(ddb: Target, loaded_contract: Contract,
                                                                    sit: Environment) -> None:
    """A read-only run (or a guard that refuses the items) stops the drill before any load: nothing is written."""
    scope = RunScope.new()
    res = drill(ddb, loaded_contract, sit, scope=scope, writes_per_second=10, reads_per_second=10, duration_seconds=5,
                client=ddb.client("dynamodb", sit.region))  # a read client: refuses every write
    v = res.verdict()
    assert v.status == UNVERIFIABLE
    assert "BatchWriteItem answered ReadOnlyViolation: dynamodb:BatchWriteItem refused" in v.reason
    assert res.operations == {} and items_of(ddb, sit, scope.token) == []


@pytest.mark.slow
def test_the_drills_guarded_client_accepts_the_load_drills_items(ddb: Target, loaded_contract: Contract,
                                                                 sit: Environment) -> None:
    """Seeded and cleaned through the other drills' guarded client (only this run's test items), with its scope."""
    from readiness.drills import Drills

    drills = Drills(ddb, desired_state(loaded_contract, ENV))
    res = drill(ddb, loaded_contract, sit, scope=drills.scope, client=drills.client(), writes_per_second=5,
                reads_per_second=5, duration_seconds=6, user_rate=5)  # one writer, one reader: whole calls a second
    v = res.verdict()
    assert v.status == PASS, v.reason
    assert res.run_token == drills.scope.token and res.items_left == 0
    assert items_of(ddb, sit, drills.scope.token) == []
    other = RunScope.new()  # the guard is real: another run's items are refused, and the drill says so
    refused = drill(ddb, loaded_contract, sit, scope=other, client=drills.client(), writes_per_second=5,
                    reads_per_second=5, duration_seconds=6).verdict()
    assert refused.status == UNVERIFIABLE and f"not a test item of run {drills.scope.token}" in refused.reason


def calibrate(ddb: Target, contract: Contract, env: Environment) -> LoadResult:
    """Four writers and four readers, each asked for 250 calls/s, run back to back: what the endpoint (and this
    machine) sustains right now. Far more than it can carry, so the drill must FAIL saying so."""
    scope = RunScope.new()
    most = drill(ddb, contract, env, scope=scope, writes_per_second=1000, reads_per_second=1000,
                 duration_seconds=5, user_rate=250)
    v = most.verdict()
    assert v.status == FAIL, v.reason
    assert "writes " in v.reason and "of 1000/s" in v.reason and "needs 97%" in v.reason
    assert all(s.achieved_rate > 5 for s in most.operations.values()), most.operations
    assert items_of(ddb, env, scope.token) == []
    return most


@pytest.mark.slow
def test_the_drill_holds_what_the_endpoint_sustains_within_3_percent_and_fails_beyond(
        ddb: Target, loaded_contract: Contract, sit: Environment) -> None:
    # Calibrate, then ask for 70% of it, paced (each user has 4 times its calibrated p95 per call): achieved within
    # 3%. The machine is shared: when the paced run falls short, the endpoint is measured again and asked once more.
    tries: list[str] = []
    for _ in range(2):
        most = calibrate(ddb, loaded_contract, sit)
        capacity = {op: s.achieved_rate for op, s in most.operations.items()}
        p95 = max(s.p95_ms or 100 for s in most.operations.values())
        per_user = max(2, int(1000 / (4 * p95)))  # whole calls a second per user: every second counts the same
        asked = {op: per_user * max(1, round(0.7 * rate / per_user)) for op, rate in capacity.items()}
        scope = RunScope.new()
        held = drill(ddb, loaded_contract, sit, scope=scope, writes_per_second=asked["write"],
                     reads_per_second=asked["read"], duration_seconds=8, user_rate=per_user)
        assert items_of(ddb, sit, scope.token) == []
        v = held.verdict()
        tries.append(f"calibrated {capacity}, asked {asked}: {v.status} {v.reason}")
        if v.status == PASS:
            break
    assert v.status == PASS, tries
    for op, s in held.operations.items():
        assert s.achieved_rate >= 0.97 * asked[op], (op, s)
        assert s.achieved_rate <= 1.10 * asked[op], (op, s)  # paced: it does not run away either
        assert s.throttles == 0 and s.errors == 0
    assert held.api_calls["dynamodb:BatchWriteItem"] == 2 * (held.keys // 25)  # seed + cleanup, 25 a call
    assert json.loads(json.dumps(held.to_dict()))["status"] == PASS


@pytest.mark.slow
def test_a_drill_interrupted_by_an_exception_leaves_no_test_item(ddb: Target, loaded_contract: Contract,
                                                                 sit: Environment) -> None:
    seen: list[LoadProgress] = []

    def interrupt(p: LoadProgress) -> None:
        seen.append(p)
        raise KeyboardInterrupt  # what Ctrl-C does

    scope = RunScope.new()
    with pytest.raises(KeyboardInterrupt):
        drill(ddb, loaded_contract, sit, scope=scope, writes_per_second=20, reads_per_second=20, duration_seconds=30,
              progress=interrupt, progress_every=1.0)
    assert seen, "the drill was never interrupted"
    assert items_of(ddb, sit, scope.token) == []
    for pid in seen[0].pids:  # and Locust was stopped
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.slow
def test_a_killed_locust_is_unverifiable_and_leaves_no_test_item(ddb: Target, loaded_contract: Contract,
                                                                 sit: Environment) -> None:
    def kill(p: LoadProgress) -> None:
        for pid in p.pids:
            os.kill(pid, signal.SIGKILL)

    scope = RunScope.new()
    res = drill(ddb, loaded_contract, sit, scope=scope, writes_per_second=20, reads_per_second=20,
                duration_seconds=30, progress=kill, progress_every=1.0)
    v = res.verdict()
    assert v.status == UNVERIFIABLE
    assert "Locust exited with -9 before writing its stats" in v.reason
    assert res.keys == 100 and res.items_left == 0
    assert items_of(ddb, sit, scope.token) == []


@pytest.mark.slow
def test_a_master_with_a_local_and_a_joining_worker_holds_a_modest_rate(ddb: Target, loaded_contract: Contract,
                                                                        sit: Environment) -> None:
    """The distributed path: the drill starts a master and one worker; a second worker joins the way one on
    another machine would (no drill options of its own: the master forwards them)."""
    port = free_port()
    scope = RunScope.new()
    done: dict[str, Any] = {}

    def master() -> None:
        done["result"] = drill(ddb, loaded_contract, sit, scope=scope, writes_per_second=10, reads_per_second=10,
                               duration_seconds=8, workers=1, remote_workers=1, master_port=port, user_rate=2)

    thread = threading.Thread(target=master)
    thread.start()
    joining = subprocess.Popen([sys.executable, "-m", "locust", "-f", str(load.LOCUSTFILE), "--worker",
                                "--master-host", "127.0.0.1", "--master-port", str(port), "--loglevel", "WARNING"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        thread.join(timeout=120)
        assert not thread.is_alive(), "the drill did not end"
        joining.wait(timeout=30)  # the master tells its workers to quit
    finally:
        if joining.poll() is None:
            joining.kill()
            joining.wait()
    res: LoadResult = done["result"]
    v = res.verdict()
    assert v.status == PASS, v.reason
    assert res.users == 10
    # The master gives each worker half the users (5 at 2 calls/s): only both together reach 10/s per operation.
    assert all(s.achieved_rate >= 9.7 for s in res.operations.values()), res.operations
    assert items_of(ddb, sit, scope.token) == []
