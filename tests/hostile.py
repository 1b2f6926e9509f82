"""Generators for the hostile-input corpus (issue 10): small on disk, made in code.

* :func:`patched_return` — a real lead return with chosen cells replaced by raw SpreadsheetML
  text (control characters, escapes, a 3 MB cell, entity references).
* :func:`zip_with_bomb` — a copy of a zip whose one part inflates to gigabytes while the file
  stays a few megabytes (deflate blocks of repeated bytes, concatenated), with an honest or a
  lying size in the zip directory.
* :func:`check_output_file` — open an output the way the issue asks: openpyxl, calamine, and a
  strict XML parse (lxml, no recovery, no entities) of every XML part; for an .eml, of every
  attached workbook or document.
"""
from __future__ import annotations

import email
import email.policy
import hashlib
import io
import os
import re
import zipfile
import zlib
from pathlib import Path

from planbook import Action, Lead, PlanInfo, parse_due, write_plan
from planbook.fast.fastrows import crc32_combine

LEAD = "Jane Smith"


def return_info() -> PlanInfo:
    """The plan of the hostile returns: the same title and period as conftest.small_plan, so
    consolidate takes them as returns of that plan (issue 11: returns belong to one plan)."""
    return PlanInfo(title="Test partnership plan", period="Q2 2009/10", leads=[Lead(LEAD, "jane@example.org"), Lead("Bob Jones")],
                    themes=["Being Healthy", "Staying Safe"], coordinator="Pat", coordinator_email="pat@example.org")


def patched_return(path: Path, payloads: dict[str, bytes], *, rows: int = 3) -> Path:
    """A lead's returned copy (Jane Smith's tab) whose cells holding the placeholder keys of
    ``payloads`` ("@@1@@" …) hold the raw XML text given instead.  Placeholders go in Action,
    Progress update, Due, Status and an extra Notes column (``@@action1@@``, ``@@progress1@@``,
    ``@@due1@@``, ``@@status1@@``, ``@@notes1@@`` for row 1, …); cells without a payload get
    ordinary text."""
    actions = []
    for i in range(1, rows + 1):
        actions.append(Action(f"1.{i}", f"@@action{i}@@", LEAD, theme="Being Healthy", objective="Objective",
                              due=parse_due(f"@@due{i}@@"), status=None, status_text=f"@@status{i}@@",
                              progress=f"@@progress{i}@@", extras={"Notes": f"@@notes{i}@@"}))
    tmp = path.with_suffix(".plain.xlsx")
    write_plan(tmp, return_info(), actions, only_leads=[LEAD], role="lead-copy", blank_rows=2)
    defaults = {}
    for i in range(1, rows + 1):
        defaults.update({f"@@action{i}@@": f"Action {i}".encode(), f"@@progress{i}@@": b"Progress",
                         f"@@due{i}@@": b"December 2009", f"@@status{i}@@": b"On track", f"@@notes{i}@@": b"Note"})
    defaults.update(payloads)
    with zipfile.ZipFile(tmp) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in shared_strings_as_excel_saves(zin):
            if info.filename == "xl/sharedStrings.xml":
                for key, value in defaults.items():
                    data = data.replace(key.encode(), value)
            zout.writestr(info.filename, data)
    tmp.unlink()
    return path


_INLINE = re.compile(rb'<c r="([A-Z]+\d+)"((?: s="\d+")?) t="inlineStr"><is><t xml:space="preserve">(.*?)</t></is></c>',
                     re.S)


def shared_strings_as_excel_saves(zin: zipfile.ZipFile) -> list[tuple[zipfile.ZipInfo, bytes]]:
    """The parts of a planbook-written workbook with every text cell turned into a shared
    string, as Excel saves a lead's return (planbook streams its rows in as inline strings):
    each sheet's ``<is>`` text moved, as it is, into ``xl/sharedStrings.xml``."""
    strings = re.findall(rb"<si>.*?</si>", zin.read("xl/sharedStrings.xml"), re.S)
    parts = []
    for info in zin.infolist():
        data = zin.read(info.filename)
        if info.filename.startswith("xl/worksheets/sheet"):
            def shared(m: re.Match) -> bytes:
                strings.append(b'<si><t xml:space="preserve">' + m.group(3) + b"</t></si>")
                return b'<c r="' + m.group(1) + b'"' + m.group(2) + b' t="s"><v>' + str(len(strings) - 1).encode() + b"</v></c>"
            data = _INLINE.sub(shared, data)
        parts.append((info, data))
    table = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % (len(strings), len(strings))
             + b"".join(strings) + b"</sst>")
    return [(info, table if info.filename == "xl/sharedStrings.xml" else data) for info, data in parts]


def replace_part(src: Path, dst: Path, name: str, transform) -> Path:
    """A copy of the zip ``src`` with part ``name`` replaced by ``transform(its bytes)``."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            zout.writestr(info.filename, transform(data) if info.filename == name else data)
    return dst


def _bomb_stream(head: bytes, size: int, tail: bytes, unit: int = 1 << 24) -> tuple[bytes, int, int]:
    """A raw deflate stream of ``head``, ``size`` spaces and ``tail`` made without inflating or
    deflating ``size`` bytes: one block of ``unit`` spaces, compressed once and repeated (a full
    flush makes each copy stand alone).  Returns (stream, CRC-32, inflated size)."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    first = packer.compress(head) + packer.flush(zlib.Z_FULL_FLUSH)
    block_packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = block_packer.compress(b" " * unit) + block_packer.flush(zlib.Z_FULL_FLUSH)
    n = size // unit
    last = zlib.compressobj(9, zlib.DEFLATED, -15)
    end = last.compress(tail) + last.flush(zlib.Z_FINISH)
    crc = zlib.crc32(head)
    block_crc = zlib.crc32(b" " * unit)
    for _ in range(n):
        crc = crc32_combine(crc, block_crc, unit)
    crc = crc32_combine(crc, zlib.crc32(tail), len(tail))
    return first + block * n + end, crc, len(head) + n * unit + len(tail)


