"""OneDrive and SharePoint addresses to the folders synced to this computer (planbook.files.synced),
and the buttons' Python side taking a workbook's https:// location (the xlwings way)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import planbook.excel as excel
from planbook.core.errors import PlanbookError
from planbook.files.synced import (
    SyncedFolder,
    extra_synced_folders,
    is_web_address,
    local_path,
    own_onedrive,
    registry_synced_folders,
    web_folder,
)

LIBRARY = "https://contoso.sharepoint.com/sites/Partnership/Shared Documents"


@pytest.fixture
def here(tmp_path):
    """Folders as OneDrive syncs them on a coordinator's computer."""
    folders = {"library": tmp_path / "Contoso" / "Partnership - Documents",
               "subfolder": tmp_path / "Contoso" / "Plans 2009",
               "business": tmp_path / "OneDrive - Contoso",
               "personal": tmp_path / "OneDrive"}
    for folder in folders.values():
        folder.mkdir(parents=True)
    return folders


def test_a_library_address_becomes_its_folder_with_the_rest_of_the_path(here):
    synced = [SyncedFolder(LIBRARY + "/", str(here["library"]))]
    assert local_path(f"{LIBRARY}/Plans/Q2", synced, {}) == here["library"] / "Plans" / "Q2"
    assert local_path(LIBRARY, synced, {}) == here["library"]


@pytest.mark.parametrize("address", [
    "https://contoso.sharepoint.com/sites/Partnership/Shared%20Documents/Plans/Q2",  # %-escaped
    "https://CONTOSO.sharepoint.com/sites/partnership/shared documents/Plans/Q2",  # another case
    "https://contoso.sharepoint.com/sites/Partnership/Shared Documents/Plans/Q2/",  # a closing slash
    "https://contoso.sharepoint.com/sites/Partnership/Shared Documents\\Plans\\Q2",  # backslashes
])
def test_addresses_compare_as_sharepoint_compares_them(here, address):
    synced = [SyncedFolder(LIBRARY, str(here["library"]))]
    assert local_path(address, synced, {}) == here["library"] / "Plans" / "Q2"


def test_the_library_synced_deepest_wins(here):
    """A folder of a library synced on its own (or a shortcut) as well as the whole library."""
    synced = [SyncedFolder(LIBRARY, str(here["library"])),
              SyncedFolder(f"{LIBRARY}/Plans 2009", str(here["subfolder"]))]
    assert local_path(f"{LIBRARY}/Plans 2009/Q2", synced, {}) == here["subfolder"] / "Q2"
    assert local_path(f"{LIBRARY}/Other", synced, {}) == here["library"] / "Other"


def test_no_folder_here_or_no_library_is_none(here, tmp_path):
    assert local_path(f"{LIBRARY}/Plans", [SyncedFolder(LIBRARY, str(tmp_path / "gone"))], {}) is None
    assert local_path("https://contoso.sharepoint.com/sites/Finance/Shared Documents/x",
                      [SyncedFolder(LIBRARY, str(here["library"]))], {}) is None
    assert local_path("https://contoso.sharepoint.com/sites/Partnership/Shared Documentsx/Plans",
                      [SyncedFolder(LIBRARY, str(here["library"]))], {}) is None  # whole segments only


def test_ones_own_onedrive_from_the_environment_variables(here):
    business = "https://contoso-my.sharepoint.com/personal/jane_smith_contoso_gov_uk/Documents"
    env = {"OneDriveCommercial": str(here["business"]), "OneDriveConsumer": str(here["personal"]),
           "OneDrive": str(here["personal"])}
    assert local_path(f"{business}/Plans/Q2", [], env) == here["business"] / "Plans" / "Q2"
    assert local_path("https://d.docs.live.net/1a2b3c4d5e6f/Plans", [], env) == here["personal"] / "Plans"
    # Only OneDrive set (one account): it serves either kind.
    assert local_path(f"{business}/Plans", [], {"OneDrive": str(here["business"])}) == here["business"] / "Plans"
    assert own_onedrive("https://contoso.sharepoint.com/sites/Partnership/Shared Documents/x", env) == []


