"""readiness/jsonfile.py: the one bounded, strict JSON reader behind the plan target, the site and readiness diff.
Each refusal has its kind and position; the callers' own wording is tested by the hostile corpora."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from readiness import jsonfile
from readiness.jsonfile import JsonFileError, depth_beyond


def nested(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize(("raw", "kind", "where"), [
    (b'{"a": 1,\n "b": }', jsonfile.NOT_JSON, ("line", 2)),
    (b'{"a": NaN}', jsonfile.BAD_NUMBER, None),
    (b'{"a": -Infinity}', jsonfile.BAD_NUMBER, None),
    (b'{"a": ' + b"9" * 5000 + b"}", jsonfile.BAD_NUMBER, None),
    (b'{"a": "\xff"}', jsonfile.NOT_UTF8, ("byte", 7)),
    (b"[" * 100_000 + b"]" * 100_000, jsonfile.TOO_DEEP, None),
    (b"[" * 11 + b"]" * 11, jsonfile.TOO_DEEP, None),
])
def test_each_refusal_has_its_kind_and_position(raw: bytes, kind: str, where: tuple[str, int] | None) -> None:
    with pytest.raises(JsonFileError) as caught:
        jsonfile.parse(raw, max_depth=10)
    assert caught.value.kind == kind
    if where is not None:
        assert getattr(caught.value, where[0]) == where[1]


def test_the_depth_limit_is_the_nesting_of_objects_and_arrays() -> None:
    assert jsonfile.parse(b"[" * 10 + b"]" * 10, max_depth=10) == nested(10)
    five = {"a": {"b": [1, {"c": []}]}}  # an object, an object, an array, an object, an array
    assert depth_beyond(five, 5) is None
    assert depth_beyond(five, 4) == ("a", "b", 1, "c")
    assert depth_beyond(five, 3) == ("a", "b", 1)
    assert depth_beyond("a scalar", 0) is None


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=3),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
                    max_leaves=20), st.integers(min_value=1, max_value=8))
def test_depth_beyond_agrees_with_a_recursive_count(document: object, limit: int) -> None:
    def depth(value: object) -> int:
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
        return 0 if children is None else 1 + max((depth(c) for c in children), default=0)

    assert (depth_beyond(document, limit) is not None) == (depth(document) > limit)


def test_files_missing_unreadable_and_too_large(tmp_path: Path) -> None:
    with pytest.raises(JsonFileError) as caught:
        jsonfile.read(tmp_path / "none.json", max_bytes=100, max_depth=5)
    assert caught.value.kind == jsonfile.MISSING
    with pytest.raises(JsonFileError) as caught:
        jsonfile.read(tmp_path, max_bytes=100, max_depth=5)  # a directory
    assert caught.value.kind == jsonfile.UNREADABLE
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b"1," * 100 + b"1]")
    with pytest.raises(JsonFileError) as caught:
        jsonfile.read(big, max_bytes=100, max_depth=5)
    assert caught.value.kind == jsonfile.TOO_LARGE
    assert jsonfile.read(big, max_bytes=1000, max_depth=5) == [1] * 101
