"""The VBA in ``macros/`` read with a real VBA grammar, so it is checked without Excel.

The parser is the ANTLR grammar after Microsoft's language specification (MS-VBAL) that the
``antlr4-vba`` package ships.  Conditional compilation (``#If Mac Then``) is resolved first, once
for Windows Excel and once for Mac Excel, and each text is parsed; a line a configuration drops is
left blank, so errors keep their line numbers.  From the parse tree this module collects what a
compiler would check and LibreOffice (which runs only the branches a test takes, and resolves a
name only when its line runs) does not: every procedure with its parameters, every module-level
name, every local declaration and label, every name a procedure uses, every call with its number of
arguments, and every ``Application.Run`` / ``OnAction`` target.

Not a test module: ``tests/test_vba_source.py`` uses it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from antlr4 import CommonTokenStream, InputStream
from antlr4.error.ErrorListener import ErrorListener
from antlr4.tree.Tree import TerminalNode
from antlr4_vba.vbaLexer import vbaLexer
from antlr4_vba.vbaParser import vbaParser

#: The conditional-compilation constants of each Excel the macros must compile in.
CONFIGURATIONS: dict[str, dict[str, bool]] = {
    "Windows": {"Mac": False, "Win16": False, "Win32": True, "Win64": True, "VBA6": True, "VBA7": True},
    "macOS": {"Mac": True, "Win16": False, "Win32": False, "Win64": False, "VBA6": True, "VBA7": True},
}

#: Names the VBA library (functions, statements used as calls, constants, objects) gives every module.
VBA_LIBRARY = frozenset(name.lower() for name in """
    Abs Array Asc AscW Atn CBool CByte CCur CDate CDbl CDec Choose Chr ChrW CInt CLng CLngLng CLngPtr
    Command Cos CreateObject CSng CStr CurDir CVar CVErr Date DateAdd DateDiff DatePart DateSerial
    DateValue Day Dir DoEvents Environ EOF Err Error Exp FileDateTime FileLen Filter Fix Format
    FormatNumber FreeFile GetAttr GetObject Hex Hour IIf InStr InStrB InStrRev Int IsArray IsDate
    IsEmpty IsError IsMissing IsNull IsNumeric IsObject Join LBound LCase Left Len LOF Log LTrim Mid
    Minute Month MonthName MsgBox Now Oct Replace RGB Right Rnd Round RTrim Second Sgn Shell Sin Space
    Split Sqr StrComp StrConv String StrReverse Tan Time Timer TimeSerial TimeValue Trim TypeName
    UBound UCase Val VarType Weekday WeekdayName Year
    Beep ChDir ChDrive FileCopy Kill MkDir Randomize RmDir SetAttr SendKeys
    Collection Object Variant Nothing Empty Null True False Debug
    vbCr vbLf vbCrLf vbNewLine vbNullString vbNullChar vbTab vbBack vbFormFeed vbVerticalTab
    vbCritical vbExclamation vbInformation vbQuestion vbOKOnly vbOKCancel vbYesNo vbYes vbNo vbCancel
    vbDirectory vbNormal vbHidden vbReadOnly vbSystem vbArchive vbDate vbString vbBoolean vbInteger
    vbLong vbDouble vbSingle vbCurrency vbEmpty vbNull vbObject vbVariant vbArray vbError vbDecimal
    vbByte vbBinaryCompare vbTextCompare vbUseSystemDayOfWeek vbObjectError vbHide vbNormalFocus
""".split())

#: The global members of Excel's object model the macros may use without a qualifier.
EXCEL_GLOBALS = frozenset(name.lower() for name in """
    Application ThisWorkbook ActiveWorkbook ActiveSheet ActiveCell Workbooks Worksheets Sheets Range
    Cells Columns Rows Names Selection Evaluate Intersect Union
    xlUp xlDown xlToLeft xlToRight xlCalculationManual xlCalculationAutomatic
