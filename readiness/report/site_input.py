"""Reading a run's readiness.json and cucumber.json for the site: bounded in size and depth, strict JSON, the
shape checked; every problem one DocsError line naming the file and where."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema

from readiness import jsonfile
from readiness.jsonfile import JsonFileError
from readiness.outcome import FAIL, NOT_APPLICABLE, PASS, UNVERIFIABLE


class DocsError(Exception):
    """Bad input: one line ``file: what was expected``."""


# ============================================================================ input shapes

_CHECK = {
    "type": "object",
    "required": ["id", "criterion", "resource", "status", "reason"],
    "properties": {
        "id": {"type": "string"}, "criterion": {"type": "string"}, "resource": {"type": "string"},
        "status": {"enum": [PASS, FAIL, UNVERIFIABLE, NOT_APPLICABLE]}, "reason": {"type": "string"},
    },
}
_FIGURE = {
    "type": "object",
    "required": ["name", "value"],
    "properties": {
        "name": {"type": "string"}, "value": {"type": ["number", "null"]}, "unit": {"type": "string"},
        "target": {"type": ["number", "null"]}, "limit": {"enum": ["max", "min", None]},
    },
}
_MEASUREMENT = {
    "type": "object",
    "required": ["id", "status", "figures"],
    "properties": {
        "id": {"type": "string"}, "criterion": {"type": "string"}, "resource": {"type": "string"},
        "status": {"enum": [PASS, FAIL, UNVERIFIABLE, NOT_APPLICABLE]}, "reason": {"type": "string"},
        "figures": {"type": "array", "items": _FIGURE},
    },
}
READINESS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["environment", "target", "verdict", "summary", "checks"],
    "properties": {
        "environment": {"type": "string"}, "target": {"type": "string"},
        "verdict": {"enum": ["READY", "BLOCKED", "INCOMPLETE", "ERROR"]},
        "summary": {"type": "object", "required": [PASS, FAIL, UNVERIFIABLE],
                    "properties": {k: {"type": "integer"} for k in (PASS, FAIL, UNVERIFIABLE)}},
        "api_calls": {"type": "integer"},
        "checks": {"type": "array", "items": _CHECK},
        "provenance": {"type": "object", "properties": {"started": {"type": ["string", "null"], "maxLength": 64},
                                                        "git_commit": {"type": ["string", "null"],
                                                                       "maxLength": 128}}},
        "measurements": {"type": "array", "items": _MEASUREMENT},
    },
}
CUCUMBER_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["uri", "elements"],
        "properties": {
            "uri": {"type": "string"},
            "elements": {"type": "array", "items": {
                "type": "object",
                "required": ["name", "steps"],
                "properties": {
                    "name": {"type": "string"},
                    "steps": {"type": "array", "items": {
                        "type": "object", "required": ["result"],
                        "properties": {"result": {"type": "object", "required": ["status"],
                                                  "properties": {"status": {"type": "string"}}}},
                    }},
                },
            }},
        },
    },
}


MAX_INPUT_BYTES = 8 * 1024 * 1024  # a full run's cucumber JSON is well under 1 MiB
MAX_DEPTH = 64  # a report nests 6 levels; an expected/actual value a few more
_VALIDATORS = {id(schema): jsonschema.Draft202012Validator(schema) for schema in (READINESS_SCHEMA, CUCUMBER_SCHEMA)}


def read_bytes(path: Path, what: str) -> bytes:
    """The file's bytes, never more than MAX_INPUT_BYTES of them in memory."""
    try:
        return jsonfile.read_bytes(path, MAX_INPUT_BYTES)
    except JsonFileError as exc:
        raise DocsError(f"{path}: expected {what} " + {
            jsonfile.MISSING: "(the file is missing)",
            jsonfile.UNREADABLE: f"(cannot read it: {exc.detail})",
        }.get(exc.kind, f"of at most {MAX_INPUT_BYTES // (1024 * 1024)} MiB (it is larger)")) from None


def read_json(path: Path, schema: dict[str, Any], what: str) -> Any:
    """A report file as data: one DocsError line naming the file (and where in it) when it is missing, larger
    than MAX_INPUT_BYTES, not UTF-8, not JSON, NaN/Infinity, nested deeper than MAX_DEPTH, or not the shape
    ``schema`` says; in time and memory bounded by the file's size."""
    data = read_bytes(path, what)
    try:
        document = jsonfile.parse(data, MAX_DEPTH)
    except JsonFileError as exc:
        if exc.kind == jsonfile.TOO_DEEP and exc.path is not None:
            deep = "/" + "/".join(str(p) for p in exc.path[:8]) + "/..."
            raise DocsError(f"{path}: {deep}: expected {what}: nested deeper than {MAX_DEPTH} levels") from None
        reason = "an integer of more than 4300 digits" if "digits" in exc.detail else exc.detail
        raise DocsError(f"{path}: expected {what} " + {
            jsonfile.NOT_UTF8: f"(byte {exc.byte} is not UTF-8: a binary file?)",
            jsonfile.NOT_JSON: f"in JSON (line {exc.line}: {exc.detail})",
            jsonfile.TOO_DEEP: f"in JSON (nested deeper than {MAX_DEPTH} levels)",
        }.get(exc.kind, f"in JSON ({reason})")) from None
    validator = _VALIDATORS.get(id(schema)) or jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(document))
    if error is not None:
        location = "/" + "/".join(str(p) for p in error.absolute_path)
        message = " ".join(error.message.split())
        raise DocsError(f"{path}: {location}: expected {what}: {message[:200]}")
    return document
