"""W13: the REST API's search over a 100 000-file folder on this machine.

A media folder of 100 000 small files (a hundred subfolders, five
extensions, sizes spread over 0-100 KB), 1 000 of them given a title and
tags through the API; then, against one signet: the first search (which
builds the index from a walk of the folder), the index's memory, each
kind of query (median of repeated runs), a scroll through every file,
a rebuild after files changed behind signet's back, and the cost of a
metadata write. No peer has Sirv's search API, so these are absolute
figures. `make bench` runs it; docs/benchmarks.md has the reading.
"""

import argparse
import json
import pathlib
import random
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from servers import Server, free_port, rss_mib  # noqa: E402

FILES = 100_000
FOLDERS = 100
EXTS = ("jpg", "png", "webp", "txt", "mp4")
TAGGED = 1000
CLIENT, SECRET = "bench", "bench-secret-0123456789"


def call(admin, path, body=None, token=None, method=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{admin}{path}", data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=600) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


def timed(fn, runs):
    times = []
    out = None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--signet", required=True)
    parser.add_argument("--files", type=int, default=FILES)
    args = parser.parse_args()
    rng = random.Random(13)
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        media = work / "media"
        started = time.perf_counter()
        for i in range(args.files):
            folder = media / f"d{i % FOLDERS:03}"
            if i < FOLDERS:
                folder.mkdir(parents=True)
            name = f"f{i:06}.{EXTS[i % len(EXTS)]}"
            (folder / name).write_bytes(b"x" * rng.randrange(0, 100_000, 997))
        made_s = time.perf_counter() - started
        port, admin = free_port(), free_port()
        config = work / "signet.toml"
        config.write_text(
            f'listen = "127.0.0.1:{port}"\nadmin_listen = "127.0.0.1:{admin}"\n'
            f'[storage]\nroot = "{media}"\n'
            f'[api]\nclient_id = "{CLIENT}"\nclient_secret = "{SECRET}"\nrate_limit = 0\n')
        server = Server("signet", [args.signet, "serve", "--config", str(config)],
                        f"http://127.0.0.1:{admin}/ready", env={"RUST_LOG": "warn"})
        try:
            token = call(admin, "/v2/token", {"clientId": CLIENT, "clientSecret": SECRET})["token"]
            search = lambda body: call(admin, "/v2/files/search", body, token)  # noqa: E731
            rss_before = rss_mib(server.pid)
            build_ms, first = timed(lambda: search({"query": "basename:f000001.png"}), 1)
            assert first["total"] == 1, first
            rss_after = rss_mib(server.pid)
            # Metadata writes (each also refreshes the file's search document).
            writes = []
            for i in range(0, TAGGED * 100, 100):
                if i >= args.files:
                    break
                name = f"/d{i % FOLDERS:03}/f{i:06}.{EXTS[i % len(EXTS)]}"
                t = time.perf_counter()
                call(admin, f"/v2/files/meta?filename={urllib.parse.quote(name, safe='')}",
                     {"title": f"Sunset {i}", "tags": ["beach", f"t{i % 7}"]}, token)
                writes.append((time.perf_counter() - t) * 1000)
            queries = {
                "one name (basename:f000001.png)": {"query": "basename:f000001.png"},
                "folder (dirname:/d042), 100 by name": {"query": "dirname:/d042", "size": 100},
                "wildcard (*.jpg), 100 by mtime desc": {
                    "query": "*.jpg", "size": 100, "sort": {"mtime": "desc"}},
                "size range ([50000 TO *]) AND extension": {
                    "query": "size:[50000 TO *] AND extension:.webp", "size": 100},
                "tags and title words": {"query": "tags:beach AND title:sunset", "size": 100},
                "everything, 100 from 1000, by size": {
                    "query": "*", "from": 1000, "size": 100, "sort": {"size": "asc"}},
            }
            rows = []
            for label, body in queries.items():
                ms, out = timed(lambda: search(body), 15)
                rows.append((label, ms, out["total"]))
            # A scroll through every file, 100 a page.
            t = time.perf_counter()
            page = search({"query": "*", "size": 100, "scroll": True})
            seen = len(page["hits"])
            while page["hits"]:
                page = call(admin, "/v2/files/search/scroll", {"scrollId": page["scrollId"]}, token)
                seen += len(page["hits"])
            scroll_s = time.perf_counter() - t
            assert seen == args.files, seen
            # Files written behind signet's back, then a rebuild.
            for i in range(100):
                (media / "d000" / f"behind{i}.jpg").write_bytes(b"b")
            rebuild = call(admin, "/v2/files/search/reindex", {}, token)
            print(f"W13 search over {args.files} files ({made_s:.1f} s to write them)")
            print(f"  first search, index built from a walk: {build_ms:.0f} ms")
            print(f"  rebuild (POST /v2/files/search/reindex): {rebuild['tookMs']} ms "
                  f"for {rebuild['files']} files")
            print(f"  RSS: {rss_before:.0f} MiB before the index, {rss_after:.0f} MiB after "
                  f"({(rss_after - rss_before) * 1024 * 1024 / args.files:.0f} B per file)")
            print(f"  metadata write, median of {len(writes)}: {statistics.median(writes):.2f} ms")
            print("  | query | hits | median ms (15 runs) |")
            for label, ms, total in rows:
                print(f"  | {label} | {total} | {ms:.1f} |")
            print(f"  scroll through all {seen} files, 100 a page: {scroll_s:.1f} s "
                  f"({scroll_s * 1000 / (seen / 100):.1f} ms a page)")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
