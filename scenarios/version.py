"""The code version stamped into every result."""

from __future__ import annotations

import platform
import subprocess
from importlib import metadata
from pathlib import Path

# Floating-point results depend on these (numpy's vectorised maths changes between major
# versions, Numba/LLVM generate the kernels): a run is reproducible for the same versions.
_DEPENDENCIES = ("numpy", "numba", "llvmlite", "carla")


def _dist_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def code_version() -> dict:
    """{"package", "git_commit", "git_dirty", "python", "dependencies": {name: version}}."""
    version = _dist_version("kav-testbed") or "0+unknown"
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
    return {"package": version, "git_commit": commit or None, "git_dirty": dirty,
            "python": platform.python_version(),
            "dependencies": {name: _dist_version(name) for name in _DEPENDENCIES}}
