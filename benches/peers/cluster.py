"""W11: a three-replica signet cluster on this machine, measured by the work
it does rather than its throughput (the replicas share two cores).

Two set-ups over the same media folder, each behind Debian's nginx:
  today   three replicas with their own caches, nginx `least_conn`
  shared  three replicas sharing a result tier (`[results]` in a folder),
          nginx running deploy/scale-out/nginx.conf (`hash $uri consistent`)

A seeded mixed workload (many sources, several sizes and formats, a
Zipf-like popularity) is sent through nginx; the figure is transforms per
distinct variant. Then, in the shared set-up: the latency of a variant read
from the tier by a replica that never made it, against a fresh transform,
and the transforms a newly started replica runs in its first 1 000
requests. `make bench` runs it; docs/benchmarks.md has the reading.
"""

import argparse
import json
import pathlib
import random
import shutil
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from servers import ROOT, Server, fetch, free_port  # noqa: E402

SOURCES = 60
WIDTHS = (160, 320, 480, 640)
FORMATS = ("jpg", "webp")
REQUESTS = 3000
CONCURRENCY = 4


def metric(admin, series):
    text = fetch(f"http://127.0.0.1:{admin}/metrics")[1].decode()
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def start_replica(args, work, media, name, results):
    port, admin = free_port(), free_port()
    config = work / f"{name}.toml"
    text = (f'listen = "127.0.0.1:{port}"\nadmin_listen = "127.0.0.1:{admin}"\n'
            f'[storage]\nroot = "{media}"\n[cache]\nmax_bytes = "256MiB"\n')
    if results:
        text += f'[results]\nroot = "{results}"\n'
    config.write_text(text)
    server = Server(name, [args.signet, "serve", "--config", str(config)],
                    f"http://127.0.0.1:{admin}/ready", env={"RUST_LOG": "warn"})
    server.port, server.admin = port, admin
    return server


def start_nginx(work, replicas, balance):
    """The shipped nginx.conf with its upstream pointed at `replicas`."""
    port, admin_port = free_port(), free_port()
    prefix = work / f"nginx-{balance}"
    shutil.rmtree(prefix, ignore_errors=True)
    (prefix / "logs").mkdir(parents=True)
    lines = []
    for line in (ROOT / "deploy/scale-out/nginx.conf").read_text().splitlines():
        t = line.strip()
        if t.startswith("resolver "):
            continue
        if t.startswith("server signet:8080 "):
            lines += [f"server 127.0.0.1:{r.port} max_fails=3 fail_timeout=5s;" for r in replicas]
            continue
        if t.startswith("server signet:8081 "):
            lines.append(f"server 127.0.0.1:{replicas[0].admin};")
            continue
        if t == "hash $uri consistent;" and balance == "least_conn":
            lines.append("least_conn;")
            continue
        lines.append(line.replace("listen 8080;", f"listen 127.0.0.1:{port};")
                     .replace("listen 8081;", f"listen 127.0.0.1:{admin_port};"))
    conf = prefix / "nginx.conf"
    conf.write_text("\n".join(lines) + "\n")
    server = Server(f"nginx-{balance}", ["nginx", "-p", str(prefix), "-c", str(conf), "-g",
                                         f"daemon off; pid {prefix}/nginx.pid; "
                                         f"error_log {prefix}/logs/error.log error;"],
                    f"http://127.0.0.1:{port}/none")
    server.port = port
    return server


def workload(seed=11, n=REQUESTS):
    """Paths with a Zipf-like popularity over sources and variants."""
    rng = random.Random(seed)
    variants = [(s, w, f) for s in range(SOURCES) for w in WIDTHS for f in FORMATS]
    weights = [1.0 / (1 + s) ** 0.8 for s, _, _ in variants]
    picks = rng.choices(variants, weights=weights, k=n)
    return [f"/w11/src-{s:03d}.jpg?w={w}&format={f}" for s, w, f in picks]


