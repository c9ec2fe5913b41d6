"""Provenance of a run: when, with which suite and contract, as whom, against what, with which options.

A report is evidence for a promotion; without these a READY cannot be traced to the code, the contract
and the account it judged. Nothing here may fail a run: what cannot be found is said (``None`` or
"not asked"), never guessed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from readiness import __version__

REPO_ROOT = Path(__file__).resolve().parents[2]
GIT_TIMEOUT_SECONDS = 5.0


def git_commit(root: Path = REPO_ROOT) -> str | None:
    """The commit the suite runs from: ``git rev-parse HEAD``, else CI's GITHUB_SHA, else None (no git,
    not a checkout, or git too slow); with ``+dirty`` when the work tree has uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                              timeout=GIT_TIMEOUT_SECONDS, check=False)
        if head.returncode == 0 and head.stdout.strip():
            dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                   capture_output=True, text=True, timeout=GIT_TIMEOUT_SECONDS, check=False)
            return head.stdout.strip() + ("+dirty" if dirty.returncode == 0 and dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return os.environ.get("GITHUB_SHA") or None


def contract_hash(root: Path) -> str:
    """sha256 over every file of the contract directory, in the order of their relative POSIX paths:
    each contributes its path, a NUL, the sha256 of its bytes and a newline (so renaming a file, or moving
    bytes between two files, changes the hash). Hidden files and symlinks are left out."""
    digest = hashlib.sha256()
    files = sorted((p for p in root.rglob("*") if p.is_file() and not p.is_symlink()
                    and not any(part.startswith(".") for part in p.relative_to(root).parts)),
                   key=lambda p: p.relative_to(root).as_posix())
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).hexdigest().encode() + b"\n")
    return "sha256:" + digest.hexdigest()


def provenance(*, started: str, finished: str, contract_root: Path | None, caller: Mapping[str, Any] | str,
               endpoint: str | None, options: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance block of readiness.json (DESIGN section 4)."""
    try:
        contract = contract_hash(contract_root) if contract_root is not None else None
    except OSError as exc:  # a contract that vanished after loading: say so, the report still goes out
        contract = f"not computed: {exc.strerror or exc}"
    return {
        "started": started,
        "finished": finished,
        "suite_version": __version__,
        "git_commit": git_commit(),
        "contract": str(contract_root) if contract_root is not None else None,
        "contract_sha256": contract,
        "caller": dict(caller) if isinstance(caller, Mapping) else caller,
        "endpoint": endpoint,
        "options": dict(options),
    }
