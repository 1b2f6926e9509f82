"""The coordinator's macro workbook (``Coordinator.xlsm``), built fresh from the VBA source in ``macros/``.

``write_coordinator`` (``planbook coordinator``) writes it on the coordinator's own computer, with
the plan's folders and the path of the ``planbook`` command filled in: a file a program wrote here
carries no mark of having come from the internet, so Excel offers its ordinary Enable Content bar
(a downloaded or emailed copy gets the red "security risk" bar instead; docs/excel.md).
``build_coordinator`` is the builder under it (``make workbook`` writes ``workbooks/Coordinator.xlsm``).

The VBA modules are compiled into a source-only ``vbaProject.bin`` (no p-code cache: Office
compiles the source on first open) with ms-ovba, and the workbook — Control sheet, buttons
bound to the macros, Data issues sheet, xlwings.conf sheet — is written with XlsxWriter.  The
.xlsm is never round-tripped through openpyxl, which would drop the form controls.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import shlex
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path

from planbook.core.errors import PlanbookError
from planbook.core.layout import DATA_ISSUES, RETURNS
from planbook.core.resources import MACROS
from planbook.excel import BUTTONS, ISSUES_COLUMNS, OUTPUTS, RETURNS_COLUMNS, SEND_MODES, SETTINGS
from planbook.files.atomic import atomic_output, check_output

ROOT = Path(__file__).resolve().parents[2]
PROJECT_ID = "{6E0A8F1C-8B5E-4C7A-9D51-0B1F3A2C4D5E}"  # fixed: two builds give the same project
WORKBOOK_GUID = "00020819-0000-0000-C000-000000000046"
SHEET_GUID = "00020820-0000-0000-C000-000000000046"
#: Sheet name -> (VBA code name, source file in macros/).
SHEETS = {"Control": ("Sheet1", "Control.cls"), DATA_ISSUES: ("Sheet2", "DataIssues.cls"),
          "xlwings.conf": ("Sheet3", "XlwingsConf.cls"), RETURNS: ("Sheet4", "Returns.cls")}
XLWINGS_CONF = [("Interpreter_Win", ""), ("Interpreter_Mac", ""), ("PYTHONPATH", ""), ("Conda Path", ""),
                ("Conda Env", ""), ("UDF Modules", ""), ("Debug UDFs", "False"), ("Use UDF Server", "False"),
                ("Show Console", "False")]


def _modules(macros: Path, standalone: bool) -> list[tuple[str, str, Path]]:
    """(kind, module name, source file): ThisWorkbook, sheet modules, standard modules."""
    mods = [("document", "ThisWorkbook", macros / "ThisWorkbook.cls")]
    mods += [("sheet", code, macros / src) for code, src in SHEETS.values()]
    mods += [("standard", p.stem, p) for p in sorted(macros.glob("*.bas"))]
    if standalone:
        import xlwings

        bas = Path(xlwings.__file__).parent / "xlwings.bas"
        if not bas.exists():
            raise PlanbookError(f"the installed xlwings has no xlwings.bas to embed ({bas})")
        mods.append(("standard", "xlwings", bas))
    for _, _, path in mods:
        if not path.exists():
            raise PlanbookError(f"VBA source missing: {path}")
    return mods


def build_vba_project(macros: Path = MACROS, *, standalone: bool = False) -> bytes:
    """Compile the VBA source files into the bytes of a ``vbaProject.bin``."""
    from ms_ovba.Models.Entities.doc_module import DocModule
    from ms_ovba.Models.Entities.std_module import StdModule
    from ms_ovba.vbaProject import VbaProject
    from ms_ovba.Views.project_ole_file import ProjectOleFile
    from ms_ovba_compression.ms_ovba import MsOvba

    from planbook.files.ovba import compress

    state = random.getstate()
    original_compress = MsOvba.compress
    MsOvba.compress = lambda self, data: compress(bytes(data))  # ms-ovba's own corrupts longer modules
    random.seed(2009)  # the project's protection bytes are random: fixed, so builds repeat
    cwd = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        try:
            os.chdir(tmp)  # ms-ovba writes its intermediate files into the current folder
            project = VbaProject()
            project.project_id = PROJECT_ID
            for kind, name, src in _modules(macros, standalone):
                local = Path(tmp) / src.name
                shutil.copyfile(src, local)
                if kind == "standard":
                    module = StdModule(name)
                else:
                    module = DocModule(name)
                    module.add_guid(uuid.UUID(WORKBOOK_GUID if kind == "document" else SHEET_GUID))
                module.add_file(str(local))
                module.normalize_file()
                project.add_module(module)
            ProjectOleFile.write_file(project)
            return (Path(tmp) / "vbaProject.bin").read_bytes()
        finally:
            os.chdir(cwd)
            random.setstate(state)
            MsOvba.compress = original_compress


def _default_out() -> Path:
    """workbooks/Coordinator.xlsm in a checkout; Coordinator.xlsm here for an installed planbook."""
    return ROOT / "workbooks" / "Coordinator.xlsm" if (ROOT / "workbooks").is_dir() else Path("Coordinator.xlsm")


def build_coordinator(out: str | os.PathLike[str] | None = None, *, macros: Path = MACROS, standalone: bool = False,
                      settings: Mapping[str, str] | None = None, command_lines: Mapping[str, str] | None = None) -> Path:
    """Write the coordinator workbook; returns its path.  ``settings`` (defined name -> text) fill
    the Control sheet's cells instead of the defaults; ``command_lines`` (job -> the command that
    does what its button does) are shown for when the buttons cannot run (default: relative ones)."""
    import xlsxwriter

    unknown = set(settings or {}) - set(SETTINGS)
    if unknown:
        raise PlanbookError(f"not Control-sheet settings: {', '.join(sorted(unknown))}")
    vba = build_vba_project(macros, standalone=standalone)
    out = Path(out) if out is not None else _default_out()
    with tempfile.TemporaryDirectory() as tmp, atomic_output(out) as target:
        vba_path = Path(tmp) / "vbaProject.bin"
        vba_path.write_bytes(vba)
        wb = xlsxwriter.Workbook(str(target))
        wb.set_properties({"title": "planbook coordinator", "created": dt.datetime(2009, 4, 1),
                           "comments": "Built from macros/ by planbook.coordinator"})
        wb.set_vba_name("ThisWorkbook")
        wb.add_vba_project(str(vba_path))
        _control_sheet(wb, {**{k: default for k, (_, default) in SETTINGS.items()}, **(settings or {})},
                       command_lines or default_command_lines())
        bold = wb.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF"})
        issues = wb.add_worksheet(DATA_ISSUES)
        issues.set_vba_name(SHEETS[DATA_ISSUES][0])
        for c, (h, w) in enumerate(zip(ISSUES_COLUMNS, (9, 20, 50, 20, 7, 70, 8))):
            issues.write_string(0, c, h, bold)
            issues.set_column(c, c, w)
        issues.freeze_panes(1, 0)
        returns = wb.add_worksheet(RETURNS)
        returns.set_vba_name(SHEETS[RETURNS][0])
        for c, ((h, _), w) in enumerate(zip(RETURNS_COLUMNS, (32, 22, 60, 20, 9, 7))):
            returns.write_string(0, c, h, bold)
            returns.set_column(c, c, w)
        returns.freeze_panes(1, 0)
        conf = wb.add_worksheet("xlwings.conf")
        conf.set_vba_name(SHEETS["xlwings.conf"][0])
        conf.set_column(0, 0, 18)
        conf.set_column(1, 1, 60)
        for r, (key, value) in enumerate(XLWINGS_CONF):
            conf.write_string(r, 0, key)
            conf.write_string(r, 1, value)
        wb.close()
    return out


#: What the Control sheet says about the buttons when Excel cannot run them.
NO_MACROS_NOTE = (
    "When the buttons cannot run: Excel for the web runs no macros, and on some computers macros are "
    "blocked (a workbook downloaded or emailed opens with a red 'SECURITY RISK' bar: make one on your "
    "computer with planbook coordinator instead, or see planbook's docs/excel.md). Each line below "
    "does what its button does, from a command prompt, with the settings saved in this workbook (save "
    "it first); the status and the file made are printed.")


def default_command_lines(command: str = "planbook", workbook: str = "Coordinator.xlsm") -> dict[str, str]:
    """Job -> the command line that does what its button does: ``planbook button JOB WORKBOOK``,
    quoted for this computer's command prompt."""
    def quote(arg: str) -> str:
        return subprocess.list2cmdline([arg]) if os.name == "nt" else shlex.quote(arg)

    return {b.job: f"{quote(command)} button {b.job} {quote(workbook)}" for b in BUTTONS}


