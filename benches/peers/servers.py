#!/usr/bin/env python3
"""signet against the servers users would pick instead, in one run (`make bench`).

Peers on loopback, all reading the same corpus folder: sharp (libvips) behind
a minimal Node http server (benches/peers/sharp/server.js), thumbor (PIL
engine, result storage and storage off, one process per core) and nginx
(static files), plus `vipsthumbnail` against `signet transform` on the same
files. wrk drives every server for --seconds per cell; CPU comes from
/proc/<pid>/stat summed over the server's process tree, RSS is sampled every
50 ms. Output quality (PSNR and SSIM against a Lanczos-3 resize of the fully
decoded source, done by libvips) is reported next to the speed, so speed is not
bought with quality.

Workloads (see the issue and docs/benchmarks.md):
  W1 fit 512x512 JPEG q80 from 2.7 and 12 MP JPEG, uncached, concurrency 2 and 8
  W2 the same to WebP and AVIF (signet vs sharp)
  W3 cache hits with JWT verification on each request vs nginx static
  W4 a 200 MB original: whole-file GETs and 1 MiB Range requests vs nginx
  W5 peak RSS of each server during W1 at concurrency 8
  W6 signet's time from 0.5 to 24 MP sources, and throughput at concurrency 1–32
  W7 AVIF output (fit 800x800) from the 2.7 and 12 MP sources: signet at
      q50/q60 (libaom speed 9) against sharp at q50, effort 0 and its
      default; CPU per image at concurrency 2, bytes, PSNR/SSIM
  W8 AVIF, HEIC, TIFF and JPEG XL sources (made from the corpus by avifenc,
      heif-enc, ImageMagick and cjxl) to a 512 px JPEG: signet vs sharp at
      concurrency 2 where sharp reads the format, and `signet transform` vs
      `vipsthumbnail` (Debian's libvips) as whole processes
  W9 a 50-frame 480x270 animation (a pan across the 2.7 MP photo, made by
      ffmpeg as GIF and as animated WebP) resized to 240 px, kept animated,
      same format out: signet vs sharp (`animated: true`) at concurrency 2;
      CPU per request, bytes, PSNR over every frame, peak RSS
  W10 signed HLS: a 2 000-segment VOD playlist rewritten per request (every
      segment URI gets its own JWT) and a 188 KB segment served with its
      token, against nginx serving the same files as they are, concurrency 8;
      posters: a 640 px JPEG of a 1080p H.264 frame at 1 s and 20 s of a
      fast-start MP4 and of one indexed at its end, signet (uncached) vs
      `ffmpeg -ss T -i clip -frames:v 1` as a whole process, one at a time
  W12 progressive JPEG sources (jpegtran -progressive copies of the corpus
      photos) to fit 400x400 and 1024x1024, signet vs sharp at concurrency 2,
      with signet on the baseline twins for reference

Benchmark code only: no part of signet runs it.
"""

import argparse
import json
import math
import os
import pathlib
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LINKS = 10_000  # names per source for uncached runs: /u/{source}-NNNN.{ext}
BIG_MB = 200
JWT_SECRET = "bench-secret-0123456789abcdef0123456789abcdef"
PROGRESSIVE = ("2.7mp", "12mp", "24mp")  # W12 sources
W8_FORMATS = ("avif", "heic", "tif", "jxl")  # W8 source formats, made from the JPEGs
W9_FORMATS = ("gif", "webp")  # W9 animations, made from the 2.7 MP photo


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                r.read()
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} never answered")


