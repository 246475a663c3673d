"""The opening-day rush, measured side by side in one run (issue #12).

    python bench/bench_rush.py            # the city-sized run (about 2½ minutes on 2 cores)
    python bench/bench_rush.py --quick    # a small one (about a minute), for development
    python bench/bench_rush.py --waiting-room   # the 5x phase with the waiting room on

Needs PostgreSQL (BENCH_DATABASE_URL or DATABASE_URL; only its server part is used: a
throwaway database kenshin_bench_rush is created and dropped) and Redis (BENCH_CACHE_URL,
default redis://127.0.0.1:6379/0; keys under a prefix of their own, deleted at the end).
Without either it says so and exits 0. Then it

1. seeds a season (6,000 slots, 50,000 bookings, with COPY: bench/rush_seed.py);
2. renders an availability month (150 slots) in this process with every cache bypassed;
3. starts two gunicorns on 127.0.0.1 only (4 sync workers each, the same settings,
   database and Redis): kenshin itself (bench/rush_settings.py: config.settings with the
   run's own cache key prefix and quieter request logs), and the baselines of
   bench/rush_urls.py (a trivial view, and a minimal booking endpoint: one conditional
   UPDATE + one INSERT);
4. measures read req/s with wrk when installed (`apt-get install wrk`), else with Python
   threads: the trivial view, kenshin's top, availability month and /healthz;
5. books the minimal endpoint (its places/s) and then runs kenshin's real HTML booking
   flow as browsers do (bench/rush_client.py): 2,000 residents on 500 places 50 at a
   time, then 2,000 more on 500 other places at 5x the concurrency;
6. checks the database (no slot over capacity, counters equal to live bookings) and
   prints every figure with its share of the baseline measured in the same run.

Bounded: a request cap per phase (residents, minimal requests; wrk runs for a fixed
time), a wall-clock limit (--time-limit), a 10-second client timeout. Servers, Redis keys
and the database are cleaned up on success, failure, Ctrl-C and SIGTERM; the servers also
die with this process if it is killed outright.
"""

from __future__ import annotations

import argparse
import bisect
import http.client
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import (  # noqa: E402
    free_port,
    percentiles_ms,
    postgres_base,
    run_threads,
    start_gunicorn,
    stop_process,
    throwaway_database,
    wait_for_answer,
)
from bench.rush_client import STEPS, Browser, Outcome, run_residents  # noqa: E402
from bench.rush_seed import MINIMAL_TABLE  # noqa: E402

if TYPE_CHECKING:
    from bench.rush_seed import Season

DATABASE = "kenshin_bench_rush"

# --- The waiting room hook (issue #12, item 3) ---------------------------------------------
# The 5x phase runs "with the waiting room on" when the product has one. Until then the
# benchmark says "waiting room not built yet" and runs the phase without it. When item 3
# lands: (1) its settings are named WAITING_ROOM_* in config/settings.py, which is how the
# benchmark knows it is built; (2) put here the environment that switches it on for the
# 5x phase (the kenshin server is restarted with it). The client already behaves as a
# browser on a waiting page: Retry-After / <meta http-equiv="refresh">, then load again.
WAITING_ROOM_SETTING_PREFIX = "WAITING_ROOM"
WAITING_ROOM_ENV: dict[str, str] = {
    # The room on for every booking. Its admission rate is set in the run from what the 1x
    # phase booked per second (admission_rate): the site admits at the rate it can book.
    "WAITING_ROOM_ALWAYS": "true",
}
# The share of the 1x phase's bookings per second the room lets in at 5x: a little less,
# so that the admitted residents' flows never queue behind each other.
ADMISSION_SHARE = 0.8


def admission_rate(flow_places_per_second: float) -> int:
    """WAITING_ROOM_ADMIT_PER_SECOND for the 5x phase: ADMISSION_SHARE of what the site
    booked per second at 1x, in the same run (at least 1)."""
    return max(1, int(flow_places_per_second * ADMISSION_SHARE))


def waiting_room_settings() -> list[str]:
    """The WAITING_ROOM_* settings kenshin defines (none: the waiting room is not built)."""
    from django.conf import settings

    return sorted(name for name in dir(settings) if name.startswith(WAITING_ROOM_SETTING_PREFIX))


