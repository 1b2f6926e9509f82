"""The layer contract: the package's structure carries its rules.

Layers, lowest first; a module imports only its own subpackage and the layers below it, never a
sibling of its own layer, and no module takes part in an import circle.  Imports inside a
function are for start-up time in the entry points only, never to hide a circle.  Heavy or
platform-specific packages are imported only by the module that needs them, and
``import planbook`` imports none of them.
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "planbook"

#: Lowest first.  Subpackages on one line are siblings: neither imports the other.
LAYERS: list[tuple[str, ...]] = [
    ("core",),        # the model: findings, errors, statuses, dues, dates, names, columns, layout
    ("files",),       # safe file access: guards, far cells, atomic output, opening a workbook
    ("fast",),        # a second process, spilled texts, streamed rows
    ("workbook",),    # the standard workbook: write, read, split, the consolidated view
    ("rollup", "legacy"),  # the roll-up and its tracker; importing a plan kept in its own layout
    ("word", "mail"),      # the Word report; mail
    ("",),            # entry points: the API (planbook/__init__), CLI, Excel buttons, coordinator, demo
]
LAYER_OF = {pkg: i for i, names in enumerate(LAYERS) for pkg in names}

#: Heavy or platform-specific packages, and the only modules that may import them.
HEAVY = {
    "xlwings": {"planbook.excel", "planbook.coordinator"},
    "docxtpl": {"planbook.word.report"},
    "docx": {"planbook.word.report", "planbook.word.tables", "planbook.word.chart", "planbook.legacy.source"},
    "smtplib": {"planbook.mail.transport"},
    "imaplib": {"planbook.mail.imap"},
    "olefile": {"planbook.mail.outlook_msg"},
    "isal": {"planbook.fast.fastrows"},  # ISA-L's deflate, for the streamed sheets
    "pandas": set(),
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> list[tuple[str, bool, int]]:
    """(imported module, inside a function?, line) for every import in the module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((a.name, nested, child.lineno) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    parts = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join(parts + ([child.module] if child.module else []))
                for a in child.names:
                    full = f"{base}.{a.name}"
                    found.append((full if full in MODULES else base, nested, child.lineno))
            visit(child, inner)

    visit(tree, False)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> tuple[int, str]:
    """(layer index, subpackage) of a planbook module; the root modules are the entry layer."""
    parts = module.split(".")
    sub = parts[1] if len(parts) > 2 or (len(parts) == 2 and parts[1] in LAYER_OF) else ""
    return LAYER_OF[sub], sub


def test_every_subpackage_has_a_layer():
    subs = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()} - {"templates", "macros"}
    assert subs <= set(LAYER_OF), f"subpackages without a layer: {sorted(subs - set(LAYER_OF))}"


def layer_violations(graph: dict[str, list[tuple[str, bool, int]]]) -> list[str]:
    """Imports that run up a layer or across to a sibling."""
    bad = []
    for module, imports in graph.items():
        mine, my_sub = _layer(module)
        for target, _, line in imports:
            if not target.startswith("planbook.") or target not in MODULES or target == "planbook":
                continue
            theirs, their_sub = _layer(target)
            if their_sub == my_sub:
                continue
            if theirs >= mine:
                bad.append(f"{module}:{line} imports {target} ({their_sub or 'entry'} is not below {my_sub or 'entry'})")
    return bad


def circles(graph: dict[str, list[tuple[str, bool, int]]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), every import counted."""
    edges = {m: sorted({t for t, _, _ in imps if t in graph and t != m}) for m, imps in graph.items()}
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in edges:
        if v not in index:
            strong(v)
    return out


def test_no_import_runs_up_or_across_a_layer():
    assert layer_violations(GRAPH) == []


def test_no_import_circles():
    assert circles(GRAPH) == []


def test_function_level_imports_of_planbook_only_in_entry_points():
    bad = [f"{m}:{line} imports {t} inside a function" for m, imps in GRAPH.items() for t, nested, line in imps
           if nested and t.startswith("planbook") and _layer(m)[1] != ""]
    assert bad == []


def test_heavy_packages_only_where_needed():
    bad = []
    for module, imports in GRAPH.items():
        for target, nested, line in imports:
            top = target.split(".")[0]
            if top in HEAVY and module not in HEAVY[top]:
                bad.append(f"{module}:{line} imports {target}")
    assert bad == []


def test_the_contract_catches_a_copied_rule_importing_upwards(tmp_path):
    """The checks above can fail: an import from core up to the roll-up, and a circle, are found."""
    graph = dict(GRAPH)
    graph["planbook.core.status"] = [*graph["planbook.core.status"], ("planbook.rollup.tracker", False, 1)]
    assert any("planbook.core.status" in v for v in layer_violations(graph))
    assert any("planbook.core.status" in group for group in circles(graph))


def test_import_planbook_is_light():
    code = ("import sys, json, planbook; heavy = ['xlsxwriter', 'openpyxl', 'python_calamine', 'docxtpl', 'docx', "
            "'jinja2', 'xlwings', 'smtplib', 'imaplib', 'olefile', 'pandas', 'lxml', 'isal']; print(json.dumps([m for m in heavy if m in sys.modules]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(result.stdout) == []


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.count(".") >= 1))
def test_every_module_says_what_it_is_for(name):
    assert ast.get_docstring(ast.parse(MODULES[name].read_text(encoding="utf-8"))), f"{name} has no docstring"


#: The sheets planbook writes and reads back, spelt once in planbook.core.layout.
SHEET_NAMES = ("Guide", "Lists", "_planbook", "Summary", "All actions", "Exceptions", "Changes", "Data issues",
               "Sources", "Returns", "Lead changes")


def sheet_names_spelt_out(source: str) -> list[int]:
    """Lines where code spells a sheet name (docstrings aside): a string that is the name, or,
    for a name of two words, that holds it."""
    tree = ast.parse(source)
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                  and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or id(node) in docstrings:
            continue
        value = node.value.decode("latin-1") if isinstance(node.value, bytes) else node.value
        if isinstance(value, str) and any(value == name or (" " in name and name in value) for name in SHEET_NAMES):
            lines.append(node.lineno)
    return sorted(lines)


def test_sheet_names_are_spelt_only_in_the_layout_module():
    spelt = {name: sheet_names_spelt_out(path.read_text(encoding="utf-8")) for name, path in MODULES.items()
             if name != "planbook.core.layout"}
    assert {name: lines for name, lines in spelt.items() if lines} == {}


def test_a_sheet_name_spelt_out_is_found():
    assert sheet_names_spelt_out('"""Data issues: a docstring."""\nws = wb.add_worksheet("Data issues")\n'
                                 'ok = "Returns" in names\nhead = b\'name="All actions"\'\n') == [2, 3, 4]
    assert sheet_names_spelt_out('from planbook.core.layout import DATA_ISSUES\nwb.add_worksheet(DATA_ISSUES)\n') == []