def drive(port, paths):
    def one(path):
        status, _ = fetch(f"http://127.0.0.1:{port}{path}")
        assert status == 200, path
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one, paths))


def transforms(replicas):
    return sum(metric(r.admin, "signet_transforms_total") for r in replicas)


def timed(url, n):
    out = []
    for _ in range(n):
        start = time.perf_counter()
        fetch(url)
        out.append((time.perf_counter() - start) * 1e3)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--signet", default=str(ROOT / "target/release/signet"))
    ap.add_argument("--corpus", default=str(ROOT / "target/bench-corpus"))
    ap.add_argument("--out", default=str(ROOT / "target/bench-cluster"))
    args = ap.parse_args()
    work = pathlib.Path(args.out)
    shutil.rmtree(work, ignore_errors=True)
    media = work / "media"
    (media / "w11").mkdir(parents=True)
    for i in range(SOURCES):
        # Distinct sources: each is the corpus photo under its own name.
        (media / "w11" / f"src-{i:03d}.jpg").hardlink_to(pathlib.Path(args.corpus) / "2.7mp.jpg")
    paths = workload()
    distinct = len(set(paths))
    result = {"requests": len(paths), "distinct variants": distinct}
    running = []

    def up(server):
        running.append(server)
        return server

    def down(server):
        server.stop()
        running.remove(server)

    try:
        for setup in ("today", "shared"):
            tier = work / f"results-{setup}"
            replicas = [up(start_replica(args, work, media, f"{setup}-{i}",
                                         tier if setup == "shared" else None)) for i in range(3)]
            nginx = up(start_nginx(work, replicas,
                                   "least_conn" if setup == "today" else "hash"))
            start = time.perf_counter()
            drive(nginx.port, paths)
            made = transforms(replicas)
            result[setup] = {"transforms": made, "per variant": made / distinct,
                             "seconds": time.perf_counter() - start}
            print(f"W11 {setup}: {made:.0f} transforms for {distinct} variants "
                  f"({made / distinct:.2f} per variant)", flush=True)
            if setup == "shared":
                time.sleep(2)  # the last background writes land
                late = up(start_replica(args, work, media, "shared-late", tier))
                # Tier hit (made elsewhere, never here) against a fresh transform.
                hit_paths = list(dict.fromkeys(paths))[:40]
                hits = [timed(f"http://127.0.0.1:{late.port}{p}", 1)[0] for p in hit_paths]
                result["transforms for 40 tier hits"] = metric(late.admin, "signet_transforms_total")
                fresh = [timed(f"http://127.0.0.1:{late.port}/w11/src-{i:03d}.jpg?w=400&format=jpg", 1)[0]
                         for i in range(40)]
                result["tier hit ms"] = statistics.median(hits)
                result["fresh transform ms"] = statistics.median(fresh)
                print(f"W11 latency on a new replica: tier hit {statistics.median(hits):.1f} ms, "
                      f"fresh transform {statistics.median(fresh):.1f} ms (medians of 40)", flush=True)
                down(late)
                # Cold start: a new replica's first 1 000 requests, direct.
                cold = up(start_replica(args, work, media, "shared-cold", tier))
                drive(cold.port, workload(seed=12, n=1000))
                cold_made = metric(cold.admin, "signet_transforms_total")
                cold_paths = set(workload(seed=12, n=1000))
                cold_distinct = len(cold_paths)
                result["cold start"] = {"requests": 1000, "distinct": cold_distinct,
                                        "transforms": cold_made,
                                        "not in the tier": len(cold_paths - set(paths))}
                print(f"W11 cold start: {cold_made:.0f} transforms in a new replica's first 1000 "
                      f"requests ({cold_distinct} distinct variants; without the tier it makes "
                      f"every one)", flush=True)
            for s in list(running):
                down(s)
    finally:
        for s in running:
            s.stop()
    (work / "results.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
