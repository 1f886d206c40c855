#!/usr/bin/env python3
"""minicrm benchmark: latency, memory and start-up of the real server on demo data.

Not part of `cargo test`. Run it through bench.sh (which builds the release binary), or:

    python3 tests/bench/bench.py --bin target/release/minicrm --customers 100000

It makes a demo database with `minicrm demo-data` (or reuses --db if it exists, measuring a
copy of it so that every run sees the same data; the first start migrates an older one, and
that start is timed too), creates an admin and an API token
with the CLI, starts `minicrm serve` on a free port, logs in like a browser, then for each
number of concurrent keep-alive clients (--clients, default 2, 8 and 32) sends a few hundred
requests per route and prints p50/p95/p99 and the slowest request. Writes (`POST
/customers/new`) are timed separately, at 2 and 8 clients, alone and mixed with reads. It
prints the server's resident memory (peak sampled every 10 ms over the whole run, VmHWM),
its start-up time and the first answer of a fresh start on the heaviest lists.

The routes cover the budget's table: the lists and their deep pages (by position, and by an
offset too deep to walk, which must be refused with a 400), the tag lists, the searches that
match almost everything (`a`, `oy`, `oy a`), the duplicate finder, and memory after all of
them. Budget: pages and API p50 < 5 ms, p99 < 25 ms; full-text search < 50 ms; duplicates
< 100 ms; RSS < 64 MB. Standard library only.
"""

import argparse
import http.client
import json
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
BUDGET_MS = {"page": (5, 25), "search": (50, 50), "duplicates": (100, 100), "write": (5, 25)}


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


SERVERS = []  # every server started, stopped at the end whatever happens


