#!/usr/bin/env python3
"""Soak and overload run for signet on loopback (`make soak`).

1. Serves a photo from a fresh folder with a release build and the default
   limits (cache budget --cache-mib), and measures the peak rate of cache
   hits and of misses (unique variants) separately with oha.
2. Soak: hits and misses together, each at a constant rate of 70 % of its
   share of the peak (hits at 0.35 × hit peak, misses at 0.35 × miss peak:
   70 % of the machine, half to each), for --seconds (default 600), with
   oha's latency correction (no coordinated omission). RSS is sampled every
   second.
3. Overload: misses at 2 × their peak for --overload-seconds while a probe
   sends one new variant every 100 ms: the excess must get 503 with
   Retry-After, fast, and the server must serve normally afterwards.

Prints a report (also target/soak/report.md and report.json) and exits 1
when a check fails: soak error rate over 0.1 %, RSS over cache budget + 25 %,
an overload 503 without Retry-After or slower than 250 ms, no 503 at all
under 2 × peak, or a failed request after the overload.
"""

import argparse
import http.client
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
HIT_WIDTHS = list(range(100, 900, 20))  # 40 cached variants


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port: int, target: str, timeout: float = 30):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        conn.request("GET", target)
        r = conn.getresponse()
        r.read()
        return r.status, dict(r.getheaders()), time.monotonic() - started
    finally:
        conn.close()


