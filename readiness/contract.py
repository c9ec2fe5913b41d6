"""Load the contract (YAML + JSON Schema) into typed objects.

Every problem a user can cause ends up as a :class:`Problem` (file, location, rule, message);
:func:`load_contract` raises :class:`ContractError` carrying all of them, never a traceback.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "contracts"


@dataclass(frozen=True, order=True)
class Problem:
    """One finding about the contract, printed as ``file: location: rule: message``."""

    file: str
    location: str
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.location}: {self.rule}: {self.message}"


class ContractError(Exception):
    """The contract cannot be used; ``problems`` says why, one line each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


_FORMATTER = string.Formatter()


def fill(pattern: str, **values: str) -> str:
    """A naming pattern with its ``{name}`` fields filled in; ValueError for anything more that ``str.format``
    would do: ``{env:>999999999}`` allocates a gigabyte, ``{env.__class__}`` reads attributes, ``{0}`` and
    unknown names raise. Linear in the pattern."""
    out: list[str] = []
    for literal, name, spec, conversion in _FORMATTER.parse(pattern):
        out.append(literal)
        if name is None:
            continue
        if name not in values or spec or conversion:
            allowed = ", ".join(f"{{{v}}}" for v in values)
            raise ValueError(f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}} is not "
                             f"a field of this name: use {allowed} only")
        out.append(values[name])
    return "".join(out)


@dataclass(frozen=True)
class KeyAttr:
    attribute: str
    type: str
    pattern: str | None = None


@dataclass(frozen=True)
class Gsi:
    name: str
    partition_key: str
    sort_key: str | None
    projection: str
    non_key_attributes: tuple[str, ...] = ()
    sparse: bool = False


@dataclass(frozen=True)
class AccessPattern:
    name: str
    index: str
    partition_key: str
    sort_key: str | None
    consumer: str


@dataclass(frozen=True)
class Table:
    name: str
    file: str
    description: str
    item_schema_file: str
    item_schema: Mapping[str, Any]
    partition: KeyAttr
    sort: KeyAttr | None
    attributes: Mapping[str, str]
    gsis: tuple[Gsi, ...]
    access_patterns: tuple[AccessPattern, ...]
    stream: str | None
    ttl_enabled: bool
    ttl_attribute: str | None


@dataclass(frozen=True)
class Replication:
    regions: tuple[str, ...]
    global_table_version: str
    lag_p99_seconds: float
    lag_alarm_seconds: float


@dataclass(frozen=True)
class BackupCopy:
    region: str
    vault: str
    retention_days: int


@dataclass(frozen=True)
class Backup:
    vault: str
    plan: str
    rule: str
    schedule: str
    retention_days: int
    selection: str
    selection_tables: tuple[str, ...]
    iam_role: str
    copy: BackupCopy | None


@dataclass(frozen=True)
class Monitoring:
    devops_topic: str
    finops_topic: str
    alarm_prefix: str
    dashboard: str
    cost_monitor: str


@dataclass(frozen=True)
class LoadProfile:
    """One load drill's rates, how long it holds them, and the p99 latency it must stay within."""

    writes_per_second: int
    reads_per_second: int
    duration_seconds: int
    p99_latency_ms: int


@dataclass(frozen=True)
class Environment:
    name: str
    file: str
    account: str
    region: str
    table_naming: str
    tables: tuple[str, ...]
    billing_mode: str
    pitr_enabled: bool
    pitr_recovery_period_days: int
    encryption_kind: str
    key_alias: str | None
    key_rotation: bool
    deletion_protection: bool
    replication: Replication | None
    tags: Mapping[str, str]
    backup: Backup
    monitoring: Monitoring
    rpo_minutes: Mapping[str, float]
    rto_minutes: float
    load: Mapping[str, int]  # the live profile's numbers by name (writes_per_second, ..., p99_latency_ms)
    load_live: LoadProfile  # what the drill drives against the environment's real account
    load_local: LoadProfile  # the same drill scaled to what an emulator on one machine can carry

    def table_name(self, table: str) -> str:
        """The physical name of a logical table in this environment (D2)."""
        return fill(self.table_naming, table=table, env=self.name)

    @property
    def regions(self) -> tuple[str, ...]:
        """Primary region first, then the replica regions."""
        return (self.region, *(self.replication.regions if self.replication else ()))


