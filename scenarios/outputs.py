"""Writing run outputs so that a crash never leaves a half-written result that looks complete.

A run writes into a fresh ``<out>.partial-<pid>`` folder; only when every file is written is
it renamed to ``<out>`` (a previous ``<out>`` is kept as ``<out>.prev``). Single files are
written to a temporary name, flushed to disk and renamed into place.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, obj) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, allow_nan=False) + "\n")


class RunFolder:
    """Context manager: yields a staging folder, publishes it as ``out`` on success."""

    def __init__(self, out: Path):
        self.out = Path(out)
        self.staging = self.out.with_name(f"{self.out.name}.partial-{os.getpid()}")

    def __enter__(self) -> Path:
        if self.out.exists() and not self.out.is_dir():
            raise FileExistsError(f"{self.out} exists and is not a folder")
        self.out.parent.mkdir(parents=True, exist_ok=True)
        if self.staging.exists():
            shutil.rmtree(self.staging)
        self.staging.mkdir()
        return self.staging

    def __exit__(self, exc_type, exc, tb) -> bool:
        if exc_type is not None:
            return False  # leave the .partial folder for inspection; it is never the result
        if self.out.exists():
            prev = self.out.with_name(f"{self.out.name}.prev")
            if prev.exists():
                shutil.rmtree(prev)
            os.replace(self.out, prev)
        os.replace(self.staging, self.out)
        return False