@dataclass(frozen=True)
class Plan:
    slots: int = 6000
    bookings: int = 50_000
    residents: int = 2000
    places: int = 500
    concurrency: int = 50
    overload: int = 5  # the second flow phase runs at concurrency × overload
    workers: int = 4
    read_seconds: float = 10
    read_connections: int = 50
    minimal_requests: int = 2000
    render_runs: int = 20
    flow_seconds: float = 150  # no resident starts after this in a flow phase
    timeout: float = 10  # the client's, per request
    time_limit: float = 540  # the whole run


QUICK = Plan(
    slots=600,
    bookings=5000,
    residents=200,
    places=50,
    read_seconds=3,
    minimal_requests=300,
    render_runs=10,
    flow_seconds=60,
    time_limit=240,
)


class Stopped(Exception):
    """SIGTERM: stop and clean up as on Ctrl-C."""


def _on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise Stopped


# --- Reads ---------------------------------------------------------------------------------


@dataclass
class Read:
    label: str
    path: str
    rps: float
    requests: int
    bad: int  # non-2xx answers
    errors: int  # socket errors and timeouts
    p50_ms: float
    p99_ms: float
    tool: str


_WRK_UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _wrk_ms(text: str, label: str) -> float:
    found = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s|m)\b", text, re.M)
    return float(found.group(1)) * _WRK_UNIT[found.group(2)] if found else float("nan")


def read_with_wrk(label: str, port: int, path: str, plan: Plan, seconds: float) -> Read:
    wrk = shutil.which("wrk") or "wrk"
    command = [
        wrk,
        "-t2",
        f"-c{plan.read_connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={int(plan.timeout)}s",
        "--latency",
        "--header=Accept-Encoding: gzip",  # as browsers send it
        f"http://127.0.0.1:{port}{path}",
    ]
    out = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=True
    ).stdout
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return Read(
        label,
        path,
        float(rps.group(1)) if rps else 0.0,
        int(total.group(1)) if total else 0,
        int(bad.group(1)) if bad else 0,
        sum(int(g) for g in errors.groups()) if errors else 0,
        _wrk_ms(out, "50%"),
        _wrk_ms(out, "99%"),
        "wrk",
    )


def read_with_python(label: str, port: int, path: str, plan: Plan, seconds: float) -> Read:
    """The fallback without wrk: keep-alive GETs from threads (slower: the client shares
    the CPU and the GIL, so the figures are lower bounds)."""
    cap = int(seconds * 5000)
    lock = threading.Lock()
    counter = iter(range(cap))
    timings: list[float] = []
    bad = errors = 0
    stop_at = time.perf_counter() + seconds

    def client(_n: int) -> None:
        nonlocal bad, errors
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=plan.timeout)
        while time.perf_counter() < stop_at:
            with lock:
                if next(counter, None) is None:
                    break
            started = time.perf_counter()
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                response.read()
                if response.will_close:
                    conn.close()
                ok = 200 <= response.status < 300
            except (OSError, http.client.HTTPException):
                conn.close()
                with lock:
                    errors += 1
                continue
            with lock:
                timings.append(time.perf_counter() - started)
                bad += not ok
        conn.close()

    wall = run_threads(client, plan.read_connections)
    p50, _p95, p99 = percentiles_ms(timings) if len(timings) > 1 else (0.0, 0.0, 0.0)
    return Read(label, path, len(timings) / wall, len(timings), bad, errors, p50, p99, "python")


def drain(port: int) -> None:
    """Wait until the requests a phase left queued have been served.

    A sync worker still serves a request whose client has gone (the end of a wrk run, a
    timed-out resident); the next phase would find the workers busy with them. One GET
    answers only once the queue ahead of it is through.
    """
    wait_for_answer(port, "/healthz", seconds=120)


def measure_read(label: str, port: int, path: str, plan: Plan) -> Read:
    read = read_with_wrk if shutil.which("wrk") else read_with_python
    read(label, port, path, plan, min(2.0, plan.read_seconds))  # warm every worker up
    drain(port)
    result = read(label, port, path, plan, plan.read_seconds)
    drain(port)
    print(f"  {label}: {result.rps:,.0f} req/s ({result.tool})", flush=True)
    return result


# --- The minimal booking endpoint ------------------------------------------------------------


@dataclass
class Minimal:
    booked: int
    full: int
    other: int
    wall: float
    p50_ms: float
    p99_ms: float

    @property
    def places_per_second(self) -> float:
        return self.booked / self.wall if self.wall else 0.0