""".split())


class _Errors(ErrorListener):
    def __init__(self) -> None:
        self.found: list[tuple[int, int, str]] = []

    def syntaxError(self, recognizer, offending, line, column, msg, e):  # noqa: N802 (ANTLR's name)
        self.found.append((line, column, msg))


def preprocess(text: str, constants: dict[str, bool]) -> str:
    """The module as one Excel compiles it: ``#Const``, ``#If``/``#ElseIf``/``#Else``/``#End If``
    resolved with ``constants``; every directive line and every line of a branch not taken left blank."""
    consts = {k.lower(): v for k, v in constants.items()}
    out: list[str] = []
    stack: list[list[bool]] = []  # per open #If: [this branch taken, some branch already taken]

    def active() -> bool:
        return all(taken for taken, _ in stack)

    for number, line in enumerate(text.splitlines(), 1):
        directive = re.match(r"\s*#\s*(If|ElseIf|Else|End\s*If|Const)\b(.*?)(\bThen)?\s*(?:'.*)?$", line, re.I)
        if not directive:
            out.append(line if active() else "")
            continue
        word, rest = re.sub(r"\s+", " ", directive.group(1)).lower(), directive.group(2)
        if word == "const":
            name, _, value = rest.partition("=")
            if active():
                consts[name.strip().lower()] = _cc_value(value, consts, number)
        elif word == "if":
            taken = _cc_value(rest, consts, number)
            stack.append([bool(taken), bool(taken)])
        elif word == "elseif":
            if not stack:
                raise SyntaxError(f"line {number}: #ElseIf without #If")
            taken = not stack[-1][1] and bool(_cc_value(rest, consts, number))
            stack[-1] = [taken, stack[-1][1] or taken]
        elif word == "else":
            if not stack:
                raise SyntaxError(f"line {number}: #Else without #If")
            stack[-1] = [not stack[-1][1], True]
        else:
            if not stack:
                raise SyntaxError(f"line {number}: #End If without #If")
            stack.pop()
        out.append("")
    if stack:
        raise SyntaxError("#If without #End If")
    return "\n".join(out) + "\n"


def _cc_value(expression: str, consts: dict[str, bool], line: int):
    """A conditional-compilation expression's value (constants, True/False, numbers, Not/And/Or/Xor, = <>)."""
    words = {"and": " and ", "or": " or ", "not": " not ", "xor": " ^ ", "true": " True ", "false": " False "}
    python = []
    for token in re.findall(r"<>|<=|>=|[=<>()]|\w+|\S", expression):
        low = token.lower()
        if low in words:
            python.append(words[low])
        elif token == "=":
            python.append("==")
        elif token == "<>":
            python.append("!=")
        elif re.fullmatch(r"\d+", token) or token in "()<>" or token in ("<=", ">="):
            python.append(token)
        elif re.fullmatch(r"[A-Za-z_]\w*", token):
            python.append(repr(consts.get(low, False)))  # an undefined constant is Empty: false
        else:
            raise SyntaxError(f"line {line}: cannot read the #If condition {expression.strip()!r}")
    return eval(" ".join(python) or "False", {"__builtins__": {}})  # noqa: S307 (only the tokens above)


#: A line that starts a procedure: where a module is cut into pieces to parse.
PROCEDURE_START = re.compile(r"\s*((Public|Private|Friend|Global)\s+)?(Static\s+)?(Sub|Function|Property\s+(Get|Let|Set))\s",
                             re.I)
HEADER_LINE = re.compile(r"\s*(VERSION\s|BEGIN\b|END\s*$|MultiUse\s|Attribute\s+VB_)", re.I)


def pieces(text: str) -> list[str]:
    """The module cut before each procedure: the declarations, then one procedure a piece, each
    after the module's header and blank lines up to its own first line (so line numbers hold).

    The grammar's Python parser takes time that grows fast with a module's length; pieces parse
    in seconds, and a module is valid exactly when its declarations and each procedure are."""
    lines = text.splitlines()
    header = 0
    while header < len(lines) and HEADER_LINE.match(lines[header]):
        header += 1
    starts = [i for i, line in enumerate(lines) if i >= header and PROCEDURE_START.match(line)]
    bounds = [0, *starts, len(lines)]
    out = []
    for a, b in zip(bounds, bounds[1:]):
        head = lines[:header] if a else []
        out.append("\n".join(head + [""] * (a - len(head)) + lines[a:b]) + "\n")
    return out