def fetch(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.status, r.read()


def tree(pid):
    """pid and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def cpu_s(pid):
    total = 0.0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except OSError:
            pass
    return total


def rss_mib(pid):
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


class Server:
    def __init__(self, name, cmd, ready_url, cwd=None, env=None):
        self.name = name
        log = open(pathlib.Path(tempfile.gettempdir()) / f"bench-{name}.log", "w")
        self.proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})},
                                     stdout=log, stderr=log, start_new_session=True)
        wait_http(ready_url)
        time.sleep(0.5)

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)


def wrk(args, url, concurrency, seconds=None, headers=()):
    """Runs wrk for `seconds` (whole seconds) at `concurrency` connections.
    A URL with "{n}" walks unique links (benches/peers/wrk.lua), continuing
    where the previous run stopped, so no URL repeats within a cell."""
    threads = min(2, concurrency)
    base = url[:url.index("/", len("http://"))]
    cmd = ["wrk", "-t", str(threads), "-c", str(concurrency),
           "-d", f"{max(1, math.ceil(seconds or args.seconds))}s", "--timeout", "60s",
           "-s", str(HERE / "wrk.lua")]
    for h in headers:
        cmd += ["-H", h]
    if "{n}" in url:
        cmd += [base, "--", url[len(base):], str(LINKS), str(args.next_link), str(threads)]
    else:
        cmd.append(url)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("WRK-JSON "))
    result = json.loads(line[len("WRK-JSON "):])
    args.next_link = (args.next_link + result["requests"] + concurrency) % LINKS
    return result


def settle(server, limit=60.0):
    """Waits until `server` is idle: requests wrk abandoned at the end of the
    previous run may still be transforming (nothing cancels a running
    libvips or libjpeg call), and their CPU must not be billed to the next."""
    deadline = time.monotonic() + limit
    last = cpu_s(server.pid)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = cpu_s(server.pid)
        if now - last < 0.02:  # under 10 % of a core
            return
        last = now


def measure(args, server, url, concurrency, seconds=None, headers=()):
    """Runs wrk against `server`; returns req/s, p50/p99 ms, CPU ms/request,
    peak RSS MiB, bytes/s (wrk counts response heads too) and the errors."""
    peak = [rss_mib(server.pid)]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss_mib(server.pid))
            stop.wait(0.05)

    settle(server)
    t = threading.Thread(target=sample, daemon=True)
    t.start()
    cpu0 = cpu_s(server.pid)
    result = wrk(args, url, concurrency, seconds, headers)
    cpu = cpu_s(server.pid) - cpu0
    stop.set()
    t.join()
    done = result["requests"]
    elapsed = result["duration_us"] / 1e6
    errors = {k: v for k, v in result["errors"].items() if v}
    if errors or not done:  # "status": answers of 400 and above
        print(f"  ! {server.name} {url[:90]}: {done} requests, errors {errors}", flush=True)
    return {
        "rps": done / elapsed,
        "p50": result["p50_us"] / 1e3,
        "p99": result["p99_us"] / 1e3,
        "cpu_ms": cpu * 1e3 / done if done else float("nan"),
        "rss": peak[0],
        "bytes_per_s": result["bytes"] / elapsed,
        "errors": errors,
        "done": done,
        "elapsed": elapsed,
        "cpu_s": cpu,
    }


def compare(args, cells, concurrency, headers=(), seconds=None):
    """Measures `cells` ((name, server, url), ...) side by side in ABBA order
    (a cell may carry its own concurrency as a fourth item):
    each gets two half-length runs, mirrored (A B C C B A), so a machine that
    drifts during the run (this VM's speed moves by 10-20 % over minutes)
    weighs on every server alike. Returns {name: cell}; req/s, CPU and bytes
    are totals over both halves, p50 the request-weighted mean, p99 and RSS
    the worse half."""
    half = (seconds or args.seconds) / 2
    cells = [c if len(c) == 4 else (*c, concurrency) for c in cells]
    runs = {name: [] for name, *_ in cells}
    for name, server, url, conc in cells + cells[::-1]:
        runs[name].append(measure(args, server, url, conc, half, headers))
    out = {}
    for name, (a, b) in runs.items():
        done, elapsed = a["done"] + b["done"], a["elapsed"] + b["elapsed"]
        out[name] = {
            "rps": done / elapsed if elapsed else 0,
            "p50": (a["p50"] * a["done"] + b["p50"] * b["done"]) / done if done else 0,
            "p99": max(a["p99"], b["p99"]),
            "cpu_ms": (a["cpu_s"] + b["cpu_s"]) * 1e3 / done if done else float("nan"),
            "rss": max(a["rss"], b["rss"]),
            "bytes_per_s": ((a["bytes_per_s"] * a["elapsed"] + b["bytes_per_s"] * b["elapsed"])
                            / elapsed if elapsed else 0),
            "errors": {k: a["errors"].get(k, 0) + b["errors"].get(k, 0)
                       for k in {**a["errors"], **b["errors"]}},
            "done": done,
            "elapsed": elapsed,
            "cpu_s": a["cpu_s"] + b["cpu_s"],
        }
    return out


# ---------------------------------------------------------------- set-up


def prepare(args):
    work = pathlib.Path(args.out)
    media = work / "media"
    shutil.rmtree(work, ignore_errors=True)
    (media / "u").mkdir(parents=True)
    (media / "p").mkdir()
    corpus = pathlib.Path(args.corpus)
    for f in corpus.iterdir():
        os.link(f, media / f.name)
    # Unique names for uncached runs: hard links, so every server reads the
    # same bytes from the page cache and no URL repeats within a run.
    # W12: progressive copies (lossless: the same DCT coefficients) by
    # Debian's jpegtran, written once per corpus generation.
    for source in PROGRESSIVE:
        made = corpus / f"{source}-prog.jpg"
        if not made.exists() or made.stat().st_mtime < (corpus / f"{source}.jpg").stat().st_mtime:
            subprocess.run(["jpegtran", "-progressive", "-copy", "all", "-outfile", str(made),
                            str(corpus / f"{source}.jpg")], check=True)
        if not (media / made.name).exists():
            os.link(made, media / made.name)
    # W8: the same photos in the other source formats, by Debian's tools.
    for source in ("2.7mp", "12mp"):
        jpg = corpus / f"{source}.jpg"
        for ext in W8_FORMATS:
            made = corpus / f"{source}.{ext}"
            if made.exists() and made.stat().st_mtime >= jpg.stat().st_mtime:
                if not (media / made.name).exists():
                    os.link(made, media / made.name)
                continue
            png = corpus / f"{source}-w8.png"
            subprocess.run(["convert", str(jpg), str(png)], check=True)
            cmd = {"avif": ["avifenc", "-s", "6", "--min", "15", "--max", "30", str(png), str(made)],
                   "heic": ["heif-enc", "-q", "80", str(png), "-o", str(made)],
                   "tif": ["convert", str(png), "-compress", "LZW", str(made)],
                   "jxl": ["cjxl", str(png), str(made), "-d", "1"]}[ext]
            subprocess.run(cmd, check=True, capture_output=True)
            png.unlink()
            os.link(made, media / made.name)
    # W9: a 50-frame 480x270 pan across the 2.7 MP photo (25 fps, 2 s), by
    # ffmpeg: GIF with its own palette per stream, lossy animated WebP.
    pan = "scale=960:-1,crop=480:270:'t*200':'t*60',fps=25"
    for ext in W9_FORMATS:
        made = corpus / f"pan.{ext}"
        if not made.exists() or made.stat().st_mtime < (corpus / "2.7mp.jpg").stat().st_mtime:
            vf = (f"{pan},split[a][b];[a]palettegen[p];[b][p]paletteuse" if ext == "gif" else pan)
            codec = [] if ext == "gif" else ["-c:v", "libwebp_anim", "-q:v", "75", "-loop", "0"]
            subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-loop", "1", "-t", "2", "-i",
                            str(corpus / "2.7mp.jpg"), "-vf", vf, *codec, str(made)], check=True)
        if not (media / made.name).exists():
            os.link(made, media / made.name)
    for stem in ("0.5mp.jpg", "2.7mp.jpg", "12mp.jpg", "24mp.jpg", "2.7mp.png", "2.7mp.webp",
                 *(f"pan.{e}" for e in W9_FORMATS),
                 *(f"{s}-prog.jpg" for s in PROGRESSIVE),
                 *(f"{s}.{e}" for s in ("2.7mp", "12mp") for e in W8_FORMATS)):
        name, ext = stem.rsplit(".", 1)
        for i in range(LINKS):
            os.link(corpus / stem, media / "u" / f"{name}-{i:04d}.{ext}")
    # W4: a 200 MB original (incompressible, deterministic).
    block = bytes((i * 2654435761 >> 13) & 0xFF for i in range(1 << 20))
    with open(media / "big.bin", "wb") as f:
        for i in range(BIG_MB):
            f.write(block[i:] + block[:i])
    return work, media


def signet_config(work, media, name, cache):
    port, admin = free_port(), free_port()
    path = work / f"{name}.toml"
    path.write_text(
        f'listen = "127.0.0.1:{port}"\nadmin_listen = "127.0.0.1:{admin}"\n'
        f'[storage]\nroot = "{media}"\n'
        f'[cache]\nmax_bytes = "{cache}"\n'
        f'[[keys]]\nid = "bench"\nkind = "jwt"\nsecret = "{JWT_SECRET}"\n'
        f'[[protect]]\nprefix = "/p/"\naccept = ["jwt"]\n')
    return path, port, admin


def start_signet(args, work, media, name, cache, binary=None):
    config, port, admin = signet_config(work, media, name, cache)
    server = Server(name, [binary or args.signet, "serve", "--config", str(config)],
                    f"http://127.0.0.1:{admin}/ready", env={"RUST_LOG": "warn"})
    server.port, server.config = port, config
    return server


def start_sharp(media):
    port = free_port()
    server = Server("sharp", ["node", str(HERE / "sharp/server.js"), str(port), str(media)],
                    f"http://127.0.0.1:{port}/none")
    server.port = port
    return server


def start_thumbor(args, work, media):
    port = free_port()
    conf = work / "thumbor.conf"
    conf.write_text(
        "LOADER = 'thumbor.loaders.file_loader'\n"
        f"FILE_LOADER_ROOT_PATH = '{media}'\n"
        "STORAGE = 'thumbor.storages.no_storage'\n"
        "RESULT_STORAGE = None\n"
        "ENGINE = 'thumbor.engines.pil'\n"
        "ALLOW_UNSAFE_URL = True\n"
        "QUALITY = 80\n"
        "AUTO_WEBP = False\n"
        "RESPECT_ORIENTATION = True\n")
    server = Server("thumbor", [args.thumbor, "-p", str(port), "-i", "127.0.0.1", "-c", str(conf),
                                "--processes", "0", "-l", "error"],
                    f"http://127.0.0.1:{port}/healthcheck")
    server.port = port
    return server


def start_nginx(work, media):
    port = free_port()
    prefix = work / "nginx"
    (prefix / "logs").mkdir(parents=True)
    conf = prefix / "nginx.conf"
    conf.write_text(f"""
worker_processes auto;
daemon off;
error_log {prefix}/logs/error.log error;
pid {prefix}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types {{ image/jpeg jpg; application/octet-stream bin; }}
    server {{
        listen 127.0.0.1:{port} reuseport;
        root {media};
    }}
}}
""")
    server = Server("nginx", ["nginx", "-p", str(prefix), "-c", str(conf)],
                    f"http://127.0.0.1:{port}/none")
    server.port = port
    return server


# ---------------------------------------------------------------- URLs


# "{n}" stands for the link number (see wrk()).
def url_signet(server, source, ext, fmt="jpg", w=512, h=512, q=80):
    return f"http://127.0.0.1:{server.port}/u/{source}-{{n}}.{ext}?w={w}&h={h}&q={q}&format={fmt}"


def url_sharp(server, source, ext, fmt="jpeg", w=512, h=512, q=80, effort=None, animated=False):
    extra = "" if effort is None else f"&effort={effort}"
    extra += "&animated=1" if animated else ""
    return (f"http://127.0.0.1:{server.port}/u/{source}-{{n}}.{ext}?w={w}&h={h}&q={q}"
            f"&format={fmt}{extra}")


def url_thumbor(server, source, ext, w=512, h=512):
    return (f"http://127.0.0.1:{server.port}/unsafe/fit-in/{w}x{h}/"
            f"filters:quality(80)/u/{source}-{{n}}.{ext}")


def one(url, n=7):
    """A concrete URL from a template (the n-th link)."""
    return url.replace("{n}", f"{n:04d}")


# ---------------------------------------------------------------- quality


def quality(vips, np, source, output_bytes):
    """PSNR (RGB) and SSIM (luma) of an output against a Lanczos-3 resize of
    the fully decoded source to the output's size, and the output's size."""
    out = vips.Image.new_from_buffer(output_bytes, "")
    src = vips.Image.new_from_file(str(source), access="sequential")
    ref = src.resize(out.width / src.width, vscale=out.height / src.height, kernel="lanczos3")

    def arr(img):
        img = img.colourspace("srgb")
        if img.bands > 3:
            img = img.extract_band(0, n=3)
        img = img.cast("uchar")
        return np.ndarray(buffer=img.write_to_memory(), dtype=np.uint8,
                          shape=[img.height, img.width, img.bands]).astype(np.float64)

    a, b = arr(out), arr(ref)
    mse = np.mean((a - b) ** 2)
    psnr = 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)
    ya = a @ np.array([0.299, 0.587, 0.114])
    yb = b @ np.array([0.299, 0.587, 0.114])
    return psnr, ssim(np, ya, yb), len(output_bytes), f"{out.width}x{out.height}"


def animation_quality(vips, np, source, output_bytes):
    """PSNR (RGB, over every frame) of an animation against each source
    frame resized by libvips (Lanczos 3) to the output's size, the frame
    count, and the output's size in bytes. Frames are compared as the
    decoders composite them, over black where transparent."""
    out = vips.Image.new_from_buffer(output_bytes, "", n=-1)
    src = vips.Image.new_from_file(str(source), n=-1)
    oh, sh = out.get("page-height"), src.get("page-height")
    frames = out.height // oh
    assert frames == src.height // sh, (frames, src.height // sh)

    def arr(img):
        img = img.colourspace("srgb")
        if img.bands > 3:
            img = img.flatten(background=[0, 0, 0])
        img = img.cast("uchar")
        return np.ndarray(buffer=img.write_to_memory(), dtype=np.uint8,
                          shape=[img.height, img.width, img.bands]).astype(np.float64)

    total = 0.0
    for i in range(frames):
        frame = src.crop(0, i * sh, src.width, sh)
        ref = frame.resize(out.width / frame.width, vscale=oh / sh, kernel="lanczos3")
        total += np.mean((arr(out.crop(0, i * oh, out.width, oh)) - arr(ref)) ** 2)
    mse = total / frames
    psnr = 99.0 if mse == 0 else 10 * np.log10(255.0 ** 2 / mse)
    return psnr, frames, len(output_bytes), f"{out.width}x{oh}"


def ssim(np, x, y):
    """Mean SSIM with an 11-tap Gaussian window (sigma 1.5), as Wang et al."""
    g = np.exp(-0.5 * (np.arange(11) - 5) ** 2 / 1.5 ** 2)
    g /= g.sum()

    def blur(z):
        z = np.apply_along_axis(lambda r: np.convolve(r, g, mode="valid"), 0, z)
        return np.apply_along_axis(lambda r: np.convolve(r, g, mode="valid"), 1, z)

    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = blur(x), blur(y)
    sxx, syy, sxy = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(s.mean())


# ---------------------------------------------------------------- whole process


def whole_process(args, corpus, source, runs=5):
    """`signet transform` vs `vipsthumbnail` on one file: mean wall ms
    (None for a tool that cannot read the file)."""
    path = str(pathlib.Path(corpus) / source)
    cmds = {
        "signet transform": [args.signet, "transform", path, "--param", "w=512", "--param", "h=512",
                             "--param", "q=80", "--param", "format=jpg", "-o", "/tmp/bench-s.jpg"],
        "vipsthumbnail": ["vipsthumbnail", path, "--size", "512x512", "-o", "/tmp/bench-v.jpg[Q=80]"],
    }
    out = {}
    for name, cmd in cmds.items():
        if subprocess.run(cmd, capture_output=True).returncode != 0:
            out[name] = None
            continue
        t = time.perf_counter()
        for _ in range(runs):
            subprocess.run(cmd, check=True, capture_output=True)
        out[name] = (time.perf_counter() - t) * 1e3 / runs
    return out


def cpu_reaped_s(pid):
    """CPU of a process and of the children it has waited for (ffmpeg runs)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def w10_posters(args, work, media, started, stopped, runs=12):
    """Poster ms (wall and CPU) per frame: signet, uncached, against ffmpeg
    taking the same frame to a 640 px JPEG as a whole process."""
    folder = media / "v"
    folder.mkdir(parents=True, exist_ok=True)
    fast, late = folder / "fast.mp4", folder / "late.mp4"
    if not fast.exists():
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc2=s=1920x1080:r=25:d=30", "-c:v", "libx264", "-preset", "veryfast",
                        "-g", "50", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(fast)],
                       check=True)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(fast), "-c", "copy", str(late)],
                       check=True)
    signet = started(start_signet(args, work, media, "signet-posters", "1KiB"))
    out = {"poster clip": "30 s 1920x1080 H.264, a keyframe every 2 s"}
    for clip in (fast, late):
        for t in (1, 20):
            # Unique hard-linked names, so no run is a cache hit.
            names = [f"{clip.stem}-{t}-{i}.mp4" for i in range(runs + 1)]
            for name in names:
                if not (folder / name).exists():
                    os.link(clip, folder / name)
            urls = [f"http://127.0.0.1:{signet.port}/v/{n}?poster={t}&w=640&q=80" for n in names]
            fetch(urls[0])
            cpu, wall = cpu_reaped_s(signet.pid), time.perf_counter()
            for url in urls[1:]:
                fetch(url)
            wall = (time.perf_counter() - wall) * 1e3 / runs
            cpu = (cpu_reaped_s(signet.pid) - cpu) * 1e3 / runs
            cmd = ["ffmpeg", "-v", "error", "-y", "-ss", str(t), "-i", str(clip), "-frames:v", "1",
                   "-vf", "scale=640:-2", "-q:v", "3", str(work / "poster.jpg")]
            before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
            for _ in range(runs):
                subprocess.run(cmd, check=True, capture_output=True)
            ff_wall = (time.perf_counter() - start) * 1e3 / runs
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            ff_cpu = ((after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)) * 1e3 / runs
            key = f"poster {clip.stem} {t}s"
            out[key] = {"signet wall": wall, "signet cpu": cpu, "ffmpeg wall": ff_wall, "ffmpeg cpu": ff_cpu}
            print(f"W10 {key}: signet {wall:.0f} ms ({cpu:.0f} ms CPU), ffmpeg {ff_wall:.0f} ms "
                  f"({ff_cpu:.0f} ms CPU)", flush=True)
    stopped(signet)
    return out