def book_minimal(port: int, slot_id: int, plan: Plan, seconds: float) -> Minimal:
    """`plan.minimal_requests` POSTs, `plan.concurrency` at a time, on one hot slot."""
    lock = threading.Lock()
    counter = iter(range(plan.minimal_requests))
    outcomes: Counter[str] = Counter()
    timings: list[float] = []
    stop_at = time.perf_counter() + seconds

    def client(_n: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=plan.timeout)
        while time.perf_counter() < stop_at:
            with lock:
                n = next(counter, None)
            if n is None:
                break
            started = time.perf_counter()
            try:
                conn.request(
                    "POST",
                    "/minimal-book/",
                    f"slot={slot_id}&n={n}",
                    {"Content-Type": "application/x-www-form-urlencoded"},
                )
                response = conn.getresponse()
                response.read()
                if response.will_close:
                    conn.close()
                kind = {201: "booked", 409: "full"}.get(response.status, "other")
            except (OSError, http.client.HTTPException):
                conn.close()
                kind = "other"
            with lock:
                outcomes[kind] += 1
                timings.append(time.perf_counter() - started)
        conn.close()

    wall = run_threads(client, plan.concurrency)
    p50, _p95, p99 = percentiles_ms(timings) if len(timings) > 1 else (0.0, 0.0, 0.0)
    return Minimal(outcomes["booked"], outcomes["full"], outcomes["other"], wall, p50, p99)


# --- The HTML booking flow ---------------------------------------------------------------------


@dataclass
class Check:
    """What the database says after a flow phase, about its slots."""

    places: int
    booked: int  # live reservation items in the phase's slots
    oversold: int  # slots with more live items (or a bigger counter) than places
    mismatched: int  # slots whose counter differs from their live items


def check_slots(slot_ids: Sequence[int]) -> Check:
    from django.db.models import Count, Q

    from reservations.models import Slot

    rows = Slot.objects.filter(pk__in=slot_ids).annotate(
        live=Count("items", filter=Q(items__is_live=True))
    )
    rows_list = list(rows.values("capacity", "booked", "live"))
    return Check(
        places=sum(r["capacity"] for r in rows_list),
        booked=sum(r["live"] for r in rows_list),
        oversold=sum(1 for r in rows_list if max(r["live"], r["booked"]) > r["capacity"]),
        mismatched=sum(1 for r in rows_list if r["live"] != r["booked"]),
    )


@dataclass
class Flow:
    label: str
    concurrency: int
    outcomes: list[Outcome]
    wall: float
    check: Check
    waiting_room: str  # "on", "off" or "not built yet"
    client_cpu: float  # CPU seconds the client itself used (the machine's cores are shared)

    def count(self, kind: str) -> int:
        return sum(1 for o in self.outcomes if o.kind == kind)

    @property
    def booked_per_second(self) -> float:
        return self.count("booked") / self.wall if self.wall else 0.0

    @property
    def requests(self) -> int:
        """Requests the residents made: one per step, and one per waiting page re-read."""
        return sum(len(o.steps) + o.waits for o in self.outcomes)

    @property
    def requests_per_place(self) -> float:
        """Requests per place booked. The minimal endpoint makes one; this is why the
        flow's share of it cannot be above 1 / this, however cheap each request is."""
        booked = self.count("booked")
        return self.requests / booked if booked else float("nan")

    def step_percentiles(self, step: str) -> tuple[int, float, float]:
        values = [o.steps[step] for o in self.outcomes if step in o.steps]
        if len(values) < 2:
            return len(values), float("nan"), float("nan")
        p50, _p95, p99 = percentiles_ms(values)
        return len(values), p50, p99

    def flow_percentiles(self, kind: str | None) -> tuple[int, float, float]:
        values = [o.total for o in self.outcomes if kind is None or o.kind == kind]
        if len(values) < 2:
            return len(values), float("nan"), float("nan")
        p50, _p95, p99 = percentiles_ms(values)
        return len(values), p50, p99

    def out_of_order(self) -> int:
        """Residents the room kept waiting after it had let in someone with a later ticket.

        The order that counts is the line's: ticket numbers, handed out as requests reach
        the server. A browser comes back when its page says (and a loaded machine answers
        it late), so the moments residents *see* their turn may cross; that is not the
        room's doing. What would be is a waiting page for ticket n, asked for after a
        ticket above n had been admitted: that resident was overtaken.
        """
        admissions = sorted(
            (o.admitted, o.ticket)
            for o in self.outcomes
            if o.admitted is not None and o.ticket is not None
        )
        moments = [moment for moment, _ticket in admissions]
        highest: list[int] = []  # highest ticket admitted up to each moment
        for _moment, ticket in admissions:
            highest.append(max(ticket, highest[-1]) if highest else ticket)
        overtaken = 0
        for outcome in self.outcomes:
            if outcome.ticket is None:
                continue
            for sent in outcome.held_at:
                before = bisect.bisect_left(moments, sent)
                if before and highest[before - 1] > outcome.ticket:
                    overtaken += 1
                    break
        return overtaken


