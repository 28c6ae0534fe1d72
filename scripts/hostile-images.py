#!/usr/bin/env python3
"""Writes a corpus of hostile image files and a manifest of what signet must answer.

Usage: scripts/hostile-images.py OUTDIR [--photo examples/media/example-image.jpg]

Python's standard library only, deterministic (fixed seeds), a few MB in all.
Each manifest entry names a file, the query to request it with, the status
signet answers with its default limits, and why. `tests/e2e/hostile_images.rs`
serves the folder and checks every entry (status, under 2 s, bounded RSS, the
next normal request still served); docs/reliability.md lists the cases.
"""

import argparse
import json
import pathlib
import random
import struct
import zlib

ROOT = pathlib.Path(__file__).resolve().parents[1]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png(width: int, height: int, idat: bytes, color_type: int = 2, extra: bytes = b"") -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + extra
            + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b""))


def zeros_deflated(total: int, step: int = 1 << 22) -> bytes:
    """A zlib stream inflating to `total` zero bytes (about 1000:1)."""
    z = zlib.compressobj(9)
    block = bytes(step)
    out = []
    left = total
    while left > 0:
        out.append(z.compress(block[: min(step, left)]))
        left -= step
    out.append(z.flush())
    return b"".join(out)


def small_png() -> bytes:
    """A valid 8×8 RGB PNG."""
    rows = b"".join(b"\x00" + b"".join(bytes([x * 30, y * 30, 128]) for x in range(8)) for y in range(8))
    return png(8, 8, zlib.compress(rows))


def jpeg_segments(data: bytes):
    """(offset, marker, length) of each marker segment before the scan."""
    i = 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        yield i, marker, length
        if marker == 0xDA:
            return
        i += 2 + length


def jpeg_with_size(photo: bytes, width: int, height: int) -> bytes:
    """The photo with its frame header claiming another size."""
    out = bytearray(photo)
    for i, marker, _ in jpeg_segments(photo):
        if marker in (0xC0, 0xC1, 0xC2):
            struct.pack_into(">HH", out, i + 5, height, width)
            return bytes(out)
    raise SystemExit("no SOF in the photo")


def jpeg_with_app1(photo: bytes, total: int) -> bytes:
    """The photo with `total` bytes of EXIF-looking APP1 segments after SOI."""
    rng = random.Random(1)
    segments = []
    left = total
    while left > 0:
        payload = b"Exif\x00\x00MM\x00\x2a" + rng.randbytes(min(65533 - 10, left))
        segments.append(b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload)
        left -= len(payload)
    return photo[:2] + b"".join(segments) + photo[2:]


def riff(chunks: bytes) -> bytes:
    body = b"WEBP" + chunks
    return b"RIFF" + struct.pack("<I", len(body)) + body


def riff_chunk(kind: bytes, data: bytes) -> bytes:
    pad = b"\x00" if len(data) % 2 else b""
    return kind + struct.pack("<I", len(data)) + data + pad


def webp_lying() -> bytes:
    """VP8X says 100×100; the lossless bitstream says 16384×16384, then garbage."""
    vp8x = struct.pack("<I", 0) + (99).to_bytes(3, "little") + (99).to_bytes(3, "little")
    bits = (16383) | (16383 << 14)  # width-1, height-1, no alpha, version 0
    vp8l = b"\x2f" + struct.pack("<I", bits) + random.Random(2).randbytes(64)
    return riff(riff_chunk(b"VP8X", vp8x) + riff_chunk(b"VP8L", vp8l))


def avif_lying() -> bytes:
    """An `ftyp avif` box and a `meta`/`ispe` claiming 65535×65535, no pixels."""
    def box(kind, data):
        return struct.pack(">I", 8 + len(data)) + kind + data
    ftyp = box(b"ftyp", b"avif" + struct.pack(">I", 0) + b"avifmif1miaf")
    ispe = box(b"ispe", b"\x00\x00\x00\x00" + struct.pack(">II", 65535, 65535))
    meta = box(b"meta", b"\x00\x00\x00\x00" + box(b"iprp", box(b"ipco", ispe)))
    return ftyp + meta + box(b"mdat", bytes(32))