def http_text(port: int, target: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", target)
        return conn.getresponse().read().decode()
    finally:
        conn.close()


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def oha(binary, url_regex, seconds, concurrency, rate=None):
    """Runs oha on random URLs matching `url_regex`; returns its JSON summary."""
    cmd = [binary, "--no-tui", "--output-format", "json", "-z", f"{seconds}s",
           "-c", str(concurrency), "--rand-regex-url", url_regex]
    if rate:
        cmd += ["-q", f"{rate:.1f}", "--latency-correction"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def summary(result):
    codes = {int(k): v for k, v in result.get("statusCodeDistribution", {}).items()}
    # Requests still in flight when a timed run ends are not errors.
    errors = sum(n for why, n in result.get("errorDistribution", {}).items()
                 if why != "aborted due to deadline")
    total = sum(codes.values()) + errors
    pct = result.get("latencyPercentiles", {})
    return {
        "requests": total,
        "rps": result["summary"]["requestsPerSec"],
        "p50_ms": (pct.get("p50") or 0) * 1000,
        "p99_ms": (pct.get("p99") or 0) * 1000,
        "codes": codes,
        "transport_errors": errors,
        "non_2xx": total - sum(v for k, v in codes.items() if 200 <= k < 300),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--signet", default=str(ROOT / "target/release/signet"))
    ap.add_argument("--oha", default="oha")
    ap.add_argument("--seconds", type=int, default=600)
    ap.add_argument("--peak-seconds", type=int, default=15)
    ap.add_argument("--overload-seconds", type=int, default=30)
    ap.add_argument("--cache-mib", type=int, default=256)
    ap.add_argument("--out", default=str(ROOT / "target/soak"))
    args = ap.parse_args()

    out = pathlib.Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    (out / "media").mkdir(parents=True)
    shutil.copy(ROOT / "examples/media/example-image.jpg", out / "media/photo.jpg")
    port, admin = free_port(), free_port()
    (out / "signet.toml").write_text(
        f'listen = "127.0.0.1:{port}"\nadmin_listen = "127.0.0.1:{admin}"\n'
        f'[storage]\nroot = "{out / "media"}"\n'
        f'[cache]\nmax_bytes = "{args.cache_mib}MiB"\n')
    log = open(out / "signet.log", "w")
    server = subprocess.Popen([args.signet, "serve", "--config", str(out / "signet.toml")],
                              stdout=log, stderr=log, env={**os.environ, "RUST_LOG": "warn"})
    try:
        return run(args, out, server, port, admin)
    finally:
        server.terminate()
        server.wait(timeout=40)


def run(args, out, server, port, admin) -> int:
    for _ in range(100):
        try:
            if get(admin, "/ready", timeout=1)[0] == 200:
                break
        except OSError:
            time.sleep(0.1)
    # oha reads the whole URL as a regex after URL parsing: `[.]` and `[?]`
    # are the literal characters (a backslash would become a `/`).
    base = f"http://127.0.0.1:{port}/photo[.]jpg[?]"
    hits = base + "w=(" + "|".join(map(str, HIT_WIDTHS)) + ")"
    # w and h 100–999 and q 10–99: about 73 million variants, so every
    # request of a run is a miss (and the cache keeps evicting).
    misses = base + "w=[1-9][0-9]{2}&h=[1-9][0-9]{2}&q=[1-9][0-9]"
    for w in HIT_WIDTHS:
        assert get(port, f"/photo.jpg?w={w}")[0] == 200

    print(f"peak: {args.peak_seconds}s of hits, then of misses", flush=True)
    hit_peak = summary(oha(args.oha, hits, args.peak_seconds, 16))
    miss_peak = summary(oha(args.oha, misses, args.peak_seconds, 8))
    hit_rate, miss_rate = 0.35 * hit_peak["rps"], 0.35 * miss_peak["rps"]
    print(f"  hits {hit_peak['rps']:.0f}/s, misses {miss_peak['rps']:.1f}/s; soak at "
          f"{hit_rate:.0f} + {miss_rate:.1f} req/s for {args.seconds}s", flush=True)

    samples = []  # (seconds since start, RSS MiB)
    stop = threading.Event()

    def sample():
        t0 = time.monotonic()
        while not stop.is_set():
            samples.append((time.monotonic() - t0, rss_mib(server.pid)))
            stop.wait(1)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    cpu0 = cpu_seconds(server.pid)
    results = {}

    def load(name, regex, rate, conc):
        results[name] = summary(oha(args.oha, regex, args.seconds, conc, rate))

    # A lone client asking for a cached variant every 50 ms on its own
    # connection: server stalls show up here, load-generator backlog does not.
    hit_probe = []

    def probe_hits():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while not stop.is_set():
            started = time.monotonic()
            conn.request("GET", f"/photo.jpg?w={HIT_WIDTHS[len(hit_probe) % len(HIT_WIDTHS)]}")
            conn.getresponse().read()
            hit_probe.append((started - t_soak, time.monotonic() - started))
            stop.wait(0.05)
        conn.close()

    t_soak = time.monotonic()
    threading.Thread(target=probe_hits, daemon=True).start()
    gens = [threading.Thread(target=load, args=("hits", hits, hit_rate, 32)),
            threading.Thread(target=load, args=("misses", misses, miss_rate, 32))]
    for g in gens:
        g.start()
    for g in gens:
        g.join()
    soak_cpu = cpu_seconds(server.pid) - cpu0
    probe_ms = sorted(t * 1000 for _, t in hit_probe)
    probe_slow = sorted(hit_probe, key=lambda p: -p[1])[:5]
    threads = len(os.listdir(f"/proc/{server.pid}/task"))
    soak_samples = list(samples)
    metrics = {}
    for line in http_text(admin, "/metrics").splitlines():
        name, _, value = line.partition(" ")
        if name in ("signet_cache_bytes", "signet_cache_entries", "signet_cache_evictions_total",
                    "signet_memory_allocated_bytes", "signet_memory_active_bytes",
                    "signet_memory_resident_bytes"):
            metrics[name] = float(value)

    # Overload: misses at twice their peak, and a probe of new variants.
    print(f"overload: misses at {2 * miss_peak['rps']:.1f}/s for {args.overload_seconds}s",
          flush=True)
    probes = []

    def probe():
        i = 0
        while not stop.is_set():
            status, headers, took = get(port, f"/photo.jpg?w={1000 + i % 200}&h=99&q={i % 90 + 10}")
            probes.append((status, "retry-after" in {k.lower() for k in headers}, took))
            i += 1
            stop.wait(0.1)

    stop.set()
    sampler.join()
    stop.clear()
    samples_start = len(samples)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    overload = summary(oha(args.oha, misses, args.overload_seconds, 128,
                           2 * miss_peak["rps"]))
    stop.set()
    prober.join()
    sampler.join()
    overload_rss = max(r for _, r in samples[samples_start:])
    time.sleep(2)
    after = [get(port, f"/photo.jpg?w={w}&h=77")[0] for w in range(300, 310)]

    budget = args.cache_mib
    rss_max = max(r for _, r in soak_samples)
    shed = [p for p in probes if p[0] == 503]
    shed_slow = sorted(p[2] for p in shed)
    report = {
        "seconds": args.seconds,
        "cache_mib": budget,
        "peak": {"hits": hit_peak, "misses": miss_peak},
        "soak": {**results, "server_cpu_s": soak_cpu, "metrics_at_end": metrics, "threads_at_end": threads,
                 "hit_probe": {"requests": len(probe_ms),
                               "p50_ms": probe_ms[len(probe_ms) // 2],
                               "p99_ms": probe_ms[int(len(probe_ms) * 0.99)],
                               "max_ms": probe_ms[-1],
                               "slowest_at_s": [round(t) for t, _ in probe_slow]},
                 "rss_mib": {"start": soak_samples[0][1], "max": rss_max,
                             "end": soak_samples[-1][1]}},
        "overload": {"misses": overload, "rss_max_mib": overload_rss,
                     "probes": len(probes), "probe_503": len(shed),
                     "probe_503_without_retry_after": sum(1 for p in shed if not p[1]),
                     "probe_503_p99_ms": shed_slow[int(len(shed_slow) * 0.99) - 1] * 1000
                     if shed_slow else None,
                     "probe_other": sorted({p[0] for p in probes if p[0] != 503})},
        "after_overload": after,
    }
    soak_total = sum(results[k]["requests"] for k in results)
    soak_bad = sum(results[k]["non_2xx"] for k in results)
    checks = {
        "soak error rate ≤ 0.1 %": soak_bad <= soak_total / 1000,
        f"RSS ≤ cache budget + 25 % ({budget * 1.25:.0f} MiB)": rss_max <= budget * 1.25,
        "overload sheds load with 503": overload["codes"].get(503, 0) > 0,
        "every overload 503 has Retry-After": report["overload"]["probe_503_without_retry_after"] == 0,
        "overload 503s answer in < 250 ms (p99)": bool(shed_slow) and shed_slow[int(len(shed_slow) * 0.99) - 1] < 0.25,
        "served normally after the overload": all(s == 200 for s in after),
    }
    report["checks"] = checks
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    with open(out / "rss.csv", "w") as f:
        f.write("seconds,rss_mib\n")
        f.writelines(f"{t:.0f},{r:.1f}\n" for t, r in samples)

    lines = [
        f"| phase | class | rate (req/s) | p50 ms | p99 ms | statuses |",
        "|---|---|---:|---:|---:|---|",
    ]
    for phase, cls, s in [("peak", "hits", hit_peak), ("peak", "misses", miss_peak),
                          ("soak 70 %", "hits", results["hits"]),
                          ("soak 70 %", "misses", results["misses"]),
                          ("2× peak", "misses", overload)]:
        codes = ", ".join(f"{k}: {v}" for k, v in sorted(s["codes"].items()))
        if s["transport_errors"]:
            codes += f", transport errors: {s['transport_errors']}"
        lines.append(f"| {phase} | {cls} | {s['rps']:.1f} | {s['p50_ms']:.1f} | "
                     f"{s['p99_ms']:.1f} | {codes} |")
    per_minute = {}
    for t, r in soak_samples:
        per_minute[int(t // 60)] = max(per_minute.get(int(t // 60), 0), r)
    lines += [
        "",
        f"Soak: {args.seconds} s, {soak_total} requests, {soak_bad} not 2xx; server CPU "
        f"{soak_cpu:.0f} s. RSS (MiB, cache budget {budget}): start "
        f"{soak_samples[0][1]:.0f}, max {rss_max:.0f}, end {soak_samples[-1][1]:.0f} "
        f"(cache held {metrics.get('signet_cache_bytes', 0) / 2**20:.0f} MiB after "
        f"{metrics.get('signet_cache_evictions_total', 0):.0f} evictions); "
        "max per minute: " + " ".join(f"{r:.0f}" for _, r in sorted(per_minute.items())) + ".",
        f"Hit probe (one client, a cached variant every 50 ms): {len(probe_ms)} requests, "
        f"p50 {probe_ms[len(probe_ms) // 2]:.1f} ms, p99 {probe_ms[int(len(probe_ms) * 0.99)]:.1f} ms, "
        f"max {probe_ms[-1]:.0f} ms.",
        f"Overload probe: {len(probes)} new variants, {len(shed)} got 503 "
        f"(p99 {report['overload']['probe_503_p99_ms'] or 0:.1f} ms, "
        f"{report['overload']['probe_503_without_retry_after']} without Retry-After), others "
        f"{report['overload']['probe_other']}; RSS max {overload_rss:.0f} MiB; after it: {after}.",
        "",
    ] + [f"- [{'x' if ok else ' '}] {name}" for name, ok in checks.items()]
    text = "\n".join(lines) + "\n"
    (out / "report.md").write_text(text)
    print(text)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
