"""The public API: ``import planbook`` offers every capability of the command line, typed and
documented, and loads nothing heavy until a name is used.  The exported names are guarded: a
name added or removed fails here until this list (and the docs) say so."""
from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

import planbook
from planbook.cli import build_parser
from planbook.core import errors

SRC = Path(__file__).resolve().parents[1] / "src" / "planbook"

EXPORTED = {
    "__version__",
    # the plan
    "Action", "Lead", "Origin", "PlanInfo", "Due", "parse_due", "STATUSES", "normalise_status", "Finding", "Report",
    # errors
    "PlanbookError", "UnusableFileError", "OutputError", "SendError", "TemplateError", "PdfError", "MailboxError",
    # new, read, validate, split, import
    "new_plan", "write_plan", "Plan", "read_plan", "check_workbook_file", "validate_plan", "split_plan", "LeadCopy",
    "import_plan", "ImportResult",
    # consolidate
    "consolidate", "Consolidation", "write_consolidated", "consolidate_to", "read_consolidated", "ConsolidatedView",
    # returns, chase, receipts
    "track_returns", "ReturnsTracker", "LeadReturn", "chase", "receipts", "MailRun", "Message",
    # collect
    "collect_returns", "CollectRun", "ImapSettings", "Arrival",
    # report, email, request updates
    "render_report", "to_pdf", "check_docx", "Check", "build_report_email", "save_eml", "send", "SmtpSettings",
    "request_updates", "UpdateRequest",
    # the year: settings, roll forward, history, plan maintenance
    "change_settings", "roll_forward", "RollForward", "History", "add_lead", "set_lead_email", "rename_lead",
    "merge_leads", "rename_theme", "merge_themes", "move_action", "retire_actions", "reopen_actions",
    # demo, coordinator workbook
    "run_demo", "DemoResult", "build_coordinator", "write_coordinator", "run_job", "JobResult",
}


def test_the_exported_names_are_exactly_these():
    assert set(planbook.__all__) == EXPORTED
    assert len(planbook.__all__) == len(EXPORTED)  # none twice
    assert dir(planbook) == sorted(EXPORTED)


def test_type_checkers_see_the_same_names_the_module_exports():
    """The ``if TYPE_CHECKING`` imports (what editors and mypy see) name each export once, from
    the module ``__getattr__`` loads it from."""
    tree = ast.parse((SRC / "__init__.py").read_text(encoding="utf-8"))
    block = next(n for n in tree.body if isinstance(n, ast.If) and "TYPE_CHECKING" in ast.unparse(n.test))
    seen = {a.name: node.module for node in block.body if isinstance(node, ast.ImportFrom) for a in node.names}
    assert seen == planbook._EXPORTS


@pytest.mark.parametrize("name", sorted(EXPORTED))
def test_each_name_imports_and_is_documented(name):
    value = getattr(planbook, name)
    exec(f"from planbook import {name}", {})
    if inspect.isclass(value) or inspect.isfunction(value):
        doc = inspect.getdoc(value) or ""
        assert doc.strip(), f"{name} has no docstring"
        assert not doc.startswith(f"{value.__name__}("), f"{name} has only the docstring dataclass made up"
    else:
        assert constant_doc(name), f"{name} needs a '#:' comment above its assignment in its module"


def constant_doc(name: str) -> str:
    """The ``#:`` comment lines right above a constant's assignment in the module that defines it."""
    module = planbook._EXPORTS.get(name, "planbook.core.version")
    path = SRC.joinpath(*module.split(".")[1:]).with_suffix(".py")
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.split(":")[0].split("=")[0].strip() == name:
            doc = []
            while i > 0 and lines[i - 1].strip().startswith("#:"):
                i -= 1
                doc.insert(0, lines[i].strip()[2:].strip())
            return " ".join(doc)
    return ""


def _untyped(func, skip_first: bool = False) -> list[str]:
    sig = inspect.signature(func)
    params = list(sig.parameters.values())[1 if skip_first else 0:]
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    if sig.return_annotation is inspect.Signature.empty:
        missing.append("return")
    return missing


@pytest.mark.parametrize("name", sorted(n for n in EXPORTED if inspect.isfunction(getattr(planbook, n))))
def test_each_function_has_type_hints(name):
    assert _untyped(getattr(planbook, name)) == []


@pytest.mark.parametrize("name", sorted(n for n in EXPORTED if inspect.isclass(getattr(planbook, n))))
def test_each_class_is_typed_with_its_public_methods(name):
    cls = getattr(planbook, name)
    bad = []
    if dataclasses.is_dataclass(cls):
        bad += [f.name for f in dataclasses.fields(cls) if f.type in (None, "")]
    elif "__init__" in vars(cls):
        bad += [f"__init__: {p}" for p in _untyped(cls.__init__, skip_first=True)]
    for attr, member in vars(cls).items():
        if attr.startswith("_") or not inspect.isfunction(member):
            continue
        bad += [f"{attr}: {p}" for p in _untyped(member, skip_first=True)]
    assert bad == []


def test_every_command_names_its_functions_in_the_api():
    """Each command of the command line says which public function(s) do its job (the reference
    pages show them), and they are exported: a new command without its function fails here."""
    sub = next(a for a in build_parser()._actions if a.dest == "command")
    missing = {}
    for command, parser in sub.choices.items():
        names = parser.get_default("api")
        if not names or any(n not in EXPORTED for n in names):
            missing[command] = names
    assert missing == {}


def test_import_planbook_loads_only_the_version_until_a_name_is_used():
    code = ("import sys, json, planbook; before = sorted(m for m in sys.modules if m.startswith('planbook')); "
            "planbook.read_plan; after = 'planbook.workbook.reader' in sys.modules and 'docxtpl' not in sys.modules; "
            "print(json.dumps([before, after]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == [["planbook", "planbook.core", "planbook.core.version"], True]


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'consolidated_writer'"):
        planbook.consolidated_writer  # noqa: B018 (an old module name: gone)
    with pytest.raises(ImportError):
        exec("from planbook import consolidate_too", {})


def _classes(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [(node.name, [ast.unparse(b) for b in node.bases]) for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]


#: Exceptions that never leave the module raising them (control flow inside one function): none
#: since cutting a long text is decided before writing (planbook.core.limits), not raised.
INTERNAL_EXCEPTIONS: set[str] = set()


def test_every_exception_planbook_defines_is_in_core_errors_under_planbook_error():
    hierarchy = {name for name, _ in _classes(SRC / "core" / "errors.py")}
    outside = []
    for path in sorted(SRC.rglob("*.py")):
        if path == SRC / "core" / "errors.py":
            continue
        module = ".".join(path.relative_to(SRC.parent).with_suffix("").parts)
        for name, bases in _classes(path):
            if any(b.endswith(("Error", "Exception", "Warning")) or b in hierarchy for b in bases):
                if f"{module}.{name}" not in INTERNAL_EXCEPTIONS:
                    outside.append(f"{module}.{name}({', '.join(bases)})")
    assert outside == []
    for name in hierarchy:
        assert issubclass(getattr(errors, name), errors.PlanbookError)
        assert name in EXPORTED, f"{name} is not exported"
    for qualified in INTERNAL_EXCEPTIONS:  # still raised and caught where it is defined, nowhere else
        module, _, name = qualified.rpartition(".")
        users = [p for p in SRC.rglob("*.py") if name in p.read_text(encoding="utf-8")]
        assert users == [SRC.joinpath(*module.split(".")[1:]).with_suffix(".py")], \
            f"{qualified}: gone or used elsewhere; take it off INTERNAL_EXCEPTIONS, or move it to core/errors.py"
