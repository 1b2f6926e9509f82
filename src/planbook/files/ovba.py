"""MS-OVBA compression (the VBA source streams in vbaProject.bin), written from the spec.

[MS-OVBA] 2.4.1: a signature byte 0x01, then chunks of up to 4096 source bytes.  Each chunk
has a 2-byte header (size - 3 in 12 bits, signature 0b011, a "compressed" flag) and tokens in
groups of eight behind a flag byte: a literal byte, or a 2-byte copy token (offset, length)
whose split between offset and length bits depends on how far into the chunk we are.
ms-ovba's own compressor corrupts longer modules; this one is checked against oletools'
independent decompressor by a property test.
"""
from __future__ import annotations

CHUNK = 4096


def _bit_count(position: int) -> int:
    """Offset bits of a copy token at ``position`` bytes into the chunk (spec: CopyToken Help)."""
    return max(4, (position - 1).bit_length())


def _compress_chunk(chunk: bytes) -> bytes:
    body = bytearray()
    heads: dict[bytes, list[int]] = {}  # 3-byte prefix -> earlier positions, for match search
    pos, n = 0, len(chunk)

    def remember(upto: int) -> None:
        for p in range(remember.done, min(upto, n - 2)):
            heads.setdefault(chunk[p:p + 3], []).append(p)
        remember.done = max(remember.done, min(upto, n - 2))
    remember.done = 0

    while pos < n:
        flag_at = len(body)
        body.append(0)
        flags = 0
        for bit in range(8):
            if pos >= n:
                break
            remember(pos)
            bits = _bit_count(pos)
            max_len = min((0xFFFF >> bits) + 3, n - pos)
            best_len, best_off = 0, 0
            if max_len >= 3:
                for cand in reversed(heads.get(chunk[pos:pos + 3], ())):
                    if pos - cand > (1 << bits):
                        break  # too far back for this token's offset bits
                    length = 3
                    while length < max_len and chunk[cand + length] == chunk[pos + length]:
                        length += 1
                    if length > best_len:
                        best_len, best_off = length, pos - cand
                        if length == max_len:
                            break
            if best_len >= 3:
                token = ((best_off - 1) << (16 - bits)) | (best_len - 3)
                body += token.to_bytes(2, "little")
                flags |= 1 << bit
                pos += best_len
            else:
                body.append(chunk[pos])
                pos += 1
        body[flag_at] = flags
    if len(body) <= CHUNK:
        header = 0x8000 | (0b011 << 12) | (len(body) + 2 - 3)
        return header.to_bytes(2, "little") + bytes(body)
    if n == CHUNK:  # incompressible full chunk: stored raw
        return ((0b011 << 12) | 0x0FFF).to_bytes(2, "little") + chunk
    raise ValueError("a final chunk that does not compress cannot be stored")


def compress(data: bytes) -> bytes:
    """Compress ``data`` into an MS-OVBA CompressedContainer."""
    out = bytearray(b"\x01")
    for start in range(0, len(data), CHUNK):
        out += _compress_chunk(data[start:start + CHUNK])
    return bytes(out)