def test_extra_pairs_from_the_planbook_variable(here):
    env = {"PLANBOOK_SYNCED_FOLDERS": f"{LIBRARY}={here['library']}|https://x.example/a={here['subfolder']}\n"
                                      "not a pair|=nothing"}
    pairs = extra_synced_folders(env)
    assert pairs == [SyncedFolder(LIBRARY, str(here["library"])), SyncedFolder("https://x.example/a", str(here["subfolder"]))]
    assert local_path(f"{LIBRARY}/Plans", None, env) == here["library"] / "Plans"


def test_the_registry_is_read_only_on_windows():
    assert registry_synced_folders() == []  # no winreg here: nothing, and no error


def test_web_addresses_and_their_folders():
    assert is_web_address("https://contoso.sharepoint.com/x") and is_web_address(" HTTP://x")
    assert not is_web_address("C:\\Users\\jane\\Plans") and not is_web_address("/home/jane")
    assert web_folder(f"{LIBRARY}/Plans/Coordinator.xlsm") == f"{LIBRARY}/Plans"
    assert excel.workbook_folder(f"{LIBRARY}/Plans/Coordinator.xlsm") == f"{LIBRARY}/Plans"
    assert excel.workbook_folder("/home/jane/Plans/Coordinator.xlsm") == "/home/jane/Plans"


# ---- the buttons' Python side, given an https:// location (as xlwings gives Book.fullname) ---------

@pytest.fixture
def on_sharepoint(demo, here, monkeypatch):
    folder = here["library"] / "Plans"
    folder.mkdir()
    shutil.copy(demo.folder / "plan.xlsx", folder / "plan.xlsx")
    shutil.copytree(demo.folder / "returns", folder / "returns")
    monkeypatch.setenv("PLANBOOK_SYNCED_FOLDERS", f"{LIBRARY}={here['library']}")
    return folder


def _settings(**more: str) -> dict[str, str]:
    return {**{name: default for name, (_, default) in excel.SETTINGS.items()}, **more}


def test_a_job_at_a_sharepoint_address_runs_in_the_synced_folder(on_sharepoint):
    result = excel.run_job("consolidate", _settings(), f"{LIBRARY}/Plans")
    assert result.output == str(on_sharepoint / "output" / "consolidated.xlsx")
    assert all(Path(row[2]).is_relative_to(on_sharepoint) for row in result.issues)  # the links open local files


def test_a_setting_that_is_an_address_is_mapped_too(on_sharepoint, tmp_path):
    result = excel.run_job("split", _settings(pb_master_plan=f"{LIBRARY}/Plans/plan.xlsx",
                                              pb_output_folder=str(tmp_path / "out")), str(tmp_path))
    assert result.output == str(tmp_path / "out" / "for-leads")
    with pytest.raises(PlanbookError, match=r"^'Master plan workbook' is the web address https://elsewhere\.example/p"
                                            r"\.xlsx, and no OneDrive or SharePoint folder"):
        excel.run_job("split", _settings(pb_master_plan="https://elsewhere.example/p.xlsx"), str(tmp_path))


def test_no_synced_folder_names_the_setting_to_fill_in(on_sharepoint, monkeypatch):
    monkeypatch.delenv("PLANBOOK_SYNCED_FOLDERS")
    address = f"{LIBRARY}/Plans"
    label = excel.SETTINGS["pb_local_folder"][0]
    with pytest.raises(PlanbookError) as caught:
        excel.run_job("consolidate", _settings(), address)
    assert str(caught.value) == (
        f"this workbook is open from {address}, which is not a folder on this computer, and no OneDrive or "
        f"SharePoint folder synced here holds it: fill in '{label}' on the Control sheet with the folder on this "
        "computer that holds its files")
    result = excel.run_job("consolidate", _settings(pb_local_folder=str(on_sharepoint)), address)
    assert result.output == str(on_sharepoint / "output" / "consolidated.xlsx")
    with pytest.raises(PlanbookError, match="must be a full path"):
        excel.run_job("consolidate", _settings(pb_local_folder="Plans"), address)


def test_full_paths_need_no_folder_for_the_workbook(on_sharepoint, monkeypatch, tmp_path):
    """Every path given in full: the workbook's own location does not matter, synced or not."""
    monkeypatch.delenv("PLANBOOK_SYNCED_FOLDERS")
    result = excel.run_job("split", _settings(pb_master_plan=str(on_sharepoint / "plan.xlsx"),
                                              pb_output_folder=str(tmp_path / "out")),
                           "https://contoso.sharepoint.com/sites/Finance/Shared Documents")
    assert result.output == str(tmp_path / "out" / "for-leads")
