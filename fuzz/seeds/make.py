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
        for pick in (0, 6, 10, 11):
            write("pipeline", f"{pathlib.Path(source).stem}-{fmt}-{pick}", bytes([pick]) + out)
    # Progressive JPEGs from libjpeg-turbo's own scan script, 4:2:0 and 4:4:4.
    for name, extra in [("420", []), ("444", ["--param", "subsampling=4:4:4"])]:
        out = subprocess.run([signet, "transform", str(media / "example-image.jpg"), "--param", "w=96",
                              "--param", "progressive=true", *extra, "-o", "-"],
                             check=True, capture_output=True).stdout
        write("progressive", f"example-image-{name}", out)
    # A face for crop.type=face (options 12 and 13): a 72 px crop of NASA's
    # public-domain astronaut portrait that `make test-deps` takes out of
    # Debian's python3-skimage.
    faces = pathlib.Path.home() / ".cache/signet-tools/faces/astronaut.png"
    if faces.exists():
        face = subprocess.run(["convert", str(faces), "-crop", "200x200+136+30", "-resize", "72x72",
                               "-quality", "80", "jpg:-"], check=True, capture_output=True).stdout
        for pick in (12, 13):
            write("pipeline", f"astronaut-face-jpg-{pick}", bytes([pick]) + face)
    # Fonts: subsets of a bundled DejaVu face and of Debian's CJK fallback,
    # made by fontTools' pyftsubset when it is importable.
    try:
        import fontTools.subset  # noqa: F401
        (HERE / "font").mkdir(exist_ok=True)
        for src, text, name in [
            (HERE.parents[1] / "crates/transform/fonts/DejaVuSans.ttf", "Hi \u2713", "dejavu-sans-subset.ttf"),
            ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", "\u4f60\u597d", "droid-cjk-subset.ttf"),
        ]:
            subprocess.run([sys.executable, "-m", "fontTools.subset", str(src), f"--text={text}",
                            f"--output-file={HERE / 'font' / name}"], check=True)
    except ImportError:
        pass
    # A baseline JPEG: the rewrite must decline it.
    write("progressive", "baseline", (HERE / "pipeline" / "example-image-jpg-0").read_bytes()[1:])

# Per-decoder seeds, made from a 64×40 crop of the example photo by the
# tools `make test-deps` installs (ImageMagick, avifenc, heif-enc, cjxl,
# img2webp, ffmpeg).
if len(sys.argv) > 1:
    import tempfile
    photo = HERE.parents[1] / "examples" / "media" / "example-image.jpg"
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        plain = ["-define", "png:exclude-chunks=gAMA,cHRM,sRGB,bKGD,date,tIME"]
        def tool(*args):
            subprocess.run([str(a) for a in args], check=True, capture_output=True, cwd=tmp)
        tool("convert", photo, "-resize", "64x40!", *plain, "small.png")
        tool("convert", "small.png", "-alpha", "set", "-channel", "A", "-fx", "i/w", "+channel",
             "-depth", "16", *plain, "alpha.png")
        tool("avifenc", "-s", "10", "small.png", "photo.avif")
        tool("avifenc", "-s", "10", "-d", "10", "alpha.png", "alpha-10bit.avif")
        tool("heif-enc", "-q", "50", "small.png", "-o", "photo.heic")
        tool("cjxl", "small.png", "lossy.jxl", "-d", "2")
        tool("cjxl", "alpha.png", "lossless.jxl", "-d", "0")
        tool("convert", "small.png", "-compress", "LZW", "lzw.tif")
        tool("convert", "alpha.png", "-depth", "8", "bmp:rgba.bmp")
        tool("convert", "small.png", "-resize", "32x20", "icon.ico")
        # Animations: four 32×20 frames of a square stepping on transparency.
        for i, colour in enumerate(["red", "lime", "blue", "yellow"]):
            tool("convert", "-size", "32x20", "xc:none", "-fill", colour, "-draw",
                 f"rectangle {i * 8},4 {i * 8 + 7},15", f"PNG32:f{i}.png")
        frames = [f"f{i}.png" for i in range(4)]
        tool("convert", "-delay", "5", "-dispose", "Background", "-loop", "0", *frames,
             "-layers", "Optimize", "deltas.gif")
        tool("convert", "-delay", "5", "small.png", "-negate", "small.png", "photo.gif")
        tool("img2webp", "-loop", "2", "-lossy", "-d", "50", *frames, "-o", "lossy.webp")
        tool("img2webp", "-d", "50", *frames, "-o", "lossless.webp")
        tool("ffmpeg", "-loglevel", "error", "-framerate", "5", "-i", "f%d.png", "-plays", "0",
             "-f", "apng", "squares.png")
        for target, names in [("heif", ["photo.avif", "alpha-10bit.avif", "photo.heic"]),
                              ("animation", ["deltas.gif", "photo.gif", "lossy.webp",
                                             "lossless.webp", "squares.png"]),
                              ("jxl", ["lossy.jxl", "lossless.jxl"]),
                              ("raster", ["lzw.tif", "rgba.bmp", "icon.ico"])]:
            (HERE / target).mkdir(exist_ok=True)
            for name in names:
                write(target, name, (tmp / name).read_bytes())
    ns = 'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
    (HERE / "svg").mkdir(exist_ok=True)
    write("svg", "shapes.svg", (
        f'<svg {ns} width="64" height="40" viewBox="0 0 64 40"><defs><linearGradient id="g">'
        '<stop offset="0" stop-color="#f80"/><stop offset="1" stop-color="#08f"/></linearGradient>'
        '<circle id="c" r="6"/></defs><rect width="64" height="40" fill="url(#g)"/>'
        '<use xlink:href="#c" x="12" y="20" fill="red"/><path d="M30 5 L60 35 L30 35 Z" opacity=".5"/>'
        '<text x="4" y="36" font-size="9" font-family="serif">Hi</text>'
        '<g transform="rotate(20 50 10)"><ellipse cx="50" cy="10" rx="8" ry="3" stroke="#000"/></g>'
        '</svg>').encode())
    write("svg", "external.svg", f'<svg {ns} width="9" height="9"><image xlink:href="/etc/passwd"/></svg>'.encode())