def tiff_lying(width: int, height: int) -> bytes:
    """A little-endian TIFF whose IFD claims width×height 8-bit RGB, one strip of 16 bytes."""
    entries = [
        (256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1),
        (262, 3, 1, 2), (273, 4, 1, 8 + 2 + 12 * 10 + 4), (277, 3, 1, 3),
        (278, 4, 1, height), (279, 4, 1, 16), (284, 3, 1, 1),
    ]
    ifd = struct.pack("<H", len(entries)) + b"".join(
        struct.pack("<HHII", tag, kind, count, value) if kind == 4
        else struct.pack("<HHIHH", tag, kind, count, value, 0)
        for tag, kind, count, value in entries) + struct.pack("<I", 0)
    return b"II*\x00" + struct.pack("<I", 8) + ifd + bytes(16)


def bmp_lying(width: int, height: int) -> bytes:
    """A BITMAPINFOHEADER claiming width×height at 24 bits, with 64 bytes of pixels."""
    info = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, 0, 2835, 2835, 0, 0)
    pixels = bytes(64)
    head = b"BM" + struct.pack("<IHHI", 14 + len(info) + len(pixels), 0, 0, 14 + len(info))
    return head + info + pixels


def ico_lying() -> bytes:
    """An ICO directory saying 16×16 around a PNG whose header says 60000×60000."""
    inner = png(60000, 60000, zlib.compress(bytes(100)))
    entry = struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 32, len(inner), 6 + 16)
    return struct.pack("<HHH", 0, 1, 1) + entry + inner


def heif_box(kind: bytes, data: bytes, full: bool = False) -> bytes:
    if full:
        data = b"\x00\x00\x00\x00" + data  # version 0, flags 0
    return struct.pack(">I", 8 + len(data)) + kind + data


def heic_huge_grid() -> bytes:
    """A HEIC whose primary item is a 255×255-tile grid of 65535×65535 pixels."""
    hdlr = heif_box(b"hdlr", bytes(4) + b"pict" + bytes(12) + b"\x00", full=True)
    pitm = heif_box(b"pitm", struct.pack(">H", 1), full=True)
    infe = struct.pack(">I", 0x02000000) + struct.pack(">HH", 1, 0) + b"grid" + b"\x00"
    iinf = heif_box(b"iinf", struct.pack(">H", 1) + heif_box(b"infe", infe), full=True)
    grid = struct.pack(">BBBBHH", 0, 0, 254, 254, 65535, 65535)
    ispe = heif_box(b"ispe", struct.pack(">II", 65535, 65535), full=True)
    ipma = heif_box(b"ipma", struct.pack(">IHBB", 1, 1, 1, 0x81), full=True)
    iprp = heif_box(b"iprp", heif_box(b"ipco", ispe) + ipma)
    ftyp = heif_box(b"ftyp", b"heic" + struct.pack(">I", 0) + b"mif1heic")

    def iloc(offset: int) -> bytes:
        return heif_box(b"iloc", struct.pack(">BBHHHHII", 0x44, 0x00, 1, 1, 0, 1, offset,
                                             len(grid)), full=True)

    tiles = 255 * 255
    dimg = heif_box(b"dimg", struct.pack(">HH", 1, tiles)
                    + b"".join(struct.pack(">H", 2 + i % 60000) for i in range(tiles)))
    iref = heif_box(b"iref", dimg, full=True)

    def meta(offset: int) -> bytes:
        return heif_box(b"meta", hdlr + pitm + iinf + iloc(offset) + iref + iprp, full=True)

    head = ftyp + meta(0)
    return ftyp + meta(len(head) + 8) + heif_box(b"mdat", grid)


def jxl_huge() -> bytes:
    """A JPEG XL codestream whose size header says 100000×100000, then nothing."""
    bits = []

    def put(value: int, n: int) -> None:
        bits.extend((value >> i) & 1 for i in range(n))

    put(0, 1)                 # div8: no
    put(3, 2); put(99999, 30)  # height - 1, 30-bit form
    put(0, 3)                 # no aspect ratio: width follows
    put(3, 2); put(99999, 30)  # width - 1
    put(1, 1)                 # image metadata: all default
    bits.extend([0] * (-len(bits) % 8))
    body = bytes(sum(bits[i + j] << j for j in range(8)) for i in range(0, len(bits), 8))
    return b"\xff\x0a" + body + bytes(4000)


SVG_NS = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'


def svg_laughs() -> bytes:
    ents = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10)]
    return (f'<?xml version="1.0"?><!DOCTYPE svg [{"".join(ents)}]>'
            f'<svg {SVG_NS} width="10" height="10"><text y="9">&l9;</text></svg>').encode()


