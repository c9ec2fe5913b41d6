"""The ADR index (docs/decisions/README.md) is complete: every decision listed, every gap explained."""

from __future__ import annotations

import re
from pathlib import Path

DECISIONS = Path(__file__).resolve().parents[1] / "docs" / "decisions"
INDEX = DECISIONS / "README.md"


def _numbers_in(spec: str) -> set[int]:
    """'0031-0034' -> {31, 32, 33, 34}; '0029' -> {29}."""
    low, _, high = spec.partition("-")
    return set(range(int(low), int(high or low) + 1))


def _index() -> tuple[dict[int, str], set[int]]:
    text = INDEX.read_text(encoding="utf-8")
    listed = {int(n): link for n, link in re.findall(r"^\| \[(\d{4})\]\(([^)]+)\) \|", text, flags=re.M)}
    unused_part = text.split("## Numbers not used", 1)[1]
    unused: set[int] = set()
    for spec in re.findall(r"^\| (\d{4}(?:-\d{4})?) \|", unused_part, flags=re.M):
        unused |= _numbers_in(spec)
    return listed, unused


def test_every_decision_file_is_listed_with_its_own_link() -> None:
    files = {int(f.name[:4]): f.name for f in DECISIONS.glob("[0-9][0-9][0-9][0-9]-*.md")}
    listed, _ = _index()
    assert listed == files, f"not listed: {sorted(set(files) - set(listed))}; listed without a file: " \
                            f"{sorted(set(listed) - set(files))}"


def test_every_missing_number_is_explained_and_no_used_number_is_called_unused() -> None:
    files = {int(f.name[:4]) for f in DECISIONS.glob("[0-9][0-9][0-9][0-9]-*.md")}
    _, unused = _index()
    gaps = set(range(max(files) + 1)) - files
    assert gaps <= unused, f"numbers with neither a file nor an explanation: {sorted(gaps - unused)}"
    assert not unused & files, f"called unused but have a file: {sorted(unused & files)}"


def test_no_two_decisions_share_a_number() -> None:
    numbers = [f.name[:4] for f in DECISIONS.glob("[0-9][0-9][0-9][0-9]-*.md")]
    assert len(numbers) == len(set(numbers))
