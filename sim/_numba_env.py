"""Point Numba's on-disk cache at a folder we own, before numba is first imported.

In a source checkout the cache goes to ``<checkout>/.cache/numba`` (git-ignored); in an
installed copy to ``$XDG_CACHE_HOME/kav/numba``. A user's own ``NUMBA_CACHE_DIR`` wins.
"""

from __future__ import annotations

import os
from pathlib import Path


def configure_numba_cache() -> str:
    """Set ``NUMBA_CACHE_DIR`` if unset and return the folder in use."""
    existing = os.environ.get("NUMBA_CACHE_DIR")
    if existing:
        return existing
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / ".git").exists():
        folder = checkout / ".cache" / "numba"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / "kav" / "numba"
    os.environ["NUMBA_CACHE_DIR"] = str(folder)
    return str(folder)
