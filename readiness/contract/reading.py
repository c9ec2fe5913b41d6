"""Reading contract files within bounds: size, depth, aliases, duplicate keys, control characters (ADR 0058);
JSON Schema problems in check-jsonschema style."""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from readiness.contract.model import Problem


def rel_path(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root.parent))
    except ValueError:
        return str(path)


_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def pointer(path: Any) -> str:
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
        where = pointer(path)
        if len(path) > MAX_DEPTH:
            found.append(Problem(rel, where, "nesting-depth", f"values nest deeper than {MAX_DEPTH} levels"))
        elif isinstance(value, Mapping):
            for k, v in value.items():
                if not isinstance(k, str):
                    found.append(Problem(rel, where, "key-type", f"key {shorten(repr(k), 60)} is not a string: "
                                         f"keys are names (quote it: '{shorten(str(k), 60)}')"))
                else:
                    if _UNPRINTABLE.search(k):  # a key is a name: no newline or tab either
                        found.append(Problem(rel, pointer((*path, k)), "control-character",
                                             f"the key {shorten(ascii(k), 60)} holds a control character"))
                    stack.append((v, (*path, k)))
        elif isinstance(value, list):
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
        elif isinstance(value, float) and not math.isfinite(value):
            found.append(Problem(rel, where, "non-finite-number", f"{value} is not a finite number"))
        elif isinstance(value, str) and CONTROL.search(value):
            found.append(Problem(rel, where, "control-character",
                                 f"{shorten(ascii(value), 60)} holds a control character"))
    return found


def read_text(root: Path, path: Path, problems: list[Problem], *, limit: int = MAX_FILE_BYTES) -> str | None:
    """The file's text, or None (and a Problem) when it is unreadable, larger than limit or not UTF-8."""
    rel = rel_path(root, path)
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
    rel = rel_path(root, path)
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
    return shorten(str(exc) or type(exc).__name__, 120)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def read_json(root: Path, path: Path, problems: list[Problem]) -> Any:
    rel = rel_path(root, path)
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


def _canonical(schema: Mapping[str, Any]) -> str:
    """A schema's content as one string (the caches' key: equal schemas read from different files share it)."""
    return json.dumps(schema, separators=(",", ":"))  # key order kept: it orders the errors reported


@functools.lru_cache(maxsize=128)
def _compiled(canonical: str) -> Any:
    return jsonschema.Draft202012Validator(json.loads(canonical))


def _validator(schema: Mapping[str, Any]) -> Any:
    """One compiled validator per distinct schema per process, kept across contract loads (ADR 0068)."""
    return _compiled(_canonical(schema))


@functools.lru_cache(maxsize=256)
def _meta_error(canonical: str) -> jsonschema.SchemaError | None:
    try:
        jsonschema.Draft202012Validator.check_schema(json.loads(canonical))
    except jsonschema.SchemaError as exc:
        return exc
    return None


def schema_error(schema: Mapping[str, Any]) -> jsonschema.SchemaError | None:
    """Why a schema is not a valid Draft 2020-12 schema (None when it is), judged once per distinct schema per
    process: checking against the meta-schema is most of a contract's load time (100 cloned tables: 5 s of 7)."""
    return _meta_error(_canonical(schema))


def schema_problems(rel: str, document: Any, schema: Mapping[str, Any]) -> list[Problem]:
    """JSON Schema errors in check-jsonschema style: the deepest error per location."""
    validator = _validator(schema)
    found: list[Problem] = []
    for error in validator.iter_errors(document):
        leaf = error
        if error.context:  # oneOf/anyOf: report the most relevant branch's deepest error, where it is
            leaf = jsonschema.exceptions.best_match([error]) or error
        where = pointer(list(leaf.absolute_path))
        found.append(Problem(rel, where, "schema", shorten(leaf.message)))
    return found


def shorten(message: str, limit: int = 200) -> str:
    message = " ".join(message.split())
    return message if len(message) <= limit else message[: limit - 3] + "..."


def load_schema(root: Path, name: str, problems: list[Problem]) -> Mapping[str, Any] | None:
    path = root / "schema" / name
    if not path.is_file():
        problems.append(Problem(rel_path(root, path), "/", "missing-file", "the contract's own schema is missing"))
        return None
    schema = read_json(root, path, problems)
    return schema if isinstance(schema, Mapping) else None


def _documents(root: Path, folder: str, problems: list[Problem]) -> Iterator[tuple[Path, Any]]:
    directory = root / folder
    files = sorted(directory.glob("*.yaml")) + sorted(directory.glob("*.yml")) if directory.is_dir() else []
    if not files:
        problems.append(Problem(rel_path(root, directory), "/", "missing-file", f"no {folder} defined (*.yaml)"))
    for path in files:
        doc = read_yaml(root, path, problems)
        if doc is not UNREADABLE:
            yield path, doc


def valid_documents(root: Path, folder: str, schema: Mapping[str, Any],
                     problems: list[Problem]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The schema-valid documents of a folder, each in the file its name says (tables/tenants.yaml)."""
    for path, doc in _documents(root, folder, problems):
        rel = rel_path(root, path)
        found = schema_problems(rel, doc, schema)
        problems.extend(found)
        if found or doc is None:
            continue
        if doc["name"] != path.stem:
            problems.append(Problem(rel, "/name", "file-name",
                                    f"{folder[:-1]} {doc['name']!r} must live in {doc['name']}.yaml"))
            continue
        yield rel, doc


