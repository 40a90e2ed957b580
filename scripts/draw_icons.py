"""Draw CoopCare's mark (a white "C" on a green rounded square) as the favicon, the
touch icon and the link-preview image, with the standard library only.

    python scripts/draw_icons.py marketplace/static
"""

from __future__ import annotations

import math
import struct
import sys
import zlib
from pathlib import Path

GREEN = (0, 112, 60)  # #00703c, the green of the service's buttons
WHITE = (255, 255, 255)
SUBSAMPLES = 4  # 4 x 4 samples per pixel: smooth edges


def _inside_square(x: float, y: float, size: int, corner: float) -> bool:
    dx = max(corner - x, 0, x - (size - corner))
    dy = max(corner - y, 0, y - (size - corner))
    return dx * dx + dy * dy <= corner * corner


def _inside_ring(x: float, y: float, size: int) -> bool:
    distance = math.hypot(x - size / 2, y - size / 2)
    angle = math.degrees(math.atan2(y - size / 2, x - size / 2))
    return size * 0.22 <= distance <= size * 0.36 and not -35 <= angle <= 35


def draw(size: int) -> list[list[tuple[int, int, int, int]]]:
    """RGBA pixels of the mark, ``size`` x ``size``."""
    corner = size * 0.18
    samples = [(i + 0.5) / SUBSAMPLES for i in range(SUBSAMPLES)]
    pixels = []
    for y in range(size):
        row = []
        for x in range(size):
            background = ring = 0
            for sy in samples:
                for sx in samples:
                    if _inside_square(x + sx, y + sy, size, corner):
                        background += 1
                        ring += _inside_ring(x + sx, y + sy, size)
            if background == 0:
                row.append((0, 0, 0, 0))
                continue
            share = ring / background
            colour = tuple(
                round(g * (1 - share) + w * share) for g, w in zip(GREEN, WHITE, strict=True)
            )
            row.append((*colour, round(255 * background / SUBSAMPLES**2)))
        pixels.append(row)
    return pixels


def png(pixels: list[list[tuple[int, int, int, int]]]) -> bytes:
    size = len(pixels)
    raw = b"".join(b"\x00" + bytes(v for pixel in row for v in pixel) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def ico(images: list[tuple[int, bytes]]) -> bytes:
    """An .ico file holding PNG images (supported by every current browser)."""
    offset = 6 + 16 * len(images)
    entries = data = b""
    for size, blob in images:
        entries += struct.pack(
            "<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(blob), offset + len(data)
        )
        data += blob
    return struct.pack("<HHH", 0, 1, len(images)) + entries + data


def main(folder: str) -> None:
    out = Path(folder)
    (out / "favicon.ico").write_bytes(ico([(s, png(draw(s))) for s in (16, 32, 48)]))
    (out / "apple-touch-icon.png").write_bytes(png(draw(180)))
    (out / "coopcare-share.png").write_bytes(png(draw(512)))


if __name__ == "__main__":
    main(sys.argv[1])
