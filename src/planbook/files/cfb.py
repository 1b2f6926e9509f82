"""One stream out of an OLE compound file (the container of an Excel 97-2003 .xls), read the way
calamine reads it, strictly.

calamine follows a compound file's sector chains without looking for loops or for sectors out
of range: a file whose chain loops, or whose stream claims more bytes than the file holds,
makes it grow a buffer until the process aborts, or panic.  This reader follows the same
chains (header, DIFAT, FAT, directory, mini stream) and refuses, with ValueError, any chain
that loops, leaves the file or the table, so that what calamine then reads is exactly what
was checked here (see planbook.files.othergrids for the look at the workbook's cells).
"""
from __future__ import annotations

import struct
from collections.abc import Sequence

SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_RESERVED = 0xFFFFFFFA  # ids from here up mean "no sector"
_DIFSECT = 0xFFFFFFFC
_ENDOFCHAIN = 0xFFFFFFFE
_MINI_CUTOFF = 4096  # calamine: a stream shorter than this lives in the mini stream


class CompoundFile:
    """The directory of a compound file and the means to read a stream of it (as calamine does)."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or data[:8] != SIGNATURE:
            raise ValueError("not an OLE compound file")
        shift = struct.unpack_from("<H", data, 30)[0]
        if shift not in (9, 12) or struct.unpack_from("<H", data, 32)[0] != 6:
            raise ValueError("its sector sizes are not those of an Office file")
        self.data = data
        self.size = 1 << shift
        self.header = 512 if shift == 9 else 4096
        self.maxid = len(data) // self.size  # calamine refuses a sector id past this
        _, dir_start, _, _, mini_fat_start, mini_fat_len, difat_start = struct.unpack_from("<7I", data, 44)
        difat = list(struct.unpack_from("<109I", data, 76))
        seen: set[int] = set()
        sector = difat_start
        while sector < _RESERVED:  # DIFAT sectors: each one's last entry names the next
            if sector in seen:
                raise ValueError("its DIFAT chain loops")
            seen.add(sector)
            difat += self._words(self._sector(sector))
            sector = difat.pop()
        self.fat: list[int] = []
        for sector in difat:
            if sector < _DIFSECT:
                self.fat += self._words(self._sector(sector))
        dirs = self._chain(dir_start, self.fat, self._sector, None)
        self.entries: list[tuple[str, int, int]] = []  # (name, first sector, length)
        wide = self.size == 4096
        for at in range(0, len(dirs) - 127, 128):
            raw = dirs[at:at + 64].decode("utf-16-le", "replace")
            name = raw.split("\x00", 1)[0]
            start = struct.unpack_from("<I", dirs, at + 116)[0]
            length = struct.unpack_from("<Q" if wide else "<I", dirs, at + 120)[0]
            self.entries.append((name, start, length))
        if not self.entries:
            raise ValueError("it has no root directory")
        self.mini_fat: list[int] = []
        self.mini_stream = b""
        if mini_fat_len:
            _, root_start, root_len = self.entries[0]
            self.mini_stream = self._chain(root_start, self.fat, self._sector, root_len)
            self.mini_fat = self._words(self._chain(mini_fat_start, self.fat, self._sector, mini_fat_len * self.size))

    @staticmethod
    def _words(raw: bytes) -> list[int]:
        return list(struct.unpack_from(f"<{len(raw) // 4}I", raw))

    def _sector(self, sector: int) -> bytes:
        if sector > self.maxid:
            raise ValueError(f"sector {sector} lies past the end of the file")
        start = self.header + sector * self.size
        return self.data[start:start + self.size]

    def _mini_sector(self, sector: int) -> bytes:
        start = sector * 64
        if start + 64 > len(self.mini_stream):
            raise ValueError(f"mini sector {sector} lies past the end of the mini stream")
        return self.mini_stream[start:start + 64]

    def _chain(self, sector: int, table: list[int], read, length: int | None) -> bytes:
        """The bytes of a chain, up to ``length`` (None: to its end), refusing a chain that loops,
        leaves the table, or claims more bytes than the file could hold."""
        if length is not None and length > len(self.data):
            raise ValueError(f"a stream claims {length:,} bytes, more than the file holds")
        out = bytearray()
        seen: set[int] = set()
        while sector != _ENDOFCHAIN:
            if sector in seen:
                raise ValueError("a sector chain loops")
            seen.add(sector)
            piece = read(sector)
            out += piece if length is None else piece[:length - len(out)]
            if length is not None and len(out) >= length:
                break
            if sector >= len(table):
                raise ValueError(f"sector {sector} is not in the allocation table")
            sector = table[sector]
        return bytes(out)

    def names(self) -> list[str]:
        return [name for name, _, _ in self.entries]

    def stream(self, names: Sequence[str]) -> tuple[str, bytes] | None:
        """The first of ``names`` the file holds, and its bytes (calamine looks in this order);
        None if it holds none of them."""
        for wanted in names:
            for name, start, length in self.entries:
                if name == wanted:
                    if length < _MINI_CUTOFF:
                        return name, self._chain(start, self.mini_fat, self._mini_sector, length)
                    return name, self._chain(start, self.fat, self._sector, length)
        return None
