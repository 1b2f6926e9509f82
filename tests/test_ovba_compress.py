"""Our MS-OVBA compressor round-trips through oletools' independent decompressor."""
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from oletools.olevba import decompress_stream

from planbook.files.ovba import compress

_vba_like = st.lists(st.sampled_from(["Public Sub ", "End Sub\r\n", "    ", "Dim x As String\r\n", "If ", " Then",
                                      "MsgBox \"", "\"", "'", "\r\n", "planbook", "Application.Run "])
                     | st.text(max_size=40).map(lambda s: s.encode("utf-8", "replace").decode("latin-1")),
                     max_size=600).map("".join)


@settings(max_examples=60, deadline=None)
@given(st.one_of(st.binary(max_size=3000), _vba_like.map(lambda s: s.encode("latin-1", "replace"))))
def test_round_trip(data):
    assert decompress_stream(bytearray(compress(data))) == data


def test_real_modules_round_trip():
    import xlwings

    for path in [*Path(__file__).resolve().parents[1].joinpath("macros").iterdir(),
                 Path(xlwings.__file__).parent / "xlwings.bas"]:
        data = path.read_bytes()
        packed = compress(data)
        assert decompress_stream(bytearray(packed)) == data
        assert len(packed) < len(data) or len(data) < 200  # it really compresses
