"""Build ``workbooks/Coordinator.xlsm`` fresh from the VBA source in ``macros/``.

The VBA modules are compiled into a source-only ``vbaProject.bin`` (no p-code cache: Office
compiles the source on first open) with ms-ovba, and the workbook — Control sheet, buttons
bound to the macros, Data issues sheet, xlwings.conf sheet — is written with XlsxWriter.  The
.xlsm is never round-tripped through openpyxl, which would drop the form controls.
"""
from __future__ import annotations

import datetime as dt
import os
import random
import shutil
import tempfile
import uuid
from pathlib import Path

from planbook.core.errors import PlanbookError
from planbook.core.layout import DATA_ISSUES, RETURNS
from planbook.core.resources import MACROS
from planbook.excel import OUTPUTS, RETURNS_COLUMNS, SEND_MODES, SETTINGS
from planbook.files.atomic import atomic_output

ROOT = Path(__file__).resolve().parents[2]
PROJECT_ID = "{6E0A8F1C-8B5E-4C7A-9D51-0B1F3A2C4D5E}"  # fixed: two builds give the same project
WORKBOOK_GUID = "00020819-0000-0000-C000-000000000046"
SHEET_GUID = "00020820-0000-0000-C000-000000000046"
#: Sheet name -> (VBA code name, source file in macros/).
SHEETS = {"Control": ("Sheet1", "Control.cls"), DATA_ISSUES: ("Sheet2", "DataIssues.cls"),
          "xlwings.conf": ("Sheet3", "XlwingsConf.cls"), RETURNS: ("Sheet4", "Returns.cls")}
BUTTONS = [("Consolidate", "ConsolidateButton", "Roll up the returned workbooks and the master plan"),
           ("Word summary", "WordSummaryButton", "Write the committee progress report (Word)"),
           ("Email report", "EmailReportButton", "Email the report, or save it as an Outlook draft"),
           ("Split for leads", "SplitForLeadsButton", "Write one workbook per lead to send out"),
           ("Chase leads", "ChaseLeadsButton", f"Remind leads to return or fix updates; see {RETURNS}")]
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


def build_coordinator(out: str | os.PathLike[str] | None = None, *,
                      macros: Path = MACROS, standalone: bool = False) -> Path:
    """Write the coordinator workbook; returns its path."""
    import xlsxwriter

    vba = build_vba_project(macros, standalone=standalone)
    out = Path(out) if out is not None else _default_out()
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, atomic_output(out) as target:
        vba_path = Path(tmp) / "vbaProject.bin"
        vba_path.write_bytes(vba)
        wb = xlsxwriter.Workbook(str(target))
        wb.set_properties({"title": "planbook coordinator", "created": dt.datetime(2009, 4, 1),
                           "comments": "Built from macros/ by planbook.coordinator"})
        wb.set_vba_name("ThisWorkbook")
        wb.add_vba_project(str(vba_path))
        _control_sheet(wb)
        issues = wb.add_worksheet(DATA_ISSUES)
        issues.set_vba_name(SHEETS[DATA_ISSUES][0])
        bold = wb.add_format({"bold": True, "bg_color": "#1F4E78", "font_color": "#FFFFFF"})
        for c, (h, w) in enumerate([("Severity", 9), ("Problem", 20), ("File", 50), ("Sheet", 20), ("Cell", 7),
                                    ("What is wrong", 70), ("Go to", 8)]):
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


def _control_sheet(wb) -> None:
    ws = wb.add_worksheet("Control")
    ws.set_vba_name(SHEETS["Control"][0])
    title = wb.add_format({"bold": True, "font_size": 16})
    label = wb.add_format({"bold": True, "text_wrap": True, "valign": "vcenter"})
    entry = wb.add_format({"bg_color": "#FFF2CC", "border": 1, "valign": "vcenter"})
    out_fmt = wb.add_format({"bg_color": "#E2EFDA", "border": 1, "text_wrap": True, "valign": "vcenter"})
    note = wb.add_format({"italic": True, "font_color": "#595959", "text_wrap": True})
    ws.set_column(0, 0, 44)
    ws.set_column(1, 1, 50)
    ws.set_column(2, 2, 3)
    ws.set_column(3, 3, 26)
    ws.set_column(4, 4, 50)
    ws.write_string(0, 0, "planbook — coordinator", title)
    ws.merge_range(1, 0, 1, 4, "Fill in the yellow cells, then click a button. Paths may be relative to this "
                               f"workbook's folder. Results appear under Results; problems on the {DATA_ISSUES} sheet.", note)
    ws.set_row(1, 30)
    r = 3
    ws.write_string(r - 1, 0, "Settings", label)
    for name, (text, default) in SETTINGS.items():
        ws.write_string(r, 0, text, label)
        ws.write_string(r, 1, default, entry)
        ws.set_row(r, 30 if len(text) > 40 else 18)
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
    for i, (caption, macro, help_text) in enumerate(BUTTONS):
        row = 3 + i * 3
        ws.insert_button(row, 3, {"macro": macro, "caption": caption, "width": 180, "height": 40})
        ws.write_string(row, 4, help_text, note)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 1)
    ws.activate()


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
