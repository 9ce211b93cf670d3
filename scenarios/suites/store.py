"""The results store: a DuckDB file with one row per run, appended as each run finishes.

Each append is its own committed transaction, so a suite killed at any moment keeps every
row it had written. ``run_id`` is the primary key: a run can be in the store once at most,
whatever happens around a crash and a resume. Missing numbers are SQL NULL (NaN in the
rows handed back), so averages in SQL skip them instead of counting them as zero.

``export`` writes ``results.parquet`` and ``results.csv`` next to the store (temporary name
first, then renamed, so a half-written export never looks complete).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from scenarios.suites.rows import COLUMNS

STORE = "results.duckdb"
_TABLE = "runs"


class StoreError(RuntimeError):
    """The store cannot be opened or read (locked by a running suite, not a kav store)."""


class ResultStore:
    """Open (or create) the store at ``path``; ``read_only`` for reports."""

    def __init__(self, path: Path, read_only: bool = False):
        import duckdb

        self.path = Path(path)
        if read_only and not self.path.is_file():
            raise StoreError(f"{self.path}: no results store (is this a suite folder?)")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreError(f"{self.path}: cannot open the results store ({exc}); is a "
                             "suite still running in this folder?") from None
        except duckdb.Error as exc:
            raise StoreError(f"{self.path}: not a readable results store ({exc})") from None
        if not read_only:
            cols = ", ".join(f"{name} {typ}" for name, (typ, _) in COLUMNS.items())
            self.con.execute(f"CREATE TABLE IF NOT EXISTS {_TABLE} ({cols}, "
                             "PRIMARY KEY (run_id))")
        self._check_columns()

    def _check_columns(self) -> None:
        try:
            got = [r[0] for r in self.con.execute(
                f"SELECT column_name FROM information_schema.columns WHERE table_name = "
                f"'{_TABLE}' ORDER BY ordinal_position").fetchall()]
        except Exception as exc:  # noqa: BLE001 (duckdb raises several kinds here)
            raise StoreError(f"{self.path}: not a kav results store ({exc})") from None
        if got != list(COLUMNS):
            raise StoreError(f"{self.path}: its columns ({', '.join(got) or 'none'}) are not "
                             "those of this kav version's store; start a new --out folder")

    def append(self, row: dict) -> bool:
        """Insert and commit one run's row; False if that run is already stored."""
        values = [None if isinstance(row[c], float) and math.isnan(row[c]) else row[c]
                  for c in COLUMNS]
        marks = ", ".join("?" * len(COLUMNS))
        # autocommit: the insert is in DuckDB's write-ahead log when execute returns; an
        # ignored duplicate returns no row
        return bool(self.con.execute(f"INSERT OR IGNORE INTO {_TABLE} VALUES ({marks}) "
                                     "RETURNING run_id", values).fetchall())

    def count(self) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {_TABLE}").fetchone()[0])

    def done_ids(self) -> set[str]:
        return {r[0] for r in self.con.execute(f"SELECT run_id FROM {_TABLE}").fetchall()}

    def rows(self) -> list[dict]:
        """Every row, in plan order."""
        cur = self.con.execute(f"SELECT * FROM {_TABLE} ORDER BY idx")
        names = [d[0] for d in cur.description]
        out = []
        for rec in cur.fetchall():
            row = dict(zip(names, rec))
            for c, (typ, _) in COLUMNS.items():
                if typ == "DOUBLE" and row[c] is None:
                    row[c] = math.nan
                elif typ == "VARCHAR" and row[c] is None:
                    row[c] = ""
            out.append(row)
        return out

    def export(self, folder: Path) -> list[Path]:
        """results.parquet and results.csv (plan order) into ``folder``."""
        written = []
        for name, opts in (("results.parquet", "FORMAT parquet"), ("results.csv", "HEADER")):
            final = Path(folder) / name
            tmp = final.with_name(f".{name}.tmp-{os.getpid()}")
            tmp_sql = str(tmp).replace("'", "''")
            self.con.execute(f"COPY (SELECT * FROM {_TABLE} ORDER BY idx) TO '{tmp_sql}' "
                             f"({opts})")
            os.replace(tmp, final)
            written.append(final)
        return written

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> ResultStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
