"""The load drill's Locust users: boto3 PutItem and GetItem on the run's bounded key space.

Only ever run by Locust in its own process (``python -m locust -f readiness/drills/locustfile.py``):
Locust monkey-patches the standard library with gevent when it is imported, which must happen
before boto3 is imported, so the engine (``readiness.drills.load``) never imports this module.

Every option comes from the command line (``--load-*``). In a distributed run the master forwards
its own options to every worker when the test starts, so a worker on another machine needs only
``--worker --master-host HOST`` and the same repository checkout (it regenerates the run's test
items from the contract: same run token, same keys).

Each call is timed and reported as a Locust request event (``request_type="dynamodb"``, name
``PutItem`` / ``GetItem``). Retries are off: a throttled call is reported as one, never hidden
behind botocore's retries. Throttling answers fail as :class:`Throttled`, other answers as
:class:`DynamoDBFailure`, so the stats keep them apart.
"""

from __future__ import annotations

import contextlib
import itertools
import random
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

# isort: off
from locust import User, events, task  # first: gevent patches the standard library before boto3 loads
from locust.runners import MasterRunner
from locust.user.wait_time import constant_throughput

import boto3
from boto3.dynamodb.types import TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from readiness.outcome import Kind, classify  # the one list; load.py puts this package on PYTHONPATH
import argparse
from readiness.contract.loading import DEFAULT_ROOT, load_contract
from readiness.testitems import RunScope, as_dynamodb, generate_item
# isort: on


class DynamoDBFailure(Exception):
    """DynamoDB answered with an error (or did not answer): ``Code: message``."""


class Throttled(DynamoDBFailure):
    """DynamoDB throttled the call."""


class _Shared:
    """What every user of this process shares: one client, the items and the keys."""

    client: ClassVar[Any] = None
    items: ClassVar[list[dict[str, Any]]] = []  # low-level (AttributeValue) requests, one per key
    keys: ClassVar[list[tuple[str, dict[str, Any]]]] = []  # (physical table, key)
    next_write: ClassVar[itertools.count[int]] = itertools.count(random.randrange(1_000_000))
    prepared: ClassVar[tuple[Any, ...]] = ()


def _options(parser: Any) -> None:
    _arguments(parser.add_argument_group("readiness load drill"))


def _arguments(group: Any) -> None:
    group.add_argument("--load-endpoint", default="", help="DynamoDB endpoint URL (empty: AWS itself)")
    group.add_argument("--load-region", default="eu-west-1")
    group.add_argument("--load-tables", default="", help="logical=physical table names, comma-separated")
    group.add_argument("--load-token", default="", help="the run scope's token")
    group.add_argument("--load-started", type=float, default=0.0, help="the run scope's start (epoch seconds)")
    group.add_argument("--load-keys", type=int, default=1, help="test items (keys) per table")
    group.add_argument("--load-writers", type=int, default=0)
    group.add_argument("--load-readers", type=int, default=0)
    group.add_argument("--load-write-rate", type=float, default=10.0, help="PutItem calls per second of one writer")
    group.add_argument("--load-read-rate", type=float, default=10.0, help="GetItem calls per second of one reader")
    group.add_argument("--load-contract", default="", help="contract root (empty: the package's own)")


def _init(environment: Any, **_: Any) -> None:
    """The master (or the only process) decides how many users of each kind run."""
    options = environment.parsed_options
    if options is not None:
        PutItemUser.fixed_count = max(0, int(options.load_writers))
        GetItemUser.fixed_count = max(0, int(options.load_readers))


def _test_start(environment: Any, **_: Any) -> None:
    """A worker started without the run's options (another machine) prepares with the master's, now."""
    if isinstance(environment.runner, MasterRunner):
        return
    o = environment.parsed_options
    if _Shared.prepared != _identity(o):
        _prepare(o)


def _identity(o: Any) -> tuple[Any, ...]:
    return (o.load_token, o.load_tables, o.load_keys, o.load_endpoint, o.load_region)


def _prepare_early() -> None:
    """A process given the run's options on its command line (the only process, or a worker the engine
    started) prepares while this file is imported: before a worker tells the master it is ready, and
    before the run's clock starts. (Locust has not parsed its options yet; the drill's own are read here.)"""
    if "--master" in sys.argv:
        return
    parser = argparse.ArgumentParser(add_help=False)
    _arguments(parser)
    options, _ = parser.parse_known_args()
    if options.load_token:
        _prepare(options)


