"""Editing a private copy of contracts/: shared by the lint, schema and fuzz tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

REAL_CONTRACTS = Path(__file__).resolve().parent.parent / "contracts"


@contextmanager
def yaml_doc(root: Path, rel: str) -> Iterator[Any]:
    """Load root/rel, let the caller edit it in place, write it back."""
    path = root / rel
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    yield doc
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")


@contextmanager
def json_doc(root: Path, rel: str) -> Iterator[Any]:
    """Load root/rel as JSON, let the caller edit it in place, write it back."""
    path = root / rel
    doc = json.loads(path.read_text(encoding="utf-8"))
    yield doc
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
