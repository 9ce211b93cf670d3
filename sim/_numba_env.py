"""Cache folders, and Numba's cache pointed at one before numba is first imported.

In a source checkout caches go to ``<checkout>/.cache/`` (git-ignored); in an installed
copy to ``$XDG_CACHE_HOME/kav/``. A user's own ``NUMBA_CACHE_DIR`` wins.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(name: str) -> Path:
    """The folder for one kind of cached data (created on first use by the caller)."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / ".git").exists():
        return checkout / ".cache" / name
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kav" / name


def configure_numba_cache() -> str:
    """Set ``NUMBA_CACHE_DIR`` if unset and return the folder in use."""
    existing = os.environ.get("NUMBA_CACHE_DIR")
    if existing:
        return existing
    folder = str(cache_dir("numba"))
    os.environ["NUMBA_CACHE_DIR"] = folder
    return folder