def _prepare(o: Any) -> None:
    """This process's client, and the run's items regenerated from the contract (same token, same keys)."""
    root = Path(o.load_contract) if o.load_contract and Path(o.load_contract).is_dir() else DEFAULT_ROOT
    contract = load_contract(root, lint=False)
    scope = RunScope(o.load_token, o.load_started)
    serializer = TypeSerializer()
    items: list[dict[str, Any]] = []
    keys: list[tuple[str, dict[str, Any]]] = []
    for pair in filter(None, o.load_tables.split(",")):
        logical, physical = pair.split("=", 1)
        table = contract.tables[logical]
        key_names = [table.partition.attribute] + ([table.sort.attribute] if table.sort else [])
        for n in range(o.load_keys):
            item = as_dynamodb(generate_item(table, scope, n))
            low = {k: serializer.serialize(v) for k, v in item.items()}
            items.append({"TableName": physical, "Item": low})
            keys.append((physical, {k: low[k] for k in key_names}))
    users = max(1, int(o.load_writers) + int(o.load_readers))
    _Shared.client = boto3.session.Session().client(
        "dynamodb", region_name=o.load_region, endpoint_url=o.load_endpoint or None,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=5, read_timeout=10,
                      max_pool_connections=min(users + 10, 1000), tcp_keepalive=True))
    _Shared.items, _Shared.keys = items, keys
    if keys:  # warm up: the first call loads the endpoint rules and opens a connection (slow, and it blocks gevent)
        with contextlib.suppress(ClientError, BotoCoreError):
            first_table, first_key = keys[0]
            _Shared.client.get_item(TableName=first_table, Key=first_key)
    _Shared.prepared = _identity(o)


for _hook, _listener in ((events.init_command_line_parser, _options), (events.init, _init),
                         (events.test_start, _test_start)):
    _register: Any = _hook.add_listener  # Locust's EventHook.add_listener is not annotated
    _register(_listener)


class _DynamoDBUser(User):
    abstract = True

    rate_option = ""

    def on_start(self) -> None:
        rate = float(getattr(self.environment.parsed_options, self.rate_option))
        self._pace = constant_throughput(rate)
        # Start at a random point of the first pacing period: users spawned together would otherwise call in
        # step, and the calls of one second would bunch up instead of spreading over it.
        time.sleep(random.uniform(0, 1 / rate))  # gevent's sleep (Locust patched time): other users run meanwhile
        self._cp_last_run = time.perf_counter()  # pace from here (constant_throughput counts from the spawn)

    def wait_time(self) -> float:
        return float(self._pace(self))

    def _call(self, name: str, **request: Any) -> None:
        method = getattr(_Shared.client, "put_item" if name == "PutItem" else "get_item")
        failure: Exception | None = None
        started = time.perf_counter()
        try:
            method(**request)
        except ClientError as exc:
            err = exc.response.get("Error", {})
            code, message = str(err.get("Code", "?")), " ".join(str(err.get("Message", "")).split())[:160]
            failure = (Throttled if classify(exc) is Kind.THROTTLED else DynamoDBFailure)(f"{code}: {message}")
        except BotoCoreError as exc:
            failure = DynamoDBFailure(f"{type(exc).__name__}: {' '.join(str(exc).split())[:160]}")
        elapsed_ms = (time.perf_counter() - started) * 1000.0
        self.environment.events.request.fire(request_type="dynamodb", name=name, response_time=elapsed_ms,
                                             response_length=0, exception=failure, context={})


class PutItemUser(_DynamoDBUser):
    """Writes the run's items in turn (the bounded key space: the same keys again and again)."""

    rate_option = "load_write_rate"

    @task
    def put(self) -> None:
        request = _Shared.items[next(_Shared.next_write) % len(_Shared.items)]
        self._call("PutItem", **request)


class GetItemUser(_DynamoDBUser):
    """Reads a random one of the run's keys."""

    rate_option = "load_read_rate"

    @task
    def get(self) -> None:
        table, key = random.choice(_Shared.keys)
        self._call("GetItem", TableName=table, Key=key)


_prepare_early()
