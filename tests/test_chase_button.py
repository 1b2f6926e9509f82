"""The coordinator workbook's Chase leads button, the xlwings way (``planbook.excel.run_job``) and as built.

The command-line way (LibreOffice clicking the button) is in ``tests/test_buttons_libreoffice.py``.
"""
from __future__ import annotations

import email
import shutil
from email import policy

import pytest
from python_calamine import CalamineWorkbook

import planbook.excel as excel
from planbook.coordinator import build_coordinator
from planbook.core.errors import PlanbookError
from planbook.rollup.pipeline import track_returns


@pytest.fixture(scope="module")
def folder(demo, tmp_path_factory):
    """The demo's plan, returns and the copies as sent (output/for-leads), with a fresh Coordinator.xlsm."""
    folder = tmp_path_factory.mktemp("chase") / "plan folder"
    folder.mkdir()
    shutil.copy(demo.folder / "plan.xlsx", folder / "plan.xlsx")
    shutil.copytree(demo.folder / "returns", folder / "returns")
    shutil.copytree(demo.folder / "for-leads", folder / "output" / "for-leads")
    build_coordinator(folder / "Coordinator.xlsm")
    return folder


def test_the_workbook_has_the_button_the_setting_and_the_returns_sheet(folder):
    assert ("Chase leads", "ChaseLeadsButton", "chase") in [(b.caption, b.macro, b.job) for b in excel.BUTTONS]
    book = CalamineWorkbook.from_path(str(folder / "Coordinator.xlsm"))
    assert "Returns" in book.sheet_names
    assert book.get_sheet_by_name("Returns").to_python()[0] == [title for title, _ in excel.RETURNS_COLUMNS]
    control = [row[0] for row in book.get_sheet_by_name("Control").to_python()]
    assert excel.SETTINGS["pb_return_by"][0] in control
    assert excel.settings_from_workbook(folder / "Coordinator.xlsm")["pb_return_by"] == ""


def test_chase_job_saves_reminders_and_gives_the_tracker(folder, demo):
    settings = {**excel.settings_from_workbook(folder / "Coordinator.xlsm"), "pb_return_by": "2009-10-02"}
    job = excel.run_job("chase", settings, folder)
    tracker = track_returns(folder / "plan.xlsx", folder / "returns", return_by=demo.tracker.return_by).to_dict()
    leads = [tab for tab, lead in demo.plan.tabs.items() if (lead or tab) != "No lead"]  # its actions have no lead
    assert job.returns == excel.returns_rows(tracker) and len(job.returns) == len(leads) == len(demo.plan.tabs) - 1
    assert job.counts == tracker["summary"]
    drafts = sorted((folder / "output" / "reminders").glob("reminder-*.eml"))
    assert job.output == str(folder / "output" / "reminders") and drafts
    no_email = [r["lead"] for r in tracker["leads"]
                if (r["state"] in ("not returned", "returned, nothing updated") or r["errors"]) and not r["email"]]
    assert job.status == excel.chase_status({"messages": drafts, "no_email": no_email}, sending=False)
    messages = {}
    for p in drafts:
        msg = email.message_from_bytes(p.read_bytes(), policy=policy.default)
        assert msg["X-Unsent"] == "1"
        messages[msg["To"].addresses[0].addr_spec] = msg
    missing = [r for r in tracker["leads"] if r["state"] == "not returned" and r["email"]]
    assert missing
    for lead in missing:  # their copy as sent, from output/for-leads, attached again byte for byte
        (copy,) = messages[lead["email"]].iter_attachments()
        assert copy.get_content() == (folder / "output" / "for-leads" / copy.get_filename()).read_bytes()


def test_chase_job_says_which_setting_is_wrong(folder, tmp_path):
    settings = excel.settings_from_workbook(folder / "Coordinator.xlsm")
    with pytest.raises(PlanbookError, match="Leads' return-by date .* is not a date: '1st October'"):
        excel.run_job("chase", {**settings, "pb_return_by": "1st October"}, folder)
    with pytest.raises(PlanbookError, match="Master plan workbook"):
        excel.run_job("chase", {**settings, "pb_master_plan": ""}, folder)
    with pytest.raises(PlanbookError, match="SMTP server"):
        excel.run_job("chase", {**settings, "pb_send_mode": "Send by SMTP", "pb_smtp_host": ""}, folder)
    with pytest.raises(PlanbookError, match="returns folder not found"):
        excel.run_job("chase", {**settings, "pb_returns_folder": str(tmp_path / "none")}, folder)


def test_nobody_to_remind_and_no_email_in_the_status():
    assert excel.chase_status({"messages": [], "no_email": []}, False) == \
        "Nobody to remind: every lead has returned, without errors"
    assert excel.chase_status({"messages": [1, 2], "no_email": ["Trust Manager"]}, True).startswith("Sent 2 reminder(s) at ")
    assert excel.chase_status({"messages": [1], "no_email": ["A", "B"]}, False).endswith(
        "; no email address for A, B: not reminded")