def _control_sheet(wb, values: Mapping[str, str], command_lines: Mapping[str, str]) -> None:
    ws = wb.add_worksheet("Control")
    ws.set_vba_name(SHEETS["Control"][0])
    title = wb.add_format({"bold": True, "font_size": 16})
    label = wb.add_format({"bold": True, "text_wrap": True, "valign": "vcenter"})
    entry = wb.add_format({"bg_color": "#FFF2CC", "border": 1, "valign": "vcenter", "text_wrap": True})
    out_fmt = wb.add_format({"bg_color": "#E2EFDA", "border": 1, "text_wrap": True, "valign": "vcenter"})
    note = wb.add_format({"italic": True, "font_color": "#595959", "text_wrap": True, "valign": "top"})
    code = wb.add_format({"font_name": "Consolas", "font_size": 9, "text_wrap": True, "valign": "top"})
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 50)
    ws.set_column(2, 2, 3)
    ws.set_column(3, 3, 26)
    ws.set_column(4, 4, 60)
    ws.write_string(0, 0, "planbook — coordinator", title)
    ws.merge_range(1, 0, 1, 4, "Fill in the yellow cells, then click a button. Paths may be relative to this "
                               f"workbook's folder. Results appear under Results; problems on the {DATA_ISSUES} sheet.", note)
    ws.set_row(1, 30)
    r = 3
    ws.write_string(r - 1, 0, "Settings", label)
    for name, (text, _) in SETTINGS.items():
        ws.write_string(r, 0, text, label)
        ws.write_string(r, 1, str(values.get(name) or ""), entry)
        ws.set_row(r, 30 if len(text) > 40 or len(str(values.get(name) or "")) > 45 else 18)
        wb.define_name(name, f"=Control!$B${r + 1}")
        if name == "pb_send_mode":
            ws.data_validation(r, 1, r, 1, {"validate": "list", "source": list(SEND_MODES)})
        if name == "pb_smtp_security":
            ws.data_validation(r, 1, r, 1, {"validate": "list", "source": ["none", "starttls", "ssl"]})
        r += 1
    r += 1
    ws.write_string(r, 0, "Results", label)
    r += 1
    for name, text in OUTPUTS.items():
        ws.write_string(r, 0, text, label)
        ws.write_blank(r, 1, None, out_fmt)
        ws.set_row(r, 30)
        wb.define_name(name, f"=Control!$B${r + 1}")
        r += 1
    for i, button in enumerate(BUTTONS):
        row = 3 + i * 3
        ws.insert_button(row, 3, {"macro": button.macro, "caption": button.caption, "width": 180, "height": 40})
        ws.write_string(row, 4, button.help, note)
    r = max(r + 1, 3 + len(BUTTONS) * 3)
    ws.merge_range(r, 0, r, 4, NO_MACROS_NOTE, note)
    ws.set_row(r, 45)
    for button in BUTTONS:
        r += 1
        ws.write_string(r, 0, button.caption, label)
        ws.merge_range(r, 1, r, 4, command_lines[button.job], code)
        ws.set_row(r, 30)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 1)
    ws.activate()