def _own_cpu_seconds() -> float:
    """CPU time of this process (the client threads), not of the servers."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_flow(
    label: str,
    port: int,
    numbers: range,
    slot_ids: list[int],
    concurrency: int,
    plan: Plan,
    seconds: float,
    waiting_room: str,
) -> Flow:
    cpu_before = _own_cpu_seconds()
    outcomes, wall = run_residents(
        port=port,
        numbers=numbers,
        slot_ids=slot_ids,
        concurrency=concurrency,
        seconds=seconds,
        timeout=plan.timeout,
    )
    client_cpu = _own_cpu_seconds() - cpu_before
    drain(port)
    flow = Flow(label, concurrency, outcomes, wall, check_slots(slot_ids), waiting_room, client_cpu)
    print(
        f"  {label}: {flow.count('booked')} booked of {len(outcomes)} in {wall:.1f} s",
        flush=True,
    )
    return flow


# --- Rendering, in process -----------------------------------------------------------------


@dataclass
class Render:
    median_ms: float
    runs: int
    queries: int
    slots: int
    links: int  # "book this time" links on the page (free slots)


def render_availability(code: str, month: str, slots: int, runs: int) -> Render:
    """The availability month rendered by the view itself (no middleware), with the shared
    cache a dummy and PUBLIC_CACHE_SECONDS 0, so nothing cached is reused; median of `runs`
    after one warm-up."""
    from django.db import connection
    from django.test import RequestFactory, override_settings
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from reservations.views import availability

    factory = RequestFactory()
    timings: list[float] = []
    queries = links = 0
    with override_settings(PUBLIC_CACHE_SECONDS=0), translation.override("ja"):
        for run in range(runs + 1):
            request = factory.get(f"/screenings/{code}/", {"month": month})
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = availability(request, code=code)
                elapsed = time.perf_counter() - started
            if response.status_code != 200:
                raise RuntimeError(f"availability answered {response.status_code}")
            if run:
                timings.append(elapsed)
            queries = len(captured)
            links = len(re.findall(rb'href="/book/\d+/"', response.content))
    return Render(statistics.median(timings) * 1000, runs, queries, slots, links)


# --- The report ------------------------------------------------------------------------------


def _pct(value: float, of: float) -> str:
    return f"{100 * value / of:5.1f} %" if of else "    – "


def _ms(value: float) -> str:
    return "     –" if value != value else f"{value:6.0f}"  # NaN: too few values


def print_report(
    *,
    plan: Plan,
    season: Season,
    seed_seconds: float,
    render: Render,
    reads: list[Read],
    minimal: Minimal,
    flows: list[Flow],
    waiting_note: str,
    wall: float,
    load: tuple[float, float],
    room_reads: Sequence[Read] = (),
) -> None:
    trivial = reads[0].rps
    out = print
    out("")
    out(
        f"bench_rush: PostgreSQL + Redis, gunicorn {plan.workers} sync workers per server, "
        f"{os.cpu_count()} CPUs, loopback only; {wall:.0f} s in all"
    )
    out(
        f"  load average (1 min) {load[0]:.1f} at the start, {load[1]:.1f} at the end: "
        "more than the CPUs means others shared the machine"
    )
    out(
        f"  season: {season.slots:,} slots, {season.bookings:,} bookings "
        f"(seeded in {seed_seconds:.1f} s); availability month {season.first_month}: "
        f"{season.month_slots} lung slots"
    )
    tool = reads[0].tool
    out("")
    out(f"reads ({tool}, {plan.read_connections} connections, {plan.read_seconds:.0f} s each)")
    out(f"  {'page':44} {'req/s':>8} {'of trivial':>10} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>7}")
    for read in reads:
        out(
            f"  {read.label:44} {read.rps:8,.0f} {_pct(read.rps, trivial):>10} "
            f"{_ms(read.p50_ms):>7} {_ms(read.p99_ms):>7} {read.bad + read.errors:7}"
        )
    out("")
    out(
        f"render (in process, caches bypassed): availability month of {render.slots} slots "
        f"= {render.median_ms:.1f} ms median of {render.runs} ({render.queries} queries, "
        f"{render.median_ms / max(render.slots, 1):.2f} ms per slot, {render.links} links)"
    )
    out("")
    out(
        f"writes ({plan.concurrency} at once unless said): minimal endpoint (UPDATE + INSERT, "
        f"one hot slot) {minimal.places_per_second:,.0f} places/s "
        f"({minimal.booked} booked, {minimal.full} full, {minimal.other} failed; "
        f"p50 {minimal.p50_ms:.0f} ms, p99 {minimal.p99_ms:.0f} ms)"
    )
    for flow in flows:
        outcomes = Counter(o.kind for o in flow.outcomes)
        full = [o for o in flow.outcomes if o.kind == "full"]
        offered = sum(1 for o in full if o.full_with_alternatives)
        where = Counter(o.detail for o in full)
        out("")
        out(
            f"{flow.label}: {len(flow.outcomes):,} residents on {flow.check.places} places, "
            f"{flow.concurrency} at once, waiting room {flow.waiting_room}"
        )
        out(
            f"  booked {flow.count('booked')} = {flow.booked_per_second:.1f} places/s "
            f"({_pct(flow.booked_per_second, minimal.places_per_second).strip()} of minimal) "
            f"in {flow.wall:.1f} s (the client itself used {flow.client_cpu:.1f} s of CPU)"
        )
        out(
            f"  requests {flow.requests:,} = {flow.requests / flow.wall:,.0f} req/s, "
            f"{flow.requests_per_place:.1f} per place booked (the minimal endpoint: 1)"
        )
        out(
            f"  full → nearest free times: {len(full)} (with times offered {offered}; "
            + ", ".join(f"at {step} {n}" for step, n in sorted(where.items()))
            + ")"
        )
        out(
            f"  5xx {outcomes['5xx']}, timeouts {outcomes['timeout']}, "
            f"connection errors {outcomes['broken']}, refused {outcomes['refused']}, "
            f"unexpected {outcomes['unexpected']}"
        )
        unseen = flow.check.booked - flow.count("booked")
        out(
            f"  database: {flow.check.booked} live bookings in these slots ({unseen} that "
            f"their resident never saw: timed out), oversold {flow.check.oversold}, "
            f"counters off {flow.check.mismatched}"
        )
        waited = [o for o in flow.outcomes if o.waits]
        prompt = sum(1 for o in flow.outcomes if o.first_answer <= 1.0)
        order = str(flow.out_of_order()) if waited else "– (nobody was told to wait)"
        out(
            f"  first answer within 1 s: {prompt} of {len(flow.outcomes)}; told to wait: "
            f"{len(waited)}; kept waiting after a later ticket was let in: {order}"
        )
        out(f"  {'step':22} {'n':>6} {'p50 ms':>7} {'p99 ms':>7}")
        for step in STEPS:
            n, p50, p99 = flow.step_percentiles(step)
            if n:
                out(f"  {step:22} {n:6} {_ms(p50):>7} {_ms(p99):>7}")
        for name, kind in (("whole flow (booked)", "booked"), ("whole flow (everyone)", None)):
            n, p50, p99 = flow.flow_percentiles(kind)
            out(f"  {name:22} {n:6} {_ms(p50):>7} {_ms(p99):>7}")
        bad = [o.detail for o in flow.outcomes if o.kind not in ("booked", "full")]
        if bad:
            out(f"  first problems: {bad[:3]}")
    if waiting_note:
        out("")
        out(f"waiting room: {waiting_note}")
    if room_reads:
        again, *waiting = room_reads
        out(
            f"  its waiting page, after the {plan.overload}x phase, beside the trivial view "
            f"measured just before ({again.rps:,.0f} req/s):"
        )
        for read in waiting:
            what = (
                "a new ticket each, far behind the line"
                if read.label.endswith("arriving")
                else "one ticket, still waiting"
            )
            out(
                f"    {read.label} ({what}): {read.rps:,.0f} req/s = "
                f"{_pct(read.rps, again.rps).strip()} of trivial, "
                f"p99 {_ms(read.p99_ms).strip()} ms, non-2xx {read.bad + read.errors}"
            )
    out("")
    out("targets of issue #12 (ratios in this run):")
    by_label = {r.label: r for r in reads}
    first = flows[0]
    n, _p50, p99 = first.flow_percentiles(None)
    checks = [
        (
            "top and availability ≥ 50 % of trivial",
            all(by_label[k].rps >= 0.5 * trivial for k in ("kenshin top page", AVAILABILITY)),
        ),
        (
            "HTML flow ≥ 25 % of minimal places/s (at most 1 / "
            f"{first.requests_per_place:.1f} requests per place = "
            f"{100 / first.requests_per_place:.0f} % if each cost what a minimal one does)",
            first.booked_per_second >= 0.25 * minimal.places_per_second,
        ),
        ("uncached availability month ≤ 10 ms", render.median_ms <= 10),
        (
            f"{first.label}: 0 oversold, 0 5xx, 0 timeouts, whole-flow p99 < 1 s",
            first.check.oversold == 0
            and first.count("5xx") == 0
            and first.count("timeout") == 0
            and p99 < 1000,
        ),
    ]
    if len(flows) > 1:
        over = flows[1]
        checks.append(
            (
                f"{over.label}: 0 5xx, 0 timeouts, all answered within 1 s, in order",
                over.count("5xx") == 0
                and over.count("timeout") == 0
                and all(o.first_answer <= 1.0 for o in over.outcomes)
                and over.out_of_order() == 0
                and over.waiting_room == "on",
            )
        )
    for text, met in checks:
        out(f"  [{'met' if met else 'not met'}] {text}")


AVAILABILITY = "kenshin availability month"


def _number(value: float) -> float | None:
    """JSON has no NaN (too few values for a percentile): null instead."""
    return None if value != value else value


def figures(
    *, render: Render, reads: list[Read], minimal: Minimal, flows: list[Flow]
) -> dict[str, object]:
    """The report's figures as plain values (--json), to compare runs by program."""
    trivial = reads[0].rps or 1.0
    minimal_pps = minimal.places_per_second or 1.0

    def flow_figures(flow: Flow) -> dict[str, object]:
        steps = {}
        for step in (*STEPS, "whole flow (booked)", "whole flow (everyone)"):
            if step.startswith("whole"):
                n, p50, p99 = flow.flow_percentiles("booked" if "booked" in step else None)
            else:
                n, p50, p99 = flow.step_percentiles(step)
            steps[step] = {"n": n, "p50_ms": _number(p50), "p99_ms": _number(p99)}
        return {
            "label": flow.label,
            "concurrency": flow.concurrency,
            "residents": len(flow.outcomes),
            "waiting_room": flow.waiting_room,
            "outcomes": dict(Counter(o.kind for o in flow.outcomes)),
            "places_per_second": flow.booked_per_second,
            "share_of_minimal": flow.booked_per_second / minimal_pps,
            "requests": flow.requests,
            "requests_per_place": _number(flow.requests_per_place),
            "oversold": flow.check.oversold,
            "counters_off": flow.check.mismatched,
            "booked_in_database": flow.check.booked,
            "answered_within_1s": sum(1 for o in flow.outcomes if o.first_answer <= 1.0),
            "told_to_wait": sum(1 for o in flow.outcomes if o.waits),
            "steps": steps,
        }

    return {
        "reads": {
            r.label: {
                "rps": r.rps,
                "share_of_trivial": r.rps / trivial,
                "p99_ms": _number(r.p99_ms),
            }
            for r in reads
        },
        "render_ms": render.median_ms,
        "render_queries": render.queries,
        "render_slots": render.slots,
        "minimal_places_per_second": minimal.places_per_second,
        "flows": [flow_figures(flow) for flow in flows],
    }