# ---------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--signet", default=str(ROOT / "target/release/signet"))
    ap.add_argument("--thumbor", default=str(ROOT / ".venv-bench/bin/thumbor"))
    ap.add_argument("--corpus", default=str(ROOT / "target/bench-corpus"))
    ap.add_argument("--out", default=str(ROOT / "target/bench"))
    ap.add_argument("--seconds", type=int, default=6, help="per measured cell")
    ap.add_argument("--only", default="W1,W2,W3,W4,W5,W6,W7,W8,W9,W10,W12")
    ap.add_argument("--baseline", help="an older signet binary: W3 then measures it side by side "
                    "with --signet (ABBA), for before/after figures of a change")
    args = ap.parse_args()
    args.next_link = 0
    only = set(args.only.split(","))
    work, media = prepare(args)
    results = {"seconds": args.seconds, "machine": machine()}
    servers = []
    try:
        results.update(run(args, only, work, media, servers))
    finally:
        for s in servers:
            s.stop()
    (work / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    text = report(results)
    (work / "report.md").write_text(text)
    print(text)


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "?")
    mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    return f"{os.cpu_count()} × {cpu}, {mem / 2**20:.0f} GiB"


def run(args, only, work, media, servers):
    if only & {"W1", "W2", "W5", "W6", "W7", "W9"}:
        # Quality figures need numpy and libvips (the bench venv); W3 and W4
        # run with the system Python.
        import numpy as np
        import pyvips as vips

    r = {}
    sources = [("2.7mp", "jpg"), ("12mp", "jpg")]

    def started(server):
        servers.append(server)
        return server

    def stopped(server):
        server.stop()
        servers.remove(server)

    if only & {"W1", "W2", "W5", "W6"}:
        signet = started(start_signet(args, work, media, "signet-uncached", "1KiB"))
        sharp = started(start_sharp(media))
        if only & {"W1", "W5"}:
            thumbor = started(start_thumbor(args, work, media))
            w1 = r.setdefault("W1", {})
            for source, ext in sources:
                urls = {"signet": url_signet(signet, source, ext),
                        "sharp": url_sharp(sharp, source, ext),
                        "thumbor": url_thumbor(thumbor, source, ext)}
                for conc in (2, 8):
                    cells = compare(args, [(name, server, urls[name]) for name, server in
                                           (("signet", signet), ("sharp", sharp), ("thumbor", thumbor))],
                                    conc)
                    for name, cell in cells.items():
                        w1[f"{source} c{conc} {name}"] = cell
                        print(f"W1 {source} c={conc} {name}: {cell['rps']:.1f} req/s "
                              f"p99 {cell['p99']:.0f} ms cpu {cell['cpu_ms']:.1f} ms "
                              f"rss {cell['rss']:.0f} MiB", flush=True)
                for name in urls:
                    _, body = fetch(one(urls[name]))
                    q = quality(vips, np, media / f"{source}.{ext}", body)
                    w1[f"{source} quality {name}"] = q
                    print(f"   quality {name}: PSNR {q[0]:.2f} dB SSIM {q[1]:.4f} "
                          f"{q[2]} bytes {q[3]}", flush=True)
                w1[f"{source} process"] = whole_process(args, args.corpus, f"{source}.{ext}")
            stopped(thumbor)
        if "W2" in only:
            w2 = r.setdefault("W2", {})
            for fmt, sharp_fmt in (("webp", "webp"), ("avif", "avif")):
                for conc in (2, 8):
                    cells = compare(args, [
                        ("signet", signet, url_signet(signet, "2.7mp", "jpg", fmt)),
                        ("sharp", sharp, url_sharp(sharp, "2.7mp", "jpg", sharp_fmt))], conc,
                        # An AVIF takes seconds: long enough halves that each
                        # finishes many at concurrency 8.
                        seconds=args.seconds * (4 if fmt == "avif" else 1))
                    for name, cell in cells.items():
                        w2[f"{fmt} c{conc} {name}"] = cell
                        print(f"W2 {fmt} c={conc} {name}: {cell['rps']:.1f} req/s "
                              f"cpu {cell['cpu_ms']:.1f} ms", flush=True)
                for name, url in (("signet", url_signet(signet, "2.7mp", "jpg", fmt)),
                                  ("sharp", url_sharp(sharp, "2.7mp", "jpg", sharp_fmt))):
                    _, body = fetch(one(url))
                    w2[f"{fmt} quality {name}"] = quality(vips, np, media / "2.7mp.jpg", body)
            # The other source formats of the corpus, at concurrency 2.
            for ext in ("png", "webp"):
                cells = compare(args, [("signet", signet, url_signet(signet, "2.7mp", ext)),
                                       ("sharp", sharp, url_sharp(sharp, "2.7mp", ext))], 2)
                for name, cell in cells.items():
                    w2[f"from {ext} c2 {name}"] = cell
                    print(f"W2 from {ext} c=2 {name}: {cell['rps']:.1f} req/s "
                          f"cpu {cell['cpu_ms']:.1f} ms", flush=True)
        if "W6" in only:
            w6 = r.setdefault("W6", {})
            for source in ("0.5mp", "2.7mp", "12mp", "24mp"):
                cells = compare(args, [("signet", signet, url_signet(signet, source, "jpg")),
                                       ("sharp", sharp, url_sharp(sharp, source, "jpg"))], 1)
                for name, cell in cells.items():
                    w6[f"size {source} {name}"] = cell
                    print(f"W6 {source} c=1 {name}: p50 {cell['p50']:.1f} ms", flush=True)
            # The sweep in mirrored halves too (1 2 4 8 32 32 8 4 2 1), so
            # drift does not bend the curve.
            cells = compare(args, [(f"conc {conc}", signet, url_signet(signet, "2.7mp", "jpg"), conc)
                                   for conc in (1, 2, 4, 8, 32)], None)
            for conc in (1, 2, 4, 8, 32):
                cell = w6[f"conc {conc}"] = cells[f"conc {conc}"]
                print(f"W6 2.7mp c={conc}: {cell['rps']:.1f} req/s p99 {cell['p99']:.0f} ms",
                      flush=True)
        stopped(sharp)
        stopped(signet)

    if only & {"W7", "W8"}:
        signet = started(start_signet(args, work, media, "signet-uncached", "1KiB"))
        sharp = started(start_sharp(media))
    if "W7" in only:
        w7 = r.setdefault("W7", {})
        for source in ("2.7mp", "12mp"):
            variants = [("signet q50", url_signet(signet, source, "jpg", "avif", 800, 800, 50)),
                        ("signet q60", url_signet(signet, source, "jpg", "avif", 800, 800, 60)),
                        ("sharp q50 effort 0", url_sharp(sharp, source, "jpg", "avif", 800, 800, 50, 0)),
                        ("sharp q50 default", url_sharp(sharp, source, "jpg", "avif", 800, 800, 50))]
            cells = compare(args, [(name, signet if name.startswith("signet") else sharp, url)
                                   for name, url in variants], 2, seconds=args.seconds * 2)
            for name, url in variants:
                cell = w7[f"{source} {name}"] = cells[name]
                _, body = fetch(one(url))
                cell["quality"] = quality(vips, np, media / f"{source}.jpg", body)
                print(f"W7 {source} {name}: cpu {cell['cpu_ms']:.1f} ms, {cell['quality'][2]} bytes, "
                      f"PSNR {cell['quality'][0]:.2f} dB SSIM {cell['quality'][1]:.4f}", flush=True)
    if "W8" in only:
        w8 = r.setdefault("W8", {})
        for source in ("2.7mp", "12mp"):
            for ext in W8_FORMATS:
                cells = [("signet", signet, url_signet(signet, source, ext)),
                         ("sharp", sharp, url_sharp(sharp, source, ext))]
                # sharp's prebuilt libvips has no HEVC and no JPEG XL.
                try:
                    readable = fetch(one(cells[1][2]))[1][:3] == b"\xff\xd8\xff"
                except urllib.error.HTTPError:
                    readable = False
                for name, cell in compare(args, cells if readable else cells[:1], 2).items():
                    w8[f"{source}.{ext} {name}"] = cell
                    print(f"W8 {source}.{ext} {name}: cpu {cell['cpu_ms']:.1f} ms", flush=True)
                w8[f"{source}.{ext} process"] = whole_process(args, media, f"{source}.{ext}")
                print(f"W8 {source}.{ext} process: {w8[f'{source}.{ext} process']}", flush=True)
    if only & {"W7", "W8"}:
        stopped(sharp)
        stopped(signet)

    if "W9" in only:
        signet = started(start_signet(args, work, media, "signet-uncached", "1KiB"))
        sharp = started(start_sharp(media))
        w9 = r.setdefault("W9", {})
        for ext in W9_FORMATS:
            cells = [("signet", signet, url_signet(signet, "pan", ext, ext, 240, 240, 80)),
                     ("sharp", sharp, url_sharp(sharp, "pan", ext, ext, 240, 240, 80,
                                                animated=True))]
            for name, cell in compare(args, cells, 2).items():
                w9[f"{ext} {name}"] = cell
                url = dict((n, u) for n, _, u in cells)[name]
                _, body = fetch(one(url))
                cell["quality"] = animation_quality(vips, np, media / f"pan.{ext}", body)
                psnr, frames, size, dims = cell["quality"]
                print(f"W9 {ext} {name}: cpu {cell['cpu_ms']:.1f} ms, {size} bytes, {frames} "
                      f"frames {dims}, PSNR {psnr:.2f} dB, rss {cell['rss']:.0f} MiB", flush=True)
        stopped(sharp)
        stopped(signet)

    if "W12" in only:
        signet = started(start_signet(args, work, media, "signet-uncached", "1KiB"))
        sharp = started(start_sharp(media))
        w12 = r.setdefault("W12", {})
        for source in PROGRESSIVE:
            for box in (400, 1024):
                cells = [("signet", signet, url_signet(signet, f"{source}-prog", "jpg", w=box, h=box)),
                         ("sharp", sharp, url_sharp(sharp, f"{source}-prog", "jpg", w=box, h=box)),
                         ("signet baseline", signet, url_signet(signet, source, "jpg", w=box, h=box))]
                for name, cell in compare(args, cells, 2).items():
                    w12[f"{source} {box} {name}"] = cell
                    print(f"W12 {source} {box} {name}: {cell['rps']:.1f} req/s "
                          f"cpu {cell['cpu_ms']:.1f} ms rss {cell['rss']:.0f} MiB", flush=True)
        stopped(sharp)
        stopped(signet)

    if only & {"W3", "W4", "W10"}:
        signet = started(start_signet(args, work, media, "signet", "512MiB"))
        nginx = started(start_nginx(work, media))
        if "W10" in only:
            stream = media / "p/stream"
            stream.mkdir(parents=True, exist_ok=True)
            lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-TARGETDURATION:4",
                     "#EXT-X-PLAYLIST-TYPE:VOD"]
            for i in range(2000):
                lines += ["#EXTINF:4.000000,", f"seg{i:05d}.ts"]
            (stream / "vod.m3u8").write_text("\n".join(lines + ["#EXT-X-ENDLIST", ""]))
            # 1 000 TS packets of 188 bytes: a short segment's size.
            (stream / "seg00000.ts").write_bytes(bytes((i * 7) & 0xFF for i in range(188_000)))

            def signed_url(path):
                out = subprocess.run(
                    [args.signet, "sign", "jwt", "--config", str(signet.config), "--path", path,
                     "--expires-in", "86400"], check=True, capture_output=True, text=True).stdout
                return f"http://127.0.0.1:{signet.port}" + out.strip()[out.strip().index("/p/"):]

            playlist = signed_url("/p/stream/vod.m3u8")
            _, body = fetch(playlist)
            assert body.count(b"jwt=") == 2000, "every segment signed"
            w10 = r.setdefault("W10", {"playlist bytes": (stream / "vod.m3u8").stat().st_size,
                                       "rewritten bytes": len(body)})
            nginx_base = f"http://127.0.0.1:{nginx.port}/p/stream"
            for what, cells in (
                    ("playlist", [("signet", signet, playlist),
                                  ("nginx", nginx, f"{nginx_base}/vod.m3u8")]),
                    ("segment", [("signet", signet, signed_url("/p/stream/seg00000.ts")),
                                 ("nginx", nginx, f"{nginx_base}/seg00000.ts")])):
                for name, cell in compare(args, cells, 8).items():
                    w10[f"{what} {name}"] = cell
                    print(f"W10 {what} {name}: {cell['rps']:.0f} req/s, cpu {cell['cpu_ms'] * 1e3:.0f} "
                          f"us/req, p99 {cell['p99']:.2f} ms", flush=True)
        if "W10" in only:
            r["W10"].update(w10_posters(args, work, media, started, stopped))
        if "W3" in only:
            shutil.copy(media / "2.7mp.jpg", media / "p/photo.jpg")
            signed = subprocess.run(
                [args.signet, "sign", "jwt", "--config", str(signet.config), "--path", "/p/photo.jpg",
                 "--param", "w=400", "--expires-in", "86400"],
                check=True, capture_output=True, text=True).stdout.strip()
            url = f"http://127.0.0.1:{signet.port}" + signed[signed.index("/p/"):]
            _, body = fetch(url)  # now cached
            (media / "p/variant.jpg").write_bytes(body)
            w3 = r.setdefault("W3", {"bytes": len(body)})
            cells = [("signet", signet, url),
                     ("nginx", nginx, f"http://127.0.0.1:{nginx.port}/p/variant.jpg")]
            if args.baseline:
                # The same config, keys and token against the older binary.
                base = started(start_signet(args, work, media, "baseline", "512MiB",
                                            binary=args.baseline))
                base_url = f"http://127.0.0.1:{base.port}" + signed[signed.index("/p/"):]
                assert fetch(base_url)[1] == body, "the baseline serves other bytes"
                cells.insert(1, ("baseline", base, base_url))
            cells = compare(args, cells, 32)
            for name, cell in cells.items():
                w3[name] = cell
                print(f"W3 {name}: {cell['rps']:.0f} req/s p99 {cell['p99']:.2f} ms", flush=True)
        if "W4" in only:
            w4 = r.setdefault("W4", {})
            pair = [(name, server, f"http://127.0.0.1:{server.port}/big.bin")
                    for name, server in (("signet", signet), ("nginx", nginx))]
            idle = {name: rss_mib(server.pid) for name, server, _ in pair}
            wholes = compare(args, pair, 4)
            ranges = compare(args, pair, 16,
                             headers=("Range: bytes=104857600-105906175",))
            for name, _, _ in pair:
                whole, ranged = wholes[name], ranges[name]
                w4[name] = {"whole": whole, "range": ranged, "idle_rss": idle[name]}
                print(f"W4 {name}: whole {whole['bytes_per_s'] / 2**20:.0f} MiB/s, range "
                      f"{ranged['rps']:.0f} req/s; RSS {idle[name]:.0f} → {max(whole['rss'], ranged['rss']):.0f} MiB",
                      flush=True)
    return r


