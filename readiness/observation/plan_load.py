"""Reading a plan file: ``terraform show -json plan.out`` as Terraform 1.x writes it, and nothing else.

The file is untrusted input (a PR job feeds it whatever the runner produced), so it is read within a
budget before anything is judged: at most :data:`MAX_BYTES` read (a device or a 2 GB file costs no
more), a saved binary plan, NaN/Infinity or a nesting beyond :data:`MAX_DEPTH` refused, and every
part the plan target reads checked for the type Terraform writes there. Whatever is wrong ends in a
one-line :class:`PlanError` naming the file, the location and what was expected.

Shapes (https://developer.hashicorp.com/terraform/internals/json-format, format_version 1.x):
nested blocks are lists of objects in ``values``, ``after``, ``after_unknown``, ``sensitive_values``
and configuration ``expressions``; ``provider_config_key`` of a resource in a module that received
its provider (``providers = { aws = aws.dr }``) or inherited it is the root configuration's key
("aws.dr") since Terraform 1.1; keys Terraform does not resolve read "module.x:aws".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness import jsonfile
from readiness.jsonfile import JsonFileError
from readiness.outcome import Unknown

MAX_BYTES = 10 * 1024 * 1024  # 10 MB: a plan of this repo's roots is ~0.5 MB
MAX_DEPTH = 96  # Terraform's own nesting: modules in modules (2 levels each) and nested blocks
# Objects and arrays: a plan of this repo's SIT has one per ~57 bytes (6,400 in 367 kB); one per 10 bytes
# allows any real plan of 10 MB, and keeps what parsing allocates far below the 300 MB budget
MAX_CONTAINERS = 1_000_000
_INDEX = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"|\d+)\]')
_DELETES = frozenset({"delete"})


class PlanError(Exception):
    """The plan document cannot be used; the message names the file and what was expected."""


@dataclass(frozen=True)
class Planned:
    """One resource instance the plan leaves in place after apply."""

    address: str
    type: str
    region: str
    values: dict[str, Any]
    module: str = ""  # the module instance that holds it ('' for the root module)


@dataclass(frozen=True)
class Change:
    """One entry of resource_changes: what apply would do to one resource instance."""

    address: str
    type: str
    actions: tuple[str, ...]
    before: dict[str, Any]
    after: dict[str, Any]
    reason: str = ""  # action_reason ("replace_because_cannot_update", ...)
    deposed: str = ""  # the key of a deposed object (left by a failed create_before_destroy) it deletes

    @property
    def destroys(self) -> bool:
        """Delete, or replace in either order (["delete","create"], ["create","delete"])."""
        return bool(_DELETES & set(self.actions))


@dataclass(frozen=True)
class Provider:
    """One AWS provider configuration: what its region and account arguments resolve to (None: not shown)."""

    key: str
    region: str | None
    allowed: tuple[str, ...] | None = None
    forbidden: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    path: str
    variables: dict[str, Any]
    resources: tuple[Planned, ...]
    changes: tuple[Change, ...] = ()
    assumed_region: tuple[str, ...] = ()  # resources whose provider region the plan did not show
    providers: dict[str, Provider] = field(default_factory=dict)
    kept: tuple[str, ...] = ()  # resources read from prior_state: forgotten (removed blocks), still in AWS
    complete: bool = True  # false: Terraform deferred some changes to a later plan (deferred actions)
    drift: tuple[Change, ...] = ()  # resource_drift: what changed outside Terraform since the last apply

    def of_type(self, *types: str) -> Iterator[Planned]:
        return (r for r in self.resources if r.type in types)

    @property
    def replaced(self) -> list[str]:
        """Addresses the plan destroys (and maybe re-creates): data loss for a table."""
        return sorted(c.address for c in self.changes if c.destroys)


# ------------------------------------------------------------------------------------ reading the file


def read_document(path: str | Path) -> dict[str, Any]:
    """The JSON object in path, read within the budget; PlanError (one line) for anything else."""
    where = str(path)
    try:
        raw = jsonfile.read_bytes(path, MAX_BYTES)
    except JsonFileError as exc:
        raise PlanError(f"{where}: " + {
            jsonfile.MISSING: f"no such file (write it with: terraform show -json plan.out > {where})",
            jsonfile.UNREADABLE: f"cannot be read ({exc.detail})",
        }.get(exc.kind, f"larger than {MAX_BYTES // 2**20} MB; expected the JSON of one plan "
                        f"(terraform show -json plan.out)")) from None
    if raw.count(b"{") + raw.count(b"[") > MAX_CONTAINERS:  # counted in C before anything is parsed
        raise PlanError(f"{where}: more than {MAX_CONTAINERS:,} objects and arrays; not a Terraform plan")
    if raw.startswith(b"PK\x03\x04"):
        raise PlanError(f"{where}: a saved binary plan, not its JSON; run terraform show -json {where} > plan.json")
    try:
        doc = jsonfile.parse(raw, MAX_DEPTH, encoding="utf-8-sig")
    except JsonFileError as exc:
        raise PlanError(f"{where}: " + {
            jsonfile.NOT_UTF8: f"byte {exc.byte}: not UTF-8 text; expected terraform show -json output",
            jsonfile.NOT_JSON: f"line {exc.line}: not JSON ({exc.detail}); expected terraform show -json output",
            jsonfile.TOO_DEEP: f"nested deeper than {MAX_DEPTH} levels; not a Terraform plan",
        }.get(exc.kind, f"{exc.detail[:120]}; expected terraform show -json output")) from None
    if not isinstance(doc, dict):
        raise PlanError(f"{where}: a JSON {_kind(doc)}; expected the object terraform show -json plan.out writes")
    return doc


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number")


class _Shape:
    """Type checks of the parts the plan target reads, each failure one line naming the location."""

    def __init__(self, where: str) -> None:
        self.where = where

    def fail(self, at: str, expected: str, got: Any) -> PlanError:
        return PlanError(f"{self.where}: {at}: expected {expected}, got {_kind(got)}; "
                         f"is this terraform show -json output of a saved plan?")

    def obj(self, value: Any, at: str, *, optional: bool = True) -> dict[str, Any]:
        if value is None and optional:
            return {}
        if not isinstance(value, dict):
            raise self.fail(at, "an object", value)
        return value

    def arr(self, value: Any, at: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(at, "an array", value)
        return value

    def text(self, value: Any, at: str) -> str:
        if not isinstance(value, str):
            raise self.fail(at, "a string", value)
        return value

    def module(self, module: Any, at: str) -> Iterator[tuple[dict[str, Any], str]]:
        """Every resource of a planned_values/prior_state module tree, with where it is."""
        module = self.obj(module, at)
        for i, res in enumerate(self.arr(module.get("resources"), f"{at}.resources")):
            here = f"{at}.resources[{i}]"
            res = self.obj(res, here, optional=False)
            self.text(res.get("address"), f"{here}.address")
            self.text(res.get("type"), f"{here}.type")
            self.obj(res.get("values"), f"{here}.values")
            yield res, here
        for i, child in enumerate(self.arr(module.get("child_modules"), f"{at}.child_modules")):
            yield from self.module(child, f"{at}.child_modules[{i}]")


# ------------------------------------------------------------------------------------------- loading


def load_plan(path: str | Path, default_region: str) -> Plan:
    """Read ``terraform show -json`` output; PlanError with one line when it is not such a document."""
    where = str(path)
    doc = read_document(path)
    shape = _Shape(where)
    version = doc.get("format_version")
    if "planned_values" not in doc and isinstance(doc.get("values"), dict):
        raise PlanError(f"{where}: a state (terraform show -json without a plan file), not a plan; "
                        f"expected the JSON of a saved plan: terraform show -json plan.out")
    if not isinstance(version, str) or not re.fullmatch(r"1\.\d+", version):
        got = version if isinstance(version, str) else _kind(version)
        raise PlanError(f"{where}: format_version: expected a Terraform JSON plan (format_version 1.x, "
                        f"written by Terraform 1.1 or later), got {got}")
    if doc.get("errored") is True:
        raise PlanError(f"{where}: errored: Terraform could not finish this plan; fix its errors and plan again")
    planned = shape.obj(doc.get("planned_values"), "planned_values").get("root_module")
    if not isinstance(planned, dict):
        raise PlanError(f"{where}: planned_values.root_module: missing; expected the JSON of a saved plan "
                        f"(terraform show -json plan.out), not of a state")
    variables = {k: shape.obj(v, f"variables.{k}").get("value")
                 for k, v in shape.obj(doc.get("variables"), "variables").items()}
    changes, unknown = _changes(shape, doc.get("resource_changes"), "resource_changes")
    drift, _ = _changes(shape, doc.get("resource_drift"), "resource_drift")
    configuration = shape.obj(doc.get("configuration"), "configuration")
    providers = _providers(shape, configuration, variables)
    configured = _configured(shape, configuration, providers)
    raws = [(r, at) for r, at in shape.module(planned, "planned_values.root_module")
            if r.get("mode", "managed") == "managed"]
    prior = shape.obj(shape.obj(doc.get("prior_state"), "prior_state").get("values"), "prior_state.values")
    kept: list[str] = []
    seen = {str(r["address"]) for r, _ in raws}
    forgotten = {c.address for c in changes if c.actions == ("forget",)}  # a removed block: AWS keeps it
    for res, at in shape.module(prior.get("root_module"), "prior_state.values.root_module"):
        if res.get("mode", "managed") == "managed" and res["address"] in forgotten - seen:
            raws.append((res, at))
            kept.append(str(res["address"]))
    addresses = {str(r["address"]) for r, _ in raws}
    default = providers.get("aws")
    resources: list[Planned] = []
    assumed: list[str] = []
    for raw, _ in raws:
        address, kind = str(raw["address"]), str(raw["type"])
        module = address[:max(address.rfind(f"{kind}."), 1) - 1]
        region, expressions = configured.get(_INDEX.sub("", address), (None, {}))
        if region is None:
            assumed.append(address)
        after_unknown, after_sensitive = unknown.get(address, ({}, {}))
        values = _overlay(raw.get("values") or {}, after_unknown, address, _after_apply)
        for marks in (raw.get("sensitive_values") or {}, after_sensitive):  # either one says it is secret
            values = _overlay(values, marks, address, _sensitive)
        if not isinstance(values, dict):  # a mark of true for the whole resource: Terraform marks attributes
            raise PlanError(f"{where}: {address}: after_unknown or a sensitive mark covers the whole resource; "
                            "expected an object marking its attributes (terraform show -json output)")
        values = {k: _same_as(v, expressions.get(k), module, addresses) for k, v in values.items()}
        resources.append(Planned(address, kind, region or (default.region if default else None) or default_region,
                                 values, module))
    return Plan(where, variables, tuple(resources), tuple(changes), tuple(assumed), providers, tuple(kept),
                doc.get("complete") is not False, tuple(drift))


def _changes(shape: _Shape, entries: Any, section: str) -> tuple[list[Change], dict[str, Any]]:
    changes: list[Change] = []
    unknown: dict[str, Any] = {}
    for i, c in enumerate(shape.arr(entries, section)):
        at = f"{section}[{i}]"
        c = shape.obj(c, at, optional=False)
        address = shape.text(c.get("address"), f"{at}.address")
        change = shape.obj(c.get("change"), f"{at}.change")
        actions = tuple(shape.text(a, f"{at}.change.actions[{j}]")
                        for j, a in enumerate(shape.arr(change.get("actions"), f"{at}.change.actions")))
        if c.get("mode", "managed") != "managed":
            continue
        before = _overlay(shape.obj(change.get("before"), f"{at}.change.before"),
                          change.get("before_sensitive") or {}, address, _sensitive)
        unknown[address] = (change.get("after_unknown") or {}, change.get("after_sensitive") or {})
        changes.append(Change(address, str(c.get("type", "")), actions, dict(before),
                              shape.obj(change.get("after"), f"{at}.change.after"),
                              str(c.get("action_reason") or ""), str(c.get("deposed") or "")))
    return changes, unknown


def _after_apply(label: str) -> Unknown:
    return Unknown(f"(known after apply: {label})")


def _sensitive(label: str) -> Unknown:
    """A sensitive value is never printed: it stands as an Unknown that names it and not its value."""
    return Unknown(f"(not in the plan: {label} is marked sensitive)")


def _overlay(values: Any, marks: Any, label: str, make: Any) -> Any:
    """values with every leaf that marks (after_unknown, sensitive_values) sets true replaced by make(path)."""
    if isinstance(values, Unknown):  # already unknown (a whole block): nothing inside it to mark
        return values
    if marks is True:
        return make(label)
    if isinstance(marks, dict):
        out = dict(values) if isinstance(values, dict) else {}
        for key, mark in marks.items():
            if mark is not False and mark != {} and mark != []:
                out[key] = _overlay(out.get(key), mark, f"{label}.{key}", make)
        return out
    if isinstance(marks, list):
        seq = list(values) if isinstance(values, list) else []
        for i, mark in enumerate(marks):
            if i < len(seq):
                seq[i] = _overlay(seq[i], mark, f"{label}[{i}]", make)
            elif mark is not False and mark != {} and mark != []:
                seq.append(_overlay(None, mark, f"{label}[{i}]", make))
        return seq
    return values


_REFERENCE = re.compile(r"(?!(?:var|local|module|data|each|count|path|self|terraform)\.)"
                        r"([a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_]*)")


def _same_as(value: Any, expression: Any, module: str, addresses: set[str]) -> Any:
    """An unknown value whose configuration is exactly one other resource's attribute (`x = aws_y.z.arn`,
    `x = [aws_y.z.arn]`) is labelled as that attribute, so that both sides of a comparison agree."""
    references = expression.get("references") if isinstance(expression, dict) else None
    refs = {m.groups() for r in (references if isinstance(references, list) else [])
            if isinstance(r, str) and (m := _REFERENCE.fullmatch(r))}
    if len(refs) != 1:
        return value
    (resource, attribute), = refs
    address = f"{module}.{resource}" if module else resource
    if address not in addresses:
        return value
    label = _after_apply(f"{address}.{attribute}")
    if isinstance(value, Unknown) and value.startswith("(known after apply"):
        return label
    if isinstance(value, list) and value and all(isinstance(v, Unknown) for v in value):
        return [label for _ in value]
    return value


def _providers(shape: _Shape, configuration: dict[str, Any], variables: dict[str, Any]) -> dict[str, Provider]:
    """Every AWS provider configuration, by its provider_config key ("aws", "aws.dr", "module.x:aws")."""
    out: dict[str, Provider] = {}
    for key, block in shape.obj(configuration.get("provider_config"), "configuration.provider_config").items():
        at = f"configuration.provider_config.{key}"
        block = shape.obj(block, at)
        if block.get("name") != "aws" and not str(block.get("full_name", "")).endswith("hashicorp/aws"):
            continue
        expressions = shape.obj(block.get("expressions"), f"{at}.expressions")
        region = _resolve(expressions.get("region"), variables)
        allowed = _resolve(expressions.get("allowed_account_ids"), variables, many=True)
        forbidden = _resolve(expressions.get("forbidden_account_ids"), variables, many=True)
        out[key] = Provider(key, region if isinstance(region, str) else None,
                            tuple(allowed) if isinstance(allowed, list) else None,
                            tuple(forbidden) if isinstance(forbidden, list) else ())
    return out


def _resolve(expression: Any, variables: dict[str, Any], *, many: bool = False) -> Any:
    """A provider argument's value: a constant, or the first set root variable it refers to
    (`var.x`, `coalesce(var.a, var.b)`, `[var.account]`); None when the plan does not show it."""
    if not isinstance(expression, dict):
        return None
    constant = expression.get("constant_value")
    if constant is not None:
        ok = isinstance(constant, list) and all(isinstance(c, str) for c in constant) if many else \
            isinstance(constant, str)
        return constant if ok else None
    references = expression.get("references")
    for ref in references if isinstance(references, list) else []:
        if isinstance(ref, str) and ref.startswith("var.") and "." not in ref[4:]:
            value = variables.get(ref[4:])
            if isinstance(value, str):
                return [value] if many else value
            if many and isinstance(value, list) and all(isinstance(v, str) for v in value):
                return value
    return None


def _configured(shape: _Shape, configuration: dict[str, Any], providers: dict[str, Provider]
                ) -> dict[str, tuple[str | None, dict[str, Any]]]:
    """Per configured resource (address without instance keys): its provider's region and its expressions."""
    out: dict[str, tuple[str | None, dict[str, Any]]] = {}

    def region_of(key: str) -> str | None:
        """A key Terraform did not resolve to a root configuration ("module.x:aws") shows no region."""
        return providers[key].region if key in providers else None

    def visit(module: Any, prefix: str, at: str) -> None:
        module = shape.obj(module, at)
        for i, res in enumerate(shape.arr(module.get("resources"), f"{at}.resources")):
            res = shape.obj(res, f"{at}.resources[{i}]", optional=False)
            key = str(res.get("provider_config_key", ""))
            expressions = shape.obj(res.get("expressions"), f"{at}.resources[{i}].expressions")
            out[prefix + str(res.get("address", ""))] = (region_of(key), dict(expressions))
        for name, call in shape.obj(module.get("module_calls"), f"{at}.module_calls").items():
            call = shape.obj(call, f"{at}.module_calls.{name}")
            visit(call.get("module"), f"{prefix}module.{name}.", f"{at}.module_calls.{name}.module")

    visit(configuration.get("root_module"), "", "configuration.root_module")
    return out