# --- The run ---------------------------------------------------------------------------------


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping())
    except redis.RedisError:
        return False


def _forget_redis_keys(url: str, prefix: str) -> None:
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        for key in client.scan_iter(match=f"{prefix}:*", count=500):
            client.delete(key)
    except redis.RedisError as exc:
        print(f"bench_rush: could not delete the Redis keys {prefix}:*: {exc}", file=sys.stderr)


def parse_plan(argv: Sequence[str] | None) -> tuple[Plan, bool, str]:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a small run: 600 slots, 5,000 bookings, 200 residents on 50 places, short phases",
    )
    parser.add_argument(
        "--waiting-room",
        action="store_true",
        help="the 5x phase with the waiting room on (says so if it is not built yet)",
    )
    parser.add_argument("--json", default="", help="also write the figures to this file")
    for name, kind in (
        ("slots", int),
        ("bookings", int),
        ("residents", int),
        ("places", int),
        ("concurrency", int),
        ("overload", int),
        ("workers", int),
        ("read-seconds", float),
        ("minimal-requests", int),
        ("render-runs", int),
        ("flow-seconds", float),
        ("timeout", float),
        ("time-limit", float),
    ):
        parser.add_argument(
            f"--{name}", type=kind, help=f"default {getattr(Plan(), name.replace('-', '_'))}"
        )
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else Plan()
    given = {
        key: value
        for key, value in vars(args).items()
        if value is not None and key not in ("quick", "waiting_room", "json")
    }
    return replace(plan, **given), args.waiting_room, args.json


