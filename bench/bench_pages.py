"""The opening-day read flood: the top and availability pages served by gunicorn.

    python bench/bench_pages.py [--requests 4000] [--clients 16] [--workers 3]

Starts gunicorn on 127.0.0.1 (a free port) against a throwaway database filled by
seed_demo (PostgreSQL when BENCH_DATABASE_URL or DATABASE_URL points at one, else a
temporary SQLite file), then sends a bounded number of keep-alive GET requests from
several client threads, only to 127.0.0.1. Prints requests/second and latency percentiles
per page, and checks that every answer was 200, public and cookie-free — what lets a CDN
absorb the rest. Bounded: a fixed request count and a 300-second wall-clock limit.
"""

import argparse
import http.client
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import percentiles_ms, run_threads, throwaway_database  # noqa: E402

PAGES = ["/", "/screenings/lung/", "/en/screenings/breast/"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()

    database_url, drop = throwaway_database("kenshin_bench_pages")
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        # WhiteNoise warns that collectstatic has not run; irrelevant to these pages.
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    python = sys.executable
    port = free_port()
    server = None
    try:
        for command in (["migrate", "--noinput", "-v0"], ["seed_demo", "--bookings", "40"]):
            subprocess.run([python, "manage.py", *command], cwd=ROOT, env=env, check=True)
        server = subprocess.Popen(
            [
                str(Path(python).parent / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**env, "DJANGO_ENV": "development"},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)

        counter = iter(range(args.requests))
        lock = threading.Lock()
        timings: dict[str, list[float]] = {page: [] for page in PAGES}
        problems: list[str] = []
        stop_at = time.monotonic() + 300

        def client(_n: int) -> None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            while time.monotonic() < stop_at:
                with lock:
                    n = next(counter, None)
                if n is None:
                    break
                page = PAGES[n % len(PAGES)]
                started = time.perf_counter()
                conn.request("GET", page, headers={"Host": "127.0.0.1"})
                response = conn.getresponse()
                response.read()
                elapsed = time.perf_counter() - started
                cache = response.getheader("Cache-Control", "")
                vary = response.getheader("Vary", "")
                with lock:
                    timings[page].append(elapsed)
                    if response.status != 200:
                        problems.append(f"{page}: {response.status}")
                    elif response.getheader("Set-Cookie") or "Cookie" in vary:
                        problems.append(f"{page}: sets or varies on a cookie")
                    elif "public" not in cache:
                        problems.append(f"{page}: Cache-Control {cache!r}")
            conn.close()

        wall = run_threads(client, args.clients)
        total = sum(len(v) for v in timings.values())
        vendor = "postgresql" if database_url.startswith("postgres") else "sqlite"
        print(
            f"bench_pages: {vendor}, gunicorn {args.workers} workers, {args.clients} clients, "
            f"{total} requests in {wall:.1f} s = {total / wall:,.0f} requests/s (no cache in front)"
        )
        for page, values in timings.items():
            if len(values) >= 2:
                p50, p95, p99 = percentiles_ms(values)
                print(
                    f"  {page:28} {len(values):5} req  p50 {p50:6.1f} ms  "
                    f"p95 {p95:6.1f} ms  p99 {p99:6.1f} ms"
                )
        print(f"  problems: {len(problems)} {problems[:5]}")
        return 1 if problems else 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        drop()


if __name__ == "__main__":
    sys.exit(main())
