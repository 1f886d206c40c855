#!/usr/bin/env python3
"""minicrm benchmark: latency, memory and start-up of the real server on demo data.

Not part of `cargo test`. Run it through bench.sh (which builds the release binary), or:

    python3 tests/bench/bench.py --bin target/release/minicrm --customers 100000

It makes a demo database with `minicrm demo-data` (or reuses --db if it exists), creates an
admin and an API token with the CLI, starts `minicrm serve` on a free port, logs in like a
browser, then sends a few hundred requests per route from 2 concurrent keep-alive clients and
prints p50/p90/p99 latency, the server's resident memory (VmRSS/VmHWM from /proc) and its
start-up time. Standard library only.
"""

import argparse
import http.client
import math
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

PASSWORD = "bench-salasana-2026"
# Words a user types into the search boxes: surnames, trades, cities, name parts.
TERMS = [
    "virtanen", "korhonen", "mäkinen", "rakennus", "sähkö", "tampere", "oulu", "koivu",
    "kuljetus", "siivous", "jarvinen", "lahti", "sisu", "tilitoimisto", "helsinki", "kahvila",
]


def run(cmd, stdin=None, check=True):
    p = subprocess.run(cmd, input=stdin, capture_output=True, text=True)
    if check and p.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{p.stdout}{p.stderr}")
    return p


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid, field="VmRSS"):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def start_server(binary, db, port):
    """Starts the server; returns (process, seconds to the 'listening' line, seconds to the
    first answered request)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "--db", db, "serve", "--addr", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "MINICRM_LOG": "warn"},
    )
    line = proc.stdout.readline()
    listening = time.perf_counter() - t0
    if "listening" not in line:
        proc.kill()
        sys.exit(f"the server did not start: {line!r}")
    # Keep reading stdout so the server never blocks on a full pipe.
    threading.Thread(target=proc.stdout.read, daemon=True).start()
    while True:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            c.request("GET", "/login")
            c.getresponse().read()
            c.close()
            break
        except OSError:
            time.sleep(0.002)
    return proc, listening, time.perf_counter() - t0


def stop_server(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Session:
    """One keep-alive connection with the cookies of a logged-in browser or a bearer token."""

    def __init__(self, port, cookies=None, token=None, fresh=False):
        self.port = port
        self.fresh = fresh
        self.cookies = dict(cookies or {})
        self.token = token
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        if self.fresh:
            h["Connection"] = "close"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=h)
                resp = self.conn.getresponse()
                data = resp.read()
                if self.fresh:
                    self.conn.close()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: open a new one once.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                if attempt:
                    raise
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";")[0]
                if "=" in pair:
                    k, v = pair.split("=", 1)
                    if v:
                        self.cookies[k] = v
                    else:
                        self.cookies.pop(k, None)
        return resp.status, data


def login(port, username):
    s = Session(port)
    status, page = s.request("GET", "/login")
    m = re.search(rb'name="csrf" value="([^"]+)"', page)
    if status != 200 or not m:
        sys.exit(f"no login form (status {status})")
    body = urllib.parse.urlencode(
        {"csrf": m.group(1).decode(), "username": username, "password": PASSWORD}
    )
    status, _ = s.request(
        "POST", "/login", body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    if status != 303:
        sys.exit(f"login failed with status {status}")
    return s.cookies


def measure(port, paths, count, clients, cookies=None, token=None, fresh=False):
    """Sends `count` requests (after a short warm-up) from `clients` threads; returns the
    latencies in ms and the statuses seen."""
    latencies, statuses, lock = [], {}, threading.Lock()
    per_client = count // clients

    def worker(seed):
        rng = random.Random(seed)
        s = Session(port, cookies, token, fresh)
        for i in range(per_client + 10):
            path = paths(rng)
            t0 = time.perf_counter()
            status, _ = s.request("GET", path)
            ms = (time.perf_counter() - t0) * 1000
            if i >= 10:  # the first ten warm the connection and the caches
                with lock:
                    latencies.append(ms)
                    statuses[status] = statuses.get(status, 0) + 1
        s.conn.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    # Nearest rank: the smallest value with at least p% of the values at or below it.
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/release/minicrm")
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--db", help="use this database (made if missing) instead of a temporary one")
    ap.add_argument("--requests", type=int, default=400, help="requests per route")
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fresh-connections", action="store_true",
                    help="a new connection per request (Connection: close) instead of keep-alive")
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="minicrm-bench-")
    # A copy of the binary, so another build cannot replace it during the run.
    binary = os.path.join(work, "minicrm")
    shutil.copy2(args.bin, binary)
    db = args.db or os.path.join(work, "bench.db")
    try:
        existed = os.path.exists(db)
        # The admin to log in as (already there when the database is reused).
        run([binary, "--db", db, "user", "add", "--username", "bench", "--name", "Bench Admin",
             "--role", "admin", "--password-stdin"], stdin=PASSWORD + "\n", check=not existed)
        if not existed:
            t0 = time.perf_counter()
            out = run([binary, "--db", db, "demo-data", "--customers", str(args.customers),
                       "--seed", str(args.seed)])
            took = time.perf_counter() - t0
            print(out.stdout.strip())
            print(f"demo-data: {args.customers} customers in {took:.1f} s, "
                  f"{os.path.getsize(db) / 1e6:.0f} MB")
        token = run([binary, "--db", db, "token", "create", "--user", "bench", "--name", "bench"]
                    ).stdout.strip().splitlines()[-1]

        with sqlite3.connect(db) as c:
            lo, hi = c.execute("SELECT min(id), max(id) FROM customers").fetchone()
            counts = {t: c.execute(f"SELECT max(rowid) FROM {t}").fetchone()[0] or 0
                      for t in ("customers", "contacts", "events")}
        print(f"database: {os.path.getsize(db) / 1e6:.0f} MB, about {counts['customers']} customers, "
              f"{counts['contacts']} contacts, {counts['events']} events")

        # Start-up: three cold starts (the file is in the OS cache after the first).
        starts = []
        for _ in range(3):
            proc, listening, answered = start_server(binary, db, free_port())
            starts.append((listening, answered, rss_kb(proc.pid)))
            stop_server(proc)
        port = free_port()
        proc, _, _ = start_server(binary, db, port)
        idle_rss = rss_kb(proc.pid)

        peak = {"rss": 0}
        sampling = threading.Event()

        def sampler():
            while not sampling.is_set():
                peak["rss"] = max(peak["rss"], rss_kb(proc.pid))
                time.sleep(0.01)

        threading.Thread(target=sampler, daemon=True).start()
        cookies = login(port, "bench")
        term = lambda r: urllib.parse.quote(r.choice(TERMS))
        routes = [
            ("customer list", lambda r: "/customers", False),
            ("customer list, page 51", lambda r: "/customers?offset=2500", False),
            ("customers by number", lambda r: "/customers?sort=number", False),
            ("all customers by name", lambda r: "/customers?archived=all&sort=name", False),
            ("customer search", lambda r: f"/customers?q={term(r)}", False),
            ("customer card", lambda r: f"/customers/{r.randint(lo, hi)}", False),
            ("API customer search", lambda r: f"/api/v1/customers?q={term(r)}", True),
            ("contact list", lambda r: "/contacts", False),
            ("contact search", lambda r: f"/contacts?q={term(r)}", False),
            ("log search", lambda r: f"/log?q={term(r)}", False),
            ("search everything", lambda r: f"/search?q={term(r)}", False),
            ("front page", lambda r: "/", False),
        ]
        rows = []
        for name, paths, api in routes:
            lat, statuses = measure(port, paths, args.requests, args.clients,
                                    cookies=None if api else cookies, token=token if api else None,
                                    fresh=args.fresh_connections)
            rows.append((name, paths(random.Random(0)), lat, statuses))
        sampling.set()
        serving_rss = rss_kb(proc.pid)
        hwm = rss_kb(proc.pid, "VmHWM")
        stop_server(proc)

        print()
        mode = "a new connection each" if args.fresh_connections else "keep-alive"
        print(f"{args.requests} requests per route, {args.clients} concurrent clients ({mode})")
        print(f"{'route':24} {'example':34} {'status':>10} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for name, example, lat, statuses in rows:
            status = ",".join(f"{k}" if len(statuses) == 1 else f"{k}x{v}" for k, v in sorted(statuses.items()))
            print(f"{name:24} {example[:34]:34} {status:>10} {pct(lat, 50):8.2f} {pct(lat, 90):8.2f} "
                  f"{pct(lat, 99):8.2f} {max(lat):8.2f}")
        print()
        print("start-up (3 runs): " + ", ".join(
            f"'listening' after {l * 1000:.0f} ms, first answer after {a * 1000:.0f} ms" for l, a, _ in starts))
        print(f"resident memory: {idle_rss / 1024:.1f} MB idle after start, "
              f"{peak['rss'] / 1024:.1f} MB highest sampled while serving, "
              f"{serving_rss / 1024:.1f} MB at the end, VmHWM {hwm / 1024:.1f} MB")
    finally:
        if not args.db:
            shutil.rmtree(work, ignore_errors=True)
        else:
            os.remove(binary)
            os.rmdir(work)


if __name__ == "__main__":
    main()
