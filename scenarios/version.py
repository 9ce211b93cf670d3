"""The code version stamped into every result."""

from __future__ import annotations

import subprocess
from importlib import metadata
from pathlib import Path


def code_version() -> dict:
    """{"package": version, "git_commit": sha or None, "git_dirty": bool or None}."""
    try:
        version = metadata.version("kav-testbed")
    except metadata.PackageNotFoundError:
        version = "0+unknown"
    root = Path(__file__).resolve().parent.parent
    commit, dirty = None, None
    if (root / ".git").exists():
        try:
            commit = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"],
                                    capture_output=True, text=True, timeout=5).stdout.strip()
            status = subprocess.run(["git", "-C", str(root), "status", "--porcelain",
                                     "--untracked-files=no"],
                                    capture_output=True, text=True, timeout=5).stdout
            dirty = bool(status.strip())
        except (OSError, subprocess.SubprocessError):
            commit = None
    return {"package": version, "git_commit": commit or None, "git_dirty": dirty}