@lru_cache(maxsize=None)
def parse(text: str):
    """(parse trees, syntax errors as (line, column, message)) of one module's text; cached by text.

    Each piece is parsed with ANTLR's fast SLL prediction first; a piece SLL cannot parse is parsed
    again with full LL prediction, whose errors are the ones reported."""
    from antlr4.atn.PredictionMode import PredictionMode
    from antlr4.error.ErrorStrategy import BailErrorStrategy
    from antlr4.error.Errors import ParseCancellationException

    trees, errors = [], _Errors()
    for piece in pieces(text):
        tokens = CommonTokenStream(_lexer(piece, errors))
        tokens.fill()
        parser = vbaParser(tokens)
        parser.removeErrorListeners()
        parser._interp.predictionMode = PredictionMode.SLL
        parser._errHandler = BailErrorStrategy()
        try:
            trees.append(parser.startRule())
            continue
        except ParseCancellationException:
            pass
        tokens.seek(0)
        parser = vbaParser(tokens)
        parser.removeErrorListeners()
        parser.addErrorListener(errors)
        trees.append(parser.startRule())
    return trees, tuple(sorted(set(errors.found)))


def _lexer(text: str, errors: _Errors) -> vbaLexer:
    lexer = vbaLexer(InputStream(text))
    lexer.removeErrorListeners()
    lexer.addErrorListener(errors)
    return lexer


@dataclass
class Call:
    """A use of a name as a procedure: ``Foo a, b``, ``Call Foo(a)``, ``x = Foo(a, b)``."""

    name: str
    arguments: int
    line: int


@dataclass
class Procedure:
    name: str
    kind: str  # Sub, Function, Property
    public: bool
    line: int
    required: int = 0  # parameters without Optional
    optional: int = 0
    param_array: bool = False
    declared: set[str] = field(default_factory=set)  # parameters, Dim/Static/Const/ReDim names (lower case)
    labels: set[str] = field(default_factory=set)
    uses: list[tuple[str, int]] = field(default_factory=list)  # (name as written, line)
    types: list[tuple[str, int]] = field(default_factory=list)  # user type names in As clauses
    calls: list[Call] = field(default_factory=list)
    gotos: list[tuple[str, int]] = field(default_factory=list)
    runs: list[tuple[str, int]] = field(default_factory=list)  # Application.Run targets (the literal text)
    on_actions: list[tuple[str, int]] = field(default_factory=list)


@dataclass
class Module:
    name: str  # VB_Name
    path: Path
    configuration: str
    errors: tuple[tuple[int, int, str], ...]
    standard: bool = True
    names: dict[str, str] = field(default_factory=dict)  # module-level variables and constants: lower -> scope
    procedures: dict[str, Procedure] = field(default_factory=dict)  # lower name -> procedure


def _rule(node) -> str:
    return "" if isinstance(node, TerminalNode) else vbaParser.ruleNames[node.getRuleIndex()]


def _children(node):
    return [] if isinstance(node, TerminalNode) else list(node.getChildren())


def _walk(node):
    yield node
    for child in _children(node):
        yield from _walk(child)


def _first(node, rule: str):
    return next((n for n in _walk(node) if _rule(n) == rule), None)


def _line(node) -> int:
    return node.symbol.line if isinstance(node, TerminalNode) else node.start.line


def _plain(name: str) -> str:
    """A name without its type suffix (Trim$ -> trim), lower case: VBA names ignore case."""
    return name.rstrip("$%&!#@^").lower()


def _declared_name(node) -> str:
    ident = _first(node, "ambiguousIdentifier") or _first(node, "typedName")
    return _plain(ident.getText())


def read_module(path: Path, configuration: str) -> Module:
    text = preprocess(path.read_text(encoding="latin-1"), CONFIGURATIONS[configuration])
    trees, errors = parse(text)
    header = re.search(r'^Attribute VB_Name = "(\w+)"', text, re.M)
    module = Module(name=header.group(1) if header else path.stem, path=path, configuration=configuration,
                    errors=errors, standard=path.suffix.lower() == ".bas")
    if errors:
        return module
    for node in (n for tree in trees for n in _walk(tree)):
        rule = _rule(node)
        if rule in ("moduleVariableDeclaration", "publicConstDeclaration", "privateConstDeclaration"):
            scope = node.getText().split()[0].lower() if rule == "moduleVariableDeclaration" else rule[:6]
            scope = "public" if scope.startswith(("public", "global")) else "private"
            for dcl in _walk(node):
                if _rule(dcl) in ("variableDcl", "constItem"):
                    module.names[_declared_name(dcl)] = scope
        elif rule in ("subroutineDeclaration", "functionDeclaration", "propertyGetDeclaration",
                      "propertyLhsDeclaration"):
            proc = _procedure(node, rule)
            module.procedures[proc.name.lower()] = proc
    return module


