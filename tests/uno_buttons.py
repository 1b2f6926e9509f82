"""Click a coordinator button in a running LibreOffice, over UNO (run by a Python that has ``uno``).

Not a test module: ``tests/test_buttons_libreoffice.py`` runs it with the system Python (Debian's
python3-uno) against the LibreOffice it started, once per click::

    python3 uno_buttons.py PIPE-NAME REQUEST.json

A request with "calls" (``[["Module.Function", [arguments]], ...]``) instead runs those functions
of the workbook's macros and prints their results: how the tests run the macros' pure helpers.

The request names the workbook, the Control-sheet settings to fill in (by defined name), the
caption of the button to click and, optionally, the location the macros are to take as the
workbook's (an ``https://`` address, as Excel gives a workbook opened from OneDrive or SharePoint:
LibreOffice gives none, so it goes in the workbook-level name the macros read it from).  The script opens the workbook with macros allowed, fills in the
settings, finds the button's form control by its caption, reads the macro bound to its
"action performed" event from the document's form, runs that macro through the document's script
provider, and prints JSON: every button's binding, the Results cells, the Data issues rows (values
and formulas), the Returns sheet and how long the
macro took.  The workbook is closed unsaved.
"""
from __future__ import annotations

import json
import os
import sys
import time

import uno  # noqa: F401  (sets up the com.sun.star imports)
from com.sun.star.beans import PropertyValue

ALWAYS_EXECUTE_NO_WARN = 4  # com.sun.star.document.MacroExecMode
LOCATION_NAME = "PlanbookWorkbookLocation"  # read by WorkbookLocation() in macros/Planbook.bas


def _prop(name: str, value) -> PropertyValue:
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe: str, wait: float = 60.0):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + wait
    while True:
        try:
            return resolver.resolve(f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext")
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def bindings(doc) -> dict[str, str]:
    """Button caption -> the script its form control runs when clicked, as the document binds it."""
    found = {}
    for s in range(doc.Sheets.Count):
        forms = doc.Sheets.getByIndex(s).DrawPage.Forms
        for f in range(forms.Count):
            form = forms.getByIndex(f)
            for i in range(form.Count):
                control = form.getByIndex(i)
                for event in form.getScriptEvents(i):
                    if event.ListenerType.endswith("XActionListener") and event.EventMethod == "actionPerformed":
                        found[control.Label] = event.ScriptCode
    return found


def click(ctx, request: dict) -> dict:
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    url = uno.systemPathToFileUrl(request["workbook"])
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (_prop("MacroExecutionMode", ALWAYS_EXECUTE_NO_WARN),
                                                          _prop("Hidden", True)))
    try:
        names = doc.NamedRanges
        for name, value in request.get("settings", {}).items():
            names.getByName(name).ReferredCells.getCellByPosition(0, 0).setString(value)
        if request.get("location"):
            cell = uno.createUnoStruct("com.sun.star.table.CellAddress")
            names.addNewByName(LOCATION_NAME, "$Control.$Z$1", cell, 0)
            doc.Sheets.getByName("Control").getCellRangeByName("Z1").setString(request["location"])
        bound = bindings(doc)
        script = bound[request["button"]]
        started = time.monotonic()
        doc.getScriptProvider().getScript(script).invoke((), (), ())
        seconds = time.monotonic() - started
        results = {n: names.getByName(n).ReferredCells.getCellByPosition(0, 0).String
                   for n in ("pb_status", "pb_counts", "pb_output")}
        issues = doc.Sheets.getByName("Data issues")
        cursor = issues.createCursor()
        cursor.gotoEndOfUsedArea(False)
        last_row = cursor.RangeAddress.EndRow
        area = issues.getCellRangeByPosition(0, 0, 6, last_row)
        out = {"bindings": bound, "script": script, "results": results, "seconds": seconds,
               "issues": [list(row) for row in area.DataArray],
               "formulas": [list(row) for row in area.FormulaArray]}
        if doc.Sheets.hasByName("Returns"):
            returns = doc.Sheets.getByName("Returns")
            cursor = returns.createCursor()
            cursor.gotoEndOfUsedArea(False)
            area = returns.getCellRangeByPosition(0, 0, 5, cursor.RangeAddress.EndRow)
            out["returns"] = [list(row) for row in area.DataArray]
        return out
    finally:
        doc.close(True)


def call(ctx, request: dict) -> dict:
    """Run functions of the workbook's macros with arguments, as Excel would call them (even private
    ones: LibreOffice's script provider reaches every procedure of a module); their results."""
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    url = uno.systemPathToFileUrl(request["workbook"])
    doc = desktop.loadComponentFromURL(url, "_blank", 0, (_prop("MacroExecutionMode", ALWAYS_EXECUTE_NO_WARN),
                                                          _prop("Hidden", True)))
    try:
        provider = doc.getScriptProvider()
        results = []
        for name, args in request["calls"]:
            script = provider.getScript(f"vnd.sun.star.script:VBAProject.{name}?language=Basic&location=document")
            results.append(script.invoke(tuple(tuple(a) if isinstance(a, list) else a for a in args), (), ())[0])
        return {"results": results}
    finally:
        doc.close(True)


def main(argv: list[str]) -> int:
    pipe, request_file = argv
    with open(request_file, encoding="utf-8") as f:
        request = json.load(f)
    print(json.dumps((call if "calls" in request else click)(connect(pipe), request)), flush=True)
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stderr.flush()
    # The UNO bridge can crash while Python tears it down (SIGSEGV after the click has finished
    # and its result is printed): leave without the teardown.
    os._exit(code)
