#!/usr/bin/env python3
"""signet's engine against libvips on the same files, in one run.

In-process: signet's criterion means (target/criterion) against pyvips
`thumbnail_buffer` -> `write_to_buffer`, timed here. Whole process:
`signet transform` against `vipsthumbnail`, wall time and peak RSS.
Benchmark code only: run by `make bench-engine`.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

# (name, corpus file, width, height or None for "width only")
WORKLOADS = [
    ("12mp-w400", "12mp.jpg", 400, None),
    ("24mp-w512", "24mp.jpg", 512, None),
    ("2.7mp-fit512", "2.7mp.jpg", 512, 512),
    ("0.5mp-w400", "0.5mp.jpg", 400, None),
]


def criterion_ms(root, group, name):
    path = os.path.join(root, group, name, "new", "estimates.json")
    with open(path) as f:
        return json.load(f)["mean"]["point_estimate"] / 1e6


def time_ms(fn, min_runs=10, min_seconds=2.0):
    fn()
    fn()
    samples = []
    start = time.perf_counter()
    while len(samples) < min_runs or time.perf_counter() - start < min_seconds:
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e3)
    return statistics.mean(samples)


def child_peak_rss_mb(cmd):
    """Peak RSS of one run of cmd, in a fresh process (ru_maxrss of the child)."""
    probe = (
        "import resource, subprocess, sys;"
        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL);"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", probe] + cmd, check=True, capture_output=True, text=True)
    return int(out.stdout.strip()) / 1024.0


def vips_times(corpus):
    """pyvips in-process times per workload (run in a child whose
    VIPS_CONCURRENCY the parent sets)."""
    import pyvips

    out = {}
    for name, fname, w, h in WORKLOADS:
        data = open(os.path.join(corpus, fname), "rb").read()
        out[name] = time_ms(
            lambda: pyvips.Image.thumbnail_buffer(data, w, height=h or 10_000_000).write_to_buffer(".jpg", Q=80)
        )
    return out


def vips_times_with(corpus, concurrency):
    env = dict(os.environ)
    if concurrency:
        env["VIPS_CONCURRENCY"] = str(concurrency)
    else:
        env.pop("VIPS_CONCURRENCY", None)
    out = subprocess.run(
        [sys.executable, __file__, "--vips-only", "--corpus", corpus],
        env=env, check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--criterion")
    ap.add_argument("--signet")
    ap.add_argument("--vips-only", action="store_true")
    args = ap.parse_args()
    if args.vips_only:
        print(json.dumps(vips_times(args.corpus)))
        return

    import pyvips

    vips_default = vips_times_with(args.corpus, 0)  # libvips default: a worker per core
    vips_single = vips_times_with(args.corpus, 1)
    rows = []
    for name, fname, w, h in WORKLOADS:
        path = os.path.join(args.corpus, fname)
        signet_ms = criterion_ms(args.criterion, "pipeline-jpeg-q80", name)
        vips_ms = vips_default[name]
        vips1_ms = vips_single[name]

        params = ["--param", f"w={w}", "--param", "q=80", "--param", "format=jpg"]
        if h:
            params += ["--param", f"h={h}"]
        signet_cmd = [args.signet, "transform", path] + params + ["-o", "/tmp/signet-bench-out.jpg"]
        size = f"{w}x{h}" if h else f"{w}x"
        vips_cmd = ["vipsthumbnail", path, "--size", size, "-o", "/tmp/vips-bench-out.jpg[Q=80]"]
        run = lambda cmd: subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        signet_proc = time_ms(lambda: run(signet_cmd), min_runs=5, min_seconds=1.0)
        vips_proc = time_ms(lambda: run(vips_cmd), min_runs=5, min_seconds=1.0)
        signet_rss = child_peak_rss_mb(signet_cmd)
        vips_rss = child_peak_rss_mb(vips_cmd)
        out_signet = os.path.getsize("/tmp/signet-bench-out.jpg")
        out_vips = os.path.getsize("/tmp/vips-bench-out.jpg")
        rows.append((name, signet_ms, vips_ms, vips1_ms, signet_proc, vips_proc, signet_rss, vips_rss, out_signet, out_vips))

    print()
    print("In-process (ms per image; signet: criterion mean; libvips: pyvips thumbnail_buffer + write_to_buffer Q=80)")
    print(f"{'workload':<14} {'signet':>8} {'vips':>8} {'vips 1t':>8} {'ratio':>7} {'ratio 1t':>8}")
    for r in rows:
        print(f"{r[0]:<14} {r[1]:8.1f} {r[2]:8.1f} {r[3]:8.1f} {r[1] / r[2]:7.2f} {r[1] / r[3]:8.2f}")
    print()
    print("Whole process (`signet transform` vs `vipsthumbnail`, wall ms, peak RSS MB, output bytes)")
    print(f"{'workload':<14} {'signet':>8} {'vips':>8} {'ratio':>7} {'rss s':>7} {'rss v':>7} {'ratio':>7} {'bytes s':>8} {'bytes v':>8}")
    for r in rows:
        print(
            f"{r[0]:<14} {r[4]:8.1f} {r[5]:8.1f} {r[4] / r[5]:7.2f} {r[6]:7.1f} {r[7]:7.1f} {r[6] / r[7]:7.2f} {r[8]:8d} {r[9]:8d}"
        )

    # Encoders on the same 400 px image (the 2.7 MP source thumbnailed).
    thumb = pyvips.Image.thumbnail_buffer(open(os.path.join(args.corpus, "2.7mp.jpg"), "rb").read(), 400, height=10_000_000)
    thumb = thumb.copy_memory()
    print()
    print("Encode a 400 px image at q80 (ms; signet: criterion; libvips: write_to_buffer)")
    print(f"{'format':<8} {'signet':>8} {'vips':>8} {'ratio':>7}")
    for fmt, suffix, opts in [("jpeg", ".jpg", {"Q": 80}), ("webp", ".webp", {"Q": 80}), ("avif", ".avif", {"Q": 80, "compression": "av1"}), ("png", ".png", {})]:
        signet = criterion_ms(args.criterion, "encode-400px-q80", fmt)
        try:
            vips = time_ms(lambda: thumb.write_to_buffer(suffix, **opts))
            print(f"{fmt:<8} {signet:8.2f} {vips:8.2f} {signet / vips:7.2f}")
        except pyvips.Error as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else "error"
            print(f"{fmt:<8} {signet:8.2f} {'n/a':>8} {'':>7}  (libvips: {first})")


if __name__ == "__main__":
    main()