def zip_with_bomb(src: Path, dst: Path, member: str, size: int, *, declared: int | None = None) -> Path:
    """A copy of ``src`` whose part ``member`` is its own XML with ``size`` bytes of whitespace
    inserted after the first element's opening tag end (so it inflates to ``size`` bytes), and
    ``declared`` as the size in the zip directory (default: the true size)."""
    with zipfile.ZipFile(src) as zin:
        original = zin.read(member)
        others = [(i, zin.read(i.filename)) for i in zin.infolist() if i.filename != member]
    cut = original.index(b">", original.index(b"?>") + 2) + 1  # after the root element's start tag
    stream, crc, true_size = _bomb_stream(original[:cut], size, original[cut:])
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in others:
            zout.writestr(info.filename, data)
        info = zipfile.ZipInfo(member, (2009, 10, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        info.CRC, info.file_size, info.compress_size = crc, declared or true_size, len(stream)
        zout.fp.seek(zout.start_dir)
        info.header_offset = zout.fp.tell()
        zout._writecheck(info)
        zout._didModify = True
        zout.fp.write(info.FileHeader(False))
        zout.fp.write(stream)
        zout.filelist.append(info)
        zout.NameToInfo[member] = info
        zout.start_dir = zout.fp.tell()
    return dst


# ---------------------------------------------------------------- checking outputs

_XML_PART = re.compile(r"\.(xml|rels|vml)$")


def strict_parse_zip(data: bytes | Path, label: str = "") -> int:
    """Parse every XML part of a zip strictly; returns how many were parsed."""
    from lxml import etree

    parser = etree.XMLParser(recover=False, resolve_entities=False, no_network=True, huge_tree=False)
    raw = data.read_bytes() if isinstance(data, Path) else data
    n = 0
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        assert zf.testzip() is None, f"{label}: a part fails its CRC"
        for name in zf.namelist():
            if _XML_PART.search(name):
                try:
                    etree.fromstring(zf.read(name), parser)
                except etree.XMLSyntaxError as exc:
                    raise AssertionError(f"{label}: {name} is not well-formed XML: {exc}") from exc
                n += 1
    return n


def check_workbook(path: Path | bytes, label: str = "") -> None:
    import openpyxl
    from python_calamine import CalamineWorkbook

    raw = path.read_bytes() if isinstance(path, Path) else path
    assert strict_parse_zip(raw, label) > 3
    wb = openpyxl.load_workbook(io.BytesIO(raw))
    assert wb.sheetnames
    cal = CalamineWorkbook.from_filelike(io.BytesIO(raw))
    for name in cal.sheet_names:
        cal.get_sheet_by_name(name).to_python()


def check_document(path: Path | bytes, label: str = "") -> None:
    from docx import Document

    raw = path.read_bytes() if isinstance(path, Path) else path
    assert strict_parse_zip(raw, label) > 3
    Document(io.BytesIO(raw))


def check_eml(path: Path) -> None:
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert msg["Subject"] is not None
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            text = part.get_content()
            assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", text), f"{path}: control character in a text part"
    for att in msg.iter_attachments():
        data = att.get_content()
        name = att.get_filename() or ""
        assert not re.search("[\x00-\x1f]", name)
        if name.endswith(".xlsx"):
            check_workbook(data, name)
        elif name.endswith(".docx"):
            check_document(data, name)


def check_output_file(path: Path) -> None:
    """Every output as the issue asks: openpyxl, calamine and strict XML for workbooks, python-docx
    and strict XML for documents, each attachment of an .eml."""
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        check_workbook(path, str(path))
    elif suffix == ".docx":
        check_document(path, str(path))
    elif suffix == ".eml":
        check_eml(path)
    else:
        raise AssertionError(f"no check for {path}")


def fingerprints(*paths: Path) -> dict[str, str]:
    """sha256 of every file under ``paths`` (to show inputs are byte-identical afterwards)."""
    out = {}
    for p in paths:
        files = sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
        for f in files:
            if f.is_file() and not f.is_symlink():
                out[str(f)] = hashlib.sha256(f.read_bytes()).hexdigest()
    return out


def stray_temporaries(folder: Path) -> list[str]:
    """Temporary files or folders planbook may leave beside an output."""
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith(".") and (".tmp" in p.name or ".parts-" in p.name or ".splice" in p.name
                                                 or p.name.startswith(".planbook-")))


def one_line_error(stderr: str) -> str:
    """The one error line of a failed run (progress lines aside); fails on a traceback."""
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("planbook:") and "warning" not in line]
    assert len(lines) == 1, stderr
    return lines[0]


def children_of(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (from /proc)."""
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    stat = fh.read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                kids.append(int(entry))
    return kids


def running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
