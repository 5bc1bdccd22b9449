"""Fixtures of the regions tests: CSV files written the way they arrive from the field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def csv_file(tmp_path: Path) -> Callable[..., Path]:
    """Write `lines` (joined by `newline`) in `encoding` and return the file's path."""

    def write(
        *lines: str,
        encoding: str = "utf-8",
        newline: str = "\n",
        name: str = "wilayah.csv",
    ) -> Path:
        path = tmp_path / name
        path.write_bytes((newline.join(lines) + newline).encode(encoding))
        return path

    return write