def main(argv: Sequence[str] | None = None) -> int:
    plan, want_waiting_room, json_path = parse_plan(argv)
    base = postgres_base()
    cache_url = os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/0")
    if base is None:
        print("bench_rush: skipped: needs PostgreSQL (BENCH_DATABASE_URL=postgres://…)")
        return 0
    if not _redis_answers(cache_url):
        print(f"bench_rush: skipped: Redis does not answer at {cache_url} (BENCH_CACHE_URL)")
        return 0
    signal.signal(signal.SIGTERM, _on_sigterm)
    began = time.monotonic()
    load_at_start = os.getloadavg()[0]
    deadline = began + plan.time_limit

    def remaining(most: float) -> float:
        return max(1.0, min(most, deadline - time.monotonic()))

    prefix = f"kenshin_bench_rush_{os.getpid()}"
    database_url, drop = throwaway_database(DATABASE, postgres=True)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        os.environ.update(
            {
                "DATABASE_URL": database_url,
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "DJANGO_ENV": "development",
                "DEBUG": "false",
                "LOG_LEVEL": "WARNING",
                # WhiteNoise warns that collectstatic has not run; irrelevant here.
                "PYTHONWARNINGS": "ignore:No directory at",
            }
        )
        # This process seeds and renders with no shared cache at all; the servers use Redis.
        # They log errors only: every resident who finds a time full is a logged 409.
        server_env = {
            **os.environ,
            "CACHE_URL": cache_url,
            "BENCH_CACHE_KEY_PREFIX": prefix,
            "DJANGO_SETTINGS_MODULE": "bench.rush_settings",
            "LOG_LEVEL": "ERROR",
        }
        os.environ["CACHE_URL"] = "dummycache://"
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection, connections
        from django.utils import timezone

        from bench.rush_seed import seed_season

        print(f"bench_rush: {plan}", flush=True)
        call_command("migrate", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE {MINIMAL_TABLE} (id bigserial PRIMARY KEY, slot_id bigint NOT NULL,"
                " person varchar(50) NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
            )
        # The servers boot (8 processes importing Django) while this one seeds: on a busy
        # machine that takes seconds, which must not eat into the first measurement.
        kenshin_port, baseline_port = free_port(), free_port()
        connections.close_all()
        servers.append(
            start_gunicorn(
                "config.wsgi:application",
                port=baseline_port,
                workers=plan.workers,
                env={**server_env, "DJANGO_SETTINGS_MODULE": "bench.rush_baseline_settings"},
                cwd=ROOT,
                python=sys.executable,
            )
        )
        servers.append(
            start_gunicorn(
                "config.wsgi:application",
                port=kenshin_port,
                workers=plan.workers,
                env=server_env,
                cwd=ROOT,
                python=sys.executable,
            )
        )
        started = time.monotonic()
        season = seed_season(
            slots=plan.slots,
            bookings=plan.bookings,
            rush_places=plan.places,
            rush_phases=2,
            hot_capacity=plan.minimal_requests,
            now=timezone.now(),
        )
        seed_seconds = time.monotonic() - started
        print(
            f"  seeded {season.slots:,} slots, {season.bookings:,} bookings in "
            f"{seed_seconds:.1f} s",
            flush=True,
        )
        render = render_availability(
            "lung", season.first_month, season.month_slots, plan.render_runs
        )
        print(f"  availability month rendered in {render.median_ms:.1f} ms", flush=True)
        built = waiting_room_settings()
        connections.close_all()
        wait_for_answer(baseline_port, "/", process=servers[0])
        wait_for_answer(kenshin_port, "/", process=servers[1])

        month = f"/screenings/lung/?month={season.first_month}"
        reads = [
            measure_read('trivial Django view (HttpResponse("ok"))', baseline_port, "/", plan),
            measure_read("kenshin top page", kenshin_port, "/", plan),
            measure_read(AVAILABILITY, kenshin_port, month, plan),
            measure_read("kenshin /healthz", kenshin_port, "/healthz", plan),
        ]
        minimal = book_minimal(baseline_port, season.hot_slot, plan, remaining(120))
        drain(baseline_port)
        print(f"  minimal endpoint: {minimal.places_per_second:,.0f} places/s", flush=True)

        flows = [
            run_flow(
                "HTML booking flow",
                kenshin_port,
                range(1, plan.residents + 1),
                season.rush[0],
                plan.concurrency,
                plan,
                remaining(plan.flow_seconds),
                "off (not built yet)" if not built else "off",
            )
        ]
        waiting_note = ""
        if want_waiting_room and not built:
            waiting_note = (
                "not built yet (config/settings.py defines no WAITING_ROOM_* setting): "
                f"the {plan.overload}x phase ran without it"
            )
            state = "not built yet"
        elif want_waiting_room:
            stop_process(servers.pop())
            kenshin_port = free_port()
            room_env = {
                **WAITING_ROOM_ENV,
                "WAITING_ROOM_ADMIT_PER_SECOND": str(admission_rate(flows[0].booked_per_second)),
            }
            servers.append(
                start_gunicorn(
                    "config.wsgi:application",
                    port=kenshin_port,
                    workers=plan.workers,
                    env={**server_env, **room_env},
                    cwd=ROOT,
                    python=sys.executable,
                )
            )
            wait_for_answer(kenshin_port, "/", process=servers[-1])
            state = "on"
            waiting_note = f"on ({', '.join(built)}; environment {room_env})"
        else:
            state = "off" if built else "off (not built yet)"
        room_reads: list[Read] = []
        if plan.overload > 1:
            flows.append(
                run_flow(
                    f"same flow at {plan.overload}x",
                    kenshin_port,
                    range(100_001, 100_001 + plan.residents),
                    season.rush[1],
                    plan.concurrency * plan.overload,
                    plan,
                    remaining(plan.flow_seconds),
                    state,
                )
            )
            if state == "on":
                # "The waiting page itself is as cheap as the trivial view" (issue #12):
                # measured beside the trivial view, one after the other. Every ticket wrk
                # gets is behind the line (the room admits a few dozen a second).
                book = f"/book/{season.rush[1][0]}/"
                room_reads = [
                    measure_read("trivial view (again)", baseline_port, "/", plan),
                    measure_read("waiting page, arriving", kenshin_port, book, plan),
                ]
                # Then one resident coming back (what most waiting pages are: a reload
                # every Retry-After), with a ticket far down the line the reads just made.
                browser = Browser(kenshin_port, timeout=plan.timeout)
                ticket = (
                    browser.cookies.get("kenshin_line", "")
                    if browser.request("GET", book).is_waiting
                    else ""
                )
                if ticket:  # the page's own "check my turn" link carries it the same way
                    room_reads.append(
                        measure_read(
                            "waiting page, coming back",
                            kenshin_port,
                            f"{book}?{urlencode({'ticket': ticket})}",
                            plan,
                        )
                    )
        print_report(
            plan=plan,
            season=season,
            seed_seconds=seed_seconds,
            render=render,
            reads=reads,
            minimal=minimal,
            flows=flows,
            waiting_note=waiting_note,
            wall=time.monotonic() - began,
            load=(load_at_start, os.getloadavg()[0]),
            room_reads=room_reads,
        )
        if json_path:
            numbers = figures(render=render, reads=reads + room_reads, minimal=minimal, flows=flows)
            Path(json_path).write_text(json.dumps({"plan": asdict(plan), **numbers}, indent=2))
        broken = any(f.check.oversold or f.check.mismatched for f in flows)
        return 1 if broken else 0
    except (KeyboardInterrupt, Stopped):
        print("bench_rush: interrupted; cleaning up", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            stop_process(server)
        _forget_redis_keys(cache_url, prefix)
        drop()


if __name__ == "__main__":
    sys.exit(main())