def _procedure(node, rule: str) -> Procedure:
    name_node = _first(node, {"subroutineDeclaration": "subroutineName", "functionDeclaration": "functionName"}
                      .get(rule, "functionName")) or _first(node, "subroutineName")
    scope = _first(node, "procedureScope")
    proc = Procedure(name=name_node.getText().rstrip("$%&!#@^"),
                     kind={"subroutineDeclaration": "Sub", "functionDeclaration": "Function"}.get(rule, "Property"),
                     public=scope is None or scope.getText().lower() in ("public", "friend", "global"),
                     line=_line(node))
    for n in _walk(node):
        r = _rule(n)
        if r == "positionalParam":
            proc.required += 1
            proc.declared.add(_declared_name(n))
        elif r == "optionalParam":
            proc.optional += 1
            proc.declared.add(_declared_name(n))
        elif r == "paramArray":
            proc.param_array = True
            proc.declared.add(_declared_name(n))
        elif r in ("localVariableDeclaration", "staticVariableDeclaration", "localConstDeclaration"):
            for dcl in _walk(n):
                if _rule(dcl) in ("variableDcl", "constItem"):
                    proc.declared.add(_declared_name(dcl))
        elif r == "redimStatement":
            pass  # ReDim names an array declared elsewhere: its name is a use, checked like any other
        elif r == "statementLabelDefinition":
            proc.labels.add(n.getText().rstrip(":").strip().lower())
        elif r == "statementLabel":
            proc.gotos.append((n.getText().strip(), _line(n)))
        elif r == "definedTypeExpression":
            proc.types.append((n.getText(), _line(n)))
        elif r == "simpleNameExpression" and _rule(n.parentCtx.parentCtx) != "typeExpression" \
                and _rule(n.parentCtx) != "definedTypeExpression":
            proc.uses.append((n.getText(), _line(n)))
        elif r in ("callStatement", "indexExpression"):
            call = _call(n)
            if call:
                proc.calls.append(call)
        if r in ("callStatement", "indexExpression") and re.fullmatch(
                r"application\.run", _callee_text(n).lower()):
            args = _arguments(n)
            proc.runs.append(("".join(_literals(args[0])) if args else "", _line(n)))
        if r == "letStatement":
            target = _children(n)[0].getText().lower()
            if target.endswith(".onaction"):
                proc.on_actions.append(("".join(_literals(_children(n)[-1])), _line(n)))
    return proc


def _callee(node):
    kids = [k for k in _children(node) if _rule(k) not in ("wsc",) and not isinstance(k, TerminalNode)]
    return kids[0] if kids else None


def _callee_text(node) -> str:
    callee = _callee(node)
    if callee is None:
        return ""
    if _rule(node) == "memberAccessExpression":
        return node.getText()
    return callee.getText()


def _arguments(node) -> list:
    args = next((k for k in _children(node) if _rule(k) == "argumentList"), None)
    if args is None:
        return []
    found = []
    for n in _walk(args):
        if _rule(n) in ("positionalArgument", "requiredPositionalArgument", "namedArgument"):
            if not any(_rule(p) in ("positionalArgument", "requiredPositionalArgument", "namedArgument")
                       for p in _ancestors(n, args)):
                found.append(n)
    return found


def _ancestors(node, stop):
    node = node.parentCtx
    while node is not None and node is not stop:
        yield node
        node = node.parentCtx


def _literals(node) -> list[str]:
    """The string literals in an expression, unquoted, in order."""
    return [n.getText()[1:-1].replace('""', '"') for n in _walk(node)
            if isinstance(n, TerminalNode) and n.symbol.type == vbaLexer.STRINGLITERAL]


def _call(node) -> Call | None:
    """A call of a plain name (not a member of an object), with its number of arguments."""
    callee = _callee(node)
    if callee is None:
        return None
    inner = callee
    while _rule(inner) == "lExpression" and len(_children(inner)) == 1:
        inner = _children(inner)[0]
    if _rule(inner) != "simpleNameExpression":
        return None
    return Call(inner.getText(), len(_arguments(node)), _line(node))


def read_project(folder: Path, configuration: str) -> dict[str, Module]:
    """Every module in ``folder`` (.bas and .cls) as one Excel configuration compiles it."""
    return {p.name: read_module(p, configuration) for p in sorted(folder.glob("*.bas")) + sorted(folder.glob("*.cls"))}


