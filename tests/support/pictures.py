"""Small, valid picture files made in code (no binary fixtures)."""

from __future__ import annotations

import struct
import zlib


def png(width: int = 3, height: int = 2, pad: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    extra = chunk(b"tEXt", b"pad\x00" + b"x" * pad) if pad else b""
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + extra + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def jpeg(width: int = 640, height: int = 480) -> bytes:
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = struct.pack(">BHHB", 8, height, width, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    return (b"\xff\xd8"
            + b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
            + b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes(range(64))
            + b"\xff\xc0" + struct.pack(">H", len(sof0) + 2) + sof0
            + b"\xff\xd9")


def gif(width: int = 5, height: int = 7) -> bytes:
    return (b"GIF89a" + struct.pack("<HH", width, height) + b"\x00\x00\x00"
            + b",\x00\x00\x00\x00" + struct.pack("<HH", width, height)
            + b"\x00\x02\x02D\x01\x00;")


def webp_vp8x(width: int = 300, height: int = 200) -> bytes:
    body = (b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00"
            + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little"))
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def webp_lossy(width: int = 120, height: int = 90) -> bytes:
    frame = b"\x00\x00\x00" + b"\x9d\x01\x2a" + struct.pack("<HH", width, height) + b"\x00" * 8
    body = b"VP8 " + struct.pack("<I", len(frame)) + frame
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


def webp_lossless(width: int = 33, height: int = 17) -> bytes:
    w, h = width - 1, height - 1
    bits = w | (h << 14)
    frame = b"\x2f" + struct.pack("<I", bits) + b"\x00" * 4
    body = b"VP8L" + struct.pack("<I", len(frame)) + frame
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


SVG = (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>')
HTML_PAGE = ("<!DOCTYPE html><html><head><title>防盗链</title></head>"
             "<body><p>本站图片禁止外链</p></body></html>").encode()
