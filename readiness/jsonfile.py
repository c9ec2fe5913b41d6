"""Reading a JSON file someone handed us, within bounds: the one reader of plans, reports and cucumber JSON.

At most ``max_bytes`` are read (a device or a 2 GB file costs no more), the text must be UTF-8, NaN and
Infinity are refused (they are not JSON), and a document nested deeper than ``max_depth`` is refused, checked
iteratively so that no input reaches the recursion limit. Every refusal is a :class:`JsonFileError` with a
``kind`` and the position, and each caller words it for its own users (a plan, a report, a site input):
this module never prints.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MISSING, UNREADABLE, TOO_LARGE, NOT_UTF8, NOT_JSON, TOO_DEEP, BAD_NUMBER = (
    "missing", "unreadable", "too-large", "not-utf8", "not-json", "too-deep", "bad-number")


class JsonFileError(Exception):
    """Why a file is not a JSON document we accept: ``kind`` (one of the constants above), ``detail`` (the
    OS's or the parser's words, one line), and where: ``line`` for JSON syntax, ``byte`` for UTF-8."""

    def __init__(self, kind: str, detail: str = "", *, line: int | None = None, column: int | None = None,
                 byte: int | None = None, path: tuple[Any, ...] | None = None) -> None:
        super().__init__(f"{kind}: {detail}")
        self.kind, self.detail, self.byte = kind, " ".join(detail.split()), byte
        self.line, self.column = line, column
        self.path = path  # TOO_DEEP after parsing: the keys and indexes down to the first value too deep


def read_bytes(path: Path | str, max_bytes: int) -> bytes:
    """The file's bytes, never more than ``max_bytes + 1`` of them in memory (TOO_LARGE beyond)."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise JsonFileError(MISSING) from None
    except OSError as exc:
        raise JsonFileError(UNREADABLE, str(exc.strerror or type(exc).__name__)) from None
    if len(raw) > max_bytes:
        raise JsonFileError(TOO_LARGE, f"larger than {max_bytes} bytes")
    return raw


def parse(raw: bytes, max_depth: int, *, encoding: str = "utf-8") -> Any:
    """The JSON document in ``raw``: strict (no NaN/Infinity) and nested at most ``max_depth`` deep."""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise JsonFileError(NOT_UTF8, "not UTF-8", byte=exc.start) from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise JsonFileError(NOT_JSON, exc.msg, line=exc.lineno, column=exc.colno) from None
    except RecursionError:
        raise JsonFileError(TOO_DEEP, f"nested deeper than {max_depth} levels") from None
    except ValueError as exc:  # NaN/Infinity (below), an integer of more than 4300 digits
        raise JsonFileError(BAD_NUMBER, str(exc)) from None
    deep = depth_beyond(document, max_depth)
    if deep is not None:
        raise JsonFileError(TOO_DEEP, f"nested deeper than {max_depth} levels", path=deep)
    return document


def read(path: Path | str, *, max_bytes: int, max_depth: int, encoding: str = "utf-8") -> Any:
    return parse(read_bytes(path, max_bytes), max_depth, encoding=encoding)


def depth_beyond(document: Any, limit: int) -> tuple[Any, ...] | None:
    """The keys and indexes down to the first object or array nested deeper than ``limit`` (the document itself
    is depth 1), or None. Iterative, with memory bounded by the depth."""
    if not isinstance(document, dict | list):
        return None
    if limit < 1:
        return ()
    stack: list[tuple[Iterator[tuple[Any, Any]], tuple[Any, ...]]] = [(_children(document), ())]
    while stack:
        children, path = stack[-1]
        for key, child in children:
            if isinstance(child, dict | list):
                here = (*path, key)
                if len(stack) + 1 > limit:
                    return here
                stack.append((_children(child), here))
                break
        else:
            stack.pop()
    return None


def _children(container: dict[Any, Any] | list[Any]) -> Iterator[tuple[Any, Any]]:
    return iter(container.items()) if isinstance(container, dict) else enumerate(container)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")