def svg_use_bomb() -> bytes:
    parts = [f'<svg {SVG_NS} width="10" height="10"><defs><rect id="a0" width="1" height="1"/>']
    for i in range(1, 10):
        parts.append(f'<g id="a{i}">' + f'<use xlink:href="#a{i - 1}"/>' * 10 + "</g>")
    parts.append('</defs><use xlink:href="#a9"/></svg>')
    return "".join(parts).encode()


def svg_with(body: str, size: str = 'width="10" height="10"') -> bytes:
    return f'<svg {SVG_NS} {size}>{body}</svg>'.encode()


def gif_frames(count: int, screen: int, delay_cs: int = 1, frame_size: int = 1) -> bytes:
    """A GIF89a with `count` frames on a `screen`×`screen` canvas, each
    claiming `frame_size`×`frame_size` with one pixel of LZW data."""
    head = b"GIF89a" + struct.pack("<HH", screen, screen) + b"\x80\x00\x00"  # 2-colour table
    table = b"\x00\x00\x00\xff\xff\xff"
    frame = (b"\x21\xf9\x04\x00" + struct.pack("<H", delay_cs) + b"\x00\x00"  # graphic control
             + b"\x2c" + struct.pack("<HHHH", 0, 0, frame_size, frame_size) + b"\x00"
             + b"\x02\x02\x44\x01\x00")                 # LZW min 2: one pixel
    loop = b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    return head + table + loop + frame * count + b"\x3b"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir", type=pathlib.Path)
    parser.add_argument("--photo", type=pathlib.Path,
                        default=ROOT / "examples" / "media" / "example-image.jpg")
    args = parser.parse_args()
    photo = args.photo.read_bytes()
    out = args.outdir
    out.mkdir(parents=True, exist_ok=True)
    manifest = []

    def add(name, data, query, status, why):
        (out / name).write_bytes(data)
        manifest.append({"file": name, "query": query, "status": status, "why": why,
                         "bytes": len(data)})

    rgb_rows_bomb = zeros_deflated(64 << 20)
    add("png-bomb-50000.png", png(50000, 50000, rgb_rows_bomb), "w=10", 422,
        "50000×50000 header over a 64 MiB zlib bomb: refused from the header")
    add("jpeg-65535.jpg", jpeg_with_size(photo, 65535, 65535), "w=10", 422,
        "a real JPEG whose frame header claims 65535×65535")
    add("jpeg-60000.jpg", jpeg_with_size(photo, 60000, 60000), "w=10", 422,
        "a real JPEG whose frame header claims 60000×60000 (within libjpeg's 65500)")
    add("webp-lying.webp", webp_lying(), "w=10", 422,
        "VP8X says 100×100, the bitstream 16384×16384, then garbage")
    add("avif-lying.avif", avif_lying(), "w=10", 422,
        "AVIF claiming 65535×65535 with no image data")
    add("gif-10000-frames.gif", gif_frames(10000, 1000), "w=10", 422,
        "10 000 frames on a 1000×1000 canvas: every frame counts against the pixel limit")
    add("gif-65535-frames.gif", gif_frames(65535, 1), "w=10", 422,
        "65 535 frames of 1×1: over `max_animation_frames`, refused by the container walk")
    add("gif-frame-over-screen.gif", gif_frames(2, 4, frame_size=60000), "w=10", 422,
        "two 60000×60000 frames on a 4×4 screen: the decoder's allocation cap refuses the first")
    add("gif-zero-delays.gif", gif_frames(50, 10, delay_cs=0), "w=5", 200,
        "50 frames with zero delays: kept animated, the delays kept at zero")
    add("gif-truncated-last.gif", gif_frames(20, 10)[:-4], "w=5", 200,
        "the last frame's data cut off: the frames before it")
    add("truncated.jpg", photo[: len(photo) // 3], "w=10", 422, "the first third of a JPEG")
    add("zero.jpg", b"", "w=10", 422, "zero bytes")
    add("garbage.jpg", random.Random(3).randbytes(100_000), "w=10", 422, "random bytes")
    add("garbage-soi.jpg", b"\xff\xd8\xff\xe0" + random.Random(4).randbytes(100_000), "w=10",
        422, "a JPEG signature followed by random bytes")
    add("text.jpg", b"this is a text file, not a JPEG\n" * 100, "w=10", 422,
        "a text file named .jpg")
    add("exif-10mb.jpg", jpeg_with_app1(photo, 10 << 20), "w=10", 422,
        "10 MiB of EXIF across 161 APP1 segments: over the metadata limit")
    ztxt = png_chunk(b"zTXt", b"Comment\x00\x00" + zeros_deflated(256 << 20))
    add("ztxt-bomb.png", png(8, 8, zlib.compress(bytes(8 * 25)), extra=ztxt), "w=10", 422,
        "an 8×8 PNG with a zTXt chunk inflating to 256 MiB")
    iccp = png_chunk(b"iCCP", b"icc\x00\x00" + zeros_deflated(256 << 20))
    add("iccp-bomb.png", png(8, 8, zlib.compress(bytes(8 * 25)), extra=iccp), "w=10", 422,
        "an 8×8 PNG with an ICC profile inflating to 256 MiB")
    tall = zlib.compress(b"\x00\x80" * 1_000_000, 9)
    add("tall-1x1000000.png", png(1, 1_000_000, tall, color_type=0),
        "w=4000&h=4000&scale.option=fill", 400,
        "1×1 000 000 asked to fill 4000×4000: a 4000×4 000 000 000 resize")
    add("tiff-65535.tif", tiff_lying(65535, 65535), "w=10", 422,
        "a TIFF whose IFD claims 65535×65535 RGB over 16 bytes of pixels")
    add("tiff-truncated.tif", tiff_lying(64, 64)[:40], "w=10", 422, "a TIFF cut inside its IFD")
    add("bmp-60000.bmp", bmp_lying(60000, 60000), "w=10", 422,
        "a BMP header claiming 60000×60000 over 64 bytes")
    add("bmp-negative.bmp", bmp_lying(-5, 4), "w=10", 422, "a BMP with a negative width")
    add("ico-lying.ico", ico_lying(), "w=10", 422,
        "an ICO entry saying 16×16 around a PNG claiming 60000×60000")
    add("heic-huge-grid.heic", heic_huge_grid(), "w=10", 422,
        "a HEIC grid referencing 255×255 tiles, claiming 65535×65535")
    add("avif-as-heic.heic", avif_lying(), "w=10", 422,
        "an AVIF container claiming 65535×65535, named .heic")
    add("jxl-100000.jxl", jxl_huge(), "w=10", 422,
        "a JPEG XL size header claiming 100000×100000, no frame")
    add("jxl-truncated.jxl", b"\xff\x0a\x00", "w=10", 422, "a JPEG XL signature and one byte")
    add("svg-laughs.svg", svg_laughs(), "w=10", 422, "billion laughs: 10⁹ characters of entities")
    add("svg-use-bomb.svg", svg_use_bomb(), "w=10", 422,
        "nine levels of ten <use> each: 10⁹ elements once expanded")
    add("svg-deep.svg", svg_with("<g>" * 20000 + "</g>" * 20000), "w=10", 422,
        "20 000 nested groups (the renderer recurses)")
    add("svg-passwd.svg", svg_with('<image xlink:href="/etc/passwd" width="10" height="10"/>'),
        "w=10", 422, "an <image> naming /etc/passwd: nothing is read")
    add("svg-file-url.svg", svg_with('<image href="file:///etc/passwd" width="10" height="10"/>'),
        "w=10", 422, "an <image> naming file:///etc/passwd")
    add("svg-http.svg",
        svg_with('<image href="http://169.254.169.254/latest/meta-data" width="9" height="9"/>'),
        "w=10", 422, "an <image> naming a metadata-service URL: nothing is fetched")
    add("svg-use-external.svg", svg_with('<use xlink:href="other.svg#a"/>'), "w=10", 422,
        "a <use> of another file")
    add("svg-viewbox.svg", svg_with('<rect width="9" height="9"/>', 'viewBox="0 0 100000 100000"'),
        "w=10", 422, "a 100000×100000 viewBox: over the pixel limit from the header")
    add("svg-truncated.svg", svg_with('<rect width="9" height="9"/>')[:40], "w=10", 422,
        "an SVG cut in its first tag")
    add("svg-ok.svg", svg_with('<rect width="9" height="9" fill="red"/>'), "w=20", 200,
        "control: a valid SVG, rasterised")
    add("ok.png", small_png(), "w=4", 200, "control: a valid 8×8 PNG")

    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
