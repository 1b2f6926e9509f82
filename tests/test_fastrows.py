"""The rows fastrows streams into a sheet read back exactly, by calamine and by openpyxl."""
import datetime as dt
import importlib
import re
import zipfile

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from planbook.fast.fastrows import splice_rows

_text = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"),
                        max_size=20) | st.sampled_from(["_x0041_", "\n", "\t", "<", "&", "]]>"]),
                 max_size=4).map("".join)
_value = st.none() | _text | st.integers(-10**9, 10**9) | st.floats(allow_nan=False, allow_infinity=False, width=32) \
    | st.dates(dt.date(1901, 1, 1), dt.date(2099, 12, 31))


def _write(path, rows, width):
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    date = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, [f"H{i}" for i in range(width)])
    for c in range(width):
        ws.write_blank(1, c, None, date if c == 0 else None)
    wb.close()
    splice_rows(path, {1: (width, len(rows), lambda start, stop: rows[start:stop], 0)})  # column 0 carries the date style


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(_value, min_size=3, max_size=3), min_size=1, max_size=15))
def test_spliced_rows_read_back_exactly(tmp_path_factory, rows):
    rows = [[r[0] if isinstance(r[0], dt.date) else None, r[1], r[2]] for r in rows]  # column 0 holds dates
    path = tmp_path_factory.mktemp("fr") / "f.xlsx"
    _write(path, rows, 3)
    wb = openpyxl.load_workbook(path)
    got = [[c.value for c in row] for row in wb["Data"].iter_rows(min_row=2, max_row=len(rows) + 1, max_col=3)]
    expected = []
    for row in rows:
        out = []
        for v in row:
            if isinstance(v, str) and v == "":
                v = None
            if isinstance(v, dt.date):
                v = dt.datetime(v.year, v.month, v.day)
            out.append(v)
        expected.append(out)
    for g, e in zip(got, expected):
        assert g[0] == e[0]
        for gv, ev in zip(g[1:], e[1:]):
            if isinstance(ev, float):
                assert abs(gv - ev) <= abs(ev) * 1e-12
            elif isinstance(ev, str) and re.search("_x[0-9A-Fa-f]{4}_", ev):
                continue  # openpyxl leaves Excel's _xHHHH_ escapes undecoded; calamine is checked below
            else:
                assert gv == ev
    cal = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Data").to_python(skip_empty_area=False)
    assert len(cal) == len(rows) + 1 or all(v in (None, "") for v in rows[-1])
    for crow, row in zip(cal[1:], rows):
        for cv, v in zip(crow[1:], row[1:]):
            if isinstance(v, str) and v:
                assert cv == v


def test_markup_and_control_characters_are_escaped(tmp_path):
    rows = [["<b>&amp; \"quoted\" 'x' </sheetData>", "tab\there\nnewline", "bell\x07 null\x00 ok"]]
    path = tmp_path / "f.xlsx"
    _write(path, [[None, *rows[0][:2]]], 3)
    ws = openpyxl.load_workbook(path)["Data"]
    assert ws["B2"].value == rows[0][0] and ws["C2"].value == rows[0][1]
    path2 = tmp_path / "g.xlsx"
    _write(path2, [[None, rows[0][2], "a _x0041_ b"]], 3)
    # openpyxl does not decode Excel's _xHHHH_ escapes; calamine, like Excel, does
    cal = CalamineWorkbook.from_path(str(path2)).get_sheet_by_name("Data").to_python()
    assert cal[1][1:] == ["bell\x07 null\x00 ok", "a _x0041_ b"]


@pytest.mark.parametrize("deflater", ["isal", "zlib"])
def test_pieces_deflated_apart_make_one_sound_member(tmp_path, monkeypatch, deflater):
    """Rows written in pieces (a forked child and this process, each piece its own deflate
    stream) join into one member that every CRC checks and readers read whole, with ISA-L's
    deflate and with zlib's (used where ISA-L has no wheel); rows past ASCII among them."""
    from planbook.fast import fastrows

    monkeypatch.setattr(fastrows, "_deflate", importlib.import_module("isal.isal_zlib" if deflater == "isal" else "zlib"))
    rows = [[None, f"row {i} – ‘café’" if i % 7 == 0 else f"row {i}", i] for i in range(2500)]
    path = tmp_path / "f.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.write_row(0, 0, ["H0", "H1", "H2"])
    for c in range(3):
        ws.write_blank(1, c, None)
    wb.close()
    sheets = {1: (3, len(rows), lambda start, stop: rows[start:stop], None)}
    with fastrows.rows_child(sheets, {1: ([""] * 3, "")}, path, piece_rows=300) as child:
        splice_rows(path, sheets, child=child)
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
    got = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Data").to_python()[1:]
    assert [[r[1], int(r[2])] for r in got] == [[r[1], r[2]] for r in rows]
    assert openpyxl.load_workbook(path)["Data"]["B2501"].value == rows[-1][1]