def planbook_command() -> str:
    """The ``planbook`` program of this Python installation (a virtual environment's own when
    planbook runs from one), as a full path; "planbook" when there is none to name."""
    folder = Path(sys.executable).parent
    for name in (("planbook.exe", "Scripts/planbook.exe") if os.name == "nt" else ("planbook",)):
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which("planbook")
    return str(Path(found).resolve()) if found else "planbook"


def _setting_path(path: str | os.PathLike[str], folder: Path) -> str:
    """A path as the Control sheet holds it: relative to the workbook's folder when inside it (the
    folder can then move, e.g. into OneDrive), else in full."""
    full = Path(os.path.abspath(path))
    try:
        return str(full.relative_to(folder))
    except ValueError:
        return str(full)


def write_coordinator(out: str | os.PathLike[str] = "Coordinator.xlsm", *, plan: str | os.PathLike[str] | None = None,
                      returns: str | os.PathLike[str] | None = None, output: str | os.PathLike[str] | None = None,
                      previous: str | os.PathLike[str] | None = None, command: str | None = None,
                      settings: Mapping[str, str] | None = None, standalone: bool = False,
                      overwrite: bool = False) -> Path:
    """Write the coordinator workbook on this computer, ready to use: the master ``plan``, the
    ``returns`` folder, the ``output`` folder and the ``previous`` consolidation filled in (relative
    to the workbook where they are under its folder; the defaults otherwise), and the ``planbook``
    program the buttons run (``command``; default: this installation's).  ``settings`` sets any
    other Control-sheet setting by defined name.  Refuses to replace a file unless ``overwrite``."""
    out = Path(out)
    if out.suffix.lower() != ".xlsm":
        raise PlanbookError(f"{out}: a workbook with macros must be saved as .xlsm (Excel runs no macros in .xlsx)")
    check_output(out, overwrite=overwrite)
    folder = Path(os.path.abspath(out)).parent
    values = dict(settings or {})
    for name, path in (("pb_master_plan", plan), ("pb_returns_folder", returns), ("pb_output_folder", output),
                       ("pb_previous", previous)):
        if path is not None:
            values[name] = _setting_path(path, folder)
    values["pb_command"] = command or values.get("pb_command") or planbook_command()
    lines = default_command_lines(values["pb_command"], str(Path(os.path.abspath(out))))
    return build_coordinator(out, standalone=standalone, settings=values, command_lines=lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(prog="python -m planbook.coordinator", description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="default: workbooks/Coordinator.xlsm in a checkout")
    ap.add_argument("--standalone", action="store_true", help="embed the xlwings VBA module (no add-in needed)")
    args = ap.parse_args(argv)
    print(f"wrote {build_coordinator(args.out, standalone=args.standalone)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
