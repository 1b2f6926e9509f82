"""The CSV files people give the importer (a plan saved as CSV, a ``--leads`` or ``--themes``
file): their text whatever Excel saved it as, and their separator whatever the locale used."""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from planbook.core.errors import UnusableFileError


def decode(data: bytes) -> str:
    """The text of a CSV file: UTF-8 (with or without the BOM Excel writes), else Windows-1252,
    else Latin-1 (which reads any bytes, so nothing is refused for its encoding)."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def dialect_of(text: str, delimiters: str = ",;\t") -> type[csv.Dialect] | csv.Dialect:
    """The separator a file uses (a comma, or a semicolon where the decimal mark is a comma),
    guessed from its start; Excel's own dialect when nothing can be told."""
    try:
        return csv.Sniffer().sniff(text[:4096], delimiters=delimiters)
    except csv.Error:
        return csv.excel


def read_two_columns(path: str | os.PathLike[str], kind: str, columns: str) -> list[list[str]]:
    """The rows of a two-column ``--leads``/``--themes`` file; a file that cannot be read or
    parsed is one clear error naming the ``kind`` of file and the ``columns`` it should have."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise UnusableFileError(p, f"cannot read the {kind} file ({exc.strerror or type(exc).__name__})") from exc
    text = decode(data)
    try:
        return list(csv.reader(io.StringIO(text), dialect_of(text)))
    except csv.Error as exc:
        raise UnusableFileError(p, f"not a readable {kind} CSV file ({exc}); give two columns: {columns}") from exc
