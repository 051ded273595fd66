"""The image every application names (``static/defaultapp.png``, as Gotify's default): a
plain 64x64 PNG made here, so Gotify's apps show an icon rather than fail to decode a page."""

from __future__ import annotations

import struct
import zlib

PATH = "static/defaultapp.png"
_SIZE = 64
_COLOUR = bytes((0x25, 0x63, 0xEB))  # the UI's accent blue


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def _png() -> bytes:
    header = struct.pack(">IIBBBBB", _SIZE, _SIZE, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = b"".join(b"\x00" + _COLOUR * _SIZE for _ in range(_SIZE))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(rows, 9))
        + _chunk(b"IEND", b"")
    )


DEFAULT_APP_PNG = _png()
