"""Judging DynamoDB items against the data contract, without ever quoting a value.

An item (as Scan answers it: attribute values typed ``{"S": ...}``) is first matched to its table's
entity (``entityType`` or the partition key prefix of the contract's key pattern), then validated
against the entity's JSON Schema (with format checks), then against the table's indexes: the keys
of every index it should appear in, in the type the table defines, and no sparse index key on an
inactive item. Each finding is a :class:`Violation`: the item's key, a JSON pointer, the rule and
what the schema asked for. jsonschema's messages quote the offending value (customers' personal
data), so none of them is used: the text is built from the error's keyword, the schema's value for
that keyword and the error's path.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

import jsonschema
from boto3.dynamodb.types import Binary, TypeDeserializer

from readiness.contract.model import Gsi, Problem, Table
from readiness.testitems import is_test_item, key_prefix

ACTIVE_FLAG = "active"  # the soft-delete flag a sparse index follows (ADR 0005)
MAX_KEY_CHARS = 120  # a key or pointer longer than this is cut: a verdict line stays readable


Violation = Problem
"""One broken rule on one item, printed ``PK=ORDER#... SK=METADATA: /status: enum: not one of ...``: the
contract's problem record, with the item's key where a contract file's name goes, the JSON pointer as the
location, the schema keyword (or index rule) and what the schema asked for; never the value."""


def plain(value: Any) -> Any:
    """A deserialized DynamoDB value as JSON Schema sees JSON: integral numbers as int, the others as
    float, sets as sorted lists, binary as bytes (no JSON type, so any ``type`` rule rejects it)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Binary):
        return bytes(cast(Any, value))
    if isinstance(value, set | frozenset):
        return sorted((plain(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


_DESERIALIZER = TypeDeserializer()


def _as_json(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The item as JSON values, and the attributes whose value could not be read (never quoted)."""
    item: dict[str, Any] = {}
    unreadable: list[str] = []
    for name, value in raw.items():
        try:
            item[name] = plain(_DESERIALIZER.deserialize(value))
        except Exception:  # an attribute value boto3 cannot read: named, never quoted
            unreadable.append(name)
    return item, unreadable


def _token(part: Any) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def _cut(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_KEY_CHARS else text[: MAX_KEY_CHARS - 3] + "..."


def pointer(path: Sequence[Any]) -> str:
    """A JSON pointer (RFC 6901) to where in the item a rule is broken."""
    return _cut("/" + "/".join(_token(p) for p in path)) if path else "/"


def _key_value(raw: Any) -> str:
    if not isinstance(raw, Mapping) or len(raw) != 1:
        return "?"
    kind, value = next(iter(raw.items()))
    if kind == "B":
        return f"<{len(value) if isinstance(value, bytes | str) else '?'} bytes>"
    return str(value) if kind in ("S", "N") else f"<{kind}>"


def item_key(table: Table, raw: Mapping[str, Any]) -> str:
    """``PK=ORDER#... SK=METADATA``: how a verdict names an item (the key, never another attribute)."""
    parts = [f"{table.partition.attribute}={_key_value(raw.get(table.partition.attribute))}"]
    if table.sort is not None:
        parts.append(f"{table.sort.attribute}={_key_value(raw.get(table.sort.attribute))}")
    return _cut(" ".join(parts))


def _explain(rule: str, wanted: Any) -> str:
    """What the schema asked for, from the schema alone."""
    if rule == "type":
        return "expected " + (" or ".join(map(str, wanted)) if isinstance(wanted, list) else str(wanted))
    if rule == "enum":
        return _cut("not one of " + ", ".join(map(str, wanted))) if isinstance(wanted, list) else "not allowed"
    if rule == "const":
        return _cut(f"must be {wanted}")
    if rule == "pattern":
        return _cut(f"does not match {wanted}")
    if rule == "format":
        return f"not a valid {wanted}"
    if isinstance(wanted, int | float | str) and not isinstance(wanted, bool):
        return _cut(f"{rule} {wanted}")
    return "see the schema"


def _schema_violations(validator: Any, key: str, item: Mapping[str, Any]) -> list[Violation]:
    found: list[Violation] = []
    for error in validator.iter_errors(item):
        leaf = jsonschema.exceptions.best_match([error]) if error.context else error
        leaf = leaf or error
        rule, where, instance = str(leaf.validator), list(leaf.absolute_path), leaf.instance
        if rule == "required" and isinstance(instance, Mapping):
            found += [Violation(key, pointer([*where, n]), "required", "missing")
                      for n in leaf.validator_value if n not in instance]
        elif rule == "additionalProperties" and isinstance(instance, Mapping):
            props = leaf.schema.get("properties") or {}
            patterns = list(leaf.schema.get("patternProperties") or {})
            found += [Violation(key, pointer([*where, n]), "additionalProperties", "not in the schema")
                      for n in sorted(map(str, instance)) if n not in props
                      and not any(re.search(p, n) for p in patterns)]
        else:
            found.append(Violation(key, pointer(where), rule, _explain(rule, leaf.validator_value)))
    return sorted(set(found), key=lambda v: (v.location, v.rule))


@dataclass(frozen=True)
class Entity:
    """The one entity a table holds, as its item schema and key pattern define it."""

    name: str | None  # entityType's const in the item schema
    key_prefix: str  # what the contract's partition key pattern starts with (ORDER#)
    schema_file: str

    @classmethod
    def of(cls, table: Table) -> Entity:
        prop = (table.item_schema.get("properties") or {}).get("entityType") or {}
        const = prop.get("const")
        return cls(name=const if isinstance(const, str) else None,
                   key_prefix=(table.partition.pattern or "").split("{", 1)[0], schema_file=table.item_schema_file)

    def owns(self, table: Table, item: Mapping[str, Any]) -> bool:
        """The item is this entity's: its entityType says so, or its partition key carries the prefix."""
        pk = item.get(table.partition.attribute)
        return (self.name is not None and item.get("entityType") == self.name) or (
            bool(self.key_prefix) and isinstance(pk, str) and pk.startswith(self.key_prefix))

    def describe(self) -> str:
        names = [f"entityType {self.name}"] if self.name else []
        names += [f"a partition key starting {self.key_prefix}"] if self.key_prefix else []
        return " or ".join(names) or "no way to recognise it"


def _validator(schema: Mapping[str, Any]) -> Any:
    cls: Any = jsonschema.validators.validator_for(schema)
    return cls(schema, format_checker=jsonschema.FormatChecker())


def _is_drill_item(table: Table, item: Mapping[str, Any]) -> bool:
    """A drill's own test item: the marker attribute AND the test-mark key prefix (readiness/testitems.py).
    Either alone is judged like any item, so a marker added to a real item hides nothing."""
    pk = item.get(table.partition.attribute)
    return is_test_item(item) and isinstance(pk, str) and pk.startswith(key_prefix(table))


def _index_violations(table: Table, gsi: Gsi, key: str, raw: Mapping[str, Any],
                      item: Mapping[str, Any]) -> list[Violation]:
    """The index keys an item must carry (in the type the table defines them), or must not (sparse, inactive)."""
    keys = [a for a in (gsi.partition_key, gsi.sort_key) if a]
    if gsi.sparse and item.get(ACTIVE_FLAG) is not True:
        held = [a for a in keys[:1] if a in raw]  # the index holds an item that has its partition key
        return [Violation(key, pointer([a]), "sparse", f"present on an item whose {ACTIVE_FLAG} is not true: "
                          f"{gsi.name} holds an inactive item") for a in held]
    found: list[Violation] = []
    for attr in keys:
        want = table.attributes.get(attr)
        value = raw.get(attr)
        if value is None:
            found.append(Violation(key, pointer([attr]), "index key missing", f"{gsi.name} does not hold the item"))
        elif want and isinstance(value, Mapping) and next(iter(value), None) != want:
            found.append(Violation(key, pointer([attr]), "index key type",
                                   f"stored as {next(iter(value), '?')}, {gsi.name} indexes {want}"))
    return found


@dataclass
class Judged:
    """What judging one table's items found: schema findings (and how many items broke one), per index."""

    schema: list[Violation] = field(default_factory=list)
    invalid_items: int = 0
    by_index: dict[str, list[Violation]] = field(default_factory=dict)
    items: int = 0
    drill_items: int = 0


def judge(table: Table, raws: Sequence[Mapping[str, Any]]) -> Judged:
    """Every item against the entity, its schema and the table's indexes."""
    entity, validator = Entity.of(table), _validator(table.item_schema)
    out = Judged(by_index={g.name: [] for g in table.gsis})
    for raw in raws:
        item, unreadable = _as_json(raw)
        if _is_drill_item(table, item):
            out.drill_items += 1
            continue
        out.items += 1
        key = item_key(table, raw)
        found = [Violation(key, pointer([n]), "unreadable", "a value boto3 cannot read") for n in unreadable]
        if not entity.owns(table, item):
            found.append(Violation(key, "/", "entity", f"belongs to no entity of the table "
                                                       f"(expected {entity.describe()})"))
        else:
            found += _schema_violations(validator, key, item)
            for gsi in table.gsis:
                out.by_index[gsi.name] += _index_violations(table, gsi, key, raw, item)
        out.schema += found
        out.invalid_items += bool(found)
    return out
