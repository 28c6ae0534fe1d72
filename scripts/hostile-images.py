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


def gif_frames(count: int, screen: int) -> bytes:
    """A GIF89a with `count` 1×1 frames on a `screen`×`screen` canvas."""
    head = b"GIF89a" + struct.pack("<HH", screen, screen) + b"\x80\x00\x00"  # 2-colour table
    table = b"\x00\x00\x00\xff\xff\xff"
    frame = (b"\x21\xf9\x04\x00\x01\x00\x00\x00"       # graphic control: 10 ms
             + b"\x2c" + struct.pack("<HHHH", 0, 0, 1, 1) + b"\x00"
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
        "AVIF claiming 65535×65535 with no image data (AVIF is not a source format)")
    add("gif-10000-frames.gif", gif_frames(10000, 1000), "w=10", 422,
        "10 000 frames on a 1000×1000 canvas: every frame counts against the pixel limit")
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
    add("ok.png", small_png(), "w=4", 200, "control: a valid 8×8 PNG")

    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")


if __name__ == "__main__":
    main()
