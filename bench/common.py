"""What the benchmarks share: a throwaway database, seed data, threads started together.

The benchmarks never touch the development database and never import the tests: the
little data they need is built here, straight through the models and the booking service.
"""

import contextlib
import ctypes
import http.client
import os
import signal
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Django is set up by each script after it has chosen its database.
    from reservations.models import Slot
    from reservations.services import CitizenDetails


def postgres_base() -> str | None:
    """The server part of BENCH_DATABASE_URL or DATABASE_URL when it is PostgreSQL."""
    url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return None
    return url.rpartition("/")[0]


def throwaway_database(name: str, *, postgres: bool = False) -> tuple[str, Callable[[], None]]:
    """A fresh database `name` and the function that drops it.

    On PostgreSQL when one is configured, else (unless `postgres` is required, then
    ValueError) a SQLite file in a new temporary directory.
    """
    base = postgres_base()
    if base is None:
        if postgres:
            raise ValueError("needs PostgreSQL (BENCH_DATABASE_URL or DATABASE_URL)")
        return f"sqlite:///{Path(tempfile.mkdtemp()) / f'{name}.sqlite3'}", lambda: None
    import psycopg

    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")

    def drop() -> None:
        from django.conf import settings
        from django.db import connections

        if settings.configured:
            connections.close_all()
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    return f"{base}/{name}", drop


def run_threads(target: Callable[[int], None], count: int) -> float:
    """Run target(0) … target(count - 1) in as many threads at once; the wall time taken."""
    # Daemon threads: on Ctrl-C the main thread cleans up and exits without waiting for them.
    threads = [threading.Thread(target=target, args=(n,), daemon=True) for n in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(
    port: int, *, seconds: float = 60, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until something accepts connections on 127.0.0.1:port (RuntimeError if not, or
    if `process` exits first)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server on port {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {seconds:.0f} s")


def wait_for_answer(
    port: int, path: str, *, seconds: float = 120, process: subprocess.Popen[bytes] | None = None
) -> None:
    """Wait until 127.0.0.1:port answers GET `path` with anything but a 5xx (the workers
    have booted): RuntimeError if it does not within `seconds` or `process` exits."""
    wait_for_port(port, seconds=seconds, process=process)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except (OSError, http.client.HTTPException):
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"127.0.0.1:{port}{path} does not answer after {seconds:.0f} s")


def _die_with_parent() -> None:
    """In a child before exec: get SIGTERM when the benchmark dies, even by SIGKILL (Linux)."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def start_gunicorn(
    app: str,
    *,
    port: int,
    workers: int,
    env: dict[str, str],
    cwd: Path,
    python: str,
) -> subprocess.Popen[bytes]:
    """gunicorn serving `app` on 127.0.0.1:port only, `workers` sync workers; it stops with
    the benchmark's process even if that is killed."""
    return subprocess.Popen(
        [
            str(Path(python).parent / "gunicorn"),
            app,
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--log-level",
            "warning",
            # Two servers at once: gunicorn 27's control socket has one path per user.
            "--no-control-socket",
        ],
        cwd=cwd,
        env=env,
        preexec_fn=_die_with_parent,  # started before any client thread
    )


def stop_process(process: subprocess.Popen[bytes], *, seconds: float = 20) -> None:
    """SIGTERM, then SIGKILL if it has not ended after `seconds`."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def percentiles_ms(seconds: Sequence[float]) -> tuple[float, float, float]:
    """p50, p95 and p99 of durations in seconds, in milliseconds (needs two or more)."""
    q = statistics.quantiles(seconds, n=100)
    return q[49] * 1000, q[94] * 1000, q[98] * 1000


def open_slots(
    count: int,
    *,
    capacity: int,
    venues: int = 1,
    first_day: date | None = None,
    minutes: int = 30,
    per_day: int = 30,
) -> list["Slot"]:
    """`count` lung-screening slots open for booking now, `per_day` a day from 9:00, each
    `minutes` long, spread over `venues` venues; the first day is two weeks ahead."""
    from django.utils import timezone

    from reservations.models import ScreeningType, Slot, Venue

    lung = ScreeningType.objects.get(code="lung")
    places = [
        Venue.objects.create(name=f"ベンチ会場{i}", address="新座市野火止1-1-1")
        for i in range(venues)
    ]
    first_day = first_day or timezone.localdate() + timedelta(days=14)
    zone = timezone.get_current_timezone()
    now = timezone.now()
    slots = []
    for i in range(count):
        day = first_day + timedelta(days=i // per_day)
        starts = datetime.combine(day, datetime.min.time(), tzinfo=zone) + timedelta(
            hours=9, minutes=minutes * (i % per_day)
        )
        slots.append(
            Slot(
                venue=places[i % venues],
                screening_type=lung,
                starts_at=starts,
                ends_at=starts + timedelta(minutes=minutes),
                capacity=capacity,
                opens_at=now - timedelta(days=1),
                closes_at=starts - timedelta(days=1),
            )
        )
    return Slot.objects.bulk_create(slots)


# Everyone lives at the same address: only the name, kana, birthday and mail differ.
SAME_FOR_EVERYONE = {
    "sex": "F",
    "postal_code": "3520001",
    "address": "新座市野火止1-2-3",
    "phone": "048-481-0000",
}


def person(n: int) -> "CitizenDetails":
    """Resident number n, as the booking form hands them over: distinct for every n."""
    from reservations.services import CitizenDetails

    birth_date = date(1960, 1 + n % 12, 1 + n % 28)
    return CitizenDetails(
        name=f"試験 {n}",
        furigana=f"ベンチ {n}",
        birth_date=birth_date,
        email=f"p{n}@example.jp",
        **SAME_FOR_EVERYONE,
    )
