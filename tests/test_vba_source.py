"""The VBA in macros/, checked without Excel: parsed with a real VBA grammar, every name resolved.

LibreOffice (tests/test_buttons_libreoffice.py) runs only the branches a test takes and looks a
name up only when its line runs, so a typo in the Windows-only or macOS-only branch would reach a
council untested.  Here every module is parsed as Windows Excel and as Mac Excel compile it, and
every name a procedure uses, every call's arguments, every GoTo label, every Application.Run and
OnAction target and every button's macro is checked to exist.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import planbook.excel as excel
from planbook.core.resources import MACROS

from .vba_source import CONFIGURATIONS, pieces, preprocess, problems, read_project


def _xlwings_macros() -> set[str]:
    """The procedures of the xlwings VBA module (embedded by --standalone, or the add-in's)."""
    import xlwings

    text = (Path(xlwings.__file__).parent / "xlwings.bas").read_text(encoding="latin-1")
    return set(re.findall(r"^(?:Public\s+)?(?:Function|Sub)\s+(\w+)", text, re.M))


EXTERNAL = {"xlwings": _xlwings_macros()}
BUTTON_MACROS = {b.caption: b.macro for b in excel.BUTTONS}


@pytest.fixture(scope="module", params=list(CONFIGURATIONS))
def project(request):
    return read_project(MACROS, request.param)


def test_every_module_parses_and_every_name_it_uses_exists(project):
    assert set(project) == {p.name for p in MACROS.iterdir() if p.suffix in (".bas", ".cls")}
    assert problems(project, BUTTON_MACROS, EXTERNAL) == []


def test_the_checks_see_the_code(project):
    """The parse found what is there: the buttons' Subs, the helpers they call, the Run targets."""
    planbook = project["Planbook.bas"]
    assert {b.macro.lower() for b in excel.BUTTONS} <= set(planbook.procedures)
    calls = {c.name for p in planbook.procedures.values() for c in p.calls}
    assert {"RunPlanbook", "SetResult", "ShowError"} <= calls
    runs = [literal for p in planbook.procedures.values() for literal, _ in p.runs]
    assert any(r.endswith("!RunPython") for r in runs)
    assert sum(len(p.uses) for p in planbook.procedures.values()) > 200


def test_each_button_runs_a_planbook_job():
    text = (MACROS / "Planbook.bas").read_text(encoding="latin-1")
    for button in excel.BUTTONS:
        body = re.search(rf"Public Sub {button.macro}\(\)\n(.*?)\nEnd Sub", text, re.S)
        assert body and body.group(1).strip() == f'RunPlanbook "{button.job}"', button
    assert {b.job for b in excel.BUTTONS} == set(excel.JOBS)
    called = re.findall(r"planbook\.excel\.(\w+)\(", text)
    assert called == ["run_button"] and callable(excel.run_button)


def test_no_conditional_compilation():
    """LibreOffice runs both branches of an #If (tried: #If Mac Then ... #Else ... both ran), so the
    macros choose Windows or Mac at run time (IsMacExcel), and both branches are ordinary code."""
    for path in MACROS.iterdir():
        if path.suffix in (".bas", ".cls"):
            assert not re.search(r"^\s*#\s*(If|Const)\b", path.read_text(encoding="latin-1"), re.M | re.I), path


# ---- the checks can fail: a family of faults, each in a small module -------------------------------

GOOD = '''Attribute VB_Name = "Planbook"
Option Explicit
Private Const LIMIT As Long = 3
Private counter As Long

Public Sub ConsolidateButton()
    RunPlanbook "consolidate"
End Sub

Private Sub RunPlanbook(ByVal job As String)
    Dim shell As Object, code As Long
    On Error GoTo Failed
    If IsWindows() Then
        Set shell = CreateObject("WScript.Shell")
        code = shell.Run("cmd /c planbook " & job, 0, True)
    Else
        Application.Run "'" & ThisWorkbook.Name & "'!RunPython", job
    End If
    counter = counter + LIMIT
    Exit Sub
Failed:
    MsgBox Err.Description, vbCritical, "planbook"
End Sub

Private Function IsWindows() As Boolean
    IsWindows = (Environ("COMSPEC") <> "")
End Function
'''


def _check(tmp_path: Path, text: str, configuration: str = "Windows") -> list[str]:
    folder = tmp_path / configuration
    folder.mkdir(exist_ok=True)
    (folder / "Planbook.bas").write_text(text, encoding="latin-1")
    return problems(read_project(folder, configuration), {"Consolidate": "ConsolidateButton"}, EXTERNAL)


def test_a_good_module_passes(tmp_path):
    assert _check(tmp_path, GOOD) == []


@pytest.mark.parametrize("fault, old, new, expected", [
    ("a misspelt End If in the Windows-only branch",
     "        Application.Run \"'\" & ThisWorkbook.Name & \"'!RunPython\", job\n    End If",
     "        Application.Run \"'\" & ThisWorkbook.Name & \"'!RunPython\", job\n    End Iff", r"line (20|21):"),
    ("a statement cut short in the Windows-only branch",
     'code = shell.Run("cmd /c planbook " & job, 0, True)', 'code = shell.Run("cmd /c planbook " & , 0, True)',
     r"line 15:"),
    ("an undeclared variable in the Windows-only branch", "code = shell.Run", "exitCode = shell.Run",
     r"line 15: exitCode in RunPlanbook is not declared anywhere"),
    ("a misspelt helper", "If IsWindows() Then", "If IsWindow() Then",
     r"line 13: IsWindow in RunPlanbook is not declared anywhere"),
    ("a misspelt VBA function", 'Environ("COMSPEC")', 'Enviorn("COMSPEC")', r"line 26: Enviorn in IsWindows"),
    ("a call with too many arguments", 'RunPlanbook "consolidate"', 'RunPlanbook "consolidate", 1',
     r"line 7: RunPlanbook takes 1 argument\(s\), given 2"),
    ("a GoTo to a missing label", "Failed:\n", "Fail:\n", r"GoTo Failed in RunPlanbook: no such label"),
    ("a Run target that is nowhere", "'!RunPython\"", "'!RunPyton\"", r"Application.Run target \"''!RunPyton\""),
    ("a button macro that is not there", "Public Sub ConsolidateButton()", "Public Sub Consolidate()",
     r"the button 'Consolidate' runs ConsolidateButton, which is not a public Sub"),
    ("a button macro that is private", "Public Sub ConsolidateButton()", "Private Sub ConsolidateButton()",
     r"the button 'Consolidate' runs ConsolidateButton"),
])
def test_each_fault_is_found_with_its_line(tmp_path, fault, old, new, expected):
    assert old in GOOD, fault
    found = _check(tmp_path, GOOD.replace(old, new, 1))
    assert any(re.search(expected, p) for p in found), (fault, found)


def test_a_fault_in_the_mac_branch_of_an_if_is_found_only_where_that_branch_compiles(tmp_path):
    mac_only = GOOD.replace("    counter = counter + LIMIT\n",
                            "#If Mac Then\n    counter = counter +\n#Else\n    counter = counter + LIMIT\n#End If\n")
    assert _check(tmp_path, mac_only, "Windows") == []
    assert any(re.search(r"Planbook.bas \(macOS\) line 20:", p) for p in _check(tmp_path, mac_only, "macOS"))


def test_conditional_compilation_is_resolved_line_for_line():
    text = "a\n#If Mac Then\nb\n#ElseIf Win64 And Not Mac Then\nc\n#Else\nd\n#End If\ne\n"
    assert preprocess(text, CONFIGURATIONS["Windows"]).splitlines() == ["a", "", "", "", "c", "", "", "", "e"]
    assert preprocess(text, CONFIGURATIONS["macOS"]).splitlines() == ["a", "", "b", "", "", "", "", "", "e"]


def test_a_module_is_parsed_in_pieces_that_keep_their_line_numbers():
    cut = pieces(GOOD)
    assert len(cut) == 4 and all(p.startswith('Attribute VB_Name = "Planbook"\n') for p in cut)
    for piece in cut[1:]:
        lines = piece.splitlines()
        first = next(i for i, line in enumerate(lines) if line.startswith(("Public", "Private")))
        assert GOOD.splitlines()[first] == lines[first]
