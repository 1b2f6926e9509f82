"""OneDrive and SharePoint addresses turned into the folders synced to this computer.

Excel gives a workbook opened from a synced OneDrive or SharePoint folder an ``https://`` path
(``ThisWorkbook.Path``, xlwings' ``Book.fullname``), not a folder.  The OneDrive client keeps,
for each synced library, its web address and its local folder in the Windows registry
(``HKCU\\Software\\SyncEngines\\Providers\\OneDrive\\*``: ``UrlNamespace`` and ``MountPoint``);
the ``OneDriveCommercial``, ``OneDriveConsumer`` and ``OneDrive`` environment variables name the
user's own OneDrive folders; ``PLANBOOK_SYNCED_FOLDERS`` adds pairs planbook cannot find itself
(``ADDRESS=FOLDER``, several separated by ``|``: a Mac, a library synced another way, tests).
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

#: The registry key under HKEY_CURRENT_USER where OneDrive lists every synced library.
REGISTRY_KEY = r"Software\SyncEngines\Providers\OneDrive"
#: Extra ADDRESS=FOLDER pairs, separated by "|".
EXTRA_VARIABLE = "PLANBOOK_SYNCED_FOLDERS"
#: A user's own OneDrive for work or school: the "Documents" library of their personal site.
_BUSINESS = re.compile(r"^https://[^/]+-my\.sharepoint\.com/personal/[^/]+/documents(?=/|$)", re.I)
#: A personal (consumer) OneDrive: d.docs.live.net/<drive id>.
_CONSUMER = re.compile(r"^https://d\.docs\.live\.net/[0-9a-f]+(?=/|$)", re.I)


@dataclass(frozen=True)
class SyncedFolder:
    """One synced library: its web address (``UrlNamespace``) and its folder here (``MountPoint``)."""

    address: str
    folder: str


def is_web_address(text: str) -> bool:
    """True for an http(s) address (a workbook or setting on OneDrive or SharePoint), not a folder."""
    return bool(re.match(r"^https?://", str(text).strip(), re.I))


def registry_synced_folders() -> list[SyncedFolder]:
    """The libraries the OneDrive client syncs, from the Windows registry ([] elsewhere)."""
    try:
        import winreg
    except ImportError:
        return []
    found = []
    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, REGISTRY_KEY) as providers:
            for i in range(winreg.QueryInfoKey(providers)[0]):
                try:
                    with winreg.OpenKey(providers, winreg.EnumKey(providers, i)) as entry:
                        address = winreg.QueryValueEx(entry, "UrlNamespace")[0]
                        folder = winreg.QueryValueEx(entry, "MountPoint")[0]
                except OSError:
                    continue
                if address and folder:
                    found.append(SyncedFolder(str(address), str(folder)))
    except OSError:
        return []
    return found


def extra_synced_folders(environ: Mapping[str, str]) -> list[SyncedFolder]:
    """The ADDRESS=FOLDER pairs of ``PLANBOOK_SYNCED_FOLDERS``."""
    found = []
    for pair in re.split(r"[|\n]", environ.get(EXTRA_VARIABLE, "")):
        address, sep, folder = pair.partition("=")
        if sep and address.strip() and folder.strip():
            found.append(SyncedFolder(address.strip(), folder.strip()))
    return found


def own_onedrive(address: str, environ: Mapping[str, str]) -> list[SyncedFolder]:
    """The user's own OneDrive folder for ``address``, from the environment variables Windows sets."""
    text = unquote(address.strip())
    for pattern, variables in ((_BUSINESS, ("OneDriveCommercial", "OneDrive")),
                               (_CONSUMER, ("OneDriveConsumer", "OneDrive"))):
        match = pattern.match(text)
        if match:
            return [SyncedFolder(match.group(0), environ[v]) for v in variables if environ.get(v)]
    return []


def _segments(address: str) -> list[str]:
    text = unquote(address.strip()).replace("\\", "/")
    scheme, _, rest = text.partition("://")
    return [scheme.lower()] + [s for s in rest.split("/") if s]


def local_path(address: str, synced: Sequence[SyncedFolder] | None = None,
               environ: Mapping[str, str] | None = None) -> Path | None:
    """The path on this computer of a OneDrive/SharePoint ``address``, or None when no synced folder
    holds it.  The library with the longest matching address wins (a library synced inside
    another); its folder must be here.  Addresses compare without case and percent-escapes, as
    SharePoint compares them; the rest of the address keeps its case."""
    environ = os.environ if environ is None else environ
    if synced is None:
        synced = [*registry_synced_folders(), *extra_synced_folders(environ)]
    candidates = [*synced, *own_onedrive(address, environ)]
    wanted = _segments(address)
    best: tuple[int, Path] | None = None
    for entry in candidates:
        prefix = _segments(entry.address)
        if len(prefix) > len(wanted) or [s.lower() for s in wanted[:len(prefix)]] != [s.lower() for s in prefix]:
            continue
        folder = Path(entry.folder)
        if not folder.is_dir():
            continue
        if best is None or len(prefix) > best[0]:
            best = (len(prefix), folder.joinpath(*wanted[len(prefix):]))
    return best[1] if best else None


def web_folder(address: str) -> str:
    """The folder part of a workbook's web address (what ``ThisWorkbook.Path`` gives for it)."""
    return address.rstrip("/").rpartition("/")[0]
