#!/usr/bin/env python3
"""minicrm benchmark: the server's memory while big files go in and out.

Not part of `cargo test`. Run:

    python3 tests/bench/upload.py --bin target/release/minicrm

It starts `minicrm serve` on a new database in a temporary folder, logs in as an admin, and
then, sampling the server's resident memory every 5 ms (and reading its peak, VmHWM, from the
kernel after each step):

1. uploads a 25 MiB customer CSV (100,000 rows) to the import page (the preview), runs its
   dry run and then the import;
2. when the server has documents (`/api/v1/documents`), uploads a 25 MiB file through the API
   and downloads it back, checking the bytes.

It prints each step's status, time and the peak memory. Budget: RSS < 64 MB throughout.
Standard library only; it reuses the helpers of bench.py.
"""

import argparse
import hashlib
import io
import os
import random
import re
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402

MIB = 1024 * 1024


def customer_csv(size, rows):
    """A Finnish Excel style CSV of about `size` bytes in `rows` rows."""
    r = random.Random(1)
    out = io.StringIO()
    out.write("Nimi;Katuosoite;Postinumero;Postitoimipaikka;Puhelin;Sähköposti;Lisätietoja\r\n")
    per_row = size // rows
    for i in range(rows):
        line = (f"Yritys {i} Oy;Katu {r.randrange(1, 200)};{r.randrange(10000, 99999):05};"
                f"Tampere;050 {r.randrange(1000000, 9999999)};info{i}@yritys{i}.fi;")
        out.write(line + "x" * max(0, per_row - len(line) - 2) + "\r\n")
    return out.getvalue().encode("utf-8")


def multipart(fields, files):
    boundary = "----minicrmbench" + os.urandom(8).hex()
    parts = []
    for name, value in fields.items():
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                     f"{value}\r\n".encode())
    for name, (filename, content, ctype) in files.items():
        parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; "
                     f"filename=\"{filename}\"\r\nContent-Type: {ctype}\r\n\r\n".encode())
        parts.append(content)
        parts.append(b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default="target/release/minicrm")
    ap.add_argument("--mib", type=int, default=25, help="size of the files, MiB")
    ap.add_argument("--documents-only", action="store_true",
                    help="skip the import (slow in a debug build): only the document in and out")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="minicrm-upload-")
    binary = os.path.join(work, "minicrm")
    shutil.copy2(args.bin, binary)
    db = os.path.join(work, "upload.db")
    try:
        bench.run([binary, "--db", db, "user", "add", "--username", "bench", "--name", "Bench",
                   "--role", "admin", "--password-stdin"], stdin=bench.PASSWORD + "\n")
        token = bench.run([binary, "--db", db, "token", "create", "--user", "bench", "--name",
                           "bench"]).stdout.strip().splitlines()[-1]
        port = bench.free_port()
        proc, _, _ = bench.start_server(binary, db, port)
        print(f"idle: RSS {bench.rss_kb(proc.pid) / 1024:.1f} MB")
        peak = {"rss": 0}
        done = threading.Event()

        def sampler():
            while not done.is_set():
                peak["rss"] = max(peak["rss"], bench.rss_kb(proc.pid))
                time.sleep(0.005)

        threading.Thread(target=sampler, daemon=True).start()
        cookies = bench.login(port, "bench")
        # An import of 100,000 rows takes a while (minutes in a debug build).
        s = bench.Session(port, cookies, timeout=1800)
        status, page = s.request("GET", "/settings/import")
        csrf = re.search(rb'name="csrf" value="([^"]+)"', page).group(1).decode()

        def step(name, method, path, body=None, headers=None, session=s):
            t0 = time.perf_counter()
            status, data = session.request(method, path, body=body, headers=headers)
            took = time.perf_counter() - t0
            print(f"{name:40} {status:>4} {took:7.2f} s   peak RSS {peak['rss'] / 1024:6.1f} MB   "
                  f"VmHWM {bench.rss_kb(proc.pid, 'VmHWM') / 1024:6.1f} MB")
            return status, data

        if not args.documents_only:
            csv = customer_csv(args.mib * MIB, 100_000)
            print(f"customer CSV: {len(csv) / MIB:.1f} MiB, 100000 rows")
            body, ctype = multipart({"csrf": csrf, "kind": "customers"},
                                    {"file": ("asiakkaat.csv", csv, "text/csv")})
            del csv
            status, page = step("import: upload and preview", "POST", "/settings/import", body,
                                {"Content-Type": ctype})
            del body
            m = re.search(rb'name="upload" value="([^"]+)"', page)
            if status != 200 or not m:
                sys.exit(f"no preview (status {status}): {page[:500]!r}")
            # Without `map_…` fields the detected mapping is used, as on the first preview.
            form = {"csrf": csrf, "kind": "customers", "upload": m.group(1).decode()}
            for what in ("dry_run", "import"):
                body, ctype = multipart({**form, "step": what}, {})
                step(f"import: {what}", "POST", "/settings/import", body, {"Content-Type": ctype})

        api = bench.Session(port, token=token, timeout=600)
        status, _ = api.request("GET", "/api/v1/documents")
        if status == 200:
            content = random.Random(2).randbytes(args.mib * MIB)
            body, ctype = multipart({}, {"file": ("iso.bin", content, "application/octet-stream")})
            status, data = step("document: upload", "POST", "/api/v1/documents", body,
                                {"Content-Type": ctype}, session=api)
            del body
            doc = re.search(rb'"id":\s*(\d+)', data)
            if status == 201 and doc:
                status, got = step("document: download", "GET",
                                   f"/api/v1/documents/{doc.group(1).decode()}/content", session=api)
                same = hashlib.sha256(got).digest() == hashlib.sha256(content).digest()
                print(f"download: {len(got)} bytes, {'same bytes' if same else 'DIFFERENT BYTES'}")
        else:
            print("(no documents API: skipped)")
        done.set()
        print(f"server peak: VmHWM {bench.rss_kb(proc.pid, 'VmHWM') / 1024:.1f} MB (budget 64)")
        bench.stop_server(proc)
    finally:
        for p in bench.SERVERS:
            if p.poll() is None:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
