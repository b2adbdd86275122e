"""The site's icon as PNG and ICO, drawn from ``static/battkomp/favicon.svg`` (the one source):

    python tools/favicon.py

writes ``favicon-32.png``, ``favicon-180.png`` (touch icon) and ``favicon.ico`` (one 32 px PNG
inside an ICO container, which every current browser reads) beside the SVG. Browsers ask for
``/favicon.ico`` on their own for pages without an icon link, such as the PDF report in their
PDF viewer; the site answers that address with this file.
"""

from __future__ import annotations

import struct
from pathlib import Path

import vl_convert as vlc

STATIC = Path(__file__).resolve().parent.parent / "src" / "battkomp" / "static" / "battkomp"


def png(svg: str, size: int) -> bytes:
    # the SVG is drawn on a 32-unit canvas; scale it to ``size`` pixels
    sized = svg.replace("<svg ", f'<svg width="{size}" height="{size}" ', 1)
    return bytes(vlc.svg_to_png(sized, scale=1.0))


def ico(image: bytes, size: int) -> bytes:
    """An ICO holding one PNG image (ICONDIR + one ICONDIRENTRY + the PNG)."""
    header = struct.pack("<HHH", 0, 1, 1)
    entry = struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image), 6 + 16)
    return header + entry + image


def main() -> None:
    svg = (STATIC / "favicon.svg").read_text(encoding="utf-8")
    small = png(svg, 32)
    (STATIC / "favicon-32.png").write_bytes(small)
    (STATIC / "favicon-180.png").write_bytes(png(svg, 180))
    (STATIC / "favicon.ico").write_bytes(ico(small, 32))
    print(f"wrote favicon-32.png, favicon-180.png and favicon.ico in {STATIC}")


if __name__ == "__main__":
    main()
