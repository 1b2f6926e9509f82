"""Where the files that ship with planbook are: the Word/email templates and the VBA source."""
from __future__ import annotations

from pathlib import Path


def resource_dir(name: str) -> Path:
    """``templates``/``macros``: the repository's folder in a checkout, else the installed copy."""
    package = Path(__file__).resolve().parents[1]  # src/planbook (this file is in planbook/core)
    repo = package.parents[1] / name
    return repo if repo.is_dir() else package / name


TEMPLATES = resource_dir("templates")
MACROS = resource_dir("macros")