def start_server(binary, db, port):
    """Starts the server; returns (process, seconds to the 'listening' line, seconds to the
    first answered request)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [binary, "--db", db, "serve", "--addr", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "MINICRM_LOG": "warn"},
    )
    SERVERS.append(proc)
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

    def __init__(self, port, cookies=None, token=None, timeout=120):
        self.port = port
        self.cookies = dict(cookies or {})
        self.token = token
        self.timeout = timeout
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.cookies:
            h["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.token:
            h["Authorization"] = f"Bearer {self.token}"
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=h)
                resp = self.conn.getresponse()
                data = resp.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The server closed an idle keep-alive connection: open a new one once.
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
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


def csrf_of(session):
    status, page = session.request("GET", "/customers/new")
    m = re.search(rb'name="csrf" value="([^"]+)"', page)
    if status != 200 or not m:
        sys.exit(f"no customer form (status {status})")
    return m.group(1).decode()


LOAD = None  # the path of the built client (tests/bench/load)


def build_load_client():
    """Builds the benchmark's HTTP client: a small Rust program, standard library only, so
    that the clients cost the two cores little next to the server (Python clients took half
    a core and more at 8 connections) and time only the exchange itself."""
    global LOAD
    here = os.path.dirname(os.path.abspath(__file__))
    target = os.path.join(here, "..", "..", "target", "bench-load")
    run(["cargo", "build", "--release", "--quiet", "--manifest-path",
         os.path.join(here, "load", "Cargo.toml"), "--target-dir", target])
    LOAD = os.path.join(target, "release", "minicrm-load")


def measure(port, requests, count, clients, cookies=None, token=None):
    """Sends `count` requests (after three per client to warm up) from `clients` keep-alive
    connections at once; `requests(rng, session)` gives (method, path, body). Returns the
    (ms, path) of each and the statuses."""
    per_client = max(1, count // clients)
    lines, paths = [], []
    for n in range(clients):
        rng = random.Random(n)
        s = Session(port, cookies, token)
        planned = [requests(rng, s) for _ in range(per_client + 3)]
        s.conn.close()
        if s.cookies:
            header = "Cookie: " + "; ".join(f"{k}={v}" for k, v in s.cookies.items())
        elif token:
            header = f"Authorization: Bearer {token}"
        else:
            header = ""
        for i, (method, path, body) in enumerate(planned):
            lines.append(f"{n}\t{int(i < 3)}\t{method}\t{path}\t{body or ''}\t{header}")
            paths.append(path)
    out = subprocess.run([LOAD, str(port)], input="\n".join(lines) + "\n", capture_output=True,
                         text=True, check=True).stdout
    samples, statuses = [], {}
    for row in out.splitlines():
        a, b, *rest = row.split("\t")
        if a == "seconds":
            statuses["_seconds"] = float(b)
            continue
        samples.append((float(a), paths[int(rest[0])]))
        statuses[int(b)] = statuses.get(int(b), 0) + 1
    return samples, statuses


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    # Nearest rank: the smallest value with at least p% of the values at or below it.
    return values[min(len(values) - 1, max(0, math.ceil(p / 100 * len(values)) - 1))]


def get(path):
    return lambda r, s: ("GET", path(r) if callable(path) else path, None)


def cpu_check():
    """Milliseconds a fixed piece of pure computation takes: on a virtual machine whose host is
    busy the same two cores run slower for minutes at a time, and every figure with them. Run
    before and after, it says how fast the machine was during the measurement (the median of
    five runs)."""
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        sum(i * i for i in range(1_000_000))
        times.append((time.perf_counter() - t0) * 1000)
    return sorted(times)[2]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/release/minicrm")
    ap.add_argument("--customers", type=int, default=100_000)
    ap.add_argument("--db", help="use this database (made if missing) instead of a temporary one")
    ap.add_argument("--requests", type=int, default=200, help="requests per route and client count")
    ap.add_argument("--clients", default="2,8,32", help="numbers of concurrent clients, comma-separated")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", help="only the routes whose name contains this")
    ap.add_argument("--in-place", action="store_true",
                    help="measure --db itself rather than a copy (the writes stay in it)")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores shared with other work skews "
          "the numbers)")
    print(f"CPU check before: {cpu_check():.0f} ms (the same loop after tells whether the machine "
          "kept its speed)")
    client_counts = [int(c) for c in args.clients.split(",")]

    build_load_client()
    work = tempfile.mkdtemp(prefix="minicrm-bench-")
    # A copy of the binary, so another build cannot replace it during the run.
    binary = os.path.join(work, "minicrm")
    shutil.copy2(args.bin, binary)
    db = args.db or os.path.join(work, "bench.db")
    try:
        if not os.path.exists(db):
            # The admin first, so that the demo's tasks have someone to be given to.
            run([binary, "--db", db, "user", "add", "--username", "bench", "--name", "Bench Admin",
                 "--role", "admin", "--password-stdin"], stdin=PASSWORD + "\n")
            t0 = time.perf_counter()
            out = run([binary, "--db", db, "demo-data", "--customers", str(args.customers),
                       "--seed", str(args.seed)])
            took = time.perf_counter() - t0
            print(out.stdout.strip())
            print(f"demo-data: {args.customers} customers in {took:.1f} s, "
                  f"{os.path.getsize(db) / 1e6:.0f} MB")
        if args.db and not args.in_place:
            # The writes below add customers and log events (which are never deleted), so a
            # reused database would grow with every run: measure a copy, and every run sees
            # the same data.
            t0 = time.perf_counter()
            db = os.path.join(work, "bench.db")
            for suffix in ("", "-wal"):
                if os.path.exists(args.db + suffix):
                    shutil.copyfile(args.db + suffix, db + suffix)
            print(f"measuring a copy of {args.db} ({time.perf_counter() - t0:.1f} s to copy)")
        # The first start opens (and, for an older database, migrates) the file.
        t0 = time.perf_counter()
        run([binary, "--db", db, "user", "add", "--username", "bench", "--name", "Bench Admin",
             "--role", "admin", "--password-stdin"], stdin=PASSWORD + "\n", check=False)
        print(f"first open (migrations, if any): {time.perf_counter() - t0:.1f} s")
        # The copy and a migration leave gigabytes for the kernel to write back: written now,
        # so that writing them back does not overlap the first routes' measurements.
        t0 = time.perf_counter()
        os.sync()
        print(f"written to disk: {time.perf_counter() - t0:.1f} s")
        token = run([binary, "--db", db, "token", "create", "--user", "bench", "--name", "bench"]
                    ).stdout.strip().splitlines()[-1]

        with sqlite3.connect(db) as c:
            # No scheduled backup during the measurement: a copy of a big database holds a
            # read lock for as long as it takes (a minute at a million customers), and
            # writers wait for it (journal mode DELETE).
            c.execute("INSERT INTO settings(key, value) VALUES ('backup_interval_hours', '0') "
                      "ON CONFLICT(key) DO UPDATE SET value = excluded.value")
            lo, hi = c.execute("SELECT min(id), max(id) FROM customers").fetchone()
            counts = {t: c.execute(f"SELECT max(rowid) FROM {t}").fetchone()[0] or 0
                      for t in ("customers", "contacts", "events")}
            # A tag on about an eighth of the customers, and the most common contact tag.
            common_tag = c.execute(
                "SELECT t.name FROM tags t JOIN customer_tags x ON x.tag_id = t.id "
                "GROUP BY t.id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
            contact_tag = c.execute(
                "SELECT t.name FROM tags t JOIN contact_tags x ON x.tag_id = t.id "
                "GROUP BY t.id ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
            # Positions deep in the lists (the keys of a row near the end), as cursors.
            n = counts["customers"]
            deep_names = [row for row in c.execute(
                "SELECT name, id FROM customers WHERE archived = 0 AND id % 97 = 0 "
                "ORDER BY id DESC LIMIT 200")]
            deep_contacts = [row for row in c.execute(
                "SELECT last_name, first_name, id FROM contacts WHERE id % 89 = 0 "
                "ORDER BY id DESC LIMIT 200")]
            deep_tagged = [row for row in c.execute(
                "SELECT p.last_name, p.first_name, p.id FROM contacts p "
                "JOIN contact_tags x ON x.contact_id = p.id JOIN tags t ON t.id = x.tag_id "
                "WHERE t.name = ? AND p.id % 7 = 0 ORDER BY p.id DESC LIMIT 200", (contact_tag,))]
        print("scheduled backups are off for the measurement (backup_interval_hours = 0)")
        print(f"database: {os.path.getsize(db) / 1e6:.0f} MB, about {counts['customers']} customers, "
              f"{counts['contacts']} contacts, {counts['events']} events; "
              f"tags: {common_tag!r} (customers), {contact_tag!r} (contacts)")

        q = urllib.parse.quote
        cursor = lambda keys: q(json.dumps(list(keys), ensure_ascii=False))
        term = lambda r: q(r.choice(TERMS))

        # Start-up: three starts (the file is in the OS cache after the first), each with the
        # first answer of a heavy list.
        starts = []
        for path in [f"/customers?tag={q(common_tag)}", f"/contacts?tag={q(contact_tag)}",
                     "/customers/duplicates"]:
            proc, listening, answered = start_server(binary, db, free_port())
            port = int(proc.args[-1].rsplit(":", 1)[1])
            cookies = login(port, "bench")
            t0 = time.perf_counter()
            status, _ = Session(port, cookies).request("GET", path)
            first = (time.perf_counter() - t0) * 1000
            starts.append((listening, answered, rss_kb(proc.pid), path, status, first))
            stop_server(proc)

        port = free_port()
        proc, _, _ = start_server(binary, db, port)
        idle_rss = rss_kb(proc.pid)
        peak = {"rss": 0, "during": ""}
        sampling = threading.Event()
        current = {"route": ""}

        def sampler():
            while not sampling.is_set():
                now = rss_kb(proc.pid)
                if now > peak["rss"]:
                    peak["rss"], peak["during"] = now, current["route"]
                time.sleep(0.01)

        threading.Thread(target=sampler, daemon=True).start()
        cookies = login(port, "bench")

        def create(r, s):
            if "csrf" not in s.__dict__:
                s.csrf = csrf_of(s)
            name = f"Bench {r.randrange(10**9)} {r.choice(['Oy', 'Ab', 'Tmi', 'Ky'])}"
            body = urllib.parse.urlencode({"csrf": s.csrf, "name": name, "city": "Tampere",
                                           "confirm_duplicate": "1"})
            return ("POST", "/customers/new", body)

        reads = [
            # (name, kind, requests, api)
            ("customer list", "page", get("/customers"), False),
            ("customer list, page 51", "page", get("/customers?offset=2500"), False),
            ("customer list, deep by position", "page",
             get(lambda r: "/customers?sort=name&after=" + cursor(r.choice(deep_names))), False),
            ("customers by number", "page", get("/customers?sort=number"), False),
            ("all customers by name", "page", get("/customers?archived=all&sort=name"), False),
            ("customers with a common tag", "page", get(f"/customers?tag={q(common_tag)}"), False),
            ("customers with the tag, -name", "page",
             get(f"/customers?tag={q(common_tag)}&sort=-name"), False),
            ("customer search", "search", get(lambda r: f"/customers?q={term(r)}"), False),
            ("customer card", "page", get(lambda r: f"/customers/{r.randint(lo, hi)}"), False),
            ("API customer search", "search", get(lambda r: f"/api/v1/customers?q={term(r)}"), True),
            ("API customers deep by after", "page",
             get(lambda r: "/api/v1/customers?sort=name&after=" + cursor(r.choice(deep_names))), True),
            ("API offset too deep", "page", get("/api/v1/customers?sort=name&offset=500000"), True),
            ("contact list", "page", get("/contacts"), False),
            ("contact list, deep by position", "page",
             get(lambda r: "/contacts?after=" + cursor(r.choice(deep_contacts))), False),
            ("contacts with a tag", "page", get(f"/contacts?tag={q(contact_tag)}"), False),
            ("contacts with the tag, deep", "page",
             get(lambda r: f"/contacts?tag={q(contact_tag)}&after=" + cursor(r.choice(deep_tagged))), False),
            ("contacts with the tag, offset", "page",
             get(f"/contacts?tag={q(contact_tag)}&offset=450000"), False),
            ("contact search Virtanen", "page", get("/contacts?q=Virtanen"), False),
            ("contact search", "search", get(lambda r: f"/contacts?q={term(r)}"), False),
            ("contacts q=a, deep offset", "search", get("/contacts?q=a&offset=1000000"), False),
            ("log", "page", get("/log"), False),
            ("log search", "search", get(lambda r: f"/log?q={term(r)}"), False),
            ("log q=oy, deep offset", "search", get("/log?q=oy&offset=9000000"), False),
            ("log q=oy, deep by position", "search",
             get(lambda r: f"/log?q=oy&after={r.randint(1, counts['events'])}"), False),
            ("log, kind call", "page", get("/log?kind=call"), False),
            ("log, one month", "page", get("/log?from=2025-03-01&to=2025-03-31"), False),
            ("log, customer with contacts", "page",
             get(lambda r: f"/log?customer_id={r.randint(lo, hi)}&include_contacts=1"), False),
            ("log, kind and search", "search",
             get(lambda r: f"/log?kind=call&q={term(r)}"), False),
            ("API events of a customer", "page",
             get(lambda r: f"/api/v1/events?customer_id={r.randint(lo, hi)}&include_contacts=true"), True),
            ("search everything", "search", get(lambda r: f"/search?q={term(r)}"), False),
            ("search ravintola", "page", get("/search?q=ravintola"), False),
            ("search a", "search", get("/search?q=a"), False),
            ("search oy", "search", get("/search?q=oy"), False),
            ("search oy a", "search", get("/search?q=oy%20a"), False),
            ("customer duplicates", "duplicates", get("/customers/duplicates"), False),
            ("contact duplicates", "duplicates", get("/contacts/duplicates"), False),
            ("front page", "page", get("/"), False),
            ("documents", "page", get("/documents"), False),
            ("documents, Incoming", "page", get("/documents?incoming=1"), False),
            ("document search", "search", get(lambda r: f"/documents?q={term(r)}"), False),
            ("customer card, documents tab", "page",
             get(lambda r: f"/customers/{r.randint(lo, hi)}?tab=documents"), False),
            ("tasks", "page", get("/tasks"), False),
            ("API reminders", "page", get("/api/v1/reminders"), True),
            ("API reminders, offset 4000", "page", get("/api/v1/reminders?offset=4000"), True),
            ("API documents of a customer", "page",
             get(lambda r: f"/api/v1/documents?customer_id={r.randint(lo, hi)}"), True),
        ]
        if args.only:
            reads = [r for r in reads if args.only in r[0]]

        results = []  # (clients, name, kind, samples, statuses)
        for clients in client_counts:
            for name, kind, requests, api in reads:
                current["route"] = f"{name} ({clients})"
                samples, statuses = measure(port, requests, args.requests, clients,
                                            cookies=None if api else cookies,
                                            token=token if api else None)
                results.append((clients, name, kind, samples, statuses))
        writes = []
        for clients in [c for c in (2, 8) if not args.only or "write" in args.only] or []:
            current["route"] = f"create ({clients})"
            samples, statuses = measure(port, create, args.requests, clients, cookies=cookies)
            writes.append((clients, "POST /customers/new", "write", samples, statuses))
            # The same writes with readers alongside: every other client browses.
            current["route"] = f"create with reads ({clients})"
            mixed = lambda r, s: create(r, s) if r.random() < 0.5 else ("GET", f"/customers?q={term(r)}", None)
            samples, statuses = measure(port, mixed, args.requests, clients, cookies=cookies)
            writes.append((clients, "create, half reads", "write",
                           [x for x in samples if x[1] == "/customers/new"], dict(statuses)))
            # The searches of that run: readers give way to the writer, so they pay for it.
            writes.append((clients, "search, half creates", "search",
                           [x for x in samples if x[1] != "/customers/new"], dict(statuses)))
        sampling.set()
        serving_rss = rss_kb(proc.pid)
        hwm = rss_kb(proc.pid, "VmHWM")
        stop_server(proc)

        print()
        print(f"{args.requests} requests per route at each client count (keep-alive); "
              f"budget p50/p99 ms: pages {BUDGET_MS['page']}, search {BUDGET_MS['search']}, "
              f"duplicates {BUDGET_MS['duplicates']}")
        print("(the budget holds at 2 and 8 clients; at 32 no request may take over 1 s: the "
              "two cores are busy all the time and a request waits its turn)")
        head = (f"{'route':33} {'cl':>3} {'status':>9} {'p50':>7} {'p95':>7} {'p99':>7}  "
                f"{'slowest':>8} {'':2}{'req/s':>6}  {'slowest request'}")
        print(head)
        over = []
        for clients, name, kind, samples, statuses in results + writes:
            lat = [ms for ms, _ in samples]
            if not lat:
                continue
            seconds = statuses.pop("_seconds", 0) or float("nan")
            rate = sum(statuses.values()) / seconds
            slow_ms, slow_path = max(samples)
            status = ",".join(f"{k}" if len(statuses) == 1 else f"{k}x{v}" for k, v in sorted(statuses.items()))
            p50, p95, p99 = pct(lat, 50), pct(lat, 95), pct(lat, 99)
            b50, b99 = BUDGET_MS[kind]
            if clients <= 8:
                flag = "" if p50 <= b50 and p99 <= b99 else " !"
            else:
                flag = "" if slow_ms <= 1000 else " !"
            if flag:
                over.append(f"{name} ({clients})")
            print(f"{name[:33]:33} {clients:3} {status[:9]:>9} {p50:7.2f} {p95:7.2f} {p99:7.2f}  "
                  f"{slow_ms:8.1f}{flag:2}{rate:6.0f}  {slow_path[:56]}")
        print()
        for listening, answered, rss, path, status, first in starts:
            print(f"start-up: 'listening' after {listening * 1000:.0f} ms, first answer after "
                  f"{answered * 1000:.0f} ms, {rss / 1024:.1f} MB; then {path} answered {status} "
                  f"in {first:.1f} ms")
        print(f"resident memory: {idle_rss / 1024:.1f} MB idle after start, "
              f"{peak['rss'] / 1024:.1f} MB highest sampled (during {peak['during']}), "
              f"{serving_rss / 1024:.1f} MB at the end, VmHWM {hwm / 1024:.1f} MB "
              f"(budget 64 MB)")
        print("over budget: " + (", ".join(over) if over else "none"))
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        print(f"CPU check after: {cpu_check():.0f} ms")
    finally:
        for proc in SERVERS:
            if proc.poll() is None:
                stop_server(proc)
        # The work directory holds the binary and the measured copy, never --db itself.
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
