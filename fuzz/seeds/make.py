#!/usr/bin/env python3
"""Writes the fuzz seeds (text targets here; image seeds with `signet transform`).

Usage: fuzz/seeds/make.py SIGNET_BINARY   (from the repository root)
The keys and the clock match fuzz/src/lib.rs.
"""
import base64, hashlib, hmac, json, pathlib, subprocess, sys

HERE = pathlib.Path(__file__).parent
JWT_SECRET = b"fuzz-jwt-secret-0123456789abcdef"
MD5_SECRET = b"fuzz-md5-secret"
EXP = 1_900_000_000  # after fuzz NOW


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=")


def token(header, claims, secret=JWT_SECRET):
    signing = b64(json.dumps(header).encode()) + b"." + b64(json.dumps(claims).encode())
    return signing + b"." + b64(hmac.new(secret, signing, hashlib.sha256).digest())


def write(target, name, data):
    (HERE / target / name).write_bytes(data)


claims = {"aud": "/private/", "exp": EXP, "args": {"w": 100, "text": {"size": 20}}}
write("jwt", "raw-valid", b"\x00" + token({"alg": "HS256", "typ": "JWT"}, claims))
write("jwt", "raw-none", b"\x00" + b64(b'{"alg":"none"}') + b"." + b64(json.dumps(claims).encode()) + b".")
write("jwt", "signed-claims", b"\x01" + json.dumps(claims).encode())
write("jwt", "signed-kid-array", b"\x0b" + json.dumps({"aud": ["/x", "/a b/"], "exp": EXP, "nbf": 1}).encode())
write("jwt", "signed-scoped", b"\x17" + json.dumps({"aud": "/scoped/", "exp": EXP}).encode())

path = "private/a/b.jpg"
sig = hashlib.md5(f"{path}:{EXP}:".encode() + MD5_SECRET).hexdigest()
write("md5", "valid", f"/{path}\n{EXP}\n{sig}".encode())
write("md5", "expired", f"/{path}\n1\n{sig}".encode())

write("mask", "folder", b"/a/\n/a/b.jpg")
write("mask", "file", b"/a/b.jpg\n/a/b.jpg.bak")
write("mask", "relative", b"a\n/a/../b")

write("playlist", "master", b"#EXTM3U\n#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"a\",URI=\"a/en.m3u8\"\n"
      b"#EXT-X-STREAM-INF:BANDWIDTH=800000,AUDIO=\"a\"\nlow/index.m3u8\nhttps://cdn.example/x.m3u8\n")
write("playlist", "media-fmp4", b"#EXTM3U\n#EXT-X-MAP:URI=\"init.mp4\"\n#EXT-X-KEY:METHOD=AES-128,URI=\"k.bin\"\n"
      b"#EXTINF:1.0,\n#EXT-X-BYTERANGE:100@0\nseg0.m4s\n#EXTINF:1.0,\nseg%201.m4s?x=1#f\n#EXT-X-ENDLIST\n")
write("playlist", "data-key", b"#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI=\"data:,k\"\nseg.ts\n")

write("options", "overlay-in-query", b"\x00w=100&q=50&text=hi&text.color=red\nw=200&text=SECURE")
write("options", "strict", b"\x01format=png&watermark=/x.png&watermark.opacity=10\nq=70&crop.width=50%")

if len(sys.argv) > 1:
    signet, media = sys.argv[1], HERE.parents[1] / "examples" / "media"
    for source, fmt in [("example-image.jpg", "jpg"), ("example-image.jpg", "png"),
                        ("example-image.jpg", "webp"), ("example-image.jpg", "gif"),
                        ("logo.png", "png")]:
        out = subprocess.run([signet, "transform", str(media / source), "--param", "w=12",
                              "--param", f"format={fmt}", "-o", "-"],
                             check=True, capture_output=True).stdout
        for pick in (0, 6):
            write("pipeline", f"{pathlib.Path(source).stem}-{fmt}-{pick}", bytes([pick]) + out)
    # Progressive JPEGs from libjpeg-turbo's own scan script, 4:2:0 and 4:4:4.
    for name, extra in [("420", []), ("444", ["--param", "subsampling=4:4:4"])]:
        out = subprocess.run([signet, "transform", str(media / "example-image.jpg"), "--param", "w=96",
                              "--param", "progressive=true", *extra, "-o", "-"],
                             check=True, capture_output=True).stdout
        write("progressive", f"example-image-{name}", out)
    # A baseline JPEG: the rewrite must decline it.
    write("progressive", "baseline", (HERE / "pipeline" / "example-image-jpg-0").read_bytes()[1:])
