"""Where the files that ship with planbook are: the Word/email templates and the VBA source."""
from __future__ import annotations

from pathlib import Path


def resource_dir(name: str) -> Path:
    """``templates``/``macros``: the repository's folder in a checkout, else the installed copy."""
    here = Path(__file__).resolve().parent
    repo = here.parents[1] / name
    return repo if repo.is_dir() else here / name


TEMPLATES = resource_dir("templates")
MACROS = resource_dir("macros")