@dataclass(frozen=True)
class AlarmDef:
    id: str
    plan: str
    scope: str
    namespace: str
    metric: str
    operations: tuple[str, ...]
    statistic: str
    period_seconds: int
    evaluation_periods: int
    comparison: str
    threshold: float
    notify: str
    severity: str


@dataclass(frozen=True)
class WidgetDef:
    title: str
    kind: str
    scope: str | None = None
    namespace: str | None = None
    metrics: tuple[str, ...] = ()


@dataclass(frozen=True)
class MonitoringDefs:
    file: str
    alarms: tuple[AlarmDef, ...]
    cost_anomaly_percent: float
    cost_anomaly_notify: str
    widgets: tuple[WidgetDef, ...]


@dataclass(frozen=True)
class BucketReplication:
    region: str
    bucket: str
    role: str


@dataclass(frozen=True)
class Bucket:
    """One S3 bucket of the LLD (004 section 4); ``{env}`` in a name is the environment's name."""

    name: str
    file: str
    bucket_naming: str
    description: str
    versioning: bool
    encryption: str
    public_access_block: Mapping[str, bool]
    object_lock: bool
    noncurrent_version_expiration_days: int
    logging_naming: str | None
    logging_prefix: str
    content: str
    replication: Mapping[str, BucketReplication | None]
    tags: Mapping[str, str]

    def bucket_name(self, env: str) -> str:
        return fill(self.bucket_naming, env=env)

    def logging_bucket(self, env: str) -> str | None:
        return fill(self.logging_naming, env=env) if self.logging_naming else None

    def replication_of(self, env: str) -> BucketReplication | None:
        r = self.replication.get(env)
        if r is None:
            return None
        return BucketReplication(region=r.region, bucket=fill(r.bucket, env=env),
                                 role=fill(r.role, env=env))

    def tags_of(self, env: str) -> dict[str, str]:
        """The bucket's tags in an environment: Environment first, then the contract's."""
        return {"Environment": env, **self.tags}


@dataclass(frozen=True)
class TemplateDef:
    key: str
    audience: str
    category: str
    purpose: str
    variables_file: str
    variables: Mapping[str, Any]

    @property
    def text_key(self) -> str:
        """The plain-text alternative's key (004 4.2.2): the same path ending in .txt."""
        return self.key[: -len(".html")] + ".txt"


@dataclass(frozen=True)
class TemplateCatalogue:
    file: str
    bucket: str
    brand_name: str
    colors: Mapping[str, str]
    logo_alt: str
    company: str
    footer_variables: tuple[str, ...]
    unsubscribe_variable: str
    templates: tuple[TemplateDef, ...]


@dataclass(frozen=True)
class Contract:
    root: Path
    tables: Mapping[str, Table]
    environments: Mapping[str, Environment]
    monitoring: MonitoringDefs
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    buckets: Mapping[str, Bucket] = field(default_factory=dict)
    templates: TemplateCatalogue | None = None

    @property
    def templates_root(self) -> Path:
        """The repository folder that holds the template files (next to contracts/)."""
        return self.root.parent / "templates"

    def environment(self, name: str) -> Environment:
        try:
            return self.environments[name]
        except KeyError:
            known = ", ".join(sorted(self.environments)) or "none"
            raise ContractError([Problem(f"environments/{name}.yaml", "/", "unknown-environment",
                                         f"no environment {name!r} in the contract (known: {known})")]) from None

    def tables_of(self, env: Environment) -> list[Table]:
        return [self.tables[t] for t in env.tables if t in self.tables]