def report(r):
    lines = [f"Machine: {r['machine']}; {r['seconds']} s per cell (wrk), "
             "side-by-side cells in ABBA halves.", ""]

    def ratio(a, b):
        return a / b if b else float("nan")

    if "W1" in r:
        w1 = r["W1"]
        lines += ["### W1 — uncached fit 512×512, JPEG q80", "",
                  "| source | conc | server | req/s | p50 ms | p99 ms | CPU ms/req | peak RSS MiB "
                  "| signet req/s ratio | signet CPU ratio |",
                  "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
        for source in ("2.7mp", "12mp"):
            for conc in (2, 8):
                s = w1[f"{source} c{conc} signet"]
                for name in ("signet", "sharp", "thumbor"):
                    c = w1[f"{source} c{conc} {name}"]
                    rr = "" if name == "signet" else f"{ratio(s['rps'], c['rps']):.2f}×"
                    cr = "" if name == "signet" else f"{ratio(s['cpu_ms'], c['cpu_ms']):.2f}×"
                    lines.append(f"| {source} | {conc} | {name} | {c['rps']:.1f} | {c['p50']:.1f} | "
                                 f"{c['p99']:.1f} | {c['cpu_ms']:.1f} | {c['rss']:.0f} | {rr} | {cr} |")
        lines += ["", "Output quality against a Lanczos-3 resize of the fully decoded source:", "",
                  "| source | server | size | bytes | PSNR dB | SSIM |", "|---|---|---|---:|---:|---:|"]
        for source in ("2.7mp", "12mp"):
            for name in ("signet", "sharp", "thumbor"):
                q = w1[f"{source} quality {name}"]
                lines.append(f"| {source} | {name} | {q[3]} | {q[2]} | {q[0]:.2f} | {q[1]:.4f} |")
        lines += ["", "Whole process, one image (mean wall ms of 5 runs):", "",
                  "| source | signet transform | vipsthumbnail | ratio |", "|---|---:|---:|---:|"]
        for source in ("2.7mp", "12mp"):
            p = w1[f"{source} process"]
            lines.append(f"| {source} | {p['signet transform']:.1f} | {p['vipsthumbnail']:.1f} | "
                         f"{ratio(p['signet transform'], p['vipsthumbnail']):.2f}× |")
        lines.append("")
    if "W2" in r:
        w2 = r["W2"]
        lines += ["### W2 — the same to WebP and AVIF (q80), and from PNG/WebP sources", "",
                  "| output | conc | server | req/s | p99 ms | CPU ms/req | signet CPU ratio |",
                  "|---|---:|---|---:|---:|---:|---:|"]
        for fmt in ("webp", "avif"):
            for conc in (2, 8):
                s = w2[f"{fmt} c{conc} signet"]
                for name in ("signet", "sharp"):
                    c = w2[f"{fmt} c{conc} {name}"]
                    cr = "" if name == "signet" else f"{ratio(s['cpu_ms'], c['cpu_ms']):.2f}×"
                    lines.append(f"| {fmt} | {conc} | {name} | {c['rps']:.1f} | {c['p99']:.1f} | "
                                 f"{c['cpu_ms']:.1f} | {cr} |")
        for ext in ("png", "webp"):
            s = w2[f"from {ext} c2 signet"]
            for name in ("signet", "sharp"):
                c = w2[f"from {ext} c2 {name}"]
                cr = "" if name == "signet" else f"{ratio(s['cpu_ms'], c['cpu_ms']):.2f}×"
                lines.append(f"| jpg from 2.7 MP {ext} | 2 | {name} | {c['rps']:.1f} | "
                             f"{c['p99']:.1f} | {c['cpu_ms']:.1f} | {cr} |")
        lines += ["", "| output | server | size | bytes | PSNR dB | SSIM |", "|---|---|---|---:|---:|---:|"]
        for fmt in ("webp", "avif"):
            for name in ("signet", "sharp"):
                q = w2[f"{fmt} quality {name}"]
                lines.append(f"| {fmt} | {name} | {q[3]} | {q[2]} | {q[0]:.2f} | {q[1]:.4f} |")
        lines.append("")
    if "W3" in r:
        w3 = r["W3"]
        s, n = w3["signet"], w3["nginx"]
        lines += [f"### W3 — cache hits with JWT on every request vs nginx static ({w3['bytes']} bytes, 32 connections)", "",
                  "| server | req/s | p50 ms | p99 ms | CPU ms/req |", "|---|---:|---:|---:|---:|",
                  f"| signet (JWT) | {s['rps']:.0f} | {s['p50']:.2f} | {s['p99']:.2f} | {s['cpu_ms']:.3f} |",
                  f"| nginx | {n['rps']:.0f} | {n['p50']:.2f} | {n['p99']:.2f} | {n['cpu_ms']:.3f} |",
                  f"| ratio | {ratio(s['rps'], n['rps']):.2f}× | | | |", ""]
        if "baseline" in w3:
            b = w3["baseline"]
            lines[-1:-1] = [
                f"| baseline signet (JWT) | {b['rps']:.0f} | {b['p50']:.2f} | {b['p99']:.2f} | {b['cpu_ms']:.3f} |",
                f"| this build / baseline | {ratio(s['rps'], b['rps']):.2f}× | | | "
                f"{ratio(s['cpu_ms'], b['cpu_ms']):.2f}× |"]
    if "W7" in r:
        w7 = r["W7"]
        lines += ["### W7 — AVIF output, fit 800×800, concurrency 2", "",
                  "| source | encoder | ms CPU / image | bytes | PSNR dB | SSIM | CPU / sharp effort 0 |",
                  "|---|---|---:|---:|---:|---:|---:|"]
        for source in ("2.7mp", "12mp"):
            base = w7[f"{source} sharp q50 effort 0"]["cpu_ms"]
            for name in ("signet q50", "signet q60", "sharp q50 effort 0", "sharp q50 default"):
                c = w7[f"{source} {name}"]
                psnr, ssim_, size, _ = c["quality"]
                lines.append(f"| {source} | {name} | {c['cpu_ms']:.1f} | {size} | {psnr:.2f} | "
                             f"{ssim_:.4f} | {ratio(c['cpu_ms'], base):.2f}× |")
        lines.append("")
    if "W8" in r:
        w8 = r["W8"]
        lines += ["### W8 — other source formats to a 512 px JPEG q80", "",
                  "| source | signet ms CPU | sharp ms CPU | signet / sharp | signet transform ms | "
                  "vipsthumbnail ms | ratio |", "|---|---:|---:|---:|---:|---:|---:|"]
        for source in ("2.7mp", "12mp"):
            for ext in W8_FORMATS:
                a = w8[f"{source}.{ext} signet"]
                b = w8.get(f"{source}.{ext} sharp")
                p = w8[f"{source}.{ext} process"]
                s_, v = p["signet transform"], p["vipsthumbnail"]
                fmt = lambda v, f="{:.1f}": "cannot read" if v is None else f.format(v)
                sharp_ms = None if b is None else b["cpu_ms"]
                by_sharp = "—" if b is None else f"{ratio(a['cpu_ms'], sharp_ms):.2f}×"
                by_vips = "—" if None in (s_, v) else f"{ratio(s_, v):.2f}×"
                lines.append(f"| {source}.{ext} | {a['cpu_ms']:.1f} | {fmt(sharp_ms)} | {by_sharp} | "
                             f"{fmt(s_)} | {fmt(v)} | {by_vips} |")
        lines.append("")
    if "W9" in r:
        w9 = r["W9"]
        lines += ["### W9 — a 50-frame 480×270 animation to 240 px, kept animated, concurrency 2", "",
                  "| format | server | ms CPU / request | bytes | PSNR dB (all frames) | peak RSS MiB "
                  "| CPU / sharp | bytes / sharp |", "|---|---|---:|---:|---:|---:|---:|---:|"]
        for ext in W9_FORMATS:
            base = w9[f"{ext} sharp"]
            for name in ("signet", "sharp"):
                c = w9[f"{ext} {name}"]
                psnr, frames, size, _ = c["quality"]
                lines.append(f"| {ext} | {name} | {c['cpu_ms']:.1f} | {size} | {psnr:.2f} | "
                             f"{c['rss']:.0f} | {ratio(c['cpu_ms'], base['cpu_ms']):.2f}× | "
                             f"{ratio(size, base['quality'][2]):.2f}× |")
        lines.append("")
    if "W12" in r:
        w12 = r["W12"]
        lines += ["### W12 — progressive JPEG sources (jpegtran -progressive), concurrency 2", "",
                  "| source | fit | signet ms CPU | sharp ms CPU | signet / sharp | signet on the baseline twin | progressive / baseline |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for source in PROGRESSIVE:
            for box in (400, 1024):
                a, b, c = (w12[f"{source} {box} {n}"] for n in ("signet", "sharp", "signet baseline"))
                lines.append(f"| {source} | {box} | {a['cpu_ms']:.1f} | {b['cpu_ms']:.1f} | "
                             f"{ratio(a['cpu_ms'], b['cpu_ms']):.2f}× | {c['cpu_ms']:.1f} | "
                             f"{ratio(a['cpu_ms'], c['cpu_ms']):.2f}× |")
        lines.append("")
    if "W10" in r:
        w10 = r["W10"]
        lines += [f"### W10 — signed HLS, concurrency 8 (a {w10['playlist bytes']} B playlist of "
                  f"2 000 segments, {w10['rewritten bytes']} B rewritten)", "",
                  "| request | server | req/s | CPU µs / request | p99 ms | signet / nginx req/s |",
                  "|---|---|---:|---:|---:|---:|"]
        for what in ("playlist", "segment"):
            base = w10[f"{what} nginx"]
            for name in ("signet", "nginx"):
                c = w10[f"{what} {name}"]
                lines.append(f"| {what} | {name} | {c['rps']:.0f} | {c['cpu_ms'] * 1e3:.0f} | "
                             f"{c['p99']:.2f} | {ratio(c['rps'], base['rps']):.2f}× |")
        lines += ["", f"Posters ({w10['poster clip']}) to a 640 px JPEG, one at a time, signet "
                  "uncached; ms per poster:", "",
                  "| clip | time | signet wall | ffmpeg wall | ratio | signet CPU | ffmpeg CPU | ratio |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for clip in ("fast", "late"):
            for t in (1, 20):
                c = w10[f"poster {clip} {t}s"]
                lines.append(f"| {clip}.mp4 | {t} s | {c['signet wall']:.0f} | {c['ffmpeg wall']:.0f} | "
                             f"{ratio(c['signet wall'], c['ffmpeg wall']):.2f}× | {c['signet cpu']:.0f} | "
                             f"{c['ffmpeg cpu']:.0f} | {ratio(c['signet cpu'], c['ffmpeg cpu']):.2f}× |")
        lines.append("")
    if "W4" in r:
        w4 = r["W4"]
        lines += [f"### W4 — a {BIG_MB} MB original", "",
                  "| server | whole file MiB/s (4 conns) | 1 MiB ranges req/s (16 conns) | range p99 ms "
                  "| RSS idle → peak MiB |", "|---|---:|---:|---:|---|"]
        for name in ("signet", "nginx"):
            c = w4[name]
            lines.append(f"| {name} | {c['whole']['bytes_per_s'] / 2**20:.0f} | {c['range']['rps']:.0f} | "
                         f"{c['range']['p99']:.1f} | {c['idle_rss']:.0f} → "
                         f"{max(c['whole']['rss'], c['range']['rss']):.0f} |")
        s, n = w4["signet"], w4["nginx"]
        lines += [f"| ratio | {ratio(s['whole']['bytes_per_s'], n['whole']['bytes_per_s']):.2f}× | "
                  f"{ratio(s['range']['rps'], n['range']['rps']):.2f}× | | |", ""]
    if "W1" in r:
        w1 = r["W1"]
        lines += ["### W5 — peak RSS during W1 at concurrency 8 (MiB, process tree)", "",
                  "| source | signet | sharp | thumbor |", "|---|---:|---:|---:|"]
        for source in ("2.7mp", "12mp"):
            row = [w1[f"{source} c8 {n}"]["rss"] for n in ("signet", "sharp", "thumbor")]
            lines.append(f"| {source} | {row[0]:.0f} | {row[1]:.0f} | {row[2]:.0f} |")
        lines.append("")
    if "W6" in r:
        w6 = r["W6"]
        lines += ["### W6 — source size (fit 512×512 JPEG q80, concurrency 1) and concurrency (2.7 MP)", "",
                  "| source | signet p50 ms | signet CPU ms/req | sharp p50 ms | sharp CPU ms/req |",
                  "|---|---:|---:|---:|---:|"]
        for source in ("0.5mp", "2.7mp", "12mp", "24mp"):
            s, h = w6[f"size {source} signet"], w6[f"size {source} sharp"]
            lines.append(f"| {source} | {s['p50']:.1f} | {s['cpu_ms']:.1f} | {h['p50']:.1f} | {h['cpu_ms']:.1f} |")
        lines += ["", "| concurrency | req/s | p50 ms | p99 ms |", "|---:|---:|---:|---:|"]
        for conc in (1, 2, 4, 8, 32):
            c = w6[f"conc {conc}"]
            lines.append(f"| {conc} | {c['rps']:.1f} | {c['p50']:.1f} | {c['p99']:.1f} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