def problems(modules: dict[str, Module], entry_points: dict[str, str] | None = None,
             external: dict[str, set[str]] | None = None) -> list[str]:
    """What a compiler or a click would stop at: syntax errors, names that are not declared anywhere,
    calls with the wrong number of arguments, GoTo labels, Run and OnAction targets that do not exist,
    and entry points (button caption -> macro) that are not public parameterless Subs of a standard
    module.  ``external`` names macros other workbooks or add-ins provide (e.g. xlwings' RunPython)."""
    found: list[str] = []
    for file, module in modules.items():
        for line, column, message in module.errors:
            found.append(f"{file} ({module.configuration}) line {line}:{column}: {message}")
    if found:
        return found
    public = {}
    for module in modules.values():
        if module.standard:
            public.update({k: p for k, p in module.procedures.items() if p.public})
            public.update({k: None for k, scope in module.names.items() if scope == "public"})
    macros_by_module = {m.name.lower(): m for m in modules.values()}
    external = {k.lower(): {n.lower() for n in v} for k, v in (external or {}).items()}
    for file, module in modules.items():
        here = f"{file} ({module.configuration})"
        for proc in module.procedures.values():
            own = proc.declared | {proc.name.lower()}
            known = own | set(module.names) | set(module.procedures) | set(public)
            for name, line in proc.uses:
                plain = _plain(name)
                if plain not in known and plain not in VBA_LIBRARY and plain not in EXCEL_GLOBALS:
                    found.append(f"{here} line {line}: {name} in {proc.name} is not declared anywhere")
            for name, line in proc.types:
                plain = _plain(name)
                if plain not in VBA_LIBRARY and plain not in EXCEL_GLOBALS:
                    found.append(f"{here} line {line}: type {name} in {proc.name} is not known")
            for label, line in proc.gotos:
                if label.lower() not in proc.labels and not label.isdigit() and label != "0":
                    found.append(f"{here} line {line}: GoTo {label} in {proc.name}: no such label")
            for call in proc.calls:
                key = _plain(call.name)
                if key in own - {proc.name.lower()} or key in module.names:
                    continue  # a variable (an array index, or an object's default member)
                target = module.procedures.get(key) or (public.get(key) if key not in module.procedures else None)
                if target is None:
                    continue
                low = target.required
                high = None if target.param_array else target.required + target.optional
                if call.arguments < low or (high is not None and call.arguments > high):
                    want = f"{low}" if high == low else f"{low} to {'any' if high is None else high}"
                    found.append(f"{here} line {call.line}: {call.name} takes {want} argument(s), "
                                 f"given {call.arguments}")
            for literal, line in proc.runs:
                found += [f"{here} line {line}: {p}" for p in _target_problems(literal, public, macros_by_module,
                                                                             external, "Application.Run")]
            for literal, line in proc.on_actions:
                found += [f"{here} line {line}: {p}" for p in _target_problems(literal, public, macros_by_module,
                                                                             external, "OnAction")]
    for caption, macro in (entry_points or {}).items():
        proc = public.get(macro.lower())
        if not isinstance(proc, Procedure) or proc.kind != "Sub" or proc.required or proc.optional:
            found.append(f"the button {caption!r} runs {macro}, which is not a public Sub without parameters "
                         "in a standard module")
    return found


def _target_problems(literal: str, public: dict, modules: dict[str, Module],
                     external: dict[str, set[str]], how: str) -> list[str]:
    """A Run/OnAction target: "Macro", "Module.Macro", "'Book.xlsm'!Macro" or "addin.xlam!Macro"."""
    if not literal:
        return [f"{how} has no literal macro name to check"]
    book, _, macro = literal.rpartition("!")
    module, _, macro = macro.rpartition(".")
    book = book.strip("'").lower()
    for source, names in external.items():
        if macro.lower() in names and (not book or book.split(".")[0] == source):
            return []
    if module and module.lower() in modules:
        procs = modules[module.lower()].procedures
        return [] if macro.lower() in procs else [f"{how} target {literal!r}: no {macro} in {module}"]
    if isinstance(public.get(macro.lower()), Procedure):
        return []
    return [f"{how} target {literal!r} is not a public procedure of these modules"
            + (f" nor of {', '.join(external)}" if external else "")]