# ---------------------------------------------------------------------------- reading files


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _pointer(path: Any) -> str:
    """A JSON pointer to print: a key holding a newline or another control character is shown escaped, so the
    Problem stays one line."""
    text = "/" + "/".join(str(p) for p in path) if path else "/"
    return _UNPRINTABLE.sub(lambda m: ascii(m.group())[1:-1], text)


UNREADABLE = object()
"""What read_yaml returns for a file it reported as unreadable (so nobody schema-checks it again)."""
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Bounds on what one contract file may ask of the loader (ADR 0058). The real contract's largest file is a few
# KiB, nests 8 levels and has no aliases; these leave room to grow and refuse what only an attack needs.
MAX_FILE_BYTES = 1024 * 1024
MAX_DEPTH = 32
MAX_NODES = 20_000  # values after alias expansion: a billion-laughs file is refused before it is expanded
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0/C1 control characters (tab, newline and carriage return excepted) and the bidirectional overrides that
make text read differently than it compares ("Trojan source")."""


class _UniqueKeyLoader(_SAFE_LOADER):  # type: ignore[misc]
    """A safe loader (libyaml's when available) that refuses a key given twice in one mapping (YAML keeps the
    last one silently, so a second ``pitr:`` block would quietly replace the first) and a key that is not a
    scalar (``? [a, b]``: no contract key is a list or a mapping)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor` merges, and may be overridden
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found a key that is not a scalar (keys are "
                    "names)", key_node.start_mark)
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"found duplicate key {key!r}",
                    key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


_YAML_LOADER: Any = _UniqueKeyLoader


def _mark(mark: Any) -> str:
    return f"line {mark.line + 1} column {mark.column + 1}" if mark is not None else "/"


def _expansion_problem(root_node: Any) -> tuple[str, str, str] | None:
    """(location, rule, message) when the node graph, with every alias expanded, nests deeper than MAX_DEPTH,
    holds more than MAX_NODES values, or refers to itself; None when it is small enough to construct.

    Aliases share nodes, so sizes are memoised per node: the walk is linear in the file, whatever the
    expansion (an alias bomb of nine nested anchors is 10^9 values and a few hundred nodes)."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root_node, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            if depth[key] > MAX_DEPTH:
                return _mark(node.start_mark), "nesting-depth", f"values nest deeper than {MAX_DEPTH} levels"
            if size[key] > MAX_NODES:
                return (_mark(node.start_mark), "alias-expansion",
                        f"more than {MAX_NODES} values once its aliases are expanded (an alias bomb?)")
            continue
        if key in size:
            continue
        if key in on_path:
            return _mark(node.start_mark), "alias-expansion", "an alias refers to the value that contains it"
        on_path.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)
    return None


def _children(node: Any) -> list[Any]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def value_problems(rel: str, document: Any) -> list[Problem]:
    """What no contract value may be, wherever it is: a key that is not a string, a number that is not finite,
    a control character, nesting deeper than MAX_DEPTH. The walk is iterative (no RecursionError)."""
    found: list[Problem] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(document, ())]
    while stack and len(found) < 20:
        value, path = stack.pop()
        where = _pointer(path)
        if len(path) > MAX_DEPTH:
            found.append(Problem(rel, where, "nesting-depth", f"values nest deeper than {MAX_DEPTH} levels"))
        elif isinstance(value, Mapping):
            for k, v in value.items():
                if not isinstance(k, str):
                    found.append(Problem(rel, where, "key-type", f"key {_short(repr(k), 60)} is not a string: "
                                         f"keys are names (quote it: '{_short(str(k), 60)}')"))
                else:
                    if _UNPRINTABLE.search(k):  # a key is a name: no newline or tab either
                        found.append(Problem(rel, _pointer((*path, k)), "control-character",
                                             f"the key {_short(ascii(k), 60)} holds a control character"))
                    stack.append((v, (*path, k)))
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            found.append(Problem(rel, where, "non-finite-number", f"{value} is not a finite number"))
        elif isinstance(value, str) and CONTROL.search(value):
            found.append(Problem(rel, where, "control-character",
                                 f"{_short(ascii(value), 60)} holds a control character"))
    return found


def read_text(root: Path, path: Path, problems: list[Problem], *, limit: int = MAX_FILE_BYTES) -> str | None:
    """The file's text, or None (and a Problem) when it is unreadable, larger than limit or not UTF-8."""
    rel = _rel(root, path)
    try:
        with path.open("rb") as f:
            data = f.read(limit + 1)  # never more than the limit in memory, whatever the file's size
    except OSError as exc:
        problems.append(Problem(rel, "/", "unreadable", exc.strerror or str(exc)))
        return None
    if len(data) > limit:
        problems.append(Problem(rel, "/", "file-size", f"larger than {limit // 1024} KiB: "
                                "no such file needs that much"))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(rel, "/", "unreadable", f"not UTF-8 text (byte {exc.start})"))
        return None


def read_yaml(root: Path, path: Path, problems: list[Problem]) -> Any:
    """Parse one YAML file safely and within bounds; every problem becomes a Problem with a location, and
    the result UNREADABLE (so nobody schema-checks it again)."""
    rel = _rel(root, path)
    text = read_text(root, path, problems)
    if text is None:
        return UNREADABLE
    loader = _YAML_LOADER(text)
    try:
        node = loader.get_single_node()  # composed, not yet constructed: aliases are still shared nodes
        bound = _expansion_problem(node) if node is not None else None
        if bound is not None:
            problems.append(Problem(rel, *bound))
            return UNREADABLE
        document = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problems.append(Problem(rel, _mark(mark), "yaml-syntax", f"not valid YAML: {reason}"))
        return UNREADABLE
    except (ValueError, RecursionError, MemoryError) as exc:  # e.g. an integer of more than 4300 digits
        problems.append(Problem(rel, "/", "yaml-syntax", f"not a usable value: {_unusable(exc)}"))
        return UNREADABLE
    finally:
        loader.dispose()
    found = value_problems(rel, document)
    if found:
        problems.extend(found)
        return UNREADABLE
    return document


def _unusable(exc: BaseException) -> str:
    if "integer string conversion" in str(exc):
        return "an integer of more than 4300 digits"
    if isinstance(exc, RecursionError):
        return f"nested deeper than {MAX_DEPTH} levels"
    return _short(str(exc) or type(exc).__name__, 120)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def read_json(root: Path, path: Path, problems: list[Problem]) -> Any:
    rel = _rel(root, path)
    text = read_text(root, path, problems)
    if text is None:
        return None
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        problems.append(Problem(rel, f"line {exc.lineno} column {exc.colno}", "json-syntax",
                                f"not valid JSON: {exc.msg}"))
        return None
    except (ValueError, RecursionError) as exc:  # NaN/Infinity, a 5000-digit integer, [[[[...]]]]
        rule = "nesting-depth" if isinstance(exc, RecursionError) else "json-syntax"
        problems.append(Problem(rel, "/", rule, f"not usable JSON: {_unusable(exc)}"))
        return None
    found = value_problems(rel, document)
    if found:
        problems.extend(found)
        return None
    return document


_VALIDATORS: dict[int, tuple[Mapping[str, Any], Any]] = {}


def _validator(schema: Mapping[str, Any]) -> Any:
    """One compiled validator per schema object (the schema is kept, so its id is not reused)."""
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        if len(_VALIDATORS) > 64:
            _VALIDATORS.clear()
        cached = _VALIDATORS[id(schema)] = (schema, jsonschema.Draft202012Validator(schema))
    return cached[1]


def schema_problems(rel: str, document: Any, schema: Mapping[str, Any]) -> list[Problem]:
    """JSON Schema errors in check-jsonschema style: the deepest error per location."""
    validator = _validator(schema)
    found: list[Problem] = []
    for error in validator.iter_errors(document):
        leaf = error
        if error.context:  # oneOf/anyOf: report the most relevant branch's deepest error, where it is
            leaf = jsonschema.exceptions.best_match([error]) or error
        where = _pointer(list(leaf.absolute_path))
        found.append(Problem(rel, where, "schema", _short(leaf.message)))
    return found


def _short(message: str, limit: int = 200) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3] + "..."


def _load_schema(root: Path, name: str, problems: list[Problem]) -> Mapping[str, Any] | None:
    path = root / "schema" / name
    if not path.is_file():
        problems.append(Problem(_rel(root, path), "/", "missing-file", "the contract's own schema is missing"))
        return None
    schema = read_json(root, path, problems)
    return schema if isinstance(schema, Mapping) else None


def _documents(root: Path, folder: str, problems: list[Problem]) -> Iterator[tuple[Path, Any]]:
    directory = root / folder
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")) if directory.is_dir() else []
    if not files:
        problems.append(Problem(_rel(root, directory), "/", "missing-file", f"no {folder} defined (*.yaml)"))
    for path in files:
        doc = read_yaml(root, path, problems)
        if doc is not UNREADABLE:
            yield path, doc


def _valid_documents(root: Path, folder: str, schema: Mapping[str, Any],
                     problems: list[Problem]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The schema-valid documents of a folder, each in the file its name says (tables/tenants.yaml)."""
    for path, doc in _documents(root, folder, problems):
        rel = _rel(root, path)
        found = schema_problems(rel, doc, schema)
        problems.extend(found)
        if found or doc is None:
            continue
        if doc["name"] != path.stem:
            problems.append(Problem(rel, "/name", "file-name",
                                    f"{folder[:-1]} {doc['name']!r} must live in {doc['name']}.yaml"))
            continue
        yield rel, doc


# ---------------------------------------------------------------------------- building the model


def _table(rel: str, doc: Mapping[str, Any], item_schema: Mapping[str, Any]) -> Table:
    keys = doc["keys"]
    sort = keys.get("sort")
    return Table(
        name=doc["name"], file=rel, description=doc["description"], item_schema_file=doc["item_schema"],
        item_schema=item_schema,
        partition=KeyAttr(**keys["partition"]),
        sort=KeyAttr(**sort) if sort else None,
        attributes=dict(doc["attributes"]),
        gsis=tuple(Gsi(name=g["name"], partition_key=g["partition_key"], sort_key=g.get("sort_key"),
                       projection=g["projection"]["type"],
                       non_key_attributes=tuple(g["projection"].get("non_key_attributes", ())),
                       sparse=bool(g.get("sparse", False)))
                   for g in doc["global_secondary_indexes"]),
        access_patterns=tuple(AccessPattern(name=a["name"], index=a["index"], partition_key=a["partition_key"],
                                            sort_key=a.get("sort_key"), consumer=a["consumer"])
                              for a in doc["access_patterns"]),
        stream=doc["stream"], ttl_enabled=doc["ttl"]["enabled"], ttl_attribute=doc["ttl"].get("attribute"),
    )


def _environment(rel: str, doc: Mapping[str, Any]) -> Environment:
    repl = doc["replication"]
    backup = doc["backup"]
    copy = backup["copy"]
    enc = doc["encryption"]
    return Environment(
        name=doc["name"], file=rel, account=doc["account"], region=doc["region"],
        table_naming=doc["naming"]["table"], tables=tuple(doc["tables"]),
        billing_mode=doc["capacity"]["billing_mode"],
        pitr_enabled=doc["pitr"]["enabled"], pitr_recovery_period_days=doc["pitr"]["recovery_period_days"],
        encryption_kind=enc["kind"], key_alias=enc.get("key_alias"), key_rotation=bool(enc.get("rotation", False)),
        deletion_protection=doc["deletion_protection"],
        replication=Replication(regions=tuple(repl["regions"]), global_table_version=repl["global_table_version"],
                                lag_p99_seconds=repl["lag_p99_seconds"],
                                lag_alarm_seconds=repl["lag_alarm_seconds"]) if repl else None,
        tags=dict(doc["tags"]),
        backup=Backup(vault=backup["vault"], plan=backup["plan"], rule=backup["rule"],
                      schedule=backup["schedule"], retention_days=backup["retention_days"],
                      selection=backup["selection"]["name"],
                      selection_tables=tuple(backup["selection"]["tables"]), iam_role=backup["iam_role"],
                      copy=BackupCopy(**copy) if copy else None),
        monitoring=Monitoring(**doc["monitoring"]),
        rpo_minutes=dict(doc["recovery"]["rpo_minutes"]), rto_minutes=doc["recovery"]["rto_minutes"],
        load={k: v for k, v in doc["load"].items() if k != "local"},
        load_live=_load_profile(doc["load"]), load_local=_load_profile(doc["load"]["local"]),
    )


def _load_profile(doc: Mapping[str, Any]) -> LoadProfile:
    return LoadProfile(writes_per_second=doc["writes_per_second"], reads_per_second=doc["reads_per_second"],
                       duration_seconds=doc["duration_seconds"], p99_latency_ms=doc["p99_latency_ms"])


def _monitoring(rel: str, doc: Mapping[str, Any]) -> MonitoringDefs:
    return MonitoringDefs(
        file=rel,
        alarms=tuple(AlarmDef(id=a["id"], plan=a["plan"], scope=a["scope"], namespace=a["namespace"],
                              metric=a["metric"], operations=tuple(a.get("operations", ())),
                              statistic=a["statistic"], period_seconds=a["period_seconds"],
                              evaluation_periods=a["evaluation_periods"], comparison=a["comparison"],
                              threshold=float(a["threshold"]), notify=a["notify"], severity=a["severity"])
                     for a in doc["alarms"]),
        cost_anomaly_percent=float(doc["cost_anomaly"]["threshold_percent"]),
        cost_anomaly_notify=doc["cost_anomaly"]["notify"],
        widgets=tuple(WidgetDef(title=w["title"], kind=w["kind"], scope=w.get("scope"),
                                namespace=w.get("namespace"), metrics=tuple(w.get("metrics", ())))
                      for w in doc["dashboard"]["widgets"]),
    )


def _bucket(rel: str, doc: Mapping[str, Any]) -> Bucket:
    logging = doc["access_logging"]
    return Bucket(
        name=doc["name"], file=rel, bucket_naming=doc["bucket"], description=doc["description"],
        versioning=doc["versioning"], encryption=doc["encryption"],
        public_access_block=dict(doc["public_access_block"]), object_lock=doc["object_lock"],
        noncurrent_version_expiration_days=doc["lifecycle"]["noncurrent_version_expiration_days"],
        logging_naming=logging["bucket"] if logging else None, logging_prefix=logging["prefix"] if logging else "",
        content=doc["content"],
        replication={env: BucketReplication(**r) if r else None for env, r in doc["replication"].items()},
        tags=dict(doc["tags"]),
    )


def variables_file(key: str) -> str:
    """Where a template's variables contract lives, relative to contracts/."""
    return f"template-variables/{key[: -len('.html')]}.schema.json"


def _catalogue(root: Path, schema: Mapping[str, Any], problems: list[Problem]) -> TemplateCatalogue | None:
    path = root / "templates.yaml"
    rel = _rel(root, path)
    if not path.is_file():
        problems.append(Problem(rel, "/", "missing-file", "the email template catalogue is not defined"))
        return None
    doc = read_yaml(root, path, problems)
    found = [] if doc is UNREADABLE else schema_problems(rel, doc, schema)
    problems.extend(found)
    if found or doc is None or doc is UNREADABLE:
        return None
    templates: list[TemplateDef] = []
    for i, t in enumerate(doc["templates"]):
        var_rel = variables_file(t["key"])
        var_path = root / var_rel
        if not var_path.is_file():
            problems.append(Problem(rel, f"/templates/{i}/key", "missing-file",
                                    f"{_rel(root, var_path)} (the variables contract of {t['key']}) does not exist"))
            continue
        variables = read_json(root, var_path, problems)
        if not isinstance(variables, Mapping):
            if variables is not None:
                problems.append(Problem(_rel(root, var_path), "/", "schema", "a variables contract is a JSON object"))
            continue
        try:
            jsonschema.Draft202012Validator.check_schema(variables)
        except jsonschema.SchemaError as exc:
            problems.append(Problem(_rel(root, var_path), _pointer(exc.absolute_path), "variables-schema",
                                    _short(exc.message)))
            continue
        templates.append(TemplateDef(key=t["key"], audience=t["audience"], category=t["category"],
                                     purpose=t["purpose"], variables_file=_rel(root, var_path), variables=variables))
    b, legal = doc["branding"], doc["legal"]
    return TemplateCatalogue(file=rel, bucket=doc["bucket"], brand_name=b["name"], colors=dict(b["colors"]),
                             logo_alt=b["logo_alt"], company=legal["company"],
                             footer_variables=tuple(legal["footer_variables"]),
                             unsubscribe_variable=legal["unsubscribe_variable"], templates=tuple(templates))


def parse_contract(root: Path | str | None = None) -> tuple[Contract | None, list[Problem]]:
    """Read and schema-validate every contract file. Returns the model (None if unusable) and the problems."""
    root = Path(root) if root is not None else DEFAULT_ROOT
    problems: list[Problem] = []
    if not root.is_dir():
        problems.append(Problem(str(root), "/", "missing-file", "contract directory not found"))
        return None, problems
    schemas = {n: _load_schema(root, f"{n}.schema.json", problems)
               for n in ("table", "environment", "monitoring", "bucket", "templates")}
    if problems:
        return None, problems

    tables: dict[str, Table] = {}
    for rel, doc in _valid_documents(root, "tables", schemas["table"] or {}, problems):
        if doc["name"] in tables:
            problems.append(Problem(rel, "/name", "duplicate-table", f"table {doc['name']!r} is defined twice"))
            continue
        item_path = root / "items" / doc["item_schema"]
        item_rel = _rel(root, item_path)
        if not item_path.is_file():
            problems.append(Problem(rel, "/item_schema", "missing-file", f"{item_rel} does not exist"))
            continue
        item = read_json(root, item_path, problems)
        if not isinstance(item, Mapping):
            if item is not None:
                problems.append(Problem(item_rel, "/", "schema", "an item schema must be a JSON object"))
            continue
        try:
            jsonschema.Draft202012Validator.check_schema(item)
        except jsonschema.SchemaError as exc:
            problems.append(Problem(item_rel, _pointer(exc.absolute_path), "item-schema", _short(exc.message)))
            continue
        tables[doc["name"]] = _table(rel, doc, item)

    environments = {doc["name"]: _environment(rel, doc)
                    for rel, doc in _valid_documents(root, "environments", schemas["environment"] or {}, problems)}

    monitoring: MonitoringDefs | None = None
    mon_path = root / "monitoring.yaml"
    mon_rel = _rel(root, mon_path)
    if not mon_path.is_file():
        problems.append(Problem(mon_rel, "/", "missing-file", "the alarm set and dashboard are not defined"))
    else:
        doc = read_yaml(root, mon_path, problems)
        found = [] if doc is UNREADABLE else schema_problems(mon_rel, doc, schemas["monitoring"] or {})
        problems.extend(found)
        if not found and doc is not None and doc is not UNREADABLE:
            monitoring = _monitoring(mon_rel, doc)

    buckets = {doc["name"]: _bucket(rel, doc)
               for rel, doc in _valid_documents(root, "buckets", schemas["bucket"] or {}, problems)}
    catalogue = _catalogue(root, schemas["templates"] or {}, problems)

    if monitoring is None or catalogue is None or problems:
        return None, problems
    return Contract(root=root, tables=tables, environments=environments, monitoring=monitoring,
                    buckets=buckets, templates=catalogue), problems


def load_contract(root: Path | str | None = None, *, lint: bool = True) -> Contract:
    """The contract, schema-valid and (by default) lint-clean, or ContractError."""
    contract, problems = parse_contract(root)
    if contract is not None and lint:
        from readiness.lint import lint_contract

        problems.extend(lint_contract(contract))
    if problems or contract is None:
        raise ContractError(problems)
    return contract
